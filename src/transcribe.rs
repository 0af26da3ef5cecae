//! The transcribe stage: recordings → transcript files, in parallel, with a cache.
//!
//! Calls are independent, so `jobs` calls are in flight at once; within them the engine
//! decodes windows, at most `jobs` at a time across all calls, each on a decoder state of its
//! own over one shared model (see [`crate::asr::whisper`]), so a lone long call still uses every
//! core. A call whose transcript already exists for the same audio,
//! model and parameters is skipped, so a re-run after a crash or a rule change only does what
//! is missing. One bad recording is reported and the rest go on.

use std::path::{Path, PathBuf};
use std::time::Instant;

use crate::asr::{self, DecodeParams, Transcriber};
use crate::audio::Limits;
use crate::shared::Layout;
pub use crate::ingest::{CallInput, from_paths as collect_inputs};
use crate::transcript::{AudioRef, TRANSCRIPT_VERSION, Transcript};

/// Why a stereo recording without a layout is not transcribed, and the ways to give one.
pub const NO_LAYOUT: &str = "stereo recording with no channel layout: say which channel is the agent in the manifest's \
    layout column, a {layout} field in the file-name pattern, a callqa-layout.txt in its folder, or `layout` in callqa.toml \
    (or --layout)";

/// What became of one call.
#[derive(Debug)]
pub enum Outcome {
    /// Transcribed now.
    Done { call_id: String, out: PathBuf, audio_ms: u64, wall_ms: u64 },
    /// An up-to-date transcript was already there.
    Cached { call_id: String, out: PathBuf, audio_ms: u64 },
    /// This call failed; the reason names the file.
    Failed { call_id: String, path: PathBuf, error: String },
}

/// Transcribes `calls` into `out_dir`, `jobs` calls at a time; `on_outcome` is called as each
/// call finishes (from worker threads).
pub fn transcribe_calls(
    engine: &dyn Transcriber,
    calls: &[CallInput],
    params: &DecodeParams,
    limits: &Limits,
    out_dir: &Path,
    jobs: usize,
    on_outcome: &(dyn Fn(&Outcome) + Sync),
) -> Vec<Outcome> {
    crate::shared::par::map(calls, jobs, |c| {
        let o = transcribe_one(engine, c, params, limits, out_dir);
        on_outcome(&o);
        o
    })
}

/// Transcribes one call, or confirms its cached transcript is current, and returns the
/// transcript with the outcome (the batch scans it without reading it back); `params.layout` is
/// replaced by the call's own. The recording's header is checked against `limits` first,
/// then the file is hashed as it streams by, and only a call that needs transcribing is decoded (see [`crate::audio::load_with`]): no step holds
/// the file's bytes, so memory per call is bounded by its duration, whatever the file says.
pub fn transcribe_call(engine: &dyn Transcriber, call: &CallInput, params: &DecodeParams, limits: &Limits, out_dir: &Path) -> (Outcome, Option<Transcript>) {
    let started = Instant::now();
    let fail = |error: String| (Outcome::Failed { call_id: call.call_id.clone(), path: call.path.clone(), error }, None);
    let out = match crate::call::call_path(out_dir, &call.call_id, ".json") {
        Ok(p) => p,
        Err(e) => return fail(format!("{}: {e}", call.path.display())),
    };
    let source = match crate::audio::probe(&call.path, limits) {
        Ok(s) => s,
        Err(e) => return fail(e.to_string()),
    };
    let layout = match call.layout {
        Some(l) => l,
        None if source.channels == 2 => return fail(format!("{}: {NO_LAYOUT}", call.path.display())),
        // Mono: one mixed channel, whatever the layout.
        None => Layout::default(),
    };
    let params = &DecodeParams { layout, ..params.clone() };
    let audio_sha = match crate::fsutil::sha256_file(&call.path) {
        Ok(h) => h,
        Err(e) => return fail(format!("{}: {e}", call.path.display())),
    };
    if let Ok(t) = Transcript::read(&out) {
        if t.is_current(&audio_sha, &engine.model().sha256, params) {
            return (Outcome::Cached { call_id: call.call_id.clone(), out, audio_ms: t.audio.duration_ms }, Some(t));
        }
    }
    let audio = match crate::audio::load_with(&call.path, params.layout, limits) {
        Ok(a) => a,
        Err(e) => return fail(e.to_string()),
    };
    let (channels, segments) = match asr::transcribe_audio(engine, &audio, params) {
        Ok(r) => r,
        Err(e) => return fail(format!("{}: {e}", call.path.display())),
    };
    let transcript = Transcript {
        version: TRANSCRIPT_VERSION,
        call_id: call.call_id.clone(),
        audio: AudioRef {
            path: call.path.clone(),
            sha256: audio_sha,
            format: audio.source.clone(),
            duration_ms: audio.duration_ms(),
        },
        model: engine.model().clone(),
        params: params.clone(),
        channels,
        segments,
        producer: engine.producer(),
    };
    if let Err(e) = transcript.write(&out) {
        return fail(e.to_string());
    }
    let done = Outcome::Done {
        call_id: call.call_id.clone(),
        out,
        audio_ms: transcript.audio.duration_ms,
        wall_ms: started.elapsed().as_millis() as u64,
    };
    (done, Some(transcript))
}

