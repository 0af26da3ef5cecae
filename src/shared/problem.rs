//! Diagnostics: a problem in an input file, with file, line and column. Every loader (rule
//! packs, rubric, reviews, configuration) reports in this one type.

use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

/// One problem in an input file (a rule pack, a rubric, a CSV of reviews, the configuration),
/// with where it is: what every loader reports, so that every message names file, line and column.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    file: PathBuf,
    line: usize,
    column: usize,
    message: String,
}

impl Problem {
    /// A problem at a byte span of `src` (the whole file when `span` is `None`).
    pub fn at(file: &Path, src: &str, span: Option<Range<usize>>, message: impl Into<String>) -> Problem {
        let (line, column) = span.map(|s| line_col(src, s.start)).unwrap_or((0, 0));
        Problem { file: file.to_owned(), line, column, message: message.into() }
    }

    /// A problem at a known line and column.
    pub fn new(file: &Path, line: usize, column: usize, message: impl Into<String>) -> Problem {
        Problem { file: file.to_owned(), line, column, message: message.into() }
    }

    /// A problem on a known line (a CSV row), column 1; line 0 for the whole file.
    pub fn on_line(file: &Path, line: usize, message: impl Into<String>) -> Problem {
        Problem { file: file.to_owned(), line, column: usize::from(line > 0), message: message.into() }
    }

    pub fn file(&self) -> &Path {
        &self.file
    }

    /// 1-based line, or 0 when the problem concerns the whole file.
    pub fn line(&self) -> usize {
        self.line
    }

    pub fn column(&self) -> usize {
        self.column
    }

    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "{}: {}", self.file.display(), self.message)
        } else {
            write!(f, "{}:{}:{}: {}", self.file.display(), self.line, self.column, self.message)
        }
    }
}

/// 1-based line and column (in characters) of a byte offset.
pub fn line_col(src: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(src.len());
    let before = src.get(..offset).unwrap_or(src);
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}
