//! Finding a pack's phrases in an utterance: one Aho-Corasick automaton for the whole pack,
//! built once, and one pass per utterance, plus the pinyin pass for fuzzy rules.
//!
//! A naive scan costs one substring search per phrase per utterance, so it grows with the
//! pack; the automaton's pass costs the same for 10 phrases or 10,000. Each distinct
//! normalised phrase is one pattern, which maps to every (rule, list) that uses it, and the
//! automaton reports overlapping matches so that `不知道` inside `我不知道` still counts for a
//! rule that lists only `不知道`. Fuzzy rules' candidates come from a second automaton over
//! reading keys ([`super::automaton`], [`fuzzy`]).

use std::collections::HashMap;

use super::automaton::{Automaton, BuildError, Search, Unit};
use super::normalize::Normalized;
use super::fuzzy::{self, ReadingSet, Syllable};
use super::{Rule, Slot};
pub use crate::finding::MatchMode;

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

/// A (rule, list) using an exact phrase, with the phrase's length in characters.
#[derive(Clone, Copy, Debug)]
struct Use {
    rule: u32,
    slot: Slot,
    len: u32,
}

/// A fuzzy rule's phrases as syllables.
#[derive(Debug)]
struct FuzzyRule {
    rule: usize,
    min_similarity: f32,
    phrases: Vec<FuzzyPhrase>,
}

#[derive(Debug)]
struct FuzzyPhrase {
    slot: Slot,
    syllables: Vec<Syllable>,
    /// The normalised phrase, one character per syllable.
    text: Vec<char>,
    /// Found through the reading automaton ([`fuzzy::substitutions_only`]), not the programme.
    indexed: bool,
}

/// All phrases of a pack, compiled.
#[derive(Debug)]
pub struct Matcher {
    exact: Option<Automaton>,
    /// Per exact pattern, the (rule, list) pairs using it.
    uses: Lists<Use>,
    fuzzy: Vec<FuzzyRule>,
    /// One automaton over the reading keys of every substitution-only fuzzy phrase and of the
    /// pieces of the others ([`fuzzy::pieces`]): the same pass finds the candidates of all.
    readings: Option<Automaton>,
    /// Per reading pattern: (index in `fuzzy`, index of the phrase).
    reading_uses: Lists<ReadingUse>,
    /// (index in `fuzzy`, index of the phrase) of the phrases left to the programme, in order.
    programme: Vec<(u32, u32)>,
    /// The programme phrases (indices in `programme`, ascending) that run on every utterance,
    /// having no pieces ([`fuzzy::pieces`]) to wait for.
    unfiltered: Vec<u32>,
}

/// A list per index, in one allocation: the pass looks one up at every match, and a list
/// per heap allocation cost a scattered load or two each time.
#[derive(Debug)]
struct Lists<T> {
    /// Where list `i` starts in `items`, plus the end.
    starts: Vec<u32>,
    items: Vec<T>,
}

impl<T> Lists<T> {
    fn of(lists: Vec<Vec<T>>) -> Lists<T> {
        let mut starts = Vec::with_capacity(lists.len() + 1);
        starts.push(0);
        let mut items = Vec::with_capacity(lists.iter().map(Vec::len).sum());
        for l in lists {
            items.extend(l);
            starts.push(items.len() as u32);
        }
        Lists { starts, items }
    }

    #[inline]
    fn get(&self, i: usize) -> &[T] {
        &self.items[self.starts[i] as usize..self.starts[i + 1] as usize]
    }
}

/// What a reading pattern stands for.
#[derive(Clone, Copy, Debug)]
enum ReadingUse {
    /// A whole substitution-only phrase: (index in `fuzzy`, index of the phrase).
    Window(u32, u32),
    /// A piece of the programme phrase with this index in `programme`.
    Piece(u32),
}

/// Buffers [`Matcher::find_with`] reuses from one text to the next (the fuzzy pass's).
#[derive(Default)]
pub struct Scratch(FuzzyScratch);

