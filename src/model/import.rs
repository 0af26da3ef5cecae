//! CTranslate2 Whisper → whisper.cpp ggml conversion.
//!
//! The two formats hold the same arrays under different names and groupings. CTranslate2
//! stores matrices (out, in) and conv kernels (out, in, k) like PyTorch, so no transposes are
//! needed; what differs is:
//! - self-attention `linear_0` is q|k|v fused along the output rows, cross-attention
//!   `linear_0` is q and `linear_1` is k|v fused; whisper.cpp wants them split;
//! - whisper.cpp has no key bias. Dropping it is exact whatever its value, because it adds
//!   the same `q·b` to every attention score of a query and softmax ignores that;
//! - conv biases become (n, 1) so whisper.cpp can broadcast them over time;
//! - the output projection is CTranslate2's alias of the token embedding (whisper.cpp ties
//!   them too), so it is not written;
//! - the mel filterbank and byte vocabulary live in the ggml file, so they are computed
//!   ([`super::mel`]) and decoded from tokenizer.json ([`super::vocab`]).
//!
//! Storage types follow `convert-pt-to-ggml.py` and `whisper_model_load`: biases, norms,
//! conv biases and positional embeddings f32; matrices and conv kernels f16 (ftype 1).
//! Every array is shape-checked against the model dimensions before anything is written.

use std::collections::{BTreeSet, HashMap};
use std::fmt;
use std::path::{Path, PathBuf};

use super::ct2::{Ct2Model, Ct2Variable};
use super::error::ImportError;
use super::ggml::{self, GgmlTensor, GgmlType, Hparams, MelFilters};
use super::{mel, vocab};

/// What [`import_ct2`] wrote.
#[derive(Debug, Clone)]
pub struct ImportReport {
    pub output: PathBuf,
    pub hparams: Hparams,
    /// Tensors written.
    pub tensors: usize,
    /// Text tokens written (whisper.cpp adds `n_vocab - vocab_size` special tokens).
    pub vocab_size: usize,
    pub bytes_written: u64,
}

impl fmt::Display for ImportReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "wrote {} ({} bytes)", self.output.display(), self.bytes_written)?;
        writeln!(f, "  tensors: {}", self.tensors)?;
        writeln!(
            f,
            "  vocabulary: {} text tokens (n_vocab {})",
            self.vocab_size, self.hparams.n_vocab
        )?;
        write!(f, "  hparams: {}", self.hparams)
    }
}

/// Scalar configuration entries a WhisperSpec may carry; they are validated or ignored,
/// not converted.
const CONFIG_SCALARS: &[&str] = &[
    "num_heads",
    "activation",
    "alibi",
    "alibi_use_positive_positions",
    "alignment_heads",
    "alignment_layer",
    "pre_norm",
    "scale_embeddings",
    "scale_outputs",
    "start_from_zero_embedding",
];

/// `common_spec.Activation.GELU` in CTranslate2.
const ACTIVATION_GELU: i64 = 3;

/// Converts the CTranslate2 Whisper model in `ct2_dir` (`model.bin`, `tokenizer.json`) to a
/// whisper.cpp ggml file at `out` (f16 weights, ftype 1), written atomically.
///
/// Only f16 is offered: an all-f32 (ftype 0) file loads, but whisper.cpp 1.8.3's CPU
/// `im2col` asserts f16 conv kernels, so it aborts on the first encode.
pub fn import_ct2(ct2_dir: &Path, out: &Path) -> Result<ImportReport, ImportError> {
    let model_path = ct2_dir.join("model.bin");
    let tokenizer_path = ct2_dir.join("tokenizer.json");
    for p in [&model_path, &tokenizer_path] {
        if !p.is_file() {
            return Err(ImportError::MissingFile { path: p.clone() });
        }
    }
    let model = Ct2Model::read(&model_path)?;
    let tokens = vocab::read_vocab(&tokenizer_path)?;
    let plan = Plan::new(&model)?;
    if tokens.len() > plan.hparams.n_vocab as usize {
        return Err(ImportError::Tokenizer {
            path: tokenizer_path,
            reason: format!(
                "{} text tokens but the embedding has only {} rows",
                tokens.len(),
                plan.hparams.n_vocab
            ),
        });
    }
    let n_mels = plan.hparams.n_mels as usize;
    let filters = MelFilters {
        n_mel: n_mels,
        n_fft: mel::N_FFT / 2 + 1,
        data: mel::mel_filters(n_mels),
    };
    let bytes_written = ggml::write_file_atomic(out, |w| {
        let io = |e| ImportError::io(out, e);
        ggml::write_header(w, &plan.hparams, &filters, &tokens).map_err(io)?;
        for item in &plan.items {
            let t = item.build(&model)?;
            ggml::write_tensor(w, &t).map_err(io)?;
        }
        Ok::<(), ImportError>(())
    })?;
    Ok(ImportReport {
        output: out.to_path_buf(),
        hparams: plan.hparams,
        tensors: plan.items.len(),
        vocab_size: tokens.len(),
        bytes_written,
    })
}

/// One output tensor: where its values come from and how it is stored.
#[derive(Debug)]
struct Item {
    name: String,
    /// Output shape, PyTorch order.
    shape: Vec<usize>,
    ttype: GgmlType,
    source: String,
    /// Rows (outermost index) of the source to take; `None` for all.
    rows: Option<(usize, usize)>,
}

