//! Human review of findings (复核, and 申诉 when an agent appeals): `reviews.csv` with the
//! header `finding_id,verdict,reviewer,note[,reviewed_at]`.
//!
//! A finding may be reviewed more than once (a confirmation, then an appeal that overturns it).
//! Rows are kept in file order and **the last row for a finding decides**; the earlier ones stay
//! in its audit note, so an overturned verdict is visible rather than silently lost. Rows
//! therefore go in the order the decisions were made.

use std::collections::HashMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::table::{read_rows, read_text};
use crate::shared::problem::Problem;

/// A reviewer's decision on one finding.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// The finding stands.
    Confirm,
    /// The finding is wrong (ASR error, context): it stops counting.
    Reject,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Confirm => "confirm",
            Verdict::Reject => "reject",
        }
    }
}

/// One row of `reviews.csv`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Review {
    pub finding_id: String,
    pub verdict: Verdict,
    pub reviewer: String,
    pub note: String,
    /// As written (an RFC 3339 instant or a date); `None` when the column is absent or empty.
    pub reviewed_at: Option<String>,
    /// Line in the file, for audit notes.
    pub line: usize,
}

impl Review {
    /// "rejected by 王芳 on 2026-11-20: 识别错误" style, for one decision.
    fn describe(&self) -> String {
        let mut s = format!("{} by {}", if self.verdict == Verdict::Reject { "rejected" } else { "confirmed" }, self.reviewer);
        if let Some(at) = &self.reviewed_at {
            s.push_str(&format!(" on {at}"));
        }
        if !self.note.is_empty() {
            s.push_str(&format!(": {}", self.note));
        }
        s
    }
}

/// Every review decision, by finding id.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Reviews {
    by_finding: HashMap<String, Vec<Review>>,
    /// The file they came from, for problems that name a row.
    origin: std::path::PathBuf,
}

impl Reviews {
    /// Reads and validates `reviews.csv`.
    pub fn load(path: &Path) -> Result<Reviews, Vec<Problem>> {
        Reviews::from_str(&read_text(path)?, path)
    }

    /// Validates CSV text; `origin` names it in problems. Every bad row is reported.
    #[allow(clippy::should_implement_trait)]
    pub fn from_str(text: &str, origin: &Path) -> Result<Reviews, Vec<Problem>> {
        let mut problems = Vec::new();
        let rows = read_rows(text, origin, &["finding_id", "verdict", "reviewer", "note"], &["reviewed_at"], &mut problems);
        let mut out = Reviews { origin: origin.to_owned(), ..Reviews::default() };
        for row in rows {
            let bad = |m: String| Problem::on_line(origin, row.line, m);
            let before = problems.len();
            let id = row.get(0);
            if id.is_empty() {
                problems.push(bad("`finding_id` is empty".into()));
            }
            let verdict = match row.get(1) {
                "confirm" => Some(Verdict::Confirm),
                "reject" => Some(Verdict::Reject),
                v => {
                    problems.push(bad(format!("unknown verdict {v:?}; it must be confirm or reject")));
                    None
                }
            };
            if row.get(2).is_empty() {
                problems.push(bad("`reviewer` is empty: every decision names who made it".into()));
            }
            let at = row.get(4);
            if !at.is_empty() && at.parse::<jiff::Timestamp>().is_err() && at.parse::<jiff::civil::Date>().is_err() {
                problems.push(bad(format!("`reviewed_at` {at:?} is neither an RFC 3339 time (2026-11-20T10:00:00+08:00) nor a date")));
            }
            if problems.len() > before {
                continue;
            }
            let Some(verdict) = verdict else { continue };
            out.by_finding.entry(id.to_owned()).or_default().push(Review {
                finding_id: id.to_owned(),
                verdict,
                reviewer: row.get(2).to_owned(),
                note: row.get(3).to_owned(),
                reviewed_at: (!at.is_empty()).then(|| at.to_owned()),
                line: row.line,
            });
        }
        if problems.is_empty() { Ok(out) } else { Err(problems) }
    }

