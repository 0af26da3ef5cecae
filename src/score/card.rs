//! Period scorecards: one per agent per period, summing the call scores' counted lines into
//! the rubric's period arithmetic, then ranking agents within their team and overall.
//!
//! The rubric's arithmetic applies to its pay period (a month by default) only:
//!
//! ```text
//! deducted = counted points of the charged calls × scale
//! uncapped = period.base − deducted − escalation + bonus + adjustment
//! score    = min(uncapped, period.max)
//! ```
//!
//! where the charged calls and `scale` follow the rubric's [`Coverage`]: normalised (every
//! call, scaled to a standard number of calls), a deterministic sample, or all calls as they
//! are. Days and weeks are views: calls, the mean call score, counts by severity and category,
//! and failure only by a fatal finding — 当月 escalations and pay floats mean nothing there.

use std::collections::BTreeMap;

use jiff::tz::TimeZone;
use serde::{Deserialize, Serialize};

use super::call::{CallScore, LineStatus, ScoreLine};
use super::manual::{Adjustments, Bonuses, Staff};
use super::period::{Period, PeriodKind};
use super::rubric::{Counts, Coverage, EscalationRule, Rubric};
use crate::finding::Severity;

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
    /// Whether this is the rubric's pay period (a month by default), where its arithmetic
    /// applies. Other periods are views: calls, per-call averages and counts, with no
    /// escalation, bonus, adjustment, grade or pay float.
    pub pay_period: bool,
    /// How the calls were counted: "per 10 calls", "sample of 10 calls", "all calls", or
    /// "view" for a period that is not the pay period.
    pub coverage: String,
    pub calls: u32,
    /// Calls whose findings were charged: the sample's size under `sample`, else `calls`.
    pub calls_scored: u32,
    /// The sampled call ids, in time order, under `sample`; "" otherwise.
    pub sampled_calls: String,
    /// Factor applied to deductions and to the counts escalations and automatic bonuses
    /// compare: `coverage.calls / calls` when normalised and the period has more calls than
    /// that, else 1.
    pub scale: f64,
    /// Mean of the charged calls' per-call scores (out of the rubric's call base).
    pub mean_call_score: f64,
    /// Findings counted (deducting), capped and rejected, over the charged calls.
    pub findings_counted: u32,
    pub findings_capped: u32,
    pub findings_rejected: u32,
    /// Counted findings by severity; `fatal` counts standing fatal findings in any call.
    pub minor: u32,
    pub medium: u32,
    pub severe: u32,
    pub fatal: u32,
    /// Counted findings by category, e.g. "forbidden 3, closing 2" (most first).
    pub categories: String,
    /// The rubric's period base.
    pub base: f64,
    /// Sum of the counted findings' points, unscaled.
    pub raw_deducted: f64,
    /// What they deduct from the score: `raw_deducted × scale`.
    pub deducted: f64,
    /// Extra deductions of the escalations that fired.
    pub escalation: f64,
    /// Which escalations fired and what each deducts, e.g. "当月未良好履行客服人员的工作职责 −20".
    pub escalation_notes: String,
    /// Automatic and manual bonus points.
    pub bonus: f64,
    /// The bonus item ids granted, comma-separated (a repeated item appears once per grant).
    pub bonus_items: String,
    /// The same items by name, with their points: "当月无中度及以上违规 +5; …".
    pub bonus_names: String,
    pub adjustment: f64,
    pub adjustment_reason: Option<String>,
    pub adjusted_by: Option<String>,
    /// The total before the full-marks cap (the mean call score for a view).
    pub uncapped: f64,
    /// Final score, at most the rubric's `period.max` (the mean call score for a view).
    pub score: f64,
    /// The grade band of `score`; the rubric's last (failing) band when a fatal finding
    /// stands; "" for a view.
    pub grade: String,
    /// A fatal finding stands, or (pay period) `score` is below the rubric's `fail_below`.
    pub failed: bool,
    /// Why it failed, in words ("" when it did not).
    pub fail_reason: String,
    /// The agent is new staff within the rubric's grace months: scored, no pay float.
    pub in_grace: bool,
    /// Pay change in currency units; `None` when the rubric has no `[pay]`, in grace, or for a view.
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
/// the pay-period scorecard with the same agent and period label ([`unapplied`] lists those
/// that match none). Output is sorted by period, then team, then agent.
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
            cs.sort_by(|a, b| (a.started_at, &a.call_id).cmp(&(b.started_at, &b.call_id)));
            if kind == rubric.period.pay_period {
                card(rubric, &period, &agent, &cs, adjustments, bonuses, staff)
            } else {
                view(rubric, &period, &agent, &cs)
            }
        })
        .collect();
    cards.sort_by(|a, b| (a.period_start, &a.team, &a.agent_id).cmp(&(b.period_start, &b.team, &b.agent_id)));
    rank(&mut cards);
    cards
}

