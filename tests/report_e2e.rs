//! End-to-end through the real binary, without the model: `scan → score → scorecard →
//! examples --clips` over committed ASR transcripts of three fixture calls
//! (`fixtures/transcripts/asr/`, made by `callqa transcribe` from `fixtures/audio/`), and a
//! review that rejects a finding changing the scorecard.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use callqa::report::{self, Table};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn callqa(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_callqa")).args(args).current_dir(root()).output().expect("runs callqa")
}

fn text(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// Scans the ASR transcripts and scores them into `reports`.
fn scan_and_score(tmp: &Path, reports: &Path) -> Output {
    let findings = tmp.join("findings");
    let o = callqa(&["scan", "fixtures/transcripts/asr", "--out", s(&findings)]);
    assert!(o.status.success(), "{}", text(&o));
    callqa(&[
        "score",
        "--transcripts",
        "fixtures/transcripts/asr",
        "--findings",
        s(&findings),
        "--manifest",
        "fixtures/audio/manifest.csv",
        "--out",
        s(reports.parent().unwrap()),
    ])
}

#[test]
fn scan_score_scorecard_and_examples_with_clips() {
    let tmp = tempfile::tempdir().unwrap();
    let reports = tmp.path().join("reports");
    let o = scan_and_score(tmp.path(), &reports);
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("3 calls scored"), "{}", text(&o));

    // The report set reads back, with the documented columns, and CSV holds the same rows.
    let (meta, tables) = report::read(&reports).unwrap();
    assert_eq!(tables.calls.len(), 3);
    assert_eq!(meta.rubric_version, callqa::score::Rubric::default_embedded().version());
    let c2 = tables.calls.iter().find(|c| c.call_id == "c0002").unwrap();
    assert_eq!((c2.agent_id.as_str(), c2.agent_name.as_deref(), c2.team.as_deref()), ("A1002", Some("李强"), Some("T01")));
    assert_eq!(c2.started_at.to_string(), "2026-11-02T14:05:42+08:00[Asia/Shanghai]");
    assert!(c2.findings >= 5 && c2.score < 100.0, "{c2:?}");
    for (name, rows) in [
        ("calls", tables.calls.len()),
        ("segments", tables.segments.len()),
        ("findings", tables.findings.len()),
        ("scorecards", tables.scorecards.len()),
    ] {
        let csv = std::fs::read_to_string(reports.join(format!("{name}.csv"))).unwrap();
        let mut rdr = csv::Reader::from_reader(csv.as_bytes());
        assert_eq!(rdr.records().count(), rows, "{name}.csv");
    }
    let header = std::fs::read_to_string(reports.join("findings.csv")).unwrap();
    let header = header.strip_prefix('\u{feff}').expect("CSV starts with a byte-order mark by default");
    let want: Vec<&str> = report::FindingRow::COLUMNS.iter().map(|(c, _)| *c).collect();
    assert_eq!(header.lines().next().unwrap(), want.join(","));
    let calls = std::fs::read_to_string(reports.join("calls.csv")).unwrap();
    assert!(calls.contains(",2026-11-02 14:05:42+08:00,"), "local time in CSV: {calls}");

    // Scorecard for one agent and month.
    let o = callqa(&["scorecard", "--reports", s(&reports), "--agent", "A1002", "--period", "2026-11"]);
    assert!(o.status.success(), "{}", text(&o));
    let card = text(&o);
    assert!(card.contains("A1002") && card.contains("李强") && card.contains("findings by category: forbidden"), "{card}");
    let before = tables.scorecards.iter().find(|c| c.agent_id == "A1002" && c.period == "2026-11").unwrap().clone();

    // Coaching examples with clips: each clip is the finding's span ± 2 s of the recording.
    let clips = tmp.path().join("clips");
    let o = callqa(&["examples", "--reports", s(&reports), "--category", "forbidden", "--limit", "2", "--clips", s(&clips)]);
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(text(&o).matches("clip: ").count(), 2, "{}", text(&o));
    let mut wavs: Vec<_> = std::fs::read_dir(&clips).unwrap().map(|e| e.unwrap().path()).collect();
    wavs.sort();
    assert_eq!(wavs.len(), 2);
    for w in &wavs {
        let name = w.file_name().unwrap().to_string_lossy().into_owned();
        assert!(name.starts_with("A1002_c0002_forbidden."), "{name}");
        let r = hound::WavReader::open(w).unwrap();
        assert!(r.duration() >= 4 * 16_000, "{name}: {} samples", r.duration());
    }
    let o = callqa(&["examples", "--reports", s(&reports), "--category", "greeting", "--good"]);
    assert!(o.status.success() && text(&o).contains("c0001"), "{}", text(&o));

    // A review rejects the worst finding: it stops counting, the scorecard shows it, and the
    // audit column says who did it.
    let worst = tables
        .findings
        .iter()
        .filter(|f| f.call_id == "c0002" && f.status == "counted")
        .max_by(|a, b| a.deducted.total_cmp(&b.deducted))
        .unwrap()
        .clone();
    std::fs::write(tmp.path().join("reviews.csv"), format!("finding_id,verdict,reviewer,note\n{},reject,王主管,客户引用\n", worst.finding_id)).unwrap();
    let o = scan_and_score(tmp.path(), &reports);
    assert!(o.status.success(), "{}", text(&o));
    let (meta2, tables2) = report::read(&reports).unwrap();
    assert_ne!(meta2.run_id, meta.run_id, "a new review makes a new report set");
    let f = tables2.findings.iter().find(|f| f.finding_id == worst.finding_id).unwrap();
    assert_eq!((f.status.as_str(), f.deducted), ("rejected", 0.0));
    assert!(f.audit.as_deref().unwrap_or("").contains("王主管"), "{f:?}");
    let after = tables2.scorecards.iter().find(|c| c.agent_id == "A1002" && c.period == "2026-11").unwrap();
    assert_eq!(after.findings_rejected, before.findings_rejected + 1);
    assert!(after.deducted < before.deducted, "{} → {}", before.deducted, after.deducted);
}