impl Item {
    fn build(&self, model: &Ct2Model) -> Result<GgmlTensor, ImportError> {
        // Presence, dtype and shape were checked when the plan was made.
        let var = model.get(&self.source).ok_or_else(|| ImportError::MissingVariable {
            path: model.path.clone(),
            name: self.source.clone(),
        })?;
        let values = var.to_f32().ok_or_else(|| unsupported(model, var))?;
        let values = match self.rows {
            Some((r0, r1)) => {
                let inner = var.numel() / var.shape[0].max(1);
                &values[r0 * inner..r1 * inner]
            }
            None => &values[..],
        };
        Ok(match self.ttype {
            GgmlType::F32 => GgmlTensor::f32(self.name.clone(), &self.shape, values),
            _ => GgmlTensor::f16(self.name.clone(), &self.shape, values),
        })
    }
}

fn unsupported(model: &Ct2Model, var: &Ct2Variable) -> ImportError {
    ImportError::UnsupportedDtype {
        path: model.path.clone(),
        name: var.name.clone(),
        dtype: format!("{:?} (only float32/float16/bfloat16 models can be converted)", var.dtype),
    }
}

/// The validated list of output tensors and the header dimensions.
struct Plan {
    hparams: Hparams,
    items: Vec<Item>,
}

struct Builder<'a> {
    model: &'a Ct2Model,
    vars: HashMap<&'a str, &'a Ct2Variable>,
    used: BTreeSet<String>,
    items: Vec<Item>,
    /// Storage type of matrices and conv kernels.
    wtype: GgmlType,
}

impl<'a> Builder<'a> {
    fn var(&mut self, name: &str) -> Result<&'a Ct2Variable, ImportError> {
        let v = self
            .vars
            .get(name)
            .copied()
            .ok_or_else(|| ImportError::MissingVariable {
                path: self.model.path.clone(),
                name: name.to_string(),
            })?;
        self.used.insert(name.to_string());
        Ok(v)
    }

    /// The shape of a variable, which must have the given rank.
    fn shape(&mut self, name: &str, rank: usize) -> Result<Vec<usize>, ImportError> {
        let v = self.var(name)?;
        if v.shape.len() != rank {
            return Err(ImportError::ShapeMismatch {
                path: self.model.path.clone(),
                name: name.to_string(),
                expected: vec![0; rank],
                found: v.shape.clone(),
            });
        }
        Ok(v.shape.clone())
    }

    fn scalar(&mut self, name: &str) -> Result<Option<i64>, ImportError> {
        match self.vars.get(name).copied() {
            None => Ok(None),
            Some(v) => {
                self.used.insert(name.to_string());
                v.scalar_int().map(Some).ok_or_else(|| ImportError::Invalid {
                    path: self.model.path.clone(),
                    reason: format!("'{name}' is not an integer scalar"),
                })
            }
        }
    }

    /// Adds an output tensor taking `rows` of `source`, whose full shape must be `src_shape`.
    fn push(
        &mut self,
        name: String,
        source: &str,
        src_shape: &[usize],
        rows: Option<(usize, usize)>,
        out_shape: Option<Vec<usize>>,
        ttype: GgmlType,
    ) -> Result<(), ImportError> {
        let v = self.var(source)?;
        if v.shape != src_shape {
            return Err(ImportError::ShapeMismatch {
                path: self.model.path.clone(),
                name: source.to_string(),
                expected: src_shape.to_vec(),
                found: v.shape.clone(),
            });
        }
        if !v.dtype.is_float() {
            return Err(unsupported(self.model, v));
        }
        let mut shape = src_shape.to_vec();
        if let Some((r0, r1)) = rows {
            shape[0] = r1 - r0;
        }
        let shape = out_shape.unwrap_or(shape);
        self.items.push(Item {
            name,
            shape,
            ttype,
            source: source.to_string(),
            rows,
        });
        Ok(())
    }

    /// A bias/norm vector of length `n`, stored f32.
    fn vector(&mut self, name: String, source: &str, n: usize) -> Result<(), ImportError> {
        self.push(name, source, &[n], None, None, GgmlType::F32)
    }

    /// A matrix (out, in), stored f16.
    fn matrix(&mut self, name: String, source: &str, out: usize, inp: usize) -> Result<(), ImportError> {
        self.push(name, source, &[out, inp], None, None, self.wtype)
    }

    /// A layer norm: CTranslate2 gamma/beta → whisper.cpp weight/bias.
    fn norm(&mut self, name: &str, source: &str, n: usize) -> Result<(), ImportError> {
        self.vector(format!("{name}.weight"), &format!("{source}/gamma"), n)?;
        self.vector(format!("{name}.bias"), &format!("{source}/beta"), n)
    }

    /// A linear layer: weight (out, in) + bias (out).
    fn linear(&mut self, name: &str, source: &str, out: usize, inp: usize) -> Result<(), ImportError> {
        self.matrix(format!("{name}.weight"), &format!("{source}/weight"), out, inp)?;
        self.vector(format!("{name}.bias"), &format!("{source}/bias"), out)
    }

    /// q, k, v and out projections of one attention block. `fused_qkv` is the
    /// self-attention layout (linear_0 = q|k|v, linear_1 = out); otherwise cross-attention
    /// (linear_0 = q, linear_1 = k|v, linear_2 = out).
    fn attention(&mut self, name: &str, src: &str, d: usize, fused_qkv: bool) -> Result<(), ImportError> {
        let (q_src, kv_src, kv_row0, out_src) = if fused_qkv {
            (format!("{src}/linear_0"), format!("{src}/linear_0"), d, format!("{src}/linear_1"))
        } else {
            (format!("{src}/linear_0"), format!("{src}/linear_1"), 0, format!("{src}/linear_2"))
        };
        let w_rows = |s: &str, b: &mut Self| -> Result<usize, ImportError> {
            Ok(b.shape(&format!("{s}/weight"), 2)?[0])
        };
        let q_rows = w_rows(&q_src, self)?;
        let kv_rows = w_rows(&kv_src, self)?;
        let (qw, qb) = (format!("{q_src}/weight"), format!("{q_src}/bias"));
        let (kvw, kvb) = (format!("{kv_src}/weight"), format!("{kv_src}/bias"));
        // Validate the fused sizes explicitly so a wrong layout reports the expected shape.
        let expect_q = if fused_qkv { 3 * d } else { d };
        let expect_kv = if fused_qkv { 3 * d } else { 2 * d };
        for (n, rows, want) in [(&qw, q_rows, expect_q), (&kvw, kv_rows, expect_kv)] {
            if rows != want {
                return Err(ImportError::ShapeMismatch {
                    path: self.model.path.clone(),
                    name: n.clone(),
                    expected: vec![want, d],
                    found: self.vars[n.as_str()].shape.clone(),
                });
            }
        }
        let f16 = self.wtype;
        let f32 = GgmlType::F32;
        self.push(format!("{name}.query.weight"), &qw, &[expect_q, d], Some((0, d)), None, f16)?;
        self.push(format!("{name}.query.bias"), &qb, &[expect_q], Some((0, d)), None, f32)?;
        self.push(format!("{name}.key.weight"), &kvw, &[expect_kv, d], Some((kv_row0, kv_row0 + d)), None, f16)?;
        // The key bias (rows kv_row0..kv_row0+d of the fused bias) is deliberately not written.
        self.push(format!("{name}.value.weight"), &kvw, &[expect_kv, d], Some((kv_row0 + d, kv_row0 + 2 * d)), None, f16)?;
        self.push(format!("{name}.value.bias"), &kvb, &[expect_kv], Some((kv_row0 + d, kv_row0 + 2 * d)), None, f32)?;
        self.linear(&format!("{name}.out"), &out_src, d, d)
    }

    fn mlp(&mut self, name: &str, src: &str, d: usize, ff: usize) -> Result<(), ImportError> {
        self.linear(&format!("{name}.mlp.0"), &format!("{src}/ffn/linear_0"), ff, d)?;
        self.linear(&format!("{name}.mlp.2"), &format!("{src}/ffn/linear_1"), d, ff)?;
        self.norm(&format!("{name}.mlp_ln"), &format!("{src}/ffn/layer_norm"), d)
    }

    fn count_layers(&self, prefix: &str) -> usize {
        let mut n = 0;
        while self
            .vars
            .keys()
            .any(|k| k.starts_with(&format!("{prefix}/layer_{n}/")))
        {
            n += 1;
        }
        n
    }
}

