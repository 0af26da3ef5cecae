//! Finding a pack's phrases in an utterance: one Aho-Corasick automaton for the whole pack,
//! built once, and one pass per utterance, plus the pinyin pass for fuzzy rules.
//!
//! A naive scan costs one substring search per phrase per utterance, so it grows with the
//! pack; the automaton's pass costs the same for 10 phrases or 10,000. Each distinct
//! normalised phrase is one pattern, which maps to every (rule, list) that uses it, and the
//! automaton reports overlapping matches so that `不知道` inside `我不知道` still counts for a
//! rule that lists only `不知道`. The exact automaton and the fuzzy rules' reading automaton
//! are stepped together, one character at a time ([`super::automaton`]), in a loop that only
//! steps and writes down where phrases end (`walk`); the matches are handled after it.

use serde::{Deserialize, Serialize};
use std::collections::HashMap;

use super::automaton::{BmpTable, BuildError, Cursor, NoStep, Phrases, Step, Visit};
use super::normalize::Normalized;
use super::fuzzy::{self, ReadingSet, Syllable};
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
    /// Found through the reading automaton ([`fuzzy::substitutions_only`]), not the programme.
    indexed: bool,
}

/// All phrases of a pack, compiled.
#[derive(Debug)]
pub struct Matcher {
    exact: Option<Phrases>,
    /// Per exact pattern, the (rule, list) pairs using it.
    uses: Lists<Use>,
    /// The same per match state of a dense exact automaton ([`Phrases::matches_by_state`]):
    /// a match is then one list, not a list of phrases each with a list of uses.
    state_uses: Option<Lists<Use>>,
    fuzzy: Vec<FuzzyRule>,
    /// One automaton over the reading keys of every substitution-only fuzzy phrase and of the
    /// pieces of the others ([`fuzzy::pieces`]): the same pass finds the candidates of all.
    readings: Option<Phrases>,
    /// Per reading pattern: (index in `fuzzy`, index of the phrase).
    reading_uses: Lists<ReadingUse>,
    /// The same per match state of a dense reading automaton, as `state_uses`.
    reading_state_uses: Option<Lists<ReadingUse>>,
    /// (index in `fuzzy`, index of the phrase) of the phrases left to the programme, in order.
    programme: Vec<(u32, u32)>,
    /// The programme phrases (indices in `programme`, ascending) that run on every utterance,
    /// having no pieces ([`fuzzy::pieces`]) to wait for.
    unfiltered: Vec<u32>,
    /// Per BMP character, its symbol in `exact` (low 16 bits) and in `readings` (high 16).
    symbols: BmpTable,
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

/// `per_pattern`'s lists gathered per match state of `phrases`, when a dense table
/// ([`Phrases::matches_by_state`]), in the order of the patterns ending there.
fn by_state<T: Copy>(phrases: Option<&Phrases>, per_pattern: &[Vec<T>]) -> Option<Lists<T>> {
    let states = phrases?.matches_by_state()?;
    Some(Lists::of(states.iter().map(|ps| ps.iter().flat_map(|&p| per_pattern[p].iter().copied()).collect()).collect()))
}

/// Calls `f` with each use of the phrases ending at `cur` (a cursor of `phrases` where
/// phrases end): from the list of its match state where there is one (`per_state`, made by
/// [`by_state`]), else phrase by phrase from `per_pattern`.
#[inline(always)]
fn each_use<T: Copy>(phrases: &Phrases, per_state: Option<&Lists<T>>, per_pattern: &Lists<T>, cur: Cursor, mut f: impl FnMut(T)) {
    match (per_state, phrases.match_number(cur)) {
        (Some(lists), Some(m)) => lists.get(m).iter().for_each(|&u| f(u)),
        _ => phrases.each_match(cur, |p, _| per_pattern.get(p).iter().for_each(|&u| f(u))),
    }
}

/// The symbols of code point `c` in the exact automaton (low 16 bits) and the reading
/// automaton (high 16), asked of each: what [`Matcher::symbols`] is filled with.
fn symbols_of(exact: Option<&Phrases>, readings: Option<&Phrases>, c: u32) -> u32 {
    let c = char::from_u32(c).unwrap_or_default();
    let e = exact.map_or(0, |e| e.symbol(c));
    let r = readings.map_or(0, |r| r.symbol(c));
    e as u32 | (r as u32) << 16
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
    /// Where phrases end: (state, character offset after the match), as [`walk`] writes them, the
    /// exact automaton's from the start and the reading automaton's from the middle.
    slots: Vec<(Cursor, u32)>,
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
                            FuzzyPhrase { slot: *slot, syllables, indexed }
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
        let exact = Phrases::of_strs(&patterns)?;
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
        let readings = Phrases::new(&reading_patterns, fuzzy::char_key)?;
        let (state_uses, reading_state_uses) = (by_state(exact.as_ref(), &uses), by_state(readings.as_ref(), &reading_uses));
        let (uses, reading_uses) = (Lists::of(uses), Lists::of(reading_uses));
        let symbols = BmpTable::new(|c| symbols_of(exact.as_ref(), readings.as_ref(), c as u32));
        Ok(Matcher {
            exact,
            uses,
            state_uses,
            fuzzy: fuzzy_rules,
            readings,
            reading_uses,
            reading_state_uses,
            programme,
            unfiltered,
            symbols,
        })
    }

