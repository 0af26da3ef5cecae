//! The `callqa` command line: parse, call the library, map outcomes to exit codes
//! (0 all calls succeeded, 1 some calls failed, 2 bad usage or configuration).

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use clap::{Parser, Subcommand};

use callqa::asr::whisper::WhisperEngine;
use callqa::batch::{RunSpec, Source};
use callqa::config::{Config, Overrides};
use callqa::shared::{Exit, Layout};
use callqa::transcribe;
use callqa::transcript::DecodeParams;

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
    /// The command line's part of the settings; [`Config::with`] layers it over callqa.toml.
    fn overrides(&self) -> Overrides {
        Overrides {
            config: self.config.clone(),
            rubric: self.rubric.clone(),
            reviews: self.reviews.clone(),
            timezone: self.timezone.clone(),
            redact: self.redact,
            csv_bom: self.csv_bom,
            html_redact: self.html_redact,
            no_html: self.no_html,
            html_audio: self.html_audio,
            ..Overrides::default()
        }
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
    /// Process only shard INDEX of COUNT (e.g. 0/4), into OUT/shard-INDEX-of-COUNT.
    #[arg(long)]
    shard: Option<callqa::batch::Shard>,
    /// Take over the run folder's lock even when another host holds it: for a scheduler's
    /// re-run of a task whose first node died (the lock names that node).
    #[arg(long)]
    take_over_lock: bool,
    #[command(flatten)]
    decode: DecodeArgs,
    #[command(flatten)]
    names: NameArgs,
    #[command(flatten)]
    site: SiteArgs,
}

/// How recordings are transcribed, for the commands that transcribe (`run`, `transcribe`);
/// each overrides `callqa.toml`.
#[derive(clap::Args)]
struct DecodeArgs {
    /// A whisper.cpp ggml model file [default: models/ggml-base-q8_0.bin next to callqa.toml, here,
    /// or in the repository callqa was built in].
    #[arg(long, env = "CALLQA_MODEL")]
    model: Option<PathBuf>,
    /// Which stereo channel is the agent, where the manifest, the file name and the folder do
    /// not say: agent-left or agent-right [default: callqa.toml's layout; without one, such a
    /// stereo recording fails].
    #[arg(long)]
    layout: Option<Layout>,
    /// Calls decoded at once [default: one per core].
    #[arg(long)]
    jobs: Option<usize>,
    /// Decoder threads per call [default: 1]; jobs × threads should not exceed the cores.
    #[arg(long)]
    threads: Option<usize>,
    /// Longest recording accepted, in minutes [default: 240]; a longer one fails alone, unread.
    #[arg(long)]
    max_call_minutes: Option<u64>,
    /// Beam search width: 1 decodes greedily [default: 1, or callqa.toml's beam].
    #[arg(long)]
    beam: Option<u32>,
    /// Text given to Whisper before each window (neutral wording, never a rule's phrase).
    #[arg(long)]
    prompt: Option<String>,
    /// Decode on the GPU (needs a build with `--features cuda`).
    #[arg(long)]
    gpu: bool,
}

impl DecodeArgs {
    /// These flags over `o`.
    fn over(self, o: Overrides) -> Overrides {
        Overrides {
            model: self.model,
            layout: self.layout,
            jobs: self.jobs,
            threads: self.threads,
            max_call_minutes: self.max_call_minutes,
            beam: self.beam,
            prompt: self.prompt,
            gpu: self.gpu,
            ..o
        }
    }
}

