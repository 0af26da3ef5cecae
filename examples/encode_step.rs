//! Time whisper.cpp's encoder on one full 30 s window, and one decoder step after it.
//!
//! Usage: `encode_step MODEL WAV [REPEAT]`: WAV is 16 kHz mono 16-bit PCM; its first 30 s
//! (padded with silence if shorter) are encoded REPEAT times (default 5) with one thread and
//! the full 1,500-frame context, as CTranslate2 always encodes. `benches/engine-step.sh` runs
//! this beside CTranslate2's encoder on the same audio: the per-window cost of each engine's
//! kernels, apart from VAD, packing and decoding (benches/README.md).

use std::time::Instant;

use anyhow::{Context, Result, bail, ensure};
use whisper_rs::{WhisperContext, WhisperContextParameters};

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 3 {
        bail!("usage: encode_step MODEL WAV [REPEAT]");
    }
    let repeat: u32 = args.get(3).map(|r| r.parse()).transpose().context("REPEAT is a count")?.unwrap_or(5).max(1);
    let mut reader = hound::WavReader::open(&args[2]).with_context(|| format!("reading {} (want a 16 kHz mono 16-bit PCM WAV)", args[2]))?;
    let spec = reader.spec();
    ensure!(
        spec.sample_rate == 16_000 && spec.channels == 1 && spec.bits_per_sample == 16,
        "{}: want 16 kHz mono 16-bit PCM, found {} Hz, {} channel(s), {} bits",
        args[2],
        spec.sample_rate,
        spec.channels,
        spec.bits_per_sample
    );
    let mut pcm: Vec<f32> = reader.samples::<i16>().take(30 * 16_000).map(|s| s.map(|v| v as f32 / 32768.0)).collect::<Result<_, _>>()?;
    pcm.resize(30 * 16_000, 0.0);

    whisper_rs::install_logging_hooks(); // whisper.cpp's load log off stderr, errors stay on it
    let ctx = WhisperContext::new_with_params(&args[1], WhisperContextParameters::default())
        .with_context(|| format!("loading {}", args[1]))?;
    let mut state = ctx.create_state()?;
    state.pcm_to_mel(&pcm, 1)?;
    state.encode(0, 1)?; // warm-up: buffers, weight repacking
    let t = Instant::now();
    for _ in 0..repeat {
        state.encode(0, 1)?;
    }
    let encode_s = t.elapsed().as_secs_f64() / repeat as f64;
    let steps = 20;
    let t = Instant::now();
    for _ in 0..steps {
        state.decode(&[ctx.token_sot()], 0, 1)?;
    }
    let step_ms = t.elapsed().as_secs_f64() * 1000.0 / steps as f64;
    println!("whisper.cpp encoder, 30 s window, 1 thread: {encode_s:.3} s");
    println!("whisper.cpp decoder step, 1 thread: {step_ms:.1} ms");
    Ok(())
}
