//! The Whisper engine: whisper.cpp through `whisper-rs`.
//!
//! One model context is loaded and shared by all workers; each window gets a decoder state of
//! its own (KV caches, scratch buffers, the sampling generator), so several windows decode at
//! once without loading the weights twice, and a call's text depends only on its audio. A
//! call's speech regions are packed into ≤ 30 s windows ([`super::pack`]) and each window is
//! one `whisper_full` call with no carried-over context, so windows are independent: a call's
//! windows are decoded in parallel, through a budget of slots shared by all calls in flight
//! ([`WhisperEngine::decoding_at_once`]), and merged in window order.

use std::path::Path;

use whisper_rs::{FullParams, SamplingStrategy, WhisperContext, WhisperContextParameters, WhisperState};

use super::pack::{Window, pack};
use super::split::{Token, WindowSegment, split};
use super::{AsrError, ChannelAudio, ChannelText, DecodeParams, Packing, RawSegment, Span, Transcriber};
use crate::shared::par::Slots;
use crate::transcript::ModelRef;

/// A loaded whisper.cpp model, shared by every worker.
pub struct WhisperEngine {
    ctx: WhisperContext,
    threads: usize,
    model: ModelRef,
    /// Windows decoded at once, all calls together (see [`WhisperEngine::decoding_at_once`]).
    slots: Slots,
}

impl WhisperEngine {
    /// Loads a whisper.cpp ggml model (any size or quantisation) for CPU decoding with
    /// `threads` threads per decoder state.
    pub fn load(path: &Path, threads: usize) -> Result<WhisperEngine, AsrError> {
        WhisperEngine::load_on(path, threads, false)
    }

    /// [`WhisperEngine::load`], on the GPU when `gpu` is set: only a build with the `cuda`
    /// feature has one, and asking another build for it is an error, never a silent CPU run.
    pub fn load_on(path: &Path, threads: usize, gpu: bool) -> Result<WhisperEngine, AsrError> {
        let fail = |reason: String| AsrError::Model { path: path.to_owned(), reason };
        if gpu && !cfg!(feature = "cuda") {
            return Err(fail("GPU decoding was asked for (--gpu or `gpu` in callqa.toml), but this callqa was built without it: build with `cargo build --release --features cuda`".into()));
        }
        if !path.is_file() {
            return Err(fail(
                "no such model file (run models/fetch-base.sh, or pass --model with a whisper.cpp ggml model)".into(),
            ));
        }
        let sha256 = crate::fsutil::sha256_file(path).map_err(|e| fail(e.to_string()))?;
        silence_native_logs();
        let mut cp = WhisperContextParameters::default();
        cp.use_gpu(gpu);
        let ctx = WhisperContext::new_with_params(path, cp)
            .map_err(|e| fail(format!("whisper.cpp could not load it as a ggml model ({e})")))?;
        Ok(WhisperEngine {
            ctx,
            threads: threads.max(1),
            model: ModelRef { path: path.to_owned(), sha256 },
            slots: Slots::new(1),
        })
    }

    /// Lets `n` windows be decoded at once, each with the engine's threads, across all the
    /// calls in flight: a batch of `jobs` calls passes `jobs`, so a lone call (a single long
    /// recording, or the last of a batch) decodes `jobs` windows at once instead of leaving
    /// cores idle, and `jobs` calls never decode more than `jobs` windows together.
    /// Windows are independent (no carried-over context), so the text does not depend on it.
    pub fn decoding_at_once(mut self, n: usize) -> WhisperEngine {
        self.slots = Slots::new(n);
        self
    }

    /// Runs `f` with a fresh decoder state. States are not reused between windows: a state
    /// carries the random generator that temperature fallback samples from, so a reused one
    /// made a call's transcript depend on which calls the state had decoded before (seen as a
    /// resumed batch differing from an uninterrupted one), and a window's text on the order in
    /// which the windows were decoded. A new state costs milliseconds next to the seconds a
    /// window takes.
    fn with_state<R>(&self, f: impl FnOnce(&mut WhisperState) -> Result<R, AsrError>) -> Result<R, AsrError> {
        let mut state = self.ctx.create_state().map_err(|e| AsrError::Decode(format!("creating a decoder state: {e}")))?;
        f(&mut state)
    }

