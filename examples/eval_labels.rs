//! Scores `callqa scan` output against the fixture labels.
//!
//! ```sh
//! cargo run --release --example eval_labels -- fixtures/labels.csv /tmp/corpus-findings \
//!     --manifest fixtures/audio/manifest.csv [--tolerance-ms 3000] [--json report.json]
//! ```
//!
//! Every `*.findings.json` in the findings directory is one evaluated call. `callqa scan`
//! names calls by the recording's file stem (`A1001_20261102-093015_c0001`); the manifest
//! maps those stems to the call ids the labels use (`c0001`).

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use callqa::eval::{DEFAULT_TOLERANCE_MS, evaluate, load_labels};
use callqa::rules::KNOWN_CATEGORIES;
use callqa::scan::{Finding, FindingsFile};

struct Args {
    labels: PathBuf,
    findings: PathBuf,
    manifest: Option<PathBuf>,
    tolerance_ms: u64,
    json: Option<PathBuf>,
}

fn parse_args() -> Result<Args, String> {
    let mut pos = Vec::new();
    let (mut manifest, mut json, mut tolerance_ms) = (None, None, DEFAULT_TOLERANCE_MS);
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        let mut value = |name: &str| it.next().ok_or(format!("{name} needs a value"));
        match a.as_str() {
            "--manifest" => manifest = Some(PathBuf::from(value("--manifest")?)),
            "--json" => json = Some(PathBuf::from(value("--json")?)),
            "--tolerance-ms" => {
                let v = value("--tolerance-ms")?;
                tolerance_ms = v.parse().map_err(|_| format!("--tolerance-ms: `{v}` is not a number"))?;
            }
            _ if a.starts_with("--") => return Err(format!("unknown option {a}")),
            _ => pos.push(PathBuf::from(a)),
        }
    }
    let [labels, findings] = <[PathBuf; 2]>::try_from(pos).map_err(|_| "expected <labels.csv> <findings dir>".to_owned())?;
    Ok(Args { labels, findings, manifest, tolerance_ms, json })
}

/// File stem of each manifest row's recording → its call id.
fn manifest_ids(path: &Path) -> Result<HashMap<String, String>, String> {
    let mut rdr = csv::Reader::from_path(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let h = rdr.headers().map_err(|e| format!("{}: {e}", path.display()))?.clone();
    let col = |name: &str| h.iter().position(|c| c == name).ok_or(format!("{}: no `{name}` column", path.display()));
    let (id, p) = (col("call_id")?, col("path")?);
    let mut out = HashMap::new();
    for rec in rdr.records() {
        let rec = rec.map_err(|e| format!("{}: {e}", path.display()))?;
        let stem = Path::new(&rec[p]).file_stem().and_then(|s| s.to_str()).unwrap_or_default().to_owned();
        out.insert(stem, rec[id].to_owned());
    }
    Ok(out)
}

fn run() -> Result<(), String> {
    let args = parse_args()?;
    let labels = load_labels(&args.labels, KNOWN_CATEGORIES).map_err(|e| e.to_string())?;
    let ids = match &args.manifest {
        Some(m) => manifest_ids(m)?,
        None => HashMap::new(),
    };
    let mut files: Vec<PathBuf> = std::fs::read_dir(&args.findings)
        .map_err(|e| format!("{}: {e}", args.findings.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.to_str().is_some_and(|s| s.ends_with(".findings.json")))
        .collect();
    files.sort();
    let (mut calls, mut findings) = (Vec::new(), Vec::<Finding>::new());
    for f in &files {
        let bytes = std::fs::read(f).map_err(|e| format!("{}: {e}", f.display()))?;
        let file: FindingsFile = serde_json::from_slice(&bytes).map_err(|e| format!("{}: {e}", f.display()))?;
        let id = ids.get(&file.call_id).cloned().unwrap_or(file.call_id);
        for mut x in file.findings {
            x.call_id = id.clone();
            findings.push(x);
        }
        calls.push(id);
    }
    if calls.is_empty() {
        return Err(format!("{}: no *.findings.json files", args.findings.display()));
    }
    let report = evaluate(&labels, &findings, &calls, args.tolerance_ms);
    if let Some(j) = &args.json {
        let text = serde_json::to_string_pretty(&report).map_err(|e| e.to_string())?;
        std::fs::write(j, text + "\n").map_err(|e| format!("{}: {e}", j.display()))?;
    }
    // A closed pipe (`| head`) is not an error worth a panic.
    match write!(std::io::stdout().lock(), "{report}") {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(format!("stdout: {e}")),
        _ => Ok(()),
    }
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("eval_labels: {e}");
            ExitCode::from(2)
        }
    }
}
