//! Voice-activity detection: which stretches of a channel hold speech.
//!
//! Whisper's encoder costs the same for 30 s of silence as for 30 s of speech, and on dead air
//! it invents text (字幕由Amara.org社群提供 and the like). So each channel is cut to its
//! speech regions before decoding. The frame classifier is `earshot`, a small neural VAD in
//! pure Rust (16 ms frames at 16 kHz, a few KiB of state), gated by energy: a frame counts
//! only if it is louder than a fixed floor (near-digital silence) and than the channel's own
//! noise floor by a margin. The network alone takes steady line noise (a GSM call at 15 dB
//! SNR) for voice from end to end; the quietest frames of the half minute before a frame and of
//! the half minute after it tell what the line's noise is there (the louder of the two, so that
//! a line that gets noisier mid-call is gated by its new noise). Frame scores are
//! turned into regions with hysteresis, a minimum speech length, a merge of short gaps and a
//! little padding so that word onsets and tails are not clipped.

use serde::{Deserialize, Serialize};

pub use crate::transcript::VadParams;

/// Samples per VAD frame: earshot's fixed 16 ms at 16 kHz.
pub const FRAME: usize = 256;
const FRAME_MS: u64 = 16;

/// A half-open time span `[start_ms, end_ms)` on a channel's timeline.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Span {
    pub start_ms: u64,
    pub end_ms: u64,
}

impl Span {
    /// Length in milliseconds.
    pub fn len_ms(&self) -> u64 {
        self.end_ms.saturating_sub(self.start_ms)
    }
}

/// Speech regions of a 16 kHz mono channel, in time order and non-overlapping.
pub fn speech_regions(samples: &[f32], params: &VadParams) -> Vec<Span> {
    let scores = frame_scores(samples, params);
    regions_from_scores(&scores, samples.len() as u64 * 1000 / 16_000, params)
}

/// One score in 0..=1 per full 16 ms frame; 0 for frames under the energy gate.
fn frame_scores(samples: &[f32], p: &VadParams) -> Vec<f32> {
    let level_db: Vec<f32> = samples
        .chunks_exact(FRAME)
        .map(|f| 10.0 * (f.iter().map(|x| x * x).sum::<f32>() / FRAME as f32).max(1e-12).log10())
        .collect();
    let floors = local_noise_floors_db(&level_db, p.noise_percentile);
    let mut detector = earshot::Detector::default();
    samples
        .chunks_exact(FRAME)
        .zip(level_db.iter().zip(&floors))
        .map(|(frame, (&db, &floor))| {
            // The detector is fed every frame, quiet ones too, so that its state follows the audio.
            let score = detector.predict_f32(frame);
            let gate = p.energy_floor_db.max(floor + p.noise_margin_db);
            if db < gate { 0.0 } else { score }
        })
        .collect()
}

/// Frames on each side of a frame whose quietest frames tell the line's noise there: half a
/// minute.
const NOISE_SIDE_FRAMES: usize = (30_000 / FRAME_MS) as usize;
/// Frames that share one noise floor: a second.
const NOISE_BLOCK_FRAMES: usize = (1_000 / FRAME_MS) as usize;

