//! Quantization of a ggml Whisper model, as whisper.cpp's `examples/quantize` does it.
//!
//! whisper.cpp's tool (`ggml_common_quantize_0` with the whisper skip list) quantizes every
//! 2-D tensor except the conv biases (stored (n, 1)) and the two positional embeddings, and
//! copies everything else: 1-D biases and norms stay f32, 3-D conv kernels stay f16 (the
//! loader expects f16 kernels whenever the model is not all-f32). The header's ftype becomes
//! `GGML_QNT_VERSION * 1000 + ftype`. The block encoding itself is ggml's own
//! `ggml_quantize_chunk`, so the output is bit-for-bit what the C++ tool produces.

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use whisper_rs::whisper_rs_sys as sys;

use super::error::{ImportError, QuantError};
use super::ggml::{self, GGML_QNT_VERSION, GGML_QNT_VERSION_FACTOR, GgmlModel, GgmlTensor, GgmlType};

/// Target quantization.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QuantType {
    /// 8-bit, blocks of 32 with an f16 scale (34 bytes/32 values).
    Q8_0,
    /// 5-bit, blocks of 32 with an f16 scale (22 bytes/32 values).
    Q5_0,
    /// 4-bit, blocks of 32 with an f16 scale (18 bytes/32 values).
    Q4_0,
}

impl QuantType {
    /// The per-tensor ggml type.
    pub fn ggml_type(self) -> GgmlType {
        match self {
            QuantType::Q8_0 => GgmlType::Q8_0,
            QuantType::Q5_0 => GgmlType::Q5_0,
            QuantType::Q4_0 => GgmlType::Q4_0,
        }
    }

    /// The file-level `ggml_ftype` (before the quantization version is folded in).
    pub fn ftype(self) -> i32 {
        match self {
            QuantType::Q8_0 => sys::ggml_ftype_GGML_FTYPE_MOSTLY_Q8_0,
            QuantType::Q5_0 => sys::ggml_ftype_GGML_FTYPE_MOSTLY_Q5_0,
            QuantType::Q4_0 => sys::ggml_ftype_GGML_FTYPE_MOSTLY_Q4_0,
        }
    }

    fn sys_type(self) -> sys::ggml_type {
        match self {
            QuantType::Q8_0 => sys::ggml_type_GGML_TYPE_Q8_0,
            QuantType::Q5_0 => sys::ggml_type_GGML_TYPE_Q5_0,
            QuantType::Q4_0 => sys::ggml_type_GGML_TYPE_Q4_0,
        }
    }
}

impl fmt::Display for QuantType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            QuantType::Q8_0 => "q8_0",
            QuantType::Q5_0 => "q5_0",
            QuantType::Q4_0 => "q4_0",
        })
    }
}

/// An unknown quantization name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown quantization type '{0}' (expected q8_0, q5_0 or q4_0)")]
pub struct ParseQuantTypeError(pub String);

impl FromStr for QuantType {
    type Err = ParseQuantTypeError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "q8_0" => Ok(QuantType::Q8_0),
            "q5_0" => Ok(QuantType::Q5_0),
            "q4_0" => Ok(QuantType::Q4_0),
            _ => Err(ParseQuantTypeError(s.to_string())),
        }
    }
}

/// What [`quantize`] wrote.
#[derive(Debug, Clone)]
pub struct QuantReport {
    pub output: PathBuf,
    pub kind: QuantType,
    /// Tensors encoded as `kind`.
    pub quantized: usize,
    /// Tensors copied unchanged.
    pub kept: usize,
    pub bytes_in: u64,
    pub bytes_written: u64,
}

impl fmt::Display for QuantReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "wrote {} ({}, {} bytes, {:.1}% of {} bytes)",
            self.output.display(),
            self.kind,
            self.bytes_written,
            100.0 * self.bytes_written as f64 / self.bytes_in.max(1) as f64,
            self.bytes_in
        )?;
        write!(f, "  tensors: {} quantized, {} kept", self.quantized, self.kept)
    }
}

/// Tensors whisper.cpp's quantize tool never quantizes (its `to_skip` list).
const SKIP: &[&str] = &[
    "encoder.conv1.bias",
    "encoder.conv2.bias",
    "encoder.positional_embedding",
    "decoder.positional_embedding",
];

/// Whether whisper.cpp's quantize tool would quantize this tensor.
pub fn should_quantize(t: &GgmlTensor) -> bool {
    t.ne.len() == 2 && !SKIP.contains(&t.name.as_str())
}

