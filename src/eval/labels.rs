//! Labels: the findings a human inspector expects against the agent, one CSV row each.
//!
//! ```csv
//! call_id,category,kind,start_ms,phrase,note
//! c0002,forbidden,forbidden,9312,这事不归我管,forbidden.wrong_number
//! c0002,closing,required,,,closing.thanks
//! ```
//!
//! `category` is a rule category of the pack, `kind` is `required`, `forbidden` or `metric`,
//! `start_ms` is when it happens on the call's timeline (empty for something *not* said),
//! `phrase` the forbidden or mandated words where there are any, and `note` is free text.
//! Loading reports every bad row as `file:line: message`, not just the first.

use std::fmt;
use std::io::Read;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::rules::Kind;

/// The columns a labels file must have, in any order (others are ignored).
pub const COLUMNS: [&str; 6] = ["call_id", "category", "kind", "start_ms", "phrase", "note"];

/// One expected finding against the agent.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Label {
    pub call_id: String,
    pub category: String,
    pub kind: Kind,
    /// Where it happens; `None` for a missing phrase, which has no time.
    pub start_ms: Option<u64>,
    /// The phrase (as the script has it); empty when the label is not about words.
    pub phrase: String,
    pub note: String,
    /// Line in the labels file, for messages; 0 for labels built in code.
    #[serde(default)]
    pub line: u64,
}

/// One bad row (or an unreadable file: line 0).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LabelProblem {
    pub file: String,
    pub line: u64,
    pub message: String,
}

impl fmt::Display for LabelProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 { write!(f, "{}: {}", self.file, self.message) } else { write!(f, "{}:{}: {}", self.file, self.line, self.message) }
    }
}

/// Every problem found in a labels file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LabelErrors(pub Vec<LabelProblem>);

impl fmt::Display for LabelErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, p) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{p}")?;
        }
        Ok(())
    }
}

impl std::error::Error for LabelErrors {}

/// Reads a labels file; `categories` are the categories a label may name (the pack's, e.g.
/// [`crate::rules::KNOWN_CATEGORIES`]), so that a misspelt one is an error, not a silent miss.
pub fn load_labels(path: &Path, categories: &[&str]) -> Result<Vec<Label>, LabelErrors> {
    let name = path.display().to_string();
    let file = std::fs::File::open(path)
        .map_err(|e| LabelErrors(vec![LabelProblem { file: name.clone(), line: 0, message: e.to_string() }]))?;
    parse_labels(file, &name, categories)
}

