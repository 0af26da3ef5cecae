//! From a run's calls to report rows: scores the calls' findings under the rubric and lays out
//! the five tables. It takes values ([`Contents`]); reading them from a run's folders is the
//! batch's job, so the report knows nothing of how a run is stored.
//!
//! The same function builds the reports of a single run and of `merge` over shards, from the
//! same inputs in the same order, which is why a merged report set equals an unsharded one.
//! Rows are sorted by call id (and position), never by completion order, so a resumed run and
//! an uninterrupted one write identical files.

use jiff::tz::TimeZone;

use super::{CallRow, ErrorRow, FindingRow, ReportMeta, ScorecardRow, SegmentRow, Tables, REPORT_FORMAT};
use crate::shared::{Role, Stage};
use crate::call::CallMeta;
use crate::finding::{Finding, Utterance};
use crate::score::manual::Cards;
use crate::score::{Adjustments, Bonuses, CallScore, PeriodKind, Reviews, Rubric, Staff, Scorecard};
use crate::transcript::Transcript;

/// What scoring needs besides the findings.
pub struct Scoring<'a> {
    pub rubric: &'a Rubric,
    pub reviews: &'a Reviews,
    pub adjustments: &'a Adjustments,
    pub bonuses: &'a Bonuses,
    pub staff: &'a Staff,
    pub tz: &'a TimeZone,
    /// SHA-256 of the review/adjustment/bonus/staff files used, in that order (part of the
    /// run id: a new review gives a new report set).
    pub inputs_sha256: Vec<String>,
}

/// How texts are written.
#[derive(Clone, Copy, Debug, Default)]
pub struct TextOptions {
    /// Mask phone, ID and bank-card numbers.
    pub redact: bool,
}

/// One call to report: who and when, what was said, what was found.
#[derive(Clone, Debug)]
pub struct Loaded {
    pub meta: CallMeta,
    pub transcript: Transcript,
    pub findings: Vec<Finding>,
}

/// A recording that did not make it to the report, and at which stage.
#[derive(Clone, Debug)]
pub struct Failure {
    pub file: String,
    pub call_id: Option<String>,
    pub stage: Stage,
    pub reason: String,
}

/// Everything a report set is made of, as values: the caller (the batch) reads the run's
/// files; this module never does.
#[derive(Clone, Debug, Default)]
pub struct Contents {
    pub calls: Vec<Loaded>,
    pub failures: Vec<Failure>,
    pub pack: String,
    pub pack_version: String,
    /// SHA-256 of each pack the calls were scanned with (empty when unknown).
    pub pack_sha256: Vec<String>,
    pub model_sha256: Option<String>,
}