    /// The symbols of code point `c` in both automata ([`symbols_of`]): for characters
    /// beyond the BMP, which [`Matcher::symbols`] leaves out.
    fn symbols_of(&self, c: u32) -> u32 {
        symbols_of(self.exact.as_ref(), self.readings.as_ref(), c)
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
        let base = out.len();
        s.ends.clear();
        s.pieces.clear();
        let readings = self.readings.as_ref().filter(|_| fuzzy_on);
        let pass = Pass { m: self, chars, eligible, s: &mut *s, out: &mut *out, readings };
        match &self.exact {
            Some(e) => e.with_step(pass),
            None => pass.visit(NoStep),
        }
        if fuzzy_on {
            self.find_fuzzy(chars, eligible, s, out, base);
        }
    }

    /// The occurrences, for the eligible rules, of the exact phrases ending at character `end`.
    #[inline]
    fn exact_hits(&self, e: &Phrases, cur: Cursor, end: usize, eligible: &[bool], out: &mut Vec<Occurrence>) {
        each_use(e, self.state_uses.as_ref(), &self.uses, cur, |u| {
            if eligible[u.rule as usize] {
                out.push(Occurrence { rule: u.rule as usize, slot: u.slot, start: end - u.len as usize, end, mode: MatchMode::Exact, similarity: 1.0 });
            }
        });
    }

    /// The pinyin pass, given the reading-equal windows found by [`Matcher::find`]'s pass
    /// (`s.ends`). Substitution-only phrases are priced on those windows, the others by the
    /// dynamic programme; occurrences are reported rule by rule, phrase by phrase, as the
    /// programme alone would report them.
    ///
    /// `out[base..]` holds the exact occurrences in `chars`. A substitution-only phrase whose
    /// every reading-equal window is one of its exact occurrences has no fuzzy hit (an exact
    /// window costs 0, and the run holding it yields nothing), so it is passed over without
    /// reading the text: the common case of a fuzzy phrase said as written.
    fn find_fuzzy(&self, chars: &[char], eligible: &[bool], s: &mut FuzzyScratch, out: &mut Vec<Occurrence>, base: usize) {
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
                let len = phrase.syllables.len();
                let exact = |end: &usize| {
                    out[base..].iter().any(|o| {
                        o.mode == MatchMode::Exact && o.rule == f.rule && o.slot == phrase.slot && o.end == *end && o.start + len == *end
                    })
                };
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

/// One pass of [`Matcher::find`] over a text, before it knows the kinds of its automata.
struct Pass<'a> {
    m: &'a Matcher,
    chars: &'a [char],
    eligible: &'a [bool],
    s: &'a mut FuzzyScratch,
    out: &'a mut Vec<Occurrence>,
    /// The reading automaton, when a fuzzy rule looks at the text.
    readings: Option<&'a Phrases>,
}

impl Visit for Pass<'_> {
    type Out = ();
    fn visit<E: Step>(self, exact: E) {
        match self.readings {
            Some(r) => r.with_step(WithExact { pass: self, exact }),
            None => self.run(exact, NoStep),
        }
    }
}

