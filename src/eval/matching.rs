//! Scoring callqa's findings against hand-written [`Label`]s: precision, recall and F1 per
//! category and overall, with the false positives and misses listed for the inspector.
//!
//! A finding matches a label when both are about the same call, category and kind, and
//! either the phrases agree (normalised with [`crate::rules::normalize`]; one containing the
//! other, so the manual's 有没有搞错，说那么大声 matches a hit on 有没有搞错) or the times are
//! within the tolerance. A label without a time (a phrase that was never said) matches any
//! finding of its call, category and kind. Each label and each finding is used at most once:
//! candidate pairs are taken best first (phrase and time, then phrase, then time, then
//! untimed), then those whose label note starts with the finding's rule id (the fixture
//! labels' notes do, e.g. `closing.thanks: …`; this only decides *which* of two findings
//! a label pairs with, so that the one listed as a false positive is the right one), then
//! nearest first.
//!
//! Only the calls named as evaluated count. Their findings with no label are false positives,
//! including findings on calls that have no labels at all. Findings of rules that watch the
//! customer (`role = "customer"`) are not against the agent and are left out.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde::{Deserialize, Serialize};

use super::labels::Label;
use crate::rules::normalize::normalize;
use crate::rules::{Kind, RoleFilter};
use crate::finding::Finding;

/// A reasonable tolerance for fixture calls: findings carry their utterance's start, which
/// for a long turn split into several segments can be a few seconds after the turn's start.
pub const DEFAULT_TOLERANCE_MS: u64 = 3000;

/// Counts and rates for one category, or overall.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Score {
    pub labels: usize,
    pub findings: usize,
    pub true_positives: usize,
    pub false_positives: usize,
    pub misses: usize,
    /// `None` when there were no findings.
    pub precision: Option<f64>,
    /// `None` when there were no labels.
    pub recall: Option<f64>,
    /// `None` when precision or recall is undefined, or both are 0.
    pub f1: Option<f64>,
}

impl Score {
    fn new(labels: usize, findings: usize, tp: usize) -> Score {
        let ratio = |n: usize, d: usize| (d > 0).then(|| n as f64 / d as f64);
        let precision = ratio(tp, findings);
        let recall = ratio(tp, labels);
        let f1 = match (precision, recall) {
            (Some(p), Some(r)) if p + r > 0.0 => Some(2.0 * p * r / (p + r)),
            _ => None,
        };
        Score { labels, findings, true_positives: tp, false_positives: findings - tp, misses: labels - tp, precision, recall, f1 }
    }
}

/// How a pair was made.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MatchedBy {
    PhraseAndTime,
    Phrase,
    Time,
    /// The label has no time and no phrase to compare (a mandated phrase never said).
    Untimed,
}

/// One label and the finding it was paired with.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Pair {
    pub label: Label,
    pub finding_id: String,
    pub rule_id: String,
    pub finding_start_ms: u64,
    pub matched_text: String,
    pub by: MatchedBy,
}

/// The result of [`evaluate`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EvalReport {
    pub tolerance_ms: u64,
    /// Calls evaluated.
    pub calls: usize,
    /// Per category, sorted by name; a category appears when it has a label or a finding.
    pub categories: BTreeMap<String, Score>,
    pub overall: Score,
    pub pairs: Vec<Pair>,
    /// Findings against the agent that no label accounts for.
    pub false_positives: Vec<Finding>,
    /// Labels no finding accounts for.
    pub misses: Vec<Label>,
    /// Labels of calls that were not evaluated (e.g. recordings that failed to transcribe).
    pub labels_not_evaluated: usize,
    /// Findings left out: of calls not evaluated, or of rules that watch the customer.
    pub findings_left_out: usize,
}

