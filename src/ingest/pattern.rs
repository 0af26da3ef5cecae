//! Call metadata from a recording's file name, e.g. `{agent_id}_{yyyymmdd-HHMMSS}_{call_id}.wav`.
//!
//! A pattern is literal text with fields in braces. Text fields (`agent_id`, `call_id`,
//! `team`, `agent_name`, `direction`, `layout`) match one or more characters; a date-time field is
//! written with `yyyy`, `MM`, `dd`, `HH`, `mm`, `ss` and its own separators, and matches
//! exactly that many digits. Case does not matter for `m`: before the hour it is the month,
//! after it the minute, so both `{yyyymmdd-HHMMSS}` and `{yyyy-MM-dd HH.mm.ss}` read as meant. Matching is anchored at both ends and tries the shortest text fields first, so
//! `{agent_id}_{call_id}.wav` on `A1_c_9.wav` gives agent `A1` and call `c_9`. A name that does
//! not match is an error to report, never a guess.

use std::collections::HashSet;
use std::fmt;

/// The default pattern, as in the fixtures and the README.
pub const DEFAULT_PATTERN: &str = "{agent_id}_{yyyymmdd-HHMMSS}_{call_id}.wav";

const TEXT_FIELDS: [&str; 6] = ["agent_id", "call_id", "team", "agent_name", "direction", "layout"];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum DtTok {
    /// A digit of year, month, day, hour, minute or second (0–5).
    Digit(usize),
    Lit(char),
}

/// Reads a date-time field's format; `None` when it is not one.
fn datetime_format(name: &str) -> Option<Vec<DtTok>> {
    let mut out = Vec::new();
    let mut after_hour = false;
    let mut any = false;
    for c in name.chars() {
        let slot = match c {
            'y' | 'Y' => 0,
            'd' | 'D' => 2,
            'H' | 'h' => {
                after_hour = true;
                3
            }
            'm' | 'M' => {
                if after_hour { 4 } else { 1 }
            }
            's' | 'S' => 5,
            c if c.is_alphanumeric() => return None,
            c => {
                out.push(DtTok::Lit(c));
                continue;
            }
        };
        any = true;
        out.push(DtTok::Digit(slot));
    }
    any.then_some(out)
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Part {
    Literal(String),
    Text(&'static str),
    /// A date-time format: each digit says which component it feeds.
    DateTime(Vec<DtTok>),
}

/// A compiled file-name pattern.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pattern {
    source: String,
    parts: Vec<Part>,
}

/// What a file name gave.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NameFields {
    pub agent_id: Option<String>,
    pub call_id: Option<String>,
    pub team: Option<String>,
    pub agent_name: Option<String>,
    pub direction: Option<String>,
    /// Which stereo channel is the agent, as the name spells it (checked by ingest).
    pub layout: Option<String>,
    /// The civil (zone-less) start time, when the pattern has a date-time field.
    pub started_at: Option<jiff::civil::DateTime>,
}

impl Pattern {
    /// Compiles a pattern; the error says what is wrong with it.
    pub fn parse(source: &str) -> Result<Pattern, String> {
        let mut parts = Vec::new();
        let mut rest = source;
        let mut seen = Vec::new();
        while !rest.is_empty() {
            match rest.find('{') {
                Some(0) => {
                    let end = rest.find('}').ok_or_else(|| format!("pattern {source:?}: a `{{` is never closed"))?;
                    let name = &rest[1..end];
                    let part = if let Some(f) = TEXT_FIELDS.iter().find(|f| **f == name) {
                        Part::Text(f)
                    } else if let Some(fmt) = datetime_format(name) {
                        let count = |slot| fmt.iter().filter(|t| **t == DtTok::Digit(slot)).count();
                        if count(0) != 4 || count(1) != 2 || count(2) != 2 || [3, 4, 5].iter().any(|s| ![0, 2].contains(&count(*s))) {
                            return Err(format!(
                                "pattern {source:?}: the date-time field {{{name}}} needs yyyy, MM and dd, and two digits for each of HH, mm, ss it uses"
                            ));
                        }
                        Part::DateTime(fmt)
                    } else {
                        return Err(format!(
                            "pattern {source:?}: unknown field {{{name}}}; use {} or a date-time such as {{yyyymmdd-HHMMSS}}",
                            TEXT_FIELDS.map(|f| format!("{{{f}}}")).join(", ")
                        ));
                    };
                    if seen.contains(&part) {
                        return Err(format!("pattern {source:?}: the field {{{name}}} appears twice"));
                    }
                    if let (Some(Part::Text(_)), Part::Text(_)) = (parts.last(), &part) {
                        return Err(format!("pattern {source:?}: two text fields need a separator between them"));
                    }
                    seen.push(part.clone());
                    parts.push(part);
                    rest = &rest[end + 1..];
                }
                Some(i) => {
                    parts.push(Part::Literal(rest[..i].to_owned()));
                    rest = &rest[i..];
                }
                None => {
                    if rest.contains('}') {
                        return Err(format!("pattern {source:?}: a `}}` without its `{{`"));
                    }
                    parts.push(Part::Literal(rest.to_owned()));
                    rest = "";
                }
            }
        }
        if !parts.contains(&Part::Text("call_id")) || !parts.contains(&Part::Text("agent_id")) {
            return Err(format!("pattern {source:?}: must contain {{agent_id}} and {{call_id}}"));
        }
        if !parts.iter().any(|p| matches!(p, Part::DateTime(_))) {
            return Err(format!("pattern {source:?}: must contain the start time, e.g. {{yyyymmdd-HHMMSS}}"));
        }
        Ok(Pattern { source: source.to_owned(), parts })
    }

