//! `callqa model info`: what a ggml Whisper model file is, read from its header alone (a
//! large model is gigabytes; only the 48 header bytes are parsed, and the file is hashed as it
//! streams by), so that a site can tell which model a transcript was made with and what it costs.

use std::fmt;
use std::io::Read;
use std::path::{Path, PathBuf};

use super::ggml::{GGML_MAGIC, GGML_QNT_VERSION_FACTOR, Hparams};
use super::ImportError;

/// A model file's identity and shape.
#[derive(Clone, Debug, PartialEq)]
pub struct ModelInfo {
    pub path: PathBuf,
    pub bytes: u64,
    pub hparams: Hparams,
    pub sha256: String,
}

/// Reads `path`'s header and hashes it; a file that is not a ggml Whisper model is an error
/// saying what it is not.
pub fn info(path: &Path) -> Result<ModelInfo, ImportError> {
    let bad = |reason: String| ImportError::BadHeader { path: path.to_owned(), reason };
    if path.is_dir() {
        return Err(bad("a directory: for a CTranslate2 model, convert it first with `callqa model import DIR --out FILE`".into()));
    }
    let mut f = std::fs::File::open(path).map_err(|e| ImportError::io(path, e))?;
    let mut head = [0u8; 48];
    f.read_exact(&mut head).map_err(|_| bad("shorter than a ggml header (48 bytes)".into()))?;
    let word = |i: usize| i32::from_le_bytes([head[4 * i], head[4 * i + 1], head[4 * i + 2], head[4 * i + 3]]);
    if word(0) as u32 != GGML_MAGIC {
        return Err(bad(format!("magic {:#010x}, expected {GGML_MAGIC:#010x} (\"ggml\"): not a whisper.cpp model", word(0) as u32)));
    }
    let hparams = Hparams::from_fields(std::array::from_fn(|i| word(i + 1)));
    let bytes = f.metadata().map_err(|e| ImportError::io(path, e))?.len();
    let sha256 = crate::fsutil::sha256_file(path).map_err(|e| ImportError::io(path, e))?;
    Ok(ModelInfo { path: path.to_owned(), bytes, hparams, sha256 })
}

impl ModelInfo {
    /// The Whisper size these dimensions are (`base`, `large-v3-turbo`, …), or `custom`.
    pub fn size(&self) -> &'static str {
        let h = &self.hparams;
        let en = self.english_only();
        match (h.n_audio_layer, h.n_audio_state) {
            (4, 384) => if en { "tiny.en" } else { "tiny" },
            (6, 512) => if en { "base.en" } else { "base" },
            (12, 768) => if en { "small.en" } else { "small" },
            (24, 1024) => if en { "medium.en" } else { "medium" },
            (32, 1280) if h.n_mels == 128 && h.n_text_layer == 4 => "large-v3-turbo",
            (32, 1280) if h.n_mels == 128 => "large-v3",
            (32, 1280) => "large (v1 or v2)",
            _ => "custom",
        }
    }

    /// Whisper's English-only models have a smaller vocabulary (51,864 tokens).
    pub fn english_only(&self) -> bool {
        self.hparams.n_vocab < 51_865
    }

    /// The big matrices' storage (`f16`, `q8_0`, …), from the header's `ftype`.
    pub fn quantisation(&self) -> String {
        match self.hparams.ftype % GGML_QNT_VERSION_FACTOR {
            0 => "f32".into(),
            1 => "f16".into(),
            2 => "q4_0".into(),
            3 => "q4_1".into(),
            7 => "q8_0".into(),
            8 => "q5_0".into(),
            9 => "q5_1".into(),
            10 => "q2_k".into(),
            11 => "q3_k".into(),
            12 => "q4_k".into(),
            13 => "q5_k".into(),
            14 => "q6_k".into(),
            other => format!("ftype {other}"),
        }
    }
}

impl fmt::Display for ModelInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let h = &self.hparams;
        writeln!(f, "file:          {} ({:.1} MB)", self.path.display(), self.bytes as f64 / 1e6)?;
        writeln!(f, "kind:          whisper.cpp ggml Whisper model")?;
        writeln!(
            f,
            "size:          {} ({} encoder and {} decoder layers, {} wide, {} heads)",
            self.size(),
            h.n_audio_layer,
            h.n_text_layer,
            h.n_audio_state,
            h.n_audio_head
        )?;
        let langs = if self.english_only() { "English only" } else { "multilingual (Mandarin included)" };
        writeln!(f, "languages:     {langs} ({} tokens)", h.n_vocab)?;
        writeln!(f, "mel bins:      {}", h.n_mels)?;
        writeln!(f, "quantisation:  {}", self.quantisation())?;
        write!(f, "sha256:        {}", self.sha256)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::import::fixtures::*;

    #[test]
    fn a_converted_model_reads_back_with_its_shape() {
        let dir = tempfile::tempdir().unwrap();
        write_ct2_dir(&dir.path().join("ct2"), &tiny_variables_with_mels(128));
        let out = dir.path().join("m.bin");
        crate::model::import_ct2(&dir.path().join("ct2"), &out).unwrap();
        let i = info(&out).unwrap();
        assert_eq!((i.hparams.n_mels, i.quantisation().as_str(), i.size()), (128, "f16", "custom"));
        assert_eq!(i.sha256, crate::fsutil::sha256_file(&out).unwrap());
        assert!(i.english_only(), "the tiny fixture's 12-token vocabulary");
        assert!(i.to_string().contains("mel bins:      128"), "{i}");
    }

    #[test]
    fn sizes_by_their_dimensions() {
        let mut i = ModelInfo {
            path: "m".into(),
            bytes: 0,
            hparams: Hparams {
                n_vocab: 51_866,
                n_audio_ctx: 1500,
                n_audio_state: 1280,
                n_audio_head: 20,
                n_audio_layer: 32,
                n_text_ctx: 448,
                n_text_state: 1280,
                n_text_head: 20,
                n_text_layer: 4,
                n_mels: 128,
                ftype: 2007,
            },
            sha256: String::new(),
        };
        assert_eq!((i.size(), i.quantisation().as_str()), ("large-v3-turbo", "q8_0"));
        i.hparams.n_text_layer = 32;
        assert_eq!(i.size(), "large-v3");
        (i.hparams.n_audio_layer, i.hparams.n_audio_state, i.hparams.n_vocab, i.hparams.n_mels) = (4, 384, 51_864, 80);
        assert_eq!(i.size(), "tiny.en");
    }

    #[test]
    fn not_a_model_says_so() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x.bin");
        std::fs::write(&p, [0u8; 64]).unwrap();
        assert!(info(&p).unwrap_err().to_string().contains("not a whisper.cpp model"));
        assert!(info(dir.path()).unwrap_err().to_string().contains("callqa model import"));
    }
}
