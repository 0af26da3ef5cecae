//! What each HTML page shows, as plain serde structs built from a report set's rows.
//!
//! Pages are functions of [`Tables`]: nothing here reads files or knows about templates, so
//! what a page shows is unit-tested without a browser. Texts are taken as the report set holds
//! them (already masked when it was written with `--redact`), and masked here as well when
//! the HTML is asked to be redacted on its own. Escaping is the templates' job (minijinja
//! escapes every value of an `.html` template), so nothing here builds markup from data
//! except the SVG charts, which escape through [`super::svg`].

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use super::svg;
use crate::report::view::{clock, what};
use crate::report::{CallRow, ErrorRow, FindingRow, ReportMeta, ScorecardRow, SegmentRow, Tables};

/// Shared header facts of every page.
#[derive(Clone, Debug, Serialize)]
pub struct Site {
    pub run_id: String,
    pub pack: String,
    pub pack_version: String,
    pub rubric_version: String,
    pub generated_at: String,
    pub timezone: String,
    /// Texts are masked (phone, ID and card numbers), in the tables or in this HTML only.
    pub redacted: bool,
}

impl Site {
    pub fn new(meta: &ReportMeta, redact_html: bool) -> Site {
        Site {
            run_id: meta.run_id.clone(),
            pack: meta.pack.clone(),
            pack_version: meta.pack_version.clone(),
            rubric_version: meta.rubric_version.clone(),
            generated_at: meta.generated_at.clone(),
            timezone: meta.timezone.clone(),
            redacted: meta.redacted || redact_html,
        }
    }
}

/// A file name for an id from data: its safe characters, and a short hash of the id when any
/// were replaced (so `a/b` and `a_b` do not collide), never a path.
pub fn page_name(prefix: &str, id: &str) -> String {
    let safe: String = id.chars().take(64).map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '_' }).collect();
    if safe == id && !id.is_empty() {
        format!("{prefix}-{safe}.html")
    } else {
        format!("{prefix}-{safe}-{}.html", &crate::fsutil::sha256_bytes(id.as_bytes())[..8])
    }
}

pub fn call_page(call_id: &str) -> String {
    page_name("call", call_id)
}

pub fn agent_page(agent_id: &str) -> String {
    page_name("agent", agent_id)
}

/// Texts as the page shows them.
#[derive(Clone, Copy, Debug)]
pub struct Texts {
    pub redact: bool,
}

impl Texts {
    pub fn show(&self, s: &str) -> String {
        if self.redact { crate::redact::redact(s).into_owned() } else { s.to_owned() }
    }
}

// ---- overview ----

/// `index.html`: the period picker, teams and agents, grades, top rules, failures.
#[derive(Debug, Serialize)]
pub struct Overview {
    /// Every period with scorecards, newest month first, then weeks, then days.
    pub periods: Vec<PeriodView>,
    /// The period shown first: the newest pay period.
    pub selected: String,
    pub top_rules: Vec<RuleCount>,
    /// Calls with a standing fatal finding.
    pub failed_calls: Vec<FailedCall>,
    pub errors: Vec<ErrorLine>,
    pub calls: usize,
    pub agents: usize,
}

#[derive(Debug, Serialize)]
pub struct PeriodView {
    pub label: String,
    pub kind: String,
    pub pay_period: bool,
    pub coverage: String,
    pub rows: Vec<AgentLine>,
    pub teams: Vec<TeamLine>,
    /// (grade, count), best first as the rubric orders them; empty for views.
    pub grades: Vec<(String, usize)>,
}

#[derive(Debug, Serialize)]
pub struct AgentLine {
    pub agent_id: String,
    pub agent_name: String,
    pub team: String,
    pub page: String,
    pub calls: i64,
    pub score: String,
    pub grade: String,
    /// A CSS class for the grade's colour: good, ok, warn, bad, or none.
    pub grade_class: String,
    pub failed: bool,
    pub minor: i64,
    pub medium: i64,
    pub severe: i64,
    pub fatal: i64,
    pub deducted: String,
    pub rank_in_team: i64,
    pub rank_overall: i64,
}