fn to_i32(model: &Ct2Model, what: &str, v: usize) -> Result<i32, ImportError> {
    i32::try_from(v).map_err(|_| ImportError::Invalid {
        path: model.path.clone(),
        reason: format!("{what} = {v} does not fit the ggml header"),
    })
}

impl Plan {
    fn new(model: &Ct2Model) -> Result<Self, ImportError> {
        if model.spec != "WhisperSpec" {
            return Err(ImportError::BadHeader {
                path: model.path.clone(),
                reason: format!("spec '{}' is not WhisperSpec", model.spec),
            });
        }
        let mut b = Builder {
            model,
            vars: model.variables.iter().map(|v| (v.name.as_str(), v)).collect(),
            used: BTreeSet::new(),
            items: Vec::new(),
            wtype: GgmlType::F16,
        };
        let invalid = |reason: String| ImportError::Invalid {
            path: model.path.clone(),
            reason,
        };

        // Dimensions, read off the arrays that define them.
        let conv1 = b.shape("encoder/conv1/weight", 3)?;
        let (d_audio, n_mels) = (conv1[0], conv1[1]);
        let epe = b.shape("encoder/position_encodings/encodings", 2)?;
        let n_audio_ctx = epe[0];
        let emb = b.shape("decoder/embeddings/weight", 2)?;
        let (n_vocab, d_text) = (emb[0], emb[1]);
        let dpe = b.shape("decoder/position_encodings/encodings", 2)?;
        let n_text_ctx = dpe[0];
        let n_audio_layer = b.count_layers("encoder");
        let n_text_layer = b.count_layers("decoder");
        let heads = |b: &mut Builder, name: &str| -> Result<usize, ImportError> {
            let h = b.scalar(name)?.ok_or_else(|| ImportError::MissingVariable {
                path: model.path.clone(),
                name: name.to_string(),
            })?;
            usize::try_from(h).ok().filter(|&h| h > 0).ok_or_else(|| ImportError::Invalid {
                path: model.path.clone(),
                reason: format!("{name} = {h}"),
            })
        };
        let n_audio_head = heads(&mut b, "encoder/num_heads")?;
        let n_text_head = heads(&mut b, "decoder/num_heads")?;
        if d_audio != d_text {
            return Err(invalid(format!(
                "encoder width {d_audio} differs from decoder width {d_text}; whisper.cpp requires them equal"
            )));
        }
        if d_audio % n_audio_head != 0 || d_text % n_text_head != 0 {
            return Err(invalid(format!(
                "width {d_audio} is not divisible by the head counts {n_audio_head}/{n_text_head}"
            )));
        }
        // Configuration scalars that would change the computation whisper.cpp performs.
        for (name, want) in [
            ("decoder/scale_embeddings", 0),
            ("decoder/pre_norm", 1),
            ("encoder/pre_norm", 1),
            ("decoder/alibi", 0),
            ("decoder/activation", ACTIVATION_GELU),
            ("encoder/activation", ACTIVATION_GELU),
        ] {
            if let Some(v) = b.scalar(name)?
                && v != want
            {
                return Err(invalid(format!("{name} = {v}, whisper.cpp computes {want}")));
            }
        }

        let f16 = b.wtype;
        let f32 = GgmlType::F32;
        let d = d_audio;
        // whisper.cpp hard-codes the MLP width as 4 × n_state.
        let (ff_audio, ff_text) = (4 * d, 4 * d);

        // Encoder, in the order of openai-whisper's state_dict (as convert-pt-to-ggml writes).
        b.push("encoder.positional_embedding".into(), "encoder/position_encodings/encodings", &[n_audio_ctx, d], None, None, f32)?;
        b.push("encoder.conv1.weight".into(), "encoder/conv1/weight", &[d, n_mels, 3], None, None, f16)?;
        b.push("encoder.conv1.bias".into(), "encoder/conv1/bias", &[d], None, Some(vec![d, 1]), f32)?;
        b.push("encoder.conv2.weight".into(), "encoder/conv2/weight", &[d, d, 3], None, None, f16)?;
        b.push("encoder.conv2.bias".into(), "encoder/conv2/bias", &[d], None, Some(vec![d, 1]), f32)?;
        for i in 0..n_audio_layer {
            let (name, src) = (format!("encoder.blocks.{i}"), format!("encoder/layer_{i}"));
            b.attention(&format!("{name}.attn"), &format!("{src}/self_attention"), d, true)?;
            b.norm(&format!("{name}.attn_ln"), &format!("{src}/self_attention/layer_norm"), d)?;
            b.mlp(&name, &src, d, ff_audio)?;
        }
        b.norm("encoder.ln_post", "encoder/layer_norm", d)?;

        // Decoder.
        b.push("decoder.positional_embedding".into(), "decoder/position_encodings/encodings", &[n_text_ctx, d], None, None, f32)?;
        b.push("decoder.token_embedding.weight".into(), "decoder/embeddings/weight", &[n_vocab, d], None, None, f16)?;
        for i in 0..n_text_layer {
            let (name, src) = (format!("decoder.blocks.{i}"), format!("decoder/layer_{i}"));
            b.attention(&format!("{name}.attn"), &format!("{src}/self_attention"), d, true)?;
            b.norm(&format!("{name}.attn_ln"), &format!("{src}/self_attention/layer_norm"), d)?;
            b.attention(&format!("{name}.cross_attn"), &format!("{src}/attention"), d, false)?;
            b.norm(&format!("{name}.cross_attn_ln"), &format!("{src}/attention/layer_norm"), d)?;
            b.mlp(&name, &src, d, ff_text)?;
        }
        b.norm("decoder.ln", "decoder/layer_norm", d)?;

        // The output projection must be the token embedding, as whisper.cpp assumes.
        let proj = "decoder/projection/weight";
        let aliased = model
            .aliases
            .iter()
            .any(|(a, t)| a == proj && t == "decoder/embeddings/weight");
        if let Some(p) = b.vars.get(proj).copied() {
            let e = b.vars["decoder/embeddings/weight"];
            if p.shape != e.shape || p.data != e.data {
                return Err(invalid(format!(
                    "{proj} differs from decoder/embeddings/weight; whisper.cpp ties them"
                )));
            }
            b.used.insert(proj.to_string());
        } else if !aliased {
            return Err(ImportError::MissingVariable {
                path: model.path.clone(),
                name: proj.to_string(),
            });
        }

        // Anything not consumed is something this converter does not understand.
        for v in &model.variables {
            let is_config = v.shape.is_empty()
                && v.name
                    .rsplit('/')
                    .next()
                    .is_some_and(|leaf| CONFIG_SCALARS.contains(&leaf));
            if !b.used.contains(&v.name) && !is_config {
                return Err(ImportError::UnexpectedVariable {
                    path: model.path.clone(),
                    name: v.name.clone(),
                });
            }
        }

        let hparams = Hparams {
            n_vocab: to_i32(model, "n_vocab", n_vocab)?,
            n_audio_ctx: to_i32(model, "n_audio_ctx", n_audio_ctx)?,
            n_audio_state: to_i32(model, "n_audio_state", d)?,
            n_audio_head: to_i32(model, "n_audio_head", n_audio_head)?,
            n_audio_layer: to_i32(model, "n_audio_layer", n_audio_layer)?,
            n_text_ctx: to_i32(model, "n_text_ctx", n_text_ctx)?,
            n_text_state: to_i32(model, "n_text_state", d)?,
            n_text_head: to_i32(model, "n_text_head", n_text_head)?,
            n_text_layer: to_i32(model, "n_text_layer", n_text_layer)?,
            n_mels: to_i32(model, "n_mels", n_mels)?,
            ftype: 1, // GGML_FTYPE_MOSTLY_F16
        };
        Ok(Plan {
            hparams,
            items: b.items,
        })
    }
}

