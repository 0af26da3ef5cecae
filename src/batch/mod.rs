//! The nightly batch: recordings in, a report set out, in one resumable command.
//!
//! A run works in a run directory (`--out`, or `--out/shard-I-of-N` for a shard):
//!
//! ```text
//! work/calls.json            the calls this run owns (metadata from manifest or file names)
//! work/transcripts/ID.json   one transcript per call: the expensive, cached part
//! work/findings/ID.findings.json
//! work/rules/                a copy of the rule pack the run used (built-in or --rules)
//! work/status.json           what became of each call, and what could not be ingested
//! .callqa.lock               while a run writes: its pid, host and start (one run per folder)
//! reports/                   the report set (see `report`)
//! run.json                   the latest run's summary and timings; runs.jsonl: one line per run
//! ```
//!
//! Execution model: calls are independent, so the unit of parallelism is the call. `jobs`
//! workers each take a call, transcribe it (Whisper, `threads` threads, one shared model) and
//! scan it at once (microseconds next to seconds of decoding), so nothing waits for a stage
//! barrier and the cores stay on the decoder. Scoring and reports need every call and run
//! once at the end, single-threaded: they are a few milliseconds per thousand calls.
//!
//! Resuming is not a mode: every transcript is keyed by audio, model and decode parameters
//! and written atomically, so a re-run after a crash (or `kill -9`) finds the finished calls'
//! transcripts current and decodes only the rest. Findings, scores and reports are always
//! recomputed from the transcripts, so a resumed run's reports equal an uninterrupted one's.

pub mod lock;
pub mod store;
pub mod progress;
pub mod shard;

use std::path::{Path, PathBuf};
use std::time::Instant;

use serde::{Deserialize, Serialize};

use crate::asr::{DecodeParams, Transcriber};
use crate::call::CallMeta;
use crate::config::Config;
use crate::scan::Scanner;
use crate::transcribe::{CallInput, Outcome};
use crate::ingest::{self, pattern};
pub use crate::ingest::IngestError;
pub use progress::Progress;
pub use shard::Shard;
pub use crate::shared::Stage;
pub use store::{CallStatus, Partition, PartitionStatus, find_partitions, partition_from_dirs, read_partition};
use store::write_json;

/// Where a run's calls come from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Source {
    /// Every `*.wav` under a folder, metadata from the file names.
    Directory(PathBuf),
    /// A manifest CSV.
    Manifest(PathBuf),
}

/// A run's summary, printed at the end and kept as `run.json`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunSummary {
    pub run_dir: PathBuf,
    pub reports: PathBuf,
    pub succeeded: usize,
    /// Calls that failed plus recordings that could not be ingested.
    pub failed: usize,
    pub cached: usize,
    pub audio_ms: u64,
    pub wall_ms: u64,
    /// Wall time of everything but decoding: ingest, rule loading, scanning (its share of the
    /// workers' time), scoring and writing reports.
    pub outside_transcription_ms: u64,
    pub jobs: usize,
    pub threads: usize,
    /// Audio of the calls transcribed in this run (not those already transcribed).
    #[serde(default)]
    pub transcribed_ms: u64,
    /// The report set's run id, when the run started, and the callqa that ran it.
    #[serde(default)]
    pub run_id: String,
    #[serde(default)]
    pub started_at: String,
    #[serde(default)]
    pub version: String,
    /// Rows of reviews, adjustments, bonuses and staff that applied to nothing, with file and
    /// line (also in `errors`); any makes the exit code 1.
    #[serde(default)]
    pub unapplied: Vec<String>,
    /// The HTML report's overview page, when one was written.
    #[serde(default)]
    pub html: Option<PathBuf>,
}

impl RunSummary {
    /// Failed calls or recordings, or rows of the supervisors' files that applied to nothing,
    /// make a run that ended with failures.
    pub fn exit(&self) -> crate::shared::Exit {
        crate::shared::Exit::from_failures(self.failed + self.unapplied.len())
    }

    /// Audio hours transcribed per wall-clock hour (cached calls do not count).
    pub fn speed(&self) -> f64 {
        if self.wall_ms == 0 { 0.0 } else { self.transcribed_ms as f64 / self.wall_ms as f64 }
    }

    /// Share of wall time spent outside transcription.
    pub fn outside_share(&self) -> f64 {
        if self.wall_ms == 0 { 0.0 } else { self.outside_transcription_ms as f64 / self.wall_ms as f64 }
    }
}