    fn full_params<'a>(&self, params: &'a DecodeParams) -> Result<FullParams<'a, 'a>, AsrError> {
        let strategy = match params.beam_size {
            0 | 1 => SamplingStrategy::Greedy { best_of: params.best_of.max(1) as i32 },
            // whisper.cpp's default patience (-1: none), as the reference implementations.
            n => SamplingStrategy::BeamSearch { beam_size: n.min(16) as i32, patience: -1.0 },
        };
        let mut fp = FullParams::new(strategy);
        if let Some(p) = params.prompt.as_deref().filter(|p| !p.is_empty()) {
            fp.set_initial_prompt(p);
        }
        let lang = params.language.as_str();
        if lang == "auto" {
            fp.set_language(None);
        } else if whisper_rs::get_lang_id(lang).is_some() {
            fp.set_language(Some(lang));
        } else {
            return Err(AsrError::Language(params.language.clone()));
        }
        fp.set_n_threads(self.threads as i32);
        fp.set_no_context(true);
        fp.set_suppress_nst(true);
        fp.set_suppress_blank(true);
        fp.set_no_speech_thold(params.no_speech_threshold);
        fp.set_logprob_thold(params.logprob_threshold);
        fp.set_temperature(0.0);
        fp.set_temperature_inc(if params.temperature_fallback { 0.2 } else { 0.0 });
        fp.set_print_progress(false);
        fp.set_print_realtime(false);
        fp.set_print_special(false);
        fp.set_print_timestamps(false);
        // Token times place each token in its packed piece (see `split`).
        fp.set_token_timestamps(true);
        Ok(fp)
    }

    /// Decodes one window and returns its segments, split at piece boundaries and mapped to
    /// their sources' timelines.
    fn decode_window(
        &self,
        state: &mut WhisperState,
        window: &Window,
        sources: &[&[f32]],
        params: &DecodeParams,
    ) -> Result<Vec<(usize, RawSegment)>, AsrError> {
        let pcm = window.samples(sources);
        let started = std::time::Instant::now();
        let mut fp = self.full_params(params)?;
        let trace = tracing();
        // whisper.cpp reports progress at the top of its loop over the window, once more than
        // the passes it makes; a second pass re-encodes the window from the last timestamp.
        // (whisper-rs keeps the callback for the process's life: tracing only.)
        let calls = std::sync::Arc::new(std::sync::atomic::AtomicU32::new(0));
        if trace {
            let p = calls.clone();
            fp.set_progress_callback_safe(move |_| {
                p.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            });
        }
        if params.fit_encoder {
            fp.set_audio_ctx(encoder_frames(window.len_ms(), self.ctx.n_audio_ctx()));
        }
        state
            .full(fp, &pcm)
            .map_err(|e| AsrError::Decode(format!("whisper_full: {e}")))?;
        if trace {
            let n_tok: i32 = state.as_iter().map(|s| s.n_tokens()).sum();
            eprintln!(
                "trace: window {} ms ({} ms speech, {} pieces): whisper_full {} ms, {} passes, {} segments, {n_tok} tokens",
                window.len_ms(),
                window.speech_ms(),
                window.pieces().len(),
                started.elapsed().as_millis(),
                calls.load(std::sync::atomic::Ordering::Relaxed).saturating_sub(1),
                state.full_n_segments()
            );
        }
        let eot = self.ctx.token_eot();
        let mut out = Vec::new();
        for seg in state.as_iter() {
            let mut tokens = Vec::new();
            for i in 0..seg.n_tokens() {
                let Some(tok) = seg.get_token(i) else { continue };
                // Special tokens (timestamps, language, end of text) sort after end-of-text.
                if tok.token_id() >= eot {
                    continue;
                }
                let data = tok.token_data();
                tokens.push(Token {
                    bytes: tok.to_bytes().map(<[u8]>::to_vec).unwrap_or_default(),
                    p: data.p,
                    // Whisper times are in 10 ms units relative to the window.
                    t0_ms: data.t0.max(0) as u64 * 10,
                    t1_ms: data.t1.max(0) as u64 * 10,
                });
            }
            let ws = WindowSegment {
                t0_ms: seg.start_timestamp().max(0) as u64 * 10,
                t1_ms: seg.end_timestamp().max(0) as u64 * 10,
                tokens,
                no_speech_prob: seg.no_speech_probability(),
            };
            out.extend(split(window, &ws, params.sentence_cuts));
        }
        Ok(out)
    }

    /// Decodes a window again in halves when its text is too sparse for its speech, and keeps
    /// whichever reading holds more text. Whisper sometimes closes a window's first segment
    /// with a timestamp near the window's end, or ends the window early, and whisper.cpp then
    /// skips the rest: on the long benchmark calls a 25 s window of turns came back as one
    /// sentence, and the agent's closing and next greeting were lost without a trace. A QA
    /// verdict on text that is not there is a silent failure, so such a window costs a second
    /// decode instead. Speech at a few characters a second is far above the limit; a window of
    /// line noise that the VAD let through comes back sparse too, and then only costs time.
    fn second_look(
        &self,
        state: &mut WhisperState,
        window: &Window,
        first: Vec<(usize, RawSegment)>,
        sources: &[&[f32]],
        params: &DecodeParams,
    ) -> Result<Vec<(usize, RawSegment)>, AsrError> {
        let chars = |segs: &[(usize, RawSegment)]| -> usize {
            segs.iter().map(|(_, s)| s.text.chars().filter(|c| c.is_alphanumeric()).count()).sum()
        };
        let found = chars(&first);
        if !too_sparse(window.speech_ms(), found) {
            return Ok(first);
        }
        let halves = window.halves(params.gap_ms);
        if halves.len() < 2 {
            return Ok(first);
        }
        let mut again = Vec::new();
        for h in &halves {
            again.extend(self.decode_window(state, h, sources, params)?);
        }
        let more = chars(&again);
        if tracing() {
            eprintln!("trace: second look at a {} ms window: {found} characters, then {more} in {} halves", window.len_ms(), halves.len());
        }
        Ok(if more > found { again } else { first })
    }

    /// Encodes the mel already in `state`, then reads its language.
    fn detect_language_encoding(&self, state: &mut WhisperState) -> Result<(String, f32), AsrError> {
        state.encode(0, self.threads).map_err(|e| AsrError::Decode(format!("language detection: {e}")))?;
        self.detect_language(state)
    }

    /// Language probabilities for the window last encoded in `state`: one decoder step from
    /// the start-of-transcript token, read over the language tokens (what whisper.cpp's
    /// language detection does, without encoding the window a second time).
    fn detect_language(&self, state: &mut WhisperState) -> Result<(String, f32), AsrError> {
        state
            .decode(&[self.ctx.token_sot()], 0, self.threads)
            .map_err(|e| AsrError::Decode(format!("language detection: {e}")))?;
        let logits = state.get_logits().map_err(|e| AsrError::Decode(format!("language logits: {e}")))?;
        let n_lang = whisper_rs::get_lang_max_id() + 1;
        let scores: Vec<(i32, f32)> = (0..n_lang)
            .filter_map(|id| logits.get(self.ctx.token_lang(id) as usize).map(|&l| (id, l)))
            .collect();
        let max = scores.iter().map(|s| s.1).fold(f32::NEG_INFINITY, f32::max);
        let sum: f32 = scores.iter().map(|s| (s.1 - max).exp()).sum();
        let (best, logit) = scores
            .iter()
            .copied()
            .max_by(|a, b| a.1.total_cmp(&b.1))
            .ok_or_else(|| AsrError::Decode("model has no language tokens".into()))?;
        let code = whisper_rs::get_lang_str(best).unwrap_or("?").to_string();
        Ok((code, (logit - max).exp() / sum))
    }
}

