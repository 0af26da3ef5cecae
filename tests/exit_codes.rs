//! Every command's exit codes, as the README states them: 0 everything succeeded, 1 some calls
//! or rows failed (the rest done), 2 bad usage or configuration found before any work. Run
//! from a folder outside the repository, as cron would, so nothing depends on the working
//! directory. No model is needed: where one would be, a missing one is the configuration error.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// Runs callqa in `cwd` with no CALLQA_MODEL from the environment.
fn callqa(cwd: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_callqa")).args(args).current_dir(cwd).env_remove("CALLQA_MODEL").output().expect("runs callqa")
}

fn code(cwd: &Path, args: &[&str]) -> (Option<i32>, String) {
    let o = callqa(cwd, args);
    (o.status.code(), format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr)))
}

#[test]
fn every_command_exits_0_1_or_2_as_documented() {
    let tmp = tempfile::tempdir().unwrap();
    let cwd = tmp.path();
    let asr = root().join("fixtures/transcripts/asr");
    let manifest = root().join("fixtures/audio/manifest.csv");
    let missing_model = cwd.join("no-model.bin");
    let bad_pack = cwd.join("bad-pack");
    std::fs::create_dir(&bad_pack).unwrap();
    std::fs::write(bad_pack.join("pack.toml"), "format = 1\nname = \"bad\"\nversion = \"0\"\n").unwrap();
    std::fs::write(bad_pack.join("a.toml"), "[[rule]]\nid = \"x\"\n").unwrap();
    let findings = cwd.join("findings");
    let broken = cwd.join("broken");
    std::fs::create_dir(&broken).unwrap();
    std::fs::copy(asr.join("c0001.json"), broken.join("c0001.json")).unwrap();
    std::fs::write(broken.join("c0002.json"), "{ not a transcript").unwrap();

    let cases: Vec<(Vec<String>, i32)> = vec![
        // rules check: valid (the built-in pack's folder), invalid.
        (vec!["rules".into(), "check".into(), s(&root().join("rules/zh-cn")).into()], 0),
        (vec!["rules".into(), "check".into(), s(&bad_pack).into()], 2),
        // scan: the built-in pack from any folder; one bad transcript; an invalid pack.
        (vec!["scan".into(), s(&asr).into(), "--out".into(), s(&findings).into()], 0),
        (vec!["scan".into(), s(&broken).into(), "--out".into(), s(&cwd.join("f2")).into()], 1),
        (vec!["scan".into(), s(&asr).into(), "--rules".into(), s(&bad_pack).into(), "--out".into(), s(&cwd.join("f3")).into()], 2),
        // score: whole; a call without its findings; a bad rubric.
        (vec!["score".into(), "--transcripts".into(), s(&asr).into(), "--findings".into(), s(&findings).into(), "--manifest".into(), s(&manifest).into(), "--out".into(), s(&cwd.join("run")).into()], 0),
        (vec!["score".into(), "--transcripts".into(), s(&asr).into(), "--findings".into(), s(&cwd.join("f2")).into(), "--out".into(), s(&cwd.join("r1")).into()], 1),
        (vec!["score".into(), "--transcripts".into(), s(&asr).into(), "--findings".into(), s(&findings).into(), "--out".into(), s(&cwd.join("r2")).into(), "--rubric".into(), s(&bad_pack.join("a.toml")).into()], 2),
        // The report readers: fine; a filter naming nothing; no report set.
        (vec!["scorecard".into(), "--reports".into(), s(&cwd.join("run")).into()], 0),
        (vec!["scorecard".into(), "--reports".into(), s(&cwd.join("run")).into(), "--agent".into(), "A9999".into()], 2),
        (vec!["scorecard".into(), "--reports".into(), s(&cwd.join("nothing")).into()], 2),
        (vec!["examples".into(), "--reports".into(), s(&cwd.join("run")).into(), "--category".into(), "forbidden".into()], 0),
        (vec!["examples".into(), "--reports".into(), s(&cwd.join("run")).into(), "--category".into(), "nonsense".into()], 2),
        (vec!["eval".into(), "--labels".into(), s(&root().join("fixtures/labels.csv")).into(), "--reports".into(), s(&cwd.join("run")).into()], 0),
        (vec!["eval".into(), "--labels".into(), s(&cwd.join("none.csv")).into(), "--reports".into(), s(&cwd.join("run")).into()], 2),
        (vec!["html".into(), "--reports".into(), s(&cwd.join("run")).into()], 0),
        (vec!["html".into(), "--reports".into(), s(&cwd.join("nothing")).into()], 2),
        // The commands that transcribe: a named model that is not there.
        (vec!["transcribe".into(), s(&root().join("fixtures/audio")).into(), "--out".into(), s(&cwd.join("t")).into(), "--model".into(), s(&missing_model).into()], 2),
        (vec!["run".into(), "--manifest".into(), s(&manifest).into(), "--out".into(), s(&cwd.join("night")).into(), "--model".into(), s(&missing_model).into()], 2),
        // merge: nothing to merge.
        (vec!["merge".into(), s(&cwd.join("nothing")).into(), "--out".into(), s(&cwd.join("m")).into()], 2),
        // Usage errors are 2 as well.
        (vec!["run".into(), "--out".into(), s(&cwd.join("x")).into()], 2),
        (vec!["model".into(), "import".into(), s(&cwd.join("no-ct2")).into(), "--out".into(), s(&cwd.join("m.bin")).into()], 2),
        (vec!["model".into(), "info".into(), s(&bad_pack.join("a.toml")).into()], 2),
        // A beam out of range, and GPU decoding from a build without it, are refused up front.
        (vec!["transcribe".into(), s(&root().join("fixtures/audio")).into(), "--out".into(), s(&cwd.join("t2")).into(), "--beam".into(), "0".into()], 2),
    ];
    for (args, want) in &cases {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let (got, out) = code(cwd, &args);
        assert_eq!(got, Some(*want), "callqa {}:\n{out}", args.join(" "));
    }
}

/// Without `--model`, the model is looked for next to callqa.toml, in the working directory and
/// in the repository callqa was built in; from a folder with none of them the error lists
/// where it looked.
#[test]
fn a_missing_model_names_every_place_looked() {
    let tmp = tempfile::tempdir().unwrap();
    let empty = tmp.path().join("no-recordings");
    std::fs::create_dir(&empty).unwrap();
    let (got, out) = code(tmp.path(), &["transcribe", s(&empty), "--out", s(&tmp.path().join("t"))]);
    if root().join("models/ggml-base-q8_0.bin").is_file() {
        // The repository's model is found from anywhere: this is what lets cron run callqa.
        assert_eq!(got, Some(0), "{out}");
    } else {
        assert_eq!(got, Some(2), "{out}");
        assert!(out.contains("models/ggml-base-q8_0.bin") && out.contains("fetch-base.sh"), "{out}");
    }
}