/// Per-utterance scratch for the fuzzy pass.
#[derive(Default)]
struct FuzzyScratch {
    syllables: Vec<Syllable>,
    /// (fuzzy rule, phrase, end) of each reading-equal window.
    ends: Vec<(u32, u32, usize)>,
    ends_one: Vec<usize>,
    /// Programme phrases (index in `programme`) with a piece in the utterance; then, in
    /// [`Matcher::find_fuzzy`], those to run.
    pieces: Vec<u32>,
    hits: Vec<fuzzy::FuzzyHit>,
    /// The bytes the automata read.
    bytes: Vec<u8>,
}

impl Matcher {
    /// Compiles the phrases of `rules` (their `unless` lists included).
    pub fn new(rules: &[Rule]) -> Result<Matcher, BuildError> {
        let mut ids: HashMap<&str, usize> = HashMap::new();
        let mut patterns: Vec<&str> = Vec::new();
        let mut uses: Vec<Vec<Use>> = Vec::new();
        let mut fuzzy_rules = Vec::new();
        for (ri, rule) in rules.iter().enumerate() {
            let mut lists: Vec<(Slot, &[super::Phrase])> = rule.phrase_slots();
            if let Some(f) = rule.fuzzy {
                let phrases = lists
                    .iter()
                    .flat_map(|(slot, ps)| {
                        ps.iter().map(|p| {
                            let syllables = fuzzy::syllables(p.normalized());
                            let indexed = fuzzy::substitutions_only(syllables.len(), f.min_similarity);
                            FuzzyPhrase { slot: *slot, syllables, text: p.normalized().chars().collect(), indexed }
                        })
                    })
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
                        u.push(Use { rule: ri as u32, slot, len: p.normalized().chars().count() as u32 });
                    }
                }
            }
        }
        let exact = Automaton::of_strs(&patterns)?;
        let mut reading_ids: HashMap<Vec<u32>, usize> = HashMap::new();
        let mut reading_patterns: Vec<Vec<u32>> = Vec::new();
        let mut reading_uses: Vec<Vec<ReadingUse>> = Vec::new();
        let mut programme = Vec::new();
        let mut unfiltered = Vec::new();
        let mut add = |key: Vec<u32>, u: ReadingUse| {
            let id = *reading_ids.entry(key.clone()).or_insert_with(|| {
                reading_patterns.push(key);
                reading_uses.push(Vec::new());
                reading_patterns.len() - 1
            });
            reading_uses[id].push(u);
        };
        for (fi, f) in fuzzy_rules.iter().enumerate() {
            for (pi, p) in f.phrases.iter().enumerate() {
                let key = fuzzy::keys(&p.syllables);
                if p.indexed {
                    add(key, ReadingUse::Window(fi as u32, pi as u32));
                    continue;
                }
                let d = programme.len() as u32;
                programme.push((fi as u32, pi as u32));
                let pieces = fuzzy::pieces(key.len(), f.min_similarity);
                if pieces.is_none() {
                    unfiltered.push(d);
                }
                for r in pieces.into_iter().flatten() {
                    add(key[r].to_vec(), ReadingUse::Piece(d));
                }
            }
        }
        let readings = Automaton::new(&reading_patterns, Unit::Reading)?;
        let (uses, reading_uses) = (Lists::of(uses), Lists::of(reading_uses));
        Ok(Matcher { exact, uses, fuzzy: fuzzy_rules, readings, reading_uses, programme, unfiltered })
    }

    /// Appends to `out` every occurrence in `text` for the rules marked in `eligible`
    /// (indexed like the rules given to [`Matcher::new`]).
    pub fn find(&self, text: &Normalized, eligible: &[bool], out: &mut Vec<Occurrence>) {
        Matcher::with_scratch(|s| self.find_with(text, eligible, out, s));
    }

    /// Runs `f` with this thread's [`Scratch`]: a caller finding in many texts takes it once,
    /// not once per text as [`Matcher::find`] does.
    pub fn with_scratch<R>(f: impl FnOnce(&mut Scratch) -> R) -> R {
        FUZZY_SCRATCH.with_borrow_mut(f)
    }

    /// [`Matcher::find`] with the caller's buffers.
    pub fn find_with(&self, text: &Normalized, eligible: &[bool], out: &mut Vec<Occurrence>, scratch: &mut Scratch) {
        self.find_in(text.chars(), eligible, self.any_fuzzy(eligible), out, scratch);
    }

    /// Whether any rule marked in `eligible` is fuzzy: [`Matcher::find_in`]'s `fuzzy_on`.
    pub fn any_fuzzy(&self, eligible: &[bool]) -> bool {
        self.fuzzy.iter().any(|f| eligible[f.rule])
    }

    /// [`Matcher::find_with`] on the characters of normalised text (as
    /// [`Normalized::chars`] gives them), told whether any eligible rule is fuzzy
    /// ([`Matcher::any_fuzzy`]): a caller using one `eligible` for many texts asks once.
    pub fn find_in(&self, chars: &[char], eligible: &[bool], fuzzy_on: bool, out: &mut Vec<Occurrence>, scratch: &mut Scratch) {
        debug_assert_eq!(fuzzy_on, self.any_fuzzy(eligible));
        let s = &mut scratch.0;
        if let Some(e) = &self.exact {
            e.each_match(chars, &mut s.bytes, |p, end| {
                for u in self.uses.get(p) {
                    if eligible[u.rule as usize] {
                        let start = end - u.len as usize;
                        out.push(Occurrence { rule: u.rule as usize, slot: u.slot, start, end, mode: MatchMode::Exact, similarity: 1.0 });
                    }
                }
            });
        }
        if !fuzzy_on {
            return;
        }
        s.ends.clear();
        s.pieces.clear();
        if let Some(r) = &self.readings {
            let (ends, pieces) = (&mut s.ends, &mut s.pieces);
            r.each_match(chars, &mut s.bytes, |p, end| {
                for &u in self.reading_uses.get(p) {
                    match u {
                        ReadingUse::Window(fi, pi) => {
                            if eligible[self.fuzzy[fi as usize].rule] {
                                ends.push((fi, pi, end));
                            }
                        }
                        ReadingUse::Piece(d) => pieces.push(d),
                    }
                }
            });
        }
        self.find_fuzzy(chars, eligible, s, out);
    }

    /// The pinyin pass, given the reading-equal windows found by [`Matcher::find`]'s pass
    /// (`s.ends`). Substitution-only phrases are priced on those windows, the others by the
    /// dynamic programme; occurrences are reported rule by rule, phrase by phrase, as the
    /// programme alone would report them.
    ///
    /// A substitution-only phrase whose
    /// every reading-equal window holds the phrase itself has no fuzzy hit (an exact window
    /// costs 0, and the run holding it yields nothing), so it is passed over without reading
    /// the syllables: the common case of a fuzzy phrase said as written.
    fn find_fuzzy(&self, chars: &[char], eligible: &[bool], s: &mut FuzzyScratch, out: &mut Vec<Occurrence>) {
        s.ends.sort_unstable();
        s.syllables.clear();
        // The programme phrases to run, in order: those with a piece in the utterance and
        // those without pieces, where their rule looks.
        s.pieces.extend_from_slice(&self.unfiltered);
        s.pieces.sort_unstable();
        s.pieces.dedup();
        s.pieces.retain(|&d| eligible[self.fuzzy[self.programme[d as usize].0 as usize].rule]);
        if s.ends.is_empty() && s.pieces.is_empty() {
            return;
        }
        // The syllables are read when first needed (cleared above; empty text has none).
        // Both sources, merged in (rule, phrase) order.
        let mut readings: Option<ReadingSet> = None;
        let (mut e, mut d) = (0, 0);
        loop {
            let next_e = s.ends.get(e).map(|x| (x.0, x.1));
            let next_d = s.pieces.get(d).map(|&k| self.programme[k as usize]);
            let (fi, pi, indexed) = match (next_e, next_d) {
                (None, None) => break,
                (Some(a), Some(b)) if b < a => (b.0, b.1, false),
                (Some(a), _) => (a.0, a.1, true),
                (None, Some(b)) => (b.0, b.1, false),
            };
            let f = &self.fuzzy[fi as usize];
            let phrase = &f.phrases[pi as usize];
            s.hits.clear();
            if indexed {
                s.ends_one.clear();
                while e < s.ends.len() && (s.ends[e].0, s.ends[e].1) == (fi, pi) {
                    s.ends_one.push(s.ends[e].2);
                    e += 1;
                }
                // A window holding this very phrase costs nothing, so it has no fuzzy hit. (Not
                // any exact occurrence of the rule's slot: another phrase of the same list said
                // there, 您 for a listed 你, is still a near match of this one.)
                let len = phrase.text.len();
                let exact = |end: &usize| *end >= len && chars[end - len..*end] == phrase.text[..];
                if !s.ends_one.iter().all(exact) {
                    if s.syllables.is_empty() {
                        fuzzy::syllables_into(chars, &mut s.syllables);
                    }
                    fuzzy::substitution_hits(&phrase.syllables, &s.syllables, f.min_similarity, &s.ends_one, &mut s.hits);
                }
            } else {
                d += 1;
                if s.syllables.is_empty() {
                    fuzzy::syllables_into(chars, &mut s.syllables);
                }
                let readings = readings.get_or_insert_with(|| ReadingSet::of(&s.syllables));
                if readings.may_match(&phrase.syllables, f.min_similarity) {
                    s.hits.extend(fuzzy::find(&phrase.syllables, &s.syllables, f.min_similarity));
                }
            }
            for h in &s.hits {
                out.push(Occurrence {
                    rule: f.rule,
                    slot: phrase.slot,
                    start: h.start,
                    end: h.end,
                    mode: MatchMode::Fuzzy,
                    similarity: h.similarity,
                });
            }
        }
    }
}

