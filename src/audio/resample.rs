//! Sample-rate conversion of whole channels to [`TARGET_RATE`](super::TARGET_RATE).
//!
//! Approach: rubato's synchronous FFT resampler ([`rubato::Fft`]). Call-centre rates are fixed
//! ratios with small reduced fractions (8000/16000 = 1/2, 44100/16000 = 441/160), for which
//! the FFT resampler is both the fastest and an exact rational converter; its anti-aliasing
//! filter is a Blackman-Harris windowed sinc as long as the FFT block, so with blocks of a few
//! thousand input frames the transition band is a few tens of Hz just below 8 kHz.
//! Odd rates (gcd with 16000 of 1) still work: the block just grows to about a second.
//!
//! Timing and length: rubato's `process_all` trims the resampler's reported output delay
//! (half the output FFT block) and flushes the tail. The delay is exact only when the input
//! block length is even (the sinc is centred on sample `len / 2`), so blocks are always an
//! even multiple of the minimal block. The result is cut or padded to
//! `round(frames * 16000 / rate)` samples, so duration is preserved to half a sample.

use rubato::audioadapter_buffers::direct::SequentialSlice;
use rubato::{Fft, FixedSync, Resampler, WindowFunction};

use super::{AudioErrorKind, TARGET_RATE};

/// Input frames per FFT block we aim for at least (rounded up to an even number of the
/// minimal rational block).
const MIN_BLOCK_IN: usize = 2048;

/// Number of output samples for `frames` input frames at `rate`: `round(frames * 16000 / rate)`.
pub fn output_len(frames: usize, rate: u32) -> usize {
    let num = frames as u128 * TARGET_RATE as u128 + rate as u128 / 2;
    (num / rate as u128) as usize
}

