//! What supervisors decide by hand, per agent and period, checked against the rubric when read:
//! `adjustments.csv` (额外奖惩, `agent_id,period,points,reason,by`), `bonuses.csv` (manual
//! 加分项, `agent_id,period,item,by`) and `staff.csv` (`agent_id,hired_on`, for the new-staff
//! grace). Periods are labels (`2026-11`, `2026-W45`, `2026-11-02`); adjustments and bonuses
//! apply to the rubric's pay period (a month by default). A row that applies to no scorecard
//! (an unknown agent, a period without calls, a week when months are paid) is listed by
//! `unmatched`, never dropped in silence.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use super::Rubric;
use super::period::{Period, PeriodKind, bad_label};
use super::table::{number, read_rows, read_text};
use crate::shared::problem::Problem;

/// A supervisor's adjustment of one agent's period score.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Adjustment {
    pub agent_id: String,
    pub period: String,
    pub points: f64,
    pub reason: String,
    pub by: String,
    /// Line in the file.
    pub line: usize,
}

/// Every adjustment, at most one per agent and period.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Adjustments {
    by_key: HashMap<(String, String), Adjustment>,
    origin: PathBuf,
}

fn check_agent(id: &str, problems: &mut Vec<Problem>, origin: &Path, line: usize) {
    if id.is_empty() {
        problems.push(Problem::on_line(origin, line, "`agent_id` is empty"));
    }
}

/// The period label normalised, or a problem.
fn check_period(label: &str, problems: &mut Vec<Problem>, origin: &Path, line: usize) -> String {
    match Period::parse(label) {
        Some(p) => p.label(),
        None => {
            problems.push(Problem::on_line(origin, line, bad_label(label)));
            String::new()
        }
    }
}

impl Adjustments {
    /// Reads `adjustments.csv`, checking points against the rubric's range and reasons.
    pub fn load(path: &Path, rubric: &Rubric) -> Result<Adjustments, Vec<Problem>> {
        Adjustments::from_str(&read_text(path)?, path, rubric)
    }

    #[allow(clippy::should_implement_trait)]
    pub fn from_str(text: &str, origin: &Path, rubric: &Rubric) -> Result<Adjustments, Vec<Problem>> {
        let mut problems = Vec::new();
        let rows = read_rows(text, origin, &["agent_id", "period", "points", "reason", "by"], &[], &mut problems);
        let range = &rubric.adjustment;
        let mut out = Adjustments { origin: origin.to_owned(), ..Adjustments::default() };
        let mut first_line: HashMap<(String, String), usize> = HashMap::new();
        for row in rows {
            let before = problems.len();
            let bad = |m: String| Problem::on_line(origin, row.line, m);
            check_agent(row.get(0), &mut problems, origin, row.line);
            let period = check_period(row.get(1), &mut problems, origin, row.line);
            let points = match number("points", row.get(2)) {
                Ok(p) if p < range.min || p > range.max => {
                    problems.push(bad(format!(
                        "adjustment {p} is outside the rubric's range {} … {} ({})",
                        range.min,
                        range.max,
                        rubric.origin.display()
                    )));
                    p
                }
                Ok(p) => p,
                Err(m) => {
                    problems.push(bad(m));
                    0.0
                }
            };
            if range.reason_required && row.get(3).is_empty() {
                problems.push(bad("`reason` is empty: the rubric requires a written reason for every adjustment".into()));
            }
            if row.get(4).is_empty() {
                problems.push(bad("`by` is empty: name who made the adjustment".into()));
            }
            if problems.len() > before {
                continue;
            }
            let key = (row.get(0).to_owned(), period.clone());
            if let Some(l) = first_line.get(&key) {
                problems.push(bad(format!("a second adjustment for {} in {period} (the first is on line {l}); merge them", key.0)));
                continue;
            }
            first_line.insert(key.clone(), row.line);
            out.by_key.insert(
                key,
                Adjustment {
                    agent_id: row.get(0).to_owned(),
                    period,
                    points,
                    reason: row.get(3).to_owned(),
                    by: row.get(4).to_owned(),
                    line: row.line,
                },
            );
        }
        if problems.is_empty() { Ok(out) } else { Err(problems) }
    }

    pub fn get(&self, agent_id: &str, period: &str) -> Option<&Adjustment> {
        self.by_key.get(&(agent_id.to_owned(), period.to_owned()))
    }

