//! Scoring one call: each finding becomes a [`ScoreLine`] that says what it deducts or why it
//! does not (rejected in review, capped, fatal), so a score can always be explained line by line.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::reviews::{Reviews, Verdict};
use super::rubric::{PerUtterance, PointsFrom, Rubric, SeverityPoints};
use crate::call::CallMeta;
use crate::finding::Severity;
use crate::finding::Kind;
use crate::finding::Finding;

/// Whether a finding deducts, and if not, why.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LineStatus {
    /// Deducts its points.
    Counted,
    /// Over a per-rule or per-call occurrence cap: deducts nothing.
    Capped,
    /// Rejected in review: deducts nothing.
    Rejected,
    /// A severity the rubric marks "fail": deducts nothing, fails the period.
    Fatal,
}

impl LineStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            LineStatus::Counted => "counted",
            LineStatus::Capped => "capped",
            LineStatus::Rejected => "rejected",
            LineStatus::Fatal => "fatal",
        }
    }
}

/// One finding's part in a call's score.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ScoreLine {
    pub finding_id: String,
    pub rule_id: String,
    pub rule_name: String,
    pub category: String,
    pub severity: Severity,
    /// What the rubric charges for this finding, whether or not it is counted.
    pub rubric_points: f64,
    /// What it deducts: `rubric_points` when counted, else 0.
    pub deducted: f64,
    pub status: LineStatus,
    /// Why it is not counted, in words ("" when counted), e.g. "over the cap of 1 per call".
    pub reason: String,
    /// The deciding review, if any.
    pub verdict: Option<Verdict>,
    pub reviewer: Option<String>,
    /// Every review decision on the finding, deciding one first ("" when unreviewed).
    pub audit: String,
}

/// One call's score.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CallScore {
    pub call_id: String,
    pub agent_id: String,
    pub agent_name: Option<String>,
    pub team: Option<String>,
    /// When the call connected; periods are cut from it by [`super::scorecards`].
    pub started_at: jiff::Timestamp,
    pub rubric_version: String,
    /// The rubric's per-call base.
    pub base: f64,
    /// Sum of the counted lines' points.
    pub deducted: f64,
    /// `base − deducted`, floored at 0.
    pub score: f64,
    /// A finding of a "fail" severity stands (not rejected): the period fails.
    pub fatal: bool,
    pub findings_counted: u32,
    pub findings_capped: u32,
    pub findings_rejected: u32,
    /// One per finding, in the findings' order.
    pub lines: Vec<ScoreLine>,
}

/// Scores one call's findings under the rubric, applying review verdicts and caps.
///
/// Findings are taken in order; a rule's occurrences beyond its cap (an `[[override]]`'s
/// `max_per_call`, else `call.max_per_rule`) and findings beyond `call.max_findings` are
/// `capped`. Rejected and fatal findings never use up a cap. With `call.per_utterance =
/// "category"` a forbidden hit in an utterance already charged for its category (by another
/// rule: 有没有搞错，说那么大声 is two phrases of one 忌语) is `capped` too.
pub fn score_call(rubric: &Rubric, meta: &CallMeta, findings: &[Finding], reviews: &Reviews) -> CallScore {
    let mut per_rule: HashMap<&str, u32> = HashMap::new();
    // (category, utterance index) → the rule that charged it.
    let mut charged: HashMap<(&str, usize), &str> = HashMap::new();
    let mut counted = 0u32;
    let mut fatal = false;
    let mut lines = Vec::with_capacity(findings.len());
    for f in findings {
        let over = rubric.override_for(&f.rule_id, &f.category, f.severity);
        let sev = rubric.severity_points(f.severity);
        let points = match (over.and_then(|o| o.points), rubric.points_from, sev) {
            (Some(p), _, _) => p,
            (None, PointsFrom::Rule, _) => f.points as f64,
            (None, PointsFrom::Severity, SeverityPoints::Points(p)) => p,
            (None, PointsFrom::Severity, SeverityPoints::Fail) => 0.0,
        };
        let decision = reviews.decision(&f.id);
        let rule_cap = over.and_then(|o| o.max_per_call).or(rubric.call.max_per_rule);
        let seen = per_rule.get(f.rule_id.as_str()).copied().unwrap_or(0);
        let utterance = f
            .utterance
            .as_ref()
            .filter(|_| f.kind == Kind::Forbidden && rubric.call.per_utterance == PerUtterance::Category)
            .map(|u| (f.category.as_str(), u.index));
        let already = utterance.and_then(|k| charged.get(&k)).filter(|r| **r != f.rule_id);
        let (status, reason) = if decision.is_some_and(|d| d.verdict == Verdict::Reject) {
            (LineStatus::Rejected, "rejected in review".to_owned())
        } else if sev == SeverityPoints::Fail {
            fatal = true;
            (LineStatus::Fatal, format!("severity {} fails the period", f.severity))
        } else if let Some(rule) = already {
            (LineStatus::Capped, format!("the utterance is already charged for {} (rule {rule})", f.category))
        } else if rule_cap.is_some_and(|c| seen >= c) {
            (LineStatus::Capped, format!("over the cap of {} per call for rule {}", rule_cap.unwrap_or(0), f.rule_id))
        } else if rubric.call.max_findings.is_some_and(|c| counted >= c) {
            (LineStatus::Capped, format!("over the cap of {} findings per call", rubric.call.max_findings.unwrap_or(0)))
        } else {
            (LineStatus::Counted, String::new())
        };
        if status == LineStatus::Counted {
            counted += 1;
            *per_rule.entry(f.rule_id.as_str()).or_default() += 1;
            if let Some(k) = utterance {
                charged.entry(k).or_insert(f.rule_id.as_str());
            }
        }
        lines.push(ScoreLine {
            finding_id: f.id.clone(),
            rule_id: f.rule_id.clone(),
            rule_name: f.rule_name.clone(),
            category: f.category.clone(),
            severity: f.severity,
            rubric_points: points,
            deducted: if status == LineStatus::Counted { points } else { 0.0 },
            status,
            reason,
            verdict: decision.map(|d| d.verdict),
            reviewer: decision.map(|d| d.reviewer.clone()),
            audit: reviews.audit(&f.id),
        });
    }
    let count = |s: LineStatus| lines.iter().filter(|l| l.status == s).count() as u32;
    let deducted: f64 = lines.iter().map(|l| l.deducted).sum();
    CallScore {
        call_id: meta.call_id.clone(),
        agent_id: meta.agent_id.clone(),
        agent_name: meta.agent_name.clone(),
        team: meta.team.clone(),
        started_at: meta.started_at,
        rubric_version: rubric.version().to_owned(),
        base: rubric.call.base,
        deducted,
        score: (rubric.call.base - deducted).max(0.0),
        fatal,
        findings_counted: count(LineStatus::Counted),
        findings_capped: count(LineStatus::Capped),
        findings_rejected: count(LineStatus::Rejected),
        lines,
    }
}