/// Builds the report set of `contents`: scores each call, cuts scorecards, and lays both out
/// as tables.
pub fn assemble(contents: Contents, scoring: &Scoring, text: TextOptions) -> (ReportMeta, Tables) {
    let Contents { calls: mut loaded, failures, pack, pack_version, pack_sha256, model_sha256: model_sha } = contents;
    let mut errors: Vec<ErrorRow> = failures
        .into_iter()
        .map(|f| ErrorRow { run_id: String::new(), file: f.file, call_id: f.call_id, stage: f.stage.as_str().into(), reason: f.reason })
        .collect();
    loaded.sort_by(|a, b| a.meta.call_id.cmp(&b.meta.call_id));
    errors.sort_by(|a, b| (&a.file, &a.stage, &a.reason).cmp(&(&b.file, &b.stage, &b.reason)));

    let scores: Vec<CallScore> =
        loaded.iter().map(|l| crate::score::score_call(scoring.rubric, &l.meta, &l.findings, scoring.reviews)).collect();
    let mut cards: Vec<Scorecard> = Vec::new();
    for kind in [PeriodKind::Month, PeriodKind::Week, PeriodKind::Day] {
        cards.extend(crate::score::scorecards(scoring.rubric, &scores, kind, scoring.tz, scoring.adjustments, scoring.bonuses, scoring.staff));
    }
    for (stage, p) in unapplied(scoring, &scores, &cards) {
        errors.push(ErrorRow {
            run_id: String::new(),
            file: format!("{}:{}", p.file().display(), p.line()),
            call_id: None,
            stage: stage.into(),
            reason: p.message().to_owned(),
        });
    }

    // One entry per distinct pack: the shards of one run share theirs, so a merge and an
    // unsharded run agree.
    let mut pack_sha: Vec<&str> = pack_sha256.iter().map(String::as_str).collect();
    pack_sha.sort_unstable();
    pack_sha.dedup();
    let run_id = run_id(&loaded, &errors, &pack_version, &pack_sha, scoring, text);
    let mut tables = Tables::default();
    for (l, score) in loaded.iter().zip(&scores) {
        tables.calls.push(call_row(&run_id, l, score, &pack_version, scoring.tz));
        let t = &l.transcript;
        for (i, s) in t.segments.iter().enumerate() {
            tables.segments.push(SegmentRow {
                run_id: run_id.clone(),
                call_id: t.call_id.clone(),
                index: i as i64,
                role: s.role.to_string(),
                start_ms: s.start_ms as i64,
                end_ms: s.end_ms as i64,
                text: mask(&s.text, text),
                avg_token_prob: f64::from(s.avg_token_prob),
                no_speech_prob: f64::from(s.no_speech_prob),
            });
        }
        for (f, line) in l.findings.iter().zip(&score.lines) {
            tables.findings.push(finding_row(&run_id, &l.meta, f, line, text));
        }
    }
    tables.scorecards = cards.iter().map(|c| scorecard_row(&run_id, c)).collect();
    for e in &mut errors {
        e.run_id.clone_from(&run_id);
    }
    tables.errors = errors;

    let meta = ReportMeta {
        format: REPORT_FORMAT,
        run_id,
        generated_at: jiff::Timestamp::now().to_zoned(scoring.tz.clone()).strftime("%Y-%m-%dT%H:%M:%S%:z").to_string(),
        producer: format!("callqa {}", env!("CARGO_PKG_VERSION")),
        pack,
        pack_version,
        rubric_version: scoring.rubric.version().to_owned(),
        model_sha256: model_sha,
        timezone: scoring.tz.iana_name().unwrap_or("UTC").to_owned(),
        redacted: text.redact,
        files: Vec::new(),
    };
    (meta, tables)
}

/// The `errors` stages of rows in the supervisors' files that applied to nothing.
pub const INPUT_STAGES: [&str; 4] = ["review", "adjustment", "bonus", "staff"];

/// Rows of the supervisors' files that applied to nothing: reviews of unknown findings,
/// adjustments and bonuses matching no pay-period scorecard, staff who took no call. Each is
/// an `errors` row (stage `review`, `adjustment`, `bonus`, `staff`) naming its file and line.
fn unapplied(scoring: &Scoring, scores: &[CallScore], cards: &[Scorecard]) -> Vec<(&'static str, crate::shared::problem::Problem)> {
    let ids: std::collections::HashSet<&str> = scores.iter().flat_map(|c| c.lines.iter().map(|l| l.finding_id.as_str())).collect();
    let known = Cards {
        pay_period: scoring.rubric.period.pay_period,
        keys: cards.iter().filter(|c| c.pay_period).map(|c| (c.agent_id.clone(), c.period.clone())).collect(),
        agents: scores.iter().map(|c| c.agent_id.clone()).collect(),
    };
    let mut out = Vec::new();
    out.extend(scoring.reviews.unknown(&|id| ids.contains(id)).into_iter().map(|p| ("review", p)));
    out.extend(scoring.adjustments.unmatched(&known).into_iter().map(|p| ("adjustment", p)));
    out.extend(scoring.bonuses.unmatched(&known).into_iter().map(|p| ("bonus", p)));
    out.extend(scoring.staff.unmatched(&known).into_iter().map(|p| ("staff", p)));
    out
}

