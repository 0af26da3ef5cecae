//! End-to-end: the real `callqa rules check` and `callqa scan` binaries on the default pack
//! and the hand-written transcripts in `fixtures/transcripts/`, whose expected findings are in
//! `fixtures/transcripts/expected/`. After a deliberate change to the pack or the scanner,
//! rewrite the expected files with `CALLQA_BLESS=1 cargo test --release --test scan_e2e` and
//! review the diff.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn callqa(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_callqa")).args(args).current_dir(root()).output().expect("runs callqa")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn rules_check_accepts_the_default_pack() {
    let o = callqa(&["rules", "check", "rules/zh-cn"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(String::from_utf8_lossy(&o.stdout).contains("rules, ok"));
}

#[test]
fn rules_check_reports_every_problem_with_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("pack.toml"), "format = 1\nname = \"bad\"\nversion = \"0\"\n").unwrap();
    std::fs::write(
        dir.path().join("a.toml"),
        "[[rule]]\nid = \"x\"\nname = \"甲\"\ncategory = \"forbidden\"\nkind = \"forbidden\"\nseverity = \"major\"\nrole = \"agent\"\nany = []\nwindow = { first = 5 }\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("b.toml"), "[[rule]]\nid = \"y\"\nname = \"乙\"\nphrases = [\"a\"]\n").unwrap();
    let o = callqa(&["rules", "check", dir.path().to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "an invalid pack is bad configuration");
    let err = stderr(&o);
    let a = dir.path().join("a.toml");
    let b = dir.path().join("b.toml");
    for want in [
        format!("{}:6:12: severity `major` is not in the rubric (minor, medium, severe, fatal)", a.display()),
        format!("{}:8:7: `any` is an empty phrase list", a.display()),
        format!("{}:9:10: window without unit", a.display()),
        format!("{}:4:1: unknown field `phrases`", b.display()),
    ] {
        assert!(err.contains(&want), "missing {want:?} in:\n{err}");
    }
    assert!(err.contains("4 problem(s)"), "{err}");
}

/// Parsed JSON of every `*.findings.json` in `dir`, by file name.
fn findings_in(dir: &Path) -> Vec<(String, serde_json::Value)> {
    let mut v: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().ends_with(".findings.json"))
        .map(|p| {
            let json = serde_json::from_slice(&std::fs::read(&p).unwrap()).unwrap();
            (p.file_name().unwrap().to_string_lossy().into_owned(), json)
        })
        .collect();
    v.sort_by(|a, b| a.0.cmp(&b.0));
    v
}

#[test]
fn scan_matches_the_golden_findings() {
    let out = tempfile::tempdir().unwrap();
    let o = callqa(&["scan", "fixtures/transcripts", "--rules", "rules/zh-cn", "--out", out.path().to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let expected_dir = root().join("fixtures/transcripts/expected");
    if std::env::var_os("CALLQA_BLESS").is_some() {
        for (name, _) in findings_in(out.path()) {
            std::fs::copy(out.path().join(&name), expected_dir.join(&name)).unwrap();
        }
    }
    let got = findings_in(out.path());
    let want = findings_in(&expected_dir);
    assert_eq!(got.iter().map(|g| &g.0).collect::<Vec<_>>(), want.iter().map(|w| &w.0).collect::<Vec<_>>());
    for ((name, g), (_, w)) in got.iter().zip(&want) {
        assert_eq!(g, w, "{name} differs from fixtures/transcripts/expected/{name}");
    }
    // The goldens are not vacuous: the model call is clean, the others are not.
    let count = |n: &str| want.iter().find(|w| w.0 == n).unwrap().1["findings"].as_array().unwrap().len();
    assert_eq!(count("G001_model_call.findings.json"), 0);
    assert!(count("G002_rude_agent.findings.json") > 10);
    assert!(count("G003_asr_errors.findings.json") >= 2);
}

#[test]
fn rescanning_gives_identical_files_and_ids() {
    let out = tempfile::tempdir().unwrap();
    let args = ["scan", "fixtures/transcripts/G002_rude_agent.json", "--out", out.path().to_str().unwrap()];
    assert_eq!(callqa(&args).status.code(), Some(0));
    let first = findings_in(out.path());
    assert_eq!(callqa(&args).status.code(), Some(0));
    assert_eq!(first, findings_in(out.path()));
}

#[test]
fn a_bad_transcript_fails_alone_and_a_bad_pack_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("broken.json"), "{ not json").unwrap();
    std::fs::copy(root().join("fixtures/transcripts/G001_model_call.json"), dir.path().join("G001_model_call.json")).unwrap();
    let out = tempfile::tempdir().unwrap();
    let o = callqa(&["scan", dir.path().to_str().unwrap(), "--out", out.path().to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("broken.json"), "{}", stderr(&o));
    assert_eq!(findings_in(out.path()).len(), 1, "the good call is still scanned");

    let o = callqa(&["scan", "fixtures/transcripts", "--rules", dir.path().to_str().unwrap(), "--out", out.path().to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn rules_check_validates_rubrics_with_file_and_line() {
    let o = callqa(&["rules", "check", "rules/zh-cn"]);
    let out = String::from_utf8_lossy(&o.stdout).into_owned();
    assert!(out.contains("rules/rubric.toml: rubric") && out.contains("rules/rubric-10pt.toml: rubric"), "{out}");
    let dir = tempfile::tempdir().unwrap();
    let good = std::fs::read_to_string(root().join("rules/rubric.toml")).unwrap();
    let bad = good.replace("[severity]\n", "[severity]\nmajor = 5\n").replace("min = -5\nmax = 5", "min = 5\nmax = -5");
    let line = |needle: &str| bad.lines().position(|l| l.starts_with(needle)).unwrap() + 1;
    let path = dir.path().join("rubric-bad.toml");
    std::fs::write(&path, &bad).unwrap();
    let o = callqa(&["rules", "check", "rules/zh-cn", "--rubric", path.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    for want in [
        format!("{}:{}:9: points for an unknown severity `major`", path.display(), line("major = 5")),
        format!("{}:{}:7: adjustment range inverted: `min` 5 is above `max` -5", path.display(), line("min = 5")),
    ] {
        assert!(err.contains(&want), "missing {want:?} in:\n{err}");
    }
    assert!(err.contains("2 problem(s) in the rubric"), "{err}");
}

#[test]
fn a_transcript_whose_call_id_is_a_path_fails_alone_and_writes_nothing_outside() {
    let tmp = tempfile::tempdir().unwrap();
    let inputs = tmp.path().join("in");
    let out = tmp.path().join("a/b/out");
    std::fs::create_dir_all(&inputs).unwrap();
    let good = std::fs::read_to_string(root().join("fixtures/transcripts/G001_model_call.json")).unwrap();
    let mut evil: serde_json::Value = serde_json::from_str(&good).unwrap();
    evil["call_id"] = "../../y".into();
    std::fs::write(inputs.join("good.json"), &good).unwrap();
    std::fs::write(inputs.join("evil.json"), serde_json::to_vec(&evil).unwrap()).unwrap();
    let o = callqa(&["scan", inputs.to_str().unwrap(), "--out", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("evil.json") && stderr(&o).contains("call id \"../../y\""), "{}", stderr(&o));
    assert!(!tmp.path().join("a/y.findings.json").exists() && !tmp.path().join("y.findings.json").exists());
    assert_eq!(std::fs::read_dir(&out).unwrap().count(), 1, "the good call is scanned");
}