/// How recordings' names give call metadata, for the commands that read names.
#[derive(clap::Args)]
struct NameArgs {
    /// File-name pattern giving call metadata [default: {agent_id}_{yyyymmdd-HHMMSS}_{call_id}.wav].
    #[arg(long)]
    pattern: Option<String>,
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
    /// Spoken language (a Whisper code such as zh), or `auto` [default: zh].
    #[arg(long)]
    language: Option<String>,
    /// How speech is laid into Whisper's 30 s windows: `call` (both channels share windows)
    /// or `channel` (each channel fills its own).
    #[arg(long, default_value = "call")]
    packing: callqa::asr::Packing,
    /// Site settings file [default: ./callqa.toml when present].
    #[arg(long)]
    config: Option<PathBuf>,
    #[command(flatten)]
    decode: DecodeArgs,
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
    /// Describe a ggml Whisper model: size, languages, mel bins, quantisation, SHA-256.
    Info {
        /// The ggml model file.
        path: PathBuf,
    },
    /// Quantize a ggml Whisper model (smaller and faster on CPU).
    Quantize {
        /// The ggml model to read.
        input: PathBuf,
        /// The quantized model to write.
        #[arg(long)]
        out: PathBuf,
        /// q8_0 (close to f16, the fastest on CPU), q5_0 or q4_0 (smaller, less accurate).
        #[arg(long = "type")]
        kind: callqa::model::QuantType,
    },
}

fn main() -> ExitCode {
    let outcome = match Cli::parse().command {
        Command::Transcribe(args) => transcribe(args),
        Command::Model(ModelCommand::Import { ct2_dir, out }) => callqa::model::import_ct2(&ct2_dir, &out).map(|r| done(r.to_string())).map_err(|e| e.to_string()),
        Command::Model(ModelCommand::Quantize { input, out, kind }) => {
            callqa::model::quantize(&input, &out, kind).map(|r| done(r.to_string())).map_err(|e| e.to_string())
        }
        Command::Model(ModelCommand::Info { path }) => callqa::model::info(&path).map(|i| done(i.to_string())).map_err(|e| e.to_string()),
        Command::Rules(RulesCommand::Check { dir, rubric }) => rules_check(&dir, &rubric),
        Command::Scan(args) => scan(args),
        Command::Run(args) => run(args),
        Command::Merge(args) => merge(args),
        Command::Score(args) => score(args),
        Command::Scorecard(args) => scorecard(args),
        Command::Examples(args) => examples(args),
        Command::Eval(args) => eval(args),
        Command::Html(args) => html(args),
    };
    // The one place outcomes become exit codes: an error is bad usage or configuration,
    // found before any work (2); otherwise the command's own verdict (0 or 1).
    let exit = outcome.unwrap_or_else(|e| {
        eprintln!("callqa: {e}");
        Exit::Refused
    });
    ExitCode::from(exit.code())
}

/// Prints a command's result on standard output; it succeeded.
fn done(text: String) -> Exit {
    println!("{text}");
    Exit::Success
}

fn html(args: HtmlArgs) -> Result<Exit, String> {
    let o = Overrides { config: args.config, html_audio: args.html_audio, html_redact: args.redact, ..Overrides::default() };
    let config = Config::with(&o)?;
    // The set is checked against report.json once, in `read`; locating it is cheap.
    let dir = callqa::report::locate(&args.reports).map_err(|e| e.to_string())?;
    let (meta, tables) = callqa::report::read(&dir).map_err(|e| e.to_string())?;
    let opts = callqa::report::html::HtmlOptions { audio: config.reports.html_audio, redact: config.reports.html_redact };
    let out = args.out.unwrap_or_else(|| dir.join("html"));
    let h = callqa::report::html::write(&out, &meta, &tables, opts).map_err(|e| e.to_string())?;
    eprintln!("{h}");
    Ok(Exit::Success)
}

fn run(args: RunArgs) -> Result<Exit, String> {
    let o = args.decode.over(Overrides { rules: args.rules, pattern: args.names.pattern, ..args.site.overrides() });
    let config = Config::with(&o)?;
    let source = match (args.input, args.manifest) {
        (Some(d), _) => Source::Directory(d),
        (None, Some(m)) => Source::Manifest(m),
        (None, None) => return Err("give --input DIR or --manifest FILE".into()),
    };
    let spec = RunSpec { source, out: args.out, shard: args.shard, config, take_over_lock: args.take_over_lock };
    let progress = callqa::batch::progress::for_stderr();
    let summary = callqa::batch::run(&spec, progress.as_ref()).map_err(|e| e.to_string())?;
    eprintln!("{summary}");
    let errors = summary.reports.join("errors.csv");
    if summary.failed > 0 {
        eprintln!("callqa: {} recording(s) failed; see {}", summary.failed, errors.display());
    }
    if !summary.unapplied.is_empty() {
        eprintln!("callqa: {} row(s) of reviews, adjustments, bonuses or staff were not applied; see {}", summary.unapplied.len(), errors.display());
    }
    Ok(summary.exit())
}