/// Test fixtures shared by the import and quantize tests.
#[cfg(test)]
pub(crate) mod fixtures {
    use super::super::ct2::{Ct2Dtype, Ct2Variable, write_model_bin};
    use super::super::ggml::{GgmlType, Hparams};
    use std::path::Path;

    /// Dimensions of the synthetic model.
    pub const D: usize = 32;
    pub const FF: usize = 4 * D;
    pub const MELS: usize = 4;
    pub const AUDIO_CTX: usize = 6;
    pub const TEXT_CTX: usize = 5;
    pub const VOCAB: usize = 12;
    pub const TEXT_TOKENS: usize = 10;
    pub const HEADS: i16 = 4;

    /// Deterministic f16-exact values distinct per variable and element.
    pub fn values(seed: usize, n: usize) -> Vec<f32> {
        (0..n)
            .map(|i| (((seed * 7919 + i * 31) % 2001) as f32 - 1000.0) / 256.0)
            .collect()
    }

    fn f16var(name: &str, shape: &[usize], seed: usize) -> Ct2Variable {
        let n = shape.iter().product();
        Ct2Variable {
            name: name.to_string(),
            shape: shape.to_vec(),
            dtype: Ct2Dtype::F16,
            data: values(seed, n)
                .iter()
                .flat_map(|v| half::f16::from_f32(*v).to_le_bytes())
                .collect(),
        }
    }

