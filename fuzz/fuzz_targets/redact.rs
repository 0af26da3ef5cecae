//! `callqa::redact::redact` on arbitrary text. Checks what the module promises: no panic;
//! idempotence (`redact(redact(x)) == redact(x)`); no mainland mobile number left readable,
//! i.e. no `1[3-9]` followed by 9 more digits among the ASCII digits of the output (11 in a
//! row; the redactor reads longer runs for numbers run together, so any 11 in a row count).
#![no_main]

use callqa::redact::redact;
use libfuzzer_sys::fuzz_target;

fn readable_mobile(s: &str) -> Option<&str> {
    let b = s.as_bytes();
    (0..b.len().saturating_sub(10)).find_map(|i| {
        let w = &b[i..i + 11];
        (w.iter().all(u8::is_ascii_digit) && w[0] == b'1' && (b'3'..=b'9').contains(&w[1])).then(|| &s[i..i + 11])
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let once = redact(text);
    let twice = redact(&once);
    assert_eq!(once, twice, "not idempotent on {text:?}");
    if let Some(m) = readable_mobile(&once) {
        panic!("mobile number {m} left readable in {once:?} (input {text:?})");
    }
});