impl std::fmt::Display for RunSummary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(
            f,
            "{} recordings: {} succeeded ({} already transcribed), {} failed",
            self.succeeded + self.failed,
            self.succeeded,
            self.cached,
            self.failed
        )?;
        if self.transcribed_ms == 0 {
            writeln!(f, "transcripts up to date: nothing to transcribe; rescanned and rescored in {:.1} s", self.wall_ms as f64 / 1e3)?;
        } else {
            writeln!(
                f,
                "{:.2} h of audio transcribed in {:.1} min wall ({:.1} audio-h per h, {}); {:.1} % of the time outside transcription",
                self.transcribed_ms as f64 / 3.6e6,
                self.wall_ms as f64 / 6e4,
                self.speed(),
                split(self.jobs, self.threads),
                self.outside_share() * 100.0
            )?;
        }
        for u in &self.unapplied {
            writeln!(f, "not applied: {u}")?;
        }
        if let Some(h) = &self.html {
            writeln!(f, "HTML report: {} (open it in a browser)", h.display())?;
        }
        write!(f, "reports in {}", self.reports.display())
    }
}

/// A problem that stops a run before it starts (exit code 2): bad configuration or input.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct RunError(pub String);

impl From<String> for RunError {
    fn from(s: String) -> Self {
        RunError(s)
    }
}

/// The run directory for `out` and an optional shard.
pub fn run_dir(out: &Path, shard: Option<Shard>) -> PathBuf {
    match shard {
        Some(s) => out.join(s.dir_name()),
        None => out.to_owned(),
    }
}

/// Reads the calls of a source, keeping those of `shard`. Ingest errors go to the shard that
/// owns their call id, or their file name when they have none, so merged shards list each
/// once.
pub fn ingest(source: &Source, config: &Config, shard: Option<Shard>) -> Result<ingest::Ingested, RunError> {
    let tz = config.time_zone()?;
    let mut ing = match source {
        Source::Directory(d) => {
            if !d.is_dir() {
                return Err(RunError(format!("{}: not a directory", d.display())));
            }
            let pattern = pattern::Pattern::parse(&config.pattern)?;
            ingest::from_directory(d, &pattern, &tz, config.layout)?
        }
        Source::Manifest(m) => ingest::from_manifest(m, &tz, config.layout)?,
    };
    if let Some(s) = shard {
        ing.calls.retain(|c| s.owns(&c.call_id));
        ing.errors.retain(|e| s.owns(e.call_id.as_deref().unwrap_or(&e.file)));
    }
    Ok(ing)
}

/// Loads the rule pack (`config.rules`, or the built-in default) and keeps a copy of exactly
/// the files used in `run_dir/work/rules`, replacing whatever an earlier run left there.
pub fn load_rules(config: &Config, run_dir: &Path) -> Result<Scanner, RunError> {
    let kept = run_dir.join("work/rules");
    let dir = match &config.rules {
        Some(d) => d.clone(),
        None => {
            crate::rules::default_pack::write_to(&kept).map_err(|e| RunError(format!("{}: {e}", kept.display())))?;
            kept.clone()
        }
    };
    let pack = crate::rules::load_pack(&dir).map_err(|problems| {
        let lines: Vec<String> = problems.iter().map(|p| p.to_string()).collect();
        RunError(format!("{} problem(s) in the rule pack {}:\n{}", problems.len(), dir.display(), lines.join("\n")))
    })?;
    if dir != kept {
        pack.write_copy(&kept).map_err(|e| RunError(format!("{}: {e}", kept.display())))?;
    }
    Scanner::new(pack).map_err(|e| RunError(format!("{}: {e}", dir.display())))
}