    fn scalar_i16(name: &str, v: i16) -> Ct2Variable {
        Ct2Variable {
            name: name.into(),
            shape: vec![],
            dtype: Ct2Dtype::I16,
            data: v.to_le_bytes().to_vec(),
        }
    }

    fn scalar_i8(name: &str, v: i8) -> Ct2Variable {
        Ct2Variable {
            name: name.into(),
            shape: vec![],
            dtype: Ct2Dtype::I8,
            data: v.to_le_bytes().to_vec(),
        }
    }

    /// Variables of a one-layer WhisperSpec model, sorted by name like CTranslate2 writes them.
    pub fn tiny_variables() -> Vec<Ct2Variable> {
        tiny_variables_with_mels(MELS)
    }

    /// [`tiny_variables`] with `mels` mel bins (80 for Whisper up to large-v2, 128 for the
    /// large-v3 family).
    pub fn tiny_variables_with_mels(mels: usize) -> Vec<Ct2Variable> {
        let mut specs: Vec<(String, Vec<usize>)> = vec![
            ("encoder/conv1/weight".into(), vec![D, mels, 3]),
            ("encoder/conv1/bias".into(), vec![D]),
            ("encoder/conv2/weight".into(), vec![D, D, 3]),
            ("encoder/conv2/bias".into(), vec![D]),
            ("encoder/position_encodings/encodings".into(), vec![AUDIO_CTX, D]),
            ("encoder/layer_norm/gamma".into(), vec![D]),
            ("encoder/layer_norm/beta".into(), vec![D]),
            ("decoder/embeddings/weight".into(), vec![VOCAB, D]),
            ("decoder/position_encodings/encodings".into(), vec![TEXT_CTX, D]),
            ("decoder/layer_norm/gamma".into(), vec![D]),
            ("decoder/layer_norm/beta".into(), vec![D]),
        ];
        let mut block = |p: &str, cross: bool| {
            let mut add = |n: &str, s: Vec<usize>| specs.push((format!("{p}/{n}"), s));
            for ln in ["self_attention/layer_norm", "ffn/layer_norm"] {
                add(&format!("{ln}/gamma"), vec![D]);
                add(&format!("{ln}/beta"), vec![D]);
            }
            add("self_attention/linear_0/weight", vec![3 * D, D]);
            add("self_attention/linear_0/bias", vec![3 * D]);
            add("self_attention/linear_1/weight", vec![D, D]);
            add("self_attention/linear_1/bias", vec![D]);
            add("ffn/linear_0/weight", vec![FF, D]);
            add("ffn/linear_0/bias", vec![FF]);
            add("ffn/linear_1/weight", vec![D, FF]);
            add("ffn/linear_1/bias", vec![D]);
            if cross {
                add("attention/layer_norm/gamma", vec![D]);
                add("attention/layer_norm/beta", vec![D]);
                add("attention/linear_0/weight", vec![D, D]);
                add("attention/linear_0/bias", vec![D]);
                add("attention/linear_1/weight", vec![2 * D, D]);
                add("attention/linear_1/bias", vec![2 * D]);
                add("attention/linear_2/weight", vec![D, D]);
                add("attention/linear_2/bias", vec![D]);
            }
        };
        block("encoder/layer_0", false);
        block("decoder/layer_0", true);
        let mut vars: Vec<Ct2Variable> = specs
            .iter()
            .enumerate()
            .map(|(i, (n, s))| f16var(n, s, i + 1))
            .collect();
        vars.push(scalar_i16("encoder/num_heads", HEADS));
        vars.push(scalar_i16("decoder/num_heads", HEADS));
        vars.push(scalar_i8("decoder/activation", 3));
        vars.push(scalar_i8("decoder/pre_norm", 1));
        vars.push(scalar_i8("decoder/scale_embeddings", 0));
        vars.push(scalar_i16("decoder/alignment_layer", -1));
        vars.sort_by(|a, b| a.name.cmp(&b.name));
        vars
    }

