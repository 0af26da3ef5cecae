//! Period scorecards: one per agent per period, summing the call scores' counted lines into
//! the rubric's period arithmetic, then ranking agents within their team and overall.
//!
//! ```text
//! uncapped = period.base − deducted − escalation + bonus + adjustment
//! score    = min(uncapped, period.max)
//! ```

use std::collections::BTreeMap;

use jiff::tz::TimeZone;
use serde::{Deserialize, Serialize};

use super::call::{CallScore, LineStatus, ScoreLine};
use super::manual::{Adjustments, Bonuses, Staff};
use super::period::{Period, PeriodKind};
use super::rubric::{EscalationRule, Rubric};
use crate::rules::Severity;

/// One agent's result for one period (a report row).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Scorecard {
    pub agent_id: String,
    /// From the agent's latest call in the period.
    pub agent_name: Option<String>,
    pub team: Option<String>,
    /// Period label: `2026-11`, `2026-W45` or `2026-11-02`.
    pub period: String,
    pub period_kind: PeriodKind,
    /// First day of the period in the site's time zone.
    pub period_start: jiff::civil::Date,
    pub rubric_version: String,
    pub calls: u32,
    /// Findings counted (deducting), capped and rejected, over all the period's calls.
    pub findings_counted: u32,
    pub findings_capped: u32,
    pub findings_rejected: u32,
    /// Counted findings by severity; `fatal` counts standing fatal findings.
    pub minor: u32,
    pub medium: u32,
    pub severe: u32,
    pub fatal: u32,
    /// The rubric's period base.
    pub base: f64,
    /// Sum of the counted findings' points.
    pub deducted: f64,
    /// Extra deductions of the escalations that fired.
    pub escalation: f64,
    /// Which escalations fired and what each added, e.g. "当月未良好履行… +20".
    pub escalation_notes: String,
    /// Automatic and manual bonus points.
    pub bonus: f64,
    /// The bonus items granted, comma-separated (a repeated item appears once per grant).
    pub bonus_items: String,
    pub adjustment: f64,
    pub adjustment_reason: Option<String>,
    pub adjusted_by: Option<String>,
    /// The total before the full-marks cap.
    pub uncapped: f64,
    /// Final score, at most the rubric's `period.max`.
    pub score: f64,
    /// The grade band of `score`; the rubric's last (failing) band when a fatal finding stands.
    pub grade: String,
    /// A fatal finding stands, or `score` is below the rubric's `fail_below`.
    pub failed: bool,
    /// Why it failed, in words ("" when it did not).
    pub fail_reason: String,
    /// The agent is new staff within the rubric's grace months: scored, no pay float.
    pub in_grace: bool,
    /// Pay change in currency units; `None` when the rubric has no `[pay]` or in grace.
    pub pay_float: Option<f64>,
    /// Rank among the team's scorecards of the same period: 1 is best, ties share a rank
    /// (1, 1, 3); failed periods rank after all others.
    pub team_rank: u32,
    /// The same rank among every scorecard of the period.
    pub rank: u32,
}

/// Builds the scorecards of every agent and period the calls fall in.
///
/// Calls are cut into periods by their start in `tz`. Adjustments and manual bonuses apply to
/// the scorecard with the same agent and period label; those naming an agent or period without
/// calls produce no scorecard. Output is sorted by period, then team, then agent.
pub fn scorecards(
    rubric: &Rubric,
    calls: &[CallScore],
    kind: PeriodKind,
    tz: &TimeZone,
    adjustments: &Adjustments,
    bonuses: &Bonuses,
    staff: &Staff,
) -> Vec<Scorecard> {
    // Group by (period, agent), keeping the calls in time order.
    let mut groups: BTreeMap<(Period, String), Vec<&CallScore>> = BTreeMap::new();
    for c in calls {
        groups.entry((Period::of(kind, c.started_at, tz), c.agent_id.clone())).or_default().push(c);
    }
    let mut cards: Vec<Scorecard> = groups
        .into_iter()
        .map(|((period, agent), mut cs)| {
            cs.sort_by_key(|c| c.started_at);
            card(rubric, &period, &agent, &cs, adjustments, bonuses, staff)
        })
        .collect();
    cards.sort_by(|a, b| (a.period_start, &a.team, &a.agent_id).cmp(&(b.period_start, &b.team, &b.agent_id)));
    rank(&mut cards);
    cards
}

