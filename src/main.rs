//! The `callqa` command line: parse, call the library, map outcomes to exit codes
//! (0 all calls succeeded, 1 some calls failed, 2 bad usage or configuration).

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use clap::{Parser, Subcommand};

use callqa::asr::DecodeParams;
use callqa::asr::whisper::WhisperEngine;
use callqa::audio::Layout;
use callqa::batch::{RunSpec, Source};
use callqa::config::Config;
use callqa::transcribe::{self, Outcome};

/// The scan makes many small, short-lived allocations (findings and their evidence), which
/// mimalloc serves faster than the system allocator: about 10 % of a scan's time with the
/// default pack (`cargo bench --bench scan` uses it too).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(name = "callqa", version, about = "Offline quality assurance for Mandarin call-centre recordings")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Transcribe recordings (WAV files or directories of them) into per-call transcript JSON.
    Transcribe(TranscribeArgs),
    /// Manage Whisper model files.
    #[command(subcommand)]
    Model(ModelCommand),
    /// Work with rule packs.
    #[command(subcommand)]
    Rules(RulesCommand),
    /// Scan transcripts with a rule pack into per-call findings JSON (no re-transcribing).
    Scan(ScanArgs),
    /// The whole nightly batch: recordings → transcripts → findings → scores → reports.
    Run(RunArgs),
    /// Combine the run directories of `run --shard` into one report set.
    Merge(MergeArgs),
    /// Score existing transcripts and findings into a report set (no transcribing).
    Score(ScoreArgs),
    /// Print per-agent scorecards from a report set.
    Scorecard(ScorecardArgs),
    /// List coaching examples from a report set, optionally with audio clips.
    Examples(ExamplesArgs),
    /// Compare a report set's findings with hand-written labels: precision and recall.
    Eval(EvalArgs),
    /// (Re)build the HTML report of a report set: overview, agents, calls with audio, rules, search.
    Html(HtmlArgs),
}

#[derive(clap::Args)]
struct HtmlArgs {
    /// A report set, or a run directory holding reports/.
    #[arg(long)]
    reports: PathBuf,
    /// Where the pages go [default: the report set's html/ folder].
    #[arg(long)]
    out: Option<PathBuf>,
    /// Site settings file [default: ./callqa.toml when present].
    #[arg(long)]
    config: Option<PathBuf>,
    /// Call audio: link, copy or none [default: link, or `[reports] html_audio`].
    #[arg(long)]
    html_audio: Option<callqa::report::html::AudioMode>,
    /// Mask phone, ID and card numbers in the pages.
    #[arg(long)]
    redact: bool,
}

/// Settings shared by the commands that score; each overrides `callqa.toml`.
#[derive(clap::Args)]
struct SiteArgs {
    /// Site settings file [default: ./callqa.toml when present].
    #[arg(long)]
    config: Option<PathBuf>,
    /// Rubric file [default: the built-in rules/rubric.toml].
    #[arg(long)]
    rubric: Option<PathBuf>,
    /// Review verdicts (finding_id,verdict,reviewer,note) [default: reviews.csv in the output folder].
    #[arg(long)]
    reviews: Option<PathBuf>,
    /// IANA time zone that periods are cut in [default: Asia/Shanghai].
    #[arg(long)]
    timezone: Option<String>,
    /// Mask phone, ID and bank-card numbers in report texts.
    #[arg(long)]
    redact: bool,
    /// Start CSV files with a UTF-8 byte-order mark, for Excel [default: true, or callqa.toml's
    /// csv_bom]; --csv-bom=false leaves it out.
    #[arg(long, value_name = "true|false", num_args = 0..=1, default_missing_value = "true", action = clap::ArgAction::Set)]
    csv_bom: Option<bool>,
    /// The HTML report's call audio: link (to the recordings), copy (16 kHz WAV next to the
    /// pages, so the folder can be moved) or none [default: link].
    #[arg(long)]
    html_audio: Option<callqa::report::html::AudioMode>,
    /// Mask phone, ID and card numbers in the HTML report even when the tables are not masked.
    #[arg(long)]
    html_redact: bool,
    /// Do not write the HTML report (reports/html/).
    #[arg(long)]
    no_html: bool,
}