#[derive(Debug, Serialize)]
pub struct TeamLine {
    pub team: String,
    pub agents: usize,
    pub calls: i64,
    pub mean_score: String,
    pub failed: usize,
}

#[derive(Debug, Serialize)]
pub struct RuleCount {
    pub rule_id: String,
    pub rule_name: String,
    pub category: String,
    pub count: usize,
}

#[derive(Debug, Serialize)]
pub struct FailedCall {
    pub call_id: String,
    pub page: String,
    pub agent_id: String,
    pub reason: String,
}

#[derive(Debug, Serialize)]
pub struct ErrorLine {
    pub file: String,
    pub call_id: String,
    pub stage: String,
    pub reason: String,
}

/// Colour class of a grade: the rubric's bands are names, so the known ones are mapped and a
/// failing grade is always `bad`.
pub fn grade_class(grade: &str, failed: bool) -> String {
    if failed {
        return "bad".into();
    }
    match grade {
        "a" => "good",
        "b" => "good",
        "c" => "ok",
        "d" | "e" => "warn",
        "" => "none",
        _ => "ok",
    }
    .into()
}

/// When a call started, in the site's time zone: `2026-11-02 09:30:15 +08:00`.
pub fn local_time(c: &CallRow) -> String {
    c.started_at.strftime("%Y-%m-%d %H:%M:%S %:z").to_string()
}

/// The month a call started in, in the site's time zone: `2026-11`.
pub fn month_of(c: &CallRow) -> String {
    c.started_at.strftime("%Y-%m").to_string()
}

fn score_text(x: f64) -> String {
    format!("{x:.1}")
}

fn kind_rank(kind: &str) -> u8 {
    match kind {
        "month" => 0,
        "week" => 1,
        _ => 2,
    }
}

