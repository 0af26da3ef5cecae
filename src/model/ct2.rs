//! Reader for CTranslate2's `model.bin`.
//!
//! Layout (little-endian, see CTranslate2 `src/models/model.cc`): u32 binary version; for
//! version >= 2 a string spec name and u32 spec revision; u32 variable count; per variable a
//! string name, u8 rank, rank × u32 dims, u8 dtype id, u32 byte count, raw bytes; for
//! version >= 3 a u32 alias count and (alias, target) string pairs. Strings are u16 length (including
//! a trailing NUL) followed by the bytes. Every read is bounds-checked so a truncated or corrupt
//! file becomes an [`ImportError`] naming the file, never a panic.

use std::path::{Path, PathBuf};

use super::bytes::ByteReader;
use super::error::ImportError;

/// Highest `model.bin` binary version this reader understands.
pub const MAX_BINARY_VERSION: u32 = 6;
/// Binary version from which dtype ids (rather than item sizes) are stored.
const DTYPE_ID_VERSION: u32 = 4;

/// Element type of a CTranslate2 variable (ids as in CTranslate2's `DataType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ct2Dtype {
    F32,
    I8,
    I16,
    I32,
    F16,
    BF16,
}

impl Ct2Dtype {
    fn from_id(id: u8) -> Option<Self> {
        Some(match id {
            0 => Ct2Dtype::F32,
            1 => Ct2Dtype::I8,
            2 => Ct2Dtype::I16,
            3 => Ct2Dtype::I32,
            4 => Ct2Dtype::F16,
            5 => Ct2Dtype::BF16,
            _ => return None,
        })
    }

    /// Pre-v4 files store only the item size; CTranslate2 maps it the same way.
    fn from_item_size(size: u8) -> Option<Self> {
        Some(match size {
            4 => Ct2Dtype::F32,
            2 => Ct2Dtype::I16,
            1 => Ct2Dtype::I8,
            _ => return None,
        })
    }

    /// Bytes per element.
    pub fn size(self) -> usize {
        match self {
            Ct2Dtype::I8 => 1,
            Ct2Dtype::I16 | Ct2Dtype::F16 | Ct2Dtype::BF16 => 2,
            Ct2Dtype::F32 | Ct2Dtype::I32 => 4,
        }
    }

    /// Whether the variable holds floating-point numbers.
    pub fn is_float(self) -> bool {
        matches!(self, Ct2Dtype::F32 | Ct2Dtype::F16 | Ct2Dtype::BF16)
    }
}

/// One named array of a CTranslate2 model, with its raw little-endian payload.
#[derive(Debug, Clone)]
pub struct Ct2Variable {
    pub name: String,
    /// Dimensions, outermost first (row-major, like PyTorch).
    pub shape: Vec<usize>,
    pub dtype: Ct2Dtype,
    pub data: Vec<u8>,
}

impl Ct2Variable {
    /// Number of elements.
    pub fn numel(&self) -> usize {
        self.shape.iter().product()
    }

    /// Values converted to f32 (f32, f16 and bf16 only; `None` for integer types).
    pub fn to_f32(&self) -> Option<Vec<f32>> {
        let d = &self.data;
        match self.dtype {
            Ct2Dtype::F32 => Some(
                d.chunks_exact(4)
                    .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                    .collect(),
            ),
            Ct2Dtype::F16 => Some(
                d.chunks_exact(2)
                    .map(|c| half::f16::from_le_bytes([c[0], c[1]]).to_f32())
                    .collect(),
            ),
            Ct2Dtype::BF16 => Some(
                d.chunks_exact(2)
                    .map(|c| half::bf16::from_le_bytes([c[0], c[1]]).to_f32())
                    .collect(),
            ),
            _ => None,
        }
    }

    /// A scalar integer (config values such as `num_heads`), `None` for non-scalars or floats.
    pub fn scalar_int(&self) -> Option<i64> {
        if self.numel() != 1 {
            return None;
        }
        let d = &self.data;
        Some(match self.dtype {
            Ct2Dtype::I8 => i8::from_le_bytes([*d.first()?]) as i64,
            Ct2Dtype::I16 => i16::from_le_bytes([*d.first()?, *d.get(1)?]) as i64,
            Ct2Dtype::I32 => i32::from_le_bytes(d.get(..4)?.try_into().ok()?) as i64,
            _ => return None,
        })
    }
}

/// A parsed `model.bin`.
#[derive(Debug, Clone)]
pub struct Ct2Model {
    pub path: PathBuf,
    pub binary_version: u32,
    /// Spec name, e.g. `WhisperSpec` (empty for version 1 files).
    pub spec: String,
    pub spec_revision: u32,
    pub variables: Vec<Ct2Variable>,
    /// `(alias, target)` pairs: `alias` names the same array as `target`.
    pub aliases: Vec<(String, String)>,
}

impl Ct2Model {
    /// Reads and parses `path`.
    pub fn read(path: &Path) -> Result<Self, ImportError> {
        let bytes = std::fs::read(path).map_err(|e| ImportError::io(path, e))?;
        Self::parse(path, &bytes)
    }

