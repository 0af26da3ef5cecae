//! The pages' models from report rows, and what the rendered pages hold.

use super::*;
use crate::report::tests::{sample_meta, sample_tables};

fn texts() -> Texts {
    Texts { redact: false }
}

#[test]
fn the_templates_parse() {
    let env = environment();
    for (name, _) in TEMPLATES {
        env.get_template(name).unwrap();
    }
}

#[test]
fn the_overview_lists_every_agent_of_the_newest_pay_period_with_its_grade() {
    let t = sample_tables();
    let o = model::overview(&t, texts());
    assert_eq!(o.selected, "2026-11");
    let p = &o.periods[0];
    assert!(p.pay_period);
    assert_eq!(p.rows.len(), 1);
    let r = &p.rows[0];
    assert_eq!((r.agent_id.as_str(), r.agent_name.as_str(), r.grade.as_str(), r.grade_class.as_str()), ("A1001", "王芳", "b", "good"));
    assert_eq!(r.page, "agent-A1001.html");
    assert_eq!(p.grades, [("b".to_owned(), 1)]);
    assert_eq!(o.top_rules[0].rule_id, "forbidden.reply");
    assert_eq!(o.errors.len(), 1);
}

#[test]
fn a_call_page_shows_its_transcript_with_the_matched_words_and_its_findings() {
    let mut t = sample_tables();
    let mut s = t.segments[0].clone();
    (s.index, s.start_ms, s.end_ms, s.text) = (1, 11_500, 14_000, "你自己去看吧".into());
    t.segments.push(s);
    let c = &t.calls[0];
    let segs: Vec<&SegmentRow> = t.segments.iter().filter(|s| s.call_id == c.call_id).collect();
    let fs: Vec<&FindingRow> = t.findings.iter().filter(|f| f.call_id == c.call_id).collect();
    let v = model::call(c, &segs, &fs, Some("../a.wav".into()), texts());
    assert_eq!(v.findings.len(), fs.len());
    let marked: Vec<&(String, bool)> = v.utterances.iter().flat_map(|u| u.parts.iter()).filter(|p| p.1).collect();
    assert_eq!(marked.len(), 1, "{:?}", v.utterances);
    assert_eq!(marked[0].0, fs[0].matched_text);
    assert!(v.timeline_svg.starts_with("<svg") && v.timeline_svg.contains("data-start"));
}

#[test]
fn highlighting_splits_text_without_markup() {
    assert_eq!(model::highlight("你自己去看吧", &["自己去看"]), [("你".to_owned(), false), ("自己去看".to_owned(), true), ("吧".to_owned(), false)]);
    assert_eq!(model::highlight("abc", &[]), [("abc".to_owned(), false)]);
    assert_eq!(model::highlight("", &["x"]), [(String::new(), false)]);
    // Overlapping marks merge.
    assert_eq!(model::highlight("abcdef", &["bcd", "cde"]), [("a".to_owned(), false), ("bcde".to_owned(), true), ("f".to_owned(), false)]);
}

#[test]
fn page_names_are_safe_and_distinct() {
    assert_eq!(model::call_page("c0001"), "call-c0001.html");
    let odd = model::call_page("../../etc/passwd");
    assert!(!odd.contains('/') && odd.starts_with("call-______etc_passwd-"), "{odd}");
    assert_ne!(model::call_page("a/b"), model::call_page("a_b"));
}

#[test]
fn rules_show_how_reviews_judged_them() {
    let mut t = sample_tables();
    let f = t.findings[0].clone();
    for verdict in ["reject", "reject", "confirm"] {
        let mut g = f.clone();
        g.review_verdict = Some(verdict.into());
        t.findings.push(g);
    }
    let r = model::rules(&t);
    // The sample finding was confirmed once already.
    assert_eq!((r[0].findings, r[0].reviewed, r[0].rejected, r[0].rejection_rate.as_str()), (4, 4, 2, "50 %"));
    assert!(r[0].needs_work);
}

