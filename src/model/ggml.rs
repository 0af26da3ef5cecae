//! whisper.cpp's legacy ggml model file: writer and reader.
//!
//! This is the format `models/convert-pt-to-ggml.py` writes and `whisper_model_load` reads
//! (all little-endian): u32 magic `ggml`; eleven i32 hparams; mel filters as i32 `n_mel`,
//! i32 `n_fft`, `n_mel × n_fft` f32; vocabulary as i32 count then per token u32 length + bytes;
//! then tensors until end of file, each i32 `n_dims`, i32 name length, i32 ggml type,
//! `n_dims` × i32 `ne` (innermost dimension first, i.e. PyTorch's shape reversed), the name,
//! and the raw data. The reader exists so tests can check what the importer wrote and so
//! [`super::quantize`] can rewrite a model.

use std::fmt;
use std::io::{self, BufWriter, Write};
use std::path::Path;

use super::bytes::ByteReader;
use super::error::ImportError;

/// `"ggml"` as whisper.cpp's `GGML_FILE_MAGIC`.
pub const GGML_MAGIC: u32 = 0x6767_6d6c;
/// Quantization format version folded into `ftype` (`GGML_QNT_VERSION`).
pub const GGML_QNT_VERSION: i32 = 2;
/// Multiplier for the quantization version in `ftype` (`GGML_QNT_VERSION_FACTOR`).
pub const GGML_QNT_VERSION_FACTOR: i32 = 1000;

/// Model dimensions in the order whisper.cpp reads them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hparams {
    pub n_vocab: i32,
    pub n_audio_ctx: i32,
    pub n_audio_state: i32,
    pub n_audio_head: i32,
    pub n_audio_layer: i32,
    pub n_text_ctx: i32,
    pub n_text_state: i32,
    pub n_text_head: i32,
    pub n_text_layer: i32,
    pub n_mels: i32,
    /// `ggml_ftype` of the big matrices, plus `GGML_QNT_VERSION * 1000` when quantized.
    pub ftype: i32,
}

impl Hparams {
    /// From the eleven header words, in file order.
    pub fn from_fields(h: [i32; 11]) -> Hparams {
        Hparams {
            n_vocab: h[0],
            n_audio_ctx: h[1],
            n_audio_state: h[2],
            n_audio_head: h[3],
            n_audio_layer: h[4],
            n_text_ctx: h[5],
            n_text_state: h[6],
            n_text_head: h[7],
            n_text_layer: h[8],
            n_mels: h[9],
            ftype: h[10],
        }
    }

    fn fields(&self) -> [i32; 11] {
        [
            self.n_vocab,
            self.n_audio_ctx,
            self.n_audio_state,
            self.n_audio_head,
            self.n_audio_layer,
            self.n_text_ctx,
            self.n_text_state,
            self.n_text_head,
            self.n_text_layer,
            self.n_mels,
            self.ftype,
        ]
    }
}

impl fmt::Display for Hparams {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const NAMES: [&str; 11] = [
            "n_vocab",
            "n_audio_ctx",
            "n_audio_state",
            "n_audio_head",
            "n_audio_layer",
            "n_text_ctx",
            "n_text_state",
            "n_text_head",
            "n_text_layer",
            "n_mels",
            "ftype",
        ];
        for (i, (name, v)) in NAMES.iter().zip(self.fields()).enumerate() {
            write!(f, "{}{name}={v}", if i == 0 { "" } else { " " })?;
        }
        Ok(())
    }
}

/// ggml tensor element types this crate reads or writes (values of `enum ggml_type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum GgmlType {
    F32,
    F16,
    Q4_0,
    Q4_1,
    Q5_0,
    Q5_1,
    Q8_0,
}

impl GgmlType {
    /// The `ggml_type` id stored in the file.
    pub fn id(self) -> u32 {
        match self {
            GgmlType::F32 => 0,
            GgmlType::F16 => 1,
            GgmlType::Q4_0 => 2,
            GgmlType::Q4_1 => 3,
            GgmlType::Q5_0 => 6,
            GgmlType::Q5_1 => 7,
            GgmlType::Q8_0 => 8,
        }
    }

    /// Inverse of [`GgmlType::id`].
    pub fn from_id(id: u32) -> Option<Self> {
        Some(match id {
            0 => GgmlType::F32,
            1 => GgmlType::F16,
            2 => GgmlType::Q4_0,
            3 => GgmlType::Q4_1,
            6 => GgmlType::Q5_0,
            7 => GgmlType::Q5_1,
            8 => GgmlType::Q8_0,
            _ => return None,
        })
    }

    /// Elements per block (1 for plain floats).
    pub fn block_size(self) -> usize {
        match self {
            GgmlType::F32 | GgmlType::F16 => 1,
            _ => 32,
        }
    }

