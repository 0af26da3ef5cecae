//! Worked examples from manual 001 (篇四 and 篇五), through `score_call` and `scorecards`.

use std::path::Path;

use jiff::tz::TimeZone;

use super::rubric::Coverage;
use super::*;
use crate::call::CallMeta;
use crate::rules::{Kind, RoleFilter, Severity};
use crate::finding::Finding;

fn finding(id: &str, rule_id: &str, category: &str, severity: Severity, points: u32) -> Finding {
    Finding {
        id: id.to_owned(),
        call_id: "c".to_owned(),
        rule_id: rule_id.to_owned(),
        rule_name: rule_id.to_owned(),
        pack_version: "t".to_owned(),
        category: category.to_owned(),
        kind: Kind::Forbidden,
        severity,
        points,
        role: RoleFilter::Agent,
        start_ms: 0,
        end_ms: 1000,
        matched_text: String::new(),
        normalized_text: String::new(),
        utterance: None,
        before: None,
        after: None,
        more_utterances: Vec::new(),
        trigger: None,
        match_mode: None,
        similarity: None,
        value: None,
        detail: String::new(),
    }
}

fn minor(id: &str) -> Finding {
    finding(id, "closing.goodbye", "closing", Severity::Minor, 2)
}

fn medium(id: &str) -> Finding {
    finding(id, "hold.unannounced", "hold", Severity::Medium, 10)
}

fn meta(call_id: &str, agent: &str, team: &str, at: &str) -> CallMeta {
    CallMeta {
        call_id: call_id.to_owned(),
        path: format!("{call_id}.wav").into(),
        agent_id: agent.to_owned(),
        agent_name: None,
        team: Some(team.to_owned()),
        started_at: at.parse().unwrap(),
        direction: None,
        layout: None,
    }
}

const NOV: &str = "2026-11-10T10:00:00+08:00";

fn shanghai() -> TimeZone {
    TimeZone::get("Asia/Shanghai").unwrap()
}

/// Monthly scorecards in Shanghai with the given supervisor files.
fn month(r: &Rubric, calls: &[CallScore], adj: &Adjustments, bon: &Bonuses, staff: &Staff) -> Vec<Scorecard> {
    scorecards(r, calls, PeriodKind::Month, &shanghai(), adj, bon, staff)
}

/// One agent's November scorecard from one call's findings, no supervisor input.
fn one(r: &Rubric, findings: &[Finding]) -> Scorecard {
    let c = score_call(r, &meta("c1", "A1", "T1", NOV), findings, &Reviews::default());
    let cards = month(r, &[c], &Adjustments::default(), &Bonuses::default(), &Staff::default());
    assert_eq!(cards.len(), 1);
    cards.into_iter().next().unwrap()
}