fn card(
    rubric: &Rubric,
    period: &Period,
    agent: &str,
    calls: &[&CallScore],
    adjustments: &Adjustments,
    bonuses: &Bonuses,
    staff: &Staff,
) -> Scorecard {
    let label = period.label();
    let lines: Vec<&ScoreLine> = calls.iter().flat_map(|c| &c.lines).collect();
    let counted: Vec<&ScoreLine> = lines.iter().copied().filter(|l| l.status == LineStatus::Counted).collect();
    let by_status = |s: LineStatus| lines.iter().filter(|l| l.status == s).count() as u32;
    let by_sev = |s: Severity| counted.iter().filter(|l| l.severity == s).count() as u32;
    let fatal = by_status(LineStatus::Fatal);
    let deducted: f64 = counted.iter().map(|l| l.deducted).sum();

    let mut escalation = 0.0;
    let mut notes = Vec::new();
    for e in &rubric.escalations {
        let extra = match &e.rule {
            EscalationRule::Threshold { any, extra } => {
                let hit = any.iter().any(|c| {
                    counted.iter().filter(|l| c.select.matches(&l.rule_id, &l.category, l.severity)).count() as u32 >= c.at_least
                });
                if hit { *extra } else { 0.0 }
            }
            EscalationRule::Tiered { count, tiers } => {
                let matching: Vec<&&ScoreLine> =
                    counted.iter().filter(|l| count.matches(&l.rule_id, &l.category, l.severity)).collect();
                let n = matching.len() as u32;
                let own: f64 = matching.iter().map(|l| l.deducted).sum();
                tiers.iter().rev().find(|t| n >= t.at_least).map_or(0.0, |t| (t.total - own).max(0.0))
            }
        };
        if extra > 0.0 {
            escalation += extra;
            notes.push(format!("{} +{extra}", e.name));
        }
    }

    let mut bonus = 0.0;
    let mut items = Vec::new();
    for b in &rubric.bonuses {
        if let Some(sel) = &b.unless_any {
            // A period with calls and no counted (or fatal) finding the selector matches.
            let any = lines
                .iter()
                .filter(|l| matches!(l.status, LineStatus::Counted | LineStatus::Fatal))
                .any(|l| sel.matches(&l.rule_id, &l.category, l.severity));
            if !calls.is_empty() && !any {
                bonus += b.points;
                items.push(b.item.clone());
            }
        }
    }
    for g in bonuses.get(agent, &label) {
        bonus += g.points;
        items.push(g.item.clone());
    }

    let adj = adjustments.get(agent, &label);
    let adjustment = adj.map_or(0.0, |a| a.points);
    let uncapped = rubric.period.base - deducted - escalation + bonus + adjustment;
    let score = uncapped.min(rubric.period.max);

    let fail_reason = if fatal > 0 {
        format!("{fatal} fatal finding(s)")
    } else if let Some(f) = rubric.period.fail_below.filter(|f| score < *f) {
        format!("score {score} is below {f}")
    } else {
        String::new()
    };
    let failed = !fail_reason.is_empty();
    let grade = if fatal > 0 { rubric.failing_grade() } else { rubric.grade(score) }.to_owned();
    let in_grace = rubric.grace_months.is_some_and(|m| staff.in_grace(agent, period, m));
    let pay_float = rubric.pay.as_ref().filter(|_| !in_grace).map(|p| p.float(score));
    let last = calls.last();

    Scorecard {
        agent_id: agent.to_owned(),
        agent_name: last.and_then(|c| c.agent_name.clone()),
        team: last.and_then(|c| c.team.clone()),
        period: label,
        period_kind: period.kind,
        period_start: period.start,
        rubric_version: rubric.version().to_owned(),
        calls: calls.len() as u32,
        findings_counted: counted.len() as u32,
        findings_capped: by_status(LineStatus::Capped),
        findings_rejected: by_status(LineStatus::Rejected),
        minor: by_sev(Severity::Minor),
        medium: by_sev(Severity::Medium),
        severe: by_sev(Severity::Severe),
        fatal,
        base: rubric.period.base,
        deducted,
        escalation,
        escalation_notes: notes.join("; "),
        bonus,
        bonus_items: items.join(","),
        adjustment,
        adjustment_reason: adj.map(|a| a.reason.clone()),
        adjusted_by: adj.map(|a| a.by.clone()),
        uncapped,
        score,
        grade,
        failed,
        fail_reason,
        in_grace,
        pay_float,
        team_rank: 0,
        rank: 0,
    }
}

/// Competition ranking (1, 1, 3) by (not failed, higher score), within each period overall
/// and within each team of the period.
fn rank(cards: &mut [Scorecard]) {
    let key = |c: &Scorecard| (c.failed, -c.score);
    let ranks = |idx: &[usize], cards: &[Scorecard]| -> Vec<(usize, u32)> {
        let mut order = idx.to_vec();
        order.sort_by(|&a, &b| key(&cards[a]).partial_cmp(&key(&cards[b])).unwrap_or(std::cmp::Ordering::Equal));
        let mut out = Vec::with_capacity(order.len());
        for (pos, &i) in order.iter().enumerate() {
            let r = match pos.checked_sub(1).map(|p| order[p]) {
                Some(prev) if key(&cards[prev]) == key(&cards[i]) => out.last().map_or(1, |&(_, r)| r),
                _ => pos as u32 + 1,
            };
            out.push((i, r));
        }
        out
    };
    let mut by_period: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    let mut by_team: BTreeMap<(&str, Option<&str>), Vec<usize>> = BTreeMap::new();
    for (i, c) in cards.iter().enumerate() {
        by_period.entry(c.period.as_str()).or_default().push(i);
        by_team.entry((c.period.as_str(), c.team.as_deref())).or_default().push(i);
    }
    let overall: Vec<(usize, u32)> = by_period.values().flat_map(|idx| ranks(idx, cards)).collect();
    let team: Vec<(usize, u32)> = by_team.values().flat_map(|idx| ranks(idx, cards)).collect();
    for (i, r) in overall {
        cards[i].rank = r;
    }
    for (i, r) in team {
        cards[i].team_rank = r;
    }
}
