//! Progress of a batch: a live bar on a terminal, plain log lines otherwise.
//!
//! The night run is usually started from cron or a scheduler, whose log wants one line per
//! call; an inspector watching a terminal wants a bar with throughput and ETA. Both are fed
//! by the same calls from the workers.

use std::io::IsTerminal;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};

use super::CallStatus;

/// Receives a run's progress; called from worker threads.
pub trait Progress: Sync {
    /// A recording that could not be ingested (no pattern match, a bad manifest row…), named
    /// before any call is processed.
    fn ingest_error(&self, _e: &crate::ingest::IngestError) {}
    /// Before the first call, with how many there are.
    fn start(&self, _calls: usize) {}
    /// As each call finishes, failed or not.
    fn call_done(&self, _status: &CallStatus) {}
    /// After the last call.
    fn finish(&self) {}
}

/// Reports nothing (tests, library use).
pub struct Silent;

impl Progress for Silent {}

/// The terminal bar or the log lines, whichever fits standard error.
pub fn for_stderr() -> Box<dyn Progress> {
    if std::io::stderr().is_terminal() { Box::new(Bar::new()) } else { Box::new(Log::new()) }
}

/// Running totals shared by both displays.
struct Totals {
    started: Instant,
    total: AtomicUsize,
    done: AtomicUsize,
    failed: AtomicUsize,
    audio_ms: AtomicU64,
}

impl Totals {
    fn new() -> Totals {
        Totals { started: Instant::now(), total: AtomicUsize::new(0), done: AtomicUsize::new(0), failed: AtomicUsize::new(0), audio_ms: AtomicU64::new(0) }
    }

    /// Adds a call; returns (calls done, audio hours transcribed, audio hours per wall hour).
    fn add(&self, s: &CallStatus) -> (usize, f64, f64) {
        let done = self.done.fetch_add(1, Ordering::Relaxed) + 1;
        if s.failed_at.is_some() {
            self.failed.fetch_add(1, Ordering::Relaxed);
        }
        // Calls already transcribed cost nothing: they do not count towards the throughput.
        let new = if s.cached { 0 } else { s.audio_ms };
        let audio = self.audio_ms.fetch_add(new, Ordering::Relaxed) + new;
        let wall = self.started.elapsed().as_millis().max(1) as f64;
        (done, audio as f64 / 3.6e6, audio as f64 / wall)
    }
}

/// Plain lines on standard error: one per call.
pub struct Log {
    totals: Totals,
}

impl Log {
    pub fn new() -> Log {
        Log { totals: Totals::new() }
    }
}

impl Default for Log {
    fn default() -> Self {
        Log::new()
    }
}

impl Progress for Log {
    fn ingest_error(&self, e: &crate::ingest::IngestError) {
        eprintln!("FAILED {}: {}", e.file, e.reason);
    }

    fn start(&self, calls: usize) {
        self.totals.total.store(calls, Ordering::Relaxed);
        eprintln!("callqa: {calls} calls to process");
    }

    fn call_done(&self, s: &CallStatus) {
        let (done, hours, speed) = self.totals.add(s);
        let total = self.totals.total.load(Ordering::Relaxed);
        let what = match (&s.error, s.cached) {
            (Some(e), _) => format!("FAILED: {e}"),
            (None, true) => format!("{:.1} s of audio, already transcribed", s.audio_ms as f64 / 1000.0),
            (None, false) => format!("{:.1} s of audio in {:.1} s", s.audio_ms as f64 / 1000.0, s.transcribe_ms as f64 / 1000.0),
        };
        eprintln!("[{done}/{total}] {}: {what} ({hours:.2} audio-h transcribed, {speed:.1} audio-h/h)", s.call_id);
    }
}

/// A live bar: calls done, audio hours, throughput, failures and ETA.
pub struct Bar {
    totals: Totals,
    bar: Mutex<Option<ProgressBar>>,
}

impl Bar {
    pub fn new() -> Bar {
        Bar { totals: Totals::new(), bar: Mutex::new(None) }
    }
}

impl Default for Bar {
    fn default() -> Self {
        Bar::new()
    }
}

impl Progress for Bar {
    fn ingest_error(&self, e: &crate::ingest::IngestError) {
        // Before the bar starts: a plain line.
        eprintln!("FAILED {}: {}", e.file, e.reason);
    }

    fn start(&self, calls: usize) {
        self.totals.total.store(calls, Ordering::Relaxed);
        let bar = ProgressBar::new(calls as u64);
        bar.set_style(
            ProgressStyle::with_template("{spinner} [{elapsed_precise}] {wide_bar} {pos}/{len} calls · {msg} · ETA {eta}")
                .expect("a valid template")
                .progress_chars("=> "),
        );
        bar.enable_steady_tick(Duration::from_millis(250));
        bar.set_message("starting");
        *self.bar.lock().unwrap_or_else(|e| e.into_inner()) = Some(bar);
    }

    fn call_done(&self, s: &CallStatus) {
        let (_, hours, speed) = self.totals.add(s);
        let failed = self.totals.failed.load(Ordering::Relaxed);
        if let Some(bar) = self.bar.lock().unwrap_or_else(|e| e.into_inner()).as_ref() {
            if let Some(e) = &s.error {
                bar.println(format!("FAILED {}: {e}", s.call_id));
            }
            bar.set_message(format!("{hours:.2} audio-h · {speed:.1} audio-h/h · {failed} failed"));
            bar.inc(1);
        }
    }

    fn finish(&self) {
        if let Some(bar) = self.bar.lock().unwrap_or_else(|e| e.into_inner()).take() {
            bar.finish_and_clear();
        }
    }
}