/// A content hash of every input of the report set: each call's metadata (agent, name, team,
/// start, direction, path), its transcript (audio, model and decode parameters are in it) and
/// findings, the recordings that failed, the pack's files, the rubric's text, the review,
/// adjustment, bonus and staff files, the time zone and redaction. Equal inputs give equal
/// ids (a resumed run and an uninterrupted one agree); any change gives a new one.
fn run_id(loaded: &[Loaded], errors: &[ErrorRow], pack_version: &str, pack_sha: &[&str], scoring: &Scoring, text: TextOptions) -> String {
    let mut key = String::new();
    for l in loaded {
        let m = &l.meta;
        key.push_str(&format!(
            "{}\u{1f}{}\u{1f}{:?}\u{1f}{:?}\u{1f}{}\u{1f}{:?}\u{1f}{}\u{1f}{}\u{1f}{}\n",
            m.call_id,
            m.agent_id,
            m.agent_name,
            m.team,
            m.started_at,
            m.direction.map(|d| d.as_str()),
            m.path.display(),
            content(&l.transcript),
            content(&l.findings),
        ));
    }
    for e in errors {
        key.push_str(&format!("{}\u{1f}{}\u{1f}{}\n", e.file, e.stage, e.reason));
    }
    key.push_str(&format!(
        "{pack_version}\u{1f}{}\u{1f}{}\u{1f}{}\u{1f}{}\u{1f}{}",
        pack_sha.join(","),
        scoring.rubric.sha256,
        scoring.inputs_sha256.join(","),
        scoring.tz.iana_name().unwrap_or("UTC"),
        text.redact,
    ));
    crate::fsutil::sha256_bytes(key.as_bytes())[..12].to_owned()
}

/// SHA-256 of a value's JSON: what a transcript or a call's findings hold, whatever file they came from.
fn content<T: serde::Serialize>(v: &T) -> String {
    crate::fsutil::sha256_bytes(&serde_json::to_vec(v).unwrap_or_default())
}
/// Turns −0.0 (a sum of no deductions, negated) into 0.0, so files do not show "-0.0".
fn num(x: f64) -> f64 {
    x + 0.0
}

fn mask(s: &str, text: TextOptions) -> String {
    if text.redact { crate::redact::redact(s).into_owned() } else { s.to_owned() }
}

fn call_row(run_id: &str, l: &Loaded, s: &CallScore, pack_version: &str, tz: &TimeZone) -> CallRow {
    let t = &l.transcript;
    let speech = |role: Role| t.channels.iter().filter(|c| c.role == role).map(|c| c.speech_ms).sum::<u64>() as i64;
    let mono = t.channels.iter().any(|c| c.role == Role::Mixed);
    CallRow {
        run_id: run_id.to_owned(),
        call_id: l.meta.call_id.clone(),
        path: l.meta.path.display().to_string(),
        agent_id: l.meta.agent_id.clone(),
        agent_name: l.meta.agent_name.clone(),
        team: l.meta.team.clone(),
        started_at: l.meta.started_at.to_zoned(tz.clone()),
        direction: l.meta.direction.map(|d| d.as_str().to_owned()),
        layout: if mono { "mixed".into() } else { t.params.layout.as_str().into() },
        duration_ms: t.audio.duration_ms as i64,
        agent_speech_ms: speech(Role::Agent) + speech(Role::Mixed),
        customer_speech_ms: speech(Role::Customer),
        segments: t.segments.len() as i64,
        findings: l.findings.len() as i64,
        findings_counted: i64::from(s.findings_counted),
        findings_capped: i64::from(s.findings_capped),
        findings_rejected: i64::from(s.findings_rejected),
        score_base: num(s.base),
        deducted: num(s.deducted),
        score: num(s.score),
        fatal: s.fatal,
        pack_version: pack_version.to_owned(),
        rubric_version: s.rubric_version.clone(),
        model_sha256: t.model.sha256.clone(),
    }
}

/// An enum's name as the findings JSON spells it (`forbidden`, `agent`, `exact`).
fn serde_name<T: serde::Serialize>(v: &T) -> String {
    match serde_json::to_value(v) {
        Ok(serde_json::Value::String(s)) => s,
        other => format!("{other:?}"),
    }
}

