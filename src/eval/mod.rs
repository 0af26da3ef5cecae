//! Measuring how often callqa is right: character error rate of transcripts against scripts
//! ([`cer`]), and findings against hand-written labels ([`labels`], [`matching`]).

pub mod cer;
pub mod labels;
pub mod matching;

pub use labels::{Label, LabelErrors, LabelProblem, load_labels, parse_labels};
pub use matching::{DEFAULT_TOLERANCE_MS, EvalReport, MatchedBy, Pair, Score, evaluate};

use std::path::Path;

use crate::report::{FindingRow, Tables};
use crate::finding::Finding;

/// `callqa eval`: a report set's findings against a labels file, over the calls the report
/// scored (labels of calls that failed are counted as not evaluated, not as misses).
pub fn evaluate_reports(labels: &Path, tables: &Tables, tolerance_ms: u64) -> Result<EvalReport, String> {
    let mut categories: Vec<&str> = crate::rules::KNOWN_CATEGORIES.to_vec();
    categories.extend(tables.findings.iter().map(|f| f.category.as_str()));
    categories.sort_unstable();
    categories.dedup();
    let labels = load_labels(labels, &categories).map_err(|e| e.to_string())?;
    let findings = tables.findings.iter().map(finding_from_row).collect::<Result<Vec<_>, _>>()?;
    let calls: Vec<String> = tables.calls.iter().map(|c| c.call_id.clone()).collect();
    Ok(evaluate(&labels, &findings, &calls, tolerance_ms))
}

/// A findings-report row back as the scanner's [`Finding`] (evidence utterances are not kept
/// in that form, so they come back empty).
pub fn finding_from_row(r: &FindingRow) -> Result<Finding, String> {
    fn enum_of<T: serde::de::DeserializeOwned>(r: &FindingRow, field: &str, v: &str) -> Result<T, String> {
        serde_json::from_value(serde_json::Value::String(v.to_owned())).map_err(|e| format!("finding {}: {field} {v:?}: {e}", r.finding_id))
    }
    Ok(Finding {
        id: r.finding_id.clone(),
        call_id: r.call_id.clone(),
        rule_id: r.rule_id.clone(),
        rule_name: r.rule_name.clone(),
        pack_version: r.pack_version.clone(),
        category: r.category.clone(),
        kind: enum_of(r, "kind", &r.kind)?,
        severity: enum_of(r, "severity", &r.severity)?,
        points: r.rubric_points.max(0.0).round() as u32,
        role: enum_of(r, "role", &r.role)?,
        start_ms: r.start_ms.max(0) as u64,
        end_ms: r.end_ms.max(0) as u64,
        matched_text: r.matched_text.clone(),
        normalized_text: r.normalized_text.clone(),
        utterance: None,
        before: None,
        after: None,
        more_utterances: Vec::new(),
        trigger: None,
        match_mode: r.match_mode.as_deref().map(|m| enum_of(r, "match_mode", m)).transpose()?,
        similarity: r.similarity.map(|s| s as f32),
        value: r.value,
        detail: r.detail.clone(),
    })
}