/// Matches `findings` to `labels` over the calls in `calls` (see the module docs).
pub fn evaluate(labels: &[Label], findings: &[Finding], calls: &[String], tolerance_ms: u64) -> EvalReport {
    let evaluated: BTreeSet<&str> = calls.iter().map(String::as_str).collect();
    let labels_in: Vec<&Label> = labels.iter().filter(|l| evaluated.contains(l.call_id.as_str())).collect();
    let findings_in: Vec<&Finding> = findings
        .iter()
        .filter(|f| evaluated.contains(f.call_id.as_str()) && f.role != RoleFilter::Customer)
        .collect();

    let label_phrases: Vec<String> = labels_in.iter().map(|l| normalize(&l.phrase).as_str().to_owned()).collect();
    let finding_phrases: Vec<String> = findings_in
        .iter()
        .map(|f| if f.normalized_text.is_empty() { normalize(&f.matched_text).as_str().to_owned() } else { f.normalized_text.clone() })
        .collect();

    // Every admissible pair, best first.
    let mut candidates: Vec<(MatchedBy, bool, u64, usize, usize)> = Vec::new();
    for (li, l) in labels_in.iter().enumerate() {
        for (fi, f) in findings_in.iter().enumerate() {
            if l.call_id != f.call_id || l.category != f.category || l.kind != f.kind {
                continue;
            }
            let (lp, fp) = (&label_phrases[li], &finding_phrases[fi]);
            let phrase = !lp.is_empty() && !fp.is_empty() && (lp.contains(fp.as_str()) || fp.contains(lp.as_str()));
            let dt = l.start_ms.map(|s| s.abs_diff(f.start_ms));
            let timed = dt.is_some_and(|d| d <= tolerance_ms);
            let by = match (phrase, timed) {
                (true, true) => MatchedBy::PhraseAndTime,
                (true, false) => MatchedBy::Phrase,
                (false, true) => MatchedBy::Time,
                (false, false) if l.start_ms.is_none() && lp.is_empty() => MatchedBy::Untimed,
                (false, false) => continue,
            };
            let other_rule = rule_hint(&l.note) != Some(f.rule_id.as_str());
            candidates.push((by, other_rule, dt.unwrap_or(0), li, fi));
        }
    }
    candidates.sort();

    let mut label_used = vec![false; labels_in.len()];
    let mut finding_used = vec![false; findings_in.len()];
    let mut pairs = Vec::new();
    for (by, _, _, li, fi) in candidates {
        if label_used[li] || finding_used[fi] {
            continue;
        }
        label_used[li] = true;
        finding_used[fi] = true;
        let f = findings_in[fi];
        pairs.push(Pair {
            label: labels_in[li].clone(),
            finding_id: f.id.clone(),
            rule_id: f.rule_id.clone(),
            finding_start_ms: f.start_ms,
            matched_text: f.matched_text.clone(),
            by,
        });
    }
    pairs.sort_by(|a, b| (&a.label.call_id, a.finding_start_ms).cmp(&(&b.label.call_id, b.finding_start_ms)));

    let mut counts: BTreeMap<String, (usize, usize, usize)> = BTreeMap::new();
    for l in &labels_in {
        counts.entry(l.category.clone()).or_default().0 += 1;
    }
    for f in &findings_in {
        counts.entry(f.category.clone()).or_default().1 += 1;
    }
    for p in &pairs {
        counts.entry(p.label.category.clone()).or_default().2 += 1;
    }
    let categories: BTreeMap<String, Score> = counts.into_iter().map(|(c, (l, f, tp))| (c, Score::new(l, f, tp))).collect();
    let overall = Score::new(labels_in.len(), findings_in.len(), pairs.len());

    let mut false_positives: Vec<Finding> =
        findings_in.iter().zip(&finding_used).filter(|(_, u)| !**u).map(|(f, _)| (*f).clone()).collect();
    false_positives.sort_by(|a, b| (&a.call_id, a.start_ms, &a.rule_id).cmp(&(&b.call_id, b.start_ms, &b.rule_id)));
    let mut misses: Vec<Label> = labels_in.iter().zip(&label_used).filter(|(_, u)| !**u).map(|(l, _)| (*l).clone()).collect();
    misses.sort_by(|a, b| (&a.call_id, a.start_ms, &a.category).cmp(&(&b.call_id, b.start_ms, &b.category)));

    EvalReport {
        tolerance_ms,
        calls: evaluated.len(),
        categories,
        overall,
        pairs,
        false_positives,
        misses,
        labels_not_evaluated: labels.len() - labels_in.len(),
        findings_left_out: findings.len() - findings_in.len(),
    }
}