fn quote(u: &Option<Utterance>, text: TextOptions) -> Option<String> {
    u.as_ref().map(|u| format!("[{}] {}", u.role, mask(&u.text, text)))
}

fn finding_row(run_id: &str, meta: &CallMeta, f: &Finding, line: &crate::score::ScoreLine, text: TextOptions) -> FindingRow {
    let nonempty = |s: &str| (!s.is_empty()).then(|| s.to_owned());
    FindingRow {
        run_id: run_id.to_owned(),
        finding_id: f.id.clone(),
        call_id: f.call_id.clone(),
        agent_id: meta.agent_id.clone(),
        rule_id: f.rule_id.clone(),
        rule_name: f.rule_name.clone(),
        pack_version: f.pack_version.clone(),
        category: f.category.clone(),
        kind: serde_name(&f.kind),
        severity: f.severity.to_string(),
        rubric_points: line.rubric_points,
        deducted: line.deducted,
        status: line.status.as_str().into(),
        reason: nonempty(&line.reason),
        review_verdict: line.verdict.map(|v| v.as_str().to_owned()),
        reviewer: line.reviewer.clone(),
        audit: nonempty(&line.audit),
        role: serde_name(&f.role),
        start_ms: f.start_ms as i64,
        end_ms: f.end_ms as i64,
        matched_text: mask(&f.matched_text, text),
        normalized_text: mask(&f.normalized_text, text),
        match_mode: f.match_mode.as_ref().map(serde_name),
        similarity: f.similarity.map(f64::from),
        value: f.value,
        detail: mask(&f.detail, text),
        utterance_start_ms: f.utterance.as_ref().map(|u| u.start_ms as i64),
        utterance_end_ms: f.utterance.as_ref().map(|u| u.end_ms as i64),
        utterance: quote(&f.utterance, text),
        context_before: quote(&f.before, text),
        context_after: quote(&f.after, text),
        trigger: quote(&f.trigger, text),
    }
}

fn scorecard_row(run_id: &str, c: &Scorecard) -> ScorecardRow {
    ScorecardRow {
        run_id: run_id.to_owned(),
        period_kind: c.period_kind.as_str().into(),
        period: c.period.clone(),
        period_start: c.period_start,
        agent_id: c.agent_id.clone(),
        agent_name: c.agent_name.clone(),
        team: c.team.clone(),
        calls: i64::from(c.calls),
        findings_counted: i64::from(c.findings_counted),
        findings_capped: i64::from(c.findings_capped),
        findings_rejected: i64::from(c.findings_rejected),
        minor: i64::from(c.minor),
        medium: i64::from(c.medium),
        severe: i64::from(c.severe),
        fatal_findings: i64::from(c.fatal),
        base: num(c.base),
        deducted: num(c.deducted),
        escalation: num(c.escalation),
        escalation_notes: c.escalation_notes.clone(),
        bonus: num(c.bonus),
        bonus_items: c.bonus_items.clone(),
        adjustment: num(c.adjustment),
        adjustment_reason: c.adjustment_reason.clone(),
        adjusted_by: c.adjusted_by.clone(),
        uncapped: num(c.uncapped),
        score: num(c.score),
        grade: c.grade.clone(),
        failed: c.failed,
        fail_reason: c.fail_reason.clone(),
        in_grace: c.in_grace,
        pay_float: c.pay_float.map(num),
        rank_in_team: i64::from(c.team_rank),
        rank_overall: i64::from(c.rank),
        rubric_version: c.rubric_version.clone(),
        pay_period: c.pay_period,
        coverage: c.coverage.clone(),
        calls_scored: i64::from(c.calls_scored),
        sampled_calls: c.sampled_calls.clone(),
        scale: c.scale,
        mean_call_score: num(c.mean_call_score),
        categories: c.categories.clone(),
        raw_deducted: num(c.raw_deducted),
        bonus_names: c.bonus_names.clone(),
    }
}