/// Transcribes and scans every call into `run_dir/work`, `jobs` at a time, reporting each to
/// `progress`; writes `work/calls.json` first and `work/status.json` last.
pub fn process(
    engine: &dyn Transcriber,
    scanner: &Scanner,
    ingested: &ingest::Ingested,
    config: &Config,
    run_dir: &Path,
    shard: Option<Shard>,
    jobs: usize,
    progress: &dyn Progress,
) -> Result<PartitionStatus, RunError> {
    let work = run_dir.join("work");
    let transcripts = work.join("transcripts");
    let findings = work.join("findings");
    for d in [&transcripts, &findings] {
        std::fs::create_dir_all(d).map_err(|e| RunError(format!("{}: {e}", d.display())))?;
    }
    write_json(&work.join("calls.json"), &ingested.calls)?;
    progress.start(ingested.calls.len());

    let one = |meta: &CallMeta| -> CallStatus {
        let status = process_call(engine, scanner, meta, config, &transcripts, &findings);
        progress.call_done(&status);
        status
    };
    let calls: Vec<CallStatus> = crate::shared::par::map(&ingested.calls, jobs, one);
    progress.finish();
    let status = PartitionStatus {
        shard: shard.map(|s| (s.index(), s.count())),
        pack: scanner.pack().name().to_owned(),
        pack_version: scanner.pack().version().to_owned(),
        pack_sha256: scanner.pack().sha256(),
        model_sha256: engine.model().sha256.clone(),
        calls,
        ingest_errors: ingested.errors.clone(),
    };
    write_json(&work.join("status.json"), &status)?;
    Ok(status)
}

/// Decode parameters for the site; each call's layout is its own (see [`CallInput::layout`]).
pub fn decode_params(config: &Config) -> DecodeParams {
    DecodeParams {
        language: config.language.clone(),
        beam_size: config.beam,
        prompt: config.prompt.clone().filter(|p| !p.is_empty()),
        ..DecodeParams::default()
    }
}

fn process_call(engine: &dyn Transcriber, scanner: &Scanner, meta: &CallMeta, config: &Config, transcripts: &Path, findings: &Path) -> CallStatus {
    let started = Instant::now();
    let input = CallInput { call_id: meta.call_id.clone(), path: meta.path.clone(), layout: meta.layout.or(config.layout) };
    let mut status = CallStatus {
        call_id: meta.call_id.clone(),
        path: meta.path.clone(),
        failed_at: None,
        error: None,
        audio_ms: 0,
        cached: false,
        transcribe_ms: 0,
        scan_ms: 0,
    };
    let transcribed = match crate::transcribe::transcribe_call(engine, &input, &decode_params(config), &config.audio_limits(), transcripts) {
        (Outcome::Done { audio_ms, .. }, Some(t)) => Ok((audio_ms, false, t)),
        (Outcome::Cached { audio_ms, .. }, Some(t)) => Ok((audio_ms, true, t)),
        (Outcome::Failed { error, .. }, _) => Err(error),
        (_, None) => Err(format!("{}: the transcriber returned no transcript", meta.path.display())),
    };
    status.transcribe_ms = started.elapsed().as_millis() as u64;
    let transcript = match transcribed {
        Ok((audio_ms, cached, t)) => {
            (status.audio_ms, status.cached) = (audio_ms, cached);
            t
        }
        Err(error) => {
            status.failed_at = Some(Stage::Transcribe);
            status.error = Some(error);
            return status;
        }
    };
    // The scan is a function of the transcript in hand; the store keeps its result.
    let scan_started = Instant::now();
    if let Err(e) = store::write_findings(findings, &scanner.findings_file(&transcript)) {
        status.failed_at = Some(Stage::Scan);
        status.error = Some(e);
    }
    status.scan_ms = scan_started.elapsed().as_millis() as u64;
    status
}

/// "2 jobs × 1 thread": how a run shared out the cores, in words.
pub fn split(jobs: usize, threads: usize) -> String {
    let plural = |n: usize, w: &str| if n == 1 { format!("1 {w}") } else { format!("{n} {w}s") };
    format!("{} × {}", plural(jobs, "job"), plural(threads, "thread"))
}

/// Scoring inputs for a run: the rubric (configured, else built in) and the optional review,
/// adjustment, bonus and staff files (configured, else `reviews.csv` etc. in `run_dir`).
pub struct ScoringInputs {
    pub rubric: crate::score::Rubric,
    pub reviews: crate::score::Reviews,
    pub adjustments: crate::score::Adjustments,
    pub bonuses: crate::score::Bonuses,
    pub staff: crate::score::Staff,
    pub files_sha256: Vec<String>,
}