/// Writes a report set for `partitions` into `out/reports` and says how it went.
fn report_partitions(partitions: &[callqa::batch::Partition], config: &Config, out: &std::path::Path) -> Result<Exit, String> {
    let _lock = callqa::batch::lock::RunLock::acquire(out).map_err(|e| e.to_string())?;
    let inputs = callqa::batch::scoring_inputs(config, out).map_err(|e| e.to_string())?;
    let reports = out.join("reports");
    let written = callqa::batch::write_reports(partitions, config, &inputs, &reports).map_err(|e| e.to_string())?;
    if let Some(h) = &written.html {
        eprintln!("{h}");
    }
    eprintln!("{written}; reports in {}", reports.display());
    Ok(written.exit())
}

fn merge(args: MergeArgs) -> Result<Exit, String> {
    let config = Config::with(&args.site.overrides())?;
    let parts = callqa::batch::find_partitions(&args.partitions).map_err(|e| e.to_string())?;
    report_partitions(&parts, &config, &args.out)
}

fn score(args: ScoreArgs) -> Result<Exit, String> {
    let config = Config::with(&Overrides { pattern: args.names.pattern, ..args.site.overrides() })?;
    let part = callqa::batch::partition_from_dirs(&args.transcripts, &args.findings, args.manifest.as_deref(), &config).map_err(|e| e.to_string())?;
    report_partitions(std::slice::from_ref(&part), &config, &args.out)
}

fn scorecard(args: ScorecardArgs) -> Result<Exit, String> {
    let (meta, tables) = callqa::report::read(&args.reports).map_err(|e| e.to_string())?;
    let filter = callqa::report::view::ScorecardFilter { agent: args.agent, team: args.team, period: args.period, worst: args.worst };
    let text = callqa::report::view::render(&meta, &tables, &filter).map_err(|e| callqa::report::view::printable(&e))?;
    print!("{}", callqa::report::view::printable(&text));
    Ok(Exit::Success)
}

fn examples(args: ExamplesArgs) -> Result<Exit, String> {
    use callqa::report::examples;
    let (_, tables) = callqa::report::read(&args.reports).map_err(|e| e.to_string())?;
    let filter = examples::ExampleFilter {
        rule: args.rule,
        category: args.category,
        agent: args.agent,
        limit: args.limit,
        good: args.good,
        redact: !args.no_redact,
    };
    let found = examples::select(&tables, &filter)?;
    let mut failed = 0;
    let clips: Vec<Option<PathBuf>> = found
        .iter()
        .map(|e| {
            let dir = args.clips.as_ref()?;
            examples::write_clip(e, dir)
                .inspect_err(|err| {
                    eprintln!("callqa: no clip for {} ({}): {err}", e.call_id, e.label);
                    failed += 1;
                })
                .ok()
        })
        .collect();
    print!("{}", callqa::report::view::printable(&examples::render(&found, &clips)));
    Ok(Exit::from_failures(failed))
}

fn eval(args: EvalArgs) -> Result<Exit, String> {
    let (_, tables) = callqa::report::read(&args.reports).map_err(|e| e.to_string())?;
    let report = callqa::eval::evaluate_reports(&args.labels, &tables, args.tolerance_ms).map_err(|e| e.to_string())?;
    print!("{report}");
    Ok(Exit::Success)
}