pub fn overview(tables: &Tables, texts: Texts) -> Overview {
    let mut by_period: BTreeMap<(u8, std::cmp::Reverse<String>), Vec<&ScorecardRow>> = BTreeMap::new();
    for c in &tables.scorecards {
        by_period.entry((kind_rank(&c.period_kind), std::cmp::Reverse(c.period.clone()))).or_default().push(c);
    }
    let periods: Vec<PeriodView> = by_period
        .into_values()
        .map(|mut cards| {
            cards.sort_by(|a, b| (a.team.as_deref(), a.rank_in_team, &a.agent_id).cmp(&(b.team.as_deref(), b.rank_in_team, &b.agent_id)));
            let first = cards[0];
            let rows = cards
                .iter()
                .map(|c| AgentLine {
                    agent_id: c.agent_id.clone(),
                    agent_name: texts.show(c.agent_name.as_deref().unwrap_or("")),
                    team: c.team.clone().unwrap_or_default(),
                    page: agent_page(&c.agent_id),
                    calls: c.calls,
                    score: score_text(c.score),
                    grade: c.grade.clone(),
                    grade_class: grade_class(&c.grade, c.failed),
                    failed: c.failed,
                    minor: c.minor,
                    medium: c.medium,
                    severe: c.severe,
                    fatal: c.fatal_findings,
                    deducted: score_text(c.deducted),
                    rank_in_team: c.rank_in_team,
                    rank_overall: c.rank_overall,
                })
                .collect();
            let mut teams: BTreeMap<&str, Vec<&ScorecardRow>> = BTreeMap::new();
            for c in &cards {
                teams.entry(c.team.as_deref().unwrap_or("")).or_default().push(c);
            }
            let teams = teams
                .into_iter()
                .map(|(t, cs)| TeamLine {
                    team: t.to_owned(),
                    agents: cs.len(),
                    calls: cs.iter().map(|c| c.calls).sum(),
                    mean_score: score_text(cs.iter().map(|c| c.score).sum::<f64>() / cs.len() as f64),
                    failed: cs.iter().filter(|c| c.failed).count(),
                })
                .collect();
            let mut grades: Vec<(String, usize)> = Vec::new();
            if first.pay_period {
                // Best first: by the highest score seen in the grade.
                let mut best: BTreeMap<&str, f64> = BTreeMap::new();
                for c in &cards {
                    let e = best.entry(c.grade.as_str()).or_insert(f64::MIN);
                    *e = e.max(c.score);
                }
                let mut names: Vec<(&str, f64)> = best.into_iter().collect();
                names.sort_by(|a, b| b.1.total_cmp(&a.1));
                grades = names.iter().map(|(g, _)| ((*g).to_owned(), cards.iter().filter(|c| c.grade == *g).count())).collect();
            }
            PeriodView {
                label: first.period.clone(),
                kind: first.period_kind.clone(),
                pay_period: first.pay_period,
                coverage: first.coverage.clone(),
                rows,
                teams,
                grades,
            }
        })
        .collect();
    let selected = periods.iter().find(|p| p.pay_period).or(periods.first()).map(|p| p.label.clone()).unwrap_or_default();

    let mut counts: BTreeMap<&str, (usize, &FindingRow)> = BTreeMap::new();
    for f in tables.findings.iter().filter(|f| f.status == "counted" || f.status == "fatal") {
        counts.entry(f.rule_id.as_str()).or_insert((0, f)).0 += 1;
    }
    let mut top_rules: Vec<RuleCount> = counts
        .into_values()
        .map(|(n, f)| RuleCount { rule_id: f.rule_id.clone(), rule_name: f.rule_name.clone(), category: f.category.clone(), count: n })
        .collect();
    top_rules.sort_by(|a, b| b.count.cmp(&a.count).then(a.rule_id.cmp(&b.rule_id)));
    top_rules.truncate(10);

    let mut failed_calls: Vec<FailedCall> = tables
        .calls
        .iter()
        .filter(|c| c.fatal)
        .map(|c| {
            let reason = tables
                .findings
                .iter()
                .filter(|f| f.call_id == c.call_id && f.status == "fatal")
                .map(|f| f.rule_name.clone())
                .collect::<Vec<_>>()
                .join(", ");
            FailedCall { call_id: c.call_id.clone(), page: call_page(&c.call_id), agent_id: c.agent_id.clone(), reason }
        })
        .collect();
    failed_calls.sort_by(|a, b| a.call_id.cmp(&b.call_id));
    let errors = tables.errors.iter().map(error_line).collect();
    let agents: BTreeSet<&str> = tables.calls.iter().map(|c| c.agent_id.as_str()).collect();
    Overview { periods, selected, top_rules, failed_calls, errors, calls: tables.calls.len(), agents: agents.len() }
}

fn error_line(e: &ErrorRow) -> ErrorLine {
    ErrorLine { file: e.file.clone(), call_id: e.call_id.clone().unwrap_or_default(), stage: e.stage.clone(), reason: e.reason.clone() }
}

// ---- agent ----

/// `agent-ID.html`: every period's scorecard, trends, deductions by category, worst findings,
/// good examples.
#[derive(Debug, Serialize)]
pub struct AgentView {
    pub agent_id: String,
    pub agent_name: String,
    pub team: String,
    pub months: Vec<CardLine>,
    pub weeks: Vec<CardLine>,
    /// SVG: day and week scores over time.
    pub trend_svg: String,
    /// SVG: points deducted by category.
    pub categories_svg: String,
    pub worst: Vec<FindingLine>,
    /// Categories where the agent has calls with no counted finding, with up to three such calls.
    pub good: Vec<GoodExample>,
    pub calls: Vec<CallLine>,
}

#[derive(Debug, Serialize)]
pub struct CardLine {
    pub period: String,
    pub calls: i64,
    pub score: String,
    pub grade: String,
    pub grade_class: String,
    pub coverage: String,
    pub deducted: String,
    pub escalation: String,
    pub bonus: String,
    pub adjustment: String,
    pub pay: String,
    pub fail_reason: String,
    pub categories: String,
}