    /// Bytes per block (ggml's `type_size`).
    pub fn type_size(self) -> usize {
        match self {
            GgmlType::F32 => 4,
            GgmlType::F16 => 2,
            GgmlType::Q4_0 => 18,
            GgmlType::Q4_1 => 20,
            GgmlType::Q5_0 => 22,
            GgmlType::Q5_1 => 24,
            GgmlType::Q8_0 => 34,
        }
    }

    /// Bytes needed for `n` elements, `None` if `n` is not a whole number of blocks.
    pub fn nbytes(self, n: usize) -> Option<usize> {
        n.is_multiple_of(self.block_size()).then(|| n / self.block_size() * self.type_size())
    }
}

/// One tensor as stored in the file.
#[derive(Debug, Clone, PartialEq)]
pub struct GgmlTensor {
    pub name: String,
    /// ggml `ne`: innermost (fastest-varying) dimension first.
    pub ne: Vec<usize>,
    pub ttype: GgmlType,
    pub data: Vec<u8>,
}

impl GgmlTensor {
    /// Number of elements.
    pub fn numel(&self) -> usize {
        self.ne.iter().product()
    }

    /// An f32 tensor with PyTorch-order `shape` (outermost first).
    pub fn f32(name: impl Into<String>, shape: &[usize], values: &[f32]) -> Self {
        GgmlTensor {
            name: name.into(),
            ne: shape.iter().rev().copied().collect(),
            ttype: GgmlType::F32,
            data: values.iter().flat_map(|v| v.to_le_bytes()).collect(),
        }
    }

    /// An f16 tensor with PyTorch-order `shape`, rounding `values` to nearest f16.
    pub fn f16(name: impl Into<String>, shape: &[usize], values: &[f32]) -> Self {
        GgmlTensor {
            name: name.into(),
            ne: shape.iter().rev().copied().collect(),
            ttype: GgmlType::F16,
            data: values
                .iter()
                .flat_map(|v| half::f16::from_f32(*v).to_le_bytes())
                .collect(),
        }
    }

    /// Values as f32 for F32/F16 tensors, `None` for quantized ones.
    pub fn to_f32(&self) -> Option<Vec<f32>> {
        match self.ttype {
            GgmlType::F32 => Some(
                self.data
                    .chunks_exact(4)
                    .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                    .collect(),
            ),
            GgmlType::F16 => Some(
                self.data
                    .chunks_exact(2)
                    .map(|c| half::f16::from_le_bytes([c[0], c[1]]).to_f32())
                    .collect(),
            ),
            _ => None,
        }
    }
}

/// Mel filterbank as stored in the file: `n_mel` rows of `n_fft` (= n_fft/2 + 1) weights.
#[derive(Debug, Clone, PartialEq)]
pub struct MelFilters {
    pub n_mel: usize,
    pub n_fft: usize,
    pub data: Vec<f32>,
}

/// A whole ggml Whisper model in memory.
#[derive(Debug, Clone)]
pub struct GgmlModel {
    pub hparams: Hparams,
    pub filters: MelFilters,
    /// Token byte strings in id order (text tokens only; whisper.cpp adds the special ones).
    pub vocab: Vec<Vec<u8>>,
    pub tensors: Vec<GgmlTensor>,
}

impl GgmlModel {
    /// Reads a model file completely.
    pub fn read(path: &Path) -> Result<Self, ImportError> {
        let bytes = std::fs::read(path).map_err(|e| ImportError::io(path, e))?;
        Self::parse(path, &bytes)
    }

