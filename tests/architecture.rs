//! The house reads one way: every top-level module of the library may use only the modules
//! before it in the pipeline order below, never one after it. The test reads each module's
//! source (outside `#[cfg(test)]`) for `crate::NAME` paths and checks every edge.
//!
//! Edges that still run against the order are listed in `DEBT`, each to be removed (issue 20:
//! shared types move to one core module). The list must be exact: a new backward edge fails the
//! test, and so does a listed one that is gone, so that the list only ever shrinks.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// The pipeline order: shared helpers first, then ingest → transcribe → scan → score → report,
/// then what drives them.
const ORDER: &[&str] = &[
    "shared", "fsutil", "redact", "call", "audio", "model", "asr", "transcript", "transcribe", "rules", "scan", "score", "report", "eval",
    "config", "batch",
];

/// Backward edges that exist today, with why they are still there.
const DEBT: &[(&str, &str)] = &[
    ("asr", "transcript"), // asr builds transcript segments, and transcript names asr's DecodeParams
    ("config", "batch"),   // the file-name pattern lives in batch
    ("report", "batch"),   // report reads run folders (Partition, Stage)
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
    let debt: BTreeSet<(String, String)> = DEBT.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect();
    let new: Vec<_> = backward.difference(&debt).collect();
    let paid: Vec<_> = debt.difference(&backward).collect();
    assert!(new.is_empty(), "modules using later ones (move the shared type to an earlier module): {new:?}");
    assert!(paid.is_empty(), "these edges are gone: remove them from DEBT: {paid:?}");
}
