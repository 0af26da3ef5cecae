//! End-to-end through the real binary with the base model (`models/fetch-base.sh`):
//! - the nightly batch on the whole fixture corpus, with the corrupt and the empty recording
//!   landing in `errors` and everything else scored; `callqa eval` against the labels;
//! - a run killed with SIGKILL mid-way, then resumed, gives the same reports as an
//!   uninterrupted run, and so do two shards merged.
//!
//! The two tests each keep both cores busy, so they take turns (a lock) rather than slow each
//! other down.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

static CORES: Mutex<()> = Mutex::new(());

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn model() -> PathBuf {
    let m = std::env::var_os("CALLQA_MODEL").map(PathBuf::from).unwrap_or_else(|| root().join("models/ggml-base-q8_0.bin"));
    assert!(m.is_file(), "{} is missing: run models/fetch-base.sh first (README, 'Set up')", m.display());
    m
}

fn command(args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_callqa"));
    c.args(args).current_dir(root()).env("CALLQA_MODEL", model());
    c
}

fn callqa(args: &[&str]) -> Output {
    command(args).output().expect("runs callqa")
}

fn text(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// Every CSV of a report set, and its run id: what must be equal between two runs.
fn report_files(reports: &Path) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = ["calls", "segments", "findings", "scorecards", "errors"]
        .iter()
        .map(|n| {
            let csv = std::fs::read_to_string(reports.join(format!("{n}.csv"))).unwrap_or_else(|e| panic!("{n}.csv: {e}"));
            (n.to_string(), csv)
        })
        .collect();
    let meta = callqa::report::read_meta(reports).unwrap().1;
    v.push(("run_id".into(), meta.run_id));
    v
}

/// Panics naming the first differing line of the first differing file (not the whole set).
fn assert_same_reports(got: &[(String, String)], want: &[(String, String)], what: &str) {
    for ((name, a), (_, b)) in got.iter().zip(want) {
        if a != b {
            let diff = a.lines().zip(b.lines()).enumerate().find(|(_, (x, y))| x != y);
            match diff {
                Some((i, (x, y))) => panic!("{what}: {name} differs at line {}:\n  got  {x}\n  want {y}", i + 1),
                None => panic!("{what}: {name} has {} lines, want {}", a.lines().count(), b.lines().count()),
            }
        }
    }
}

