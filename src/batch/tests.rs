use std::sync::atomic::{AtomicUsize, Ordering};

use super::*;
use crate::asr::{AsrError, ChannelAudio, ChannelText, RawSegment};
use crate::transcript::ModelRef;

/// A fake engine: one fixed utterance per speech region; counts the calls it decodes.
struct Fake {
    model: ModelRef,
    decoded: AtomicUsize,
}

impl Fake {
    fn new() -> Fake {
        Fake { model: ModelRef { path: "fake.bin".into(), sha256: "fake".into() }, decoded: AtomicUsize::new(0) }
    }
}

impl Transcriber for Fake {
    fn model(&self) -> &ModelRef {
        &self.model
    }
    fn transcribe(&self, channels: &[ChannelAudio<'_>], _: &DecodeParams) -> Result<Vec<ChannelText>, AsrError> {
        self.decoded.fetch_add(1, Ordering::Relaxed);
        Ok(channels
            .iter()
            .map(|c| ChannelText {
                segments: c
                    .regions
                    .iter()
                    .map(|r| RawSegment {
                        start_ms: r.start_ms,
                        end_ms: r.end_ms,
                        text: "您好，请问有什么可以帮您？".into(),
                        avg_token_prob: 0.9,
                        avg_logprob: -0.1,
                        no_speech_prob: 0.01,
                    })
                    .collect(),
                language: Some(("zh".into(), 0.99)),
                windows: 1,
            })
            .collect())
    }
}

/// A folder with two real fixture recordings and a corrupt one, all named by the pattern.
fn recordings() -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    let fx = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/audio");
    for n in ["A1001_20261102-093015_c0001.wav", "A1002_20261102-140542_c0002.wav"] {
        std::fs::copy(fx.join(n), d.path().join(n)).unwrap();
    }
    std::fs::write(d.path().join("A1003_20261103-101208_bad.wav"), b"RIFF\x10\x00\x00\x00WAVEjunk").unwrap();
    std::fs::write(d.path().join("unnamed.wav"), b"").unwrap();
    std::fs::write(d.path().join(ingest::LAYOUT_FILE), "agent-left\n").unwrap();
    d
}

fn run_once(engine: &Fake, input: &Path, out: &Path, shard: Option<Shard>) -> PartitionStatus {
    let config = Config::default();
    let dir = run_dir(out, shard);
    let ing = ingest(&Source::Directory(input.to_owned()), &config, shard).unwrap();
    let scanner = load_rules(&config, &dir).unwrap();
    process(engine, &scanner, &ing, &config, &dir, shard, 2, &progress::Silent).unwrap()
}

#[test]
fn a_run_isolates_bad_files_and_a_rerun_decodes_nothing_again() {
    let input = recordings();
    let out = tempfile::tempdir().unwrap();
    let engine = Fake::new();
    let first = run_once(&engine, input.path(), out.path(), None);
    assert_eq!(engine.decoded.load(Ordering::Relaxed), 2);
    let failed: Vec<_> = first.calls.iter().filter(|c| c.failed_at.is_some()).map(|c| c.call_id.as_str()).collect();
    assert_eq!(failed, ["bad"]);
    let bad = first.calls.iter().find(|c| c.call_id == "bad").unwrap();
    assert!(bad.error.as_deref().unwrap().contains("A1003_20261103-101208_bad.wav"), "{bad:?}");
    assert_eq!(first.ingest_errors.len(), 1);
    assert!(first.ingest_errors[0].file.ends_with("unnamed.wav"));
    assert!(out.path().join("work/findings/c0001.findings.json").is_file());
    assert!(out.path().join("work/rules/pack.toml").is_file());

    let second = run_once(&engine, input.path(), out.path(), None);
    assert_eq!(engine.decoded.load(Ordering::Relaxed), 2, "finished calls are not decoded again");
    assert!(second.calls.iter().filter(|c| c.failed_at.is_none()).all(|c| c.cached));
    let partition = read_partition(out.path()).unwrap();
    assert_eq!(partition.status, second);
    assert_eq!(partition.calls.len(), 3);
}

#[test]
fn shards_split_the_calls_and_the_ingest_errors_between_them() {
    let input = recordings();
    let out = tempfile::tempdir().unwrap();
    let engine = Fake::new();
    let mut seen = Vec::new();
    let mut errors = 0;
    for i in 0..2 {
        let s = Shard::new(i, 2).unwrap();
        let st = run_once(&engine, input.path(), out.path(), Some(s));
        assert!(out.path().join(s.dir_name()).join("work/status.json").is_file());
        seen.extend(st.calls.iter().map(|c| c.call_id.clone()));
        errors += st.ingest_errors.len();
    }
    seen.sort();
    assert_eq!(seen, ["bad", "c0001", "c0002"]);
    assert_eq!(errors, 1);
}