    /// Matches a file name (not a path); `None` when it does not fit.
    pub fn match_name(&self, name: &str) -> Option<NameFields> {
        let mut fields = NameFields::default();
        if !match_parts(&self.parts, name, &mut fields, &mut HashSet::new()) {
            return None;
        }
        Some(fields)
    }
}

impl fmt::Display for Pattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.source)
    }
}

/// Whether `parts` match all of `s`, filling `out` on success. `failed` holds the (parts left,
/// bytes left) states already known not to match: without it the text fields' backtracking is
/// O(n^k) for k of them (five text fields on a 120-character name of `_`s took seconds,
/// a 255-character one minutes); with it each state is tried once.
fn match_parts(parts: &[Part], s: &str, out: &mut NameFields, failed: &mut HashSet<(usize, usize)>) -> bool {
    if failed.contains(&(parts.len(), s.len())) {
        return false;
    }
    let matched = match_first(parts, s, out, failed);
    if !matched {
        failed.insert((parts.len(), s.len()));
    }
    matched
}

fn match_first(parts: &[Part], s: &str, out: &mut NameFields, failed: &mut HashSet<(usize, usize)>) -> bool {
    let Some((first, rest)) = parts.split_first() else { return s.is_empty() };
    match first {
        Part::Literal(l) => s.strip_prefix(l.as_str()).is_some_and(|t| match_parts(rest, t, out, failed)),
        Part::DateTime(fmt) => {
            let mut digits: [u32; 6] = [0; 6];
            let mut chars = s.char_indices();
            for tok in fmt {
                let Some((_, c)) = chars.next() else { return false };
                let slot = match *tok {
                    DtTok::Digit(slot) => slot,
                    DtTok::Lit(lit) => {
                        if c != lit {
                            return false;
                        }
                        continue;
                    }
                };
                let Some(d) = c.to_digit(10) else { return false };
                digits[slot] = digits[slot] * 10 + d;
            }
            let consumed = chars.next().map(|(i, _)| i).unwrap_or(s.len());
            let [y, mo, d, h, mi, sec] = digits;
            let Ok(dt) = jiff::civil::DateTime::new(y as i16, mo as i8, d as i8, h as i8, mi as i8, sec as i8, 0) else {
                return false;
            };
            if !match_parts(rest, &s[consumed..], out, failed) {
                return false;
            }
            out.started_at = Some(dt);
            true
        }
        Part::Text(name) => {
            // Shortest first, so a separator inside a later field stays there.
            for (i, _) in s.char_indices().skip(1).chain(std::iter::once((s.len(), ' '))) {
                if i == 0 {
                    continue;
                }
                let (head, tail) = s.split_at(i);
                if match_parts(rest, tail, out, failed) {
                    let v = Some(head.to_owned());
                    match *name {
                        "agent_id" => out.agent_id = v,
                        "call_id" => out.call_id = v,
                        "team" => out.team = v,
                        "agent_name" => out.agent_name = v,
                        "layout" => out.layout = v,
                        _ => out.direction = v,
                    }
                    return true;
                }
            }
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_pattern_reads_the_fixture_names() {
        let p = Pattern::parse(DEFAULT_PATTERN).unwrap();
        let f = p.match_name("A1001_20261102-093015_c0001.wav").unwrap();
        assert_eq!(f.agent_id.as_deref(), Some("A1001"));
        assert_eq!(f.call_id.as_deref(), Some("c0001"));
        assert_eq!(f.started_at.unwrap().to_string(), "2026-11-02T09:30:15");
    }

    #[test]
    fn text_fields_take_the_shortest_match_and_later_fields_keep_separators() {
        let p = Pattern::parse("{agent_id}_{yyyymmdd}_{call_id}.wav").unwrap();
        let f = p.match_name("A_7_20261231_call_9.wav").unwrap();
        // `A_7` cannot be split before the date, so the agent id takes the underscore.
        assert_eq!(f.agent_id.as_deref(), Some("A_7"));
        assert_eq!(f.call_id.as_deref(), Some("call_9"));
        assert_eq!(f.started_at.unwrap().to_string(), "2026-12-31T00:00:00");
    }

    #[test]
    fn names_that_do_not_fit_are_rejected_not_guessed() {
        let p = Pattern::parse(DEFAULT_PATTERN).unwrap();
        for bad in [
            "c0001.wav",
            "A1001_2026110-093015_c0001.wav",
            "A1001_20261302-093015_c0001.wav", // month 13
            "A1001_20261102-093015_c0001.mp3",
            "A1001_20261102-093015_.wav",
            "_20261102-093015_c0001.wav",
        ] {
            assert_eq!(p.match_name(bad), None, "{bad}");
        }
    }

    #[test]
    fn other_layouts_and_fields_work() {
        let p = Pattern::parse("{team}/{yyyy-MM-dd HH.mm.ss} {agent_id} {call_id}.wav").unwrap();
        let f = p.match_name("一组/2026-11-02 09.30.15 王芳 c9.wav").unwrap();
        assert_eq!(f.team.as_deref(), Some("一组"));
        assert_eq!(f.agent_id.as_deref(), Some("王芳"));
        assert_eq!(f.started_at.unwrap().to_string(), "2026-11-02T09:30:15");
    }

    #[test]
    fn the_layout_can_be_part_of_the_name() {
        let p = Pattern::parse("{layout}/{agent_id}_{yyyymmdd-HHMMSS}_{call_id}.wav").unwrap();
        let f = p.match_name("agent-right/A1_20261102-093015_c9.wav").unwrap();
        assert_eq!(f.layout.as_deref(), Some("agent-right"));
    }

    #[test]
    fn many_text_fields_on_a_long_name_do_not_backtrack_for_ever() {
        // Found with the `manifest` fuzz target's harness: every text field tried every split
        // point, so five of them on a name of 200 `_`s took minutes (O(n^5)); now each state is
        // tried once.
        let p = Pattern::parse("{agent_id}_{call_id}_{team}_{agent_name}_{direction}_{yyyymmdd}.wav").unwrap();
        let started = std::time::Instant::now();
        assert_eq!(p.match_name(&"_".repeat(200)), None);
        let name = format!("{}_20261102.wav", "_".repeat(200));
        let f = p.match_name(&name).unwrap();
        assert_eq!((f.agent_id.as_deref(), f.call_id.as_deref(), f.team.as_deref(), f.agent_name.as_deref()), (Some("_"), Some("_"), Some("_"), Some("_")));
        assert_eq!(f.direction.unwrap().len(), 200 - 8);
        // Milliseconds now; minutes before. The bound is loose so a busy machine cannot trip it.
        assert!(started.elapsed() < std::time::Duration::from_secs(30), "{:?}", started.elapsed());
    }

    #[test]
    fn bad_patterns_say_what_is_wrong() {
        for (pat, says) in [
            ("{agent}_{yyyymmdd}_{call_id}.wav", "unknown field {agent}"),
            ("{agent_id}_{call_id}.wav", "start time"),
            ("{yyyymmdd}_{call_id}.wav", "{agent_id}"),
            ("{agent_id}{call_id}_{yyyymmdd}", "separator"),
            ("{agent_id_{yyyymmdd}_{call_id}", "unknown field"),
            ("{agent_id}_{yyyymmdd}_{call_id", "never closed"),
            ("{agent_id}_{HHmmss}_{call_id}", "yyyy, MM and dd"),
            ("{agent_id}_{yyyyMMddH}_{call_id}", "two digits"),
            ("{agent_id}_{yyyyMMdd}_{call_id}_{agent_id}", "twice"),
        ] {
            let err = Pattern::parse(pat).unwrap_err();
            assert!(err.contains(says), "{pat}: {err}");
        }
    }
}