impl SiteArgs {
    fn config(&self) -> Result<Config, String> {
        let mut c = Config::discover(self.config.as_deref())?;
        if let Some(r) = &self.rubric {
            c.rubric = Some(r.clone());
        }
        if let Some(r) = &self.reviews {
            c.scoring.reviews = Some(r.clone());
        }
        if let Some(t) = &self.timezone {
            c.timezone = t.clone();
            c.time_zone()?;
        }
        c.reports.redact |= self.redact;
        if let Some(bom) = self.csv_bom {
            c.reports.csv_bom = bom;
        }
        c.reports.html_redact |= self.html_redact;
        c.reports.html &= !self.no_html;
        if let Some(a) = self.html_audio {
            c.reports.html_audio = a;
        }
        Ok(c)
    }
}

#[derive(clap::Args)]
#[command(group = clap::ArgGroup::new("source").required(true).args(["input", "manifest"]))]
struct RunArgs {
    /// A folder of recordings (searched recursively for *.wav); metadata from their names.
    #[arg(long)]
    input: Option<PathBuf>,
    /// A manifest CSV: call_id,path,agent_id,agent_name,team,started_at,direction,layout.
    #[arg(long)]
    manifest: Option<PathBuf>,
    /// The run directory: work files, reports/ and run.json.
    #[arg(long)]
    out: PathBuf,
    /// Rule pack directory [default: the built-in zh-cn pack].
    #[arg(long)]
    rules: Option<PathBuf>,
    /// whisper.cpp model file [default: models/ggml-base.bin].
    #[arg(long, env = "CALLQA_MODEL")]
    model: Option<PathBuf>,
    /// Calls decoded at once [default: one per core].
    #[arg(long)]
    jobs: Option<usize>,
    /// Decoder threads per call [default: 1].
    #[arg(long)]
    threads: Option<usize>,
    /// Process only shard INDEX of COUNT (e.g. 0/4), into OUT/shard-INDEX-of-COUNT.
    #[arg(long)]
    shard: Option<callqa::batch::Shard>,
    /// Which stereo channel is the agent, unless the manifest says: agent-left or agent-right.
    #[arg(long)]
    layout: Option<Layout>,
    /// Longest recording accepted, in minutes [default: 240]; a longer one is an errors row.
    #[arg(long)]
    max_call_minutes: Option<u64>,
    /// Take over the run folder's lock even when another host holds it: for a scheduler's
    /// re-run of a task whose first node died (the lock names that node).
    #[arg(long)]
    take_over_lock: bool,
    #[command(flatten)]
    names: NameArgs,
    #[command(flatten)]
    site: SiteArgs,
}

/// How recordings' names give call metadata, for the commands that read names.
#[derive(clap::Args)]
struct NameArgs {
    /// File-name pattern giving call metadata [default: {agent_id}_{yyyymmdd-HHMMSS}_{call_id}.wav].
    #[arg(long)]
    pattern: Option<String>,
}

impl NameArgs {
    fn apply(&self, c: &mut Config) -> Result<(), String> {
        if let Some(p) = &self.pattern {
            callqa::batch::pattern::Pattern::parse(p)?;
            c.pattern = p.clone();
        }
        Ok(())
    }
}

#[derive(clap::Args)]
struct MergeArgs {
    /// Shard run directories, or the folder holding them.
    #[arg(required = true)]
    partitions: Vec<PathBuf>,
    /// Where the merged report set goes (OUT/reports).
    #[arg(long)]
    out: PathBuf,
    #[command(flatten)]
    site: SiteArgs,
}

#[derive(clap::Args)]
struct ScoreArgs {
    /// Transcripts folder (from `callqa transcribe`).
    #[arg(long)]
    transcripts: PathBuf,
    /// Findings folder (from `callqa scan`).
    #[arg(long)]
    findings: PathBuf,
    /// Manifest CSV giving agent, team and start time; without it they come from the
    /// recordings' names.
    #[arg(long)]
    manifest: Option<PathBuf>,
    /// The folder the report set goes into (OUT/reports), and where reviews.csv is looked for.
    #[arg(long)]
    out: PathBuf,
    #[command(flatten)]
    names: NameArgs,
    #[command(flatten)]
    site: SiteArgs,
}

