//! The house reads one way: every top-level module of the library may use only the modules
//! before it in the pipeline order below, never one after it. The test reads each module's
//! source (outside `#[cfg(test)]`) for `crate::NAME` paths and checks every edge.
//!
//! There are no exceptions: a type two stages share belongs in the core (`shared`, and the
//! transcript model), not in the later stage. A second test keeps the scan and scoring free
//! of the audio and Whisper stages, even indirectly.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// The pipeline order: the core (shared words, file helpers, call metadata, the transcript
/// model) first, then ingest → transcribe → scan → score → report, then what drives them.
const ORDER: &[&str] = &[
    "shared", "fsutil", "redact", "call", "transcript", "finding", "ingest", "audio", "model", "asr", "transcribe", "rules", "scan", "score", "report",
    "eval", "config", "batch",
];

fn module_files(src: &Path, name: &str) -> Vec<PathBuf> {
    let dir = src.join(name);
    if dir.is_dir() {
        let mut out = Vec::new();
        let mut stack = vec![dir];
        while let Some(d) = stack.pop() {
            for e in std::fs::read_dir(&d).unwrap() {
                let p = e.unwrap().path();
                if p.is_dir() {
                    stack.push(p);
                } else if p.extension().is_some_and(|x| x == "rs") && !p.file_name().is_some_and(|f| f == "tests.rs" || f.to_string_lossy().ends_with("_tests.rs")) {
                    out.push(p);
                }
            }
        }
        out
    } else {
        vec![src.join(format!("{name}.rs"))]
    }
}

/// The `crate::NAME` paths of `text` before its first `#[cfg(test)]`.
fn uses(text: &str) -> BTreeSet<String> {
    let code = &text[..text.find("#[cfg(test)]").unwrap_or(text.len())];
    let mut out = BTreeSet::new();
    let mut rest = code;
    while let Some(i) = rest.find("crate::") {
        rest = &rest[i + 7..];
        let name: String = rest.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
        out.insert(name);
    }
    out
}

#[test]
fn modules_only_use_the_ones_before_them() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let lib = std::fs::read_to_string(src.join("lib.rs")).unwrap();
    let declared: BTreeSet<String> = lib.lines().filter_map(|l| l.trim().strip_prefix("pub mod ")).map(|m| m.trim_end_matches(';').to_owned()).collect();
    let ordered: BTreeSet<String> = ORDER.iter().map(|m| m.to_string()).collect();
    assert_eq!(declared, ordered, "every module of lib.rs has a place in ORDER");

    let mut backward = BTreeSet::new();
    for (rank, m) in ORDER.iter().enumerate() {
        for f in module_files(&src, m) {
            for used in uses(&std::fs::read_to_string(&f).unwrap()) {
                match ORDER.iter().position(|o| *o == used) {
                    Some(r) if r > rank => {
                        backward.insert((m.to_string(), used));
                    }
                    _ => {}
                }
            }
        }
    }
    assert!(backward.is_empty(), "modules using later ones (move the shared type to an earlier module): {backward:?}");
}

/// The modules `name` uses, directly or through others.
fn reach(src: &Path, name: &str) -> BTreeSet<String> {
    let mut seen = BTreeSet::new();
    let mut todo = vec![name.to_owned()];
    while let Some(m) = todo.pop() {
        for f in module_files(src, &m) {
            for used in uses(&std::fs::read_to_string(&f).unwrap()) {
                if ORDER.contains(&used.as_str()) && used != m && seen.insert(used.clone()) {
                    todo.push(used);
                }
            }
        }
    }
    seen
}

/// The scan and scoring read transcripts; they must build without the audio decoder, the
/// Whisper stage or the model files, so that they can be tested and changed on their own.
#[test]
fn scan_and_score_do_not_reach_audio_or_whisper() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    for stage in ["rules", "scan", "score"] {
        let r = reach(&src, stage);
        let bad: Vec<&str> = ["audio", "asr", "model", "transcribe", "ingest"].into_iter().filter(|m| r.contains(*m)).collect();
        assert!(bad.is_empty(), "{stage} reaches {bad:?} (through {r:?})");
    }
}
