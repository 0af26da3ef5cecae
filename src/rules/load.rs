//! Loading and validating a pack directory.
//!
//! Each file is read by serde into `Raw*` structs whose fields keep their byte spans
//! ([`toml::Spanned`]), with unknown fields denied. Enumerated values (kind, severity, role,
//! category, window unit, metric) are read as plain strings and checked here, so the message
//! can say what is allowed and point at the value's line. A file that does not parse stops at
//! its first syntax or schema error (serde cannot go on inside it); every other file, and every
//! semantic problem in the files that parse, is still reported.

use std::collections::HashMap;
use std::ops::Range;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;

pub use crate::shared::problem::{Problem, line_col};

use super::{
    Fuzzy, KNOWN_CATEGORIES, Kind, Lexical, Metric, Near, Pack, Phrase, RULE_FORMAT, Reach, RoleFilter, Rule, Severity, Trigger,
    Window,
};

/// Default `min_similarity` of a fuzzy rule.
pub const DEFAULT_MIN_SIMILARITY: f32 = 0.9;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMeta {
    format: Spanned<u32>,
    name: Spanned<String>,
    version: Spanned<String>,
    #[allow(dead_code)] // documentation for readers of the file
    description: Option<String>,
    /// Categories beyond [`KNOWN_CATEGORIES`].
    #[serde(default)]
    categories: Vec<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    rule: Vec<Spanned<RawRule>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    id: Spanned<String>,
    name: Spanned<String>,
    category: Spanned<String>,
    kind: Spanned<String>,
    severity: Spanned<String>,
    points: Option<Spanned<u32>>,
    role: Spanned<String>,
    #[allow(dead_code)]
    description: Option<String>,
    #[serde(default = "yes")]
    enabled: bool,
    any: Option<Spanned<Vec<String>>>,
    all: Option<Spanned<Vec<String>>>,
    near: Option<Spanned<RawNear>>,
    unless: Option<Spanned<Vec<String>>>,
    window: Option<Spanned<RawWindow>>,
    after: Option<Spanned<RawAfter>>,
    min_count: Option<Spanned<u32>>,
    fuzzy: Option<Spanned<bool>>,
    min_similarity: Option<Spanned<f32>>,
    metric: Option<Spanned<String>>,
    max_ms: Option<Spanned<u64>>,
    min_overlap_ms: Option<Spanned<u64>>,
    min_cpm: Option<Spanned<u32>>,
    max_cpm: Option<Spanned<u32>>,
    min_speech_ms: Option<Spanned<u64>>,
    languages: Option<Spanned<Vec<String>>>,
    min_language_prob: Option<Spanned<f32>>,
}