    /// Rows whose agent and period match no pay-period scorecard, as problems on their rows.
    pub fn unmatched(&self, cards: &Cards) -> Vec<Problem> {
        let mut v: Vec<Problem> = self
            .by_key
            .values()
            .filter_map(|a| cards.why_not(&a.agent_id, &a.period).map(|why| Problem::on_line(&self.origin, a.line, format!("adjustment not applied: {why}"))))
            .collect();
        v.sort_by_key(|p| p.line());
        v
    }
}

/// The pay-period scorecards that exist, to say why a supervisor's row matched none.
pub struct Cards {
    pub pay_period: PeriodKind,
    /// (agent, period label) of every pay-period scorecard.
    pub keys: std::collections::HashSet<(String, String)>,
    /// Every agent with a call in the report set.
    pub agents: std::collections::HashSet<String>,
}

impl Cards {
    /// `None` when a pay-period scorecard exists for the agent and period; else why not.
    pub fn why_not(&self, agent: &str, period: &str) -> Option<String> {
        if self.keys.contains(&(agent.to_owned(), period.to_owned())) {
            return None;
        }
        let kind = Period::parse(period).map(|p| p.kind);
        Some(if !self.agents.contains(agent) {
            format!("agent {agent} has no calls in this report set")
        } else if kind != Some(self.pay_period) {
            format!("{period} is not a {} (the rubric's pay period); adjustments and bonuses apply to pay periods", self.pay_period)
        } else {
            format!("agent {agent} has no calls in {period}")
        })
    }
}

/// A manual bonus item granted to an agent for a period.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Grant {
    pub agent_id: String,
    pub period: String,
    pub item: String,
    pub points: f64,
    pub by: String,
    /// Line in the file.
    pub line: usize,
}

/// Every manual bonus grant.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Bonuses {
    by_key: HashMap<(String, String), Vec<Grant>>,
    origin: PathBuf,
}

impl Bonuses {
    /// Reads `bonuses.csv`; items must be the rubric's manual bonus items.
    pub fn load(path: &Path, rubric: &Rubric) -> Result<Bonuses, Vec<Problem>> {
        Bonuses::from_str(&read_text(path)?, path, rubric)
    }

    #[allow(clippy::should_implement_trait)]
    pub fn from_str(text: &str, origin: &Path, rubric: &Rubric) -> Result<Bonuses, Vec<Problem>> {
        let mut problems = Vec::new();
        let rows = read_rows(text, origin, &["agent_id", "period", "item", "by"], &[], &mut problems);
        let mut out = Bonuses { origin: origin.to_owned(), ..Bonuses::default() };
        for row in rows {
            let before = problems.len();
            let bad = |m: String| Problem::on_line(origin, row.line, m);
            check_agent(row.get(0), &mut problems, origin, row.line);
            let period = check_period(row.get(1), &mut problems, origin, row.line);
            let item = row.get(2);
            let bonus = match rubric.bonus(item) {
                None => {
                    let manual: Vec<&str> =
                        rubric.bonuses.iter().filter(|b| b.unless_any.is_none()).map(|b| b.item.as_str()).collect();
                    problems.push(bad(format!("unknown bonus item {item:?}; the rubric's manual items are {}", manual.join(", "))));
                    None
                }
                Some(b) if b.unless_any.is_some() => {
                    problems.push(bad(format!("bonus item `{item}` is automatic (computed from the findings); it cannot be granted by hand")));
                    None
                }
                Some(b) => Some(b),
            };
            if row.get(3).is_empty() {
                problems.push(bad("`by` is empty: name who granted the bonus".into()));
            }
            if problems.len() > before {
                continue;
            }
            let Some(bonus) = bonus else { continue };
            let key = (row.get(0).to_owned(), period.clone());
            let grants = out.by_key.entry(key).or_default();
            if !bonus.repeatable && grants.iter().any(|g| g.item == bonus.item) {
                problems.push(bad(format!("`{item}` is granted twice to {} in {period}; the rubric grants it once a period", row.get(0))));
                continue;
            }
            grants.push(Grant {
                agent_id: row.get(0).to_owned(),
                period,
                item: item.to_owned(),
                points: bonus.points,
                by: row.get(3).to_owned(),
                line: row.line,
            });
        }
        if problems.is_empty() { Ok(out) } else { Err(problems) }
    }

