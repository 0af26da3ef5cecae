//! Small file-system helpers shared by every stage that writes results.

use std::io::{self, Read, Write};
use std::path::Path;

use sha2::{Digest, Sha256};

/// Writes `bytes` to `path` atomically: a temporary file in the same directory is written,
/// flushed to disk and renamed over `path`, so a reader (or a crash) never sees half a file.
/// The file's mode follows the umask, as for any new file (see [`temp_file_in`]).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    std::fs::create_dir_all(dir)?;
    let mut tmp = temp_file_in(dir)?;
    tmp.write_all(bytes)?;
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

/// A temporary file in `dir`, to be renamed into place, created with the mode any new file
/// gets: 0666 less the process's umask (0644 under the usual 022). tempfile's default, 0600,
/// would leave reports, transcripts and models unreadable to the group and the other users
/// (a supervisors' share, a web server) that the umask means to let in.
pub fn temp_file_in(dir: &Path) -> io::Result<tempfile::NamedTempFile> {
    let mut b = tempfile::Builder::new();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        // The mode goes to open(2), which applies the umask.
        b.permissions(std::fs::Permissions::from_mode(0o666));
    }
    b.tempfile_in(dir)
}

/// Puts the finished folder `new` where `target` is, in one step: a reader of `target` sees
/// the old folder whole or the new one whole, and a crash at any moment leaves one of them.
///
/// On Linux the two are swapped with `renameat2(RENAME_EXCHANGE)` and the old one, now at
/// `new`, is removed. Where the file system cannot exchange (some network file systems), the
/// old folder is renamed aside first: for a moment `target` is missing (a reader is told there
/// is no report set, never shown half of one), and a crash in that moment leaves the old set
/// at `.<name>.old`, put back by the next call.
pub fn replace_dir(new: &Path, target: &Path) -> io::Result<()> {
    let aside = sibling(target, "old");
    if std::fs::symlink_metadata(target).is_err() && aside.is_dir() {
        std::fs::rename(&aside, target)?;
    }
    if std::fs::symlink_metadata(target).is_err() {
        std::fs::rename(new, target)?;
        return sync_parent(target);
    }
    #[cfg(target_os = "linux")]
    {
        use rustix::fs::{CWD, RenameFlags, renameat_with};
        match renameat_with(CWD, new, CWD, target, RenameFlags::EXCHANGE) {
            Ok(()) => {
                sync_parent(target)?;
                return std::fs::remove_dir_all(new);
            }
            Err(e) if e == rustix::io::Errno::INVAL || e == rustix::io::Errno::NOSYS || e == rustix::io::Errno::OPNOTSUPP => {}
            Err(e) => return Err(e.into()),
        }
    }
    if aside.exists() {
        std::fs::remove_dir_all(&aside)?;
    }
    std::fs::rename(target, &aside)?;
    std::fs::rename(new, target)?;
    sync_parent(target)?;
    std::fs::remove_dir_all(&aside)
}

/// `.<name>.<what>` next to `path`: where a folder is built before [`replace_dir`] puts it in
/// place, or set aside. One name per purpose, so that a killed writer's leftovers are found
/// and removed by the next writer.
pub fn sibling(path: &Path, what: &str) -> std::path::PathBuf {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "dir".into());
    path.with_file_name(format!(".{name}.{what}"))
}

/// Makes a rename in `path`'s folder durable (the folder's entry list is flushed to disk).
fn sync_parent(path: &Path) -> io::Result<()> {
    match path.parent().filter(|p| !p.as_os_str().is_empty()) {
        Some(dir) => std::fs::File::open(dir)?.sync_all(),
        None => Ok(()),
    }
}

/// SHA-256 of a file's contents as lowercase hex, streamed so large models need little memory.
pub fn sha256_file(path: &Path) -> io::Result<String> {
    let mut f = std::fs::File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hex::encode(hasher.finalize()))
}

/// SHA-256 of a byte slice as lowercase hex.
pub fn sha256_bytes(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

#[cfg(test)]
mod tests {
    #[test]
    fn replace_dir_swaps_whole_folders_and_cleans_up() {
        let d = tempfile::tempdir().unwrap();
        let target = d.path().join("reports");
        let new = super::sibling(&target, "new");
        std::fs::create_dir(&new).unwrap();
        std::fs::write(new.join("a"), b"1").unwrap();
        super::replace_dir(&new, &target).unwrap();
        assert_eq!(std::fs::read(target.join("a")).unwrap(), b"1");
        std::fs::create_dir(&new).unwrap();
        std::fs::write(new.join("b"), b"2").unwrap();
        super::replace_dir(&new, &target).unwrap();
        assert!(!target.join("a").exists() && target.join("b").exists());
        assert!(!new.exists(), "the old folder is removed");
        // A crash after the old set was put aside (the fallback path) is repaired next time.
        std::fs::rename(&target, super::sibling(&target, "old")).unwrap();
        std::fs::create_dir(&new).unwrap();
        std::fs::write(new.join("c"), b"3").unwrap();
        super::replace_dir(&new, &target).unwrap();
        assert!(target.join("c").exists() && !target.join("b").exists());
        let names: Vec<_> = std::fs::read_dir(d.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(names, ["reports"]);
    }

    use super::*;

    #[test]
    fn atomic_write_replaces_whole_file_and_leaves_no_temp() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("out.json");
        write_atomic(&p, b"first version, longer").unwrap();
        write_atomic(&p, b"second").unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"second");
        let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(names.len(), 1, "temporary file left behind");
    }

    /// The umask is the process's and tests run in threads, so it is not set here: a file
    /// created the ordinary way shows what it allows, and atomic writes must match that.
    #[cfg(unix)]
    #[test]
    fn atomic_writes_get_the_mode_the_umask_gives_new_files() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        let plain = dir.path().join("plain");
        std::fs::write(&plain, b"x").unwrap();
        let expected = mode(&plain);
        let p = dir.path().join("out.json");
        write_atomic(&p, b"first").unwrap();
        assert_eq!(mode(&p), expected, "new file: {:o}, expected {expected:o}", mode(&p));
        write_atomic(&p, b"second").unwrap();
        assert_eq!(mode(&p), expected, "replaced file: {:o}, expected {expected:o}", mode(&p));
        // tempfile's own default is 0600; with a umask that leaves any group or other bit,
        // this test tells the two apart.
        if expected != 0o600 {
            assert_ne!(mode(&p), 0o600);
        }
    }

    #[test]
    fn sha256_matches_known_vector() {
        assert_eq!(
            sha256_bytes(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("f");
        std::fs::write(&p, b"abc").unwrap();
        assert_eq!(sha256_file(&p).unwrap(), sha256_bytes(b"abc"));
    }
}