#[test]
fn data_holding_markup_is_shown_as_text_in_every_page() {
    let mut t = sample_tables();
    let evil = r#"<script>alert(1)</script>"><img src=x onerror=alert(2)>"#;
    t.calls[0].agent_name = Some(evil.into());
    t.scorecards[0].agent_name = Some(evil.into());
    t.segments[0].text = evil.into();
    t.findings[0].rule_name = evil.into();
    t.findings[0].detail = evil.into();
    t.errors[0].reason = evil.into();
    let d = tempfile::tempdir().unwrap();
    let out = d.path().join("html");
    let s = write(&out, &sample_meta(), &t, HtmlOptions { audio: AudioMode::None, redact: false }).unwrap();
    assert!(s.pages >= 5, "{s:?}");
    for e in std::fs::read_dir(&out).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "html") {
            let html = std::fs::read_to_string(&p).unwrap();
            assert!(!html.contains("<script>alert") && !html.contains("<img src=x"), "{}", p.display());
        }
    }
    let call = std::fs::read_to_string(out.join(model::call_page(&t.calls[0].call_id))).unwrap();
    assert!(call.contains("&lt;script&gt;alert(1)&lt;/script&gt;"), "{call}");
    let index = std::fs::read_to_string(out.join("search-index.js")).unwrap();
    assert!(!index.contains("</script>"), "{index}");
}

#[test]
fn a_report_set_with_no_calls_or_only_errors_still_makes_pages() {
    let mut t = sample_tables();
    t.calls.clear();
    t.segments.clear();
    t.findings.clear();
    t.scorecards.clear();
    let d = tempfile::tempdir().unwrap();
    let out = d.path().join("html");
    write(&out, &sample_meta(), &t, HtmlOptions::default()).unwrap();
    let index = std::fs::read_to_string(out.join("index.html")).unwrap();
    assert!(index.contains("No calls were scored") && index.contains("name matches no pattern"), "{index}");
    t.errors.clear();
    write(&out, &sample_meta(), &t, HtmlOptions::default()).unwrap();
    assert!(std::fs::read_to_string(out.join("index.html")).unwrap().contains("None."));
}

#[test]
fn a_missing_recording_says_the_audio_is_unavailable() {
    let mut t = sample_tables();
    t.calls[0].path = "/no/such/recording.wav".into();
    let d = tempfile::tempdir().unwrap();
    let out = d.path().join("html");
    let s = write(&out, &sample_meta(), &t, HtmlOptions { audio: AudioMode::Link, redact: false }).unwrap();
    assert_eq!(s.audio_missing.len(), t.calls.len(), "{s:?}");
    let call = std::fs::read_to_string(out.join(model::call_page(&t.calls[0].call_id))).unwrap();
    assert!(call.contains("id=\"audio-unavailable\"") && !call.contains("<audio"), "{call}");
}

#[test]
fn a_reachable_recording_is_linked_relative_to_the_page_or_copied() {
    let mut t = sample_tables();
    let d = tempfile::tempdir().unwrap();
    let rec = d.path().join("rec dir/c 1.wav");
    std::fs::create_dir_all(rec.parent().unwrap()).unwrap();
    std::fs::copy(concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/audio/A1001_20261102-093015_c0001.wav"), &rec).unwrap();
    t.calls[0].path = rec.display().to_string();
    let out = d.path().join("run/reports/html");
    write(&out, &sample_meta(), &t, HtmlOptions { audio: AudioMode::Link, redact: false }).unwrap();
    let call = std::fs::read_to_string(out.join(model::call_page(&t.calls[0].call_id))).unwrap();
    // minijinja writes `/` in attributes as `&#x2f;`, which the browser reads back as `/`.
    assert!(call.replace("&#x2f;", "/").contains(r#"src="../../../rec%20dir/c%201.wav""#), "{call}");
    write(&out, &sample_meta(), &t, HtmlOptions { audio: AudioMode::Copy, redact: false }).unwrap();
    let call = std::fs::read_to_string(out.join(model::call_page(&t.calls[0].call_id))).unwrap();
    let wav = out.join("audio").join(model::page_name("audio", &t.calls[0].call_id).replace(".html", ".wav"));
    assert!(call.replace("&#x2f;", "/").contains("src=\"audio/") && wav.is_file(), "{call}");
    assert_eq!(hound::WavReader::open(&wav).unwrap().spec().sample_rate, 16_000);
}

#[test]
fn pages_follow_redaction() {
    let mut t = sample_tables();
    t.segments[0].text = "我的手机是13812345678".into();
    let d = tempfile::tempdir().unwrap();
    let out = d.path().join("html");
    write(&out, &sample_meta(), &t, HtmlOptions { audio: AudioMode::None, redact: true }).unwrap();
    let call = std::fs::read_to_string(out.join(model::call_page(&t.calls[0].call_id))).unwrap();
    assert!(!call.contains("13812345678") && call.contains("texts redacted"), "{call}");
    write(&out, &sample_meta(), &t, HtmlOptions { audio: AudioMode::None, redact: false }).unwrap();
    let call = std::fs::read_to_string(out.join(model::call_page(&t.calls[0].call_id))).unwrap();
    assert!(call.contains("13812345678") && call.contains("texts not redacted"), "{call}");
}
