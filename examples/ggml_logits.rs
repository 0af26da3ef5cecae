//! Per-step next-token logits from whisper.cpp, for checking a converted model.
//!
//! Usage: `ggml_logits MODEL MEL.npy PROMPT TOKENS OUT.npy [THREADS]`
//!
//! MEL.npy is a little-endian f32 (n_mels, 3000) log-mel array, PROMPT and TOKENS are
//! comma-separated token ids (TOKENS may be empty). The encoder runs once on MEL; the decoder
//! is fed PROMPT, then each of TOKENS one at a time through the KV cache (as whisper.cpp decodes
//! in practice), and the logits after PROMPT and after each token are written to OUT.npy as an
//! f32 (len(TOKENS) + 1, n_vocab) array. `models/compare_ct2.py` drives this with the greedy
//! sequence CTranslate2 produced and compares the two distributions step by step.

use std::ffi::CString;
use std::path::Path;

use anyhow::{Context, Result, bail, ensure};
use whisper_rs::whisper_rs_sys as sys;

/// Reads a C-order little-endian f32 .npy file: (shape, values).
fn read_npy_f32(path: &Path) -> Result<(Vec<usize>, Vec<f32>)> {
    let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    ensure!(bytes.len() >= 10 && &bytes[..6] == b"\x93NUMPY", "{}: not an .npy file", path.display());
    let (hlen, start) = match bytes[6] {
        1 => (u16::from_le_bytes([bytes[8], bytes[9]]) as usize, 10),
        2 | 3 => {
            ensure!(bytes.len() >= 12, "{}: truncated header", path.display());
            (u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]) as usize, 12)
        }
        v => bail!("{}: unsupported npy version {v}", path.display()),
    };
    let header = bytes
        .get(start..start + hlen)
        .map(|h| String::from_utf8_lossy(h).into_owned())
        .with_context(|| format!("{}: truncated header", path.display()))?;
    ensure!(header.contains("'descr': '<f4'"), "{}: dtype must be <f4: {header}", path.display());
    ensure!(header.contains("'fortran_order': False"), "{}: must be C order", path.display());
    let shape_txt = header
        .split("'shape': (")
        .nth(1)
        .and_then(|s| s.split(')').next())
        .with_context(|| format!("{}: no shape in header", path.display()))?;
    let shape = shape_txt
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| s.parse::<usize>())
        .collect::<Result<Vec<_>, _>>()
        .with_context(|| format!("{}: bad shape {shape_txt}", path.display()))?;
    let data = &bytes[start + hlen..];
    let n: usize = shape.iter().product();
    ensure!(data.len() == n * 4, "{}: {} data bytes for shape {shape:?}", path.display(), data.len());
    let values = data
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect();
    Ok((shape, values))
}

/// Writes an f32 (rows, cols) array as .npy version 1.0.
fn write_npy_f32(path: &Path, rows: usize, cols: usize, values: &[f32]) -> Result<()> {
    let mut header = format!("{{'descr': '<f4', 'fortran_order': False, 'shape': ({rows}, {cols}), }}");
    // Pad so that magic (6) + version (2) + length (2) + header ends on a 64-byte boundary.
    while (10 + header.len() + 1) % 64 != 0 {
        header.push(' ');
    }
    header.push('\n');
    let mut out = Vec::with_capacity(10 + header.len() + values.len() * 4);
    out.extend_from_slice(b"\x93NUMPY\x01\x00");
    out.extend_from_slice(&(header.len() as u16).to_le_bytes());
    out.extend_from_slice(header.as_bytes());
    for v in values {
        out.extend_from_slice(&v.to_le_bytes());
    }
    callqa::fsutil::write_atomic(path, &out).with_context(|| format!("writing {}", path.display()))
}

fn parse_ids(s: &str) -> Result<Vec<i32>> {
    s.split(',')
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(|t| t.parse::<i32>().with_context(|| format!("bad token id '{t}'")))
        .collect()
}

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 6 {
        bail!("usage: {} MODEL MEL.npy PROMPT TOKENS OUT.npy [THREADS]", args[0]);
    }
    let (model, mel_path, out) = (&args[1], Path::new(&args[2]), Path::new(&args[5]));
    let prompt = parse_ids(&args[3])?;
    let tokens = parse_ids(&args[4])?;
    let threads: i32 = args.get(6).map(|t| t.parse()).transpose()?.unwrap_or(2);
    ensure!(!prompt.is_empty(), "the prompt must not be empty");
    let (shape, mel) = read_npy_f32(mel_path)?;
    ensure!(shape.len() == 2, "{}: mel must be 2-D, got {shape:?}", mel_path.display());

    let cpath = CString::new(model.as_str())?;
    // SAFETY: raw whisper.cpp calls on a context and state owned by this function; every
    // pointer passed outlives the call, and logits are copied out before the next decode.
    unsafe {
        let mut cparams = sys::whisper_context_default_params();
        cparams.use_gpu = false;
        // FLASH_ATTN=0 selects whisper.cpp's non-flash attention path (default: on, as in
        // whisper_context_default_params).
        cparams.flash_attn = std::env::var("FLASH_ATTN").map_or(true, |v| v != "0");
        let ctx = sys::whisper_init_from_file_with_params(cpath.as_ptr(), cparams);
        ensure!(!ctx.is_null(), "whisper.cpp could not load {model}");
        let state = sys::whisper_init_state(ctx);
        ensure!(!state.is_null(), "whisper_init_state failed");
        let rc = sys::whisper_set_mel_with_state(ctx, state, mel.as_ptr(), shape[1] as i32, shape[0] as i32);
        ensure!(rc == 0, "whisper_set_mel_with_state failed ({rc})");
        let rc = sys::whisper_encode_with_state(ctx, state, 0, threads);
        ensure!(rc == 0, "whisper_encode_with_state failed ({rc})");
        let n_vocab = sys::whisper_n_vocab(ctx) as usize;

        let mut all = Vec::with_capacity((tokens.len() + 1) * n_vocab);
        let mut n_past = 0;
        let mut feed = prompt.clone();
        for step in 0..=tokens.len() {
            let rc = sys::whisper_decode_with_state(ctx, state, feed.as_ptr(), feed.len() as i32, n_past, threads);
            ensure!(rc == 0, "whisper_decode_with_state failed at step {step} ({rc})");
            // Only the last fed position's logits are computed (whisper_batch_prep_legacy).
            let logits = sys::whisper_get_logits_from_state(state);
            let last = std::slice::from_raw_parts(logits.add((feed.len() - 1) * n_vocab), n_vocab);
            all.extend_from_slice(last);
            n_past += feed.len() as i32;
            if let Some(&t) = tokens.get(step) {
                feed = vec![t];
            }
        }
        sys::whisper_free_state(state);
        sys::whisper_free(ctx);
        write_npy_f32(out, tokens.len() + 1, n_vocab, &all)?;
    }
    eprintln!("wrote {} ({} steps)", out.display(), tokens.len() + 1);
    Ok(())
}