#[test]
fn the_nightly_batch_runs_the_fixture_corpus_and_eval_reads_it() {
    let _turn = CORES.lock().unwrap_or_else(|e| e.into_inner());
    let out = tempfile::tempdir().unwrap();
    let o = callqa(&["run", "--manifest", "fixtures/audio/manifest.csv", "--out", s(out.path()), "--jobs", "2", "--threads", "1"]);
    // The corpus holds a corrupt and an empty recording on purpose: exit 1, listed in errors.
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let log = text(&o);
    assert!(log.contains("audio-h per h") && log.contains("reports in"), "{log}");
    let (meta, tables) = callqa::report::read(out.path()).unwrap();
    let manifest_rows = std::fs::read_to_string(root().join("fixtures/audio/manifest.csv")).unwrap().lines().count() - 1;
    assert_eq!(tables.calls.len() + tables.errors.len(), manifest_rows, "{:?}", tables.errors);
    assert_eq!(tables.errors.len(), 2, "{:?}", tables.errors);
    assert!(tables.errors.iter().all(|e| e.stage == "transcribe"), "{:?}", tables.errors);
    assert!(tables.scorecards.iter().any(|c| c.period == "2026-12") && tables.scorecards.iter().any(|c| c.period == "2026-11"));
    assert_eq!(meta.pack, "zh-cn");
    // Full coverage: in November the mostly compliant agents pass the month (王芳: four clean
    // calls and one with three 忌语; 陈静: one clean call, one missing greeting, one too fast) and
    // the rude ones fail (fixtures/audio/README.md). Before coverage-aware scoring five of six failed.
    let month = |agent: &str| tables.scorecards.iter().find(|c| c.agent_id == agent && c.period == "2026-11").unwrap();
    for passes in ["A1001", "A1005"] {
        let c = month(passes);
        assert!(!c.failed && c.score >= 60.0 && c.pay_period, "{passes} should pass November: {c:?}");
    }
    for fails in ["A1002", "A1003", "A1004", "A1006"] {
        let c = month(fails);
        assert!(c.failed, "{fails} should fail November: {c:?}");
    }
    // Days and weeks are views: no grade, no pay.
    assert!(tables.scorecards.iter().filter(|c| c.period_kind != "month").all(|c| !c.pay_period && c.pay_float.is_none() && c.grade.is_empty()));
    let summary: serde_json::Value = serde_json::from_slice(&std::fs::read(out.path().join("run.json")).unwrap()).unwrap();
    assert!(summary["outside_transcription_ms"].as_u64().unwrap() < summary["wall_ms"].as_u64().unwrap());

    let o = callqa(&["eval", "--labels", "fixtures/labels.csv", "--reports", s(out.path())]);
    assert!(o.status.success(), "{}", text(&o));
    let report = text(&o);
    println!("{report}");
    let overall = report.lines().find(|l| l.trim_start().starts_with("overall")).unwrap_or_else(|| panic!("{report}"));
    let nums: Vec<f64> = overall.split_whitespace().filter_map(|w| w.parse().ok()).collect();
    // Columns: labels, findings, matched, precision, recall, F1 (see EvalReport's Display).
    assert!(nums.len() >= 6, "{overall}");
    let (precision, recall) = (nums[nums.len() - 3], nums[nums.len() - 2]);
    // Floors under the measured figures (benches/README.md, "Accuracy of the findings"): a regression of a few findings
    // trips them.
    assert!(precision >= MIN_PRECISION && recall >= MIN_RECALL, "precision {precision} recall {recall}\n{report}");
}

/// See benches/README.md, "Accuracy of the findings": measured 0.95 and 0.92 (pack 2026.11.23-4, base
/// model; the target is 0.95 / 0.90), less a margin of about two findings for
/// whisper.cpp's SIMD paths differing between CPUs.
const MIN_PRECISION: f64 = 0.93;
const MIN_RECALL: f64 = 0.90;

/// Four short calls, the corrupt and the empty recording, copied to a folder of their own.
fn small_corpus() -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    let fx = root().join("fixtures/audio");
    let mut names: Vec<String> = std::fs::read_dir(&fx)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| ["_c0002.wav", "_c0003.wav", "_c0005.wav", "_c0006.wav"].iter().any(|c| n.ends_with(c)))
        .collect();
    names.sort();
    assert_eq!(names.len(), 4, "{names:?}");
    for n in names {
        std::fs::copy(fx.join(&n), d.path().join(&n)).unwrap();
    }
    std::fs::write(d.path().join("A1009_20261201-100000_c9001.wav"), b"").unwrap();
    std::fs::write(d.path().join("A1009_20261201-110000_c9002.wav"), b"RIFF\x24\x00\x00\x00WAVEfmt \x10\x00\x00\x00garbage").unwrap();
    // These four are agent-left, as the folder says (the corrupt and empty ones fail first).
    std::fs::write(d.path().join("callqa-layout.txt"), "agent-left\n").unwrap();
    // A recording whose name fits no pattern: an errors row, and named on stderr.
    std::fs::copy(fx.join("A1002_20261102-140542_c0002.wav"), d.path().join("notes.wav")).unwrap();
    d
}

