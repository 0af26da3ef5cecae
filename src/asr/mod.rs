//! Transcription: voice-activity detection, Whisper decoding, simplified-Chinese text.
//!
//! An engine implements [`Transcriber`], which turns the speech regions of one channel into
//! raw segments on that channel's timeline. What every engine needs around that lives here,
//! once: finding the speech ([`vad`]), dropping what is not speech (high no-speech
//! probability, Whisper's known dead-air phrases), converting to simplified characters
//! ([`zh`]) and merging both channels onto the call's timeline ([`transcribe_audio`]).

pub mod pack;
pub mod split;
pub mod vad;
pub mod whisper;
pub mod zh;

use crate::audio::{Audio, Role};
use crate::transcript::{ChannelInfo, ModelRef, Segment};
pub use crate::transcript::{DecodeParams, Packing, VadParams};
pub use vad::Span;

/// A segment as an engine gives it, before filtering and conversion.
#[derive(Clone, Debug, PartialEq)]
pub struct RawSegment {
    /// Start and end on the channel's timeline.
    pub start_ms: u64,
    pub end_ms: u64,
    pub text: String,
    pub avg_token_prob: f32,
    /// Mean log-probability of the text tokens (for Whisper's no-speech rule).
    pub avg_logprob: f32,
    pub no_speech_prob: f32,
}

/// What an engine found on one channel.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ChannelText {
    pub segments: Vec<RawSegment>,
    /// Most likely spoken language and its probability.
    pub language: Option<(String, f32)>,
    /// Decoder windows spent.
    pub windows: u32,
}

/// A speech-to-text engine. Engines share one loaded model across threads, so `&self`
/// methods must be safe to call from several workers at once.
pub trait Transcriber: Send + Sync {
    /// The model file, for transcripts and cache keys.
    fn model(&self) -> &ModelRef;

    /// The name written into transcripts as their producer.
    fn producer(&self) -> String {
        format!("callqa {}", env!("CARGO_PKG_VERSION"))
    }

    /// Transcribes the speech regions of a call's 16 kHz mono channels; returns one
    /// [`ChannelText`] per channel, in order, with times on that channel's timeline.
    /// Channels without regions are never decoded.
    fn transcribe(&self, channels: &[ChannelAudio<'_>], params: &DecodeParams) -> Result<Vec<ChannelText>, AsrError>;
}

/// One channel as an engine receives it: the samples and where the speech is.
#[derive(Clone, Copy, Debug)]
pub struct ChannelAudio<'a> {
    pub samples: &'a [f32],
    pub regions: &'a [Span],
}

/// Transcribes every channel of a call and merges the segments onto the call's timeline.
pub fn transcribe_audio(
    engine: &dyn Transcriber,
    audio: &Audio,
    params: &DecodeParams,
) -> Result<(Vec<ChannelInfo>, Vec<Segment>), AsrError> {
    let regions: Vec<Vec<Span>> = audio.channels.iter().map(|ch| vad::speech_regions(&ch.samples, &params.vad)).collect();
    let inputs: Vec<ChannelAudio<'_>> = audio
        .channels
        .iter()
        .zip(&regions)
        .map(|(ch, r)| ChannelAudio { samples: &ch.samples, regions: r })
        .collect();
    let texts = if regions.iter().all(Vec::is_empty) {
        vec![ChannelText::default(); inputs.len()]
    } else {
        engine.transcribe(&inputs, params)?
    };
    if texts.len() != inputs.len() {
        return Err(AsrError::Decode(format!("engine returned {} channels for {}", texts.len(), inputs.len())));
    }
    let mut infos = Vec::with_capacity(inputs.len());
    let mut segments = Vec::new();
    for ((ch, r), text) in audio.channels.iter().zip(&regions).zip(texts) {
        infos.push(ChannelInfo {
            role: ch.role,
            language: text.language.as_ref().map(|(l, _)| l.clone()),
            language_prob: text.language.as_ref().map(|(_, p)| *p),
            speech_ms: r.iter().map(Span::len_ms).sum(),
            windows: text.windows,
        });
        segments.extend(
            text.segments
                .into_iter()
                .filter(|s| keep_segment(s, params))
                .map(|s| finish_segment(s, ch.role)),
        );
    }
    segments.sort_by_key(|s| (s.start_ms, s.end_ms, s.role));
    Ok((infos, segments))
}

/// Whisper's own rule: a window is silence when the no-speech probability is high and the
/// text is improbable. Plus: empty text, and the phrases Whisper invents on dead air.
fn keep_segment(s: &RawSegment, p: &DecodeParams) -> bool {
    if s.text.trim().is_empty() {
        return false;
    }
    if s.no_speech_prob > p.no_speech_threshold && s.avg_logprob < p.logprob_threshold {
        return false;
    }
    !(p.drop_known_hallucinations && zh::is_known_hallucination(&s.text))
}

fn finish_segment(s: RawSegment, role: Role) -> Segment {
    let raw = s.text.trim().to_string();
    Segment {
        role,
        start_ms: s.start_ms,
        end_ms: s.end_ms.max(s.start_ms),
        text: zh::to_simplified(&raw),
        raw_text: raw,
        avg_token_prob: s.avg_token_prob,
        no_speech_prob: s.no_speech_prob,
    }
}

/// Why transcription failed.
#[derive(Debug, thiserror::Error)]
pub enum AsrError {
    #[error("model {path}: {reason}")]
    Model { path: std::path::PathBuf, reason: String },
    #[error("decoding failed: {0}")]
    Decode(String),
    #[error("unknown language code {0:?} (use a Whisper code such as zh, en, yue, or auto)")]
    Language(String),
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audio::{Channel, Codec, SourceFormat};
    use std::sync::Mutex;

