//! The run directory's files, read and written in one place: the call list
//! (`work/calls.json`), each partition's outcome (`work/status.json`), and the per-call
//! transcripts and findings the report set is made of. Stages hand values in and get values
//! back; only this module knows where a run keeps them.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::RunError;
use crate::call::CallMeta;
use crate::config::Config;
use crate::ingest::{self, IngestError, pattern::Pattern};
use crate::report::assemble::{Contents, Failure, Loaded};
use crate::finding::FindingsFile;
use crate::shared::Stage;
use crate::transcript::Transcript;

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

/// Keeps a call's findings as `DIR/<call id>.findings.json`, atomically.
pub fn write_findings(dir: &Path, file: &FindingsFile) -> Result<(), String> {
    let path = FindingsFile::path_in(dir, &file.call_id)?;
    file.write(&path)
}

/// What the report set of `partitions` is made of: every call that got through, read from
/// its transcript and findings files (a findings file of another format version is refused),
/// and every recording that did not, with its stage and reason.
pub fn contents(partitions: &[Partition]) -> Contents {
    let mut c = Contents::default();
    let fail = |file: &Path, call_id: Option<&str>, stage: Stage, reason: String| Failure {
        file: file.display().to_string(),
        call_id: call_id.map(str::to_owned),
        stage,
        reason,
    };
    for p in partitions {
        c.pack.clone_from(&p.status.pack);
        c.pack_version.clone_from(&p.status.pack_version);
        c.model_sha256 = Some(p.status.model_sha256.clone());
        c.pack_sha256.push(p.status.pack_sha256.clone());
        for e in &p.status.ingest_errors {
            c.failures.push(fail(Path::new(&e.file), e.call_id.as_deref(), Stage::Ingest, e.reason.clone()));
        }
        let metas: BTreeMap<&str, &CallMeta> = p.calls.iter().map(|m| (m.call_id.as_str(), m)).collect();
        for s in &p.status.calls {
            if let (Some(stage), Some(reason)) = (s.failed_at, &s.error) {
                c.failures.push(fail(&s.path, Some(&s.call_id), stage, reason.clone()));
                continue;
            }
            let Some(meta) = metas.get(s.call_id.as_str()) else {
                c.failures.push(fail(&s.path, Some(&s.call_id), Stage::Score, "no metadata for this call in work/calls.json".into()));
                continue;
            };
            match load_call(p, meta) {
                Ok(l) => c.calls.push(l),
                Err(reason) => c.failures.push(fail(&s.path, Some(&s.call_id), Stage::Score, reason)),
            }
        }
    }
    c
}

fn load_call(p: &Partition, meta: &CallMeta) -> Result<Loaded, String> {
    let tpath = crate::call::call_path(&p.transcripts, &meta.call_id, ".json")?;
    let transcript = Transcript::read(&tpath).map_err(|e| e.to_string())?;
    let fpath = FindingsFile::path_in(&p.findings, &meta.call_id)?;
    let file = FindingsFile::read(&fpath)?;
    Ok(Loaded { meta: meta.clone(), transcript, findings: file.findings })
}

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
    let pattern = Pattern::parse(&config.pattern)?;
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
            // The call id is the transcript's (the findings file is named by it), the rest
            // the recording's name says, read as `run` reads it.
            None => ingest::fields_from_name(&pattern, &ingest::name_for(&pattern, None, &t.audio.path), &tz)
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
                .map_err(|(_, reason)| reason),
        };
        let meta = match meta {
            Ok(m) => m,
            Err(reason) => {
                ingest_errors.push(IngestError { file: t.audio.path.display().to_string(), call_id: Some(t.call_id.clone()), reason });
                continue;
            }
        };
        let fpath = match FindingsFile::path_in(findings, &t.call_id) {
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
        match FindingsFile::read(&fpath) {
            Ok(ff) => {
                pack = ff.pack;
                pack_version = ff.pack_version;
            }
            Err(e) => {
                status.failed_at = Some(Stage::Scan);
                status.error = Some(format!("{e}; run `callqa scan` on the transcripts first"));
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