/// Loads [`ScoringInputs`]; every problem in any file is listed with file and line.
pub fn scoring_inputs(config: &Config, run_dir: &Path) -> Result<ScoringInputs, RunError> {
    use crate::score::{Adjustments, Bonuses, Reviews, Rubric, Staff};
    let problems = |ps: Vec<crate::shared::problem::Problem>| RunError(ps.iter().map(|p| p.to_string()).collect::<Vec<_>>().join("\n"));
    let rubric = match &config.rubric {
        Some(p) => Rubric::load(p).map_err(problems)?,
        None => Rubric::default_embedded(),
    };
    let pick = |configured: &Option<PathBuf>, default: &str| -> Result<Option<PathBuf>, RunError> {
        match configured {
            Some(p) if p.is_file() => Ok(Some(p.clone())),
            Some(p) => Err(RunError(format!("{}: no such file (set in the configuration)", p.display()))),
            None => Ok(Some(run_dir.join(default)).filter(|p| p.is_file())),
        }
    };
    let mut files_sha256 = Vec::new();
    let mut note = |p: &Option<PathBuf>| -> Result<(), RunError> {
        if let Some(p) = p {
            files_sha256.push(crate::fsutil::sha256_file(p).map_err(|e| RunError(format!("{}: {e}", p.display())))?);
        }
        Ok(())
    };
    let f = &config.scoring;
    let (rv, ad, bo, st) =
        (pick(&f.reviews, "reviews.csv")?, pick(&f.adjustments, "adjustments.csv")?, pick(&f.bonuses, "bonuses.csv")?, pick(&f.staff, "staff.csv")?);
    for p in [&rv, &ad, &bo, &st] {
        note(p)?;
    }
    Ok(ScoringInputs {
        reviews: rv.map(|p| Reviews::load(&p)).transpose().map_err(problems)?.unwrap_or_default(),
        adjustments: ad.map(|p| Adjustments::load(&p, &rubric)).transpose().map_err(problems)?.unwrap_or_default(),
        bonuses: bo.map(|p| Bonuses::load(&p, &rubric)).transpose().map_err(problems)?.unwrap_or_default(),
        staff: st.map(|p| Staff::load(&p)).transpose().map_err(problems)?.unwrap_or_default(),
        rubric,
        files_sha256,
    })
}

/// A written report set, and the rows of the supervisors' files that applied to nothing
/// ("reviews.csv:7: finding `…` is not among this report set's findings…"), which are
/// also `errors` rows.
pub struct Written {
    pub meta: crate::report::ReportMeta,
    pub unapplied: Vec<String>,
    /// The HTML report, unless `[reports] html = false`.
    pub html: Option<crate::report::html::HtmlSummary>,
}

impl Written {
    /// Rows of a table of the set (`calls`, `findings`, `scorecards`, `errors`).
    pub fn rows(&self, table: &str) -> usize {
        let name = format!("{table}.parquet");
        self.meta.files.iter().find(|f| f.name == name).map_or(0, |f| f.rows)
    }

    /// Errors rows (failed calls, rows of the supervisors' files that applied to nothing)
    /// make a set written with failures.
    pub fn exit(&self) -> crate::shared::Exit {
        crate::shared::Exit::from_failures(self.rows("errors"))
    }
}

impl std::fmt::Display for Written {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for u in &self.unapplied {
            writeln!(f, "not applied: {u}")?;
        }
        write!(
            f,
            "{} calls scored, {} findings, {} scorecards, {} errors; run {}",
            self.rows("calls"),
            self.rows("findings"),
            self.rows("scorecards"),
            self.rows("errors"),
            self.meta.run_id
        )
    }
}

/// Scores `partitions` and writes their report set into `reports_dir`.
pub fn write_reports(partitions: &[Partition], config: &Config, inputs: &ScoringInputs, reports_dir: &Path) -> Result<Written, RunError> {
    let tz = config.time_zone()?;
    let scoring = crate::report::assemble::Scoring {
        rubric: &inputs.rubric,
        reviews: &inputs.reviews,
        adjustments: &inputs.adjustments,
        bonuses: &inputs.bonuses,
        staff: &inputs.staff,
        tz: &tz,
        inputs_sha256: inputs.files_sha256.clone(),
    };
    let (meta, tables) = crate::report::assemble::assemble(store::contents(partitions), &scoring, crate::report::assemble::TextOptions { redact: config.reports.redact });
    let unapplied = tables
        .errors
        .iter()
        .filter(|e| crate::report::assemble::INPUT_STAGES.contains(&e.stage.as_str()))
        .map(|e| format!("{}: {}", e.file, e.reason))
        .collect();
    // The tables and the HTML pages are one set, replaced together.
    let (meta, html) = crate::report::publish(reports_dir, |staging| {
        let meta = crate::report::write(staging, meta, &tables, crate::report::CsvOptions { bom: config.reports.csv_bom })?;
        let html = if config.reports.html {
            let opts = crate::report::html::HtmlOptions { audio: config.reports.html_audio, redact: config.reports.html_redact };
            Some(crate::report::html::write_into(&staging.join("html"), &reports_dir.join("html"), &meta, &tables, opts)?)
        } else {
            None
        };
        Ok((meta, html))
    })
    .map_err(|e| RunError(e.to_string()))?;
    Ok(Written { meta, unapplied, html })
}