/// `--csv-bom=false` drops the byte-order mark that CSV files start with by default, and
/// overrides `callqa.toml`; a bare `--csv-bom` puts it back.
#[test]
fn the_csv_bom_flag_overrides_the_default_and_the_config() {
    let tmp = tempfile::tempdir().unwrap();
    let findings = tmp.path().join("findings");
    let o = callqa(&["scan", "fixtures/transcripts/asr", "--out", s(&findings)]);
    assert!(o.status.success(), "{}", text(&o));
    let config = tmp.path().join("callqa.toml");
    std::fs::write(&config, "[reports]\ncsv_bom = false\n").unwrap();
    for (flags, bom) in [
        (&[][..], true),
        (&["--csv-bom=false"][..], false),
        (&["--csv-bom", "false"][..], false),
        (&["--config", s(&config)][..], false),
        (&["--config", s(&config), "--csv-bom"][..], true),
        (&["--config", s(&config), "--csv-bom=true"][..], true),
    ] {
        let reports = tmp.path().join("reports");
        let mut args = vec!["score", "--transcripts", "fixtures/transcripts/asr", "--findings", s(&findings), "--manifest", "fixtures/audio/manifest.csv", "--out", s(tmp.path())];
        args.extend_from_slice(flags);
        let o = callqa(&args);
        assert!(o.status.success(), "{flags:?}: {}", text(&o));
        let csv = std::fs::read(reports.join("calls.csv")).unwrap();
        assert_eq!(csv.starts_with(b"\xEF\xBB\xBF"), bom, "{flags:?}");
    }
    let r = tmp.path().join("r");
    let o = callqa(&["score", "--transcripts", "fixtures/transcripts/asr", "--findings", s(&findings), "--out", s(&r), "--csv-bom=maybe"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("--csv-bom"), "{}", text(&o));
}

#[test]
fn bad_inputs_to_the_report_commands_are_named() {
    let tmp = tempfile::tempdir().unwrap();
    let o = callqa(&["scorecard", "--reports", s(&tmp.path().join("nothing"))]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).contains("nothing") && text(&o).contains("report.json"), "{}", text(&o));

    let reports = tmp.path().join("reports");
    std::fs::create_dir_all(&reports).unwrap();
    std::fs::write(tmp.path().join("reviews.csv"), "finding_id,verdict,reviewer,note\nabc,maybe,王,\n").unwrap();
    let o = scan_and_score(tmp.path(), &reports);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("reviews.csv:2"), "{}", text(&o));

    // A review of a finding this report set does not hold (a mistyped id) is not applied in
    // silence: an errors row with file and line, a line on stderr, exit 1.
    std::fs::write(tmp.path().join("reviews.csv"), "finding_id,verdict,reviewer,note\nnot-a-finding,reject,王,申诉\n").unwrap();
    let o = scan_and_score(tmp.path(), &reports);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("not applied: ") && text(&o).contains("reviews.csv:2"), "{}", text(&o));
    let (_, tables) = report::read(&reports).unwrap();
    let e = tables.errors.iter().find(|e| e.stage == "review").unwrap_or_else(|| panic!("{:?}", tables.errors));
    assert!(e.file.ends_with("reviews.csv:2") && e.reason.contains("`not-a-finding`"), "{e:?}");
    std::fs::remove_file(tmp.path().join("reviews.csv")).unwrap();
    let o = scan_and_score(tmp.path(), &reports);
    assert!(o.status.success(), "{}", text(&o));

    // Filters that name nothing the report set holds: exit 2, listing what it holds.
    for (args, says) in [
        (vec!["examples", "--category", "forbiden"], "unknown category \"forbiden\"; the categories are"),
        (vec!["examples", "--rule", "forbidden.nope"], "the rules with findings are"),
        (vec!["examples", "--category", "forbidden", "--agent", "A9999"], "unknown agent \"A9999\"; this report set's agents are A1001 (王芳)"),
        (vec!["scorecard", "--agent", "A9999"], "unknown agent"),
        (vec!["scorecard", "--team", "T9"], "unknown team \"T9\"; this report set's teams are T01"),
        (vec!["scorecard", "--period", "2025-01"], "no calls in period 2025-01; this report set's months are 2026-11"),
    ] {
        let mut full = args.clone();
        full.extend(["--reports", s(&reports)]);
        let o = callqa(&full);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", text(&o));
        assert!(text(&o).contains(says), "{args:?}: {}", text(&o));
    }
    // One run per folder: while another callqa (here: this test's live pid) holds the lock,
    // a second one fails at once, exit 2, naming the holder.
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap_or_default();
    std::fs::write(tmp.path().join(".callqa.lock"), format!("{} {} 2026-12-03T00:00:00Z\n", std::process::id(), host.trim())).unwrap();
    let o = scan_and_score(tmp.path(), &reports);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("in use by another callqa") && text(&o).contains(&format!("pid {}", std::process::id())), "{}", text(&o));
    std::fs::remove_file(tmp.path().join(".callqa.lock")).unwrap();

    // … and as a person types them.
    let o = callqa(&["scorecard", "--reports", s(&reports), "--agent", "a1002", "--team", "t01"]);
    assert!(o.status.success() && text(&o).contains("李强"), "{}", text(&o));

    let o = callqa(&["score", "--transcripts", "fixtures/transcripts/asr", "--findings", s(tmp.path()), "--out", s(&tmp.path().join("r2"))]);
    assert_eq!(o.status.code(), Some(1), "missing findings fail the calls: {}", text(&o));
    let errors = std::fs::read_to_string(tmp.path().join("r2/reports/errors.csv")).unwrap();
    assert!(errors.contains("c0001.findings.json") && errors.contains("callqa scan"), "{errors}");
}

