//! Ingest's text inputs: the file-name pattern parser and matcher (`Pattern::parse`,
//! `Pattern::match_name`), and the manifest CSV reader (`ingest::from_manifest`).
//!
//! Input: `pattern` NUL `file name` NUL `manifest.csv`. The manifest reader takes a path, so
//! the CSV is written to a temporary folder (one per process, overwritten on each input),
//! beside one empty `a.wav` that rows may name. Checks: no panic, no hang; a matched name
//! yields the fields every pattern must hold.
#![no_main]

use std::path::PathBuf;
use std::sync::OnceLock;

use callqa::ingest::{from_manifest, parse_instant};
use callqa::ingest::pattern::{DEFAULT_PATTERN, Pattern};
use jiff::tz::TimeZone;
use libfuzzer_sys::fuzz_target;

fn dir() -> &'static PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let d = std::env::temp_dir().join(format!("callqa-fuzz-manifest-{}", std::process::id()));
        std::fs::create_dir_all(&d).unwrap();
        std::fs::write(d.join("a.wav"), b"").unwrap();
        d
    })
}

fn tz() -> &'static TimeZone {
    static TZ: OnceLock<TimeZone> = OnceLock::new();
    TZ.get_or_init(|| TimeZone::get("Asia/Shanghai").unwrap())
}

fuzz_target!(|data: &[u8]| {
    let mut parts = data.splitn(3, |b| *b == 0);
    let (pattern, name, manifest) = (parts.next().unwrap_or(b""), parts.next().unwrap_or(b""), parts.next().unwrap_or(b""));
    if let (Ok(pattern), Ok(name)) = (std::str::from_utf8(pattern), std::str::from_utf8(name)) {
        let default = Pattern::parse(DEFAULT_PATTERN).unwrap();
        for p in [Pattern::parse(pattern).ok(), Some(default)].into_iter().flatten() {
            if let Some(f) = p.match_name(name) {
                assert!(f.agent_id.is_some() && f.call_id.is_some() && f.started_at.is_some(), "{p}: {name:?} gave {f:?}");
                let _ = f.started_at.unwrap().to_zoned(tz().clone());
            }
        }
        let _ = parse_instant(name, tz());
    }
    let path = dir().join("manifest.csv");
    std::fs::write(&path, manifest).unwrap();
    if let Ok(ing) = from_manifest(&path, tz(), None) {
        for c in &ing.calls {
            assert!(callqa::call::check_call_id(&c.call_id).is_ok(), "call id {:?} admitted", c.call_id);
        }
    }
});
