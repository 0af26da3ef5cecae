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
