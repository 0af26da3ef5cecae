//! The default rule pack (`rules/zh-cn`), compiled into the binary by `build.rs`.

use std::path::Path;

include!(concat!(env!("OUT_DIR"), "/default_pack.rs"));

/// Writes the default pack's files into `dir`, replacing what is there, so that a run keeps a
/// copy of exactly the rules it used and `load_pack` reads them like any other pack.
pub fn write_to(dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    for entry in std::fs::read_dir(dir)? {
        let p = entry?.path();
        if p.extension().is_some_and(|x| x == "toml") && !DEFAULT_PACK.iter().any(|(n, _)| p.file_name().is_some_and(|f| f == *n)) {
            std::fs::remove_file(&p)?;
        }
    }
    for (name, text) in DEFAULT_PACK {
        crate::fsutil::write_atomic(&dir.join(name), text.as_bytes())?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_pack_is_the_rules_folder_and_loads() {
        let on_disk = Path::new(env!("CARGO_MANIFEST_DIR")).join("rules/zh-cn");
        let mut names: Vec<String> = std::fs::read_dir(&on_disk)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".toml"))
            .collect();
        names.sort();
        let embedded: Vec<&str> = DEFAULT_PACK.iter().map(|(n, _)| *n).collect();
        assert_eq!(embedded, names);
        let d = tempfile::tempdir().unwrap();
        std::fs::write(d.path().join("stale.toml"), "x").unwrap();
        write_to(d.path()).unwrap();
        assert!(!d.path().join("stale.toml").exists());
        let pack = crate::rules::load_pack(d.path()).unwrap();
        assert_eq!(pack.version(), crate::rules::load_pack(&on_disk).unwrap().version());
    }
}