/// Quantizes the ggml model at `input` to `kind`, writing `output` atomically.
pub fn quantize(input: &Path, output: &Path, kind: QuantType) -> Result<QuantReport, QuantError> {
    let model = GgmlModel::read(input)?;
    let base_ftype = model.hparams.ftype % GGML_QNT_VERSION_FACTOR;
    if base_ftype != 0 && base_ftype != 1 {
        return Err(QuantError::AlreadyQuantized {
            path: input.to_path_buf(),
            ftype: model.hparams.ftype,
        });
    }
    let bytes_in = std::fs::metadata(input)
        .map_err(|e| ImportError::io(input, e))?
        .len();
    let mut hparams = model.hparams;
    hparams.ftype = GGML_QNT_VERSION * GGML_QNT_VERSION_FACTOR + kind.ftype();

    // Check every selected tensor before writing anything.
    let block = kind.ggml_type().block_size();
    for t in model.tensors.iter().filter(|t| should_quantize(t)) {
        if t.to_f32().is_none() {
            return Err(QuantError::NotFloat {
                path: input.to_path_buf(),
                name: t.name.clone(),
                ttype: t.ttype.id(),
            });
        }
        if t.ne[0] % block != 0 {
            return Err(QuantError::BadRowLength {
                path: input.to_path_buf(),
                name: t.name.clone(),
                row: t.ne[0],
                block,
            });
        }
    }

    let mut quantized = 0;
    let bytes_written = ggml::write_file_atomic(output, |w| {
        let io = |e| QuantError::from(ImportError::io(output, e));
        ggml::write_header(w, &hparams, &model.filters, &model.vocab).map_err(io)?;
        for t in &model.tensors {
            if should_quantize(t) {
                let q = quantize_tensor(t, kind);
                ggml::write_tensor(w, &q).map_err(io)?;
                quantized += 1;
            } else {
                ggml::write_tensor(w, t).map_err(io)?;
            }
        }
        Ok::<(), QuantError>(())
    })?;
    Ok(QuantReport {
        output: output.to_path_buf(),
        kind,
        quantized,
        kept: model.tensors.len() - quantized,
        bytes_in,
        bytes_written,
    })
}