#[test]
fn a_missing_input_or_bad_pattern_is_a_configuration_error() {
    let config = Config::default();
    let err = ingest(&Source::Directory("/no/such/dir".into()), &config, None).unwrap_err();
    assert!(err.0.contains("/no/such/dir"), "{err}");
    let bad = Config { pattern: "{call_id}.wav".into(), ..Config::default() };
    let d = tempfile::tempdir().unwrap();
    let err = ingest(&Source::Directory(d.path().to_owned()), &bad, None).unwrap_err();
    assert!(err.0.contains("{agent_id}"), "{err}");
}

/// The run id of a fresh run over `input` with `config`, plus any supervisor files written into
/// the run folder first.
fn run_id_of(engine: &Fake, input: &Path, config: &Config, files: &[(&str, &str)]) -> String {
    let out = tempfile::tempdir().unwrap();
    for (name, text) in files {
        std::fs::write(out.path().join(name), text).unwrap();
    }
    let ing = ingest(&Source::Directory(input.to_owned()), config, None).unwrap();
    let scanner = load_rules(config, out.path()).unwrap();
    process(engine, &scanner, &ing, config, out.path(), None, 2, &progress::Silent).unwrap();
    let inputs = scoring_inputs(config, out.path()).unwrap();
    let part = read_partition(out.path()).unwrap();
    write_reports(&[part], config, &inputs, &out.path().join("reports")).unwrap().meta.run_id
}

/// A copy of a folder's files.
fn copy_dir(from: &Path) -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let p = e.unwrap().path();
        std::fs::copy(&p, d.path().join(p.file_name().unwrap())).unwrap();
    }
    d
}

#[test]
fn the_run_id_changes_with_every_input() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let input = recordings();
    let engine = Fake::new();
    let config = Config::default();
    let base = run_id_of(&engine, input.path(), &config, &[]);
    assert_eq!(run_id_of(&engine, input.path(), &config, &[]), base, "the same inputs give the same id");

    let mut ids: Vec<(&str, String)> = Vec::new();
    // A pack edit that keeps its version and every finding (a description).
    let pack = copy_dir(&root.join("rules/zh-cn"));
    let f = pack.path().join("metrics.toml");
    std::fs::write(&f, std::fs::read_to_string(&f).unwrap() + "\n# edited\n").unwrap();
    ids.push(("pack", run_id_of(&engine, input.path(), &Config { rules: Some(pack.path().to_owned()), ..Config::default() }, &[])));
    // A rubric edit that keeps its version.
    let rubric_dir = tempfile::tempdir().unwrap();
    let rubric = rubric_dir.path().join("rubric.toml");
    std::fs::write(&rubric, crate::score::rubric::DEFAULT_RUBRIC.to_owned() + "\n# edited\n").unwrap();
    ids.push(("rubric", run_id_of(&engine, input.path(), &Config { rubric: Some(rubric), ..Config::default() }, &[])));
    // The supervisors' files, each alone.
    let finding = {
        let out = tempfile::tempdir().unwrap();
        let ing = ingest(&Source::Directory(input.path().to_owned()), &config, None).unwrap();
        let scanner = load_rules(&config, out.path()).unwrap();
        process(&engine, &scanner, &ing, &config, out.path(), None, 2, &progress::Silent).unwrap();
        let text = std::fs::read_to_string(out.path().join("work/findings/c0002.findings.json")).unwrap();
        let file: crate::scan::FindingsFile = serde_json::from_str(&text).unwrap();
        file.findings[0].id.clone()
    };
    let review = format!("finding_id,verdict,reviewer,note\n{finding},reject,王芳,识别错误\n");
    ids.push(("reviews", run_id_of(&engine, input.path(), &config, &[("reviews.csv", &review)])));
    ids.push(("adjustments", run_id_of(&engine, input.path(), &config, &[("adjustments.csv", "agent_id,period,points,reason,by\nA1001,2026-11,2,顶班,李\n")])));
    ids.push(("bonuses", run_id_of(&engine, input.path(), &config, &[("bonuses.csv", "agent_id,period,item,by\nA1001,2026-11,extra_shift,李\n")])));
    ids.push(("staff", run_id_of(&engine, input.path(), &config, &[("staff.csv", "agent_id,hired_on\nA1001,2026-10-01\n")])));
    // Another model.
    let other = Fake { model: ModelRef { path: "other.bin".into(), sha256: "other".into() }, decoded: AtomicUsize::new(0) };
    ids.push(("model", run_id_of(&other, input.path(), &config, &[])));
    // Other audio under the same name.
    let audio = recordings();
    std::fs::copy(root.join("fixtures/audio/A1001_20261104-164031_c0004.wav"), audio.path().join("A1001_20261102-093015_c0001.wav")).unwrap();
    ids.push(("audio", run_id_of(&engine, audio.path(), &config, &[])));
    // Other metadata: the same recording started at another time.
    let meta = recordings();
    std::fs::rename(meta.path().join("A1001_20261102-093015_c0001.wav"), meta.path().join("A1001_20261102-093016_c0001.wav")).unwrap();
    ids.push(("metadata", run_id_of(&engine, meta.path(), &config, &[])));
    // Redacted texts are another report set.
    let mut redacted = Config::default();
    redacted.reports.redact = true;
    ids.push(("redaction", run_id_of(&engine, input.path(), &redacted, &[])));

    for (what, id) in &ids {
        assert_ne!(id, &base, "changing the {what} must change the run id");
    }
    let mut distinct: Vec<&String> = ids.iter().map(|(_, id)| id).collect();
    distinct.sort();
    distinct.dedup();
    assert_eq!(distinct.len(), ids.len(), "{ids:?}");
}

