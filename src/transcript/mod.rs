//! Transcript files: the versioned per-call JSON that `callqa transcribe` writes and every
//! later stage reads.
//!
//! A transcript records what produced it (audio hash, model hash, decode parameters), so a
//! batch can skip a call whose transcript is already up to date and redo one whose audio,
//! model or settings changed. Files are written atomically.
//!
//! This is the core's model of what was said: it depends on nothing but [`crate::shared`], so
//! every later stage reads transcripts without knowing how they were made. In particular the
//! speech spans ([`Transcript::speech_spans`]) come already trimmed of the voice detector's
//! padding, so no reader needs to know a detector exists.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::shared::{Role, SourceFormat};

mod params;
mod speech;

pub use params::{DecodeParams, Packing, VadParams};

/// Version of the transcript schema; bumped on any incompatible change.
pub const TRANSCRIPT_VERSION: u32 = 1;

/// One call's transcript.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Transcript {
    /// Schema version, [`TRANSCRIPT_VERSION`] when written by this build.
    pub version: u32,
    /// The call's id (by default the recording's file stem).
    pub call_id: String,
    pub audio: AudioRef,
    pub model: ModelRef,
    /// Every setting that changes the text; part of the cache key.
    pub params: DecodeParams,
    /// One entry per channel, in file order.
    pub channels: Vec<ChannelInfo>,
    /// All segments of all channels, ordered by start time on the call's timeline.
    pub segments: Vec<Segment>,
    /// The program that wrote the file, e.g. `callqa 0.1.0 (whisper.cpp 1.8.3)`.
    pub producer: String,
}

/// The recording a transcript was made from.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AudioRef {
    pub path: PathBuf,
    pub sha256: String,
    pub format: SourceFormat,
    pub duration_ms: u64,
}

/// The model a transcript was made with.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModelRef {
    pub path: PathBuf,
    pub sha256: String,
}

/// What was found on one channel.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ChannelInfo {
    pub role: Role,
    /// Whisper's most likely language for this channel's speech (e.g. `zh`), if it has any.
    pub language: Option<String>,
    /// Probability of that language.
    pub language_prob: Option<f32>,
    /// Milliseconds of speech found by the voice-activity detector.
    pub speech_ms: u64,
    /// Decoder windows spent on this channel.
    pub windows: u32,
}

/// One stretch of recognised speech.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Segment {
    pub role: Role,
    /// Start and end on the call's timeline, in milliseconds from the start of the recording.
    pub start_ms: u64,
    pub end_ms: u64,
    /// Text in simplified Chinese.
    pub text: String,
    /// Text exactly as Whisper gave it (it mixes traditional and simplified characters).
    pub raw_text: String,
    /// Mean probability of the segment's text tokens.
    pub avg_token_prob: f32,
    /// Whisper's probability that the window holding this segment has no speech.
    pub no_speech_prob: f32,
}

impl Transcript {
    /// `(start_ms, end_ms)` of each segment's speech, in segment order: the segment's times
    /// without the voice detector's padding where it opens or closes a speech region (see
    /// [`speech`]). What speaking-rate, silence and overlap measures should use.
    pub fn speech_spans(&self) -> Vec<(u64, u64)> {
        speech::speech_spans(self)
    }

    /// Reads a transcript file.
    pub fn read(path: &Path) -> Result<Transcript, TranscriptError> {
        let bytes = std::fs::read(path).map_err(|e| TranscriptError::Io(path.to_owned(), e))?;
        let t: Transcript = serde_json::from_slice(&bytes)
            .map_err(|e| TranscriptError::Parse(path.to_owned(), e))?;
        if t.version != TRANSCRIPT_VERSION {
            return Err(TranscriptError::Version(path.to_owned(), t.version));
        }
        Ok(t)
    }

    /// Writes the transcript as pretty JSON, atomically.
    pub fn write(&self, path: &Path) -> Result<(), TranscriptError> {
        let json = serde_json::to_vec_pretty(self).expect("transcripts always serialise");
        crate::fsutil::write_atomic(path, &json).map_err(|e| TranscriptError::Io(path.to_owned(), e))
    }

    /// Whether this transcript was made from the same audio, model and decode parameters,
    /// so that transcribing again would give the same result.
    pub fn is_current(&self, audio_sha256: &str, model_sha256: &str, params: &DecodeParams) -> bool {
        self.version == TRANSCRIPT_VERSION
            && self.audio.sha256 == audio_sha256
            && self.model.sha256 == model_sha256
            && &self.params == params
    }

    /// The transcript's file name inside an output directory.
    pub fn file_name(call_id: &str) -> String {
        format!("{call_id}.json")
    }
}

/// Why a transcript file could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum TranscriptError {
    #[error("{0}: {1}")]
    Io(PathBuf, #[source] std::io::Error),
    #[error("{0}: not a valid transcript: {1}")]
    Parse(PathBuf, #[source] serde_json::Error),
    #[error("{0}: transcript version {1}, this build reads version {TRANSCRIPT_VERSION}; transcribe again")]
    Version(PathBuf, u32),
}