    /// Parses a `model.bin` image; `path` is used in error messages only.
    pub fn parse(path: &Path, bytes: &[u8]) -> Result<Self, ImportError> {
        let mut r = ByteReader::new(path, bytes);
        let binary_version = r.u32("binary version")?;
        if binary_version == 0 || binary_version > MAX_BINARY_VERSION {
            return Err(ImportError::BadHeader {
                path: path.to_path_buf(),
                reason: format!(
                    "binary version {binary_version} is not a CTranslate2 model.bin version this reader supports (1..={MAX_BINARY_VERSION})"
                ),
            });
        }
        let (spec, spec_revision) = if binary_version >= 2 {
            (r.string("spec name")?, r.u32("spec revision")?)
        } else {
            (String::new(), 1)
        };
        let count = r.u32("variable count")? as usize;
        // Capacity is capped: a corrupt count must not allocate before reads hit the end.
        let mut variables = Vec::with_capacity(count.min(4096));
        for _ in 0..count {
            let name = r.string("variable name")?;
            let rank = r.u8(&format!("rank of '{name}'"))? as usize;
            let mut shape = Vec::with_capacity(rank);
            for _ in 0..rank {
                shape.push(r.u32(&format!("shape of '{name}'"))? as usize);
            }
            let (dtype, num_bytes) = if binary_version >= DTYPE_ID_VERSION {
                let id = r.u8(&format!("dtype of '{name}'"))?;
                let dtype = Ct2Dtype::from_id(id).ok_or_else(|| ImportError::UnsupportedDtype {
                    path: path.to_path_buf(),
                    name: name.clone(),
                    dtype: format!("id {id}"),
                })?;
                (dtype, r.u32(&format!("byte count of '{name}'"))? as usize)
            } else {
                let size = r.u8(&format!("item size of '{name}'"))?;
                let dtype =
                    Ct2Dtype::from_item_size(size).ok_or_else(|| ImportError::UnsupportedDtype {
                        path: path.to_path_buf(),
                        name: name.clone(),
                        dtype: format!("item size {size}"),
                    })?;
                let n = r.u32(&format!("element count of '{name}'"))? as usize;
                (dtype, n * size as usize)
            };
            let numel = shape.iter().try_fold(1usize, |a, &d| a.checked_mul(d));
            if numel.and_then(|n| n.checked_mul(dtype.size())) != Some(num_bytes) {
                return Err(ImportError::Invalid {
                    path: path.to_path_buf(),
                    reason: format!(
                        "variable '{name}' has an invalid payload size {num_bytes} for shape {shape:?} of {dtype:?}"
                    ),
                });
            }
            let data = r.take(num_bytes, &format!("data of '{name}'"))?.to_vec();
            variables.push(Ct2Variable {
                name,
                shape,
                dtype,
                data,
            });
        }
        let mut aliases = Vec::new();
        if binary_version >= 3 {
            let n = r.u32("alias count")?;
            for _ in 0..n {
                let alias = r.string("alias name")?;
                let target = r.string(&format!("target of alias '{alias}'"))?;
                aliases.push((alias, target));
            }
        }
        if r.pos != bytes.len() {
            return Err(ImportError::Invalid {
                path: path.to_path_buf(),
                reason: format!("{} unexpected trailing bytes", bytes.len() - r.pos),
            });
        }
        Ok(Ct2Model {
            path: path.to_path_buf(),
            binary_version,
            spec,
            spec_revision,
            variables,
            aliases,
        })
    }

    /// The variable called `name`, following aliases.
    pub fn get(&self, name: &str) -> Option<&Ct2Variable> {
        let target = self
            .aliases
            .iter()
            .find(|(a, _)| a == name)
            .map(|(_, t)| t.as_str())
            .unwrap_or(name);
        self.variables.iter().find(|v| v.name == target)
    }
}

/// Bounds-checked little-endian reader over a byte slice.
impl ByteReader<'_> {
    fn string(&mut self, what: &str) -> Result<String, ImportError> {
        let start = self.pos;
        let len = self.u16(what)? as usize;
        if len == 0 {
            return Err(self.invalid(&format!("zero-length string for {what} at byte {start}")));
        }
        let raw = self.take(len, what)?;
        // The stored length counts a trailing NUL.
        let text = &raw[..len - 1];
        String::from_utf8(text.to_vec()).map_err(|_| self.invalid(&format!("{what} at byte {start} is not UTF-8")))
    }
}

/// Serialises a model in the same layout (binary version 6); used by tests to build fixtures.
#[cfg(test)]
pub(crate) fn write_model_bin(spec: &str, vars: &[Ct2Variable], aliases: &[(&str, &str)]) -> Vec<u8> {
    fn s(out: &mut Vec<u8>, v: &str) {
        out.extend_from_slice(&((v.len() + 1) as u16).to_le_bytes());
        out.extend_from_slice(v.as_bytes());
        out.push(0);
    }
    let mut out = Vec::new();
    out.extend_from_slice(&6u32.to_le_bytes());
    s(&mut out, spec);
    out.extend_from_slice(&3u32.to_le_bytes());
    out.extend_from_slice(&(vars.len() as u32).to_le_bytes());
    for v in vars {
        s(&mut out, &v.name);
        out.push(v.shape.len() as u8);
        for &d in &v.shape {
            out.extend_from_slice(&(d as u32).to_le_bytes());
        }
        let id = match v.dtype {
            Ct2Dtype::F32 => 0u8,
            Ct2Dtype::I8 => 1,
            Ct2Dtype::I16 => 2,
            Ct2Dtype::I32 => 3,
            Ct2Dtype::F16 => 4,
            Ct2Dtype::BF16 => 5,
        };
        out.push(id);
        out.extend_from_slice(&(v.data.len() as u32).to_le_bytes());
        out.extend_from_slice(&v.data);
    }
    out.extend_from_slice(&(aliases.len() as u32).to_le_bytes());
    for (a, t) in aliases {
        s(&mut out, a);
        s(&mut out, t);
    }
    out
}
