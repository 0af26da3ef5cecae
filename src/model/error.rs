//! Typed errors for model import and quantization.
//!
//! Every variant names the file it is about, so a bad download or a wrong directory is
//! diagnosed from the message alone.

use std::path::PathBuf;

/// Why importing a CTranslate2 model (or reading/writing a ggml file) failed.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// A required input file does not exist.
    #[error("{}: missing file (expected a CTranslate2 Whisper model directory with model.bin and tokenizer.json)", path.display())]
    MissingFile { path: PathBuf },
    /// The operating system refused a read or write.
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The file ended before a complete value could be read.
    #[error("{}: truncated at byte {offset} while reading {what}", path.display())]
    Truncated {
        path: PathBuf,
        offset: u64,
        what: String,
    },
    /// The file's header is not what this format requires (magic, version, spec name).
    #[error("{}: bad header: {reason}", path.display())]
    BadHeader { path: PathBuf, reason: String },
    /// A variable or tensor this converter does not know about.
    #[error("{}: unexpected variable '{name}'", path.display())]
    UnexpectedVariable { path: PathBuf, name: String },
    /// A variable the target format needs is absent.
    #[error("{}: missing variable '{name}'", path.display())]
    MissingVariable { path: PathBuf, name: String },
    /// A variable has a shape other than the one the model dimensions imply.
    #[error("{}: variable '{name}' has shape {found:?}, expected {expected:?}", path.display())]
    ShapeMismatch {
        path: PathBuf,
        name: String,
        expected: Vec<usize>,
        found: Vec<usize>,
    },
    /// A variable's element type cannot be converted (e.g. an int8-quantized CTranslate2 model).
    #[error("{}: variable '{name}' has unsupported data type {dtype}", path.display())]
    UnsupportedDtype {
        path: PathBuf,
        name: String,
        dtype: String,
    },
    /// The tokenizer file is unreadable or inconsistent.
    #[error("{}: bad tokenizer: {reason}", path.display())]
    Tokenizer { path: PathBuf, reason: String },
    /// The data is structurally valid but inconsistent (e.g. a wrong payload size).
    #[error("{}: {reason}", path.display())]
    Invalid { path: PathBuf, reason: String },
}

impl ImportError {
    pub(crate) fn io(path: &std::path::Path, source: std::io::Error) -> Self {
        if source.kind() == std::io::ErrorKind::NotFound {
            ImportError::MissingFile {
                path: path.to_path_buf(),
            }
        } else {
            ImportError::Io {
                path: path.to_path_buf(),
                source,
            }
        }
    }
}

/// Why quantizing a ggml model failed.
#[derive(Debug, thiserror::Error)]
pub enum QuantError {
    /// The input could not be read as a ggml Whisper model, or the output not written.
    #[error(transparent)]
    Model(#[from] ImportError),
    /// A tensor selected for quantization is not stored as f32/f16.
    #[error("{}: tensor '{name}' is stored as ggml type {ttype}; only f32/f16 tensors can be quantized", path.display())]
    NotFloat {
        path: PathBuf,
        name: String,
        ttype: u32,
    },
    /// A tensor's row length is not a multiple of the quantization block size.
    #[error("{}: tensor '{name}' has rows of {row} values, not a multiple of the block size {block}", path.display())]
    BadRowLength {
        path: PathBuf,
        name: String,
        row: usize,
        block: usize,
    },
    /// The input is already quantized.
    #[error("{}: model is already quantized (ftype {ftype})", path.display())]
    AlreadyQuantized { path: PathBuf, ftype: i32 },
}
