//! The scoring side's CSV readers on arbitrary text: reviews (`Reviews::from_str`),
//! adjustments and bonuses (`Adjustments::from_str`, `Bonuses::from_str`, against the
//! embedded rubric) and staff (`Staff::from_str`). The first byte picks the reader (all four
//! when it is none of `r`, `a`, `b`, `s`); the rest is the file. Checks: no panic; what loads
//! can be queried.
#![no_main]

use std::path::Path;
use std::sync::OnceLock;

use callqa::score::{Adjustments, Bonuses, Reviews, Rubric, Staff};
use libfuzzer_sys::fuzz_target;

fn rubric() -> &'static Rubric {
    static R: OnceLock<Rubric> = OnceLock::new();
    R.get_or_init(Rubric::default_embedded)
}

fuzz_target!(|data: &[u8]| {
    let Some((&which, rest)) = data.split_first() else { return };
    let Ok(text) = std::str::from_utf8(rest) else { return };
    let all = !b"rabs".contains(&which);
    if all || which == b'r' {
        if let Ok(r) = Reviews::from_str(text, Path::new("reviews.csv")) {
            let _ = r.len();
            let _ = r.unknown(&|id: &str| id.len() % 2 == 0);
            for line in text.lines() {
                let id = line.split(',').next().unwrap_or("");
                let _ = r.decision(id);
                let _ = r.audit(id);
            }
        }
    }
    if all || which == b'a' {
        if let Ok(a) = Adjustments::from_str(text, Path::new("adjustments.csv"), rubric()) {
            let _ = a.get("A1001", "2026-11");
        }
    }
    if all || which == b'b' {
        if let Ok(b) = Bonuses::from_str(text, Path::new("bonuses.csv"), rubric()) {
            let _ = b.get("A1001", "2026-11");
        }
    }
    if all || which == b's' {
        if let Ok(s) = Staff::from_str(text, Path::new("staff.csv")) {
            let period = callqa::score::Period::parse("2026-11").unwrap();
            for line in text.lines() {
                let id = line.split(',').next().unwrap_or("");
                let _ = s.hired_on(id);
                for months in [0, 3, u32::MAX] {
                    let _ = s.in_grace(id, &period, months);
                }
            }
        }
    }
});