#[test]
fn work_rules_is_the_pack_the_run_used() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = tempfile::tempdir().unwrap();
    // A default run first, then one with a pack of a single rule file.
    load_rules(&Config::default(), out.path()).unwrap();
    assert!(out.path().join("work/rules/forbidden.toml").is_file());
    let pack = tempfile::tempdir().unwrap();
    for f in ["pack.toml", "greeting.toml"] {
        std::fs::copy(root.join("rules/zh-cn").join(f), pack.path().join(f)).unwrap();
    }
    let config = Config { rules: Some(pack.path().to_owned()), ..Config::default() };
    let scanner = load_rules(&config, out.path()).unwrap();
    let mut kept: Vec<String> =
        std::fs::read_dir(out.path().join("work/rules")).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    kept.sort();
    assert_eq!(kept, ["greeting.toml", "pack.toml"]);
    assert_eq!(std::fs::read(out.path().join("work/rules/greeting.toml")).unwrap(), std::fs::read(pack.path().join("greeting.toml")).unwrap());
    assert_eq!(crate::rules::load_pack(&out.path().join("work/rules")).unwrap().sha256(), scanner.pack().sha256());
}

#[test]
fn call_ids_that_would_be_paths_are_errors_not_files() {
    // A manifest naming real recordings under hostile ids: an absolute path, a climb out of
    // work/, a hidden name. Each is an errors row with file:line; nothing is written for it.
    let input = recordings();
    let out = tempfile::tempdir().unwrap();
    let outside = tempfile::tempdir().unwrap();
    let abs = outside.path().join("x");
    let m = input.path().join("manifest.csv");
    std::fs::write(
        &m,
        format!(
            "call_id,path,agent_id,started_at\n{},A1001_20261102-093015_c0001.wav,A1,2026-11-02T09:30:15+08:00\n../calls,A1001_20261102-093015_c0001.wav,A1,2026-11-02T09:30:15+08:00\n.h,A1001_20261102-093015_c0001.wav,A1,2026-11-02T09:30:15+08:00\nok1,A1002_20261102-140542_c0002.wav,A2,2026-11-02T14:05:42+08:00\n",
            abs.display()
        ),
    )
    .unwrap();
    let config = Config::default();
    let ing = ingest(&Source::Manifest(m.clone()), &config, None).unwrap();
    assert_eq!(ing.calls.iter().map(|c| c.call_id.as_str()).collect::<Vec<_>>(), ["ok1"]);
    assert_eq!(ing.errors.len(), 3, "{:?}", ing.errors);
    assert!(ing.errors.iter().all(|e| e.file.contains("manifest.csv:") && e.reason.contains("call id")), "{:?}", ing.errors);
    let engine = Fake::new();
    let scanner = load_rules(&config, out.path()).unwrap();
    process(&engine, &scanner, &ing, &config, out.path(), None, 2, &progress::Silent).unwrap();
    assert!(!outside.path().join("x.json").exists() && !outside.path().join("x.findings.json").exists());
    // work/calls.json is still the call list, not a transcript.
    let calls: Vec<crate::call::CallMeta> = serde_json::from_slice(&std::fs::read(out.path().join("work/calls.json")).unwrap()).unwrap();
    assert_eq!(calls.len(), 1);
}