#[test]
fn a_killed_run_resumes_and_shards_merge_to_the_reports_of_one_run() {
    let _turn = CORES.lock().unwrap_or_else(|e| e.into_inner());
    let input = small_corpus();
    let base = ["--input", s(input.path()), "--jobs", "1", "--threads", "2"];

    // The reference: one uninterrupted run.
    let whole = tempfile::tempdir().unwrap();
    let o = callqa(&[&["run", "--out", s(whole.path())][..], &base[..]].concat());
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("FAILED ") && text(&o).contains("notes.wav: the file name does not match the pattern"), "{}", text(&o));
    let reference = report_files(&whole.path().join("reports"));
    // A second run has nothing to transcribe: it says so, and keeps both runs' records.
    let o = callqa(&[&["run", "--out", s(whole.path())][..], &base[..]].concat());
    assert!(text(&o).contains("transcripts up to date"), "{}", text(&o));
    let runs = std::fs::read_to_string(whole.path().join("runs.jsonl")).unwrap();
    assert_eq!(runs.lines().count(), 2, "{runs}");

    // Transcription is tested above and in transcribe_e2e; what follows tests resuming and
    // merging, so it starts from the reference's transcripts where it can (each is current:
    // same audio, model and settings) instead of decoding the corpus twice more.
    let made: Vec<PathBuf> = {
        let mut v: Vec<PathBuf> = std::fs::read_dir(whole.path().join("work/transcripts")).unwrap().map(|e| e.unwrap().path()).collect();
        v.sort();
        v
    };
    assert_eq!(made.len(), 4, "{made:?}");
    let seed = |dir: &Path, files: &[PathBuf]| {
        let t = dir.join("work/transcripts");
        std::fs::create_dir_all(&t).unwrap();
        for f in files {
            std::fs::copy(f, t.join(f.file_name().unwrap())).unwrap();
        }
    };

    // Killed with SIGKILL once a transcript of its own is on disk (it starts with two of the
    // four done), then run again: it decodes only the rest.
    let killed = tempfile::tempdir().unwrap();
    seed(killed.path(), &made[..2]);
    let mut child = command(&[&["run", "--out", s(killed.path())][..], &base[..]].concat())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let transcripts = killed.path().join("work/transcripts");
    let deadline = Instant::now() + Duration::from_secs(300);
    loop {
        let done = std::fs::read_dir(&transcripts).map(|d| d.filter_map(|e| e.ok()).filter(|e| e.path().extension().is_some_and(|x| x == "json")).count()).unwrap_or(0);
        if done >= 3 || Instant::now() > deadline {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    child.kill().unwrap(); // SIGKILL on Unix: no chance to clean up.
    child.wait().unwrap();
    assert!(!killed.path().join("reports/report.json").exists(), "the run was killed before it finished");
    let o = callqa(&[&["run", "--out", s(killed.path())][..], &base[..]].concat());
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("already transcribed"), "the resumed run redid finished calls: {}", text(&o));
    assert_same_reports(&report_files(&killed.path().join("reports")), &reference, "resumed run");

    // Two shards, merged (each finds its calls' transcripts done).
    let sharded = tempfile::tempdir().unwrap();
    let mut owned = 0;
    for shard in ["0/2", "1/2"] {
        seed(&sharded.path().join(format!("shard-{}-of-2", &shard[..1])), &made);
        let o = callqa(&[&["run", "--out", s(sharded.path()), "--shard", shard][..], &base[..]].concat());
        assert!(o.status.code() == Some(0) || o.status.code() == Some(1), "{}", text(&o));
        let st: serde_json::Value =
            serde_json::from_slice(&std::fs::read(sharded.path().join(format!("shard-{}-of-2/work/status.json", &shard[..1]))).unwrap()).unwrap();
        owned += st["calls"].as_array().unwrap().len() + st["ingest_errors"].as_array().unwrap().len();
    }
    assert_eq!(owned, 7, "every recording belongs to exactly one shard");
    let merged = sharded.path().join("merged");
    let o = callqa(&["merge", s(sharded.path()), "--out", s(&merged)]);
    assert_eq!(o.status.code(), Some(1), "the merged set lists the two bad files: {}", text(&o));
    assert_same_reports(&report_files(&merged.join("reports")), &reference, "merged shards");

    // Merging an incomplete split is refused.
    let o = callqa(&["merge", s(&sharded.path().join("shard-0-of-2")), "--out", s(&sharded.path().join("m2"))]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).contains("1/2") && text(&o).contains("missing"), "{}", text(&o));
}

