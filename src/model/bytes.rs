//! A bounds-checked little-endian reader over a whole file image, shared by the CTranslate2
//! and ggml parsers: every read names what it was reading, so a truncated file reports the
//! field and the byte offset where it ran out.

use std::path::Path;

use super::error::ImportError;

pub(crate) struct ByteReader<'a> {
    pub(crate) path: &'a Path,
    pub(crate) bytes: &'a [u8],
    pub(crate) pos: usize,
}

impl<'a> ByteReader<'a> {
    pub(crate) fn new(path: &'a Path, bytes: &'a [u8]) -> Self {
        ByteReader { path, bytes, pos: 0 }
    }

    pub(crate) fn take(&mut self, n: usize, what: &str) -> Result<&'a [u8], ImportError> {
        match self.pos.checked_add(n).filter(|&e| e <= self.bytes.len()) {
            Some(end) => {
                let s = &self.bytes[self.pos..end];
                self.pos = end;
                Ok(s)
            }
            None => Err(ImportError::Truncated {
                path: self.path.to_path_buf(),
                offset: self.pos as u64,
                what: what.to_string(),
            }),
        }
    }

    pub(crate) fn u8(&mut self, what: &str) -> Result<u8, ImportError> {
        Ok(self.take(1, what)?[0])
    }

    pub(crate) fn u16(&mut self, what: &str) -> Result<u16, ImportError> {
        let b = self.take(2, what)?;
        Ok(u16::from_le_bytes([b[0], b[1]]))
    }

    pub(crate) fn u32(&mut self, what: &str) -> Result<u32, ImportError> {
        let b = self.take(4, what)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    pub(crate) fn i32(&mut self, what: &str) -> Result<i32, ImportError> {
        Ok(self.u32(what)? as i32)
    }

    pub(crate) fn invalid(&self, reason: &str) -> ImportError {
        ImportError::Invalid { path: self.path.to_path_buf(), reason: reason.to_string() }
    }
}