/// Checks a pack and the rubrics beside it (or those named), printing every problem with
/// file and line; any problem is bad configuration.
fn rules_check(dir: &std::path::Path, rubrics: &[PathBuf]) -> Result<Exit, String> {
    let mut problems = 0;
    match callqa::rules::load_pack(dir) {
        Err(ps) => {
            for p in &ps {
                eprintln!("{p}");
            }
            eprintln!("callqa: {} problem(s) in the rule pack {}", ps.len(), dir.display());
            problems += ps.len();
        }
        // A pack the scanner cannot compile (e.g. too many distinct characters) is not ok.
        Ok(pack) => match callqa::scan::Scanner::new(pack.clone()) {
            Err(e) => {
                eprintln!("{}: {e}", dir.display());
                problems += 1;
            }
            Ok(_) => {
                let warnings = pack.shared_phrases();
                for w in &warnings {
                    eprintln!("{w}");
                }
                let note = if warnings.is_empty() { String::new() } else { format!(" ({} warning(s))", warnings.len()) };
                println!("{}: pack {} version {}, {} rules, ok{note}", dir.display(), pack.name(), pack.version(), pack.rules().len());
            }
        },
    }
    let rubrics = if rubrics.is_empty() { callqa::score::rubrics_beside(dir) } else { rubrics.to_vec() };
    for path in &rubrics {
        match callqa::score::Rubric::load(path) {
            Ok(r) => println!("{}: rubric {} version {}, ok", path.display(), r.name, r.version()),
            Err(ps) => {
                for p in &ps {
                    eprintln!("{p}");
                }
                eprintln!("callqa: {} problem(s) in the rubric {}", ps.len(), path.display());
                problems += ps.len();
            }
        }
    }
    Ok(if problems > 0 { Exit::Refused } else { Exit::Success })
}

fn scan(args: ScanArgs) -> Result<Exit, String> {
    let config = Config::with(&Overrides { config: args.config, rules: args.rules, jobs: args.jobs, ..Overrides::default() })?;
    // The pack `run` would use (the one named, else the built-in one), through run's own
    // loader; the copy of it that a run keeps goes to a temporary folder here.
    let kept = tempfile::tempdir().map_err(|e| format!("a temporary folder for the rule pack: {e}"))?;
    let scanner = callqa::batch::load_rules(&config, kept.path()).map_err(|e| e.to_string())?;
    let (jobs, _) = config.parallelism();
    let files = callqa::scan::collect_transcripts(&args.inputs).map_err(|e| e.to_string())?;
    std::fs::create_dir_all(&args.out).map_err(|e| format!("{}: {e}", args.out.display()))?;
    let started = Instant::now();
    let outcomes = callqa::scan::scan_files(&scanner, &files, &args.out, jobs, &|o| {
        if let callqa::scan::ScanOutcome::Failed { error, .. } = o {
            eprintln!("FAILED {error}");
        }
    });
    let tally = callqa::scan::ScanTally::of(&outcomes, &scanner, started.elapsed().as_millis() as u64);
    eprintln!("{tally}; findings in {}", args.out.display());
    Ok(tally.exit())
}

fn transcribe(args: TranscribeArgs) -> Result<Exit, String> {
    let o = args.decode.over(Overrides { config: args.config, language: args.language, ..Overrides::default() });
    let config = Config::with(&o)?;
    let (jobs, threads) = config.parallelism();
    let mut calls = transcribe::collect_inputs(&args.inputs)?;
    for c in &mut calls {
        c.layout = config.layout;
    }
    let params = DecodeParams { packing: args.packing, ..callqa::batch::decode_params(&config) };
    let engine = WhisperEngine::load_on(&config.model_path()?, threads, config.gpu).map_err(|e| e.to_string())?.decoding_at_once(jobs);
    std::fs::create_dir_all(&args.out).map_err(|e| format!("{}: {e}", args.out.display()))?;
    let started = Instant::now();
    let finished = AtomicUsize::new(0);
    let outcomes = transcribe::transcribe_calls(&engine, &calls, &params, &config.audio_limits(), &args.out, jobs, &|o| {
        eprintln!("{}", o.line(finished.fetch_add(1, Ordering::Relaxed) + 1, calls.len()));
    });
    let tally = transcribe::Tally::of(&outcomes, started.elapsed().as_millis() as u64);
    eprintln!("{tally}; transcripts in {}", args.out.display());
    Ok(tally.exit())
}
