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

pub mod ingest;
pub mod lock;
pub mod pattern;
pub mod progress;
pub mod shard;

use std::path::{Path, PathBuf};
use std::time::Instant;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::asr::{DecodeParams, Transcriber};
use crate::call::CallMeta;
use crate::config::Config;
use crate::scan::{FindingsFile, Scanner};
use crate::transcribe::{CallInput, Outcome};
use crate::transcript::Transcript;
pub use ingest::IngestError;
pub use progress::Progress;
pub use shard::Shard;

/// Where a run's calls come from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Source {
    /// Every `*.wav` under a folder, metadata from the file names.
    Directory(PathBuf),
    /// A manifest CSV.
    Manifest(PathBuf),
}

/// A pipeline stage, as named in the `errors` report.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    Ingest,
    Transcribe,
    Scan,
    Score,
}

impl Stage {
    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Ingest => "ingest",
            Stage::Transcribe => "transcribe",
            Stage::Scan => "scan",
            Stage::Score => "score",
        }
    }
}

/// What became of one call.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CallStatus {
    pub call_id: String,
    pub path: PathBuf,
    /// Set when the call failed; `error` says why, naming the file.
    pub failed_at: Option<Stage>,
    pub error: Option<String>,
    pub audio_ms: u64,
    /// Whether the transcript was already there (a resumed run).
    pub cached: bool,
    /// Wall time spent transcribing and scanning this call.
    pub transcribe_ms: u64,
    pub scan_ms: u64,
}