fn yes() -> bool {
    true
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawNear {
    a: Vec<String>,
    b: Vec<String>,
    within: usize,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawWindow {
    first: Option<u64>,
    last: Option<u64>,
    unit: Option<String>,
}

/// `after = { role = "customer", any = [...], within = 2, unit = "utterances" }`. Every field
/// is optional here so that a missing one gets a message of ours, not serde's.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAfter {
    role: Option<String>,
    any: Option<Vec<String>>,
    within: Option<u64>,
    unit: Option<String>,
}

/// Loads and validates the pack in `dir`: `pack.toml` plus every other `*.toml` file, in name
/// order. Returns every problem found, or the pack with its enabled rules.
pub fn load_pack(dir: &Path) -> Result<Pack, Vec<Problem>> {
    let mut problems = Vec::new();
    let meta_path = dir.join("pack.toml");
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) => return Err(vec![Problem::at(dir, "", None, format!("cannot read the pack directory: {e}"))]),
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml") && p.file_name().is_some_and(|n| n != "pack.toml"))
        .collect();
    files.sort();

    let mut categories: Vec<String> = KNOWN_CATEGORIES.iter().map(|s| s.to_string()).collect();
    let (mut name, mut version) = (String::new(), String::new());
    match std::fs::read_to_string(&meta_path) {
        Err(e) => problems.push(Problem::at(&meta_path, "", None, format!("cannot read the pack's pack.toml: {e}"))),
        Ok(src) => match toml::from_str::<RawMeta>(&src) {
            Err(e) => problems.push(Problem::at(&meta_path, &src, e.span(), e.message().to_owned())),
            Ok(meta) => {
                if *meta.format.get_ref() != RULE_FORMAT {
                    problems.push(Problem::at(
                        &meta_path,
                        &src,
                        Some(meta.format.span()),
                        format!("rule format {} is not supported; this build reads format {RULE_FORMAT}", meta.format.get_ref()),
                    ));
                }
                if meta.name.get_ref().trim().is_empty() {
                    problems.push(Problem::at(&meta_path, &src, Some(meta.name.span()), "the pack name is empty"));
                }
                if meta.version.get_ref().trim().is_empty() {
                    problems.push(Problem::at(&meta_path, &src, Some(meta.version.span()), "the pack version is empty"));
                }
                name = meta.name.into_inner();
                version = meta.version.into_inner();
                categories.extend(meta.categories.into_iter().map(|c| c.into_inner()));
            }
        },
    }
    if files.is_empty() {
        problems.push(Problem::at(dir, "", None, "the pack has no rule files (*.toml besides pack.toml)"));
    }

    let mut rules = Vec::new();
    let mut seen: HashMap<String, (PathBuf, usize)> = HashMap::new();
    let mut sources: Vec<(String, String)> = Vec::new();
    if let Ok(src) = std::fs::read_to_string(&meta_path) {
        sources.push(("pack.toml".into(), src));
    }
    for file in &files {
        let src = match std::fs::read_to_string(file) {
            Ok(s) => {
                sources.push((file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default(), s.clone()));
                s
            }
            Err(e) => {
                problems.push(Problem::at(file, "", None, format!("cannot read: {e}")));
                continue;
            }
        };
        let raw: RawFile = match toml::from_str(&src) {
            Ok(r) => r,
            Err(e) => {
                problems.push(Problem::at(file, &src, e.span(), e.message().trim().to_owned()));
                continue;
            }
        };
        for r in raw.rule {
            let span = r.span();
            let mut v = Validator { file, src: &src, problems: &mut problems };
            let Some((rule, enabled)) = v.rule(r.into_inner(), span, &categories) else { continue };
            match seen.get(&rule.id) {
                Some((f, l)) => {
                    let msg = format!("duplicate rule id `{}` (first defined at {}:{l})", rule.id, f.display());
                    problems.push(Problem::new(file, rule.line, 1, msg));
                }
                None => {
                    seen.insert(rule.id.clone(), (file.clone(), rule.line));
                    // Disabled rules are validated, so they stay correct, but not loaded.
                    if enabled {
                        rules.push(rule);
                    }
                }
            }
        }
    }
    if problems.is_empty() { Ok(Pack::new(&name, &version, dir, rules).with_sources(sources)) } else { Err(problems) }
}

struct Validator<'a> {
    file: &'a Path,
    src: &'a str,
    problems: &'a mut Vec<Problem>,
}