/// The calls a spot check of `n` calls picks for an agent and period: those with the
/// smallest SHA-256 of "period, agent, call id". Deterministic (every re-run and shard split
/// picks the same), independent of the other calls' order, auditable by hand, and as good as
/// random for which calls of the period are picked. Returned in time order.
pub fn sample<'a>(period: &str, agent: &str, calls: &[&'a CallScore], n: u32) -> Vec<&'a CallScore> {
    let mut keyed: Vec<(String, &'a CallScore)> =
        calls.iter().map(|c| (crate::fsutil::sha256_bytes(format!("{period}\u{1f}{agent}\u{1f}{}", c.call_id).as_bytes()), *c)).collect();
    keyed.sort_by(|a, b| a.0.cmp(&b.0));
    let mut picked: Vec<&CallScore> = keyed.into_iter().take(n as usize).map(|(_, c)| c).collect();
    picked.sort_by(|a, b| (a.started_at, &a.call_id).cmp(&(b.started_at, &b.call_id)));
    picked
}

/// Rounded to hundredths, so scaled points print and compare cleanly (23.333… → 23.33).
fn cents(x: f64) -> f64 {
    (x * 100.0).round() / 100.0 + 0.0
}

/// What every scorecard shows of its calls, pay period or view.
struct Tally<'a> {
    lines: Vec<&'a ScoreLine>,
    counted: Vec<&'a ScoreLine>,
    mean_call_score: f64,
    raw_deducted: f64,
}