    /// tokenizer.json with TEXT_TOKENS byte-level tokens and two specials.
    pub fn tokenizer_json() -> String {
        let mut vocab: Vec<String> = ["!", "a", "Ġb", "åľº", "c", "d", "e", "f", "g", ""]
            .iter()
            .enumerate()
            .map(|(i, t)| format!("\"{t}\":{i}"))
            .collect();
        vocab.push("\"<|endoftext|>\":10".into());
        format!(
            r#"{{"added_tokens":[{{"id":10,"content":"<|endoftext|>","special":true}},
                {{"id":11,"content":"<|startoftranscript|>","special":true}}],
               "model":{{"type":"BPE","vocab":{{{}}},"merges":[]}}}}"#,
            vocab.join(",")
        )
    }

    /// Writes a CTranslate2 model directory from `vars`.
    pub fn write_ct2_dir(dir: &Path, vars: &[Ct2Variable]) {
        std::fs::create_dir_all(dir).unwrap();
        let bin = write_model_bin(
            "WhisperSpec",
            vars,
            &[("decoder/projection/weight", "decoder/embeddings/weight")],
        );
        std::fs::write(dir.join("model.bin"), bin).unwrap();
        std::fs::write(dir.join("tokenizer.json"), tokenizer_json()).unwrap();
        std::fs::write(dir.join("config.json"), "{}").unwrap();
    }

    /// Every tensor `whisper_model_load` creates, with its `ne` and type for an f16 model
    /// (wtype = F16, conv type F16), transcribed from whisper.cpp 1.8.3.
    pub fn expected_tensors(h: &Hparams, wtype: GgmlType) -> Vec<(String, Vec<usize>, GgmlType)> {
        let (s, ctx, mels) = (h.n_audio_state as usize, h.n_audio_ctx as usize, h.n_mels as usize);
        let (ts, tctx, nv) = (h.n_text_state as usize, h.n_text_ctx as usize, h.n_vocab as usize);
        // The conv kernel type is F16 unless the whole model is F32.
        let vtype = if wtype == GgmlType::F32 { GgmlType::F32 } else { GgmlType::F16 };
        let f32t = GgmlType::F32;
        let mut v = vec![
            ("encoder.positional_embedding".to_string(), vec![s, ctx], f32t),
            ("encoder.conv1.weight".into(), vec![3, mels, s], vtype),
            ("encoder.conv1.bias".into(), vec![1, s], f32t),
            ("encoder.conv2.weight".into(), vec![3, s, s], vtype),
            ("encoder.conv2.bias".into(), vec![1, s], f32t),
            ("encoder.ln_post.weight".into(), vec![s], f32t),
            ("encoder.ln_post.bias".into(), vec![s], f32t),
            ("decoder.positional_embedding".into(), vec![ts, tctx], f32t),
            ("decoder.token_embedding.weight".into(), vec![ts, nv], wtype),
            ("decoder.ln.weight".into(), vec![ts], f32t),
            ("decoder.ln.bias".into(), vec![ts], f32t),
        ];
        let block = |p: String, st: usize, v: &mut Vec<(String, Vec<usize>, GgmlType)>| {
            v.push((format!("{p}mlp_ln.weight"), vec![st], f32t));
            v.push((format!("{p}mlp_ln.bias"), vec![st], f32t));
            v.push((format!("{p}mlp.0.weight"), vec![st, 4 * st], wtype));
            v.push((format!("{p}mlp.0.bias"), vec![4 * st], f32t));
            v.push((format!("{p}mlp.2.weight"), vec![4 * st, st], wtype));
            v.push((format!("{p}mlp.2.bias"), vec![st], f32t));
        };
        let attn = |p: String, st: usize, v: &mut Vec<(String, Vec<usize>, GgmlType)>| {
            v.push((format!("{p}_ln.weight"), vec![st], f32t));
            v.push((format!("{p}_ln.bias"), vec![st], f32t));
            v.push((format!("{p}.query.weight"), vec![st, st], wtype));
            v.push((format!("{p}.query.bias"), vec![st], f32t));
            v.push((format!("{p}.key.weight"), vec![st, st], wtype));
            v.push((format!("{p}.value.weight"), vec![st, st], wtype));
            v.push((format!("{p}.value.bias"), vec![st], f32t));
            v.push((format!("{p}.out.weight"), vec![st, st], wtype));
            v.push((format!("{p}.out.bias"), vec![st], f32t));
        };
        for i in 0..h.n_audio_layer {
            block(format!("encoder.blocks.{i}."), s, &mut v);
            attn(format!("encoder.blocks.{i}.attn"), s, &mut v);
        }
        for i in 0..h.n_text_layer {
            block(format!("decoder.blocks.{i}."), ts, &mut v);
            attn(format!("decoder.blocks.{i}.attn"), ts, &mut v);
            attn(format!("decoder.blocks.{i}.cross_attn"), ts, &mut v);
        }
        v.sort();
        v
    }
}

#[cfg(test)]
mod tests {
    use super::fixtures::*;
    use super::*;
    use crate::model::ct2::write_model_bin;
    use crate::model::ggml::GgmlModel;