impl Transcriber for WhisperEngine {
    fn model(&self) -> &ModelRef {
        &self.model
    }

    fn producer(&self) -> String {
        format!("callqa {} (whisper.cpp {})", env!("CARGO_PKG_VERSION"), whisper_rs::get_whisper_version())
    }

    fn transcribe(&self, channels: &[ChannelAudio<'_>], params: &DecodeParams) -> Result<Vec<ChannelText>, AsrError> {
        let sources: Vec<&[f32]> = channels.iter().map(|c| c.samples).collect();
        let max_ms = params.window_ms.clamp(1_000, 30_000);
        let tagged = |i: usize| -> Vec<(usize, Span)> { channels[i].regions.iter().map(|r| (i, *r)).collect() };
        let windows: Vec<Window> = match params.packing {
            Packing::Channel => (0..channels.len()).flat_map(|i| pack(&tagged(i), max_ms, params.gap_ms)).collect(),
            Packing::Call => {
                let all: Vec<(usize, Span)> = (0..channels.len()).flat_map(tagged).collect();
                pack(&all, max_ms, params.gap_ms)
            }
        };
        let multilingual = self.ctx.is_multilingual();
        let decoded = self.slots.map(windows.len(), |i| {
            self.with_state(|state| {
                let segments = self.decode_window(state, &windows[i], &sources, params)?;
                // The window is encoded already: a language verdict costs one decoder step, so
                // every window gets one and they are applied in window order below, as if the
                // windows had been decoded one after another.
                let language = if multilingual { Some(self.detect_language(state)?) } else { None };
                let segments = self.second_look(state, &windows[i], segments, &sources, params)?;
                Ok((segments, language))
            })
        });
        let mut out = vec![ChannelText::default(); channels.len()];
        let mut want_lang: Vec<bool> = channels.iter().map(|c| multilingual && !c.regions.is_empty()).collect();
        for (w, result) in windows.iter().zip(decoded) {
            let (segments, language) = result?;
            for (src, seg) in segments {
                if let Some(t) = out.get_mut(src) {
                    t.segments.push(seg);
                }
            }
            let mut present: Vec<usize> = w.pieces().iter().map(|p| p.source).collect();
            present.sort_unstable();
            present.dedup();
            for &s in &present {
                out[s].windows += 1;
            }
            // A verdict speaks for a channel when the window is that channel's alone, or when it
            // is confident enough that neither channel can be speaking something else.
            if let Some((lang, p)) = language.filter(|_| present.iter().any(|&s| want_lang[s])) {
                if present.len() == 1 || p >= CONFIDENT_LANGUAGE {
                    for &s in &present {
                        if want_lang[s] {
                            out[s].language = Some((lang.clone(), p));
                            want_lang[s] = false;
                        }
                    }
                }
            }
        }
        // Channels only seen in mixed windows with an unsure verdict: one window of their own.
        if !want_lang.contains(&true) {
            return Ok(out);
        }
        self.with_state(|state| {
            for s in (0..channels.len()).filter(|&s| want_lang[s]) {
                if let Some(w) = pack(&tagged(s), max_ms, params.gap_ms).first() {
                    state
                        .pcm_to_mel(&w.samples(&sources), self.threads)
                        .map_err(|e| AsrError::Decode(format!("language detection: {e}")))?;
                    out[s].language = Some(self.detect_language_encoding(state)?);
                }
            }
            Ok(out)
        })
    }
}

/// Whether `CALLQA_TRACE` asks for each window's decode to be printed on stderr.
fn tracing() -> bool {
    std::env::var_os("CALLQA_TRACE").is_some()
}

/// A window with at least this much speech gets a second look when its text comes to fewer
/// than [`SECOND_LOOK_CHARS_PER_S`] characters per second of speech.
const SECOND_LOOK_MIN_SPEECH_MS: u64 = 8_000;
/// Mandarin speech runs at 3–5 characters a second (the manuals ask 200–250 a minute).
const SECOND_LOOK_CHARS_PER_S: f64 = 1.0;

/// Whether `chars` characters of text are too few for `speech_ms` of speech to be trusted.
fn too_sparse(speech_ms: u64, chars: usize) -> bool {
    speech_ms >= SECOND_LOOK_MIN_SPEECH_MS && (chars as f64) < SECOND_LOOK_CHARS_PER_S * speech_ms as f64 / 1000.0
}

/// A shared window's language verdict at or above this probability is taken for every
/// channel in it; below, each channel is checked on its own.
const CONFIDENT_LANGUAGE: f32 = 0.9;

/// The encoder context for a window: its length in 20 ms encoder frames plus a second of slack
/// (which keeps the last words' context), rounded up to a multiple of 16 and capped at the
/// model's context. The rounding is for speed: ggml's tiled matrix kernels (llamafile's
/// tinyBLAS, built in by `.cargo/config.toml`) take the encoder's attention products only when
/// the context is a multiple of 4, best of 16; otherwise ggml falls back to one dot product
/// per cell, which cost nearly as much as all of OpenBLAS's work (benches/README.md).
fn encoder_frames(window_ms: u64, n_audio_ctx: i32) -> i32 {
    let frames = (window_ms + 1_000).div_ceil(20).next_multiple_of(16);
    frames.min(n_audio_ctx.max(0) as u64) as i32
}

/// whisper.cpp and ggml print model and timing details to stderr; route them away so a
/// batch's own progress and errors stay readable.
fn silence_native_logs() {
    whisper_rs::install_logging_hooks();
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_window_is_looked_at_again_only_when_its_text_is_too_sparse_for_its_speech() {
        assert!(super::too_sparse(24_032, 16)); // the long call's window that lost four turns
        assert!(!super::too_sparse(24_032, 100)); // four characters a second
        assert!(!super::too_sparse(7_999, 0)); // too little speech to judge
        assert!(super::too_sparse(8_000, 7));
        assert!(!super::too_sparse(8_000, 8));
    }

    #[test]
    fn the_encoder_context_fits_the_window_in_whole_tiles() {
        // 20.37 s + 1 s of slack = 1068.5 frames → 1069 → 1072 (67 × 16).
        assert_eq!(super::encoder_frames(20_370, 1500), 1072);
        assert_eq!(super::encoder_frames(0, 1500), 64);
        for ms in (0..40_000).step_by(37) {
            let f = super::encoder_frames(ms, 1500);
            assert!(f == 1500 || (f % 16 == 0 && f as u64 * 20 >= ms + 1_000 && (f as u64 - 16) * 20 < ms + 1_000), "{ms} ms → {f}");
        }
        // A 30 s window takes the whole context (1500 = 4 × 375: still a tiled size).
        assert_eq!(super::encoder_frames(29_000, 1500), 1500);
    }

    #[test]
    #[cfg(not(feature = "cuda"))]
    fn asking_a_cpu_build_for_the_gpu_is_an_error_not_a_cpu_run() {
        let e = super::WhisperEngine::load_on(std::path::Path::new("models/ggml-base.bin"), 1, true).err().unwrap();
        assert!(e.to_string().contains("--features cuda"), "{e}");
    }
}
