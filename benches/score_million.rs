//! Scoring at scale: 1,000,000 synthetic findings over 100,000 calls of 10,000 agents, scored
//! under the default rubric, then cut into day, week and month scorecards; then the findings
//! table built and written as Parquet. Prints wall time per step and the process's peak
//! resident memory. Target (issue 4): under 5 s and under 2 GB on the 2-core reference machine.
//!
//! `cargo bench --bench score_million`

use std::time::Instant;

use callqa::call::CallMeta;
use callqa::report::{FindingRow, Table, Target};
use callqa::rules::{Kind, RoleFilter, Severity};
use callqa::scan::Finding;
use callqa::score::{Adjustments, Bonuses, PeriodKind, Reviews, Rubric, Staff, score_call, scorecards};

const AGENTS: usize = 10_000;
const CALLS_PER_AGENT: usize = 10;
const FINDINGS_PER_CALL: usize = 10;

fn peak_rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<f64>().ok())
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

fn main() {
    let rubric = Rubric::default_embedded();
    let tz = jiff::tz::TimeZone::get("Asia/Shanghai").unwrap();
    let t0 = Instant::now();
    let start: jiff::Timestamp = "2026-11-01T01:00:00Z".parse().unwrap();
    let severities = [Severity::Minor, Severity::Minor, Severity::Minor, Severity::Medium, Severity::Severe];
    let categories = ["forbidden", "greeting", "closing", "politeness", "silence"];
    let mut calls: Vec<(CallMeta, Vec<Finding>)> = Vec::with_capacity(AGENTS * CALLS_PER_AGENT);
    for a in 0..AGENTS {
        for c in 0..CALLS_PER_AGENT {
            let call_id = format!("c{a:05}-{c:02}");
            let meta = CallMeta {
                call_id: call_id.clone(),
                path: format!("/rec/{call_id}.wav").into(),
                agent_id: format!("A{a:05}"),
                agent_name: None,
                team: Some(format!("T{:02}", a % 50)),
                started_at: start + jiff::SignedDuration::from_hours((c as i64) * 70 + (a % 24) as i64),
                direction: None,
                layout: None,
            };
            let findings = (0..FINDINGS_PER_CALL)
                .map(|k| {
                    let sev = severities[(a + c + k) % severities.len()];
                    let cat = categories[(a * 7 + k) % categories.len()];
                    Finding {
                        id: format!("{call_id}-{k}"),
                        call_id: call_id.clone(),
                        rule_id: format!("{cat}.r{}", k % 3),
                        rule_name: "规则".into(),
                        pack_version: "bench".into(),
                        category: cat.into(),
                        kind: Kind::Forbidden,
                        severity: sev,
                        points: sev.default_points(),
                        role: RoleFilter::Agent,
                        start_ms: k as u64 * 3000,
                        end_ms: k as u64 * 3000 + 1500,
                        matched_text: "你自己去看".into(),
                        normalized_text: "你自己去看".into(),
                        utterance: None,
                        before: None,
                        after: None,
                        more_utterances: Vec::new(),
                        trigger: None,
                        match_mode: None,
                        similarity: Some(1.0),
                        value: None,
                        detail: String::new(),
                    }
                })
                .collect();
            calls.push((meta, findings));
        }
    }
    let made = t0.elapsed();
    let total: usize = calls.iter().map(|(_, f)| f.len()).sum();
    println!("generated {total} findings over {} calls of {AGENTS} agents in {:.2} s", calls.len(), made.as_secs_f64());

    let reviews = Reviews::default();
    let t1 = Instant::now();
    let scores: Vec<_> = calls.iter().map(|(m, f)| score_call(&rubric, m, f, &reviews)).collect();
    let scored = t1.elapsed();
    let t2 = Instant::now();
    let mut cards = 0;
    for kind in [PeriodKind::Month, PeriodKind::Week, PeriodKind::Day] {
        cards += scorecards(&rubric, &scores, kind, &tz, &Adjustments::default(), &Bonuses::default(), &Staff::default()).len();
    }
    let carded = t2.elapsed();
    println!("score_call × {}: {:.2} s; {cards} scorecards (day, week, month): {:.2} s", scores.len(), scored.as_secs_f64(), carded.as_secs_f64());
    let scoring = scored + carded;
    println!("scoring total: {:.2} s (target < 5 s); peak memory so far {:.0} MiB (target < 2048)", scoring.as_secs_f64(), peak_rss_mib());

    let t3 = Instant::now();
    let rows: Vec<FindingRow> = calls
        .iter()
        .zip(&scores)
        .flat_map(|((m, fs), s)| {
            fs.iter().zip(&s.lines).map(move |(f, l)| FindingRow {
                run_id: "bench".into(),
                finding_id: f.id.clone(),
                call_id: f.call_id.clone(),
                agent_id: m.agent_id.clone(),
                rule_id: f.rule_id.clone(),
                rule_name: f.rule_name.clone(),
                pack_version: f.pack_version.clone(),
                category: f.category.clone(),
                kind: "forbidden".into(),
                severity: f.severity.to_string(),
                rubric_points: l.rubric_points,
                deducted: l.deducted,
                status: l.status.as_str().into(),
                reason: None,
                review_verdict: None,
                reviewer: None,
                audit: None,
                role: "agent".into(),
                start_ms: f.start_ms as i64,
                end_ms: f.end_ms as i64,
                matched_text: f.matched_text.clone(),
                normalized_text: f.normalized_text.clone(),
                match_mode: None,
                similarity: f.similarity.map(f64::from),
                value: None,
                detail: String::new(),
                utterance_start_ms: None,
                utterance_end_ms: None,
                utterance: None,
                context_before: None,
                context_after: None,
                trigger: None,
            })
        })
        .collect();
    let mut df = FindingRow::to_frame(&rows, &Target::parquet(&tz)).unwrap();
    let buf = callqa::report::parquet_bytes(&mut df).unwrap();
    println!(
        "findings table of {} rows built and written as Parquet ({:.0} MiB) in {:.2} s; peak memory {:.0} MiB",
        rows.len(),
        buf.len() as f64 / 1048576.0,
        t3.elapsed().as_secs_f64(),
        peak_rss_mib()
    );
}