    fn import_tiny(vars: &[Ct2Variable]) -> (tempfile::TempDir, Result<ImportReport, ImportError>) {
        let dir = tempfile::tempdir().unwrap();
        let ct2 = dir.path().join("ct2");
        write_ct2_dir(&ct2, vars);
        let r = import_ct2(&ct2, &dir.path().join("out/ggml.bin"));
        (dir, r)
    }

    fn var(vars: &[Ct2Variable], name: &str) -> Vec<f32> {
        vars.iter().find(|v| v.name == name).unwrap().to_f32().unwrap()
    }

    #[test]
    fn tiny_model_converts_to_what_whisper_cpp_expects() {
        let vars = tiny_variables();
        let (dir, report) = import_tiny(&vars);
        let report = report.unwrap();
        let out = dir.path().join("out/ggml.bin");
        assert_eq!(report.bytes_written, std::fs::metadata(&out).unwrap().len());
        let m = GgmlModel::read(&out).unwrap();

        let h = m.hparams;
        assert_eq!(
            h,
            Hparams {
                n_vocab: VOCAB as i32,
                n_audio_ctx: AUDIO_CTX as i32,
                n_audio_state: D as i32,
                n_audio_head: HEADS as i32,
                n_audio_layer: 1,
                n_text_ctx: TEXT_CTX as i32,
                n_text_state: D as i32,
                n_text_head: HEADS as i32,
                n_text_layer: 1,
                n_mels: MELS as i32,
                ftype: 1,
            }
        );
        assert_eq!(report.hparams, h);

        // Names, shapes and storage types exactly as whisper_model_load creates them.
        let mut got: Vec<_> = m.tensors.iter().map(|t| (t.name.clone(), t.ne.clone(), t.ttype)).collect();
        got.sort();
        assert_eq!(got, expected_tensors(&h, GgmlType::F16));
        assert_eq!(report.tensors, 7 + 15 + 4 + 24);
        assert!(m.tensor("encoder.blocks.0.attn.key.bias").is_none());
        assert!(m.tensor("decoder.blocks.0.cross_attn.key.bias").is_none());

        // Fused q|k|v split by rows.
        let f = |n: &str| m.tensor(n).unwrap().to_f32().unwrap();
        let qkv = var(&vars, "encoder/layer_0/self_attention/linear_0/weight");
        assert_eq!(f("encoder.blocks.0.attn.query.weight"), qkv[..D * D]);
        assert_eq!(f("encoder.blocks.0.attn.key.weight"), qkv[D * D..2 * D * D]);
        assert_eq!(f("encoder.blocks.0.attn.value.weight"), qkv[2 * D * D..]);
        let qkv_b = var(&vars, "decoder/layer_0/self_attention/linear_0/bias");
        assert_eq!(f("decoder.blocks.0.attn.query.bias"), qkv_b[..D]);
        assert_eq!(f("decoder.blocks.0.attn.value.bias"), qkv_b[2 * D..]);
        // Cross attention: q alone, k|v fused.
        let q = var(&vars, "decoder/layer_0/attention/linear_0/weight");
        let kv = var(&vars, "decoder/layer_0/attention/linear_1/weight");
        let kv_b = var(&vars, "decoder/layer_0/attention/linear_1/bias");
        assert_eq!(f("decoder.blocks.0.cross_attn.query.weight"), q);
        assert_eq!(f("decoder.blocks.0.cross_attn.key.weight"), kv[..D * D]);
        assert_eq!(f("decoder.blocks.0.cross_attn.value.weight"), kv[D * D..]);
        assert_eq!(f("decoder.blocks.0.cross_attn.value.bias"), kv_b[D..]);
        assert_eq!(
            f("decoder.blocks.0.cross_attn.out.weight"),
            var(&vars, "decoder/layer_0/attention/linear_2/weight")
        );
        // Conv bias reshaped to (n, 1) and widened to f32 without changing values.
        let cb = m.tensor("encoder.conv1.bias").unwrap();
        assert_eq!((cb.ne.clone(), cb.ttype), (vec![1, D], GgmlType::F32));
        assert_eq!(cb.to_f32().unwrap(), var(&vars, "encoder/conv1/bias"));
        assert_eq!(f("encoder.conv2.weight"), var(&vars, "encoder/conv2/weight"));
        assert_eq!(f("encoder.ln_post.weight"), var(&vars, "encoder/layer_norm/gamma"));
        assert_eq!(f("decoder.blocks.0.mlp.2.weight"), var(&vars, "decoder/layer_0/ffn/linear_1/weight"));
        assert_eq!(f("decoder.token_embedding.weight"), var(&vars, "decoder/embeddings/weight"));

        // Vocabulary: text tokens only, as bytes; filters computed for MELS bins.
        assert_eq!(report.vocab_size, TEXT_TOKENS);
        assert_eq!(m.vocab.len(), TEXT_TOKENS);
        assert_eq!(m.vocab[2], b" b");
        assert_eq!(m.vocab[3], "场".as_bytes());
        assert_eq!(m.vocab[9], b"");
        assert_eq!((m.filters.n_mel, m.filters.n_fft), (MELS, 201));
        assert_eq!(m.filters.data, crate::model::mel::mel_filters(MELS));
        // Nothing else left in the output directory (atomic write cleaned up).
        assert_eq!(std::fs::read_dir(dir.path().join("out")).unwrap().count(), 1);
    }