/// [`transcribe_call`] without the transcript (it is on disk).
pub fn transcribe_one(engine: &dyn Transcriber, call: &CallInput, params: &DecodeParams, limits: &Limits, out_dir: &Path) -> Outcome {
    transcribe_call(engine, call, params, limits, out_dir).0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inputs_come_from_files_and_directories_in_name_order() {
        let d = tempfile::tempdir().unwrap();
        for n in ["b.wav", "a.WAV", "notes.txt"] {
            std::fs::write(d.path().join(n), b"x").unwrap();
        }
        let got = collect_inputs(&[d.path().to_owned()]).unwrap();
        let ids: Vec<_> = got.iter().map(|c| c.call_id.as_str()).collect();
        assert_eq!(ids, ["a", "b"]);
    }

    #[test]
    fn duplicate_call_ids_are_errors_and_missing_files_are_calls_that_will_fail() {
        let d = tempfile::tempdir().unwrap();
        std::fs::create_dir(d.path().join("x")).unwrap();
        std::fs::write(d.path().join("c1.wav"), b"x").unwrap();
        std::fs::write(d.path().join("x/c1.wav"), b"x").unwrap();
        let err = collect_inputs(&[d.path().to_owned(), d.path().join("x")]).unwrap_err();
        assert!(err.contains("\"c1\"") && err.contains("rename"), "{err}");
        let got = collect_inputs(&[d.path().join("nope.wav"), d.path().join("c1.wav")]).unwrap();
        assert_eq!(got.iter().map(|c| c.call_id.as_str()).collect::<Vec<_>>(), ["nope", "c1"]);
    }
}

/// What `callqa transcribe` says when it is done, from its calls' outcomes.
#[derive(Clone, Debug, PartialEq)]
pub struct Tally {
    pub total: usize,
    pub transcribed: usize,
    pub cached: usize,
    pub failed: usize,
    /// Audio transcribed now (not the calls already up to date).
    pub audio_ms: u64,
    pub wall_ms: u64,
}

impl Tally {
    pub fn of(outcomes: &[Outcome], wall_ms: u64) -> Tally {
        let mut t = Tally { total: outcomes.len(), transcribed: 0, cached: 0, failed: 0, audio_ms: 0, wall_ms };
        for o in outcomes {
            match o {
                Outcome::Done { audio_ms, .. } => {
                    t.transcribed += 1;
                    t.audio_ms += audio_ms;
                }
                Outcome::Cached { .. } => t.cached += 1,
                Outcome::Failed { .. } => t.failed += 1,
            }
        }
        t
    }

    pub fn exit(&self) -> crate::shared::Exit {
        crate::shared::Exit::from_failures(self.failed)
    }
}

impl std::fmt::Display for Tally {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (audio, wall) = (self.audio_ms as f64 / 1000.0, self.wall_ms as f64 / 1000.0);
        let speed = if wall > 0.0 { audio / wall } else { 0.0 };
        write!(
            f,
            "{} calls: {} transcribed, {} up to date, {} failed; {audio:.1} s of audio in {wall:.1} s ({speed:.1}× real time)",
            self.total, self.transcribed, self.cached, self.failed
        )
    }
}

impl Outcome {
    /// One line for a progress log: `[N/TOTAL] …`.
    pub fn line(&self, n: usize, total: usize) -> String {
        match self {
            Outcome::Done { call_id, audio_ms, wall_ms, .. } => {
                format!("[{n}/{total}] {call_id}: {:.1} s of audio in {:.1} s", *audio_ms as f64 / 1000.0, *wall_ms as f64 / 1000.0)
            }
            Outcome::Cached { call_id, .. } => format!("[{n}/{total}] {call_id}: up to date"),
            Outcome::Failed { error, .. } => format!("[{n}/{total}] FAILED {error}"),
        }
    }
}
