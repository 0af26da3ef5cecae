//! `callqa scorecard`: a report set's scorecards as a terminal table for supervisors.
//!
//! One line per agent and period (score, grade, counts by severity, pay float, ranks), then
//! for each the deductions by category and the worst findings, so a supervisor sees the score
//! and its reasons together. Widths are measured in terminal columns, so Chinese names line up.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use unicode_width::UnicodeWidthStr;

use super::{FindingRow, ReportMeta, ScorecardRow, Tables};
use crate::score::{Period, PeriodKind};

/// Which scorecards to show.
#[derive(Clone, Debug, Default)]
pub struct ScorecardFilter {
    pub agent: Option<String>,
    pub team: Option<String>,
    /// A period label (`2026-11`, `2026-W45`, `2026-11-02`); its form picks the period kind.
    /// Unset: every month.
    pub period: Option<String>,
    /// Worst findings listed per scorecard.
    pub worst: usize,
}

/// Renders the matching scorecards; an error says why nothing matched.
pub fn render(meta: &ReportMeta, tables: &Tables, filter: &ScorecardFilter) -> Result<String, String> {
    let wanted = match &filter.period {
        Some(p) => Some(Period::parse(p).ok_or_else(|| format!("period {p:?}: write 2026-11, 2026-W45 or 2026-11-02"))?),
        None => None,
    };
    let kind = wanted.map(|p| p.kind).unwrap_or(PeriodKind::Month);
    let cards: Vec<&ScorecardRow> = tables
        .scorecards
        .iter()
        .filter(|c| c.period_kind == kind.as_str())
        .filter(|c| wanted.is_none_or(|p| c.period == p.label()))
        .filter(|c| filter.agent.as_ref().is_none_or(|a| &c.agent_id == a))
        .filter(|c| filter.team.as_ref().is_none_or(|t| c.team.as_ref() == Some(t)))
        .collect();
    if cards.is_empty() {
        return Err(format!(
            "no scorecard matches{}{}{} in this report set ({} scorecards of {} calls)",
            filter.agent.as_ref().map(|a| format!(" agent {a}")).unwrap_or_default(),
            filter.team.as_ref().map(|t| format!(" team {t}")).unwrap_or_default(),
            filter.period.as_ref().map(|p| format!(" period {p}")).unwrap_or_default(),
            tables.scorecards.len(),
            tables.calls.len()
        ));
    }
    let tz = jiff::tz::TimeZone::get(&meta.timezone).map_err(|e| format!("time zone {:?} of the report set: {e}", meta.timezone))?;
    // Each finding's period, through its call's start.
    let call_period: BTreeMap<&str, String> = tables
        .calls
        .iter()
        .map(|c| (c.call_id.as_str(), Period::of(kind, c.started_at.timestamp(), &tz).label()))
        .collect();

    let mut out = String::new();
    let _ = writeln!(out, "Scorecards · run {} · rules {} {} · rubric {}", meta.run_id, meta.pack, meta.pack_version, meta.rubric_version);
    let header = ["period", "agent", "name", "team", "calls", "minor", "medium", "severe", "fatal", "score", "grade", "pay", "team rank", "rank"];
    let mut rows: Vec<Vec<String>> = vec![header.iter().map(|s| s.to_string()).collect()];
    for c in &cards {
        rows.push(vec![
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
            if c.failed && c.grade != "fail" { format!("{} (failed)", c.grade) } else { c.grade.clone() },
            match (c.pay_float, c.in_grace) {
                (_, true) => "grace".into(),
                (Some(p), _) => format!("{p:+.0}"),
                (None, _) => "-".into(),
            },
            c.rank_in_team.to_string(),
            c.rank_overall.to_string(),
        ]);
    }
    out.push_str(&table(&rows));

    for c in &cards {
        let _ = writeln!(out, "\n{} {} {}", c.period, c.agent_id, c.agent_name.as_deref().unwrap_or(""));
        let mine: Vec<&FindingRow> = tables
            .findings
            .iter()
            .filter(|f| f.agent_id == c.agent_id && call_period.get(f.call_id.as_str()) == Some(&c.period))
            .collect();
        let mut by_cat: BTreeMap<&str, (f64, usize)> = BTreeMap::new();
        for f in mine.iter().filter(|f| f.status == "counted" || f.status == "fatal") {
            let e = by_cat.entry(f.category.as_str()).or_default();
            e.0 += f.deducted;
            e.1 += 1;
        }
        let mut parts: Vec<String> = by_cat.iter().map(|(k, (p, n))| format!("{k} −{p} ({n}×)")).collect();
        if c.escalation > 0.0 {
            parts.push(format!("escalation −{} ({})", c.escalation, c.escalation_notes));
        }
        if c.bonus > 0.0 {
            parts.push(format!("bonus +{} ({})", c.bonus, c.bonus_items));
        }
        if c.adjustment != 0.0 {
            parts.push(format!("adjustment {:+} ({})", c.adjustment, c.adjustment_reason.as_deref().unwrap_or("")));
        }
        let _ = writeln!(
            out,
            "  {} {:.1} − {:.1}{} = {:.1}{}",
            "score:",
            c.base,
            c.deducted,
            if parts.is_empty() { String::new() } else { format!(" · {}", parts.join(" · ")) },
            c.score,
            if c.failed { format!(" · FAILED: {}", c.fail_reason) } else { String::new() }
        );
        let mut worst: Vec<&&FindingRow> = mine.iter().filter(|f| f.status == "counted" || f.status == "fatal").collect();
        worst.sort_by(|a, b| severity_rank(&b.severity).cmp(&severity_rank(&a.severity)).then(b.deducted.total_cmp(&a.deducted)).then(a.call_id.cmp(&b.call_id)).then(a.start_ms.cmp(&b.start_ms)));
        for f in worst.iter().take(filter.worst) {
            let what = if f.matched_text.is_empty() { f.detail.clone() } else { format!("“{}”", f.matched_text) };
            let _ = writeln!(out, "  −{:<4} {:<7} {} {} — {} at {}", f.deducted, f.severity, f.rule_name, what, f.call_id, clock(f.start_ms));
        }
        if worst.is_empty() {
            let _ = writeln!(out, "  no deductions");
        }
    }
    Ok(out)
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
        assert!(out.contains("forbidden −2 (1×)") && out.contains("bonus +5 (no_medium)"), "{out}");
        assert!(out.contains("回复忌语 “你自己去看” — c0001 at 00:12.0"), "{out}");
    }

    #[test]
    fn filters_that_match_nothing_say_so() {
        let tables = sample_tables();
        for f in [
            ScorecardFilter { agent: Some("A9".into()), ..Default::default() },
            ScorecardFilter { period: Some("2026-12".into()), ..Default::default() },
            ScorecardFilter { team: Some("二组".into()), ..Default::default() },
        ] {
            let err = render(&sample_meta(), &tables, &f).unwrap_err();
            assert!(err.contains("no scorecard matches"), "{err}");
        }
        let err = render(&sample_meta(), &tables, &ScorecardFilter { period: Some("Nov".into()), ..Default::default() }).unwrap_err();
        assert!(err.contains("2026-W45"), "{err}");
    }

    #[test]
    fn chinese_text_is_aligned_by_display_width() {
        let t = table(&[vec!["名字".into(), "x".into()], vec!["ab".into(), "y".into()]]);
        assert_eq!(t, "名字  x\nab    y\n");
    }
}