/// A [`Pass`] that knows its exact automaton's kind, waiting for the reading automaton's.
struct WithExact<'a, E> {
    pass: Pass<'a>,
    exact: E,
}

impl<E: Step> Visit for WithExact<'_, E> {
    type Out = ();
    fn visit<R: Step>(self, readings: R) {
        self.pass.run(self.exact, readings)
    }
}

impl Pass<'_> {
    /// Steps both automata over the text, character by character (decoded already, by the
    /// normaliser): one lookup for both a character's symbols. The loop ([`walk`]) only
    /// steps, and writes down where phrases end (the state and the character offset)
    /// without a branch.
    /// Handling a match inside the loop (one character in six, with the default pack) made
    /// it too big to keep its state in registers, and its branch was hard to predict. The
    /// matches are then read in text order, as the loop met them.
    #[inline(always)]
    fn run<E: Step, R: Step>(self, exact: E, readings: R) {
        let Pass { m, chars, eligible, s, out, .. } = self;
        // Room for a slot per character, plus the one each automaton writes past its last match.
        let room = chars.len() + 1;
        if s.slots.len() < 2 * room {
            s.slots.resize(2 * room, (Cursor::default(), 0));
        }
        let (ecur, rcur) = (m.exact.as_ref().map(|e| e.start()).unwrap_or_default(), self.readings.map(|r| r.start()).unwrap_or_default());
        // Characters beyond the BMP, which the symbol table leaves out, are rare: a text
        // without one is walked by a loop that never asks (an OR of all, not a branch each).
        let bmp = chars.iter().fold(0, |all, &c| all | c as u32) < 0x1_0000;
        // SAFETY: `exact` and `readings` are the steps of `m.exact` and of `m.readings`
        // (or `NoStep` where there is none, or no fuzzy rule looks), and these their starts;
        // `bmp` holds only where `chars` does.
        let (ke, kr) = unsafe {
            if bmp {
                walk::<_, _, true>(m, chars, (exact, ecur), (readings, rcur), &mut s.slots)
            } else {
                walk::<_, _, false>(m, chars, (exact, ecur), (readings, rcur), &mut s.slots)
            }
        };
        let (exact_ends, reading_ends) = (&s.slots[..ke], &s.slots[room..room + kr]);
        if let Some(e) = &m.exact {
            for &(cur, end) in exact_ends {
                m.exact_hits(e, cur, end as usize, eligible, out);
            }
        }
        if let Some(r) = self.readings {
            for &(cur, end) in reading_ends {
                let end = end as usize;
                let take = |u: ReadingUse| match u {
                    ReadingUse::Window(fi, pi) => {
                        if eligible[m.fuzzy[fi as usize].rule] {
                            s.ends.push((fi, pi, end));
                        }
                    }
                    ReadingUse::Piece(d) => s.pieces.push(d),
                };
                each_use(r, m.reading_state_uses.as_ref(), &m.reading_uses, cur, take);
            }
        }
    }
}

