//! Findings, the scan's output and the scoring's input: what a rule found in a call, with its
//! evidence, and the versioned per-call file they are kept in. They belong to the core so that
//! scoring and reports read findings without depending on the scanner that made them, and the
//! words they are made of (severity, kind, whose speech, how a phrase matched) are defined
//! here once for the rule packs, the scanner, the rubric and the reports.

use std::fmt;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::shared::Role;

/// How serious a violation is. The one place severities are defined; the rubric maps them to
/// points, and [`Severity::default_points`] is the manual's mapping.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// 轻度违规.
    Minor,
    /// 中度违规.
    Medium,
    /// 重度违规.
    Severe,
    /// 直接辞退: fails the period whatever the points.
    Fatal,
}

impl Severity {
    /// Every severity, mildest first.
    pub const ALL: [Severity; 4] = [Severity::Minor, Severity::Medium, Severity::Severe, Severity::Fatal];

    /// The name used in rule files and findings.
    pub fn name(self) -> &'static str {
        match self {
            Severity::Minor => "minor",
            Severity::Medium => "medium",
            Severity::Severe => "severe",
            Severity::Fatal => "fatal",
        }
    }

    /// Parses a name from a rule file.
    pub fn parse(s: &str) -> Option<Severity> {
        Severity::ALL.into_iter().find(|v| v.name() == s)
    }

    /// Points deducted per occurrence when a rule sets no `points` (manual 001 篇四). Fatal
    /// deducts nothing: it fails the period outright, which scoring decides.
    pub fn default_points(self) -> u32 {
        match self {
            Severity::Minor => 2,
            Severity::Medium => 10,
            Severity::Severe => 20,
            Severity::Fatal => 0,
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What a rule asks of a call.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// Must be said: one finding when it is not.
    Required,
    /// Must not be said: one finding per occurrence.
    Forbidden,
    /// A measured quantity out of bounds (latency, dead air, speaking rate…).
    Metric,
}

impl Kind {
    /// Parses a name from a rule file.
    pub fn parse(s: &str) -> Option<Kind> {
        match s {
            "required" => Some(Kind::Required),
            "forbidden" => Some(Kind::Forbidden),
            "metric" => Some(Kind::Metric),
            _ => None,
        }
    }
}

/// Whose speech a rule looks at.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RoleFilter {
    Agent,
    Customer,
    Any,
}

impl RoleFilter {
    /// Parses a name from a rule file.
    pub fn parse(s: &str) -> Option<RoleFilter> {
        match s {
            "agent" => Some(RoleFilter::Agent),
            "customer" => Some(RoleFilter::Customer),
            "any" => Some(RoleFilter::Any),
            _ => None,
        }
    }

    /// The name used in rule files.
    pub fn name(self) -> &'static str {
        match self {
            RoleFilter::Agent => "agent",
            RoleFilter::Customer => "customer",
            RoleFilter::Any => "any",
        }
    }

    /// Whether speech by `role` is looked at. A `mixed` (mono) segment cannot be attributed,
    /// so it counts for every role: a mono call is checked rather than silently passed.
    pub fn matches(self, role: Role) -> bool {
        match (self, role) {
            (RoleFilter::Any, _) | (_, Role::Mixed) => true,
            (RoleFilter::Agent, Role::Agent) | (RoleFilter::Customer, Role::Customer) => true,
            _ => false,
        }
    }
}

/// How a phrase was matched.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MatchMode {
    /// The normalised phrase occurs as is.
    Exact,
    /// The phrase occurs up to homophones or near syllables (see the rules' `fuzzy` module).
    Fuzzy,
}

/// Version of the findings file schema.
pub const FINDINGS_VERSION: u32 = 1;

/// One utterance quoted as evidence.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Utterance {
    /// Index of the segment in the transcript.
    pub index: usize,
    pub role: Role,
    pub start_ms: u64,
    pub end_ms: u64,
    pub text: String,
}