#[derive(Debug, Serialize)]
pub struct FindingLine {
    pub finding_id: String,
    pub call_id: String,
    pub page: String,
    pub at: String,
    pub start_s: f64,
    pub rule_name: String,
    pub severity: String,
    pub deducted: String,
    pub what: String,
}

#[derive(Debug, Serialize)]
pub struct GoodExample {
    pub category: String,
    pub calls: Vec<CallLine>,
}

#[derive(Debug, Serialize)]
pub struct CallLine {
    pub call_id: String,
    pub page: String,
    pub started_at: String,
    pub score: String,
    pub findings: i64,
}

fn call_line(c: &CallRow) -> CallLine {
    CallLine { call_id: c.call_id.clone(), page: call_page(&c.call_id), started_at: local_time(c), score: score_text(c.score), findings: c.findings_counted }
}

fn card_line(c: &ScorecardRow) -> CardLine {
    let signed = |x: f64| if x == 0.0 { String::new() } else { format!("{x:+.1}") };
    CardLine {
        period: c.period.clone(),
        calls: c.calls,
        score: score_text(c.score),
        grade: c.grade.clone(),
        grade_class: grade_class(&c.grade, c.failed),
        coverage: c.coverage.clone(),
        deducted: score_text(c.deducted),
        escalation: if c.escalation > 0.0 { format!("−{} ({})", c.escalation, c.escalation_notes) } else { String::new() },
        bonus: if c.bonus > 0.0 { format!("+{} ({})", c.bonus, c.bonus_names) } else { String::new() },
        adjustment: if c.adjustment != 0.0 { format!("{} ({})", signed(c.adjustment), c.adjustment_reason.as_deref().unwrap_or("")) } else { String::new() },
        pay: match (c.pay_float, c.in_grace) {
            (_, true) => "grace".into(),
            (Some(p), _) => format!("{p:+.0}"),
            (None, _) => String::new(),
        },
        fail_reason: c.fail_reason.clone(),
        categories: c.categories.clone(),
    }
}

pub fn finding_line(f: &FindingRow, texts: Texts) -> FindingLine {
    FindingLine {
        finding_id: f.finding_id.clone(),
        call_id: f.call_id.clone(),
        page: call_page(&f.call_id),
        at: clock(f.start_ms),
        start_s: f.start_ms as f64 / 1000.0,
        rule_name: f.rule_name.clone(),
        severity: f.severity.clone(),
        deducted: format!("{}", f.deducted),
        what: texts.show(&what(f)),
    }
}