impl<'a> Tally<'a> {
    fn of(calls: &[&'a CallScore]) -> Tally<'a> {
        let lines: Vec<&ScoreLine> = calls.iter().flat_map(|c| &c.lines).collect();
        let counted: Vec<&ScoreLine> = lines.iter().copied().filter(|l| l.status == LineStatus::Counted).collect();
        let mean_call_score = if calls.is_empty() { 0.0 } else { cents(calls.iter().map(|c| c.score).sum::<f64>() / calls.len() as f64) };
        let raw_deducted = counted.iter().map(|l| l.deducted).sum();
        Tally { lines, counted, mean_call_score, raw_deducted }
    }

    fn status(&self, s: LineStatus) -> u32 {
        self.lines.iter().filter(|l| l.status == s).count() as u32
    }

    fn severity(&self, s: Severity) -> u32 {
        self.counted.iter().filter(|l| l.severity == s).count() as u32
    }

    /// "forbidden 3, closing 2": most first, then by name.
    fn categories(&self) -> String {
        let mut by: BTreeMap<&str, u32> = BTreeMap::new();
        for l in &self.counted {
            *by.entry(l.category.as_str()).or_default() += 1;
        }
        let mut v: Vec<(&str, u32)> = by.into_iter().collect();
        v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        v.iter().map(|(c, n)| format!("{c} {n}")).collect::<Vec<_>>().join(", ")
    }
}

/// Fields every scorecard fills the same way.
fn common(rubric: &Rubric, period: &Period, agent: &str, all: &[&CallScore]) -> Scorecard {
    let last = all.last();
    Scorecard {
        agent_id: agent.to_owned(),
        agent_name: last.and_then(|c| c.agent_name.clone()),
        team: last.and_then(|c| c.team.clone()),
        period: period.label(),
        period_kind: period.kind,
        period_start: period.start,
        rubric_version: rubric.version().to_owned(),
        pay_period: false,
        coverage: "view".into(),
        calls: all.len() as u32,
        calls_scored: all.len() as u32,
        sampled_calls: String::new(),
        scale: 1.0,
        mean_call_score: 0.0,
        findings_counted: 0,
        findings_capped: 0,
        findings_rejected: 0,
        minor: 0,
        medium: 0,
        severe: 0,
        fatal: all.iter().flat_map(|c| &c.lines).filter(|l| l.status == LineStatus::Fatal).count() as u32,
        categories: String::new(),
        base: rubric.period.base,
        raw_deducted: 0.0,
        deducted: 0.0,
        escalation: 0.0,
        escalation_notes: String::new(),
        bonus: 0.0,
        bonus_items: String::new(),
        bonus_names: String::new(),
        adjustment: 0.0,
        adjustment_reason: None,
        adjusted_by: None,
        uncapped: 0.0,
        score: 0.0,
        grade: String::new(),
        failed: false,
        fail_reason: String::new(),
        in_grace: false,
        pay_float: None,
        team_rank: 0,
        rank: 0,
    }
}

fn fill_tally(c: &mut Scorecard, t: &Tally) {
    c.mean_call_score = t.mean_call_score;
    c.findings_counted = t.counted.len() as u32;
    c.findings_capped = t.status(LineStatus::Capped);
    c.findings_rejected = t.status(LineStatus::Rejected);
    c.minor = t.severity(Severity::Minor);
    c.medium = t.severity(Severity::Medium);
    c.severe = t.severity(Severity::Severe);
    c.categories = t.categories();
    c.raw_deducted = cents(t.raw_deducted);
}

/// A day or week (any period but the pay period): what happened, with no pay arithmetic.
fn view(rubric: &Rubric, period: &Period, agent: &str, calls: &[&CallScore]) -> Scorecard {
    let mut c = common(rubric, period, agent, calls);
    let t = Tally::of(calls);
    fill_tally(&mut c, &t);
    c.deducted = c.raw_deducted;
    c.uncapped = t.mean_call_score;
    c.score = t.mean_call_score;
    if c.fatal > 0 {
        c.failed = true;
        c.fail_reason = format!("{} fatal finding(s)", c.fatal);
    }
    c
}

/// The pay period: the rubric's arithmetic over the calls its coverage charges.
fn card(
    rubric: &Rubric,
    period: &Period,
    agent: &str,
    calls: &[&CallScore],
    adjustments: &Adjustments,
    bonuses: &Bonuses,
    staff: &Staff,
) -> Scorecard {
    let mut c = common(rubric, period, agent, calls);
    let label = period.label();
    c.pay_period = true;
    c.coverage = rubric.period.coverage.describe();
    let (charged, scale): (Vec<&CallScore>, f64) = match rubric.period.coverage {
        Coverage::All => (calls.to_vec(), 1.0),
        Coverage::Sample { calls: n } => {
            let s = sample(&label, agent, calls, n);
            c.sampled_calls = s.iter().map(|x| x.call_id.as_str()).collect::<Vec<_>>().join(",");
            (s, 1.0)
        }
        // Scaled down, never up: a period with `n` calls or fewer is charged as a spot check of
        // all of them would be. So the normalised score is the mean over every possible sample.
        Coverage::Normalised { calls: n } => (calls.to_vec(), if calls.len() > n as usize { f64::from(n) / calls.len() as f64 } else { 1.0 }),
    };
    c.calls_scored = charged.len() as u32;
    c.scale = scale;
    let t = Tally::of(&charged);
    fill_tally(&mut c, &t);
    c.deducted = cents(t.raw_deducted * scale);
    // A count the rubric compares, scaled; the small slack keeps 4 × (10/5) ≥ 8 exact.
    let scaled = |n: usize| n as f64 * scale + 1e-9;

    let mut escalation = 0.0;
    let mut notes = Vec::new();
    for e in &rubric.escalations {
        let extra = match &e.rule {
            EscalationRule::Threshold { any, extra } => {
                let hit = any.iter().any(|cond| {
                    let matching = t.counted.iter().filter(|l| cond.select.matches(&l.rule_id, &l.category, l.severity));
                    let n = match e.counts {
                        Counts::Findings => scaled(matching.count()),
                        Counts::Rules | Counts::Categories => {
                            let mut per: BTreeMap<&str, usize> = BTreeMap::new();
                            for l in matching {
                                let key = if e.counts == Counts::Rules { l.rule_id.as_str() } else { l.category.as_str() };
                                *per.entry(key).or_default() += 1;
                            }
                            per.values().filter(|n| scaled(**n) >= 0.5).count() as f64
                        }
                    };
                    n >= f64::from(cond.at_least)
                });
                if hit { *extra } else { 0.0 }
            }
            EscalationRule::Tiered { count, tiers } => {
                let matching: Vec<&&ScoreLine> = t.counted.iter().filter(|l| count.matches(&l.rule_id, &l.category, l.severity)).collect();
                let n = scaled(matching.len());
                let own: f64 = matching.iter().map(|l| l.deducted).sum::<f64>() * scale;
                cents(tiers.iter().rev().find(|tier| n >= f64::from(tier.at_least)).map_or(0.0, |tier| (tier.total - own).max(0.0)))
            }
        };
        if extra > 0.0 {
            escalation += extra;
            notes.push(format!("{} −{extra}", e.name));
        }
    }

    let mut bonus = 0.0;
    let (mut items, mut names) = (Vec::new(), Vec::new());
    for b in &rubric.bonuses {
        if let Some(sel) = &b.unless_any {
            // A period with calls and no counted (or fatal) finding the selector matches: scaled,
            // fewer than half a finding per `coverage.calls` calls (a spot check would most
            // likely find none).
            let n = t
                .lines
                .iter()
                .filter(|l| matches!(l.status, LineStatus::Counted | LineStatus::Fatal))
                .filter(|l| sel.matches(&l.rule_id, &l.category, l.severity))
                .count();
            if !charged.is_empty() && scaled(n) < 0.5 {
                bonus += b.points;
                items.push(b.item.clone());
                names.push(format!("{} +{}", b.name, b.points));
            }
        }
    }
    for g in bonuses.get(agent, &label) {
        bonus += g.points;
        items.push(g.item.clone());
        names.push(format!("{} +{}", rubric.bonus(&g.item).map_or(g.item.as_str(), |b| b.name.as_str()), g.points));
    }

    let adj = adjustments.get(agent, &label);
    let adjustment = adj.map_or(0.0, |a| a.points);
    let uncapped = cents(rubric.period.base - c.deducted - escalation + bonus + adjustment);
    let score = uncapped.min(rubric.period.max);

    let fail_reason = if c.fatal > 0 {
        format!("{} fatal finding(s)", c.fatal)
    } else if let Some(f) = rubric.period.fail_below.filter(|f| score < *f) {
        format!("score {score} is below {f}")
    } else {
        String::new()
    };
    c.failed = !fail_reason.is_empty();
    c.fail_reason = fail_reason;
    c.grade = if c.fatal > 0 { rubric.failing_grade() } else { rubric.grade(score) }.to_owned();
    c.in_grace = rubric.grace_months.is_some_and(|m| staff.in_grace(agent, period, m));
    c.pay_float = rubric.pay.as_ref().filter(|_| !c.in_grace).map(|p| p.float(score));
    c.escalation = escalation;
    c.escalation_notes = notes.join("; ");
    c.bonus = bonus;
    c.bonus_items = items.join(",");
    c.bonus_names = names.join("; ");
    c.adjustment = adjustment;
    c.adjustment_reason = adj.map(|a| a.reason.clone());
    c.adjusted_by = adj.map(|a| a.by.clone());
    c.uncapped = uncapped;
    c.score = score;
    c
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