impl Validator<'_> {
    fn problem(&mut self, span: Range<usize>, msg: impl Into<String>) {
        self.problems.push(Problem::at(self.file, self.src, Some(span), msg));
    }

    fn phrases(&mut self, field: &str, list: &Spanned<Vec<String>>) -> Vec<Phrase> {
        if list.get_ref().is_empty() {
            self.problem(list.span(), format!("`{field}` is an empty phrase list"));
        }
        let mut out = Vec::new();
        for p in list.get_ref() {
            let ph = Phrase::new(p);
            if ph.normalized().is_empty() {
                self.problem(list.span(), format!("`{field}` has a phrase with no words: {p:?} (only punctuation or spaces)"));
            } else {
                out.push(ph);
            }
        }
        out
    }

    /// The validated rule and whether it is enabled, or `None` after recording its problems.
    fn rule(&mut self, r: RawRule, span: Range<usize>, categories: &[String]) -> Option<(Rule, bool)> {
        let before = self.problems.len();
        let id = r.id.get_ref().trim().to_owned();
        if id.is_empty() || id.contains(char::is_whitespace) {
            self.problem(r.id.span(), format!("rule id {:?} must be non-empty and have no spaces", r.id.get_ref()));
        }
        if r.name.get_ref().trim().is_empty() {
            self.problem(r.name.span(), "rule name is empty");
        }
        if !categories.iter().any(|c| c == r.category.get_ref()) {
            self.problem(
                r.category.span(),
                format!(
                    "unknown category `{}`; known: {} (a pack may add categories in pack.toml)",
                    r.category.get_ref(),
                    categories.join(", ")
                ),
            );
        }
        let kind = Kind::parse(r.kind.get_ref());
        if kind.is_none() {
            self.problem(r.kind.span(), format!("kind `{}` must be required, forbidden or metric", r.kind.get_ref()));
        }
        let severity = Severity::parse(r.severity.get_ref());
        if severity.is_none() {
            let all: Vec<_> = Severity::ALL.iter().map(|s| s.name()).collect();
            self.problem(
                r.severity.span(),
                format!("severity `{}` is not in the rubric ({})", r.severity.get_ref(), all.join(", ")),
            );
        }
        let role = RoleFilter::parse(r.role.get_ref());
        if role.is_none() {
            self.problem(r.role.span(), format!("role `{}` must be agent, customer or any", r.role.get_ref()));
        }

        let lexical_fields = [r.any.is_some(), r.all.is_some(), r.near.is_some()].iter().filter(|x| **x).count();
        if lexical_fields > 1 {
            self.problem(span.clone(), "a rule has at most one of `any`, `all` and `near`");
        }
        let lexical = if let Some(any) = &r.any {
            Some(Lexical::Any(self.phrases("any", any)))
        } else if let Some(all) = &r.all {
            if all.get_ref().is_empty() {
                self.problem(all.span(), "`all` is an empty phrase list");
            }
            let mut groups = Vec::new();
            for item in all.get_ref() {
                let alts: Vec<String> = item.split('|').map(str::to_owned).collect();
                let g = self.phrases("all", &Spanned::new(all.span(), alts));
                if !g.is_empty() {
                    groups.push(g);
                }
            }
            Some(Lexical::All(groups))
        } else if let Some(near) = &r.near {
            let n = near.get_ref();
            let a = self.phrases("near.a", &Spanned::new(near.span(), n.a.clone()));
            let b = self.phrases("near.b", &Spanned::new(near.span(), n.b.clone()));
            if n.within == 0 {
                self.problem(near.span(), "`near.within` must be at least 1 character");
            }
            Some(Lexical::Near(Near { a, b, within: n.within }))
        } else {
            None
        };
        let unless = r.unless.as_ref().map(|u| self.phrases("unless", u)).unwrap_or_default();

        let window = r.window.as_ref().and_then(|w| {
            let raw = w.get_ref();
            let n = match (raw.first, raw.last) {
                (Some(_), Some(_)) | (None, None) => {
                    self.problem(w.span(), "a window has exactly one of `first` and `last`");
                    return None;
                }
                (Some(n), None) | (None, Some(n)) => n,
            };
            if n == 0 {
                self.problem(w.span(), "a window of 0 is empty");
            }
            let first = raw.first.is_some();
            match raw.unit.as_deref() {
                None => {
                    self.problem(w.span(), "window without unit: add unit = \"s\", \"ms\" or \"utterances\"");
                    None
                }
                Some("s") => match n.checked_mul(1000) {
                    Some(ms) => Some(if first { Window::FirstMs(ms) } else { Window::LastMs(ms) }),
                    None => {
                        self.problem(w.span(), format!("a window of {n} s is too long to count in milliseconds"));
                        None
                    }
                },
                Some("ms") => Some(if first { Window::FirstMs(n) } else { Window::LastMs(n) }),
                Some("utterances") => {
                    let n = n as usize;
                    Some(if first { Window::FirstUtterances(n) } else { Window::LastUtterances(n) })
                }
                Some(u) => {
                    self.problem(w.span(), format!("window unit `{u}` must be \"s\", \"ms\" or \"utterances\""));
                    None
                }
            }
        });

        let after = r.after.as_ref().and_then(|a| self.trigger(a));
        if let (Some(a), Some(_)) = (&r.after, &r.window) {
            self.problem(a.span(), "a rule has `window` or `after`, not both: the trigger's response is its window");
        }
        if let (Some(a), Some(Kind::Metric)) = (&r.after, kind) {
            self.problem(a.span(), "`after` is for required and forbidden rules, not metrics");
        }

        let min_count = match &r.min_count {
            Some(m) if *m.get_ref() == 0 => {
                self.problem(m.span(), "`min_count` must be at least 1");
                1
            }
            Some(m) => *m.get_ref(),
            None => 1,
        };

        let fuzzy = match (&r.fuzzy, &r.min_similarity) {
            (Some(f), ms) if *f.get_ref() => {
                let min = ms.as_ref().map_or(DEFAULT_MIN_SIMILARITY, |m| *m.get_ref());
                if !(min > 0.0 && min <= 1.0) {
                    self.problem(ms.as_ref().map_or(f.span(), |m| m.span()), "`min_similarity` must be in (0, 1]");
                }
                if lexical.is_none() {
                    self.problem(f.span(), "`fuzzy` needs phrases (`any`, `all` or `near`)");
                }
                Some(Fuzzy { min_similarity: min })
            }
            (_, Some(ms)) => {
                self.problem(ms.span(), "`min_similarity` is only used with `fuzzy = true`");
                None
            }
            _ => None,
        };

        let metric = self.metric(&r, kind, lexical.is_some(), span.clone());
        if kind != Some(Kind::Metric) && lexical.is_none() {
            self.problem(span.clone(), "a required or forbidden rule needs phrases: `any`, `all` or `near`");
        }

        if self.problems.len() > before {
            return None;
        }
        let severity = severity?;
        let line = line_col(self.src, span.start).0;
        let rule = Rule {
            id,
            name: r.name.into_inner(),
            category: r.category.into_inner(),
            kind: kind?,
            severity,
            points: r.points.map_or(severity.default_points(), |p| p.into_inner()),
            role: role?,
            lexical,
            unless,
            window,
            after,
            min_count,
            fuzzy,
            metric,
            file: self.file.to_owned(),
            line,
        };
        Some((rule, r.enabled))
    }

    /// Validates `after`; `None` after recording its problems.
    fn trigger(&mut self, a: &Spanned<RawAfter>) -> Option<Trigger> {
        let before = self.problems.len();
        let raw = a.get_ref();
        let span = a.span();
        let role = match raw.role.as_deref() {
            None => {
                self.problem(span.clone(), "`after` needs `role`: whose words trigger the rule (agent, customer or any)");
                None
            }
            Some(r) => {
                let role = RoleFilter::parse(r);
                if role.is_none() {
                    self.problem(span.clone(), format!("`after.role` `{r}` must be agent, customer or any"));
                }
                role
            }
        };
        let phrases = match &raw.any {
            None => {
                self.problem(span.clone(), "`after` needs `any`: the phrases that trigger the rule");
                Vec::new()
            }
            Some(list) => self.phrases("after.any", &Spanned::new(span.clone(), list.clone())),
        };
        let within = match raw.within {
            None => {
                self.problem(span.clone(), "`after` needs `within`, e.g. within = 2, unit = \"utterances\"");
                0
            }
            Some(0) => {
                self.problem(span.clone(), "`after.within` must be at least 1");
                0
            }
            Some(n) => n,
        };
        let reach = match raw.unit.as_deref() {
            None => {
                self.problem(span.clone(), "`after` without unit: add unit = \"utterances\", \"s\" or \"ms\"");
                None
            }
            Some("utterances") => Some(Reach::Utterances(within as usize)),
            Some("s") => Some(Reach::Ms(within.saturating_mul(1000))),
            Some("ms") => Some(Reach::Ms(within)),
            Some(u) => {
                self.problem(span.clone(), format!("`after.unit` `{u}` must be \"utterances\", \"s\" or \"ms\""));
                None
            }
        };
        if self.problems.len() > before {
            return None;
        }
        Some(Trigger { role: role?, phrases, within: reach? })
    }

    fn metric(&mut self, r: &RawRule, kind: Option<Kind>, has_phrases: bool, span: Range<usize>) -> Option<Metric> {
        let Some(name) = &r.metric else {
            if kind == Some(Kind::Metric) {
                self.problem(span, "a metric rule needs `metric` (greeting_latency, dead_air, speech_rate, overtalk or language)");
            }
            return None;
        };
        if kind.is_some() && kind != Some(Kind::Metric) {
            self.problem(name.span(), "`metric` is only for rules of kind = \"metric\"");
            return None;
        }
        let need_ms = |v: &mut Self, field: &str, val: &Option<Spanned<u64>>| -> u64 {
            match val {
                Some(x) => *x.get_ref(),
                None => {
                    v.problem(name.span(), format!("metric `{}` needs `{field}`", name.get_ref()));
                    0
                }
            }
        };
        let m = match name.get_ref().as_str() {
            "greeting_latency" => {
                if !has_phrases {
                    self.problem(name.span(), "metric `greeting_latency` needs the greeting phrases in `any`");
                }
                Metric::GreetingLatency { max_ms: need_ms(self, "max_ms", &r.max_ms) }
            }
            "dead_air" => Metric::DeadAir { max_ms: need_ms(self, "max_ms", &r.max_ms) },
            "overtalk" => Metric::Overtalk { min_overlap_ms: need_ms(self, "min_overlap_ms", &r.min_overlap_ms) },
            "speech_rate" => {
                let (min, max) = match (&r.min_cpm, &r.max_cpm) {
                    (Some(a), Some(b)) => (*a.get_ref(), *b.get_ref()),
                    _ => {
                        self.problem(name.span(), "metric `speech_rate` needs `min_cpm` and `max_cpm`");
                        (0, 0)
                    }
                };
                if min > max {
                    self.problem(name.span(), format!("`min_cpm` {min} is above `max_cpm` {max}"));
                }
                Metric::SpeechRate { min_cpm: min, max_cpm: max, min_speech_ms: r.min_speech_ms.as_ref().map_or(0, |x| *x.get_ref()) }
            }
            "language" => {
                let languages = match &r.languages {
                    Some(l) if !l.get_ref().is_empty() => l.get_ref().clone(),
                    _ => {
                        self.problem(name.span(), "metric `language` needs a non-empty `languages` list, e.g. [\"zh\"]");
                        Vec::new()
                    }
                };
                let min_prob = r.min_language_prob.as_ref().map_or(0.0, |x| *x.get_ref());
                if let Some(p) = r.min_language_prob.as_ref().filter(|p| !(0.0..=1.0).contains(p.get_ref())) {
                    self.problem(p.span(), format!("`min_language_prob` must be a probability from 0 to 1 (got {})", p.get_ref()));
                }
                Metric::Language { languages, min_prob }
            }
            other => {
                self.problem(
                    name.span(),
                    format!("unknown metric `{other}`; known: greeting_latency, dead_air, speech_rate, overtalk, language"),
                );
                return None;
            }
        };
        Some(m)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const META: &str = "format = 1\nname = \"t\"\nversion = \"1\"\n";

    /// Writes a pack with one rule file and returns the problems' `line: message` forms.
    fn problems(rules: &str) -> Vec<String> {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("pack.toml"), META).unwrap();
        std::fs::write(dir.path().join("a.toml"), rules).unwrap();
        match load_pack(dir.path()) {
            Ok(_) => Vec::new(),
            Err(ps) => ps.iter().map(|p| format!("{}: {}", p.line(), p.message())).collect(),
        }
    }

    const OK: &str = r#"