/// Each frame's noise floor: the `percentile` level of the half minute before it and of the half
/// minute after it (each taken whole at the channel's ends, so a channel of up to half a minute
/// has one floor), whichever is louder. A line's noise changes within a long call (a caller
/// walks into the street, a transfer to another line). One floor for a whole long call, set by
/// its quiet stretches, let a noisy stretch pass as speech from end to end, and Whisper then
/// decoded minutes of noise cut into 30 s windows and lost the words in them; a minute centred
/// on the frame still did that for the first half minute after the line got noisier. With a
/// side on each, a side lies wholly in the noisy stretch a few seconds into it, so the quiet
/// side cannot hide the noise. The cost is on the quiet side of such a change: for up to a
/// quarter minute its frames may be held to the noisier line's floor (never above it), which
/// clips only speech that is quieter than that line's noise plus the margin. Half a minute of
/// one party's channel holds enough of the other party's turns, and of pauses, to find the
/// line in; a shorter side of unbroken speech would put the floor at the speech.
fn local_noise_floors_db(level_db: &[f32], percentile: f32) -> Vec<f32> {
    let n = level_db.len();
    let side = NOISE_SIDE_FRAMES.min(n);
    let mut floors = Vec::with_capacity(n);
    let mut scratch = Vec::with_capacity(side);
    let mut floor_of = |range: std::ops::Range<usize>| {
        scratch.clear();
        scratch.extend_from_slice(&level_db[range]);
        percentile_of(&mut scratch, percentile)
    };
    for block in (0..n).step_by(NOISE_BLOCK_FRAMES) {
        let centre = (block + NOISE_BLOCK_FRAMES / 2).min(n);
        let before = centre.max(side) - side..centre.max(side);
        let after = centre.min(n - side)..centre.min(n - side) + side;
        let floor = floor_of(before).max(floor_of(after));
        floors.extend(std::iter::repeat_n(floor, NOISE_BLOCK_FRAMES.min(n - block)));
    }
    floors
}

/// The level below which a `percentile` share of `levels` lie (reorders `levels`).
fn percentile_of(levels: &mut [f32], percentile: f32) -> f32 {
    if levels.is_empty() {
        return f32::NEG_INFINITY;
    }
    let i = ((levels.len() - 1) as f32 * percentile.clamp(0.0, 1.0)) as usize;
    *levels.select_nth_unstable_by(i, f32::total_cmp).1
}