fn ten_point() -> Rubric {
    let mut r = Rubric::load(Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/rules/rubric-10pt.toml"))).unwrap();
    r.period.coverage = Coverage::All;
    r
}

/// The built-in rubric charging every call as it comes and escalating on occurrences: the
/// manual's arithmetic read per finding, for the worked examples that follow it (their calls
/// are the ones a supervisor spot-checked).
fn spot_check() -> Rubric {
    per_finding(Rubric::default_embedded(), Coverage::All)
}

fn per_finding(mut r: Rubric, coverage: Coverage) -> Rubric {
    r.period.coverage = coverage;
    for e in &mut r.escalations {
        e.counts = rubric::Counts::Findings;
    }
    r
}

#[test]
fn manual_example_91_is_a_with_plus_110() {
    // 001 篇四 四.3(b): 91 → +110. Base 80, no findings (automatic +5), exam full marks (+5),
    // supervisor +1 with a reason.
    let r = spot_check();
    let c = score_call(&r, &meta("c1", "A1", "T1", NOV), &[], &Reviews::default());
    let adj = Adjustments::from_str("agent_id,period,points,reason,by\nA1,2026-11,1,带教新人,组长\n", Path::new("a.csv"), &r).unwrap();
    let bon = Bonuses::from_str("agent_id,period,item,by\nA1,2026-11,exam_full_marks,培训专员\n", Path::new("b.csv"), &r).unwrap();
    let card = &month(&r, &[c], &adj, &bon, &Staff::default())[0];
    assert_eq!((card.base, card.bonus, card.adjustment, card.score), (80.0, 10.0, 1.0, 91.0));
    assert_eq!(card.bonus_items, "no_violation_above_minor,exam_full_marks");
    assert_eq!(card.adjustment_reason.as_deref(), Some("带教新人"));
    assert_eq!((card.grade.as_str(), card.pay_float, card.failed), ("a", Some(110.0), false));
    assert_eq!(card.period, "2026-11");
}

#[test]
fn manual_example_68_loses_120() {
    // 001 篇四 四.3(c): 68 → −120. One medium (10) and one minor (2): 80 − 12.
    let card = one(&spot_check(), &[medium("m1"), minor("n1")]);
    assert_eq!((card.deducted, card.escalation, card.bonus, card.score), (12.0, 0.0, 0.0, 68.0));
    assert_eq!((card.medium, card.minor), (1, 1));
    assert_eq!((card.grade.as_str(), card.pay_float, card.failed), ("d", Some(-120.0), false));
}

#[test]
fn a_fatal_finding_fails_the_period() {
    let r = spot_check();
    let c = score_call(&r, &meta("c1", "A1", "T1", NOV), &[finding("f1", "hangup.phone_off_hook", "hangup", Severity::Fatal, 0)], &Reviews::default());
    assert!(c.fatal);
    assert_eq!((c.lines[0].status, c.lines[0].deducted, c.deducted), (LineStatus::Fatal, 0.0, 0.0));
    let card = &month(&r, &[c], &Adjustments::default(), &Bonuses::default(), &Staff::default())[0];
    assert!(card.failed);
    assert_eq!((card.fatal, card.grade.as_str(), card.fail_reason.as_str()), (1, "fail", "1 fatal finding(s)"));
    assert_eq!(card.bonus, 0.0, "a fatal finding is above minor: no automatic bonus");
    // Below 60 fails too.
    let low = one(&r, &[medium("m1"), medium("m2"), minor("n1")]);
    assert_eq!((low.score, low.failed, low.grade.as_str()), (38.0, true, "fail"));
}

#[test]
fn full_marks_cap_at_110() {
    let r = spot_check();
    let c = score_call(&r, &meta("c1", "A1", "T1", NOV), &[], &Reviews::default());
    let adj = Adjustments::from_str("agent_id,period,points,reason,by\nA1,2026-11,5,表现突出,组长\n", Path::new("a.csv"), &r).unwrap();
    let bon = Bonuses::from_str(
        "agent_id,period,item,by\nA1,2026-11,exam_full_marks,x\nA1,2026-11,extra_shift,x\nA1,2026-11,extra_shift,x\nA1,2026-11,extra_work,x\n",
        Path::new("b.csv"),
        &r,
    )
    .unwrap();
    let card = &month(&r, &[c], &adj, &bon, &Staff::default())[0];
    assert_eq!((card.uncapped, card.score), (110.0, 110.0));
    // One more item: 115 before the cap.
    let c = score_call(&r, &meta("c1", "A1", "T1", NOV), &[], &Reviews::default());
    let bon2 = Bonuses::from_str(
        "agent_id,period,item,by\nA1,2026-11,exam_full_marks,x\nA1,2026-11,extra_shift,x\nA1,2026-11,extra_shift,x\nA1,2026-11,extra_work,x\nA1,2026-11,top_of_team,x\n",
        Path::new("b.csv"),
        &r,
    )
    .unwrap();
    let card = &month(&r, &[c], &adj, &bon2, &Staff::default())[0];
    assert_eq!((card.uncapped, card.score, card.grade.as_str(), card.pay_float), (115.0, 110.0, "a", Some(300.0)));
}

#[test]
fn escalation_at_two_medium_or_four_minor() {
    let r = spot_check();
    let two_medium = one(&r, &[medium("m1"), medium("m2")]);
    assert_eq!((two_medium.deducted, two_medium.escalation, two_medium.score), (20.0, 20.0, 40.0));
    assert_eq!(two_medium.escalation_notes, "当月未良好履行客服人员的工作职责 −20");
    let one_medium = one(&r, &[medium("m1")]);
    assert_eq!((one_medium.escalation, one_medium.score), (0.0, 70.0));
    let four_minor = one(&r, &[minor("a"), minor("b"), minor("c"), minor("d")]);
    assert_eq!((four_minor.deducted, four_minor.escalation, four_minor.bonus, four_minor.score), (8.0, 20.0, 5.0, 57.0));
    let three_minor = one(&r, &[minor("a"), minor("b"), minor("c")]);
    assert_eq!((three_minor.escalation, three_minor.score), (0.0, 79.0));
    // Both conditions: the extra is added once.
    let both = one(&r, &[medium("m1"), medium("m2"), minor("a"), minor("b"), minor("c"), minor("d")]);
    assert_eq!(both.escalation, 20.0);
}

#[test]
fn escalation_counts_across_the_periods_calls() {
    let r = spot_check();
    let calls = [
        score_call(&r, &meta("c1", "A1", "T1", "2026-11-03T10:00:00+08:00"), &[medium("m1")], &Reviews::default()),
        score_call(&r, &meta("c2", "A1", "T1", "2026-11-20T10:00:00+08:00"), &[medium("m2")], &Reviews::default()),
    ];
    let card = &month(&r, &calls, &Adjustments::default(), &Bonuses::default(), &Staff::default())[0];
    assert_eq!((card.calls, card.deducted, card.escalation, card.score), (2, 20.0, 20.0, 40.0));
}

#[test]
fn ten_point_scheme_escalates_by_complaint_count() {
    // 001 篇五 2.3(6): 1 point per complaint, 5 at three, 10 at five.
    let r = ten_point();
    let rude = |n: usize| -> Vec<Finding> {
        (0..n).map(|i| finding(&format!("r{i}"), "forbidden.replying", "forbidden", Severity::Minor, 5)).collect()
    };
    let total = |n: usize| {
        let c = one(&r, &rude(n));
        (c.deducted + c.escalation, c.score, c.grade)
    };
    assert_eq!(total(1), (1.0, 9.0, "ok".to_owned()));
    assert_eq!(total(2), (2.0, 8.0, "ok".to_owned()));
    assert_eq!(total(3), (5.0, 5.0, "warning".to_owned()));
    assert_eq!(total(4), (5.0, 5.0, "warning".to_owned()));
    assert_eq!(total(5), (10.0, 0.0, "penalty".to_owned()));
    let c = one(&r, &rude(3));
    assert_eq!((c.deducted, c.escalation, c.escalation_notes.as_str()), (3.0, 2.0, "服务态度恶劣 −2"));
    assert_eq!((c.pay_float, c.failed), (None, false));
    // Severities use the rubric's own table, not the pack's 100-point values.
    let c = one(&r, &[medium("m1")]);
    assert_eq!(c.score, 9.0);
}

#[test]
fn a_rejected_finding_stops_counting_and_keeps_its_audit() {
    let r = spot_check();
    let findings = [medium("m1"), minor("n1")];
    let reviews = Reviews::from_str(
        "finding_id,verdict,reviewer,note\nm1,confirm,李明,属实\nm1,reject,王芳,申诉成立：ASR 识别错误\nn1,confirm,李明,属实\n",
        Path::new("reviews.csv"),
    )
    .unwrap();
    let before = score_call(&r, &meta("c1", "A1", "T1", NOV), &findings, &Reviews::default());
    let after = score_call(&r, &meta("c1", "A1", "T1", NOV), &findings, &reviews);
    assert_eq!((before.deducted, before.score), (12.0, 88.0));
    assert_eq!((after.deducted, after.score, after.findings_rejected, after.findings_counted), (2.0, 98.0, 1, 1));
    let m1 = &after.lines[0];
    assert_eq!((m1.status, m1.deducted, m1.rubric_points), (LineStatus::Rejected, 0.0, 10.0));
    assert_eq!((m1.verdict, m1.reviewer.as_deref()), (Some(Verdict::Reject), Some("王芳")));
    assert_eq!(m1.audit, "rejected by 王芳: 申诉成立：ASR 识别错误 (overrides: confirmed by 李明: 属实)");
    let n1 = &after.lines[1];
    assert_eq!((n1.status, n1.verdict, n1.audit.as_str()), (LineStatus::Counted, Some(Verdict::Confirm), "confirmed by 李明: 属实"));
    let card = &month(&r, &[after], &Adjustments::default(), &Bonuses::default(), &Staff::default())[0];
    // No standing finding above minor now: the automatic bonus comes back.
    assert_eq!((card.deducted, card.bonus, card.score, card.findings_rejected), (2.0, 5.0, 83.0, 1));
}

#[test]
fn new_staff_in_grace_get_no_pay_float() {
    let r = spot_check();
    let staff = Staff::from_str("agent_id,hired_on\nA1,2026-10-08\nA2,2026-01-05\n", Path::new("staff.csv")).unwrap();
    let calls = [
        score_call(&r, &meta("c1", "A1", "T1", NOV), &[medium("m1")], &Reviews::default()),
        score_call(&r, &meta("c2", "A2", "T1", NOV), &[medium("m2")], &Reviews::default()),
    ];
    let cards = month(&r, &calls, &Adjustments::default(), &Bonuses::default(), &staff);
    let a1 = cards.iter().find(|c| c.agent_id == "A1").unwrap();
    let a2 = cards.iter().find(|c| c.agent_id == "A2").unwrap();
    assert_eq!((a1.in_grace, a1.score, a1.grade.as_str(), a1.pay_float), (true, 70.0, "c", None));
    assert_eq!((a2.in_grace, a2.pay_float), (false, Some(-100.0)));
    // Grace ends 2026-12-08: December starts before it (still in grace), January after.
    let dec = score_call(&r, &meta("c3", "A1", "T1", "2026-12-10T10:00:00+08:00"), &[], &Reviews::default());
    let jan = score_call(&r, &meta("c4", "A1", "T1", "2027-01-10T10:00:00+08:00"), &[], &Reviews::default());
    let cards = month(&r, &[dec, jan], &Adjustments::default(), &Bonuses::default(), &staff);
    assert_eq!(cards.iter().map(|c| (c.period.as_str(), c.in_grace)).collect::<Vec<_>>(), [("2026-12", true), ("2027-01", false)]);
}

#[test]
fn periods_cut_in_the_site_time_zone() {
    // 2026-11-30T23:30+08:00 is November in Shanghai; it is 2026-11-30T15:30Z. A call at
    // 00:30 on 1 December in Shanghai is November in UTC but December in Shanghai.
    let r = spot_check();
    let calls = [
        score_call(&r, &meta("c1", "A1", "T1", "2026-11-30T15:30:00Z"), &[], &Reviews::default()),
        score_call(&r, &meta("c2", "A1", "T1", "2026-11-30T16:30:00Z"), &[], &Reviews::default()),
    ];
    let none = (Adjustments::default(), Bonuses::default(), Staff::default());
    let sh = scorecards(&r, &calls, PeriodKind::Month, &shanghai(), &none.0, &none.1, &none.2);
    assert_eq!(sh.iter().map(|c| (c.period.as_str(), c.calls)).collect::<Vec<_>>(), [("2026-11", 1), ("2026-12", 1)]);
    let utc = scorecards(&r, &calls, PeriodKind::Month, &TimeZone::UTC, &none.0, &none.1, &none.2);
    assert_eq!(utc.iter().map(|c| (c.period.as_str(), c.calls)).collect::<Vec<_>>(), [("2026-11", 2)]);
    let weeks = scorecards(&r, &calls, PeriodKind::Week, &shanghai(), &none.0, &none.1, &none.2);
    assert_eq!(weeks.iter().map(|c| c.period.as_str()).collect::<Vec<_>>(), ["2026-W49"]);
    let days = scorecards(&r, &calls, PeriodKind::Day, &shanghai(), &none.0, &none.1, &none.2);
    assert_eq!(days.iter().map(|c| c.period.as_str()).collect::<Vec<_>>(), ["2026-11-30", "2026-12-01"]);
    // An adjustment names the period as the site sees it.
    let adj = Adjustments::from_str("agent_id,period,points,reason,by\nA1,2026-12,-2,x,y\n", Path::new("a.csv"), &r).unwrap();
    let sh = scorecards(&r, &calls, PeriodKind::Month, &shanghai(), &adj, &none.1, &none.2);
    assert_eq!((sh[0].adjustment, sh[1].adjustment), (0.0, -2.0));
}

#[test]
fn ranks_with_ties_within_team_and_overall() {
    let r = spot_check();
    let call = |id: &str, agent: &str, team: &str, f: Vec<Finding>| score_call(&r, &meta(id, agent, team, NOV), &f, &Reviews::default());
    let calls = [
        call("c1", "A1", "T1", vec![medium("m1")]),                           // 70
        call("c2", "A2", "T1", vec![medium("m2")]),                           // 70
        call("c3", "A3", "T1", vec![]),                                       // 85
        call("c4", "B1", "T2", vec![minor("n1")]),                            // 83
        call("c5", "B2", "T2", vec![finding("f", "x", "hangup", Severity::Fatal, 0)]), // failed, 80
    ];
    let cards = month(&r, &calls, &Adjustments::default(), &Bonuses::default(), &Staff::default());
    let got: Vec<(&str, f64, u32, u32)> = cards.iter().map(|c| (c.agent_id.as_str(), c.score, c.team_rank, c.rank)).collect();
    assert_eq!(
        got,
        [("A1", 70.0, 2, 3), ("A2", 70.0, 2, 3), ("A3", 85.0, 1, 1), ("B1", 83.0, 1, 2), ("B2", 80.0, 2, 5)]
    );
}

#[test]
fn occurrence_caps_per_rule_and_per_call() {
    let text = spot_check();
    let mut r = text.clone();
    r.call.max_per_rule = Some(2);
    let c = score_call(&r, &meta("c1", "A1", "T1", NOV), &[minor("a"), minor("b"), minor("c"), medium("m")], &Reviews::default());
    assert_eq!(c.lines.iter().map(|l| l.status).collect::<Vec<_>>(), [LineStatus::Counted, LineStatus::Counted, LineStatus::Capped, LineStatus::Counted]);
    assert_eq!(c.lines[2].reason, "over the cap of 2 per call for rule closing.goodbye");
    assert_eq!((c.deducted, c.findings_capped), (14.0, 1));
    r.call.max_per_rule = None;
    r.call.max_findings = Some(1);
    let c = score_call(&r, &meta("c1", "A1", "T1", NOV), &[minor("a"), medium("m")], &Reviews::default());
    assert_eq!((c.deducted, c.lines[1].reason.as_str()), (2.0, "over the cap of 1 findings per call"));
    // An override caps one rule and sets its points; a rejected finding uses no cap.
    let src = super::rubric::DEFAULT_RUBRIC.replace(
        "[[escalation]]",
        "[[override]]\nrule = \"closing.goodbye\"\npoints = 1\nmax_per_call = 1\n\n[[escalation]]",
    );
    let r = Rubric::from_str(&src, Path::new("r.toml")).unwrap();
    let reviews = Reviews::from_str("finding_id,verdict,reviewer,note\na,reject,王芳,误报\n", Path::new("x.csv")).unwrap();
    let c = score_call(&r, &meta("c1", "A1", "T1", NOV), &[minor("a"), minor("b"), minor("c")], &reviews);
    assert_eq!(c.lines.iter().map(|l| l.status).collect::<Vec<_>>(), [LineStatus::Rejected, LineStatus::Counted, LineStatus::Capped]);
    assert_eq!((c.deducted, c.score), (1.0, 99.0));
}

#[test]
fn outputs_serialise_as_flat_rows() {
    let r = spot_check();
    let c = score_call(&r, &meta("c1", "A1", "T1", NOV), &[minor("a")], &Reviews::default());
    let line = serde_json::to_value(&c.lines[0]).unwrap();
    assert_eq!((line["status"].as_str(), line["severity"].as_str()), (Some("counted"), Some("minor")));
    let card = serde_json::to_value(&month(&r, &[c], &Adjustments::default(), &Bonuses::default(), &Staff::default())[0]).unwrap();
    assert!(card.as_object().unwrap().values().all(|v| !v.is_object() && !v.is_array()), "{card}");
    assert_eq!(card["period_kind"], "month");
}

// ---- full coverage ----

/// `n` calls of one agent in November, each with the given findings.
fn calls_with(r: &Rubric, agent: &str, n: usize, each: impl Fn(usize) -> Vec<Finding>) -> Vec<CallScore> {
    (0..n)
        .map(|i| {
            let at = format!("2026-11-{:02}T{:02}:{:02}:00+08:00", 1 + i % 28, 8 + i % 10, i % 60);
            score_call(r, &meta(&format!("{agent}-c{i:03}"), agent, "T1", &at), &each(i), &Reviews::default())
        })
        .collect()
}

fn november(r: &Rubric, calls: &[CallScore]) -> Vec<Scorecard> {
    month(r, calls, &Adjustments::default(), &Bonuses::default(), &Staff::default())
}

#[test]
fn the_default_scores_the_rate_not_the_volume() {
    // 200 calls each with one minor finding, and 10 such calls: the same month score.
    let r = Rubric::default_embedded();
    assert_eq!(r.period.coverage, Coverage::Normalised { calls: 10 });
    let busy = november(&r, &calls_with(&r, "A1", 200, |i| vec![minor(&format!("b{i}"))]));
    let quiet = november(&r, &calls_with(&r, "A2", 10, |i| vec![minor(&format!("q{i}"))]));
    let (b, q) = (&busy[0], &quiet[0]);
    assert_eq!((b.calls, q.calls), (200, 10));
    assert_eq!((b.raw_deducted, q.raw_deducted), (400.0, 20.0));
    assert_eq!((b.deducted, b.escalation, b.score), (q.deducted, q.escalation, q.score));
    // Ten minor findings per ten calls: 20 points; one category, so no 当月 escalation (it
    // counts four categories); no medium finding, so the 当月无中度及以上违规 bonus.
    assert_eq!((q.deducted, q.escalation, q.bonus, q.score, q.coverage.as_str()), (20.0, 0.0, 5.0, 65.0, "per 10 calls"));
    assert_eq!(b.scale, 0.05);
    // Escalating on occurrences instead, both escalate alike.
    let r = per_finding(Rubric::default_embedded(), Coverage::Normalised { calls: 10 });
    let busy = november(&r, &calls_with(&r, "A1", 200, |i| vec![minor(&format!("b{i}"))]));
    let quiet = november(&r, &calls_with(&r, "A2", 10, |i| vec![minor(&format!("q{i}"))]));
    assert_eq!((busy[0].escalation, busy[0].score), (20.0, 45.0));
    assert_eq!((quiet[0].escalation, quiet[0].score), (20.0, 45.0));
    // Under the manual's arithmetic the busy agent would be far below zero.
    let all = november(&spot_check(), &calls_with(&spot_check(), "A1", 200, |i| vec![minor(&format!("b{i}"))]));
    assert_eq!(all[0].score, 80.0 - 400.0 - 20.0 + 5.0);
}

#[test]
fn normalised_counts_decide_escalations_and_bonuses() {
    let r = Rubric::default_embedded();
    // One minor finding in 20 calls: half a finding per 10 calls; no escalation, and the
    // no-medium bonus holds.
    let cards = november(&r, &calls_with(&r, "A1", 20, |i| if i == 0 { vec![minor("x")] } else { vec![] }));
    let c = &cards[0];
    assert_eq!((c.deducted, c.escalation, c.bonus, c.score), (1.0, 0.0, 5.0, 84.0));
    // One medium finding in 20 calls loses the bonus only from half a finding per 10 calls on.
    let cards = november(&r, &calls_with(&r, "A1", 40, |i| if i == 0 { vec![medium("m")] } else { vec![] }));
    assert_eq!((cards[0].deducted, cards[0].bonus), (2.5, 5.0));
    let cards = november(&r, &calls_with(&r, "A1", 20, |i| if i == 0 { vec![medium("m")] } else { vec![] }));
    assert_eq!((cards[0].deducted, cards[0].bonus), (5.0, 0.0));
    // Counting occurrences, two medium findings per ten calls escalate, however many calls.
    let f = per_finding(Rubric::default_embedded(), Coverage::Normalised { calls: 10 });
    let cards = november(&f, &calls_with(&f, "A1", 50, |i| if i % 5 == 0 { vec![medium(&format!("m{i}"))] } else { vec![] }));
    assert_eq!((cards[0].raw_deducted, cards[0].deducted, cards[0].escalation), (100.0, 20.0, 20.0));
    // Counting categories (the default), four categories with minor findings escalate — each
    // when a spot check of ten would most likely hear it (half a finding per ten calls).
    let cat = |i: usize, c: &str| finding(&format!("{c}{i}"), &format!("{c}.rule"), c, Severity::Minor, 2);
    let four = |every: usize| {
        move |i: usize| if i % every == 0 { ["greeting", "closing", "politeness", "speech_rate"].iter().map(|c| cat(i, c)).collect() } else { vec![] }
    };
    assert_eq!(november(&r, &calls_with(&r, "A1", 40, four(8)))[0].escalation, 20.0, "5 each in 40 calls: 1.25 per 10");
    assert_eq!(november(&r, &calls_with(&r, "A1", 40, four(20)))[0].escalation, 20.0, "2 each in 40 calls: 0.5 per 10");
    assert_eq!(november(&r, &calls_with(&r, "A1", 40, four(40)))[0].escalation, 0.0, "1 each in 40 calls: 0.25 per 10");
    assert_eq!(november(&r, &calls_with(&r, "A1", 60, four(30)))[0].escalation, 0.0, "2 each in 60 calls: 0.33 per 10");
    assert_eq!(november(&r, &calls_with(&r, "A1", 3, four(3)))[0].escalation, 20.0, "one call with all four");
}

#[test]
fn a_fatal_finding_fails_the_period_under_every_coverage() {
    for coverage in [Coverage::Normalised { calls: 10 }, Coverage::Sample { calls: 3 }, Coverage::All] {
        let mut r = Rubric::default_embedded();
        r.period.coverage = coverage;
        // The fatal finding is in the last of 200 calls: outside most samples, and a tiny rate.
        let calls = calls_with(&r, "A1", 200, |i| if i == 199 { vec![finding("f", "sleep", "conduct", Severity::Fatal, 0)] } else { vec![] });
        let c = &november(&r, &calls)[0];
        assert!(c.failed && c.fatal == 1, "{coverage:?}: {c:?}");
        assert_eq!(c.grade, "fail", "{coverage:?}");
    }
}

#[test]
fn full_marks_still_cap_the_score() {
    let r = Rubric::default_embedded();
    let calls = calls_with(&r, "A1", 30, |_| vec![]);
    let adj = Adjustments::from_str("agent_id,period,points,reason,by\nA1,2026-11,5,顶班,李\n", Path::new("a.csv"), &r).unwrap();
    let bon = Bonuses::from_str(
        "agent_id,period,item,by\nA1,2026-11,extra_shift,李\nA1,2026-11,extra_shift,李\nA1,2026-11,extra_work,李\nA1,2026-11,exam_full_marks,李\nA1,2026-11,zero_complaints,李\n",
        Path::new("b.csv"),
        &r,
    )
    .unwrap();
    let c = &month(&r, &calls, &adj, &bon, &Staff::default())[0];
    assert_eq!((c.uncapped, c.score, c.grade.as_str()), (80.0 + 5.0 + 25.0 + 5.0, 110.0, "a"));
    assert!(c.bonus_names.contains("当月无中度及以上违规 +5") && c.bonus_names.contains("突发情况或活动期间主动顶班 +5"), "{}", c.bonus_names);
}

#[test]
fn a_sample_is_deterministic_listed_and_scored_as_the_manual_does() {
    let mut r = Rubric::default_embedded();
    r.period.coverage = Coverage::Sample { calls: 5 };
    let calls = calls_with(&r, "A1", 40, |i| vec![minor(&format!("m{i}"))]);
    let c = &november(&r, &calls)[0];
    assert_eq!((c.calls, c.calls_scored, c.scale), (40, 5, 1.0));
    assert_eq!(c.coverage, "sample of 5 calls");
    let picked: Vec<&str> = c.sampled_calls.split(',').collect();
    assert_eq!(picked.len(), 5);
    // Scored as the manual: five minor findings, 10 points; all of one category, so no 当月
    // escalation (four categories), which counting occurrences would add.
    assert_eq!((c.findings_counted, c.deducted, c.escalation), (5, 10.0, 0.0));
    let f = per_finding(r.clone(), r.period.coverage);
    assert_eq!(november(&f, &calls)[0].escalation, 20.0);
    // The same calls in any order, and in a shard holding only some of the agent's other calls.
    let mut reversed = calls.clone();
    reversed.reverse();
    assert_eq!(november(&r, &reversed)[0].sampled_calls, c.sampled_calls);
    let refs: Vec<&CallScore> = calls.iter().collect();
    let again: Vec<String> = card::sample("2026-11", "A1", &refs, 5).iter().map(|c| c.call_id.clone()).collect();
    assert_eq!(again.join(","), c.sampled_calls);
    // Another agent or month draws other calls.
    assert_ne!(card::sample("2026-12", "A1", &refs, 5).iter().map(|c| c.call_id.as_str()).collect::<Vec<_>>(), picked);
    // Fewer calls than the sample: every call.
    let few = november(&r, &calls_with(&r, "A2", 3, |_| vec![]));
    assert_eq!((few[0].calls_scored, few[0].sampled_calls.split(',').count()), (3, 3));
}

#[test]
fn days_and_weeks_are_views_without_pay_arithmetic() {
    let r = Rubric::default_embedded();
    // Five minor findings and two medium on one day: the month would escalate; a day does not.
    let calls = vec![
        score_call(&r, &meta("c1", "A1", "T1", NOV), &[minor("a"), minor("b"), minor("c"), medium("m1")], &Reviews::default()),
        score_call(&r, &meta("c2", "A1", "T1", NOV), &[minor("d"), minor("e"), medium("m2")], &Reviews::default()),
    ];
    for kind in [PeriodKind::Day, PeriodKind::Week] {
        let c = &scorecards(&r, &calls, kind, &shanghai(), &Adjustments::default(), &Bonuses::default(), &Staff::default())[0];
        assert!(!c.pay_period && c.coverage == "view", "{kind}");
        assert_eq!((c.escalation, c.bonus, c.pay_float, c.grade.as_str()), (0.0, 0.0, None, ""), "{kind}");
        // Mean call score: (100 − 16 + 100 − 14) / 2.
        assert_eq!((c.score, c.mean_call_score, c.deducted), (85.0, 85.0, 30.0), "{kind}");
        assert_eq!((c.minor, c.medium, c.categories.as_str()), (5, 2, "closing 5, hold 2"), "{kind}");
        assert!(!c.failed);
    }
    let r = per_finding(r, Coverage::Normalised { calls: 10 });
    let m = &november(&r, &calls)[0];
    assert!(m.pay_period && m.escalation == 20.0 && m.pay_float.is_some());
    // The pay period is the rubric's choice.
    let mut weekly = r.clone();
    weekly.period.pay_period = PeriodKind::Week;
    let w = &scorecards(&weekly, &calls, PeriodKind::Week, &shanghai(), &Adjustments::default(), &Bonuses::default(), &Staff::default())[0];
    assert!(w.pay_period && w.escalation == 20.0);
    assert!(!november(&weekly, &calls)[0].pay_period);
}

fn said(id: &str, rule: &str, index: usize) -> Finding {
    let mut f = finding(id, rule, "forbidden", Severity::Minor, 5);
    f.utterance = Some(crate::scan::Utterance { index, role: crate::shared::Role::Agent, start_ms: 0, end_ms: 1000, text: "有没有搞错，说那么大声".into() });
    f
}

#[test]
fn one_utterance_is_charged_once_per_category() {
    let r = Rubric::default_embedded();
    let fs = [said("a", "forbidden.reply", 3), said("b", "forbidden.other", 3), said("c", "forbidden.other", 4)];
    let c = score_call(&r, &meta("c1", "A1", "T1", NOV), &fs, &Reviews::default());
    let status: Vec<LineStatus> = c.lines.iter().map(|l| l.status).collect();
    assert_eq!(status, [LineStatus::Counted, LineStatus::Capped, LineStatus::Counted]);
    assert!(c.lines[1].reason.contains("already charged for forbidden"), "{}", c.lines[1].reason);
    assert_eq!(c.deducted, 10.0);
    // A rejected first finding does not use the utterance up.
    let rv = Reviews::from_str("finding_id,verdict,reviewer,note\na,reject,王,误识别\n", Path::new("r.csv")).unwrap();
    let c = score_call(&r, &meta("c1", "A1", "T1", NOV), &fs, &rv);
    assert_eq!(c.lines.iter().map(|l| l.status).collect::<Vec<_>>(), [LineStatus::Rejected, LineStatus::Counted, LineStatus::Counted]);
    // A rubric may charge every rule.
    let mut each = Rubric::default_embedded();
    each.call.per_utterance = rubric::PerUtterance::Rule;
    assert_eq!(score_call(&each, &meta("c1", "A1", "T1", NOV), &fs, &Reviews::default()).deducted, 15.0);
}

#[test]
fn supervisor_rows_that_apply_to_nothing_are_named() {
    let r = Rubric::default_embedded();
    let calls = calls_with(&r, "A1", 2, |i| vec![minor(&format!("m{i}"))]);
    let ids: Vec<String> = calls.iter().flat_map(|c| c.lines.iter().map(|l| l.finding_id.clone())).collect();
    let rv = Reviews::from_str("finding_id,verdict,reviewer,note\nm0,reject,王,ok\nm9,reject,王,typo\n", Path::new("reviews.csv")).unwrap();
    let unknown: Vec<String> = rv.unknown(&|id| ids.iter().any(|x| x == id)).iter().map(|p| p.to_string()).collect();
    assert_eq!(unknown.len(), 1);
    assert!(unknown[0].starts_with("reviews.csv:3:") && unknown[0].contains("`m9`"), "{unknown:?}");

    let cards = november(&r, &calls);
    let known = manual::Cards {
        pay_period: PeriodKind::Month,
        keys: cards.iter().filter(|c| c.pay_period).map(|c| (c.agent_id.clone(), c.period.clone())).collect(),
        agents: ["A1".to_owned()].into(),
    };
    let adj = Adjustments::from_str(
        "agent_id,period,points,reason,by\nA1,2026-11,2,x,李\nA9999,2026-11,2,x,李\nA1,2026-W45,2,x,李\nA1,2026-10,2,x,李\n",
        Path::new("adjustments.csv"),
        &r,
    )
    .unwrap();
    let msgs: Vec<String> = adj.unmatched(&known).iter().map(|p| p.to_string()).collect();
    assert_eq!(msgs.len(), 3, "{msgs:?}");
    assert!(msgs[0].starts_with("adjustments.csv:3:") && msgs[0].contains("agent A9999 has no calls"), "{msgs:?}");
    assert!(msgs[1].contains("2026-W45 is not a month"), "{msgs:?}");
    assert!(msgs[2].contains("no calls in 2026-10"), "{msgs:?}");
    let bon = Bonuses::from_str("agent_id,period,item,by\nA2,2026-11,extra_shift,李\n", Path::new("bonuses.csv"), &r).unwrap();
    assert_eq!(bon.unmatched(&known).len(), 1);
    let staff = Staff::from_str("agent_id,hired_on\nA1,2026-01-01\nA7,2026-01-01\n", Path::new("staff.csv")).unwrap();
    let s: Vec<String> = staff.unmatched(&known).iter().map(|p| p.to_string()).collect();
    assert_eq!(s.len(), 1);
    assert!(s[0].starts_with("staff.csv:3:") && s[0].contains("A7"), "{s:?}");
}

#[test]
fn coverage_is_read_and_checked() {
    // The built-in rubric without its `[coverage]` table (the file's last).
    let base = rubric::DEFAULT_RUBRIC.split("\n[coverage]").next().unwrap();
    assert_eq!(Rubric::from_str(base, Path::new("r.toml")).unwrap().period.coverage, rubric::DEFAULT_COVERAGE);
    let with = |extra: &str| Rubric::from_str(&format!("{base}\n{extra}\n"), Path::new("r.toml"));
    assert_eq!(with("[coverage]\nmode = \"sample\"\ncalls = 8").unwrap().period.coverage, Coverage::Sample { calls: 8 });
    assert_eq!(with("[coverage]\nmode = \"all\"").unwrap().period.coverage, Coverage::All);
    let err = |extra: &str| with(extra).unwrap_err().iter().map(|p| p.to_string()).collect::<Vec<_>>().join("\n");
    assert!(err("[coverage]\nmode = \"sample\"").contains("needs `calls`"));
    assert!(err("[coverage]\nmode = \"most\"\ncalls = 3").contains("`coverage.mode` is `most`"));
    assert!(err("[coverage]\nmode = \"normalised\"\ncalls = 0").contains("at least 1"));
}