#[derive(clap::Args)]
struct ScorecardArgs {
    /// A report set, or a run directory holding reports/.
    #[arg(long)]
    reports: PathBuf,
    /// An agent id or name, in any case; an unknown one is an error listing the agents.
    #[arg(long)]
    agent: Option<String>,
    /// A team, in any case; an unknown one is an error listing the teams.
    #[arg(long)]
    team: Option<String>,
    /// 2026-11 (month), 2026-W45 (ISO week) or 2026-11-02 (day) [default: every pay period (month)].
    #[arg(long)]
    period: Option<String>,
    /// Worst findings listed per scorecard.
    #[arg(long, default_value_t = 3)]
    worst: usize,
}

#[derive(clap::Args)]
#[command(group = clap::ArgGroup::new("topic").required(true).args(["rule", "category"]))]
struct ExamplesArgs {
    /// A report set, or a run directory holding reports/.
    #[arg(long)]
    reports: PathBuf,
    /// A rule id with findings in the report set (an unknown one is an error listing them).
    #[arg(long)]
    rule: Option<String>,
    /// greeting, closing, politeness, forbidden, confirmation, silence, overtalk, speech_rate,
    /// language, hangup, or a pack's own (an unknown one is an error listing them).
    #[arg(long)]
    category: Option<String>,
    /// An agent id or name, in any case.
    #[arg(long)]
    agent: Option<String>,
    #[arg(long, default_value_t = 10)]
    limit: usize,
    /// Write each example's audio (±2 s) as a WAV clip into this folder.
    #[arg(long)]
    clips: Option<PathBuf>,
    /// Calls done well (no finding of the rule or category) instead of findings.
    #[arg(long)]
    good: bool,
    /// Show phone, ID and card numbers unmasked (redaction is on by default here).
    #[arg(long)]
    no_redact: bool,
}

#[derive(clap::Args)]
struct EvalArgs {
    /// Labels CSV: call_id,category,kind,start_ms,phrase,note.
    #[arg(long)]
    labels: PathBuf,
    /// A report set, or a run directory holding reports/.
    #[arg(long)]
    reports: PathBuf,
    /// How far a finding's start may be from a label's time and still match it.
    #[arg(long, default_value_t = 3000)]
    tolerance_ms: u64,
}

#[derive(Subcommand)]
enum RulesCommand {
    /// Validate a rule pack and the scoring rubrics beside it; report every problem with file and line.
    Check {
        /// The pack directory.
        #[arg(default_value = "rules/zh-cn")]
        dir: PathBuf,
        /// A rubric file to check instead of the rubric.toml / rubric-*.toml in the pack's parent directory.
        #[arg(long)]
        rubric: Vec<PathBuf>,
    },
}

#[derive(clap::Args)]
struct ScanArgs {
    /// Transcript files, or directories whose *.json transcripts are taken.
    #[arg(required = true)]
    inputs: Vec<PathBuf>,
    /// The rule pack directory [default: callqa.toml's rules, else the built-in zh-cn pack].
    #[arg(long)]
    rules: Option<PathBuf>,
    /// Directory for the findings (<call id>.findings.json); created if missing.
    #[arg(long)]
    out: PathBuf,
    /// Calls scanned at once [default: one per core].
    #[arg(long)]
    jobs: Option<usize>,
    /// Site settings file [default: ./callqa.toml when present].
    #[arg(long)]
    config: Option<PathBuf>,
}

#[derive(clap::Args)]
struct TranscribeArgs {
    /// WAV files, or directories whose *.wav files are taken.
    #[arg(required = true)]
    inputs: Vec<PathBuf>,
    /// Directory for the transcripts (<call id>.json); created if missing.
    #[arg(long)]
    out: PathBuf,
    /// A whisper.cpp ggml model file [default: models/ggml-base.bin next to callqa.toml, here,
    /// or in the repository callqa was built in].
    #[arg(long, env = "CALLQA_MODEL")]
    model: Option<PathBuf>,
    /// Spoken language (a Whisper code such as zh), or `auto` [default: zh].
    #[arg(long)]
    language: Option<String>,
    /// Which stereo channel is the agent: agent-left or agent-right [default: callqa.toml's
    /// layout; without one, stereo recordings fail].
    #[arg(long)]
    layout: Option<Layout>,
    /// How speech is laid into Whisper's 30 s windows: `call` (both channels share windows)
    /// or `channel` (each channel fills its own).
    #[arg(long, default_value = "call")]
    packing: callqa::asr::Packing,
    /// Calls decoded at once [default: one per core].
    #[arg(long)]
    jobs: Option<usize>,
    /// Threads per call being decoded [default: 1]; jobs × threads should not exceed the cores.
    #[arg(long)]
    threads: Option<usize>,
    /// Longest recording accepted, in minutes [default: 240]; a longer one fails alone, unread.
    #[arg(long)]
    max_call_minutes: Option<u64>,
    /// Site settings file [default: ./callqa.toml when present].
    #[arg(long)]
    config: Option<PathBuf>,
}