/// Each CSV of the report set in `run/reports` and its run id, or why the set cannot be read.
fn report_set(run: &Path) -> Result<Vec<(String, String)>, String> {
    let (meta, _) = report::read(&run.join("reports")).map_err(|e| e.to_string())?;
    let mut v: Vec<(String, String)> = ["calls", "segments", "findings", "scorecards", "errors"]
        .iter()
        .map(|n| (n.to_string(), std::fs::read_to_string(run.join(format!("reports/{n}.csv"))).unwrap()))
        .collect();
    v.push(("run_id".into(), meta.run_id));
    Ok(v)
}

/// kill -9 at any moment of `score` leaves the previous complete set or the new one in
/// `reports/`, never a mix and never none: the killed writer is swept from 0 ms to past its
/// end, writing set A over B and B over A in turn, and every readback is one of the two.
#[test]
fn a_report_write_killed_at_any_moment_leaves_a_whole_set() {
    let tmp = tempfile::tempdir().unwrap();
    let run = tmp.path().join("run");
    let findings = tmp.path().join("findings");
    let o = callqa(&["scan", "fixtures/transcripts/asr", "--out", s(&findings)]);
    assert!(o.status.success(), "{}", text(&o));
    let args = |reviews: Option<&Path>| {
        let mut a: Vec<String> = ["score", "--transcripts", "fixtures/transcripts/asr", "--findings", s(&findings), "--manifest", "fixtures/audio/manifest.csv", "--out", s(&run)]
            .iter()
            .map(|x| x.to_string())
            .collect();
        if let Some(r) = reviews {
            a.extend(["--reviews".to_string(), s(r).to_string()]);
        }
        a
    };
    let finished = |a: &[String]| {
        let o = Command::new(env!("CARGO_BIN_EXE_callqa")).args(a).current_dir(root()).output().unwrap();
        assert!(o.status.success(), "{}", text(&o));
        report_set(&run).unwrap()
    };
    let set_a = finished(&args(None));
    let (_, tables) = report::read(&run.join("reports")).unwrap();
    let reviews = tmp.path().join("reviews.csv");
    std::fs::write(&reviews, format!("finding_id,verdict,reviewer,note\n{},reject,王,申诉\n", tables.findings[0].finding_id)).unwrap();
    let set_b = finished(&args(Some(&reviews)));
    assert_ne!(set_a, set_b);

    let started = std::time::Instant::now();
    finished(&args(None));
    let full = started.elapsed();
    let (mut current, mut kept_old, mut got_new) = (set_a.clone(), 0, 0);
    for step in 0..24 {
        let (target, a) = if current == set_a { (&set_b, args(Some(&reviews))) } else { (&set_a, args(None)) };
        let mut child = Command::new(env!("CARGO_BIN_EXE_callqa"))
            .args(&a)
            .current_dir(root())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(full.mul_f64(step as f64 / 20.0));
        let _ = child.kill();
        let _ = child.wait();
        let got = report_set(&run).unwrap_or_else(|e| panic!("killed after {step}/20 of a write: {e}"));
        if &got == target {
            got_new += 1;
        } else {
            assert_eq!(got, current, "killed after {step}/20 of a write: neither the old set nor the new one");
            kept_old += 1;
        }
        current = got;
    }
    eprintln!("a write takes {full:?}; killed writers left the old set {kept_old} times, the new one {got_new} times");
    assert!(kept_old > 0 && got_new > 0, "the sweep must catch writers both before and after their switch ({kept_old} old, {got_new} new)");
    // The next complete write removes what the killed ones left.
    finished(&args(None));
    let mut left: Vec<String> = std::fs::read_dir(&run).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    left.sort();
    assert_eq!(left, ["reports"], "leftovers in the run folder");
}