/// `work/status.json`: a partition's outcome, enough for `merge` without the recordings.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PartitionStatus {
    /// `(index, count)` of a sharded run.
    pub shard: Option<(u32, u32)>,
    pub pack: String,
    pub pack_version: String,
    /// SHA-256 of the pack's files ([`crate::rules::Pack::sha256`]); empty when unknown
    /// (`callqa score` over findings made elsewhere).
    #[serde(default)]
    pub pack_sha256: String,
    pub model_sha256: String,
    pub calls: Vec<CallStatus>,
    pub ingest_errors: Vec<IngestError>,
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
    let calls: Vec<CallStatus> = match rayon::ThreadPoolBuilder::new().num_threads(jobs.max(1)).build() {
        Ok(pool) => pool.install(|| ingested.calls.par_iter().map(one).collect()),
        Err(_) => ingested.calls.iter().map(one).collect(),
    };
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
    DecodeParams { language: config.language.clone(), ..DecodeParams::default() }
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
    let out = match crate::transcribe::transcribe_one(engine, &input, &decode_params(config), &config.audio_limits(), transcripts) {
        Outcome::Done { out, audio_ms, .. } => {
            status.audio_ms = audio_ms;
            out
        }
        Outcome::Cached { out, audio_ms, .. } => {
            status.audio_ms = audio_ms;
            status.cached = true;
            out
        }
        Outcome::Failed { error, .. } => {
            status.failed_at = Some(Stage::Transcribe);
            status.error = Some(error);
            status.transcribe_ms = started.elapsed().as_millis() as u64;
            return status;
        }
    };
    status.transcribe_ms = started.elapsed().as_millis() as u64;
    let scan_started = Instant::now();
    if let Err(e) = crate::scan::scan_file(scanner, &out, findings) {
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

pub(crate) fn write_json<T: Serialize + ?Sized>(path: &Path, value: &T) -> Result<(), RunError> {
    let json = serde_json::to_vec_pretty(value).map_err(|e| RunError(format!("{}: {e}", path.display())))?;
    crate::fsutil::write_atomic(path, &json).map_err(|e| RunError(format!("{}: {e}", path.display())))
}

/// A partition read back from its run directory: what `merge` combines.
#[derive(Clone, Debug)]
pub struct Partition {
    /// Where its transcripts (`ID.json`) and findings (`ID.findings.json`) are.
    pub transcripts: PathBuf,
    pub findings: PathBuf,
    pub calls: Vec<CallMeta>,
    pub status: PartitionStatus,
}

/// Reads `work/calls.json` and `work/status.json` of a run directory.
pub fn read_partition(dir: &Path) -> Result<Partition, RunError> {
    let read = |name: &str| -> Result<Vec<u8>, RunError> {
        let p = dir.join("work").join(name);
        std::fs::read(&p).map_err(|e| RunError(format!("{}: {e} (is this a callqa run directory that finished?)", p.display())))
    };
    let calls: Vec<CallMeta> = serde_json::from_slice(&read("calls.json")?)
        .map_err(|e| RunError(format!("{}: {e}", dir.join("work/calls.json").display())))?;
    let status: PartitionStatus = serde_json::from_slice(&read("status.json")?)
        .map_err(|e| RunError(format!("{}: {e}", dir.join("work/status.json").display())))?;
    Ok(Partition { transcripts: dir.join("work/transcripts"), findings: dir.join("work/findings"), calls, status })
}

/// The partitions under `paths`: each path is a run directory, or a folder whose
/// `shard-I-of-N` subfolders are. All must be shards of one split, each present once.
pub fn find_partitions(paths: &[PathBuf]) -> Result<Vec<Partition>, RunError> {
    let mut dirs = Vec::new();
    for p in paths {
        if p.join("work/status.json").is_file() {
            dirs.push(p.clone());
            continue;
        }
        let rd = std::fs::read_dir(p).map_err(|e| RunError(format!("{}: {e}", p.display())))?;
        let mut subs: Vec<PathBuf> = rd
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|d| d.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with("shard-")) && d.join("work/status.json").is_file())
            .collect();
        if subs.is_empty() {
            return Err(RunError(format!("{}: neither a finished run directory (work/status.json) nor a folder of shard-I-of-N run directories", p.display())));
        }
        subs.sort();
        dirs.extend(subs);
    }
    let parts = dirs.iter().map(|d| read_partition(d)).collect::<Result<Vec<_>, _>>()?;
    let shards: Vec<Option<(u32, u32)>> = parts.iter().map(|p| p.status.shard).collect();
    if let Some(Some((_, n))) = shards.first() {
        let mut seen: Vec<u32> = Vec::new();
        for (s, d) in shards.iter().zip(&dirs) {
            match s {
                Some((i, m)) if m == n && !seen.contains(i) => seen.push(*i),
                Some((i, m)) if m == n => return Err(RunError(format!("{}: shard {i}/{m} is given twice", d.display()))),
                other => {
                    return Err(RunError(format!(
                        "{}: is {}, but the first partition is one of {n} shards",
                        d.display(),
                        other.map(|(i, m)| format!("shard {i}/{m}")).unwrap_or_else(|| "an unsharded run".into())
                    )))
                }
            }
        }
        let missing: Vec<String> = (0..*n).filter(|i| !seen.contains(i)).map(|i| format!("{i}/{n}")).collect();
        if !missing.is_empty() {
            return Err(RunError(format!("shard(s) {} missing; merge needs every shard of the split", missing.join(", "))));
        }
    }
    let versions: Vec<&str> = parts.iter().map(|p| p.status.pack_version.as_str()).collect();
    if versions.windows(2).any(|w| w[0] != w[1]) {
        return Err(RunError(format!("the partitions were scanned with different rule pack versions ({}); re-run them with one pack", versions.join(", "))));
    }
    let mut packs: Vec<&str> = parts.iter().map(|p| p.status.pack_sha256.as_str()).filter(|s| !s.is_empty()).collect();
    packs.dedup();
    if packs.len() > 1 {
        return Err(RunError("the partitions were scanned with different rule pack files under one version; re-run them with one pack".into()));
    }
    Ok(parts)
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
    let problems = |ps: Vec<crate::rules::Problem>| RunError(ps.iter().map(|p| p.to_string()).collect::<Vec<_>>().join("\n"));
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
    let (meta, tables) = crate::report::assemble::assemble(partitions, &scoring, crate::report::assemble::TextOptions { redact: config.reports.redact });
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
    let engine = crate::asr::whisper::WhisperEngine::load(&model, threads).map_err(|e| RunError(e.to_string()))?;
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