#[derive(Subcommand)]
enum ModelCommand {
    /// Convert a CTranslate2 (faster-whisper) Whisper model directory to a whisper.cpp ggml file.
    Import {
        /// Directory holding model.bin, config.json and tokenizer.json.
        ct2_dir: PathBuf,
        /// The ggml file to write.
        #[arg(long)]
        out: PathBuf,
    },
    /// Quantize a ggml Whisper model (smaller and faster on CPU).
    Quantize {
        /// The ggml model to read.
        input: PathBuf,
        /// The quantized model to write.
        #[arg(long)]
        out: PathBuf,
        /// q8_0 (close to f16) or q5_0 (smaller, less accurate).
        #[arg(long = "type")]
        kind: callqa::model::QuantType,
    },
}

fn default_threads() -> usize {
    std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1)
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Transcribe(args) => run_transcribe(args),
        Command::Model(ModelCommand::Import { ct2_dir, out }) => match callqa::model::import_ct2(&ct2_dir, &out) {
            Ok(report) => {
                println!("{report}");
                ExitCode::SUCCESS
            }
            Err(e) => fail(e),
        },
        Command::Model(ModelCommand::Quantize { input, out, kind }) => match callqa::model::quantize(&input, &out, kind) {
            Ok(report) => {
                println!("{report}");
                ExitCode::SUCCESS
            }
            Err(e) => fail(e),
        },
        Command::Rules(RulesCommand::Check { dir, rubric }) => run_rules_check(&dir, &rubric),
        Command::Scan(args) => run_scan(args),
        Command::Run(args) => run_run(args),
        Command::Merge(args) => run_merge(args),
        Command::Score(args) => run_score(args),
        Command::Scorecard(args) => run_scorecard(args),
        Command::Examples(args) => run_examples(args),
        Command::Eval(args) => run_eval(args),
        Command::Html(args) => run_html(args),
    }
}

fn print_html(h: &callqa::report::html::HtmlSummary) {
    for m in &h.audio_missing {
        eprintln!("html: no audio for {m}");
    }
    eprintln!("HTML report: {} ({} pages); open it in a browser", h.dir.join("index.html").display(), h.pages);
}

fn run_html(args: HtmlArgs) -> ExitCode {
    let config = match Config::discover(args.config.as_deref()) {
        Ok(c) => c,
        Err(e) => return fail(e),
    };
    // The set is checked against report.json once, in `read`; locating it is cheap.
    let dir = match callqa::report::locate(&args.reports) {
        Ok(d) => d,
        Err(e) => return fail(e),
    };
    let (meta, tables) = match read_reports(&dir) {
        Ok(r) => r,
        Err(code) => return code,
    };
    let opts = callqa::report::html::HtmlOptions {
        audio: args.html_audio.unwrap_or(config.reports.html_audio),
        redact: args.redact || config.reports.html_redact,
    };
    let out = args.out.unwrap_or_else(|| dir.join("html"));
    match callqa::report::html::write(&out, &meta, &tables, opts) {
        Ok(h) => {
            print_html(&h);
            ExitCode::SUCCESS
        }
        Err(e) => fail(e),
    }
}