/// What `callqa run` is asked to do.
#[derive(Clone, Debug)]
pub struct RunSpec {
    pub source: Source,
    pub out: PathBuf,
    pub shard: Option<Shard>,
    pub config: Config,
    /// Take over a lock another host left on the run folder (see [`lock`]).
    pub take_over_lock: bool,
}

/// The whole pipeline: ingest → transcribe → scan → score → report, into the run directory.
/// Configuration problems are an `Err` before any work; a failing call is in the summary.
pub fn run(spec: &RunSpec, progress: &dyn Progress) -> Result<RunSummary, RunError> {
    let started = Instant::now();
    let started_at = jiff::Timestamp::now();
    let config = &spec.config;
    let dir = run_dir(&spec.out, spec.shard);
    let _lock = lock::RunLock::acquire_with(&dir, spec.take_over_lock)?;
    let (jobs, threads) = config.parallelism();
    let ingested = ingest(&spec.source, config, spec.shard)?;
    for e in &ingested.errors {
        progress.ingest_error(e);
    }
    let scanner = load_rules(config, &dir)?;
    let inputs = scoring_inputs(config, &spec.out)?;
    let setup_ms = started.elapsed().as_millis() as u64;
    let model = config.model_path().map_err(RunError)?;
    let engine = crate::asr::whisper::WhisperEngine::load_on(&model, threads, config.gpu).map_err(|e| RunError(e.to_string()))?.decoding_at_once(jobs);
    let status = process(&engine, &scanner, &ingested, config, &dir, spec.shard, jobs, progress)?;
    let report_started = Instant::now();
    let partition = read_partition(&dir)?;
    let reports = dir.join("reports");
    let written = write_reports(std::slice::from_ref(&partition), config, &inputs, &reports)?;
    let report_ms = report_started.elapsed().as_millis() as u64;
    let wall_ms = started.elapsed().as_millis() as u64;
    let scan_ms: u64 = status.calls.iter().map(|c| c.scan_ms).sum();
    let failed = status.calls.iter().filter(|c| c.failed_at.is_some()).count() + status.ingest_errors.len();
    let summary = RunSummary {
        run_dir: dir.clone(),
        reports,
        succeeded: status.calls.iter().filter(|c| c.failed_at.is_none()).count(),
        failed,
        cached: status.calls.iter().filter(|c| c.failed_at.is_none() && c.cached).count(),
        audio_ms: status.calls.iter().map(|c| c.audio_ms).sum(),
        transcribed_ms: status.calls.iter().filter(|c| !c.cached).map(|c| c.audio_ms).sum(),
        run_id: written.meta.run_id.clone(),
        started_at: started_at.to_string(),
        version: env!("CARGO_PKG_VERSION").to_owned(),
        wall_ms,
        outside_transcription_ms: setup_ms + scan_ms / jobs as u64 + report_ms,
        jobs,
        threads,
        unapplied: written.unapplied,
        html: written.html.map(|h| h.dir.join("index.html")),
    };
    write_json(&dir.join("run.json"), &summary)?;
    // One line per run, kept: run.json is only the latest, and a night's real timings must
    // survive the morning's re-run that only applies reviews.
    let history = dir.join("runs.jsonl");
    let line = serde_json::to_string(&summary).map_err(|e| RunError(e.to_string()))? + "\n";
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&history)
        .and_then(|mut f| std::io::Write::write_all(&mut f, line.as_bytes()))
        .map_err(|e| RunError(format!("{}: {e}", history.display())))?;
    Ok(summary)
}

#[cfg(test)]
mod tests;