/// A partition from separate `callqa transcribe` and `callqa scan` output folders (what
/// `callqa score` scores): metadata from a manifest, or from the recordings' names through
/// the configured pattern.
pub fn partition_from_dirs(transcripts: &Path, findings: &Path, manifest: Option<&Path>, config: &Config) -> Result<Partition, RunError> {
    let tz = config.time_zone()?;
    let files = crate::scan::collect_transcripts(&[transcripts.to_owned()]).map_err(|e| RunError(e.to_string()))?;
    let by_manifest = match manifest {
        Some(m) => {
            let ing = ingest::from_manifest(m, &tz, config.layout)?;
            Some(ing.calls.into_iter().map(|c| (c.call_id.clone(), c)).collect::<std::collections::HashMap<_, _>>())
        }
        None => None,
    };
    let pattern = pattern::Pattern::parse(&config.pattern)?;
    let mut calls = Vec::new();
    let mut statuses = Vec::new();
    let mut ingest_errors = Vec::new();
    let (mut pack, mut pack_version, mut model_sha256) = (String::new(), String::new(), String::new());
    for f in files {
        let t = match Transcript::read(&f) {
            Ok(t) => t,
            Err(e) => {
                ingest_errors.push(IngestError { file: f.display().to_string(), call_id: None, reason: e.to_string() });
                continue;
            }
        };
        model_sha256.clone_from(&t.model.sha256);
        let meta = match &by_manifest {
            Some(m) => m.get(&t.call_id).cloned().ok_or_else(|| format!("call {} is not in the manifest", t.call_id)),
            None => {
                let name = t.audio.path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
                pattern
                    .match_name(&name)
                    .and_then(|n| Some((n.clone(), n.started_at?.to_zoned(tz.clone()).ok()?.timestamp())))
                    .map(|(n, started_at)| CallMeta {
                        call_id: t.call_id.clone(),
                        path: t.audio.path.clone(),
                        agent_id: n.agent_id.unwrap_or_default(),
                        agent_name: n.agent_name,
                        team: n.team,
                        started_at,
                        direction: n.direction.as_deref().and_then(crate::call::Direction::parse),
                        layout: Some(t.params.layout),
                    })
                    .ok_or_else(|| format!("the recording's name {name:?} does not match the pattern {pattern}; give a --manifest"))
            }
        };
        let meta = match meta {
            Ok(m) => m,
            Err(reason) => {
                ingest_errors.push(IngestError { file: t.audio.path.display().to_string(), call_id: Some(t.call_id.clone()), reason });
                continue;
            }
        };
        let fpath = match crate::call::call_path(&findings, &t.call_id, ".findings.json") {
            Ok(p) => p,
            Err(reason) => {
                ingest_errors.push(IngestError { file: f.display().to_string(), call_id: None, reason });
                continue;
            }
        };
        let mut status = CallStatus {
            call_id: t.call_id.clone(),
            path: t.audio.path.clone(),
            failed_at: None,
            error: None,
            audio_ms: t.audio.duration_ms,
            cached: true,
            transcribe_ms: 0,
            scan_ms: 0,
        };
        match std::fs::read(&fpath).map_err(|e| e.to_string()).and_then(|b| serde_json::from_slice::<FindingsFile>(&b).map_err(|e| e.to_string())) {
            Ok(ff) => {
                pack = ff.pack;
                pack_version = ff.pack_version;
            }
            Err(e) => {
                status.failed_at = Some(Stage::Scan);
                status.error = Some(format!("{}: {e}; run `callqa scan` on the transcripts first", fpath.display()));
            }
        }
        calls.push(meta);
        statuses.push(status);
    }
    Ok(Partition {
        transcripts: transcripts.to_owned(),
        findings: findings.to_owned(),
        calls,
        status: PartitionStatus { shard: None, pack, pack_version, pack_sha256: String::new(), model_sha256, calls: statuses, ingest_errors },
    })
}