/// Reads labels CSV from `input`; `name` is the file name used in messages.
pub fn parse_labels<R: Read>(input: R, name: &str, categories: &[&str]) -> Result<Vec<Label>, LabelErrors> {
    let problem = |line: u64, message: String| LabelProblem { file: name.to_owned(), line, message };
    let mut rdr = csv::ReaderBuilder::new().has_headers(true).flexible(false).from_reader(input);
    let header = rdr.headers().map_err(|e| LabelErrors(vec![problem(1, e.to_string())]))?.clone();
    let mut col = [0usize; COLUMNS.len()];
    let mut missing = Vec::new();
    for (k, c) in COLUMNS.iter().enumerate() {
        match header.iter().position(|h| h.trim() == *c) {
            Some(i) => col[k] = i,
            None => missing.push(*c),
        }
    }
    if !missing.is_empty() {
        let msg = format!("header lacks column(s) {}; expected {}", missing.join(", "), COLUMNS.join(","));
        return Err(LabelErrors(vec![problem(1, msg)]));
    }

    let mut labels = Vec::new();
    let mut problems = Vec::new();
    for rec in rdr.records() {
        let rec = match rec {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line());
                problems.push(problem(line, e.to_string()));
                continue;
            }
        };
        let line = rec.position().map_or(0, |p| p.line());
        let field = |k: usize| rec.get(col[k]).unwrap_or("").trim();
        let before = problems.len();
        let call_id = field(0);
        if call_id.is_empty() {
            problems.push(problem(line, "empty call_id".into()));
        }
        let category = field(1);
        if !categories.contains(&category) {
            problems.push(problem(line, format!("unknown category `{category}` (expected one of {})", categories.join(", "))));
        }
        let kind = match field(2) {
            "required" => Some(Kind::Required),
            "forbidden" => Some(Kind::Forbidden),
            "metric" => Some(Kind::Metric),
            other => {
                problems.push(problem(line, format!("kind `{other}` is not required, forbidden or metric")));
                None
            }
        };
        let start_ms = match field(3) {
            "" => None,
            s => match s.parse::<u64>() {
                Ok(v) => Some(v),
                Err(_) => {
                    problems.push(problem(line, format!("start_ms `{s}` is not a whole number of milliseconds")));
                    None
                }
            },
        };
        let phrase = field(4);
        if kind == Some(Kind::Forbidden) && phrase.is_empty() {
            problems.push(problem(line, "a forbidden label needs the phrase".into()));
        }
        if problems.len() == before
            && let Some(kind) = kind
        {
            labels.push(Label {
                call_id: call_id.to_owned(),
                category: category.to_owned(),
                kind,
                start_ms,
                phrase: phrase.to_owned(),
                note: field(5).to_owned(),
                line,
            });
        }
    }
    if problems.is_empty() { Ok(labels) } else { Err(LabelErrors(problems)) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::KNOWN_CATEGORIES;

    fn parse(s: &str) -> Result<Vec<Label>, LabelErrors> {
        parse_labels(s.as_bytes(), "labels.csv", KNOWN_CATEGORIES)
    }

    #[test]
    fn reads_rows_with_and_without_times() {
        let l = parse(
            "call_id,category,kind,start_ms,phrase,note\n\
             c0002,forbidden,forbidden,9312,这事不归我管,forbidden.wrong_number\n\
             c0002,closing,required,,,\"closing.thanks: no 感谢您的来电, no 再见\"\n",
        )
        .unwrap();
        assert_eq!(l.len(), 2);
        assert_eq!((l[0].kind, l[0].start_ms, l[0].phrase.as_str(), l[0].line), (Kind::Forbidden, Some(9312), "这事不归我管", 2));
        assert_eq!((l[1].kind, l[1].start_ms, l[1].line), (Kind::Required, None, 3));
        assert_eq!(l[1].note, "closing.thanks: no 感谢您的来电, no 再见");
    }

    /// Excel's byte-order mark (and callqa's own CSV default): the csv crate skips it.
    #[test]
    fn a_byte_order_mark_is_skipped() {
        let l = parse("\u{feff}call_id,category,kind,start_ms,phrase,note\nc9,closing,required,,,\n").unwrap();
        assert_eq!(l[0].call_id, "c9");
    }

    #[test]
    fn columns_may_come_in_any_order() {
        let l = parse("note,phrase,start_ms,kind,category,call_id,extra\nx,,0,metric,speech_rate,c9,y\n").unwrap();
        assert_eq!((l[0].call_id.as_str(), l[0].category.as_str(), l[0].start_ms), ("c9", "speech_rate", Some(0)));
    }

    #[test]
    fn every_bad_row_is_reported_with_its_line() {
        let e = parse(
            "call_id,category,kind,start_ms,phrase,note\n\
             c1,greting,required,,,\n\
             c1,forbidden,forbidden,12.5,喂,\n\
             ,closing,optional,,,\n\
             c1,forbidden,forbidden,100,,\n\
             c1,closing,required,,,\n",
        )
        .unwrap_err();
        let msgs: Vec<String> = e.0.iter().map(ToString::to_string).collect();
        assert!(msgs[0].starts_with("labels.csv:2: unknown category `greting`"), "{msgs:?}");
        assert_eq!(msgs[1], "labels.csv:3: start_ms `12.5` is not a whole number of milliseconds");
        assert_eq!(msgs[2], "labels.csv:4: empty call_id");
        assert_eq!(msgs[3], "labels.csv:4: kind `optional` is not required, forbidden or metric");
        assert_eq!(msgs[4], "labels.csv:5: a forbidden label needs the phrase");
        assert_eq!(msgs.len(), 5);
    }

    #[test]
    fn a_missing_column_or_a_short_row_is_an_error() {
        let e = parse("call_id,category,kind,start_ms,phrase\nc1,closing,required,,\n").unwrap_err();
        assert_eq!(e.0[0].line, 1);
        assert!(e.0[0].message.contains("note"), "{e}");
        let e = parse("call_id,category,kind,start_ms,phrase,note\nc1,closing,required\n").unwrap_err();
        assert_eq!(e.0[0].line, 2, "{e}");
        let e = load_labels(Path::new("/nonexistent/labels.csv"), KNOWN_CATEGORIES).unwrap_err();
        assert!(e.to_string().starts_with("/nonexistent/labels.csv: "), "{e}");
    }
}
