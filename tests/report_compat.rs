//! Reports every tool opens: a report set written by the real binary (from the committed ASR
//! transcripts, without the model) is read by `tests/compat/check_reports.py` with pyarrow 14
//! (from before Arrow's `string_view`) and with current pyarrow, pandas, DuckDB and polars,
//! checking every table's column types against callqa's declarations (timestamps with the
//! site's zone, dates, `string` or `large_string`) and reading each CSV with its BOM.
//!
//! The Python environments are made by `tests/compat/setup.sh` (`.ci/run` calls it). Without
//! them this test fails in CI (`CI` set) and is skipped, saying so, elsewhere.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use callqa::report::{self, CallRow, ErrorRow, FindingRow, ScorecardRow, SegmentRow, Table};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn text(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

fn callqa(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_callqa")).args(args).current_dir(root()).output().expect("runs callqa")
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// The two environments' Pythons, or `None` (after saying why) when they are missing outside CI.
fn pythons() -> Option<(PathBuf, PathBuf)> {
    let venv = |name: &str| root().join(format!("tests/compat/.venv-{name}/bin/python"));
    let (old, current) = (venv("pyarrow14"), venv("current"));
    let missing: Vec<String> = [&old, &current].iter().filter(|p| !p.is_file()).map(|p| p.display().to_string()).collect();
    if missing.is_empty() {
        return Some((old, current));
    }
    let msg = format!("missing {}: run tests/compat/setup.sh (needs Python 3.9–3.12 and PyPI the first time)", missing.join(", "));
    if std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false" && v != "0") {
        panic!("{msg}");
    }
    eprintln!("report_compat: SKIPPED, {msg}");
    None
}

/// A report set with rows in all five tables: three scored calls, and a fourth transcript whose
/// findings are missing (an `errors` row). `score` exits 1 for that call.
fn write_report_set(tmp: &Path) -> PathBuf {
    let transcripts = tmp.join("transcripts");
    std::fs::create_dir_all(&transcripts).unwrap();
    for id in ["c0001", "c0002", "c0003"] {
        std::fs::copy(root().join(format!("fixtures/transcripts/asr/{id}.json")), transcripts.join(format!("{id}.json"))).unwrap();
    }
    let findings = tmp.join("findings");
    let o = callqa(&["scan", s(&transcripts), "--out", s(&findings)]);
    assert!(o.status.success(), "{}", text(&o));
    std::fs::remove_file(findings.join("c0003.findings.json")).unwrap();
    let reports = tmp.join("reports");
    let o = callqa(&[
        "score",
        "--transcripts",
        s(&transcripts),
        "--findings",
        s(&findings),
        "--manifest",
        "fixtures/audio/manifest.csv",
        "--out",
        s(tmp),
    ]);
    assert_eq!(o.status.code(), Some(1), "one call lacks its findings: {}", text(&o));
    reports
}

/// What the check script compares against: each table's columns and their README types.
fn schema_json(timezone: &str) -> String {
    fn cols<T: Table>() -> (String, serde_json::Value) {
        (T::NAME.to_owned(), T::COLUMNS.iter().map(|(c, t)| serde_json::json!([c, t])).collect())
    }
    let tables: serde_json::Map<String, serde_json::Value> =
        [cols::<CallRow>(), cols::<SegmentRow>(), cols::<FindingRow>(), cols::<ScorecardRow>(), cols::<ErrorRow>()].into_iter().collect();
    serde_json::json!({ "timezone": timezone, "tables": tables }).to_string()
}

fn check(python: &Path, reports: &Path, schema: &Path, extra: &[&str]) -> Output {
    Command::new(python)
        .arg(root().join("tests/compat/check_reports.py"))
        .args([s(reports), s(schema)])
        .args(extra)
        .output()
        .unwrap_or_else(|e| panic!("{}: {e}", python.display()))
}

#[test]
fn pyarrow_14_and_current_tools_read_every_table_with_its_types() {
    let Some((old, current)) = pythons() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let reports = write_report_set(tmp.path());
    let (meta, tables) = report::read(&reports).unwrap();
    assert!(!tables.calls.is_empty() && !tables.segments.is_empty() && !tables.findings.is_empty(), "{meta:?}");
    assert!(!tables.scorecards.is_empty() && !tables.errors.is_empty(), "{:?}", tables.errors);
    let schema = tmp.path().join("schema.json");
    std::fs::write(&schema, schema_json(&meta.timezone)).unwrap();

    let o = check(&old, &reports, &schema, &["--pyarrow-major", "14", "--readers", "pyarrow"]);
    assert!(o.status.success(), "pyarrow 14:\n{}", text(&o));
    eprint!("{}", text(&o));
    let o = check(&current, &reports, &schema, &["--readers", "pyarrow,pandas,duckdb,polars"]);
    assert!(o.status.success(), "current tools:\n{}", text(&o));
    eprint!("{}", text(&o));

    // The check has teeth: the same calls table as polars writes it by default (strings as
    // Arrow `string_view`, as callqa did before) is refused by pyarrow 14.
    let old_style = tmp.path().join("old-style");
    std::fs::create_dir_all(&old_style).unwrap();
    for f in std::fs::read_dir(&reports).unwrap() {
        let f = f.unwrap().path();
        // The tables and report.json; not the html/ folder.
        if f.is_file() {
            std::fs::copy(&f, old_style.join(f.file_name().unwrap())).unwrap();
        }
    }
    {
        use polars::prelude::*;
        let mut df = ParquetReader::new(std::fs::File::open(reports.join("calls.parquet")).unwrap()).finish().unwrap();
        ParquetWriter::new(std::fs::File::create(old_style.join("calls.parquet")).unwrap()).finish(&mut df).unwrap();
    }
    let o = check(&old, &old_style, &schema, &["--pyarrow-major", "14", "--readers", "pyarrow"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("calls.parquet: cannot read"), "{}", text(&o));
}