fn gcd(mut a: usize, mut b: usize) -> usize {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

/// A resampler from `rate` to 16 kHz, reused for every channel of one file.
pub struct ToTarget {
    rate: u32,
    fft: Option<Fft<f32>>,
}

impl ToTarget {
    /// `rate` must be non-zero (the WAV parser guarantees a plausible rate).
    pub fn new(rate: u32) -> Result<Self, String> {
        if rate == TARGET_RATE {
            return Ok(Self { rate, fft: None });
        }
        let rate_in = rate as usize;
        let rate_out = TARGET_RATE as usize;
        let min_in = rate_in / gcd(rate_in, rate_out);
        let mut blocks = MIN_BLOCK_IN.div_ceil(min_in).max(2);
        blocks += blocks % 2;
        let fft = Fft::<f32>::new_custom(
            rate_in,
            rate_out,
            blocks * min_in,
            1,
            1,
            WindowFunction::BlackmanHarris2,
            FixedSync::Input,
        )
        .map_err(|e| format!("cannot build a {rate} Hz to {TARGET_RATE} Hz resampler: {e}"))?;
        Ok(Self {
            rate,
            fft: Some(fft),
        })
    }

    /// Resamples one channel. Output length is exactly [`output_len`]`(samples.len(), rate)`.
    #[cfg(test)]
    pub fn run(&mut self, samples: &[f32]) -> Result<Vec<f32>, String> {
        self.convert(samples).map_err(|e| e.to_string())
    }

    /// Resamples one channel, taking it by value: at 16 kHz it is returned as it is, and the
    /// input is freed before the caller's next channel. The output is reserved fallibly.
    pub fn run_owned(&mut self, samples: Vec<f32>) -> Result<Vec<f32>, AudioErrorKind> {
        if self.fft.is_none() {
            return Ok(samples);
        }
        self.convert(&samples)
    }

    fn convert(&mut self, samples: &[f32]) -> Result<Vec<f32>, AudioErrorKind> {
        let want = output_len(samples.len(), self.rate);
        let Some(fft) = self.fft.as_mut() else {
            return Ok(samples.to_vec());
        };
        if samples.is_empty() {
            return Ok(Vec::new());
        }
        let input = SequentialSlice::new(samples, 1, samples.len())
            .map_err(|e| AudioErrorKind::Resample(format!("resampler input: {e}")))?;
        fft.reset();
        let needed = fft.process_all_needed_output_len(samples.len()).max(want);
        let mut out = Vec::new();
        out.try_reserve_exact(needed)
            .map_err(|_| AudioErrorKind::OutOfMemory { bytes: (samples.len() + needed) as u64 * 4 })?;
        out.resize(needed, 0.0);
        let (_, got) = {
            let mut output = SequentialSlice::new_mut(&mut out, 1, needed)
                .map_err(|e| AudioErrorKind::Resample(format!("resampler output: {e}")))?;
            fft.process_all_into_buffer(&input, &mut output, samples.len(), None)
                .map_err(|e| AudioErrorKind::Resample(format!("resampling failed: {e}")))?
        };
        out.truncate(got);
        out.resize(want, 0.0);
        // The sinc can ring a hair past full scale on clipped input; keep the [-1, 1] contract.
        for s in &mut out {
            *s = s.clamp(-1.0, 1.0);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::f64::consts::PI;

    fn sine(freq: f64, rate: u32, frames: usize, amp: f64) -> Vec<f32> {
        (0..frames)
            .map(|n| (amp * (2.0 * PI * freq * n as f64 / rate as f64).sin()) as f32)
            .collect()
    }

    /// Least-squares fit of `a sin + b cos` at `freq` over `x` (16 kHz) → (amplitude, phase).
    fn fit(x: &[f32], freq: f64) -> (f64, f64) {
        let (mut ss, mut sc, mut cc, mut xs, mut xc) = (0.0, 0.0, 0.0, 0.0, 0.0);
        for (n, &v) in x.iter().enumerate() {
            let t = 2.0 * PI * freq * n as f64 / TARGET_RATE as f64;
            let (s, c) = t.sin_cos();
            ss += s * s;
            sc += s * c;
            cc += c * c;
            xs += v as f64 * s;
            xc += v as f64 * c;
        }
        let det = ss * cc - sc * sc;
        let a = (xs * cc - xc * sc) / det;
        let b = (xc * ss - xs * sc) / det;
        ((a * a + b * b).sqrt(), b.atan2(a))
    }

    fn rms(x: &[f32]) -> f64 {
        (x.iter().map(|&v| v as f64 * v as f64).sum::<f64>() / x.len() as f64).sqrt()
    }

    fn resample(x: &[f32], rate: u32) -> Vec<f32> {
        ToTarget::new(rate).unwrap().run(x).unwrap()
    }

    #[test]
    fn output_length_is_rounded_ratio() {
        assert_eq!(output_len(8000, 8000), 16000);
        assert_eq!(output_len(44100, 44100), 16000);
        assert_eq!(output_len(1, 44100), 0);
        assert_eq!(output_len(2, 44100), 1); // 0.7256 → 1
        assert_eq!(output_len(11025 * 3 + 7, 11025), 48010); // 48010.16 → 48010
        for (rate, frames) in [
            (8000, 12345),
            (11025, 99999),
            (22050, 3),
            (44100, 44101),
            (48000, 7),
        ] {
            let out = resample(&vec![0.1; frames], rate);
            assert_eq!(
                out.len(),
                output_len(frames, rate),
                "rate {rate} frames {frames}"
            );
        }
    }

    #[test]
    fn passthrough_at_16k() {
        let x = sine(1000.0, 16000, 1000, 0.5);
        assert_eq!(resample(&x, 16000), x);
    }

    #[test]
    fn sine_keeps_frequency_amplitude_phase_and_length() {
        for rate in [8000u32, 11025, 22050, 44100, 48000] {
            let frames = rate as usize; // one second
            let x = sine(1000.0, rate, frames, 0.5);
            let y = resample(&x, rate);
            assert_eq!(y.len(), 16000, "rate {rate}");
            // Ignore the edges, where the zero padding outside the clip is filtered in.
            let mid = &y[800..15200];
            let (amp, phase) = fit(mid, 1000.0);
            // Phase at sample 800 of a zero-phase sine: 2π·1000·800/16000 = 100π ≡ 0.
            assert!((amp - 0.5).abs() < 0.005, "rate {rate}: amplitude {amp}");
            // 0.01 rad at 1 kHz is 1.6 µs, i.e. 0.025 of an output sample: no delay shift.
            assert!(phase.abs() < 0.01, "rate {rate}: phase {phase}");
            // Nothing but the tone: the residual after removing the fit is tiny.
            let resid: Vec<f32> = mid
                .iter()
                .enumerate()
                .map(|(n, &v)| {
                    v - (0.5 * (2.0 * PI * 1000.0 * (n + 800) as f64 / 16000.0).sin()) as f32
                })
                .collect();
            assert!(rms(&resid) < 0.002, "rate {rate}: residual {}", rms(&resid));
        }
    }

    #[test]
    fn impulse_is_not_shifted() {
        // A click at 1.0 s must come out at sample 16000.
        for rate in [8000u32, 22050, 44100, 48000] {
            let mut x = vec![0.0f32; 2 * rate as usize];
            x[rate as usize] = 1.0;
            let y = resample(&x, rate);
            let peak = y
                .iter()
                .enumerate()
                .max_by(|a, b| a.1.abs().total_cmp(&b.1.abs()))
                .unwrap()
                .0;
            assert_eq!(peak, 16000, "rate {rate}");
        }
    }

    #[test]
    fn in_band_7khz_passes() {
        // 7 kHz is below the 8 kHz Nyquist of the output: it is speech band and must survive.
        let y = resample(&sine(7000.0, 44100, 44100, 0.5), 44100);
        let (amp, _) = fit(&y[800..15200], 7000.0);
        assert!((amp - 0.5).abs() < 0.01, "7 kHz amplitude {amp}");
    }

    #[test]
    fn above_nyquist_is_removed() {
        // 10 kHz and 12 kHz at 44.1 kHz would alias to 6 kHz and 4 kHz at 16 kHz.
        for (freq, alias) in [(10_000.0, 6_000.0), (12_000.0, 4_000.0), (8_300.0, 7_700.0)] {
            let y = resample(&sine(freq, 44100, 44100, 0.5), 44100);
            let mid = &y[800..15200];
            let (alias_amp, _) = fit(mid, alias);
            let total = rms(mid);
            // At least 60 dB below the 0.5 input (0.0005), in the alias bin and in total.
            assert!(
                alias_amp < 5e-4,
                "{freq} Hz: alias at {alias} Hz has amplitude {alias_amp}"
            );
            assert!(total < 5e-4, "{freq} Hz: residual rms {total}");
        }
    }
}