fn regions_from_scores(scores: &[f32], total_ms: u64, p: &VadParams) -> Vec<Span> {
    let mut raw = Vec::new();
    let mut start: Option<usize> = None;
    let mut below = 0usize;
    let release_frames = (p.min_silence_ms / FRAME_MS).max(1) as usize;
    for (i, &s) in scores.iter().enumerate() {
        match start {
            None if s >= p.threshold => {
                start = Some(i);
                below = 0;
            }
            Some(st) => {
                if s < p.release {
                    below += 1;
                    if below >= release_frames {
                        raw.push((st, i + 1 - below));
                        start = None;
                    }
                } else {
                    below = 0;
                }
            }
            None => {}
        }
    }
    if let Some(st) = start {
        raw.push((st, scores.len() - below));
    }

    let mut out: Vec<Span> = Vec::new();
    for (a, b) in raw {
        let span = Span {
            start_ms: (a as u64 * FRAME_MS).saturating_sub(p.pad_ms),
            end_ms: (b as u64 * FRAME_MS + p.pad_ms).min(total_ms),
        };
        if (b - a) as u64 * FRAME_MS < p.min_speech_ms {
            continue;
        }
        match out.last_mut() {
            Some(last) if span.start_ms <= last.end_ms + p.min_silence_ms => {
                last.end_ms = last.end_ms.max(span.end_ms)
            }
            _ => out.push(span),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const SR: usize = 16_000;

    fn silence(ms: usize) -> Vec<f32> {
        vec![0.0; ms * SR / 1000]
    }

    /// A speech-like signal: a voiced harmonic series with gliding pitch, amplitude-modulated
    /// at a syllable rate. A steady pure tone is not speech to a neural VAD, and should not be.
    fn voiced(ms: usize, seed: f32) -> Vec<f32> {
        let n = ms * SR / 1000;
        let mut phase = 0.0f32;
        (0..n)
            .map(|i| {
                let t = i as f32 / SR as f32;
                let f0 = 140.0 + 40.0 * (2.0 * std::f32::consts::PI * 0.7 * t + seed).sin();
                phase += 2.0 * std::f32::consts::PI * f0 / SR as f32;
                let syll = 0.55 + 0.45 * (2.0 * std::f32::consts::PI * 4.0 * t).sin();
                let formants = [1.0, 0.8, 0.6, 0.45, 0.5, 0.35, 0.2, 0.15, 0.1, 0.08];
                let v: f32 = formants
                    .iter()
                    .enumerate()
                    .map(|(k, a)| a * ((k + 1) as f32 * phase).sin())
                    .sum();
                0.08 * syll * v
            })
            .collect()
    }

    fn tone(ms: usize, hz: f32, amp: f32) -> Vec<f32> {
        (0..ms * SR / 1000)
            .map(|i| amp * (2.0 * std::f32::consts::PI * hz * i as f32 / SR as f32).sin())
            .collect()
    }

    /// Deterministic white-ish noise in [-amp, amp].
    fn noise(ms: usize, amp: f32) -> Vec<f32> {
        let mut x: u32 = 12345;
        (0..ms * SR / 1000)
            .map(|_| {
                x = x.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                amp * ((x >> 8) as f32 / (1u32 << 24) as f32 * 2.0 - 1.0)
            })
            .collect()
    }

    #[test]
    fn steady_line_noise_is_not_speech_but_speech_over_it_is() {
        // Noise at about -35 dBFS throughout, speech about 15 dB above it in the middle.
        let mut s = noise(8000, 0.03);
        let v = voiced(2000, 0.5);
        for (i, x) in v.iter().enumerate() {
            s[3 * SR + i] += x;
        }
        let r = speech_regions(&s, &VadParams::default());
        assert_eq!(r.len(), 1, "{r:?}");
        assert!(r[0].start_ms >= 2600 && r[0].start_ms <= 3100, "{r:?}");
        assert!(r[0].end_ms >= 4800 && r[0].end_ms <= 5500, "{r:?}");
    }

    #[test]
    fn a_noisy_stretch_of_a_long_call_is_gated_by_its_own_noise() {
        // Two minutes on a quiet line with speech in it, then two minutes of steady line noise
        // at about -35 dBFS with one burst of speech 15 dB above it: a few seconds past the
        // change the noise is not speech. One floor for the whole channel, set by the quiet
        // half, took all of it; a minute centred on each frame took its first half minute.
        let mut s = Vec::new();
        for k in 0..12 {
            s.extend(silence(7000));
            s.extend(voiced(3000, k as f32).iter().map(|x| x * 0.5));
        }
        let quiet_ms = s.len() as u64 * 1000 / SR as u64;
        let mut noisy = noise(120_000, 0.03);
        let v = voiced(2000, 0.5);
        for (i, x) in v.iter().enumerate() {
            noisy[60 * SR + i] += x;
        }
        s.extend(noisy);
        let r = speech_regions(&s, &VadParams::default());
        let in_noise: Vec<&Span> = r.iter().filter(|x| x.end_ms > quiet_ms + 5_000).collect();
        assert_eq!(in_noise.len(), 1, "{r:?}");
        assert!(in_noise[0].start_ms >= quiet_ms + 59_500 && in_noise[0].end_ms <= quiet_ms + 62_600, "{r:?}");
        assert!(r.iter().filter(|x| x.end_ms <= quiet_ms).count() >= 10, "{r:?}");
    }

    #[test]
    fn a_short_channel_has_one_floor() {
        // Up to half a minute, every frame's floor is the whole channel's.
        let levels: Vec<f32> = (0..NOISE_SIDE_FRAMES).map(|i| -60.0 + (i % 97) as f32 * 0.3).collect();
        let floors = local_noise_floors_db(&levels, 0.1);
        let mut all = levels.clone();
        let whole = percentile_of(&mut all, 0.1);
        assert_eq!(floors.len(), levels.len());
        assert!(floors.iter().all(|&f| f == whole));
    }

    #[test]
    fn the_floor_follows_the_line_within_seconds_of_a_change_either_way() {
        // A minute of a quiet line, a minute of a noisy one, a minute of the quiet one again;
        // each a fifth of the time at the line's noise (pauses) and otherwise 20 dB above it.
        let line = |quiet: bool, i: usize| {
            let noise = if quiet { -60.0 } else { -35.0 };
            if i % 5 == 0 { noise } else { noise + 20.0 }
        };
        let minute = 60_000 / FRAME_MS as usize;
        let levels: Vec<f32> = (0..3 * minute).map(|i| line(i / minute != 1, i)).collect();
        let floors = local_noise_floors_db(&levels, 0.1);
        let second = 1_000 / FRAME_MS as usize;
        for (i, &f) in floors.iter().enumerate() {
            let from_change = [minute, 2 * minute].iter().map(|&c| i.abs_diff(c)).min().unwrap();
            if i / minute == 1 {
                // The noisy line is gated by its own noise a few seconds in.
                if from_change > 4 * second {
                    assert!((f + 35.0).abs() < 0.5, "frame {i}: floor {f} in the noisy minute");
                }
            } else {
                // The quiet line keeps its own floor, but for the quarter minute beside a
                // noisier one, where it is never put above that line's noise.
                assert!(f <= -35.0 + 0.5, "frame {i}: floor {f} in a quiet minute");
                if from_change > 16 * second {
                    assert!((f + 60.0).abs() < 0.5, "frame {i}: floor {f} in a quiet minute");
                }
            }
        }
    }

    #[test]
    fn silence_has_no_speech() {
        assert!(speech_regions(&silence(5000), &VadParams::default()).is_empty());
    }

    #[test]
    fn faint_hiss_below_energy_floor_is_silence() {
        let hiss: Vec<f32> = (0..SR * 3).map(|i| ((i * 7919 % 997) as f32 / 997.0 - 0.5) * 0.001).collect();
        assert!(speech_regions(&hiss, &VadParams::default()).is_empty());
    }

    #[test]
    fn tone_bursts_between_silences_are_found_where_they_are() {
        // A tone is energetic and tonal, so it counts as activity: the detector is not a
        // speech/music classifier, and Whisper's no-speech probability handles a stray beep.
        let mut s = silence(2000);
        s.extend(tone(1000, 440.0, 0.3));
        s.extend(silence(2000));
        let r = speech_regions(&s, &VadParams::default());
        assert_eq!(r.len(), 1, "{r:?}");
        assert!(r[0].start_ms >= 1700 && r[0].start_ms <= 2100, "{r:?}");
        assert!(r[0].end_ms >= 2900 && r[0].end_ms <= 3400, "{r:?}");
    }

    #[test]
    fn voiced_bursts_are_found_where_they_are() {
        let mut s = silence(1000);
        s.extend(voiced(2000, 0.0));
        s.extend(silence(3000));
        s.extend(voiced(1500, 1.0));
        s.extend(silence(1000));
        let r = speech_regions(&s, &VadParams::default());
        assert_eq!(r.len(), 2, "{r:?}");
        // Each region covers its burst, give or take padding and detector latency.
        assert!(r[0].start_ms <= 1100 && r[0].start_ms >= 600, "{r:?}");
        assert!(r[0].end_ms >= 2800 && r[0].end_ms <= 3500, "{r:?}");
        assert!(r[1].start_ms <= 6100 && r[1].start_ms >= 5600, "{r:?}");
        assert!(r[1].end_ms >= 7300 && r[1].end_ms <= 8000, "{r:?}");
    }

    #[test]
    fn short_gaps_are_bridged_and_blips_dropped() {
        let p = VadParams::default();
        // Frame scores: 1 s speech, 200 ms gap, 1 s speech, 2 s gap, one 32 ms blip.
        let f = |ms: u64| (ms / FRAME_MS) as usize;
        let mut scores = vec![0.0; f(500)];
        scores.extend(vec![0.9; f(1000)]);
        scores.extend(vec![0.1; f(200)]);
        scores.extend(vec![0.9; f(1000)]);
        scores.extend(vec![0.0; f(2000)]);
        scores.extend(vec![0.9; 2]);
        scores.extend(vec![0.0; f(1000)]);
        let total = scores.len() as u64 * FRAME_MS;
        let r = regions_from_scores(&scores, total, &p);
        assert_eq!(r.len(), 1, "{r:?}");
        assert_eq!(r[0].start_ms, 496 - p.pad_ms);
    }

    #[test]
    fn speech_running_to_the_end_is_closed() {
        let scores = vec![0.9; 100];
        let r = regions_from_scores(&scores, 1600, &VadParams::default());
        assert_eq!(r, vec![Span { start_ms: 0, end_ms: 1600 }]);
    }
}