pub fn agent(tables: &Tables, agent_id: &str, texts: Texts) -> AgentView {
    let cards: Vec<&ScorecardRow> = tables.scorecards.iter().filter(|c| c.agent_id == agent_id).collect();
    let calls: Vec<&CallRow> = {
        let mut v: Vec<&CallRow> = tables.calls.iter().filter(|c| c.agent_id == agent_id).collect();
        v.sort_by(|a, b| (a.started_at.timestamp(), &a.call_id).cmp(&(b.started_at.timestamp(), &b.call_id)));
        v
    };
    let last = calls.last();
    let of_kind = |k: &str| -> Vec<CardLine> {
        let mut v: Vec<&&ScorecardRow> = cards.iter().filter(|c| c.period_kind == k).collect();
        v.sort_by(|a, b| a.period.cmp(&b.period));
        v.into_iter().map(|c| card_line(c)).collect()
    };
    let series = |k: &str| -> Vec<(String, f64, f64)> {
        let epoch = jiff::civil::date(2000, 1, 1);
        let mut v: Vec<(String, f64, f64)> = cards
            .iter()
            .filter(|c| c.period_kind == k)
            .map(|c| (c.period.clone(), (c.period_start - epoch).get_days() as f64, c.mean_call_score))
            .collect();
        v.sort_by(|a, b| a.1.total_cmp(&b.1));
        v
    };
    let trend_svg = svg::trend(&[("day", &series("day")), ("week", &series("week"))]);

    let mine: Vec<&FindingRow> = tables.findings.iter().filter(|f| f.agent_id == agent_id).collect();
    let mut by_cat: BTreeMap<&str, f64> = BTreeMap::new();
    for f in mine.iter().filter(|f| f.status == "counted") {
        *by_cat.entry(f.category.as_str()).or_default() += f.deducted;
    }
    let mut bars: Vec<(String, f64)> = by_cat.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
    bars.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    let categories_svg = svg::bars(&bars);

    let mut worst: Vec<&&FindingRow> = mine.iter().filter(|f| f.status == "counted" || f.status == "fatal").collect();
    worst.sort_by(|a, b| b.deducted.total_cmp(&a.deducted).then(a.call_id.cmp(&b.call_id)).then(a.start_ms.cmp(&b.start_ms)));
    let worst = worst.into_iter().take(10).map(|f| finding_line(f, texts)).collect();

    let mut cats: BTreeSet<&str> = crate::rules::KNOWN_CATEGORIES.iter().copied().collect();
    cats.extend(tables.findings.iter().map(|f| f.category.as_str()));
    let good = cats
        .into_iter()
        .filter_map(|cat| {
            let clean: Vec<CallLine> = calls
                .iter()
                .filter(|c| !mine.iter().any(|f| f.call_id == c.call_id && f.category == cat && (f.status == "counted" || f.status == "fatal")))
                .take(3)
                .map(|c| call_line(c))
                .collect();
            (!clean.is_empty()).then(|| GoodExample { category: cat.to_owned(), calls: clean })
        })
        .collect();

    AgentView {
        agent_id: agent_id.to_owned(),
        agent_name: texts.show(last.and_then(|c| c.agent_name.as_deref()).unwrap_or("")),
        team: last.and_then(|c| c.team.clone()).unwrap_or_default(),
        months: of_kind("month"),
        weeks: of_kind("week"),
        trend_svg,
        categories_svg,
        worst,
        good,
        calls: calls.iter().map(|c| call_line(c)).collect(),
    }
}

// ---- call ----

/// `call-ID.html`: metadata, timeline, transcript with highlights, findings with review
/// controls, and the audio.
#[derive(Debug, Serialize)]
pub struct CallView {
    pub call_id: String,
    pub agent_id: String,
    pub agent_name: String,
    pub agent_page: String,
    pub team: String,
    pub started_at: String,
    pub direction: String,
    pub layout: String,
    pub duration: String,
    pub score: String,
    pub fatal: bool,
    pub findings_counted: i64,
    pub recording: String,
    /// The audio source relative to the page, or `None` when the recording is not reachable.
    pub audio: Option<String>,
    pub timeline_svg: String,
    pub utterances: Vec<UtteranceLine>,
    pub findings: Vec<FindingDetail>,
}