/// One rule hit (or one unmet required rule, or one out-of-bounds measure), with its evidence.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    /// Stable across re-runs: a hash of call, rule, pack version and position.
    pub id: String,
    pub call_id: String,
    pub rule_id: String,
    pub rule_name: String,
    pub pack_version: String,
    pub category: String,
    pub kind: Kind,
    pub severity: Severity,
    pub points: u32,
    /// The role the rule looks at.
    pub role: RoleFilter,
    /// For a phrase, where its words are: estimated by character offset over the utterance's
    /// time (segments have no word times), so approximate; the utterance's own span is in
    /// `utterance`. Otherwise the span measured or where a phrase was expected.
    pub start_ms: u64,
    pub end_ms: u64,
    /// The words as transcribed (parts in several utterances joined by `…`); empty for unmet required rules and measures.
    pub matched_text: String,
    /// The same words normalised.
    pub normalized_text: String,
    /// The utterance holding the hit, with its neighbours (any speaker) for context.
    pub utterance: Option<Utterance>,
    pub before: Option<Utterance>,
    pub after: Option<Utterance>,
    /// Further utterances the finding spans, in order: the rest of an `all` said over several
    /// utterances, a non-Mandarin stretch, or a trigger's response window.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub more_utterances: Vec<Utterance>,
    /// For a rule with `after`: the utterance whose words set the rule off.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trigger: Option<Utterance>,
    /// How the phrase matched; `None` for unmet required rules and measures.
    pub match_mode: Option<MatchMode>,
    /// 1 for exact matches; the fuzzy score otherwise.
    pub similarity: Option<f32>,
    /// The measured value of a metric rule (ms, characters per minute, probability).
    pub value: Option<f64>,
    /// A plain sentence for the inspector, e.g. "greeting at 4.2 s, limit 3.0 s".
    pub detail: String,
}

/// What `callqa scan` writes per call: `<call id>.findings.json`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FindingsFile {
    pub version: u32,
    pub call_id: String,
    pub pack: String,
    pub pack_version: String,
    pub findings: Vec<Finding>,
    pub producer: String,
}

impl FindingsFile {
    /// Reads a findings file, refusing one of another format version (a later stage would
    /// otherwise misread it silently); errors name the file.
    pub fn read(path: &Path) -> Result<FindingsFile, String> {
        let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
        #[derive(Deserialize)]
        struct Version {
            version: u32,
        }
        let v: Version = serde_json::from_slice(&bytes).map_err(|e| format!("{}: not a findings file: {e}", path.display()))?;
        if v.version != FINDINGS_VERSION {
            return Err(format!(
                "{}: findings format {} where this callqa reads {FINDINGS_VERSION}; scan the transcripts again",
                path.display(),
                v.version
            ));
        }
        serde_json::from_slice(&bytes).map_err(|e| format!("{}: not a findings file: {e}", path.display()))
    }

    /// Writes the file atomically.
    pub fn write(&self, path: &Path) -> Result<(), String> {
        let json = serde_json::to_vec_pretty(self).map_err(|e| format!("{}: {e}", path.display()))?;
        crate::fsutil::write_atomic(path, &json).map_err(|e| format!("{}: {e}", path.display()))
    }

    /// Where a call's findings file is kept in `dir`: `<call id>.findings.json`, once the call id
    /// is checked safe as a file name ([`crate::call::call_path`]).
    pub fn path_in(dir: &Path, call_id: &str) -> Result<std::path::PathBuf, String> {
        crate::call::call_path(dir, call_id, ".findings.json")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(version: u32) -> FindingsFile {
        FindingsFile { version, call_id: "c1".into(), pack: "p".into(), pack_version: "1".into(), findings: vec![], producer: "t".into() }
    }

    /// A findings file of another format is refused with its path and both versions, never
    /// read as if it were this one; a current one reads back as written.
    #[test]
    fn findings_of_another_format_version_are_refused_by_name() {
        let dir = tempfile::tempdir().unwrap();
        let path = FindingsFile::path_in(dir.path(), "c1").unwrap();
        file(FINDINGS_VERSION).write(&path).unwrap();
        assert_eq!(FindingsFile::read(&path).unwrap(), file(FINDINGS_VERSION));
        file(FINDINGS_VERSION + 1).write(&path).unwrap();
        let e = FindingsFile::read(&path).unwrap_err();
        assert!(e.contains("c1.findings.json") && e.contains(&format!("format {}", FINDINGS_VERSION + 1)) && e.contains("scan the transcripts again"), "{e}");
        std::fs::write(&path, "{ not json").unwrap();
        assert!(FindingsFile::read(&path).unwrap_err().contains("not a findings file"));
        assert!(FindingsFile::path_in(dir.path(), "../x").is_err(), "a call id is checked before it becomes a file name");
    }
}
