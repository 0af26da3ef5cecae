//! Every occurrence of a set of phrases in a text, overlapping ones included: the matcher's
//! search ([`Search`]), on the stock `aho-corasick` crate.
//!
//! Phrases and text are sequences of units, characters for exact phrases and reading keys
//! ([`super::fuzzy`]) for fuzzy ones, written as the bytes the automaton reads: UTF-8 for a
//! character, two bytes for a key (a lead byte ≥ 0x80, a trail byte < 0x80). In both codes a
//! unit's first byte is never any other byte of a unit, so a match starts on a whole unit.
//!
//! The automaton is the crate's `dfa::DFA`, searched through its `Automaton` trait: one table
//! load per byte, with the search loop compiled for it. It was measured against the crate's
//! `AhoCorasick` (a contiguous NFA for a pack over 100 phrases, behind a trait object) with
//! `cargo bench --bench scan` (benches/README.md). The scan is a few hundredths of a per cent of
//! a batch, so the search is the crate's own and safe; the hand-stepped table it replaced was
//! faster per character, but 600 lines and seven `unsafe` blocks.
//!
//! [`BruteForce`] finds the same occurrences by comparing every phrase at every position: the
//! property tests hold the automaton to it.

use aho_corasick::automaton::{Automaton as _, OverlappingState};
use aho_corasick::dfa::DFA;
use aho_corasick::{Input, MatchKind, StartKind};

use super::fuzzy;

/// Why phrases could not be compiled.
#[derive(Debug)]
pub struct BuildError(String);

impl std::fmt::Display for BuildError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for BuildError {}

impl From<aho_corasick::BuildError> for BuildError {
    fn from(e: aho_corasick::BuildError) -> BuildError {
        BuildError(format!("cannot build the phrase automaton: {e}"))
    }
}

/// What a phrase is a sequence of.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unit {
    /// Characters, as code points.
    Char,
    /// Reading keys ([`fuzzy::char_key`]), each below 2¹⁴.
    Reading,
}

impl Unit {
    /// The unit text character `c` stands for.
    pub fn of(self, c: char) -> u32 {
        match self {
            Unit::Char => c as u32,
            Unit::Reading => fuzzy::char_key(c),
        }
    }

    /// Appends the bytes of `unit` to `out`.
    #[inline(always)]
    fn write(self, unit: u32, out: &mut Vec<u8>) {
        match self {
            Unit::Char => out.extend_from_slice(char::from_u32(unit).unwrap_or_default().encode_utf8(&mut [0; 4]).as_bytes()),
            Unit::Reading => out.extend_from_slice(&[0x80 | (unit >> 7) as u8, (unit & 0x7F) as u8]),
        }
    }

    /// Writes the bytes of `text`'s units into `out`, replacing what it held.
    fn write_text(self, text: &[char], out: &mut Vec<u8>) {
        out.clear();
        match self {
            Unit::Char => {
                out.reserve(text.len() * 3);
                for &c in text {
                    out.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes());
                }
            }
            Unit::Reading => {
                out.reserve(text.len() * 2);
                for k in fuzzy::char_keys(text) {
                    self.write(k, out);
                }
            }
        }
    }
}

/// What the matcher needs of a compiled phrase set.
pub trait Search {
    /// Calls `f(pattern, end)` for every occurrence of a pattern in `text`, overlapping ones
    /// included, `end` being the character offset after it; in order of `end`. `buf` is the
    /// caller's scratch, reused from one text to the next.
    fn each_match(&self, text: &[char], buf: &mut Vec<u8>, f: impl FnMut(usize, usize));
}

/// Phrases compiled into one Aho-Corasick DFA.
#[derive(Debug)]
pub struct Automaton {
    dfa: DFA,
    unit: Unit,
}

impl Automaton {
    /// Compiles `patterns`, each a sequence of `unit`s; pattern `i` is reported as `i`, and an
    /// empty one never. `None` when there are no patterns.
    pub fn new(patterns: &[Vec<u32>], unit: Unit) -> Result<Option<Automaton>, BuildError> {
        if patterns.is_empty() {
            return Ok(None);
        }
        let bytes: Vec<Vec<u8>> = patterns
            .iter()
            .map(|p| {
                let mut b = Vec::with_capacity(p.len() * 3);
                p.iter().for_each(|&u| unit.write(u, &mut b));
                b
            })
            .collect();
        // An empty pattern would match everywhere: it is replaced by bytes neither code
        // writes (two lead bytes in a row), so that it never matches and the indices stay.
        let never: Vec<u8> = vec![0xFF, 0xFF];
        let bytes = bytes.iter().map(|b| if b.is_empty() { &never } else { b });
        let dfa = DFA::builder().match_kind(MatchKind::Standard).start_kind(StartKind::Unanchored).prefilter(false).build(bytes)?;
        Ok(Some(Automaton { dfa, unit }))
    }

    /// Phrases of characters.
    pub fn of_strs<S: AsRef<str>>(patterns: &[S]) -> Result<Option<Automaton>, BuildError> {
        let units: Vec<Vec<u32>> = patterns.iter().map(|p| p.as_ref().chars().map(|c| c as u32).collect()).collect();
        Automaton::new(&units, Unit::Char)
    }
}