/// Encodes one F32/F16 2-D tensor (validated by the caller) with ggml's quantizer.
fn quantize_tensor(t: &GgmlTensor, kind: QuantType) -> GgmlTensor {
    let values = t.to_f32().unwrap_or_default();
    let n_per_row = t.ne[0];
    let nrows = values.len() / n_per_row.max(1);
    let gtype = kind.ggml_type();
    let nbytes = gtype.nbytes(values.len()).unwrap_or(0);
    let mut data = vec![0u8; nbytes];
    // SAFETY: `values` holds nrows × n_per_row f32s; `data` holds exactly the bytes ggml needs
    // for that many elements of `gtype` (n_per_row is a multiple of the block size, checked by
    // the caller, and the sizes are asserted against ggml's own below). Q8_0/Q5_0 take no
    // importance matrix.
    let written = unsafe {
        debug_assert_eq!(
            sys::ggml_row_size(kind.sys_type(), n_per_row as i64) * nrows,
            nbytes
        );
        sys::ggml_quantize_chunk(
            kind.sys_type(),
            values.as_ptr(),
            data.as_mut_ptr().cast(),
            0,
            nrows as i64,
            n_per_row as i64,
            std::ptr::null(),
        )
    };
    assert_eq!(written, nbytes, "ggml_quantize_chunk wrote an unexpected size");
    GgmlTensor {
        name: t.name.clone(),
        ne: t.ne.clone(),
        ttype: gtype,
        data,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::import::fixtures::{tiny_variables, write_ct2_dir};
    use crate::model::import_ct2;

    /// Decodes Q8_0 blocks: f16 scale then 32 signed bytes, value = scale × q.
    fn dequant_q8_0(data: &[u8]) -> Vec<f32> {
        data.chunks_exact(34)
            .flat_map(|b| {
                let d = half::f16::from_le_bytes([b[0], b[1]]).to_f32();
                b[2..].iter().map(move |&q| d * q as i8 as f32)
            })
            .collect()
    }

    fn tiny_ggml(dir: &Path) -> PathBuf {
        let ct2 = dir.join("ct2");
        write_ct2_dir(&ct2, &tiny_variables());
        let out = dir.join("f16.bin");
        import_ct2(&ct2, &out).unwrap();
        out
    }

    #[test]
    fn parses_names() {
        assert_eq!("q8_0".parse::<QuantType>().unwrap(), QuantType::Q8_0);
        assert_eq!("Q5_0".parse::<QuantType>().unwrap(), QuantType::Q5_0);
        assert!("q4_k".parse::<QuantType>().is_err());
        assert_eq!(QuantType::Q5_0.to_string(), "q5_0");
        assert_eq!("q4_0".parse::<QuantType>().unwrap().to_string(), "q4_0");
    }

    #[test]
    fn ids_match_ggml_bindings() {
        assert_eq!(GgmlType::Q8_0.id(), sys::ggml_type_GGML_TYPE_Q8_0);
        assert_eq!(GgmlType::Q5_0.id(), sys::ggml_type_GGML_TYPE_Q5_0);
        assert_eq!(GgmlType::F16.id(), sys::ggml_type_GGML_TYPE_F16);
        for t in [GgmlType::Q8_0, GgmlType::Q5_0, GgmlType::Q4_0, GgmlType::Q4_1, GgmlType::Q5_1] {
            let sys_t = t.id() as sys::ggml_type;
            // SAFETY: plain lookups in ggml's static type table.
            let (bs, ts) = unsafe { (sys::ggml_blck_size(sys_t), sys::ggml_type_size(sys_t)) };
            assert_eq!((bs as usize, ts), (t.block_size(), t.type_size()), "{t:?}");
        }
        assert_eq!((QuantType::Q8_0.ftype(), QuantType::Q5_0.ftype(), QuantType::Q4_0.ftype()), (7, 8, 2));
    }

    #[test]
    fn quantizes_the_tensors_whisper_cpp_does_and_keeps_the_rest() {
        let dir = tempfile::tempdir().unwrap();
        let f16 = tiny_ggml(dir.path());
        let src = GgmlModel::read(&f16).unwrap();
        for kind in [QuantType::Q8_0, QuantType::Q5_0, QuantType::Q4_0] {
            let out = dir.path().join(format!("{kind}.bin"));
            let report = quantize(&f16, &out, kind).unwrap();
            let q = GgmlModel::read(&out).unwrap();
            assert_eq!(q.hparams.ftype, 2000 + kind.ftype());
            assert_eq!(q.vocab, src.vocab);
            assert_eq!(q.filters, src.filters);
            assert_eq!(q.tensors.len(), src.tensors.len());
            let mut n_quant = 0;
            for (a, b) in src.tensors.iter().zip(&q.tensors) {
                assert_eq!((&a.name, &a.ne), (&b.name, &b.ne));
                let is_matrix = a.ne.len() == 2 && !a.name.contains("positional") && !a.name.contains("conv");
                if is_matrix {
                    n_quant += 1;
                    assert_eq!(b.ttype, kind.ggml_type(), "{}", a.name);
                } else {
                    assert_eq!(a, b, "{} must be copied unchanged", a.name);
                }
            }
            // Token embedding + 6 matrices per encoder layer + 10 per decoder layer.
            assert_eq!(n_quant, 1 + 6 + 10);
            assert_eq!((report.quantized, report.kept), (n_quant, src.tensors.len() - n_quant));
            assert!(report.bytes_written < report.bytes_in);
        }

        // Q8_0 values decode back to the originals within half a quantization step.
        let q = GgmlModel::read(&dir.path().join("q8_0.bin")).unwrap();
        let name = "decoder.blocks.0.cross_attn.value.weight";
        let want = src.tensor(name).unwrap().to_f32().unwrap();
        let got = dequant_q8_0(&q.tensor(name).unwrap().data);
        assert_eq!(want.len(), got.len());
        for (blk_w, blk_g) in want.chunks(32).zip(got.chunks(32)) {
            let amax = blk_w.iter().fold(0f32, |m, v| m.max(v.abs()));
            for (w, g) in blk_w.iter().zip(blk_g) {
                assert!((w - g).abs() <= amax / 127.0 * 0.5 + 1e-3, "{w} vs {g}");
            }
        }
    }

    #[test]
    fn bad_inputs_are_typed_errors() {
        let dir = tempfile::tempdir().unwrap();
        let junk = dir.path().join("junk.bin");
        std::fs::write(&junk, b"not a model at all").unwrap();
        let e = quantize(&junk, &dir.path().join("o.bin"), QuantType::Q8_0).unwrap_err();
        assert!(matches!(e, QuantError::Model(ImportError::BadHeader { .. })), "{e:?}");
        assert!(e.to_string().contains("junk.bin"), "{e}");

        let e = quantize(&dir.path().join("absent.bin"), &dir.path().join("o.bin"), QuantType::Q8_0)
            .unwrap_err();
        assert!(matches!(e, QuantError::Model(ImportError::MissingFile { .. })), "{e:?}");

        let f16 = tiny_ggml(dir.path());
        let q8 = dir.path().join("q8.bin");
        quantize(&f16, &q8, QuantType::Q8_0).unwrap();
        let e = quantize(&q8, &dir.path().join("o.bin"), QuantType::Q5_0).unwrap_err();
        assert!(matches!(e, QuantError::AlreadyQuantized { .. }), "{e:?}");

        // A truncated ggml file is reported with the offset, not a panic.
        let bytes = std::fs::read(&f16).unwrap();
        let cut = dir.path().join("cut.bin");
        std::fs::write(&cut, &bytes[..bytes.len() - 5]).unwrap();
        let e = quantize(&cut, &dir.path().join("o.bin"), QuantType::Q8_0).unwrap_err();
        assert!(matches!(e, QuantError::Model(ImportError::Truncated { .. })), "{e:?}");
        assert!(!dir.path().join("o.bin").exists());
    }
}
