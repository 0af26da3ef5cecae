//! Scanning transcript files: finding them, scanning them in parallel, writing the findings.

use std::path::{Path, PathBuf};

use super::{FindingsFile, Scanner};
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
    let file = scanner.findings_file(&t);
    let out = FindingsFile::path_in(out_dir, &t.call_id).map_err(|e| format!("{}: {e}", path.display()))?;
    file.write(&out)?;
    Ok((t.call_id, file.findings.len(), out))
}

/// Scans each transcript in parallel (`jobs` threads) with [`scan_file`]. One bad transcript
/// fails alone.
pub fn scan_files(scanner: &Scanner, files: &[PathBuf], out_dir: &Path, jobs: usize, progress: &(dyn Fn(&ScanOutcome) + Sync)) -> Vec<ScanOutcome> {
    let one = |path: &PathBuf| -> ScanOutcome {
        let o = match scan_file(scanner, path, out_dir) {
            Ok((call_id, findings, out)) => ScanOutcome::Done { call_id, findings, out },
            Err(error) => ScanOutcome::Failed { path: path.clone(), error },
        };
        progress(&o);
        o
    };
    crate::shared::par::map(files, jobs, one)
}

/// What `callqa scan` says when it is done.
#[derive(Clone, Debug, PartialEq)]
pub struct ScanTally {
    pub total: usize,
    pub failed: usize,
    pub findings: usize,
    pub pack: String,
    pub pack_version: String,
    pub wall_ms: u64,
}

impl ScanTally {
    pub fn of(outcomes: &[ScanOutcome], scanner: &Scanner, wall_ms: u64) -> ScanTally {
        ScanTally {
            total: outcomes.len(),
            failed: outcomes.iter().filter(|o| matches!(o, ScanOutcome::Failed { .. })).count(),
            findings: outcomes.iter().map(|o| if let ScanOutcome::Done { findings, .. } = o { *findings } else { 0 }).sum(),
            pack: scanner.pack().name().to_owned(),
            pack_version: scanner.pack().version().to_owned(),
            wall_ms,
        }
    }

    pub fn exit(&self) -> crate::shared::Exit {
        crate::shared::Exit::from_failures(self.failed)
    }
}

impl std::fmt::Display for ScanTally {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} calls: {} scanned, {} failed; {} findings with pack {} {} in {:.2} s",
            self.total,
            self.total - self.failed,
            self.failed,
            self.findings,
            self.pack,
            self.pack_version,
            self.wall_ms as f64 / 1000.0
        )
    }
}
