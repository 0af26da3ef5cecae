//! Scanning transcript files: finding them, scanning them in parallel, writing the findings.

use std::path::{Path, PathBuf};

use super::{FINDINGS_VERSION, FindingsFile, Scanner};
use crate::transcript::Transcript;

/// What happened to one transcript in [`scan_files`].
#[derive(Debug)]
pub enum ScanOutcome {
    Done { call_id: String, findings: usize, out: PathBuf },
    Failed { path: PathBuf, error: String },
}

/// Transcript files among `inputs`: files as given, and each directory's `*.json` files
/// other than findings files, sorted.
pub fn collect_transcripts(inputs: &[PathBuf]) -> std::io::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for p in inputs {
        if p.is_dir() {
            let mut v: Vec<PathBuf> = std::fs::read_dir(p)
                .map_err(|e| std::io::Error::new(e.kind(), format!("{}: {e}", p.display())))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|f| {
                    let name = f.file_name().and_then(|n| n.to_str()).unwrap_or("");
                    name.ends_with(".json") && !name.ends_with(".findings.json")
                })
                .collect();
            v.sort();
            out.extend(v);
        } else if p.exists() {
            out.push(p.clone());
        } else {
            return Err(std::io::Error::new(std::io::ErrorKind::NotFound, format!("{}: no such file or directory", p.display())));
        }
    }
    Ok(out)
}

/// Scans one transcript file and writes `<call id>.findings.json` into `out_dir`, atomically.
/// Returns the call id, the number of findings and the file written; errors name the file.
pub fn scan_file(scanner: &Scanner, path: &Path, out_dir: &Path) -> Result<(String, usize, PathBuf), String> {
    let t = Transcript::read(path).map_err(|e| e.to_string())?;
    let findings = scanner.scan(&t);
    let n = findings.len();
    let file = FindingsFile {
        version: FINDINGS_VERSION,
        call_id: t.call_id.clone(),
        pack: scanner.pack().name().to_owned(),
        pack_version: scanner.pack().version().to_owned(),
        findings,
        producer: format!("callqa {}", env!("CARGO_PKG_VERSION")),
    };
    let out = crate::call::call_path(out_dir, &t.call_id, ".findings.json").map_err(|e| format!("{}: {e}", path.display()))?;
    let json = serde_json::to_vec_pretty(&file).map_err(|e| e.to_string())?;
    crate::fsutil::write_atomic(&out, &json).map_err(|e| format!("{}: {e}", out.display()))?;
    Ok((t.call_id, n, out))
}

/// Scans each transcript in parallel (`jobs` threads) with [`scan_file`]. One bad transcript
/// fails alone.
pub fn scan_files(scanner: &Scanner, files: &[PathBuf], out_dir: &Path, jobs: usize, progress: &(dyn Fn(&ScanOutcome) + Sync)) -> Vec<ScanOutcome> {
    use rayon::prelude::*;
    let one = |path: &PathBuf| -> ScanOutcome {
        let o = match scan_file(scanner, path, out_dir) {
            Ok((call_id, findings, out)) => ScanOutcome::Done { call_id, findings, out },
            Err(error) => ScanOutcome::Failed { path: path.clone(), error },
        };
        progress(&o);
        o
    };
    match rayon::ThreadPoolBuilder::new().num_threads(jobs.max(1)).build() {
        Ok(pool) => pool.install(|| files.par_iter().map(one).collect()),
        Err(_) => files.iter().map(one).collect(),
    }
}
