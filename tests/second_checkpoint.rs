//! The importer on a second real checkpoint of another shape: the CTranslate2 `tiny.en`
//! (4 layers, 384 wide, English only, 51,864 tokens) that `models/fetch-tiny-en.sh` fetches
//! and converts, transcribing an English clip spoken by espeak-ng (a Debian package, so the
//! clip is made here rather than downloaded). A mis-mapped tensor or vocabulary gives noise,
//! not these words. Without the model or espeak-ng this test fails in CI (`CI` set) and is
//! skipped, saying so, elsewhere.

use std::path::PathBuf;
use std::process::Command;

use callqa::transcript::Transcript;

const SAID: &str = "Thank you for calling. My name is Sarah. How can I help you today? \
                    I would like to check the status of my order, please.";

fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false" && v != "0")
}

fn skip_or_fail(why: String) {
    assert!(!in_ci(), "{why}");
    eprintln!("skipped: {why}");
}

fn words(s: &str) -> Vec<String> {
    s.split(|c: char| !c.is_alphanumeric() && c != '\'').filter(|w| !w.is_empty()).map(str::to_lowercase).collect()
}

/// Word edit distance over the reference's length.
fn wer(reference: &[String], hypothesis: &[String]) -> f64 {
    callqa::eval::cer::edit_distance(reference, hypothesis) as f64 / reference.len().max(1) as f64
}

#[test]
fn the_imported_tiny_en_checkpoint_transcribes_english() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let model = root.join("models/ggml-tiny.en.bin");
    if !model.is_file() {
        return skip_or_fail(format!("{} is missing: run models/fetch-tiny-en.sh", model.display()));
    }
    let dir = tempfile::tempdir().unwrap();
    let clip = dir.path().join("english.wav");
    match Command::new("espeak-ng").args(["-v", "en-us", "-s", "140", "-w"]).arg(&clip).arg(SAID).output() {
        Ok(o) if o.status.success() => {}
        Ok(o) => panic!("espeak-ng failed: {}", String::from_utf8_lossy(&o.stderr)),
        Err(e) => return skip_or_fail(format!("espeak-ng could not run ({e}): apt-get install espeak-ng")),
    }

    let info = Command::new(env!("CARGO_BIN_EXE_callqa")).args(["model", "info"]).arg(&model).output().unwrap();
    let info = String::from_utf8_lossy(&info.stdout);
    assert!(info.contains("tiny.en") && info.contains("English only") && info.contains("mel bins:      80"), "{info}");

    let out = dir.path().join("out");
    // 22.05 kHz mono PCM from espeak-ng: the resampler is on the path too.
    let o = Command::new(env!("CARGO_BIN_EXE_callqa"))
        .args(["transcribe", clip.to_str().unwrap(), "--language", "en", "--out", out.to_str().unwrap(), "--model"])
        .arg(&model)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let t = Transcript::read(&out.join("english.json")).unwrap();
    let text: String = t.segments.iter().map(|s| format!("{} ", s.text)).collect();
    let rate = wer(&words(SAID), &words(&text));
    eprintln!("tiny.en: WER {rate:.3}: {text}");
    // Measured 2026-12-07: 0.000 (every word). A little room for SIMD differences between CPUs.
    assert!(rate <= 0.15, "WER {rate:.3} > 0.15: {text}");
}