fn run_run(args: RunArgs) -> ExitCode {
    let mut config = match args.site.config().and_then(|mut c| args.names.apply(&mut c).map(|()| c)) {
        Ok(c) => c,
        Err(e) => return fail(e),
    };
    if let Some(r) = args.rules {
        config.rules = Some(r);
    }
    if let Some(m) = args.model {
        config.model = Some(m);
    }
    if let Some(l) = args.layout {
        config.layout = Some(l);
    }
    config.jobs = args.jobs.or(config.jobs);
    config.threads = args.threads.or(config.threads);
    config.max_call_minutes = args.max_call_minutes.unwrap_or(config.max_call_minutes);
    let source = match (args.input, args.manifest) {
        (Some(d), _) => Source::Directory(d),
        (None, Some(m)) => Source::Manifest(m),
        (None, None) => return fail("give --input DIR or --manifest FILE"),
    };
    let spec = RunSpec { source, out: args.out, shard: args.shard, config, take_over_lock: args.take_over_lock };
    let progress = callqa::batch::progress::for_stderr();
    match callqa::batch::run(&spec, progress.as_ref()) {
        Ok(summary) => {
            eprintln!("{summary}");
            if summary.failed > 0 {
                eprintln!("callqa: {} recording(s) failed; see {}", summary.failed, summary.reports.join("errors.csv").display());
            }
            if !summary.unapplied.is_empty() {
                eprintln!("callqa: {} row(s) of reviews, adjustments, bonuses or staff were not applied; see {}", summary.unapplied.len(), summary.reports.join("errors.csv").display());
            }
            if summary.failed > 0 || !summary.unapplied.is_empty() { ExitCode::from(1) } else { ExitCode::SUCCESS }
        }
        Err(e) => fail(e),
    }
}

/// Writes a report set for `partitions` and says how it went; exit 1 when calls failed.
fn report_partitions(partitions: &[callqa::batch::Partition], config: &Config, out: &std::path::Path, reports: &std::path::Path) -> ExitCode {
    let _lock = match callqa::batch::lock::RunLock::acquire(out) {
        Ok(l) => l,
        Err(e) => return fail(e),
    };
    let inputs = match callqa::batch::scoring_inputs(config, out) {
        Ok(i) => i,
        Err(e) => return fail(e),
    };
    match callqa::batch::write_reports(partitions, config, &inputs, reports) {
        Ok(callqa::batch::Written { meta, unapplied, html }) => {
            for u in &unapplied {
                eprintln!("not applied: {u}");
            }
            if let Some(h) = &html {
                print_html(h);
            }
            let count = |name: &str| meta.files.iter().find(|f| f.name == format!("{name}.parquet")).map_or(0, |f| f.rows);
            eprintln!(
                "{} calls scored, {} findings, {} scorecards, {} errors; run {}; reports in {}",
                count("calls"),
                count("findings"),
                count("scorecards"),
                count("errors"),
                meta.run_id,
                reports.display()
            );
            if count("errors") > 0 { ExitCode::from(1) } else { ExitCode::SUCCESS }
        }
        Err(e) => fail(e),
    }
}

fn run_merge(args: MergeArgs) -> ExitCode {
    let config = match args.site.config() {
        Ok(c) => c,
        Err(e) => return fail(e),
    };
    let parts = match callqa::batch::find_partitions(&args.partitions) {
        Ok(p) => p,
        Err(e) => return fail(e),
    };
    report_partitions(&parts, &config, &args.out, &args.out.join("reports"))
}

fn run_score(args: ScoreArgs) -> ExitCode {
    let config = match args.site.config().and_then(|mut c| args.names.apply(&mut c).map(|()| c)) {
        Ok(c) => c,
        Err(e) => return fail(e),
    };
    let part = match callqa::batch::partition_from_dirs(&args.transcripts, &args.findings, args.manifest.as_deref(), &config) {
        Ok(p) => p,
        Err(e) => return fail(e),
    };
    report_partitions(std::slice::from_ref(&part), &config, &args.out, &args.out.join("reports"))
}

fn read_reports(dir: &std::path::Path) -> Result<(callqa::report::ReportMeta, callqa::report::Tables), ExitCode> {
    callqa::report::read(dir).map_err(fail)
}

fn run_scorecard(args: ScorecardArgs) -> ExitCode {
    let (meta, tables) = match read_reports(&args.reports) {
        Ok(r) => r,
        Err(code) => return code,
    };
    let filter = callqa::report::view::ScorecardFilter { agent: args.agent, team: args.team, period: args.period, worst: args.worst };
    match callqa::report::view::render(&meta, &tables, &filter) {
        Ok(text) => {
            print!("{}", callqa::report::view::printable(&text));
            ExitCode::SUCCESS
        }
        Err(e) => fail(callqa::report::view::printable(&e)),
    }
}