    /// The grants of an agent for a period, in file order.
    pub fn get(&self, agent_id: &str, period: &str) -> &[Grant] {
        self.by_key.get(&(agent_id.to_owned(), period.to_owned())).map_or(&[], Vec::as_slice)
    }

    /// Grants whose agent and period match no pay-period scorecard, as problems on their rows.
    pub fn unmatched(&self, cards: &Cards) -> Vec<Problem> {
        let mut v: Vec<Problem> = self
            .by_key
            .values()
            .flatten()
            .filter_map(|g| cards.why_not(&g.agent_id, &g.period).map(|why| Problem::on_line(&self.origin, g.line, format!("bonus `{}` not granted: {why}", g.item))))
            .collect();
        v.sort_by_key(|p| p.line());
        v
    }
}

/// Hire dates, for the new-staff grace.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Staff {
    hired_on: HashMap<String, Date>,
    lines: HashMap<String, usize>,
    origin: PathBuf,
}

impl Staff {
    /// Reads `staff.csv` (`agent_id,hired_on`, dates as 2026-09-15).
    pub fn load(path: &Path) -> Result<Staff, Vec<Problem>> {
        Staff::from_str(&read_text(path)?, path)
    }

    #[allow(clippy::should_implement_trait)]
    pub fn from_str(text: &str, origin: &Path) -> Result<Staff, Vec<Problem>> {
        let mut problems = Vec::new();
        let rows = read_rows(text, origin, &["agent_id", "hired_on"], &[], &mut problems);
        let mut out = Staff::default();
        let mut lines: HashMap<String, usize> = HashMap::new();
        for row in rows {
            let bad = |m: String| Problem::on_line(origin, row.line, m);
            let id = row.get(0);
            if id.is_empty() {
                problems.push(bad("`agent_id` is empty".into()));
                continue;
            }
            let Ok(date) = row.get(1).parse::<Date>() else {
                problems.push(bad(format!("`hired_on` {:?} is not a date such as 2026-09-15", row.get(1))));
                continue;
            };
            if let Some(l) = lines.get(id) {
                problems.push(bad(format!("agent {id} is listed twice (first on line {l})")));
                continue;
            }
            lines.insert(id.to_owned(), row.line);
            out.hired_on.insert(id.to_owned(), date);
        }
        out.lines = lines;
        out.origin = origin.to_owned();
        if problems.is_empty() { Ok(out) } else { Err(problems) }
    }

    pub fn insert(&mut self, agent_id: &str, hired_on: Date) {
        self.hired_on.insert(agent_id.to_owned(), hired_on);
    }

    /// Agents listed here who took no call in the report set (a typo in an id, most likely:
    /// the grace would silently not apply to the real one).
    pub fn unmatched(&self, cards: &Cards) -> Vec<Problem> {
        let mut v: Vec<Problem> = self
            .lines
            .iter()
            .filter(|(id, _)| !cards.agents.contains(*id))
            .map(|(id, line)| Problem::on_line(&self.origin, *line, format!("agent {id} has no calls in this report set")))
            .collect();
        v.sort_by_key(|p| p.line());
        v
    }

    pub fn hired_on(&self, agent_id: &str) -> Option<Date> {
        self.hired_on.get(agent_id).copied()
    }