/// A 1 kHz stereo recording of nearly four hours is 29 MB on disk but needs about 2 GB once
/// resampled to 16 kHz: a batch run under `prlimit --as` (a memory limit, as a shared node sets
/// one) fails that call alone, with an errors row, and scores the other. With a lower
/// `--max-call-minutes` the same file is refused from its header, before any sample is read.
#[test]
fn a_poison_recording_under_a_memory_limit_fails_alone() {
    let _turn = CORES.lock().unwrap_or_else(|e| e.into_inner());
    let input = tempfile::tempdir().unwrap();
    std::fs::copy(root().join("fixtures/audio/A1001_20261102-093015_c0001.wav"), input.path().join("A1001_20261102-093015_c0001.wav")).unwrap();
    let seconds: u32 = 4 * 3600 - 60;
    let n = 2 * 1000 * seconds;
    let mut wav = b"RIFF".to_vec();
    wav.extend_from_slice(&(36 + n).to_le_bytes());
    wav.extend_from_slice(b"WAVEfmt \x10\x00\x00\x00");
    // µ-law, 2 channels, 1000 Hz, 2000 bytes/s, block align 2, 8 bits.
    wav.extend_from_slice(&[7, 0, 2, 0, 0xE8, 3, 0, 0, 0xD0, 7, 0, 0, 2, 0, 8, 0]);
    wav.extend_from_slice(b"data");
    wav.extend_from_slice(&n.to_le_bytes());
    wav.resize(wav.len() + n as usize, 0xFF);
    std::fs::write(input.path().join("A1009_20261201-100000_c9003.wav"), &wav).unwrap();
    std::fs::write(input.path().join("callqa-layout.txt"), "agent-left\n").unwrap();

    let out = tempfile::tempdir().unwrap();
    // whisper.cpp, the model and mimalloc's arena take about 2.1 GB of address space; the
    // poison file would need 2 GB more.
    let o = Command::new("prlimit")
        .arg(format!("--as={}", 3200u64 << 20))
        .arg(env!("CARGO_BIN_EXE_callqa"))
        .args(["run", "--input", s(input.path()), "--out", s(out.path()), "--jobs", "1", "--threads", "2"])
        .current_dir(root())
        .env("CALLQA_MODEL", model())
        .output()
        .expect("runs prlimit (util-linux)");
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let (_, tables) = callqa::report::read(out.path()).unwrap();
    assert_eq!(tables.calls.iter().map(|c| c.call_id.as_str()).collect::<Vec<_>>(), ["c0001"], "{}", text(&o));
    assert_eq!(tables.errors.len(), 1, "{:?}", tables.errors);
    assert!(tables.errors[0].call_id.as_deref() == Some("c9003") && tables.errors[0].reason.contains("not enough memory"), "{:?}", tables.errors);

    let o = callqa(&["run", "--input", s(input.path()), "--out", s(out.path()), "--max-call-minutes", "60"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let (_, tables) = callqa::report::read(out.path()).unwrap();
    assert!(tables.errors[0].reason.contains("239.0 min long, over the limit of 60.0 min (max_call_minutes)"), "{:?}", tables.errors);

    // Without the folder's layout file nothing says which channel is the agent: the stereo
    // recording is an errors row, not a guess.
    std::fs::remove_file(input.path().join("callqa-layout.txt")).unwrap();
    let o = callqa(&["run", "--input", s(input.path()), "--out", s(out.path())]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let (_, tables) = callqa::report::read(out.path()).unwrap();
    assert!(tables.calls.is_empty(), "{:?}", tables.calls);
    let e = tables.errors.iter().find(|e| e.call_id.as_deref() == Some("c0001")).unwrap();
    assert!(e.reason.contains("stereo recording with no channel layout") && e.reason.contains("callqa-layout.txt"), "{e:?}");
}
