//! Finding a pack's phrases in an utterance: one Aho-Corasick automaton for the whole pack,
//! built once, and one pass per utterance, plus the pinyin pass for fuzzy rules.
//!
//! A naive scan costs one substring search per phrase per utterance, so it grows with the
//! pack; the automaton's pass costs the same for 10 phrases or 10,000. Each distinct
//! normalised phrase is one pattern, which maps to every (rule, list) that uses it, and the
//! automaton reports overlapping matches so that `不知道` inside `我不知道` still counts for a
//! rule that lists only `不知道`.

use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

use super::fuzzy::{self, ReadingSet, Syllable};
use super::normalize::Normalized;
use super::{Rule, Slot};

/// How a phrase was matched.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MatchMode {
    /// The normalised phrase occurs as is.
    Exact,
    /// The phrase occurs up to homophones or near syllables (see [`super::fuzzy`]).
    Fuzzy,
}

/// One phrase occurrence in an utterance, for one rule.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Occurrence {
    /// Index of the rule in the pack.
    pub rule: usize,
    pub slot: Slot,
    /// Normalised characters `start..end`.
    pub start: usize,
    pub end: usize,
    pub mode: MatchMode,
    /// 1 for exact matches.
    pub similarity: f32,
}

#[derive(Clone, Copy, Debug)]
struct Use {
    rule: u32,
    slot: Slot,
}

/// A fuzzy rule's phrases as syllables.
#[derive(Debug)]
struct FuzzyRule {
    rule: usize,
    min_similarity: f32,
    phrases: Vec<(Slot, Vec<Syllable>)>,
}

/// All phrases of a pack, compiled.
#[derive(Debug)]
pub struct Matcher {
    ac: Option<AhoCorasick>,
    uses: Vec<Vec<Use>>,
    fuzzy: Vec<FuzzyRule>,
}

impl Matcher {
    /// Compiles the phrases of `rules` (their `unless` lists included).
    pub fn new(rules: &[Rule]) -> Result<Matcher, aho_corasick::BuildError> {
        let mut ids: HashMap<&str, usize> = HashMap::new();
        let mut patterns: Vec<&str> = Vec::new();
        let mut uses: Vec<Vec<Use>> = Vec::new();
        let mut fuzzy_rules = Vec::new();
        for (ri, rule) in rules.iter().enumerate() {
            let mut lists: Vec<(Slot, &[super::Phrase])> = rule.phrase_slots();
            if let Some(f) = rule.fuzzy {
                let phrases = lists
                    .iter()
                    .flat_map(|(slot, ps)| ps.iter().map(|p| (*slot, fuzzy::syllables(p.normalized()))))
                    .collect();
                fuzzy_rules.push(FuzzyRule { rule: ri, min_similarity: f.min_similarity, phrases });
            }
            lists.push((Slot::Unless, &rule.unless));
            for (slot, phrases) in lists {
                for p in phrases {
                    let id = *ids.entry(p.normalized()).or_insert_with(|| {
                        patterns.push(p.normalized());
                        uses.push(Vec::new());
                        patterns.len() - 1
                    });
                    let u = &mut uses[id];
                    // A phrase listed twice in one list counts once.
                    if !u.iter().any(|x| x.rule == ri as u32 && x.slot == slot) {
                        u.push(Use { rule: ri as u32, slot });
                    }
                }
            }
        }
        let ac = if patterns.is_empty() {
            None
        } else {
            Some(
                AhoCorasick::builder()
                    .match_kind(MatchKind::Standard)
                    .kind(Some(AhoCorasickKind::DFA))
                    .build(&patterns)?,
            )
        };
        Ok(Matcher { ac, uses, fuzzy: fuzzy_rules })
    }