    /// Whether a period is in the agent's grace: it starts before `months` after the hire date
    /// (hired 2026-09-15 with 2 months: periods starting before 2026-11-15, so November too).
    /// A grace that ends past the last representable date covers every period (the rubric
    /// accepts any `u32`; `ToSpan::months` would panic past 239,976 months).
    pub fn in_grace(&self, agent_id: &str, period: &Period, months: u32) -> bool {
        self.hired_on(agent_id).is_some_and(|h| match jiff::Span::new().try_months(i64::from(months)).and_then(|m| h.checked_add(m)) {
            Ok(end) => period.start < end,
            Err(_) => true,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::score::PeriodKind;

    fn strings(ps: Vec<Problem>) -> Vec<String> {
        ps.iter().map(|p| p.to_string()).collect()
    }

    #[test]
    fn adjustments_checked_against_the_rubric() {
        let r = Rubric::default_embedded();
        let a = Adjustments::from_str("agent_id,period,points,reason,by\nA1001,2026-11,3,协助新人培训,组长张伟\n", Path::new("adj.csv"), &r)
            .unwrap();
        assert_eq!(a.get("A1001", "2026-11").map(|a| a.points), Some(3.0));
        let p = Adjustments::from_str(
            "agent_id,period,points,reason,by\nA1,2026-11,8,加班,张伟\nA2,2026-11,-2,,张伟\nA3,November,1,x,张伟\nA4,2026-11,two,x,张伟\nA5,2026-11,1,x,\nA6,2026-11,1,x,y\nA6,2026-11,2,x,y\n",
            Path::new("adj.csv"),
            &r,
        )
        .unwrap_err();
        assert_eq!(
            strings(p),
            [
                "adj.csv:2:1: adjustment 8 is outside the rubric's range -5 … 5 (rules/rubric.toml)",
                "adj.csv:3:1: `reason` is empty: the rubric requires a written reason for every adjustment",
                "adj.csv:4:1: period \"November\" is not a day (2026-11-02), ISO week (2026-W45) or month (2026-11)",
                "adj.csv:5:1: `points` must be a number, got \"two\"",
                "adj.csv:6:1: `by` is empty: name who made the adjustment",
                "adj.csv:8:1: a second adjustment for A6 in 2026-11 (the first is on line 7); merge them",
            ]
        );
    }

    #[test]
    fn bonuses_manual_items_only() {
        let r = Rubric::default_embedded();
        let b = Bonuses::from_str(
            "agent_id,period,item,by\nA1,2026-11,exam_full_marks,培训专员\nA1,2026-11,extra_shift,主管\nA1,2026-11,extra_shift,主管\n",
            Path::new("b.csv"),
            &r,
        )
        .unwrap();
        assert_eq!(b.get("A1", "2026-11").iter().map(|g| g.points).sum::<f64>(), 15.0);
        let p = Bonuses::from_str(
            "agent_id,period,item,by\nA1,2026-11,exam_full_marks,x\nA1,2026-11,exam_full_marks,x\nA1,2026-11,no_violation_above_minor,x\nA1,2026-11,cake,x\n",
            Path::new("b.csv"),
            &r,
        )
        .unwrap_err();
        let p = strings(p);
        assert_eq!(p[0], "b.csv:3:1: `exam_full_marks` is granted twice to A1 in 2026-11; the rubric grants it once a period");
        assert_eq!(p[1], "b.csv:4:1: bonus item `no_violation_above_minor` is automatic (computed from the findings); it cannot be granted by hand");
        assert!(p[2].starts_with("b.csv:5:1: unknown bonus item \"cake\"; the rubric's manual items are top_of_team, exam_full_marks,"), "{p:?}");
    }

    #[test]
    fn staff_and_grace() {
        let s = Staff::from_str("agent_id,hired_on\nA1,2026-09-15\n", Path::new("s.csv")).unwrap();
        let month = |l: &str| Period::parse(l).unwrap();
        assert!(s.in_grace("A1", &month("2026-09"), 2));
        assert!(s.in_grace("A1", &month("2026-11"), 2), "November starts before 2026-11-15");
        assert!(!s.in_grace("A1", &month("2026-12"), 2));
        assert!(!s.in_grace("A2", &month("2026-09"), 2), "no hire date: not new staff");
        let week = Period::containing(PeriodKind::Week, "2026-11-16".parse().unwrap());
        assert!(!s.in_grace("A1", &week, 2));
        // Found by fuzzing (fuzz target `reviews`): a rubric's `[grace] months` past jiff's span
        // range (239,976 months) panicked here; such a grace covers every period.
        for months in [239_977, u32::MAX] {
            assert!(s.in_grace("A1", &month("2026-12"), months), "{months}");
            assert!(!s.in_grace("A2", &month("2026-12"), months), "{months}");
        }
        let late = Staff::from_str("agent_id,hired_on\nA1,9999-12-31\n", Path::new("s.csv")).unwrap();
        assert!(late.in_grace("A1", &month("9999-12"), 1), "a grace ending past 9999 covers December 9999");
        let p = Staff::from_str("agent_id,hired_on\nA1,2026-09-15\nA1,2026-10-01\nA2,15/09/2026\n", Path::new("s.csv")).unwrap_err();
        assert_eq!(
            strings(p),
            ["s.csv:3:1: agent A1 is listed twice (first on line 2)", "s.csv:4:1: `hired_on` \"15/09/2026\" is not a date such as 2026-09-15"]
        );
    }
}
