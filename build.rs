//! Embeds the default rule pack (`rules/zh-cn/*.toml`) into the binary, so that `callqa run`
//! works with no rules directory at hand. The file list is read here rather than written out
//! by hand so that a rule file added to the pack cannot be left out of the binary.

use std::path::Path;

fn main() {
    // Read at run time, not baked in with env!(): a build script compiled in one checkout is
    // reused by cargo for another that shares the target folder.
    let root = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let dir = Path::new(&root).join("rules/zh-cn");
    println!("cargo:rerun-if-changed={}", dir.display());
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("rules/zh-cn exists")
        .map(|e| e.expect("readable rules/zh-cn").path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    let mut out = String::from("/// The default rule pack's files: (file name, contents).\npub const DEFAULT_PACK: &[(&str, &str)] = &[\n");
    for f in &files {
        println!("cargo:rerun-if-changed={}", f.display());
        let name = f.file_name().unwrap().to_str().expect("UTF-8 rule file names");
        out.push_str(&format!("    ({name:?}, include_str!({:?})),\n", f.display().to_string()));
    }
    out.push_str("];\n");
    let dest = Path::new(&std::env::var("OUT_DIR").unwrap()).join("default_pack.rs");
    std::fs::write(dest, out).expect("writes OUT_DIR/default_pack.rs");
}
