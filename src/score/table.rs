//! Reading the small CSV files supervisors edit (reviews, adjustments, bonuses, staff), so that
//! every loader reports bad rows the same way: file, line, plain message, all rows checked.

use std::path::Path;

use crate::shared::problem::Problem;

/// One data row: its line in the file and its fields in the order the loader asked for
/// (required columns, then optional ones; an absent optional column reads as "").
pub(crate) struct Row {
    pub line: usize,
    pub fields: Vec<String>,
}

impl Row {
    pub fn get(&self, i: usize) -> &str {
        self.fields.get(i).map_or("", String::as_str)
    }
}

/// Reads the file, or one whole-file problem.
pub(crate) fn read_text(path: &Path) -> Result<String, Vec<Problem>> {
    std::fs::read_to_string(path).map_err(|e| vec![Problem::on_line(path, 0, format!("cannot read: {e}"))])
}

/// Parses CSV text with a header row naming at least `required` and at most `required` +
/// `optional` columns (any order). Fields are trimmed; a UTF-8 byte-order mark (Excel) is
/// ignored. Problems go to `problems`; the rows that could be read are returned.
pub(crate) fn read_rows(text: &str, origin: &Path, required: &[&str], optional: &[&str], problems: &mut Vec<Problem>) -> Vec<Row> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut rdr = csv::ReaderBuilder::new().trim(csv::Trim::All).flexible(true).from_reader(text.as_bytes());
    let expected = || {
        let mut cols = required.join(",");
        for o in optional {
            cols.push_str(&format!("[,{o}]"));
        }
        cols
    };
    let headers = match rdr.headers() {
        Ok(h) => h.clone(),
        Err(e) => {
            problems.push(Problem::on_line(origin, 1, format!("cannot read the header: {e}")));
            return Vec::new();
        }
    };
    if headers.is_empty() || headers.iter().all(str::is_empty) {
        problems.push(Problem::on_line(origin, 1, format!("the file is empty; its header must be {}", expected())));
        return Vec::new();
    }
    let all: Vec<&str> = required.iter().chain(optional).copied().collect();
    let mut index = vec![None; all.len()];
    let mut header_ok = true;
    for (i, h) in headers.iter().enumerate() {
        match all.iter().position(|c| *c == h) {
            Some(k) if index[k].is_some() => {
                problems.push(Problem::on_line(origin, 1, format!("column `{h}` appears twice in the header")));
                header_ok = false;
            }
            Some(k) => index[k] = Some(i),
            None => {
                problems.push(Problem::on_line(origin, 1, format!("unknown column `{h}`; the header must be {}", expected())));
                header_ok = false;
            }
        }
    }
    for (k, c) in required.iter().enumerate() {
        if index[k].is_none() {
            problems.push(Problem::on_line(origin, 1, format!("missing column `{c}`; the header must be {}", expected())));
            header_ok = false;
        }
    }
    if !header_ok {
        return Vec::new();
    }
    // csv's own line numbers skip blank lines; count from the byte offset instead.
    let line_at = |pos: Option<&csv::Position>| pos.map_or(0, |p| {
        let mut at = (p.byte() as usize).min(text.len());
        // A record's position is where reading began, before the blank lines it skipped.
        while text.as_bytes().get(at).is_some_and(|b| *b == b'\n' || *b == b'\r') {
            at += 1;
        }
        text.as_bytes()[..at].iter().filter(|b| **b == b'\n').count() + 1
    });
    let mut rows = Vec::new();
    for rec in rdr.records() {
        match rec {
            Err(e) => {
                let line = line_at(e.position());
                problems.push(Problem::on_line(origin, line, format!("not valid CSV: {e}")));
            }
            Ok(r) => {
                let line = line_at(r.position());
                if r.len() != headers.len() {
                    problems.push(Problem::on_line(
                        origin,
                        line,
                        format!("{} fields, the header has {}", r.len(), headers.len()),
                    ));
                    continue;
                }
                let fields = index.iter().map(|i| i.and_then(|i| r.get(i)).unwrap_or("").to_owned()).collect();
                rows.push(Row { line, fields });
            }
        }
    }
    rows
}

/// A finite number, or a message naming the column.
pub(crate) fn number(column: &str, s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(x) if x.is_finite() => Ok(x),
        _ => Err(format!("`{column}` must be a number, got {s:?}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> (Vec<(usize, Vec<String>)>, Vec<String>) {
        let mut ps = Vec::new();
        let rows = read_rows(text, Path::new("x.csv"), &["a", "b"], &["c"], &mut ps);
        (rows.into_iter().map(|r| (r.line, r.fields)).collect(), ps.iter().map(|p| p.to_string()).collect())
    }

    #[test]
    fn columns_in_any_order_with_optional_missing() {
        let (rows, ps) = read("\u{feff}b, a\n2, 1\n\n4,3\n");
        assert!(ps.is_empty(), "{ps:?}");
        assert_eq!(rows, [(2, vec!["1".into(), "2".into(), "".into()]), (4, vec!["3".into(), "4".into(), "".into()])]);
    }

    #[test]
    fn header_and_row_problems() {
        let (_, ps) = read("a,d\n1,2\n");
        assert_eq!(ps, ["x.csv:1:1: unknown column `d`; the header must be a,b[,c]", "x.csv:1:1: missing column `b`; the header must be a,b[,c]"]);
        let (rows, ps) = read("a,b\n1,2\n1,2,3\n");
        assert_eq!(rows.len(), 1);
        assert_eq!(ps, ["x.csv:3:1: 3 fields, the header has 2"]);
        assert_eq!(read("").1, ["x.csv:1:1: the file is empty; its header must be a,b[,c]"]);
    }
}
