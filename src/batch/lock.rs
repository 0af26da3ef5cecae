//! One run per folder: `OUT/.callqa.lock` holds the pid, host and start of the process writing
//! into it. A second `run`, `score` or `merge` into the same folder fails at once (exit 2)
//! instead of mixing its calls into the first one's reports; a lock left by a process that
//! died (same host, no such pid) is taken over. Another host's lock cannot be judged from
//! here; a scheduler that knows the holder is gone (Slurm re-queues a task only after its
//! first run ended) says so with `run --take-over-lock`.
//!
//! The file is created with `create_new` (O_EXCL), so two processes racing for it cannot both
//! win; it is removed when the [`RunLock`] is dropped.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use super::RunError;

/// The lock's file name inside the folder.
pub const LOCK_FILE: &str = ".callqa.lock";

/// Held while a process writes into a run folder.
#[derive(Debug)]
pub struct RunLock {
    path: PathBuf,
}

fn host() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_owned())
        .or_else(|_| std::env::var("HOSTNAME"))
        .unwrap_or_else(|_| "unknown".into())
}

/// Whether a process of this host is alive; where that cannot be known, it is assumed alive.
fn alive(pid: u32) -> bool {
    if Path::new("/proc/self").exists() { Path::new(&format!("/proc/{pid}")).exists() } else { true }
}

impl RunLock {
    /// Takes the lock of `dir` (created if missing).
    pub fn acquire(dir: &Path) -> Result<RunLock, RunError> {
        Self::acquire_with(dir, false)
    }

    /// Takes the lock of `dir`; with `take_over`, also a lock that another host's process
    /// holds (the caller knows that process is gone). A live process of this host still wins.
    pub fn acquire_with(dir: &Path, take_over: bool) -> Result<RunLock, RunError> {
        std::fs::create_dir_all(dir).map_err(|e| RunError(format!("{}: {e}", dir.display())))?;
        let path = dir.join(LOCK_FILE);
        let me = host();
        for _ in 0..2 {
            match std::fs::OpenOptions::new().write(true).create_new(true).open(&path) {
                Ok(mut f) => {
                    let line = format!("{} {} {}\n", std::process::id(), me, jiff::Timestamp::now());
                    f.write_all(line.as_bytes()).map_err(|e| RunError(format!("{}: {e}", path.display())))?;
                    return Ok(RunLock { path });
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    let held = std::fs::read_to_string(&path).unwrap_or_default();
                    let mut parts = held.split_whitespace();
                    let (pid, holder, since) = (parts.next().and_then(|p| p.parse::<u32>().ok()), parts.next().unwrap_or("?"), parts.next().unwrap_or("?"));
                    match pid {
                        Some(pid) if (holder == me && !alive(pid)) || (holder != me && take_over) => {
                            // Stale: its process is gone. Take it over.
                            let _ = std::fs::remove_file(&path);
                        }
                        _ => {
                            return Err(RunError(format!(
                                "{} is in use by another callqa (pid {} on {holder}, since {since}; lock {}): wait for it to finish, or write into another folder; delete the lock only if that process is gone",
                                dir.display(),
                                pid.map_or("?".into(), |p| p.to_string()),
                                path.display()
                            )));
                        }
                    }
                }
                Err(e) => return Err(RunError(format!("{}: {e}", path.display()))),
            }
        }
        Err(RunError(format!("{}: could not take the lock", path.display())))
    }
}

impl Drop for RunLock {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_holder_is_refused_and_a_dead_ones_lock_is_taken_over() {
        let d = tempfile::tempdir().unwrap();
        let first = RunLock::acquire(d.path()).unwrap();
        let err = RunLock::acquire(d.path()).unwrap_err().0;
        assert!(err.contains("in use by another callqa") && err.contains(&format!("pid {}", std::process::id())), "{err}");
        drop(first);
        assert!(!d.path().join(LOCK_FILE).exists());
        // A lock of a process that no longer exists on this host.
        std::fs::write(d.path().join(LOCK_FILE), format!("4194304999 {} 2026-12-01T00:00:00Z\n", host())).unwrap();
        let taken = RunLock::acquire(d.path()).unwrap();
        assert!(std::fs::read_to_string(d.path().join(LOCK_FILE)).unwrap().starts_with(&std::process::id().to_string()));
        drop(taken);
        // Another host's lock is never assumed stale.
        std::fs::write(d.path().join(LOCK_FILE), "1 some-other-host 2026-12-01T00:00:00Z\n").unwrap();
        assert!(RunLock::acquire(d.path()).unwrap_err().0.contains("some-other-host"));
        // … unless the caller knows that host's process is gone.
        let taken = RunLock::acquire_with(d.path(), true).unwrap();
        // A live holder on this host is never taken over.
        assert!(RunLock::acquire_with(d.path(), true).unwrap_err().0.contains("in use"));
        drop(taken);
    }
}