#[derive(Debug, Serialize)]
pub struct UtteranceLine {
    pub index: i64,
    pub role: String,
    pub at: String,
    pub start_s: f64,
    /// The text in pieces; `true` pieces are words a finding matched.
    pub parts: Vec<(String, bool)>,
    /// Ids of the findings in this utterance, for links.
    pub findings: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct FindingDetail {
    pub finding_id: String,
    pub rule_id: String,
    pub rule_name: String,
    pub category: String,
    pub severity: String,
    pub points: String,
    pub deducted: String,
    pub status: String,
    pub reason: String,
    pub at: String,
    pub start_s: f64,
    pub what: String,
    pub detail: String,
    pub evidence: Vec<String>,
    pub review: String,
    pub audit: String,
}

/// Splits `text` into pieces around the first occurrence of each of `marks` (non-empty), so
/// the template can wrap matched words without building markup from data.
pub fn highlight(text: &str, marks: &[&str]) -> Vec<(String, bool)> {
    let mut spans: Vec<(usize, usize)> = marks
        .iter()
        .filter(|m| !m.is_empty())
        .filter_map(|m| text.find(m).map(|i| (i, i + m.len())))
        .collect();
    spans.sort();
    let mut merged: Vec<(usize, usize)> = Vec::new();
    for (a, b) in spans {
        match merged.last_mut() {
            Some(last) if a <= last.1 => last.1 = last.1.max(b),
            _ => merged.push((a, b)),
        }
    }
    let mut out = Vec::new();
    let mut at = 0;
    for (a, b) in merged {
        if a > at {
            out.push((text[at..a].to_owned(), false));
        }
        out.push((text[a..b].to_owned(), true));
        at = b;
    }
    if at < text.len() || out.is_empty() {
        out.push((text[at..].to_owned(), false));
    }
    out
}

pub fn call(c: &CallRow, segments: &[&SegmentRow], findings: &[&FindingRow], audio: Option<String>, texts: Texts) -> CallView {
    let utterances = segments
        .iter()
        .map(|s| {
            let here: Vec<&&FindingRow> = findings.iter().filter(|f| f.utterance_start_ms == Some(s.start_ms) && role_matches(f, &s.role)).collect();
            let text = texts.show(&s.text);
            let marks: Vec<String> = here.iter().map(|f| texts.show(&f.matched_text)).collect();
            let marks: Vec<&str> = marks.iter().flat_map(|m| m.split('…')).map(str::trim).collect();
            UtteranceLine {
                index: s.index,
                role: s.role.clone(),
                at: clock(s.start_ms),
                start_s: s.start_ms as f64 / 1000.0,
                parts: highlight(&text, &marks),
                findings: here.iter().map(|f| f.finding_id.clone()).collect(),
            }
        })
        .collect();
    let findings_out = findings
        .iter()
        .map(|f| FindingDetail {
            finding_id: f.finding_id.clone(),
            rule_id: f.rule_id.clone(),
            rule_name: f.rule_name.clone(),
            category: f.category.clone(),
            severity: f.severity.clone(),
            points: format!("{}", f.rubric_points),
            deducted: format!("{}", f.deducted),
            status: f.status.clone(),
            reason: f.reason.clone().unwrap_or_default(),
            at: format!("{}–{}", clock(f.start_ms), clock(f.end_ms.max(f.start_ms))),
            start_s: f.start_ms as f64 / 1000.0,
            what: texts.show(&what(f)),
            detail: texts.show(&f.detail),
            evidence: [&f.trigger, &f.context_before, &f.utterance, &f.context_after].into_iter().flatten().map(|u| texts.show(u)).collect(),
            review: f.review_verdict.clone().unwrap_or_default(),
            audit: f.audit.clone().unwrap_or_default(),
        })
        .collect();
    CallView {
        call_id: c.call_id.clone(),
        agent_id: c.agent_id.clone(),
        agent_name: texts.show(c.agent_name.as_deref().unwrap_or("")),
        agent_page: agent_page(&c.agent_id),
        team: c.team.clone().unwrap_or_default(),
        started_at: local_time(c),
        direction: c.direction.clone().unwrap_or_default(),
        layout: c.layout.clone(),
        duration: clock(c.duration_ms),
        score: score_text(c.score),
        fatal: c.fatal,
        findings_counted: c.findings_counted,
        recording: c.path.clone(),
        audio,
        timeline_svg: svg::timeline(c.duration_ms, segments, findings, &|s| texts.show(s)),
        utterances,
        findings: findings_out,
    }
}

/// Whether a finding's utterance can be this segment's role (it quotes `[agent] …`).
fn role_matches(f: &FindingRow, role: &str) -> bool {
    f.utterance.as_deref().is_none_or(|u| u.starts_with(&format!("[{role}]")))
}

// ---- rules ----

/// `rules.html`: per rule, how often it fired and how inspectors judged it.
#[derive(Debug, Serialize)]
pub struct RuleLine {
    pub rule_id: String,
    pub rule_name: String,
    pub category: String,
    pub severity: String,
    pub findings: usize,
    pub calls: usize,
    pub agents: usize,
    pub reviewed: usize,
    pub rejected: usize,
    /// Rejected share of reviewed findings, "" when none were reviewed.
    pub rejection_rate: String,
    /// Whether inspectors reject this rule often enough (at least half of at least 3 reviews)
    /// that it needs work.
    pub needs_work: bool,
}

pub fn rules(tables: &Tables) -> Vec<RuleLine> {
    let mut by: BTreeMap<&str, Vec<&FindingRow>> = BTreeMap::new();
    for f in &tables.findings {
        by.entry(f.rule_id.as_str()).or_default().push(f);
    }
    let mut out: Vec<RuleLine> = by
        .into_values()
        .map(|fs| {
            let calls: BTreeSet<&str> = fs.iter().map(|f| f.call_id.as_str()).collect();
            let agents: BTreeSet<&str> = fs.iter().map(|f| f.agent_id.as_str()).collect();
            let reviewed = fs.iter().filter(|f| f.review_verdict.is_some()).count();
            let rejected = fs.iter().filter(|f| f.review_verdict.as_deref() == Some("reject")).count();
            RuleLine {
                rule_id: fs[0].rule_id.clone(),
                rule_name: fs[0].rule_name.clone(),
                category: fs[0].category.clone(),
                severity: fs[0].severity.clone(),
                findings: fs.len(),
                calls: calls.len(),
                agents: agents.len(),
                reviewed,
                rejected,
                rejection_rate: if reviewed == 0 { String::new() } else { format!("{:.0} %", 100.0 * rejected as f64 / reviewed as f64) },
                needs_work: reviewed >= 3 && rejected * 2 >= reviewed,
            }
        })
        .collect();
    out.sort_by(|a, b| b.findings.cmp(&a.findings).then(a.rule_id.cmp(&b.rule_id)));
    out
}

// ---- search ----

/// The search index (`search-index.js`): every finding and utterance as compact rows, so the
/// search page filters client-side without opening any call page. Field order is fixed and
/// documented in `assets/app.js`.
#[derive(Debug, Serialize)]
pub struct SearchIndex {
    /// Call facts, referenced by position: [call_id, page, agent_id, agent_name, team, month].
    pub calls: Vec<[String; 6]>,
    /// [call, kind ("f" finding / "u" utterance), start_s, category, rule_id, rule_name, status, text].
    pub rows: Vec<(usize, &'static str, f64, String, String, String, String, String)>,
}

pub fn search_index(tables: &Tables, texts: Texts) -> SearchIndex {
    let mut pos: BTreeMap<&str, usize> = BTreeMap::new();
    let mut calls = Vec::with_capacity(tables.calls.len());
    for (i, c) in tables.calls.iter().enumerate() {
        pos.insert(c.call_id.as_str(), i);
        let month = month_of(c);
        calls.push([
            c.call_id.clone(),
            call_page(&c.call_id),
            c.agent_id.clone(),
            texts.show(c.agent_name.as_deref().unwrap_or("")),
            c.team.clone().unwrap_or_default(),
            month,
        ]);
    }
    let mut rows = Vec::with_capacity(tables.findings.len() + tables.segments.len());
    for f in &tables.findings {
        let Some(&i) = pos.get(f.call_id.as_str()) else { continue };
        let text = [what(f), f.utterance.clone().unwrap_or_default()].join(" · ");
        rows.push((i, "f", f.start_ms as f64 / 1000.0, f.category.clone(), f.rule_id.clone(), f.rule_name.clone(), f.status.clone(), texts.show(&text)));
    }
    for s in &tables.segments {
        let Some(&i) = pos.get(s.call_id.as_str()) else { continue };
        rows.push((i, "u", s.start_ms as f64 / 1000.0, String::new(), String::new(), String::new(), s.role.clone(), texts.show(&s.text)));
    }
    SearchIndex { calls, rows }
}
