//! The HTML report at scale: a synthetic report set of 10,000 calls by 200 agents in one month
//! (20 utterances and 5 findings a call; day, week and month scorecards), written as the HTML
//! report. Prints the build time, the page count and the sizes of the pages people open first
//! (overview, search and its index). Target (issue 18): under 30 s on the 2-core reference
//! machine, overview and search page each under a few MB.
//!
//! `cargo bench --bench html`

use std::time::Instant;

use callqa::report::html::{AudioMode, HtmlOptions};
use callqa::report::{CallRow, FindingRow, ReportMeta, ScorecardRow, SegmentRow, Tables};

const AGENTS: usize = 200;
const CALLS: usize = 10_000;
const UTTERANCES: usize = 20;
const FINDINGS: usize = 5;

fn main() {
    let tz = jiff::tz::TimeZone::get("Asia/Shanghai").unwrap();
    let start: jiff::Timestamp = "2026-11-01T01:00:00Z".parse().unwrap();
    let mut t = Tables::default();
    let phrases = ["您好，请问有什么可以帮您？", "我想查一下上个月的账单，好像多扣了一笔钱。", "请您稍候，我帮您查询一下。", "这事不归我管，你自己去看吧。", "感谢您的来电，再见。"];
    let rules = [("forbidden.replying", "回复问题时忌语", "forbidden"), ("closing.thanks", "感谢来电", "closing"), ("greeting.latency", "接通3秒内问候", "greeting"), ("politeness.nin", "称呼“您”", "politeness"), ("silence.dead_air", "静默过长", "silence")];
    for i in 0..CALLS {
        let agent = format!("A{:04}", i % AGENTS);
        let call_id = format!("c{i:05}");
        let at = start + jiff::SignedDuration::from_mins((i as i64 * 29 * 24 * 60) / CALLS as i64);
        t.calls.push(CallRow {
            run_id: "bench".into(),
            call_id: call_id.clone(),
            path: format!("/recordings/{call_id}.wav"),
            agent_id: agent.clone(),
            agent_name: Some(format!("坐席{}", i % AGENTS)),
            team: Some(format!("T{:02}", i % AGENTS / 20)),
            started_at: at.to_zoned(tz.clone()),
            direction: Some("inbound".into()),
            layout: "agent-left".into(),
            duration_ms: 180_000,
            agent_speech_ms: 80_000,
            customer_speech_ms: 60_000,
            segments: UTTERANCES as i64,
            findings: FINDINGS as i64,
            findings_counted: FINDINGS as i64,
            findings_capped: 0,
            findings_rejected: 0,
            score_base: 100.0,
            deducted: 14.0,
            score: 86.0,
            fatal: false,
            pack_version: "bench".into(),
            rubric_version: "bench".into(),
            model_sha256: "bench".into(),
        });
        for u in 0..UTTERANCES {
            t.segments.push(SegmentRow {
                run_id: "bench".into(),
                call_id: call_id.clone(),
                index: u as i64,
                role: if u % 2 == 0 { "agent" } else { "customer" }.into(),
                start_ms: (u * 9_000) as i64,
                end_ms: (u * 9_000 + 7_000) as i64,
                text: phrases[u % phrases.len()].into(),
                avg_token_prob: 0.9,
                no_speech_prob: 0.01,
            });
        }
        for k in 0..FINDINGS {
            let (rule_id, rule_name, category) = rules[k];
            t.findings.push(FindingRow {
                run_id: "bench".into(),
                finding_id: format!("{call_id}-{k}"),
                call_id: call_id.clone(),
                agent_id: agent.clone(),
                rule_id: rule_id.into(),
                rule_name: rule_name.into(),
                pack_version: "bench".into(),
                category: category.into(),
                kind: "forbidden".into(),
                severity: "minor".into(),
                rubric_points: 2.0,
                deducted: 2.0,
                status: "counted".into(),
                reason: None,
                review_verdict: None,
                reviewer: None,
                audit: None,
                role: "agent".into(),
                start_ms: (k * 27_000) as i64,
                end_ms: (k * 27_000 + 2_000) as i64,
                matched_text: "你自己去看".into(),
                normalized_text: "你自己去看".into(),
                match_mode: Some("exact".into()),
                similarity: Some(1.0),
                value: None,
                detail: "".into(),
                utterance_start_ms: Some((k * 27_000) as i64),
                utterance_end_ms: Some((k * 27_000 + 7_000) as i64),
                utterance: Some("[agent] 这事不归我管，你自己去看吧。".into()),
                context_before: Some("[customer] 我想查一下上个月的账单。".into()),
                context_after: None,
                trigger: None,
            });
        }
    }
    // Scorecards: a month, five weeks and 29 days per agent.
    for a in 0..AGENTS {
        let periods: Vec<(String, &str, jiff::civil::Date)> = std::iter::once(("2026-11".to_owned(), "month", jiff::civil::date(2026, 11, 1)))
            .chain((44..49).map(|w| (format!("2026-W{w}"), "week", jiff::civil::date(2026, 11, 2))))
            .chain((1..30).map(|d| (format!("2026-11-{d:02}"), "day", jiff::civil::date(2026, 11, d))))
            .collect();
        for (period, kind, day) in periods {
            let month = kind == "month";
            t.scorecards.push(ScorecardRow {
                run_id: "bench".into(),
                period_kind: kind.into(),
                period,
                period_start: day,
                agent_id: format!("A{a:04}"),
                agent_name: Some(format!("坐席{a}")),
                team: Some(format!("T{:02}", a / 20)),
                calls: if month { 50 } else { 2 },
                findings_counted: 10,
                findings_capped: 0,
                findings_rejected: 0,
                minor: 10,
                medium: 0,
                severe: 0,
                fatal_findings: 0,
                base: 80.0,
                deducted: 20.0,
                escalation: 0.0,
                escalation_notes: String::new(),
                bonus: 5.0,
                bonus_items: "no_violation_above_minor".into(),
                adjustment: 0.0,
                adjustment_reason: None,
                adjusted_by: None,
                uncapped: 65.0,
                score: if month { 65.0 } else { 86.0 },
                grade: if month { "d".into() } else { String::new() },
                failed: false,
                fail_reason: String::new(),
                in_grace: false,
                pay_float: month.then_some(-150.0),
                rank_in_team: (a % 20 + 1) as i64,
                rank_overall: (a + 1) as i64,
                rubric_version: "bench".into(),
                pay_period: month,
                coverage: if month { "per 10 calls".into() } else { "view".into() },
                calls_scored: 50,
                sampled_calls: String::new(),
                scale: 0.2,
                mean_call_score: 86.0,
                categories: "forbidden 2, closing 2, greeting 2, politeness 2, silence 2".into(),
                raw_deducted: 100.0,
                bonus_names: "当月无中度及以上违规 +5".into(),
            });
        }
    }
    let meta = ReportMeta {
        format: callqa::report::REPORT_FORMAT,
        run_id: "bench".into(),
        generated_at: "2026-12-01T02:00:00+08:00".into(),
        producer: "callqa bench".into(),
        pack: "zh-cn".into(),
        pack_version: "bench".into(),
        rubric_version: "bench".into(),
        model_sha256: None,
        timezone: "Asia/Shanghai".into(),
        redacted: false,
        files: Vec::new(),
    };
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("html");
    let t0 = Instant::now();
    let summary = callqa::report::html::write(&out, &meta, &t, HtmlOptions { audio: AudioMode::None, redact: false }).unwrap();
    let secs = t0.elapsed().as_secs_f64();
    let size = |name: &str| std::fs::metadata(out.join(name)).map(|m| m.len() as f64 / 1e6).unwrap_or(f64::NAN);
    let total: u64 = std::fs::read_dir(&out).unwrap().filter_map(|e| e.ok()?.metadata().ok()).map(|m| m.len()).sum();
    println!(
        "html: {CALLS} calls, {AGENTS} agents, {} scorecards → {} pages in {secs:.1} s (target < 30 s); index.html {:.2} MB, search.html {:.2} MB, search-index.js {:.1} MB, all pages {:.0} MB",
        t.scorecards.len(),
        summary.pages,
        size("index.html"),
        size("search.html"),
        size("search-index.js"),
        total as f64 / 1e6
    );
}
