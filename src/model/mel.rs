//! Whisper's mel filterbank, computed rather than copied.
//!
//! Whisper ships `mel_filters.npz`, made with `librosa.filters.mel(sr=16000, n_fft=400,
//! n_mels=N)`: triangular filters on the Slaney mel scale (linear below 1 kHz, logarithmic
//! above), each scaled to unit area ("slaney" norm). whisper.cpp reads the bank from the model
//! file, so the importer must write it; computing it here keeps the converter free of Python
//! artefacts, and a test pins it to the npz to 1e-6.

/// Sample rate Whisper works at.
pub const SAMPLE_RATE: f64 = 16_000.0;
/// FFT size of Whisper's STFT (25 ms window).
pub const N_FFT: usize = 400;

const F_SP: f64 = 200.0 / 3.0;
const MIN_LOG_HZ: f64 = 1000.0;
const MIN_LOG_MEL: f64 = MIN_LOG_HZ / F_SP;

fn logstep() -> f64 {
    6.4f64.ln() / 27.0
}

/// Hz → mel, Slaney scale (librosa `hz_to_mel(htk=False)`).
pub fn hz_to_mel(hz: f64) -> f64 {
    if hz >= MIN_LOG_HZ {
        MIN_LOG_MEL + (hz / MIN_LOG_HZ).ln() / logstep()
    } else {
        hz / F_SP
    }
}

/// Mel → Hz, Slaney scale (librosa `mel_to_hz(htk=False)`).
pub fn mel_to_hz(mel: f64) -> f64 {
    if mel >= MIN_LOG_MEL {
        MIN_LOG_HZ * (logstep() * (mel - MIN_LOG_MEL)).exp()
    } else {
        F_SP * mel
    }
}

/// `n_mels × (N_FFT/2 + 1)` filterbank, row-major, as librosa computes it (weights rounded
/// to f32 before normalisation, as librosa's default `dtype=float32` does).
pub fn mel_filters(n_mels: usize) -> Vec<f32> {
    let n_bins = N_FFT / 2 + 1;
    let fmax = SAMPLE_RATE / 2.0;
    let fftfreqs: Vec<f64> = (0..n_bins)
        .map(|k| k as f64 * SAMPLE_RATE / N_FFT as f64)
        .collect();
    // n_mels + 2 band edges equally spaced in mel (np.linspace, last point exact).
    let (min_mel, max_mel) = (hz_to_mel(0.0), hz_to_mel(fmax));
    let n_pts = n_mels + 2;
    let step = (max_mel - min_mel) / (n_pts - 1) as f64;
    let mel_f: Vec<f64> = (0..n_pts)
        .map(|i| {
            if i == n_pts - 1 {
                mel_to_hz(max_mel)
            } else {
                mel_to_hz(min_mel + i as f64 * step)
            }
        })
        .collect();
    let mut out = vec![0f32; n_mels * n_bins];
    for i in 0..n_mels {
        let (lo, mid, hi) = (mel_f[i], mel_f[i + 1], mel_f[i + 2]);
        let enorm = 2.0 / (hi - lo);
        for (k, &f) in fftfreqs.iter().enumerate() {
            let lower = (f - lo) / (mid - lo);
            let upper = (hi - f) / (hi - mid);
            let w = lower.min(upper).max(0.0) as f32;
            out[i * n_bins + k] = (w as f64 * enorm) as f32;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    /// The npz that `models/fetch-base.sh` extracts from the openai-whisper sdist.
    fn npz_path() -> PathBuf {
        std::env::var_os("CALLQA_MEL_NPZ")
            .map(PathBuf::from)
            .unwrap_or_else(|| {
                PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("models/cache/mel_filters.npz")
            })
    }

    #[test]
    fn slaney_scale_round_trips_and_is_linear_below_1khz() {
        assert!((hz_to_mel(1000.0) - 15.0).abs() < 1e-12);
        assert!((hz_to_mel(200.0) - 3.0).abs() < 1e-12);
        for hz in [0.0, 123.0, 999.0, 1000.0, 4321.0, 8000.0] {
            assert!((mel_to_hz(hz_to_mel(hz)) - hz).abs() < 1e-9, "{hz}");
        }
    }

    #[test]
    fn filterbank_matches_whisper_mel_filters_npz() {
        let path = npz_path();
        assert!(
            path.exists(),
            "{} is missing: run models/fetch-base.sh first (or set CALLQA_MEL_NPZ)",
            path.display()
        );
        let mut npz = npyz::npz::NpzArchive::open(&path).expect("open mel_filters.npz");
        for (key, n_mels) in [("mel_80", 80usize), ("mel_128", 128)] {
            let arr = npz
                .by_name(key)
                .expect("read npz")
                .unwrap_or_else(|| panic!("{key} not in {}", path.display()));
            assert_eq!(arr.shape(), &[n_mels as u64, 201]);
            let want: Vec<f32> = arr.into_vec().expect("f32 array");
            let got = mel_filters(n_mels);
            let max_diff = want
                .iter()
                .zip(&got)
                .map(|(a, b)| (a - b).abs())
                .fold(0f32, f32::max);
            assert!(max_diff <= 1e-6, "{key}: max |diff| {max_diff}");
        }
    }
}
