//! Worked examples from manual 001 (篇四 and 篇五), through `score_call` and `scorecards`.

use std::path::Path;

use jiff::tz::TimeZone;

use super::*;
use crate::call::CallMeta;
use crate::rules::{Kind, RoleFilter, Severity};
use crate::scan::Finding;

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
    Rubric::load(Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/rules/rubric-10pt.toml"))).unwrap()
}

#[test]
fn manual_example_91_is_a_with_plus_110() {
    // 001 篇四 四.3(b): 91 → +110. Base 80, no findings (automatic +5), exam full marks (+5),
    // supervisor +1 with a reason.
    let r = Rubric::default_embedded();
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
    let card = one(&Rubric::default_embedded(), &[medium("m1"), minor("n1")]);
    assert_eq!((card.deducted, card.escalation, card.bonus, card.score), (12.0, 0.0, 0.0, 68.0));
    assert_eq!((card.medium, card.minor), (1, 1));
    assert_eq!((card.grade.as_str(), card.pay_float, card.failed), ("d", Some(-120.0), false));
}

#[test]
fn a_fatal_finding_fails_the_period() {
    let r = Rubric::default_embedded();
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
    let r = Rubric::default_embedded();
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
    let r = Rubric::default_embedded();
    let two_medium = one(&r, &[medium("m1"), medium("m2")]);
    assert_eq!((two_medium.deducted, two_medium.escalation, two_medium.score), (20.0, 20.0, 40.0));
    assert_eq!(two_medium.escalation_notes, "当月未良好履行客服人员的工作职责 +20");
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
    let r = Rubric::default_embedded();
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
    assert_eq!((c.deducted, c.escalation, c.escalation_notes.as_str()), (3.0, 2.0, "服务态度恶劣 +2"));
    assert_eq!((c.pay_float, c.failed), (None, false));
    // Severities use the rubric's own table, not the pack's 100-point values.
    let c = one(&r, &[medium("m1")]);
    assert_eq!(c.score, 9.0);
}

#[test]
fn a_rejected_finding_stops_counting_and_keeps_its_audit() {
    let r = Rubric::default_embedded();
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
    let r = Rubric::default_embedded();
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
    let r = Rubric::default_embedded();
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
    let r = Rubric::default_embedded();
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
    let text = Rubric::default_embedded();
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
    let r = Rubric::default_embedded();
    let c = score_call(&r, &meta("c1", "A1", "T1", NOV), &[minor("a")], &Reviews::default());
    let line = serde_json::to_value(&c.lines[0]).unwrap();
    assert_eq!((line["status"].as_str(), line["severity"].as_str()), (Some("counted"), Some("minor")));
    let card = serde_json::to_value(&month(&r, &[c], &Adjustments::default(), &Bonuses::default(), &Staff::default())[0]).unwrap();
    assert!(card.as_object().unwrap().values().all(|v| !v.is_object() && !v.is_array()), "{card}");
    assert_eq!(card["period_kind"], "month");
}