[[rule]]
id = "f1"
name = "忌语"
category = "forbidden"
kind = "forbidden"
severity = "minor"
role = "agent"
any = ["不知道"]
"#;

    #[test]
    fn valid_rule_loads_with_default_points() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("pack.toml"), META).unwrap();
        std::fs::write(dir.path().join("a.toml"), OK).unwrap();
        let pack = load_pack(dir.path()).unwrap();
        assert_eq!(pack.version(), "1");
        let r = &pack.rules()[0];
        assert_eq!((r.id.as_str(), r.points, r.line, r.min_count), ("f1", 2, 2, 1));
        assert_eq!(r.lexical, Some(Lexical::Any(vec![Phrase::new("不知道")])));
    }

    #[test]
    fn unknown_field_names_field_and_line() {
        let p = problems(&OK.replace("role = \"agent\"", "role = \"agent\"\nphrase = [\"x\"]"));
        assert_eq!(p.len(), 1, "{p:?}");
        assert!(p[0].contains("unknown field `phrase`"), "{p:?}");
        assert!(p[0].starts_with("9:"), "the unknown key's line: {p:?}");
    }

    #[test]
    fn duplicate_id() {
        let p = problems(&format!("{OK}{OK}"));
        assert_eq!(p.len(), 1, "{p:?}");
        assert!(p[0].starts_with("11: duplicate rule id `f1` (first defined at "), "{p:?}");
        assert!(p[0].ends_with("a.toml:2)"), "{p:?}");
    }

    #[test]
    fn empty_phrase_list() {
        assert_eq!(problems(&OK.replace("[\"不知道\"]", "[]")), vec!["9: `any` is an empty phrase list"]);
        assert_eq!(
            problems(&OK.replace("[\"不知道\"]", "[\"，。\"]")),
            vec!["9: `any` has a phrase with no words: \"，。\" (only punctuation or spaces)"]
        );
    }

    #[test]
    fn window_without_unit() {
        let p = problems(&format!("{OK}window = {{ first = 3 }}\n"));
        assert_eq!(p, vec!["10: window without unit: add unit = \"s\", \"ms\" or \"utterances\""]);
    }

    #[test]
    fn a_window_too_long_for_milliseconds_is_a_problem_not_a_wrap() {
        let p = problems(&format!("{OK}window = {{ first = 18446744073709552, unit = \"s\" }}\n"));
        assert_eq!(p.len(), 1, "{p:?}");
        assert!(p[0].contains("too long"), "{p:?}");
    }

    #[test]
    fn a_language_probability_outside_0_to_1_is_a_problem() {
        let rule = |p: &str| format!("[[rule]]\nid = \"l\"\nname = \"普通话\"\ncategory = \"language\"\nkind = \"metric\"\nseverity = \"minor\"\nrole = \"agent\"\nmetric = \"language\"\nlanguages = [\"zh\"]\nmin_language_prob = {p}\n");
        assert!(problems(&rule("0.5")).is_empty());
        for bad in ["nan", "1.5", "-0.1", "inf"] {
            let p = problems(&rule(bad));
            assert!(p.len() == 1 && p[0].contains("min_language_prob"), "{bad}: {p:?}");
        }
    }

    #[test]
    fn severity_not_in_rubric() {
        let p = problems(&OK.replace("\"minor\"", "\"major\""));
        assert_eq!(p, vec!["7: severity `major` is not in the rubric (minor, medium, severe, fatal)"]);
    }

    #[test]
    fn bad_kind_role_category_and_missing_phrases_all_reported() {
        let bad = OK
            .replace("kind = \"forbidden\"", "kind = \"banned\"")
            .replace("role = \"agent\"", "role = \"boss\"")
            .replace("category = \"forbidden\"", "category = \"rudeness\"");
        let p = problems(&bad);
        assert_eq!(p.len(), 3, "{p:?}");
        assert!(p[0].starts_with("5: unknown category `rudeness`"));
        assert_eq!(p[1], "6: kind `banned` must be required, forbidden or metric");
        assert_eq!(p[2], "8: role `boss` must be agent, customer or any");
        let no_phrases = OK.replace("any = [\"不知道\"]\n", "");
        assert_eq!(problems(&no_phrases), vec!["2: a required or forbidden rule needs phrases: `any`, `all` or `near`"]);
    }

    #[test]
    fn missing_field_and_syntax_error() {
        let p = problems(&OK.replace("name = \"忌语\"\n", ""));
        assert_eq!(p.len(), 1);
        assert!(p[0].contains("missing field `name`"), "{p:?}");
        let p = problems("[[rule]\nid = 1");
        assert_eq!(p.len(), 1);
        assert!(p[0].starts_with("1: "), "{p:?}");
    }

    #[test]
    fn metric_needs_its_parameters() {
        let m = "[[rule]]\nid = \"m\"\nname = \"静音\"\ncategory = \"silence\"\nkind = \"metric\"\nseverity = \"minor\"\nrole = \"any\"\nmetric = \"dead_air\"\n";
        assert_eq!(problems(m), vec!["8: metric `dead_air` needs `max_ms`"]);
        assert!(problems(&format!("{m}max_ms = 5000\n")).is_empty());
        let p = problems(&m.replace("dead_air", "loudness"));
        assert!(p[0].starts_with("8: unknown metric `loudness`"), "{p:?}");
    }

    #[test]
    fn after_loads_and_its_problems_name_the_line() {
        let after = "after = { role = \"customer\", any = [\"投诉\"], within = 2, unit = \"utterances\" }\n";
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("pack.toml"), META).unwrap();
        std::fs::write(dir.path().join("a.toml"), format!("{OK}{after}")).unwrap();
        let pack = load_pack(dir.path()).unwrap();
        let t = pack.rules()[0].after.as_ref().unwrap();
        assert_eq!((t.role, t.within, t.phrases.clone()), (RoleFilter::Customer, Reach::Utterances(2), vec![Phrase::new("投诉")]));
        let seconds = problems(&format!("{OK}after = {{ role = \"customer\", any = [\"投诉\"], within = 30, unit = \"s\" }}\n"));
        assert!(seconds.is_empty(), "{seconds:?}");

        assert_eq!(
            problems(&format!("{OK}after = {{ role = \"boss\", any = [], within = 0 }}\n")),
            vec![
                "10: `after.role` `boss` must be agent, customer or any",
                "10: `after.any` is an empty phrase list",
                "10: `after.within` must be at least 1",
                "10: `after` without unit: add unit = \"utterances\", \"s\" or \"ms\"",
            ]
        );
        assert_eq!(
            problems(&format!("{OK}after = {{ any = [\"投诉\"], within = 1, unit = \"turns\" }}\n")),
            vec![
                "10: `after` needs `role`: whose words trigger the rule (agent, customer or any)",
                "10: `after.unit` `turns` must be \"utterances\", \"s\" or \"ms\"",
            ]
        );
        assert_eq!(
            problems(&format!("{OK}window = {{ first = 2, unit = \"utterances\" }}\n{after}")),
            vec!["11: a rule has `window` or `after`, not both: the trigger's response is its window"]
        );
        let p = problems(&format!("{OK}after = {{ role = \"customer\", any = [\"投诉\"], within = 1, unit = \"s\", why = 1 }}\n"));
        assert!(p.len() == 1 && p[0].contains("unknown field `why`"), "{p:?}");
    }

    #[test]
    fn pack_meta_problems() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("pack.toml"), "format = 2\nname = \"t\"\nversion = \"1\"\n").unwrap();
        std::fs::write(dir.path().join("a.toml"), OK).unwrap();
        let ps = load_pack(dir.path()).unwrap_err();
        assert_eq!(ps.len(), 1);
        assert_eq!(ps[0].line(), 1);
        assert!(ps[0].to_string().contains("pack.toml:1:10: rule format 2 is not supported"), "{}", ps[0]);
    }

    #[test]
    fn disabled_rules_are_checked_but_not_loaded() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("pack.toml"), META).unwrap();
        std::fs::write(dir.path().join("a.toml"), format!("{OK}enabled = false\n")).unwrap();
        assert!(load_pack(dir.path()).unwrap().rules().is_empty());
    }

    #[test]
    fn line_col_counts_characters() {
        assert_eq!(line_col("ab\n您好x", "ab\n您好".len()), (2, 3));
        assert_eq!(line_col("", 0), (1, 1));
    }
}