/// The loop of [`Pass::run`]: a function of its own, so that its few values stay in
/// registers. It writes every character's states into `slots`, the exact automaton's from
/// slot 0 and the reading automaton's from slot `chars.len() + 1`, each with the character
/// offset after the character, and moves an automaton's next slot on only where phrases
/// end: a match is then no branch, and handled after the loop. It returns how many
/// matches each automaton wrote down.
///
/// # Safety
///
/// `exact` and `readings` are the steps of `m`'s exact and reading automata (or
/// [`NoStep`]), and `ecur` and `rcur` their start cursors: the steps skip their bounds
/// checks ([`Step::step`]). With `BMP`, `chars` are all below U+10000: they are looked up
/// in [`Matcher::symbols`] alone (the call for the others would cost the loop registers).
#[inline(never)]
unsafe fn walk<E: Step, R: Step, const BMP: bool>(m: &Matcher, chars: &[char], (exact, ecur): (E, Cursor), (readings, rcur): (R, Cursor), slots: &mut [(Cursor, u32)]) -> (usize, usize) {
    let room = chars.len() + 1;
    assert!(slots.len() >= 2 * room && chars.len() < u32::MAX as usize);
    // The next slot of each automaton, as a pointer: the loop keeps one register fewer.
    let (mut pe, mut pr) = (slots.as_mut_ptr(), slots[room..].as_mut_ptr());
    let mut end = 0u32;
    let (mut ecur, mut rcur) = (ecur.state(), rcur.state());
    for &c in chars {
        let c = c as u32;
        end += 1;
        let symbols = if BMP || c < 0x1_0000 { m.symbols.get(c) } else { m.symbols_of(c) };
        // SAFETY: both cursors start at their automaton's start (the caller's contract) and
        // move only by its steps; `symbols` holds each automaton's own symbol of `c` (or 0),
        // from `symbols_of`.
        let (e_hit, r_hit) = unsafe { (exact.step(&mut ecur, symbols as u16), readings.step(&mut rcur, (symbols >> 16) as u16)) };
        // SAFETY: each pointer has moved on once per match among the characters before this
        // one, fewer than `room - 1`: it is within its half of `slots`.
        unsafe {
            pe.write((Cursor::at(ecur), end));
            pr.write((Cursor::at(rcur), end));
            pe = pe.add(e_hit as usize);
            pr = pr.add(r_hit as usize);
        }
    }
    // SAFETY: both point into `slots`, at or after where they started.
    unsafe { (pe.offset_from(slots.as_ptr()) as usize, pr.offset_from(slots[room..].as_ptr()) as usize) }
}

thread_local! {
    static FUZZY_SCRATCH: std::cell::RefCell<Scratch> = std::cell::RefCell::new(Scratch::default());
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

    /// The pass's flat table holds, for every BMP character, the symbols both automata give
    /// it, and non-characters (surrogates) hold 0.
    #[test]
    fn the_symbol_table_is_both_automata_s_symbols() {
        let rules = [rule(&["您好", "不知道", "再见"], &["您知道吗"], true), rule(&["订单号123"], &[], false)];
        let m = Matcher::new(&rules).unwrap();
        let (e, r) = (m.exact.as_ref().unwrap(), m.readings.as_ref().unwrap());
        let mut seen = 0;
        for c in 0..0x1_0000u32 {
            let want = char::from_u32(c).map_or(0, |ch| e.symbol(ch) as u32 | (r.symbol(ch) as u32) << 16);
            assert_eq!(m.symbols.get(c), want, "U+{c:04X}");
            seen += (want != 0) as usize;
        }
        // Homophones of the fuzzy phrases' syllables have reading symbols too.
        assert!(seen > "您好不知道再见订单号123".chars().count(), "{seen}");
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

    /// Read per match state or per phrase, a match gives the same occurrences in the same
    /// order, exact and fuzzy, for phrases sharing suffixes, rules sharing phrases and lists.
    #[test]
    fn matches_per_state_are_those_per_phrase() {
        let rules = [
            rule(&["您好", "好", "你好您好"], &["好不好"], true),
            rule(&["好", "再见", "您好"], &[], false),
            rule(&["在见", "不好", "好"], &["不"], true),
        ];
        let dense = Matcher::new(&rules).unwrap();
        assert!(dense.state_uses.is_some() && dense.reading_state_uses.is_some());
        let mut per_phrase = Matcher::new(&rules).unwrap();
        (per_phrase.state_uses, per_phrase.reading_state_uses) = (None, None);
        for text in ["你好您好，好不好", "再见在见好", "您好好好", "不好意思，再见", ""] {
            for eligible in [[true, true, true], [false, true, false], [true, false, true]] {
                assert_eq!(find(&dense, text, &eligible), find(&per_phrase, text, &eligible), "{text} {eligible:?}");
            }
        }
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
}