fn run_examples(args: ExamplesArgs) -> ExitCode {
    use callqa::report::examples;
    let (_, tables) = match read_reports(&args.reports) {
        Ok(r) => r,
        Err(code) => return code,
    };
    let filter = examples::ExampleFilter {
        rule: args.rule,
        category: args.category,
        agent: args.agent,
        limit: args.limit,
        good: args.good,
        redact: !args.no_redact,
    };
    let found = match examples::select(&tables, &filter) {
        Ok(f) => f,
        Err(e) => return fail(e),
    };
    let mut failed = 0;
    let clips: Vec<Option<PathBuf>> = found
        .iter()
        .map(|e| {
            let dir = args.clips.as_ref()?;
            match examples::write_clip(e, dir) {
                Ok(p) => Some(p),
                Err(err) => {
                    eprintln!("callqa: no clip for {} ({}): {err}", e.call_id, e.label);
                    failed += 1;
                    None
                }
            }
        })
        .collect();
    print!("{}", callqa::report::view::printable(&examples::render(&found, &clips)));
    if failed > 0 { ExitCode::from(1) } else { ExitCode::SUCCESS }
}

fn run_eval(args: EvalArgs) -> ExitCode {
    let (_, tables) = match read_reports(&args.reports) {
        Ok(r) => r,
        Err(code) => return code,
    };
    match callqa::eval::evaluate_reports(&args.labels, &tables, args.tolerance_ms) {
        Ok(report) => {
            print!("{report}");
            ExitCode::SUCCESS
        }
        Err(e) => fail(e),
    }
}

/// Loads a pack, printing each problem; `None` when there were any.
fn load_pack(dir: &std::path::Path) -> Option<callqa::rules::Pack> {
    match callqa::rules::load_pack(dir) {
        Ok(p) => Some(p),
        Err(problems) => {
            for p in &problems {
                eprintln!("{p}");
            }
            eprintln!("callqa: {} problem(s) in the rule pack {}", problems.len(), dir.display());
            None
        }
    }
}

fn run_rules_check(dir: &std::path::Path, rubrics: &[PathBuf]) -> ExitCode {
    let mut ok = match load_pack(dir) {
        Some(pack) => match callqa::scan::Scanner::new(pack.clone()) {
            // A pack the scanner cannot compile (e.g. too many distinct characters) is not ok.
            Err(e) => {
                eprintln!("{}: {e}", dir.display());
                false
            }
            Ok(_) => {
                let warnings = pack.shared_phrases();
                for w in &warnings {
                    eprintln!("{w}");
                }
                let note = if warnings.is_empty() { String::new() } else { format!(" ({} warning(s))", warnings.len()) };
                println!("{}: pack {} version {}, {} rules, ok{note}", dir.display(), pack.name(), pack.version(), pack.rules().len());
                true
            }
        },
        None => false,
    };
    let rubrics = if rubrics.is_empty() { callqa::score::rubrics_beside(dir) } else { rubrics.to_vec() };
    for path in &rubrics {
        match callqa::score::Rubric::load(path) {
            Ok(r) => println!("{}: rubric {} version {}, ok", path.display(), r.name, r.version()),
            Err(problems) => {
                for p in &problems {
                    eprintln!("{p}");
                }
                eprintln!("callqa: {} problem(s) in the rubric {}", problems.len(), path.display());
                ok = false;
            }
        }
    }
    // An invalid pack or rubric is bad configuration, exit 2, as under every other command.
    if ok { ExitCode::SUCCESS } else { ExitCode::from(2) }
}

