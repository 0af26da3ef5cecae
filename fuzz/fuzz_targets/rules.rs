//! The rule pack and rubric loaders, as `callqa rules check` runs them, on arbitrary text.
//!
//! Input: `pack.toml` NUL `rules.toml` NUL `rubric.toml` (missing parts are empty files). The
//! pack has no text-level loader, so the two pack files are written into a temporary folder
//! (one per process, overwritten on each input) and read by `load_pack`; a pack that loads is
//! compiled into a `Scanner` and scans a fixture transcript, as a run would. The rubric is
//! read by `Rubric::from_str`. Checks: no panic, no hang.
#![no_main]

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use callqa::rules::load_pack;
use callqa::scan::Scanner;
use callqa::score::Rubric;
use callqa::transcript::Transcript;
use libfuzzer_sys::fuzz_target;

fn pack_dir() -> &'static PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let d = std::env::temp_dir().join(format!("callqa-fuzz-rules-{}", std::process::id()));
        std::fs::create_dir_all(&d).unwrap();
        d
    })
}

fn transcript() -> &'static Transcript {
    static T: OnceLock<Transcript> = OnceLock::new();
    T.get_or_init(|| serde_json::from_str(include_str!("../../fixtures/transcripts/G004_situations.json")).unwrap())
}

fuzz_target!(|data: &[u8]| {
    let mut parts = data.splitn(3, |b| *b == 0);
    let (meta, rules, rubric) = (parts.next().unwrap_or(b""), parts.next().unwrap_or(b""), parts.next().unwrap_or(b""));
    let dir = pack_dir();
    std::fs::write(dir.join("pack.toml"), meta).unwrap();
    std::fs::write(dir.join("rules.toml"), rules).unwrap();
    if let Ok(pack) = load_pack(dir) {
        let _ = pack.sha256();
        let _ = pack.shared_phrases();
        if let Ok(scanner) = Scanner::new(pack) {
            let _ = scanner.scan(transcript());
        }
    }
    if let Ok(text) = std::str::from_utf8(rubric) {
        if let Ok(r) = Rubric::from_str(text, Path::new("rubric.toml")) {
            let _ = r.period.coverage.describe();
            for score in [-1.0, 0.0, 59.5, 60.0, 100.0, 1e9, f64::NAN] {
                let _ = r.grade(score);
            }
        }
    }
});
