//! The settings that make a transcript what it is: every one changes the text, so all are
//! stored in each transcript and compared on re-runs (a transcript made with other settings
//! is redone). They belong to the transcript model rather than to the engine, so that later
//! stages can read a transcript without knowing how it was made.

use serde::{Deserialize, Serialize};

use crate::shared::Layout;

/// Every decode setting that changes a transcript's text. Stored in each transcript and
/// compared on re-runs: a transcript made with other settings is redone.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DecodeParams {
    /// Spoken language given to Whisper (`zh`), or `auto` to let it detect per window.
    pub language: String,
    /// Which stereo channel is the agent.
    pub layout: Layout,
    pub vad: VadParams,
    /// Longest audio given to the decoder at once; Whisper's window is 30 s.
    pub window_ms: u64,
    /// Silence put between two speech regions packed into one window.
    pub gap_ms: u64,
    /// Whether channels share windows.
    pub packing: Packing,
    /// Run the encoder on the window's own length rather than a full 30 s (whisper.cpp's
    /// `audio_ctx`). Measured on the fixtures: same CER, a third less time.
    pub fit_encoder: bool,
    /// Candidates sampled when the decoder falls back to a non-zero temperature. Two: on the
    /// fixture corpus 5 (the reference implementations' value) made the few windows that fall
    /// back cost a fifth of all decoding time for no better text (CER 0.108; 2 gave 0.107 and
    /// 5 % more speed, 1 gave 0.108 and 10 %), but a single sample can be a hallucination (an
    /// English phrase in a noisy Mandarin call, a false finding), which two avoided.
    pub best_of: u32,
    /// Retry a window at higher temperatures when its text is repetitive or improbable.
    pub temperature_fallback: bool,
    /// Segments of windows whose no-speech probability is above this, and whose mean token
    /// log-probability is below `logprob_threshold`, are dropped (Whisper's own rule).
    pub no_speech_threshold: f32,
    pub logprob_threshold: f32,
    /// Drop segments that are exactly one of Whisper's known dead-air inventions.
    pub drop_known_hallucinations: bool,
    /// Move a cut between two packed pieces that lies one character off Whisper's
    /// punctuation onto it (see `split`). Transcripts written before this setting existed
    /// read as `false`, so a re-run redoes them.
    #[serde(default)]
    pub sentence_cuts: bool,
    /// Beam search width; 1 decodes greedily (Whisper's and faster-whisper's `beam_size`).
    /// Transcripts written before this setting existed read as 1, as they were made.
    pub beam_size: u32,
    /// Text the decoder is given as what came before each window (Whisper's
    /// `initial_prompt`): neutral call-centre wording in simplified characters nudges the
    /// script and punctuation, never a rule's phrase (that would make the phrase likelier).
    pub prompt: Option<String>,
}

impl Default for DecodeParams {
    fn default() -> Self {
        DecodeParams {
            language: "zh".into(),
            layout: Layout::default(),
            vad: VadParams::default(),
            window_ms: 30_000,
            gap_ms: 400,
            packing: Packing::default(),
            fit_encoder: true,
            best_of: 2,
            temperature_fallback: true,
            no_speech_threshold: 0.6,
            logprob_threshold: -1.0,
            drop_known_hallucinations: true,
            sentence_cuts: true,
            beam_size: 1,
            prompt: None,
        }
    }
}

impl std::str::FromStr for Packing {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "call" => Ok(Packing::Call),
            "channel" => Ok(Packing::Channel),
            _ => Err(format!("unknown packing {s:?}: use call or channel")),
        }
    }
}

/// How speech regions are laid into decoder windows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Packing {
    /// Each channel's regions fill windows of their own.
    Channel,
    /// Both channels' regions, which mostly take turns, share windows in call order: fewer
    /// windows per call, the same text (segments are split back by token times).
    #[default]
    Call,
}

/// Tunable VAD settings. They are part of a transcript's decode parameters, so a change
/// invalidates cached transcripts.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct VadParams {
    /// Frame score at or above which speech starts.
    pub threshold: f32,
    /// Frame score below which speech may end (hysteresis: lower than `threshold`).
    pub release: f32,
    /// Frames quieter than this (dBFS RMS) are silence whatever their score.
    pub energy_floor_db: f32,
    /// Frames must also be this much louder (dB) than the channel's noise floor, taken as
    /// the louder of the `noise_percentile` quietest frame of the half minute before them and of
    /// the half minute after them.
    pub noise_margin_db: f32,
    pub noise_percentile: f32,
    /// Regions shorter than this are dropped as clicks and breaths.
    pub min_speech_ms: u64,
    /// Gaps shorter than this between two regions are bridged.
    pub min_silence_ms: u64,
    /// Padding added on both sides of each region (clamped to the channel).
    pub pad_ms: u64,
}

impl Default for VadParams {
    fn default() -> Self {
        VadParams {
            threshold: 0.5,
            release: 0.35,
            energy_floor_db: -55.0,
            noise_margin_db: 8.0,
            noise_percentile: 0.1,
            min_speech_ms: 200,
            min_silence_ms: 600,
            pad_ms: 200,
        }
    }
}