    #[test]
    fn parameters_written_before_sentence_cuts_differ_from_todays() {
        // A transcript from before the setting existed must not pass as current.
        let mut old = serde_json::to_value(DecodeParams::default()).unwrap();
        old.as_object_mut().unwrap().remove("sentence_cuts");
        let old: DecodeParams = serde_json::from_value(old).unwrap();
        assert!(!old.sentence_cuts);
        assert_ne!(old, DecodeParams::default());
    }

    /// A fake engine that reports one segment per region, with fixed text, and records calls.
    struct Echo {
        model: ModelRef,
        text: &'static str,
        calls: Mutex<usize>,
    }

    impl Transcriber for Echo {
        fn model(&self) -> &ModelRef {
            &self.model
        }
        fn transcribe(&self, channels: &[ChannelAudio<'_>], _: &DecodeParams) -> Result<Vec<ChannelText>, AsrError> {
            *self.calls.lock().unwrap() += 1;
            Ok(channels
                .iter()
                .map(|c| ChannelText {
                    segments: c
                        .regions
                        .iter()
                        .map(|r| RawSegment {
                            start_ms: r.start_ms,
                            end_ms: r.end_ms,
                            text: self.text.into(),
                            avg_token_prob: 0.9,
                            avg_logprob: -0.1,
                            no_speech_prob: 0.01,
                        })
                        .collect(),
                    language: Some(("zh".into(), 0.97)),
                    windows: 1,
                })
                .collect())
        }
    }

    fn echo(text: &'static str) -> Echo {
        Echo { model: ModelRef { path: "m".into(), sha256: "0".into() }, text, calls: Mutex::new(0) }
    }

    fn audio(channels: Vec<(Role, Vec<f32>)>) -> Audio {
        Audio {
            source: SourceFormat { codec: Codec::MuLaw, sample_rate: 8000, channels: channels.len() as u16, frames: 0 },
            channels: channels.into_iter().map(|(role, samples)| Channel { role, samples }).collect(),
        }
    }

    #[test]
    fn silent_channels_are_never_decoded() {
        let e = echo("字幕由Amara.org社群提供");
        let a = audio(vec![(Role::Agent, vec![0.0; 16000 * 5]), (Role::Customer, vec![0.0; 16000 * 5])]);
        let (infos, segs) = transcribe_audio(&e, &a, &DecodeParams::default()).unwrap();
        assert_eq!(*e.calls.lock().unwrap(), 0);
        assert!(segs.is_empty());
        assert_eq!(infos.len(), 2);
        assert_eq!(infos[0].speech_ms, 0);
        assert_eq!(infos[0].language, None);
    }

    #[test]
    fn segments_are_filtered_and_simplified() {
        let p = DecodeParams::default();
        let seg = |text: &str, nsp: f32, lp: f32| RawSegment {
            start_ms: 0,
            end_ms: 10,
            text: text.into(),
            avg_token_prob: 0.5,
            avg_logprob: lp,
            no_speech_prob: nsp,
        };
        assert!(keep_segment(&seg("您好", 0.1, -0.2), &p));
        assert!(!keep_segment(&seg("您好", 0.9, -1.5), &p), "no-speech rule");
        assert!(keep_segment(&seg("您好", 0.9, -0.2), &p), "confident text survives a high no-speech prob");
        assert!(!keep_segment(&seg("  ", 0.0, 0.0), &p));
        assert!(!keep_segment(&seg("字幕由Amara.org社群提供", 0.0, -0.1), &p));
        let s = finish_segment(seg(" 請問有什麼可以幫您？", 0.0, 0.0), Role::Agent);
        assert_eq!(s.text, "请问有什么可以帮您？");
        assert_eq!(s.raw_text, "請問有什麼可以幫您？");
        assert_eq!(s.role, Role::Agent);
    }
}