fn run_scan(args: ScanArgs) -> ExitCode {
    let mut config = match Config::discover(args.config.as_deref()) {
        Ok(c) => c,
        Err(e) => return fail(e),
    };
    config.rules = args.rules.or(config.rules);
    // The pack `run` would use (the one named, else the built-in one), through run's own
    // loader; the copy of it that a run keeps goes to a temporary folder here.
    let kept = match tempfile::tempdir() {
        Ok(d) => d,
        Err(e) => return fail(format!("a temporary folder for the rule pack: {e}")),
    };
    let scanner = match callqa::batch::load_rules(&config, kept.path()) {
        Ok(s) => s,
        Err(e) => return fail(e),
    };
    let jobs = args.jobs.or(config.jobs).unwrap_or_else(default_threads);
    let files = match callqa::scan::collect_transcripts(&args.inputs) {
        Ok(f) => f,
        Err(e) => return fail(e),
    };
    if let Err(e) = std::fs::create_dir_all(&args.out) {
        return fail(format!("{}: {e}", args.out.display()));
    }
    let started = Instant::now();
    let outcomes = callqa::scan::scan_files(&scanner, &files, &args.out, jobs, &|o| {
        if let callqa::scan::ScanOutcome::Failed { error, .. } = o {
            eprintln!("FAILED {error}");
        }
    });
    let failed = outcomes.iter().filter(|o| matches!(o, callqa::scan::ScanOutcome::Failed { .. })).count();
    let findings: usize = outcomes
        .iter()
        .map(|o| match o {
            callqa::scan::ScanOutcome::Done { findings, .. } => *findings,
            _ => 0,
        })
        .sum();
    eprintln!(
        "{} calls: {} scanned, {failed} failed; {findings} findings with pack {} {} in {:.2} s; findings in {}",
        outcomes.len(),
        outcomes.len() - failed,
        scanner.pack().name(),
        scanner.pack().version(),
        started.elapsed().as_secs_f64(),
        args.out.display()
    );
    if failed > 0 { ExitCode::from(1) } else { ExitCode::SUCCESS }
}

fn fail(e: impl std::fmt::Display) -> ExitCode {
    eprintln!("callqa: {e}");
    ExitCode::from(2)
}

fn run_transcribe(args: TranscribeArgs) -> ExitCode {
    let mut config = match Config::discover(args.config.as_deref()) {
        Ok(c) => c,
        Err(e) => return fail(e),
    };
    config.model = args.model.or(config.model);
    config.language = args.language.unwrap_or(config.language);
    config.layout = args.layout.or(config.layout);
    config.jobs = args.jobs.or(config.jobs);
    config.threads = args.threads.or(config.threads);
    config.max_call_minutes = args.max_call_minutes.unwrap_or(config.max_call_minutes);
    let (jobs, threads) = config.parallelism();
    let mut calls = match transcribe::collect_inputs(&args.inputs) {
        Ok(c) => c,
        Err(e) => return fail(e),
    };
    for c in &mut calls {
        c.layout = config.layout;
    }
    let params = DecodeParams { language: config.language.clone(), packing: args.packing, ..DecodeParams::default() };
    let engine = match config.model_path().and_then(|m| WhisperEngine::load(&m, threads).map_err(|e| e.to_string())) {
        Ok(e) => e,
        Err(e) => return fail(e),
    };
    if let Err(e) = std::fs::create_dir_all(&args.out) {
        return fail(format!("{}: {e}", args.out.display()));
    }
    let started = Instant::now();
    let total = calls.len();
    let finished = AtomicUsize::new(0);
    let outcomes = transcribe::transcribe_calls(&engine, &calls, &params, &config.audio_limits(), &args.out, jobs, &|o| {
        let n = finished.fetch_add(1, Ordering::Relaxed) + 1;
        match o {
            Outcome::Done { call_id, audio_ms, wall_ms, .. } => eprintln!(
                "[{n}/{total}] {call_id}: {:.1} s of audio in {:.1} s",
                *audio_ms as f64 / 1000.0,
                *wall_ms as f64 / 1000.0
            ),
            Outcome::Cached { call_id, .. } => eprintln!("[{n}/{total}] {call_id}: up to date"),
            Outcome::Failed { error, .. } => eprintln!("[{n}/{total}] FAILED {error}"),
        }
    });
    let failed = outcomes.iter().filter(|o| matches!(o, Outcome::Failed { .. })).count();
    let audio_ms: u64 = outcomes
        .iter()
        .map(|o| match o {
            Outcome::Done { audio_ms, .. } => *audio_ms,
            _ => 0,
        })
        .sum();
    let wall = started.elapsed().as_secs_f64();
    eprintln!(
        "{} calls: {} transcribed, {} up to date, {failed} failed; {:.1} s of audio in {wall:.1} s ({:.1}× real time); transcripts in {}",
        total,
        outcomes.iter().filter(|o| matches!(o, Outcome::Done { .. })).count(),
        outcomes.iter().filter(|o| matches!(o, Outcome::Cached { .. })).count(),
        audio_ms as f64 / 1000.0,
        if wall > 0.0 { audio_ms as f64 / 1000.0 / wall } else { 0.0 },
        args.out.display()
    );
    if failed > 0 { ExitCode::from(1) } else { ExitCode::SUCCESS }
}
