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
use callqa::transcribe::{self, Outcome};

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
    /// The rule pack directory.
    #[arg(long, default_value = "rules/zh-cn")]
    rules: PathBuf,
    /// Directory for the findings (<call id>.findings.json); created if missing.
    #[arg(long)]
    out: PathBuf,
    /// Calls scanned at once.
    #[arg(long, default_value_t = default_threads())]
    jobs: usize,
}

#[derive(clap::Args)]
struct TranscribeArgs {
    /// WAV files, or directories whose *.wav files are taken.
    #[arg(required = true)]
    inputs: Vec<PathBuf>,
    /// Directory for the transcripts (<call id>.json); created if missing.
    #[arg(long)]
    out: PathBuf,
    /// A whisper.cpp ggml model file.
    #[arg(long, default_value = "models/ggml-base.bin", env = "CALLQA_MODEL")]
    model: PathBuf,
    /// Spoken language (a Whisper code such as zh), or `auto`.
    #[arg(long, default_value = "zh")]
    language: String,
    /// Which stereo channel is the agent: agent-left or agent-right.
    #[arg(long, default_value = "agent-left")]
    layout: Layout,
    /// How speech is laid into Whisper's 30 s windows: `call` (both channels share windows)
    /// or `channel` (each channel fills its own).
    #[arg(long, default_value = "call")]
    packing: callqa::asr::Packing,
    /// Calls decoded at once.
    #[arg(long, default_value_t = 1)]
    jobs: usize,
    /// Threads per call being decoded (jobs × threads should not exceed the cores).
    #[arg(long, default_value_t = default_threads())]
    threads: usize,
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
        Some(pack) => {
            println!("{}: pack {} version {}, {} rules, ok", dir.display(), pack.name(), pack.version(), pack.rules().len());
            true
        }
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
    if ok { ExitCode::SUCCESS } else { ExitCode::from(1) }
}

fn run_scan(args: ScanArgs) -> ExitCode {
    let Some(pack) = load_pack(&args.rules) else { return ExitCode::from(2) };
    let scanner = match callqa::scan::Scanner::new(pack) {
        Ok(s) => s,
        Err(e) => return fail(format!("{}: {e}", args.rules.display())),
    };
    let files = match callqa::scan::collect_transcripts(&args.inputs) {
        Ok(f) => f,
        Err(e) => return fail(e),
    };
    if let Err(e) = std::fs::create_dir_all(&args.out) {
        return fail(format!("{}: {e}", args.out.display()));
    }
    let started = Instant::now();
    let outcomes = callqa::scan::scan_files(&scanner, &files, &args.out, args.jobs, &|o| {
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
    let calls = match transcribe::collect_inputs(&args.inputs) {
        Ok(c) => c,
        Err(e) => return fail(e),
    };
    let params =
        DecodeParams { language: args.language, layout: args.layout, packing: args.packing, ..DecodeParams::default() };
    let engine = match WhisperEngine::load(&args.model, args.threads) {
        Ok(e) => e,
        Err(e) => return fail(e),
    };
    if let Err(e) = std::fs::create_dir_all(&args.out) {
        return fail(format!("{}: {e}", args.out.display()));
    }
    let started = Instant::now();
    let total = calls.len();
    let finished = AtomicUsize::new(0);
    let outcomes = transcribe::transcribe_calls(&engine, &calls, &params, &args.out, args.jobs, &|o| {
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
