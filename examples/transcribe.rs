//! Transcribes a 16 kHz mono WAV with a ggml model through whisper-rs' high-level API.
//!
//! Usage: `transcribe MODEL WAV [LANG]` (LANG defaults to zh). A smoke test for imported and
//! quantized models; the pipeline's own engine lives in `callqa::asr`.

use anyhow::{Context, Result, bail, ensure};
use whisper_rs::{FullParams, SamplingStrategy, WhisperContext, WhisperContextParameters};

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 3 {
        bail!("usage: {} MODEL WAV [LANG]", args[0]);
    }
    let lang = args.get(3).map_or("zh", String::as_str);
    let mut reader = hound::WavReader::open(&args[2]).with_context(|| format!("opening {}", args[2]))?;
    let spec = reader.spec();
    ensure!(
        spec.sample_rate == 16_000 && spec.channels == 1 && spec.bits_per_sample == 16,
        "{}: need 16 kHz mono 16-bit PCM, got {spec:?} (convert with: sox IN -r 16000 -c 1 -b 16 OUT)",
        args[2]
    );
    let samples: Vec<f32> = reader
        .samples::<i16>()
        .map(|s| s.map(|v| v as f32 / 32768.0))
        .collect::<Result<_, _>>()?;
    let ctx = WhisperContext::new_with_params(&args[1], WhisperContextParameters::default())
        .with_context(|| format!("loading {}", args[1]))?;
    let mut state = ctx.create_state()?;
    let mut params = FullParams::new(SamplingStrategy::Greedy { best_of: 1 });
    params.set_language(Some(lang));
    params.set_n_threads(2);
    params.set_print_progress(false);
    params.set_print_realtime(false);
    params.set_print_timestamps(false);
    state.full(params, &samples)?;
    for seg in state.as_iter() {
        println!("{}", seg.to_str_lossy()?);
    }
    Ok(())
}