    /// The deciding (last) review of a finding.
    pub fn decision(&self, finding_id: &str) -> Option<&Review> {
        self.by_finding.get(finding_id).and_then(|v| v.last())
    }

    /// Every review of a finding, in file order.
    pub fn history(&self, finding_id: &str) -> &[Review] {
        self.by_finding.get(finding_id).map_or(&[], Vec::as_slice)
    }

    /// The audit note of a finding: its decisions, last (deciding) first; "" when unreviewed.
    pub fn audit(&self, finding_id: &str) -> String {
        let h = self.history(finding_id);
        let mut parts: Vec<String> = h.iter().rev().map(Review::describe).collect();
        if parts.len() > 1 {
            let first = parts.remove(0);
            format!("{first} (overrides: {})", parts.join("; "))
        } else {
            parts.pop().unwrap_or_default()
        }
    }

    pub fn len(&self) -> usize {
        self.by_finding.len()
    }

    /// Every review naming a finding that `known` does not hold, as a problem on its row: a
    /// mistyped id would otherwise leave the appeal looking filed while the score stands.
    pub fn unknown(&self, known: &dyn Fn(&str) -> bool) -> Vec<Problem> {
        let mut out: Vec<Problem> = self
            .by_finding
            .iter()
            .filter(|(id, _)| !known(id))
            .flat_map(|(id, rows)| {
                rows.iter().map(move |r| {
                    Problem::on_line(&self.origin, r.line, format!("finding `{id}` is not among this report set's findings; the review was not applied"))
                })
            })
            .collect();
        out.sort_by_key(|p| p.line());
        out
    }

    pub fn is_empty(&self) -> bool {
        self.by_finding.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problems(text: &str) -> Vec<String> {
        Reviews::from_str(text, Path::new("reviews.csv")).err().unwrap_or_default().iter().map(|p| p.to_string()).collect()
    }

    #[test]
    fn later_row_decides_and_audit_keeps_both() {
        let r = Reviews::from_str(
            "finding_id,verdict,reviewer,note,reviewed_at\nf1,confirm,李明,忌语属实,2026-11-20\nf1,reject,王芳,申诉成立：识别错误,2026-11-25T10:00:00+08:00\nf2,confirm,李明,,\n",
            Path::new("reviews.csv"),
        )
        .unwrap();
        assert_eq!(r.decision("f1").unwrap().verdict, Verdict::Reject);
        assert_eq!(
            r.audit("f1"),
            "rejected by 王芳 on 2026-11-25T10:00:00+08:00: 申诉成立：识别错误 (overrides: confirmed by 李明 on 2026-11-20: 忌语属实)"
        );
        assert_eq!(r.audit("f2"), "confirmed by 李明");
        assert_eq!(r.audit("f3"), "");
        assert_eq!(r.len(), 2);
    }

    #[test]
    fn bad_rows_name_their_lines() {
        let p = problems("finding_id,verdict,reviewer,note\nf1,approve,李明,\nf2,reject,,误报\n,reject,王芳,x\n");
        assert_eq!(
            p,
            [
                "reviews.csv:2:1: unknown verdict \"approve\"; it must be confirm or reject",
                "reviews.csv:3:1: `reviewer` is empty: every decision names who made it",
                "reviews.csv:4:1: `finding_id` is empty",
            ]
        );
        let p = problems("finding_id,verdict,reviewer,note,reviewed_at\nf1,reject,王芳,x,yesterday\n");
        assert_eq!(p, ["reviews.csv:2:1: `reviewed_at` \"yesterday\" is neither an RFC 3339 time (2026-11-20T10:00:00+08:00) nor a date"]);
        let p = problems("finding,verdict,reviewer,note\n");
        assert_eq!(p[0], "reviews.csv:1:1: unknown column `finding`; the header must be finding_id,verdict,reviewer,note[,reviewed_at]");
    }
}
