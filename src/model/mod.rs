//! Model weights: import CTranslate2 Whisper models into whisper.cpp's ggml format, quantize.
//!
//! No model hub is reachable from where callqa is built, but the multilingual Whisper base
//! model is available in CTranslate2 (faster-whisper) format. [`import_ct2`] converts it to the
//! ggml file whisper.cpp loads, in pure Rust; [`quantize`] shrinks such a file the way
//! whisper.cpp's `quantize` tool does. One job per submodule:
//! [`ct2`] reads `model.bin`, [`ggml`] reads and writes ggml files, [`mel`] computes the mel
//! filterbank, [`vocab`] decodes the tokenizer, [`import`] maps one onto the other.

mod bytes;
pub mod ct2;
pub mod error;
pub mod ggml;
pub mod import;
pub mod info;
pub mod mel;
pub mod quantize;
pub mod vocab;

pub use error::{ImportError, QuantError};
pub use ggml::Hparams;
pub use import::{ImportReport, import_ct2};
pub use info::{ModelInfo, info};
pub use quantize::{QuantReport, QuantType, quantize};

#[cfg(test)]
mod real_model_tests;