/// The rule id a label's note starts with (`forbidden.replying: …`), if it does.
fn rule_hint(note: &str) -> Option<&str> {
    let head = note.split(':').next()?.trim();
    (head.contains('.') && !head.contains(char::is_whitespace)).then_some(head)
}

fn rate(x: Option<f64>) -> String {
    x.map_or_else(|| "—".to_owned(), |v| format!("{v:.2}"))
}

fn secs(ms: Option<u64>) -> String {
    ms.map_or_else(|| "—".to_owned(), |v| format!("{:.1} s", v as f64 / 1000.0))
}

fn kind_name(k: Kind) -> &'static str {
    match k {
        Kind::Required => "required",
        Kind::Forbidden => "forbidden",
        Kind::Metric => "metric",
    }
}

impl fmt::Display for EvalReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{} calls, tolerance {} ms", self.calls, self.tolerance_ms)?;
        writeln!(f, "{:<14} {:>6} {:>8} {:>4} {:>4} {:>5} {:>9} {:>6} {:>5}", "category", "labels", "findings", "TP", "FP", "miss", "precision", "recall", "F1")?;
        let row = |f: &mut fmt::Formatter<'_>, name: &str, s: &Score| {
            writeln!(
                f,
                "{:<14} {:>6} {:>8} {:>4} {:>4} {:>5} {:>9} {:>6} {:>5}",
                name,
                s.labels,
                s.findings,
                s.true_positives,
                s.false_positives,
                s.misses,
                rate(s.precision),
                rate(s.recall),
                rate(s.f1)
            )
        };
        for (c, s) in &self.categories {
            row(f, c, s)?;
        }
        row(f, "overall", &self.overall)?;
        if self.labels_not_evaluated > 0 || self.findings_left_out > 0 {
            writeln!(
                f,
                "left out: {} labels of calls not evaluated, {} findings of calls not evaluated or about the customer",
                self.labels_not_evaluated, self.findings_left_out
            )?;
        }
        writeln!(f, "\nfalse positives ({}):", self.false_positives.len())?;
        for x in &self.false_positives {
            let said = x.utterance.as_ref().map(|u| format!(" [{}: {}]", u.role, u.text)).unwrap_or_default();
            writeln!(f, "  {:<8} {:>8}  {:<28} {}{}", x.call_id, secs(Some(x.start_ms)), x.rule_id, x.detail, said)?;
        }
        writeln!(f, "\nmisses ({}):", self.misses.len())?;
        for l in &self.misses {
            let phrase = if l.phrase.is_empty() { String::new() } else { format!("「{}」 ", l.phrase) };
            writeln!(f, "  {:<8} {:>8}  {:<12} {:<9} {}{}", l.call_id, secs(l.start_ms), l.category, kind_name(l.kind), phrase, l.note)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shared::Role;
    use crate::finding::Severity;
    use crate::scan::Utterance;

    fn label(call: &str, category: &str, kind: Kind, start_ms: Option<u64>, phrase: &str) -> Label {
        Label {
            call_id: call.into(),
            category: category.into(),
            kind,
            start_ms,
            phrase: phrase.into(),
            note: String::new(),
            line: 0,
        }
    }

    fn finding(call: &str, rule: &str, kind: Kind, start_ms: u64, text: &str) -> Finding {
        let category = rule.split('.').next().unwrap_or(rule).to_owned();
        Finding {
            id: format!("{call}-{rule}-{start_ms}"),
            call_id: call.into(),
            rule_id: rule.into(),
            rule_name: rule.into(),
            pack_version: "test".into(),
            category,
            kind,
            severity: Severity::Minor,
            points: 2,
            role: RoleFilter::Agent,
            start_ms,
            end_ms: start_ms + 2000,
            matched_text: text.into(),
            normalized_text: normalize(text).as_str().to_owned(),
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

    fn calls(ids: &[&str]) -> Vec<String> {
        ids.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn a_perfect_run_scores_one_everywhere() {
        let labels = [
            label("c1", "forbidden", Kind::Forbidden, Some(5000), "你自己去看"),
            label("c1", "closing", Kind::Required, None, ""),
            label("c1", "silence", Kind::Metric, Some(20_000), ""),
        ];
        let findings = [
            // Whisper's punctuation and traditional characters do not matter.
            finding("c1", "forbidden.replying", Kind::Forbidden, 5400, "你自己去看。"),
            finding("c1", "closing.thanks", Kind::Required, 30_000, ""),
            finding("c1", "silence.dead_air", Kind::Metric, 19_800, ""),
        ];
        let r = evaluate(&labels, &findings, &calls(&["c1"]), 1000);
        assert_eq!(r.overall, Score::new(3, 3, 3));
        assert_eq!((r.overall.precision, r.overall.recall, r.overall.f1), (Some(1.0), Some(1.0), Some(1.0)));
        assert!(r.false_positives.is_empty() && r.misses.is_empty());
        let by: Vec<MatchedBy> = r.pairs.iter().map(|p| p.by).collect();
        assert_eq!(by, [MatchedBy::PhraseAndTime, MatchedBy::Time, MatchedBy::Untimed]);
        assert_eq!(r.categories.len(), 3);
    }

    #[test]
    fn an_unlabelled_finding_is_a_false_positive_also_on_a_call_without_labels() {
        let labels = [label("c1", "forbidden", Kind::Forbidden, Some(5000), "我正忙着呢")];
        let findings = [
            finding("c1", "forbidden.replying", Kind::Forbidden, 5000, "我正忙着呢"),
            finding("c1", "forbidden.other", Kind::Forbidden, 5000, "你明天再打来"), // same utterance, no label
            finding("c2", "greeting.standard", Kind::Required, 0, ""),               // c2 has no labels
        ];
        let r = evaluate(&labels, &findings, &calls(&["c1", "c2"]), 1000);
        assert_eq!(r.overall.true_positives, 1);
        assert_eq!(r.overall.precision, Some(1.0 / 3.0));
        assert_eq!(r.overall.recall, Some(1.0));
        let fp: Vec<&str> = r.false_positives.iter().map(|f| f.rule_id.as_str()).collect();
        assert_eq!(fp, ["forbidden.other", "greeting.standard"]);
        assert_eq!(r.categories["greeting"].precision, Some(0.0));
        assert_eq!(r.categories["greeting"].recall, None);
        assert_eq!(r.categories["greeting"].f1, None);
    }

    #[test]
    fn a_miss_is_listed_and_each_finding_pairs_once() {
        // Said twice, found once: the finding pairs with the nearer label, the other is a miss.
        let labels = [
            label("c1", "forbidden", Kind::Forbidden, Some(4000), "你自己去看"),
            label("c1", "forbidden", Kind::Forbidden, Some(12_000), "你自己去看"),
            label("c1", "closing", Kind::Required, None, ""),
        ];
        let findings = [finding("c1", "forbidden.replying", Kind::Forbidden, 12_300, "你自己去看")];
        let r = evaluate(&labels, &findings, &calls(&["c1"]), 1000);
        assert_eq!(r.pairs.len(), 1);
        assert_eq!(r.pairs[0].label.start_ms, Some(12_000));
        let missed: Vec<Option<u64>> = r.misses.iter().map(|l| l.start_ms).collect();
        assert_eq!(missed, [None, Some(4000)]);
        assert_eq!(r.overall.recall, Some(1.0 / 3.0));
        assert_eq!(r.categories["closing"].recall, Some(0.0));
        assert!(r.to_string().contains("misses (2):"));
    }

    #[test]
    fn a_finding_on_the_customers_words_counts_against_the_scan_not_for_it() {
        // The customer said 我不知道; a scan that blames the agent for it is wrong.
        let mut f = finding("c4", "forbidden.wrong_number", Kind::Forbidden, 9000, "我不知道");
        f.utterance = Some(Utterance { index: 3, role: Role::Customer, start_ms: 9000, end_ms: 11_000, text: "我不知道，这个应该你们来查。".into() });
        // A rule that watches the customer is not about the agent at all: left out.
        let mut watch = finding("c4", "forbidden.customer_threat", Kind::Forbidden, 9000, "我要投诉");
        watch.role = RoleFilter::Customer;
        let r = evaluate(&[], &[f, watch], &calls(&["c4"]), 1000);
        assert_eq!(r.false_positives.len(), 1);
        assert_eq!(r.findings_left_out, 1);
        assert_eq!(r.overall.precision, Some(0.0));
        assert!(r.to_string().contains("[customer: 我不知道，这个应该你们来查。]"), "{r}");
    }

    #[test]
    fn time_matches_only_within_the_tolerance_and_phrase_matches_regardless() {
        let labels = [
            label("c1", "overtalk", Kind::Metric, Some(10_000), ""),
            label("c1", "silence", Kind::Metric, Some(10_000), ""),
            label("c1", "forbidden", Kind::Forbidden, Some(10_000), "有没有搞错，说那么大声"),
        ];
        let findings = [
            finding("c1", "overtalk.agent_interrupts", Kind::Metric, 11_000, ""), // exactly at the edge
            finding("c1", "silence.dead_air", Kind::Metric, 11_001, ""),          // 1 ms beyond
            finding("c1", "forbidden.while_answering", Kind::Forbidden, 30_000, "有没有搞错"),
        ];
        let r = evaluate(&labels, &findings, &calls(&["c1"]), 1000);
        assert_eq!(r.categories["overtalk"].true_positives, 1);
        assert_eq!(r.categories["silence"].true_positives, 0);
        assert_eq!(r.categories["forbidden"].true_positives, 1);
        assert_eq!(r.pairs.iter().find(|p| p.label.category == "forbidden").map(|p| p.by), Some(MatchedBy::Phrase));
        // A different kind in the same category does not match.
        let r = evaluate(
            &[label("c1", "greeting", Kind::Metric, Some(5200), "")],
            &[finding("c1", "greeting.standard", Kind::Required, 5200, "")],
            &calls(&["c1"]),
            1000,
        );
        assert_eq!(r.overall.true_positives, 0);
    }

    #[test]
    fn the_rule_named_in_the_note_decides_which_finding_a_label_takes() {
        let mut words = label("c2", "politeness", Kind::Required, None, "");
        words.note = "politeness.words: only one 请".into();
        let findings = [
            finding("c2", "politeness.courtesy", Kind::Required, 0, ""),
            finding("c2", "politeness.words", Kind::Required, 0, ""),
        ];
        let r = evaluate(&[words], &findings, &calls(&["c2"]), 1000);
        assert_eq!(r.pairs[0].rule_id, "politeness.words");
        assert_eq!(r.false_positives[0].rule_id, "politeness.courtesy");
        assert_eq!(rule_hint("no rule here: x"), None);
        assert_eq!(rule_hint("greeting.latency"), Some("greeting.latency"));
    }

    #[test]
    fn calls_not_evaluated_are_left_out_and_the_report_serialises() {
        let labels = [label("c33", "closing", Kind::Required, None, "")];
        let findings = [finding("c9", "closing.thanks", Kind::Required, 0, "")];
        let r = evaluate(&labels, &findings, &calls(&["c1"]), 1000);
        assert_eq!((r.labels_not_evaluated, r.findings_left_out, r.overall.labels, r.overall.findings), (1, 1, 0, 0));
        assert_eq!(r.overall.precision, None);
        let json = serde_json::to_string(&r).unwrap();
        let back: EvalReport = serde_json::from_str(&json).unwrap();
        assert_eq!(back, r);
        assert!(r.to_string().contains("overall"));
    }
}