    /// Appends to `out` every occurrence in `text` for the rules marked in `eligible`
    /// (indexed like the rules given to [`Matcher::new`]).
    pub fn find(&self, text: &Normalized, eligible: &[bool], out: &mut Vec<Occurrence>) {
        if let Some(ac) = &self.ac {
            for m in ac.find_overlapping_iter(text.as_str()) {
                let mut chars = None;
                for u in &self.uses[m.pattern().as_usize()] {
                    if !eligible[u.rule as usize] {
                        continue;
                    }
                    let (start, end) = *chars.get_or_insert_with(|| (text.char_index(m.start()), text.char_index(m.end())));
                    out.push(Occurrence {
                        rule: u.rule as usize,
                        slot: u.slot,
                        start,
                        end,
                        mode: MatchMode::Exact,
                        similarity: 1.0,
                    });
                }
            }
        }
        let mut syllables: Option<(Vec<Syllable>, ReadingSet)> = None;
        for f in &self.fuzzy {
            if !eligible[f.rule] {
                continue;
            }
            let (text_syl, readings) = syllables.get_or_insert_with(|| {
                let s = fuzzy::syllables(text.as_str());
                let r = ReadingSet::of(&s);
                (s, r)
            });
            for (slot, phrase) in &f.phrases {
                if !readings.may_match(phrase, f.min_similarity) {
                    continue;
                }
                for h in fuzzy::find(phrase, text_syl, f.min_similarity) {
                    out.push(Occurrence {
                        rule: f.rule,
                        slot: *slot,
                        start: h.start,
                        end: h.end,
                        mode: MatchMode::Fuzzy,
                        similarity: h.similarity,
                    });
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::normalize::normalize;
    use crate::rules::{Fuzzy, Kind, Lexical, Phrase, RoleFilter, Severity};

    fn rule(phrases: &[&str], unless: &[&str], fuzzy: bool) -> Rule {
        Rule {
            id: "r".into(),
            name: "规则".into(),
            category: "forbidden".into(),
            kind: Kind::Forbidden,
            severity: Severity::Minor,
            points: 2,
            role: RoleFilter::Agent,
            lexical: Some(Lexical::Any(phrases.iter().map(|p| Phrase::new(p)).collect())),
            unless: unless.iter().map(|p| Phrase::new(p)).collect(),
            window: None,
            after: None,
            min_count: 1,
            fuzzy: fuzzy.then_some(Fuzzy { min_similarity: 0.9 }),
            metric: None,
            file: "t.toml".into(),
            line: 1,
        }
    }

    fn find(m: &Matcher, text: &str, eligible: &[bool]) -> Vec<(usize, Slot, usize, usize, MatchMode)> {
        let mut out = Vec::new();
        m.find(&normalize(text), eligible, &mut out);
        out.iter().map(|o| (o.rule, o.slot, o.start, o.end, o.mode)).collect()
    }

    #[test]
    fn one_automaton_reports_overlaps_for_every_rule_using_a_phrase() {
        let rules = [rule(&["不知道", "我不知道"], &[], false), rule(&["不知道"], &["知不知道"], false)];
        let m = Matcher::new(&rules).unwrap();
        let mut got = find(&m, "我，不知道", &[true, true]);
        got.sort_by_key(|g| (g.0, g.2));
        assert_eq!(
            got,
            vec![
                (0, Slot::Any, 0, 4, MatchMode::Exact),
                (0, Slot::Any, 1, 4, MatchMode::Exact),
                (1, Slot::Any, 1, 4, MatchMode::Exact),
            ]
        );
        // Ineligible rules get nothing; exclusions are reported in their own slot.
        assert_eq!(find(&m, "你知不知道", &[false, true]), vec![(1, Slot::Unless, 1, 5, MatchMode::Exact), (1, Slot::Any, 2, 5, MatchMode::Exact)]);
    }

    #[test]
    fn fuzzy_pass_only_for_fuzzy_rules() {
        let rules = [rule(&["再见"], &[], true), rule(&["再见"], &[], false)];
        let m = Matcher::new(&rules).unwrap();
        assert_eq!(find(&m, "好的在见", &[true, true]), vec![(0, Slot::Any, 2, 4, MatchMode::Fuzzy)]);
    }

    #[test]
    fn a_pack_without_phrases_matches_nothing() {
        let m = Matcher::new(&[]).unwrap();
        assert!(find(&m, "你好", &[]).is_empty());
    }
}