impl Search for Automaton {
    #[inline]
    fn each_match(&self, text: &[char], buf: &mut Vec<u8>, mut f: impl FnMut(usize, usize)) {
        self.unit.write_text(text, buf);
        let input = Input::new(&buf[..]);
        let mut state = OverlappingState::start();
        // Characters before byte `at`, counted as matches move on (UTF-8 only).
        let (mut at, mut chars) = (0, 0);
        loop {
            self.dfa.try_find_overlapping(&input, &mut state).expect("an unanchored overlapping search of a Standard DFA");
            let Some(m) = state.get_match() else { return };
            let end = match self.unit {
                Unit::Char => {
                    chars += buf[at..m.end()].iter().filter(|&&b| (b as i8) >= -0x40).count();
                    at = m.end();
                    chars
                }
                Unit::Reading => m.end() / 2,
            };
            f(m.pattern().as_usize(), end);
        }
    }
}

/// The same phrases found by brute force: every phrase compared at every end.
#[derive(Debug)]
pub struct BruteForce {
    patterns: Vec<Vec<u32>>,
    unit: Unit,
}

impl BruteForce {
    pub fn new(patterns: &[Vec<u32>], unit: Unit) -> BruteForce {
        BruteForce { patterns: patterns.to_vec(), unit }
    }
}

impl Search for BruteForce {
    fn each_match(&self, text: &[char], _: &mut Vec<u8>, mut f: impl FnMut(usize, usize)) {
        let units: Vec<u32> = text.iter().map(|&c| self.unit.of(c)).collect();
        for end in 1..=units.len() {
            for (i, p) in self.patterns.iter().enumerate() {
                if !p.is_empty() && units[..end].ends_with(p) {
                    f(i, end);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Every occurrence, sorted, as (pattern, end).
    fn all(s: &impl Search, text: &[char]) -> Vec<(usize, usize)> {
        let mut out = Vec::new();
        s.each_match(text, &mut Vec::new(), |p, end| out.push((p, end)));
        out.sort();
        out
    }

    fn agree(patterns: &[Vec<u32>], unit: Unit, text: &[char]) {
        let got = Automaton::new(patterns, unit).unwrap().map(|a| all(&a, text)).unwrap_or_default();
        assert_eq!(got, all(&BruteForce::new(patterns, unit), text), "{patterns:?} in {text:?}");
    }

    /// Characters from a small alphabet of every UTF-8 length, so that phrases recur and
    /// overlap, and readings from homophones, near readings, digits and unreadable characters.
    const ALPHABET: &[char] = &['a', '1', 'é', '不', '知', '道', '在', '再', '见', '这', '是', '事', '资', '您', '你', '一', '衣', '，', '𠀀', '𠀁'];

    fn text() -> impl Strategy<Value = Vec<char>> {
        prop::collection::vec(prop::sample::select(ALPHABET), 0..40)
    }

    fn phrases() -> impl Strategy<Value = Vec<Vec<char>>> {
        prop::collection::vec(prop::collection::vec(prop::sample::select(ALPHABET), 0..5), 1..12)
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 500, ..ProptestConfig::default() })]

        #[test]
        fn the_automaton_finds_what_brute_force_finds(phrases in phrases(), text in text()) {
            for unit in [Unit::Char, Unit::Reading] {
                let patterns: Vec<Vec<u32>> = phrases.iter().map(|p| p.iter().map(|&c| unit.of(c)).collect()).collect();
                agree(&patterns, unit, &text);
            }
        }
    }

    #[test]
    fn overlapping_and_nested_occurrences() {
        let patterns: Vec<Vec<u32>> = ["不知道", "我不知道", "知道", "𠀀好", "a1"].iter().map(|p| p.chars().map(|c| c as u32).collect()).collect();
        let text: Vec<char> = "我不知道啊知道吗𠀀好a1".chars().collect();
        let a = Automaton::new(&patterns, Unit::Char).unwrap().unwrap();
        assert_eq!(all(&a, &text), vec![(0, 4), (1, 4), (2, 4), (2, 7), (3, 10), (4, 12)]);
        agree(&patterns, Unit::Char, &text);
        // Readings: 在见 reads as 再见.
        let key = |s: &str| s.chars().map(fuzzy::char_key).collect::<Vec<u32>>();
        let r = Automaton::new(&[key("再见")], Unit::Reading).unwrap().unwrap();
        assert_eq!(all(&r, &"好的在见".chars().collect::<Vec<_>>()), vec![(0, 4)]);
    }

    #[test]
    fn no_patterns_and_empty_patterns() {
        assert!(Automaton::new(&[], Unit::Char).unwrap().is_none());
        let a = Automaton::new(&[vec![], vec!['a' as u32]], Unit::Char).unwrap().unwrap();
        assert_eq!(all(&a, &['a', 'a']), vec![(1, 1), (1, 2)]);
        // The highest key, whose lead byte the stand-in for an empty pattern begins with.
        assert_eq!(Unit::Reading.of('\u{1FFF}'), 0x3FFF);
        agree(&[vec![], vec![0x3FFF]], Unit::Reading, &['\u{1FFF}', '\u{1FFF}', 'x']);
    }

    /// A pack too large for the crate's defaults still compiles (the 2,000-phrase bench pack's size).
    #[test]
    fn a_large_pack() {
        let chars: Vec<char> = (0x4E00u32..0x4E00 + 3000).filter_map(char::from_u32).collect();
        let patterns: Vec<Vec<u32>> = (0..chars.len()).map(|i| (0..4).map(|k| chars[(i * 7 + k * 13) % chars.len()] as u32).collect()).collect();
        let text: Vec<char> = patterns[10..40].iter().flatten().filter_map(|&u| char::from_u32(u)).chain(chars[..200].iter().copied()).collect();
        agree(&patterns, Unit::Char, &text);
    }
}
