//! Checks against the real Whisper base model that `models/fetch-base.sh` downloads.
//!
//! These fail (rather than skip) when the model is absent, so a CI run without the
//! download cannot pass silently.

use std::path::PathBuf;

use super::ggml::{GgmlModel, GgmlType};
use super::import::fixtures::expected_tensors;
use super::{QuantType, import_ct2, quantize};

/// The joined CTranslate2 directory fetch-base.sh leaves in models/cache.
fn ct2_base_dir() -> PathBuf {
    let dir = std::env::var_os("CALLQA_CT2_BASE")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("models/cache/ct2-base"));
    assert!(
        dir.join("model.bin").is_file(),
        "{} has no model.bin: run models/fetch-base.sh first (or set CALLQA_CT2_BASE)",
        dir.display()
    );
    dir
}

fn load_with_whisper_rs(path: &std::path::Path) {
    let ctx = whisper_rs::WhisperContext::new_with_params(
        path,
        whisper_rs::WhisperContextParameters::default(),
    )
    .unwrap_or_else(|e| panic!("whisper-rs failed to load {}: {e:?}", path.display()));
    assert_eq!(ctx.n_vocab(), 51865);
    assert!(ctx.is_multilingual());
}

#[test]
fn base_model_imports_with_whisper_cpp_layout_and_loads() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("ggml-base.bin");
    let report = import_ct2(&ct2_base_dir(), &out).unwrap();

    let h = report.hparams;
    assert_eq!(
        (h.n_vocab, h.n_audio_ctx, h.n_audio_state, h.n_audio_head, h.n_audio_layer),
        (51865, 1500, 512, 8, 6)
    );
    assert_eq!(
        (h.n_text_ctx, h.n_text_state, h.n_text_head, h.n_text_layer, h.n_mels, h.ftype),
        (448, 512, 8, 6, 80, 1)
    );
    assert_eq!(report.vocab_size, 50257);
    // whisper_model_load: 7 + 15 per encoder layer + 4 + 24 per decoder layer.
    assert_eq!(report.tensors, 7 + 15 * 6 + 4 + 24 * 6);

    let m = GgmlModel::read(&out).unwrap();
    let mut got: Vec<_> = m.tensors.iter().map(|t| (t.name.clone(), t.ne.clone(), t.ttype)).collect();
    got.sort();
    assert_eq!(got, expected_tensors(&m.hparams, GgmlType::F16));
    assert_eq!(m.vocab.len(), 50257);
    assert_eq!(m.vocab[220], b" ");
    assert_eq!(m.vocab[50256], b"");

    load_with_whisper_rs(&out);

    // Quantized to q8_0 it is smaller and still loads.
    let q8 = dir.path().join("ggml-base-q8_0.bin");
    let qr = quantize(&out, &q8, QuantType::Q8_0).unwrap();
    assert!(qr.bytes_written < report.bytes_written * 6 / 10, "{qr}");
    load_with_whisper_rs(&q8);
}
