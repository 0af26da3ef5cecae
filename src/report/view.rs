//! `callqa scorecard`: a report set's scorecards as a terminal table for supervisors.
//!
//! One line per agent and period (score, grade, counts by severity, pay float, ranks), then
//! for each the deductions by category and the worst findings, so a supervisor sees the score
//! and its reasons together. Widths are measured in terminal columns, so Chinese names line up.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use std::str::FromStr;

use unicode_width::UnicodeWidthStr;

use super::{FindingRow, ReportMeta, ScorecardRow, Tables};
use crate::score::{Period, PeriodKind};

/// Which scorecards to show.
#[derive(Clone, Debug, Default)]
pub struct ScorecardFilter {
    /// An agent id or name, in any case.
    pub agent: Option<String>,
    /// A team, in any case.
    pub team: Option<String>,
    /// A period label (`2026-11`, `2026-W45`, `2026-11-02`); its form picks the period kind.
    /// Unset: every pay period.
    pub period: Option<String>,
    /// Worst findings listed per scorecard.
    pub worst: usize,
}

/// The agents, teams, periods, categories and rules a report set knows, so that a filter
/// naming none of them is an error that lists them instead of an empty answer.
pub struct Known<'a> {
    tables: &'a Tables,
}

impl<'a> Known<'a> {
    pub fn new(tables: &'a Tables) -> Known<'a> {
        Known { tables }
    }

    /// The agent id a person typed: an id or a name, any case.
    pub fn agent(&self, typed: &str) -> Result<String, String> {
        let t = typed.trim();
        let mut agents: Vec<(&str, Option<&str>)> = self
            .tables
            .calls
            .iter()
            .map(|c| (c.agent_id.as_str(), c.agent_name.as_deref()))
            .chain(self.tables.scorecards.iter().map(|c| (c.agent_id.as_str(), c.agent_name.as_deref())))
            .collect();
        // Named entries first, so the kept one of each id carries its name.
        agents.sort_by(|a, b| a.0.cmp(b.0).then(b.1.is_some().cmp(&a.1.is_some())));
        agents.dedup_by(|a, b| a.0 == b.0);
        if let Some((id, _)) = agents.iter().find(|(id, name)| id.eq_ignore_ascii_case(t) || name.is_some_and(|n| n == t)) {
            return Ok((*id).to_owned());
        }
        let list: Vec<String> = agents.iter().map(|(id, name)| name.map_or(id.to_string(), |n| format!("{id} ({n})"))).collect();
        Err(format!("unknown agent {typed:?}; this report set's agents are {}", or_none(&list)))
    }

    /// The team a person typed, any case.
    pub fn team(&self, typed: &str) -> Result<String, String> {
        let mut teams: Vec<&str> =
            self.tables.calls.iter().filter_map(|c| c.team.as_deref()).chain(self.tables.scorecards.iter().filter_map(|c| c.team.as_deref())).collect();
        teams.sort();
        teams.dedup();
        teams
            .iter()
            .find(|t| t.to_lowercase() == typed.trim().to_lowercase())
            .map(|t| (*t).to_owned())
            .ok_or_else(|| format!("unknown team {typed:?}; this report set's teams are {}", or_none(&teams.iter().map(|t| t.to_string()).collect::<Vec<_>>())))
    }

    /// A period label with scorecards in the report set.
    pub fn period(&self, typed: &str) -> Result<Period, String> {
        let p = Period::parse(typed).ok_or_else(|| crate::score::period::bad_label(typed))?;
        if self.tables.scorecards.iter().any(|c| c.period == p.label()) {
            return Ok(p);
        }
        let mut labels: Vec<&str> = self.tables.scorecards.iter().filter(|c| c.period_kind == p.kind.as_str()).map(|c| c.period.as_str()).collect();
        labels.sort();
        labels.dedup();
        let shown = if labels.len() > 12 { format!("{} … {} ({} {}s)", labels[0], labels[labels.len() - 1], labels.len(), p.kind) } else { or_none(&labels.iter().map(|l| l.to_string()).collect::<Vec<_>>()) };
        Err(format!("no calls in period {typed}; this report set's {}s are {shown}", p.kind))
    }

    /// A category: one of the rule language's, or one with findings here.
    pub fn category(&self, typed: &str) -> Result<String, String> {
        let mut cats: Vec<String> = crate::rules::KNOWN_CATEGORIES.iter().map(|c| c.to_string()).collect();
        cats.extend(self.tables.findings.iter().map(|f| f.category.clone()));
        cats.sort();
        cats.dedup();
        cats.iter().find(|c| c.eq_ignore_ascii_case(typed.trim())).cloned().ok_or_else(|| format!("unknown category {typed:?}; the categories are {}", cats.join(", ")))
    }

    /// A rule with findings in this report set.
    pub fn rule(&self, typed: &str) -> Result<String, String> {
        let mut rules: Vec<&str> = self.tables.findings.iter().map(|f| f.rule_id.as_str()).collect();
        rules.sort();
        rules.dedup();
        rules.iter().find(|r| r.eq_ignore_ascii_case(typed.trim())).map(|r| (*r).to_owned()).ok_or_else(|| {
            format!("no finding of rule {typed:?} in this report set; the rules with findings are {}", or_none(&rules.iter().map(|r| r.to_string()).collect::<Vec<_>>()))
        })
    }
}

fn or_none(v: &[String]) -> String {
    if v.is_empty() { "none".into() } else { v.join(", ") }
}

/// Renders the matching scorecards; an error says why nothing matched, listing what exists.
pub fn render(meta: &ReportMeta, tables: &Tables, filter: &ScorecardFilter) -> Result<String, String> {
    let known = Known::new(tables);
    let wanted = filter.period.as_deref().map(|p| known.period(p)).transpose()?;
    let agent = filter.agent.as_deref().map(|a| known.agent(a)).transpose()?;
    let team = filter.team.as_deref().map(|t| known.team(t)).transpose()?;
    let cards: Vec<&ScorecardRow> = tables
        .scorecards
        .iter()
        .filter(|c| match wanted {
            Some(p) => c.period == p.label(),
            None => c.pay_period,
        })
        .filter(|c| agent.as_ref().is_none_or(|a| &c.agent_id == a))
        .filter(|c| team.as_ref().is_none_or(|t| c.team.as_ref() == Some(t)))
        .collect();
    if cards.is_empty() {
        return Err(format!(
            "no scorecard matches{}{}{} in this report set ({} scorecards of {} calls)",
            agent.as_ref().map(|a| format!(" agent {a}")).unwrap_or_default(),
            team.as_ref().map(|t| format!(" team {t}")).unwrap_or_default(),
            filter.period.as_ref().map(|p| format!(" period {p}")).unwrap_or_default(),
            tables.scorecards.len(),
            tables.calls.len()
        ));
    }
    let kind = PeriodKind::from_str(&cards[0].period_kind).unwrap_or(PeriodKind::Month);
    let tz = jiff::tz::TimeZone::get(&meta.timezone).map_err(|e| format!("time zone {:?} of the report set: {e}", meta.timezone))?;
    // Each finding's period, through its call's start.
    let call_period: BTreeMap<&str, String> = tables
        .calls
        .iter()
        .map(|c| (c.call_id.as_str(), Period::of(kind, c.started_at.timestamp(), &tz).label()))
        .collect();

    let mut out = String::new();
    let _ = writeln!(out, "Scorecards · run {} · rules {} {} · rubric {}", meta.run_id, meta.pack, meta.pack_version, meta.rubric_version);
    let pay = cards[0].pay_period;
    if pay {
        let _ = writeln!(
            out,
            "Every call is checked; the rubric was written for spot checks, so a {} score counts findings {} (rules/README.md, \"Full coverage\").",
            cards[0].period_kind, cards[0].coverage
        );
    } else {
        let _ = writeln!(out, "A {} is a view: score is the mean call score (out of 100); escalations, bonuses, grades and pay belong to the pay period.", cards[0].period_kind);
    }
    let header: &[&str] = if pay {
        &["period", "agent", "name", "team", "calls", "minor", "medium", "severe", "fatal", "score", "grade", "pay", "rank in team", "rank overall"]
    } else {
        &["period", "agent", "name", "team", "calls", "minor", "medium", "severe", "fatal", "mean call score", "rank in team", "rank overall"]
    };
    let mut rows: Vec<Vec<String>> = vec![header.iter().map(|s| s.to_string()).collect()];
    for c in &cards {
        let mut row = vec![
            c.period.clone(),
            c.agent_id.clone(),
            c.agent_name.clone().unwrap_or_default(),
            c.team.clone().unwrap_or_default(),
            c.calls.to_string(),
            c.minor.to_string(),
            c.medium.to_string(),
            c.severe.to_string(),
            c.fatal_findings.to_string(),
            format!("{:.1}", c.score),
        ];
        if pay {
            row.push(if c.failed && c.grade != "fail" { format!("{} (failed)", c.grade) } else { c.grade.clone() });
            row.push(match (c.pay_float, c.in_grace) {
                (_, true) => "grace".into(),
                (Some(p), _) => format!("{p:+.0}"),
                (None, _) => "-".into(),
            });
        }
        row.push(c.rank_in_team.to_string());
        row.push(c.rank_overall.to_string());
        rows.push(row);
    }
    out.push_str(&table(&rows));
    out.push_str(&team_summaries(&cards));

    for c in &cards {
        let _ = writeln!(out, "\n{} {} {}", c.period, c.agent_id, c.agent_name.as_deref().unwrap_or(""));
        let mine: Vec<&FindingRow> = tables
            .findings
            .iter()
            .filter(|f| f.agent_id == c.agent_id && call_period.get(f.call_id.as_str()) == Some(&c.period))
            .collect();
        if c.pay_period {
            let _ = writeln!(out, "  {}", arithmetic(c));
            if !c.sampled_calls.is_empty() {
                let _ = writeln!(out, "  sampled calls: {}", c.sampled_calls.replace(',', ", "));
            }
        } else {
            let _ = writeln!(
                out,
                "  mean call score {:.1} over {} call(s); deductions {:.1}{}",
                c.score,
                c.calls,
                c.deducted,
                if c.failed { format!(" · FAILED: {}", c.fail_reason) } else { String::new() }
            );
        }
        if !c.categories.is_empty() {
            let _ = writeln!(out, "  findings by category: {}", c.categories);
        }
        let mut worst: Vec<&&FindingRow> = mine.iter().filter(|f| f.status == "counted" || f.status == "fatal").collect();
        worst.sort_by(|a, b| severity_rank(&b.severity).cmp(&severity_rank(&a.severity)).then(b.deducted.total_cmp(&a.deducted)).then(a.call_id.cmp(&b.call_id)).then(a.start_ms.cmp(&b.start_ms)));
        for f in worst.iter().take(filter.worst) {
            let _ = writeln!(out, "  −{:<4} {:<7} {} {} — {} at {}", f.deducted, f.severity, f.rule_name, what(f), f.call_id, clock(f.start_ms));
        }
        if worst.is_empty() {
            let _ = writeln!(out, "  no deductions");
        }
        for f in mine.iter().filter(|f| f.review_verdict.is_some()) {
            let _ = writeln!(out, "  review: {} {} — {} at {}: {}", f.rule_name, what(f), f.call_id, clock(f.start_ms), f.audit.as_deref().unwrap_or(""));
        }
    }
    Ok(out)
}

/// What a finding is about, in a few words: the measurement for a metric ("greeting at 5.2 s,
/// limit 3.0 s"), else the words matched, else its detail.
pub fn what(f: &FindingRow) -> String {
    if f.kind == "metric" || f.matched_text.is_empty() { f.detail.clone() } else { format!("“{}”", f.matched_text) }
}

/// "score: 80 − 28 deductions (14 × 2: per 10 calls) − 20 escalation (…) + 5 bonus (…) = 37", one sign per charge.
fn arithmetic(c: &ScorecardRow) -> String {
    let mut s = format!("score: {} − {} deductions", fmt(c.base), fmt(c.deducted));
    if c.scale != 1.0 {
        let _ = write!(s, " ({} × {} for {} calls: {})", fmt(c.raw_deducted), fmt((c.scale * 100.0).round() / 100.0), c.calls, c.coverage);
    }
    if c.escalation > 0.0 {
        let _ = write!(s, " − {} escalation ({})", fmt(c.escalation), c.escalation_notes.replace(" −", " "));
    }
    if c.bonus > 0.0 {
        let _ = write!(s, " + {} bonus ({})", fmt(c.bonus), c.bonus_names.replace(" +", " "));
    }
    if c.adjustment != 0.0 {
        let sign = if c.adjustment < 0.0 { "−" } else { "+" };
        let _ = write!(s, " {sign} {} adjustment ({}, by {})", fmt(c.adjustment.abs()), c.adjustment_reason.as_deref().unwrap_or(""), c.adjusted_by.as_deref().unwrap_or(""));
    }
    let _ = write!(s, " = {}", fmt(c.uncapped));
    if c.score < c.uncapped {
        let _ = write!(s, ", capped at {}", fmt(c.score));
    }
    if c.failed {
        let _ = write!(s, " · FAILED: {}", c.fail_reason);
    }
    s
}

/// A number as short as it is exact to the cent: 80, 27.5, 23.33.
fn fmt(x: f64) -> String {
    let r = (x * 100.0).round() / 100.0 + 0.0;
    if r.fract() == 0.0 { format!("{r:.0}") } else { format!("{r}") }
}

/// One line per team and period: agents, calls, mean score and grades.
fn team_summaries(cards: &[&ScorecardRow]) -> String {
    let mut teams: BTreeMap<(&str, &str), Vec<&ScorecardRow>> = BTreeMap::new();
    for c in cards {
        teams.entry((c.period.as_str(), c.team.as_deref().unwrap_or("(no team)"))).or_default().push(c);
    }
    let mut out = String::new();
    for ((period, team), cs) in teams {
        let calls: i64 = cs.iter().map(|c| c.calls).sum();
        let mean = cs.iter().map(|c| c.score).sum::<f64>() / cs.len() as f64;
        let mut grades: Vec<(String, usize)> = Vec::new();
        for c in &cs {
            let g = if c.grade.is_empty() { continue } else { c.grade.clone() };
            match grades.iter_mut().find(|(n, _)| *n == g) {
                Some(e) => e.1 += 1,
                None => grades.push((g, 1)),
            }
        }
        grades.sort();
        let failed = cs.iter().filter(|c| c.failed).count();
        let _ = writeln!(
            out,
            "team {team} · {period}: {} agent(s), {calls} calls, mean score {mean:.1}{}{}",
            cs.len(),
            if grades.is_empty() { String::new() } else { format!(", grades {}", grades.iter().map(|(g, n)| format!("{g} {n}")).collect::<Vec<_>>().join(" · ")) },
            if failed > 0 { format!(", {failed} failed") } else { String::new() }
        );
    }
    out
}

fn severity_rank(s: &str) -> u8 {
    match s {
        "fatal" => 4,
        "severe" => 3,
        "medium" => 2,
        "minor" => 1,
        _ => 0,
    }
}

/// Text safe to print on a terminal: control characters (escape sequences start with ESC or
/// CSI) and bidirectional overrides from data are dropped, line breaks kept, so a name like
/// "\x1b]0;…\x07" cannot retitle, recolour or rewrite the inspector's terminal.
pub fn printable(s: &str) -> String {
    s.chars()
        .filter(|&c| c == '\n' || !(c.is_control() || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')))
        .collect()
}

/// `mm:ss.s` on the call's timeline.
pub fn clock(ms: i64) -> String {
    format!("{:02}:{:04.1}", ms / 60_000, (ms % 60_000) as f64 / 1000.0)
}

/// Left-aligned columns, padded by display width.
fn table(rows: &[Vec<String>]) -> String {
    let cols = rows.iter().map(|r| r.len()).max().unwrap_or(0);
    let widths: Vec<usize> = (0..cols).map(|i| rows.iter().filter_map(|r| r.get(i)).map(|s| s.width()).max().unwrap_or(0)).collect();
    let mut out = String::new();
    for r in rows {
        let line: Vec<String> = r.iter().zip(&widths).map(|(s, w)| format!("{s}{}", " ".repeat(w - s.width()))).collect();
        out.push_str(line.join("  ").trim_end());
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::tests::{sample_meta, sample_tables};

    #[test]
    fn a_scorecard_shows_score_grade_deductions_and_worst_findings() {
        let tables = sample_tables();
        let out = render(&sample_meta(), &tables, &ScorecardFilter { worst: 3, ..Default::default() }).unwrap();
        assert!(out.contains("2026-11  A1001  王芳"), "{out}");
        assert!(out.contains("83.0") && out.contains(" b ") && out.contains("+30"), "{out}");
        assert!(out.contains("findings by category: forbidden 1"), "{out}");
        // One sign per charge, names not ids, the scaling stated.
        assert!(out.contains("score: 80 − 2 deductions (0.2 × 10 for 1 calls: per 10 calls) + 5 bonus (当月无中度及以上违规 5) = 83"), "{out}");
        assert!(out.contains("per 10 calls (rules/README.md"), "{out}");
        assert!(out.contains("rank in team") && out.contains("team 一组 · 2026-11: 1 agent(s), 1 calls, mean score 83.0, grades b 1"), "{out}");
        assert!(out.contains("回复忌语 “你自己去看” — c0001 at 00:12.0"), "{out}");
    }

    #[test]
    fn filters_naming_nothing_known_list_what_is_known() {
        let tables = sample_tables();
        for (f, says) in [
            (ScorecardFilter { agent: Some("A9".into()), ..Default::default() }, "unknown agent \"A9\"; this report set's agents are A1001 (王芳)"),
            (ScorecardFilter { period: Some("2026-12".into()), ..Default::default() }, "no calls in period 2026-12; this report set's months are 2026-11"),
            (ScorecardFilter { team: Some("二组".into()), ..Default::default() }, "unknown team \"二组\"; this report set's teams are 一组"),
        ] {
            let err = render(&sample_meta(), &tables, &f).unwrap_err();
            assert!(err.contains(says), "{err}");
        }
        let err = render(&sample_meta(), &tables, &ScorecardFilter { period: Some("Nov".into()), ..Default::default() }).unwrap_err();
        assert!(err.contains("2026-W45"), "{err}");
    }

    #[test]
    fn agents_and_teams_are_found_as_people_type_them() {
        let tables = sample_tables();
        for f in [
            ScorecardFilter { agent: Some("a1001".into()), ..Default::default() },
            ScorecardFilter { agent: Some("王芳".into()), ..Default::default() },
            ScorecardFilter { team: Some(" 一组 ".into()), ..Default::default() },
        ] {
            assert!(render(&sample_meta(), &tables, &f).unwrap().contains("2026-11  A1001"), "{f:?}");
        }
    }

    #[test]
    fn a_metric_finding_shows_its_measurement() {
        let mut t = sample_tables();
        let f = &mut t.findings[0];
        f.kind = "metric".into();
        f.matched_text = "你好".into();
        f.detail = "greeting at 5.2 s, limit 3.0 s".into();
        assert_eq!(what(f), "greeting at 5.2 s, limit 3.0 s");
    }

    #[test]
    fn terminal_output_loses_control_characters() {
        assert_eq!(printable("王\u{1b}[31m芳\u{1b}]0;pwned\u{7}\u{9b}2J\u{202e}x\nnext\t"), "王[31m芳]0;pwned2Jx\nnext");
    }

    #[test]
    fn chinese_text_is_aligned_by_display_width() {
        let t = table(&[vec!["名字".into(), "x".into()], vec!["ab".into(), "y".into()]]);
        assert_eq!(t, "名字  x\nab    y\n");
    }
}