    /// The large-v3 family hears 128 mel bins: the importer takes the count from the first
    /// convolution, writes a 128-row Slaney filterbank and shapes the tensors for it.
    #[test]
    fn a_model_with_128_mel_bins_converts() {
        let vars = tiny_variables_with_mels(128);
        let (dir, report) = import_tiny(&vars);
        let report = report.unwrap();
        let m = GgmlModel::read(&dir.path().join("out/ggml.bin")).unwrap();
        assert_eq!((m.hparams.n_mels, report.hparams.n_mels), (128, 128));
        assert_eq!((m.filters.n_mel, m.filters.n_fft), (128, 201));
        assert_eq!(m.filters.data, crate::model::mel::mel_filters(128));
        let mut got: Vec<_> = m.tensors.iter().map(|t| (t.name.clone(), t.ne.clone(), t.ttype)).collect();
        got.sort();
        assert_eq!(got, expected_tensors(&m.hparams, GgmlType::F16));
        let conv = m.tensor("encoder.conv1.weight").unwrap();
        assert_eq!(conv.ne, vec![3, 128, D]);
        assert_eq!(conv.to_f32().unwrap(), var(&vars, "encoder/conv1/weight"));
    }

    #[test]
    fn missing_model_bin_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let e = import_ct2(dir.path(), &dir.path().join("o.bin")).unwrap_err();
        match &e {
            ImportError::MissingFile { path } => assert!(path.ends_with("model.bin")),
            other => panic!("wrong error {other:?}"),
        }
        assert!(e.to_string().contains("model.bin"), "{e}");
        assert!(!dir.path().join("o.bin").exists());
    }

    #[test]
    fn truncated_model_bin_is_a_typed_error_and_writes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        write_ct2_dir(dir.path(), &tiny_variables());
        let bin = dir.path().join("model.bin");
        let bytes = std::fs::read(&bin).unwrap();
        for cut in [2, 40, bytes.len() / 2, bytes.len() - 3] {
            std::fs::write(&bin, &bytes[..cut]).unwrap();
            let e = import_ct2(dir.path(), &dir.path().join("o.bin")).unwrap_err();
            assert!(matches!(e, ImportError::Truncated { .. }), "cut {cut}: {e:?}");
            assert!(e.to_string().contains("model.bin"), "{e}");
        }
        assert!(!dir.path().join("o.bin").exists());
    }

    #[test]
    fn wrong_magic_or_version_is_a_bad_header() {
        let dir = tempfile::tempdir().unwrap();
        write_ct2_dir(dir.path(), &tiny_variables());
        // A model.bin is not a ggml file: the ggml reader rejects its magic.
        let bin = dir.path().join("model.bin");
        let e = GgmlModel::read(&bin).unwrap_err();
        assert!(matches!(e, ImportError::BadHeader { .. }), "{e:?}");
        assert!(e.to_string().contains("model.bin") && e.to_string().contains("magic"), "{e}");
        // A ggml file is not a model.bin: its first word reads as an absurd binary version.
        let mut bytes = std::fs::read(&bin).unwrap();
        bytes[..4].copy_from_slice(&ggml::GGML_MAGIC.to_le_bytes());
        std::fs::write(&bin, &bytes).unwrap();
        let e = import_ct2(dir.path(), &dir.path().join("o.bin")).unwrap_err();
        assert!(matches!(e, ImportError::BadHeader { .. }), "{e:?}");
        assert!(e.to_string().contains("model.bin"), "{e}");
        // A different spec is refused by name.
        std::fs::write(&bin, write_model_bin("TransformerSpec", &tiny_variables(), &[])).unwrap();
        let e = import_ct2(dir.path(), &dir.path().join("o.bin")).unwrap_err();
        assert!(e.to_string().contains("TransformerSpec"), "{e}");
    }

    #[test]
    fn unexpected_variable_and_bad_shape_are_reported_by_name() {
        let mut vars = tiny_variables();
        let mut extra = vars[0].clone();
        extra.name = "encoder/adapter/weight".into();
        vars.push(extra);
        let (_d, r) = import_tiny(&vars);
        match r.unwrap_err() {
            ImportError::UnexpectedVariable { name, path } => {
                assert_eq!(name, "encoder/adapter/weight");
                assert!(path.ends_with("model.bin"));
            }
            other => panic!("wrong error {other:?}"),
        }

        let mut vars = tiny_variables();
        let v = vars
            .iter_mut()
            .find(|v| v.name == "decoder/layer_0/attention/linear_1/weight")
            .unwrap();
        // k|v fused must be (2D, D); give it (3D, D) with a matching payload.
        v.shape = vec![3 * D, D];
        v.data = vec![0; 3 * D * D * 2];
        let (_d, r) = import_tiny(&vars);
        match r.unwrap_err() {
            ImportError::ShapeMismatch { name, expected, found, .. } => {
                assert_eq!(name, "decoder/layer_0/attention/linear_1/weight");
                assert_eq!(expected, vec![2 * D, D]);
                assert_eq!(found, vec![3 * D, D]);
            }
            other => panic!("wrong error {other:?}"),
        }
    }

    #[test]
    fn int8_models_are_refused_not_misread() {
        let mut vars = tiny_variables();
        let v = vars.iter_mut().find(|v| v.name == "encoder/conv2/weight").unwrap();
        v.dtype = crate::model::ct2::Ct2Dtype::I8;
        v.data.truncate(v.data.len() / 2);
        let (_d, r) = import_tiny(&vars);
        assert!(matches!(r.unwrap_err(), ImportError::UnsupportedDtype { .. }));
    }
}