thread_local! {
    static FUZZY_SCRATCH: std::cell::RefCell<Scratch> = std::cell::RefCell::new(Scratch::default());
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::normalize::normalize;
    use crate::rules::{Fuzzy, Kind, Lexical, Phrase, Reach, RoleFilter, Severity, Trigger};
    use proptest::prelude::*;

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

    /// A phrase said as written is passed over by the fuzzy pass; said as written and
    /// misheard in one utterance, the misheard one is still a fuzzy hit.
    #[test]
    fn exact_windows_skip_the_fuzzy_pass_but_not_the_other_windows() {
        let rules = [rule(&["再见"], &[], true)];
        let m = Matcher::new(&rules).unwrap();
        assert_eq!(find(&m, "好的再见", &[true]), vec![(0, Slot::Any, 2, 4, MatchMode::Exact)]);
        assert_eq!(
            find(&m, "再见，在见", &[true]),
            vec![(0, Slot::Any, 0, 2, MatchMode::Exact), (0, Slot::Any, 2, 4, MatchMode::Fuzzy)]
        );
        // Text appended after an earlier call's occurrences: only this text's exact ones count.
        let mut out = Vec::new();
        m.find(&normalize("再见"), &[true], &mut out);
        m.find(&normalize("在见"), &[true], &mut out);
        assert_eq!(out.iter().map(|o| o.mode).collect::<Vec<_>>(), vec![MatchMode::Exact, MatchMode::Fuzzy]);
    }

    /// Characters beyond the BMP (four UTF-8 bytes) and ASCII go through the same pass.
    #[test]
    fn characters_of_every_utf8_length() {
        let rules = [rule(&["𠀀好", "ok"], &[], false)];
        let m = Matcher::new(&rules).unwrap();
        assert_eq!(
            find(&m, "é啊𠀀好ok", &[true]),
            vec![(0, Slot::Any, 2, 4, MatchMode::Exact), (0, Slot::Any, 4, 6, MatchMode::Exact)]
        );
    }

    #[test]
    fn a_pack_without_phrases_matches_nothing() {
        let m = Matcher::new(&[]).unwrap();
        assert!(find(&m, "你好", &[]).is_empty());
    }

    /// What the matcher must find, the slow way: every exact phrase compared at every
    /// position, and every fuzzy phrase priced by the dynamic programme ([`fuzzy::find`])
    /// over the whole text, without the automata, pieces or shortcuts.
    fn reference(rules: &[Rule], text: &Normalized, eligible: &[bool]) -> Vec<Occurrence> {
        let chars = text.chars();
        let mut out = Vec::new();
        for (ri, rule) in rules.iter().enumerate().filter(|(ri, _)| eligible[*ri]) {
            let mut lists = rule.phrase_slots();
            lists.push((Slot::Unless, &rule.unless));
            for (slot, phrases) in lists {
                let mut seen: Vec<Vec<char>> = Vec::new();
                for p in phrases {
                    let pc: Vec<char> = p.normalized().chars().collect();
                    if pc.is_empty() || seen.contains(&pc) {
                        continue;
                    }
                    for end in pc.len()..=chars.len() {
                        if chars[end - pc.len()..end] == pc[..] {
                            out.push(Occurrence { rule: ri, slot, start: end - pc.len(), end, mode: MatchMode::Exact, similarity: 1.0 });
                        }
                    }
                    seen.push(pc);
                }
            }
        }
        let mut text_syllables = Vec::new();
        fuzzy::syllables_into(chars, &mut text_syllables);
        for (ri, rule) in rules.iter().enumerate().filter(|(ri, _)| eligible[*ri]) {
            let Some(f) = rule.fuzzy else { continue };
            for (slot, phrases) in rule.phrase_slots() {
                for p in phrases {
                    for h in fuzzy::find(&fuzzy::syllables(p.normalized()), &text_syllables, f.min_similarity) {
                        out.push(Occurrence { rule: ri, slot, start: h.start, end: h.end, mode: MatchMode::Fuzzy, similarity: h.similarity });
                    }
                }
            }
        }
        out
    }

    fn sorted(mut v: Vec<Occurrence>) -> Vec<(usize, Slot, usize, usize, bool, u32)> {
        let mut v: Vec<_> = v.drain(..).map(|o| (o.rule, o.slot, o.start, o.end, o.mode == MatchMode::Fuzzy, o.similarity.to_bits())).collect();
        v.sort();
        v
    }

    /// Homophones (再在, 是事, 一衣), near readings (知资, 您你), digits, letters, punctuation
    /// and a character beyond the BMP, so that random phrases recur in random texts, exactly
    /// and fuzzily.
    const ALPHABET: &[char] = &['再', '在', '见', '件', '不', '部', '知', '资', '道', '到', '是', '事', '这', '您', '你', '一', '衣', '十', 'a', '，', '𠀀'];

    fn phrase() -> impl Strategy<Value = String> {
        prop::collection::vec(prop::sample::select(ALPHABET), 1..12).prop_map(|v| v.into_iter().collect())
    }

    fn phrases(n: std::ops::Range<usize>) -> impl Strategy<Value = Vec<Phrase>> {
        prop::collection::vec(phrase(), n).prop_map(|v| v.iter().map(|p| Phrase::new(p)).collect())
    }

    fn any_rule() -> impl Strategy<Value = Rule> {
        let lexical = prop_oneof![
            phrases(1..4).prop_map(Lexical::Any),
            prop::collection::vec(phrases(1..3), 1..3).prop_map(Lexical::All),
            (phrases(1..3), phrases(1..3)).prop_map(|(a, b)| Lexical::Near(crate::rules::Near { a, b, within: 3 })),
        ];
        let fuzzy = prop::option::of(prop::sample::select(vec![0.0f32, 0.3, 0.5, 0.7, 0.8, 0.85, 0.9, 1.0]));
        (lexical, phrases(0..3), prop::option::of(phrases(1..3)), fuzzy).prop_map(|(lexical, unless, after, fuzzy)| {
            let mut r = rule(&[], &[], false);
            r.lexical = Some(lexical);
            r.unless = unless;
            r.after = after.map(|phrases| Trigger { role: RoleFilter::Customer, phrases, within: Reach::Utterances(1) });
            r.fuzzy = fuzzy.map(|min_similarity| Fuzzy { min_similarity });
            r
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

        /// The automata, pieces and shortcuts find exactly what the slow way finds, exact and fuzzy.
        #[test]
        fn the_matcher_finds_what_the_slow_way_finds(
            rules in prop::collection::vec(any_rule(), 1..5),
            texts in prop::collection::vec(prop::collection::vec(prop::sample::select(ALPHABET), 0..30), 1..4),
            eligible in prop::collection::vec(any::<bool>(), 5),
        ) {
            let m = Matcher::new(&rules).unwrap();
            let eligible = &eligible[..rules.len()];
            for text in texts {
                let text = normalize(&text.into_iter().collect::<String>());
                let mut out = Vec::new();
                m.find(&text, eligible, &mut out);
                prop_assert_eq!(sorted(out), sorted(reference(&rules, &text, eligible)), "{:?}", text.as_str());
            }
        }
    }
}