    /// Parses a model image; `path` is used in error messages only.
    pub fn parse(path: &Path, bytes: &[u8]) -> Result<Self, ImportError> {
        let mut r = ByteReader::new(path, bytes);
        let magic = r.u32("magic")?;
        if magic != GGML_MAGIC {
            return Err(ImportError::BadHeader {
                path: path.to_path_buf(),
                reason: format!("magic {magic:#010x}, expected {GGML_MAGIC:#010x} (\"ggml\")"),
            });
        }
        let mut h = [0i32; 11];
        for (i, v) in h.iter_mut().enumerate() {
            *v = r.i32(&format!("hparam {i}"))?;
        }
        let hparams = Hparams::from_fields(h);
        let n_mel = r.count("mel filter rows")?;
        let n_fft = r.count("mel filter columns")?;
        let n = n_mel.checked_mul(n_fft).ok_or_else(|| r.invalid("mel filter size overflows"))?;
        let raw = r.take(n.saturating_mul(4), "mel filters")?;
        let filters = MelFilters {
            n_mel,
            n_fft,
            data: raw
                .chunks_exact(4)
                .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                .collect(),
        };
        let n_tokens = r.count("vocabulary size")?;
        if n_tokens > bytes.len() / 4 {
            return Err(r.invalid(&format!("vocabulary size {n_tokens} cannot fit in the file")));
        }
        let mut vocab = Vec::with_capacity(n_tokens);
        for i in 0..n_tokens {
            let len = r.u32(&format!("length of token {i}"))? as usize;
            vocab.push(r.take(len, &format!("token {i}"))?.to_vec());
        }
        let mut tensors = Vec::new();
        while r.pos < bytes.len() {
            let n_dims = r.count("tensor rank")?;
            if !(1..=4).contains(&n_dims) {
                return Err(r.invalid(&format!("tensor rank {n_dims} at byte {}", r.pos)));
            }
            let name_len = r.count("tensor name length")?;
            let type_id = r.u32("tensor type")?;
            let mut ne = Vec::with_capacity(n_dims);
            for _ in 0..n_dims {
                ne.push(r.count("tensor dimension")?);
            }
            let name = String::from_utf8(r.take(name_len, "tensor name")?.to_vec())
                .map_err(|_| r.invalid("tensor name is not UTF-8"))?;
            let ttype = GgmlType::from_id(type_id).ok_or_else(|| ImportError::UnsupportedDtype {
                path: path.to_path_buf(),
                name: name.clone(),
                dtype: format!("ggml type {type_id}"),
            })?;
            let numel = ne.iter().try_fold(1usize, |a, &d| a.checked_mul(d));
            let nbytes = numel.and_then(|n| ttype.nbytes(n)).ok_or_else(|| {
                r.invalid(&format!("tensor '{name}' shape {ne:?} does not fit type {ttype:?}"))
            })?;
            let data = r.take(nbytes, &format!("data of tensor '{name}'"))?.to_vec();
            tensors.push(GgmlTensor {
                name,
                ne,
                ttype,
                data,
            });
        }
        Ok(GgmlModel {
            hparams,
            filters,
            vocab,
            tensors,
        })
    }

    /// The tensor called `name`.
    pub fn tensor(&self, name: &str) -> Option<&GgmlTensor> {
        self.tensors.iter().find(|t| t.name == name)
    }
}

/// Writes the header, mel filters and vocabulary.
pub fn write_header<W: Write + ?Sized>(
    w: &mut W,
    hparams: &Hparams,
    filters: &MelFilters,
    vocab: &[Vec<u8>],
) -> io::Result<()> {
    w.write_all(&GGML_MAGIC.to_le_bytes())?;
    for v in hparams.fields() {
        w.write_all(&v.to_le_bytes())?;
    }
    w.write_all(&(filters.n_mel as i32).to_le_bytes())?;
    w.write_all(&(filters.n_fft as i32).to_le_bytes())?;
    for v in &filters.data {
        w.write_all(&v.to_le_bytes())?;
    }
    w.write_all(&(vocab.len() as i32).to_le_bytes())?;
    for t in vocab {
        w.write_all(&(t.len() as u32).to_le_bytes())?;
        w.write_all(t)?;
    }
    Ok(())
}

/// Writes one tensor record.
pub fn write_tensor<W: Write + ?Sized>(w: &mut W, t: &GgmlTensor) -> io::Result<()> {
    w.write_all(&(t.ne.len() as i32).to_le_bytes())?;
    w.write_all(&(t.name.len() as i32).to_le_bytes())?;
    w.write_all(&t.ttype.id().to_le_bytes())?;
    for &d in &t.ne {
        w.write_all(&(d as i32).to_le_bytes())?;
    }
    w.write_all(t.name.as_bytes())?;
    w.write_all(&t.data)
}

/// Creates `path` atomically: `body` streams into a temporary file in the same directory,
/// which is synced and renamed over `path` only if `body` succeeds. Returns bytes written.
pub fn write_file_atomic<E>(
    path: &Path,
    body: impl FnOnce(&mut dyn Write) -> Result<(), E>,
) -> Result<u64, E>
where
    E: From<ImportError>,
{
    let io_err = |e: io::Error| E::from(ImportError::io(path, e));
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    std::fs::create_dir_all(dir).map_err(io_err)?;
    // Created with the umask's mode, like every other output (a model file is ordinary shared data).
    let tmp = crate::fsutil::temp_file_in(dir).map_err(io_err)?;
    let mut w = CountingWriter {
        inner: BufWriter::with_capacity(1 << 20, tmp),
        count: 0,
    };
    body(&mut w)?;
    let count = w.count;
    let tmp = w.inner.into_inner().map_err(|e| io_err(e.into_error()))?;
    tmp.as_file().sync_all().map_err(io_err)?;
    tmp.persist(path).map_err(|e| io_err(e.error))?;
    Ok(count)
}

struct CountingWriter<W> {
    inner: W,
    count: u64,
}

impl<W: Write> Write for CountingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.count += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// Bounds-checked little-endian reader over a byte slice.
impl ByteReader<'_> {
    /// A non-negative i32 used as a size.
    fn count(&mut self, what: &str) -> Result<usize, ImportError> {
        let v = self.i32(what)?;
        usize::try_from(v).map_err(|_| self.invalid(&format!("negative {what} {v}")))
    }
}
