//! Every occurrence of a set of phrases in a text, overlapping ones included: the matcher's
//! search ([`Search`]), on the stock `aho-corasick` crate.
//!
//! Phrases and text are sequences of units, characters for exact phrases and reading keys
//! ([`super::fuzzy`]) for fuzzy ones, written as the bytes the automaton reads. When the
//! phrases use at most 254 units (the default pack's use 189 characters), a unit is one byte,
//! its number among them, and every other unit 0 ([`Code::Symbols`]): a Chinese character is
//! then one step of the automaton, not the three of its UTF-8. Otherwise a character is its
//! UTF-8 and a key two bytes, lead ≥ 0x80 and trail < 0x80 ([`Code::Wide`]). In every code a
//! match can only start on a whole unit.
//!
//! The automaton is the crate's `dfa::DFA`, searched through its `Automaton` trait, which
//! compiles the search loop for it. Measured with `cargo bench --bench scan` (benches/README.md),
//! the default pack's whole scan ran at 193 MB/s with it, 177 with `AhoCorasick` (a contiguous
//! NFA over 100 phrases, behind a trait object), and 126 with the DFA over plain UTF-8 and
//! two-byte keys. The hand-stepped table this replaced was faster (290 MB/s), but the scan is
//! a few hundredths of a per cent of a batch, and that was 600 lines with seven blocks of unchecked code.
//!
//! The property tests hold the automaton, in both codes, to a brute-force search.

use std::collections::HashMap;

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

    /// Appends the bytes of `unit` in the wide code ([`Code::Wide`]) to `out`.
    #[inline(always)]
    fn write_wide(self, unit: u32, out: &mut Vec<u8>) {
        match self {
            Unit::Char => out.extend_from_slice(char::from_u32(unit).unwrap_or_default().encode_utf8(&mut [0; 4]).as_bytes()),
            Unit::Reading => out.extend_from_slice(&[0x80 | (unit >> 7) as u8, (unit & 0x7F) as u8]),
        }
    }
}

/// How units are written as the bytes the automaton reads.
#[derive(Debug)]
enum Code {
    /// One byte per unit: its number among the units the phrases use (1 to [`MAX_SYMBOLS`]),
    /// 0 for any other; `bmp[u]` for units below 2¹⁶, `astral` for characters beyond.
    Symbols { bmp: Box<[u8]>, astral: HashMap<u32, u8> },
    /// UTF-8 for a character, two bytes for a key: for phrases using more units than that.
    Wide,
}

/// Most units [`Code::Symbols`] numbers: 0xFF is never written, so that [`NEVER`] never matches.
const MAX_SYMBOLS: usize = 254;

/// The bytes an empty pattern is compiled as (it would match everywhere): two bytes no code
/// writes in a row, so that it never matches and the other patterns keep their indices.
const NEVER: [u8; 2] = [0xFF, 0xFF];

impl Code {
    /// The byte of `unit` in [`Code::Symbols`].
    #[inline(always)]
    fn symbol(bmp: &[u8], astral: &HashMap<u32, u8>, unit: u32) -> u8 {
        match bmp.get(unit as usize) {
            Some(&s) => s,
            None => astral.get(&unit).copied().unwrap_or(0),
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
    code: Code,
}

impl Automaton {
    /// Compiles `patterns`, each a sequence of `unit`s; pattern `i` is reported as `i`, and an
    /// empty one never. `None` when there are no patterns.
    pub fn new(patterns: &[Vec<u32>], unit: Unit) -> Result<Option<Automaton>, BuildError> {
        Automaton::with(patterns, unit, MAX_SYMBOLS)
    }

    /// [`Automaton::new`], in [`Code::Symbols`] when the patterns use at most `max_symbols` units.
    fn with(patterns: &[Vec<u32>], unit: Unit, max_symbols: usize) -> Result<Option<Automaton>, BuildError> {
        if patterns.is_empty() {
            return Ok(None);
        }
        let mut numbers: HashMap<u32, u8> = HashMap::new();
        for &u in patterns.iter().flatten() {
            if numbers.len() > max_symbols {
                break;
            }
            let next = numbers.len() as u8 + 1;
            numbers.entry(u).or_insert(next);
        }
        let code = if numbers.len() <= max_symbols {
            let mut bmp = vec![0u8; 0x1_0000].into_boxed_slice();
            numbers.retain(|&u, &mut s| u >= 0x1_0000 || {
                bmp[u as usize] = s;
                false
            });
            Code::Symbols { bmp, astral: numbers }
        } else {
            Code::Wide
        };
        let bytes: Vec<Vec<u8>> = patterns
            .iter()
            .map(|p| {
                let mut b = Vec::with_capacity(p.len() * 3);
                for &u in p {
                    match &code {
                        Code::Symbols { bmp, astral } => b.push(Code::symbol(bmp, astral, u)),
                        Code::Wide => unit.write_wide(u, &mut b),
                    }
                }
                if b.is_empty() { NEVER.to_vec() } else { b }
            })
            .collect();
        let dfa = DFA::builder().match_kind(MatchKind::Standard).start_kind(StartKind::Unanchored).prefilter(false).build(&bytes)?;
        Ok(Some(Automaton { dfa, unit, code }))
    }

    /// Phrases of characters.
    pub fn of_strs<S: AsRef<str>>(patterns: &[S]) -> Result<Option<Automaton>, BuildError> {
        let units: Vec<Vec<u32>> = patterns.iter().map(|p| p.as_ref().chars().map(|c| c as u32).collect()).collect();
        Automaton::new(&units, Unit::Char)
    }

    /// Writes the bytes of `text`'s units into `out`, replacing what it held.
    fn write_text(&self, text: &[char], out: &mut Vec<u8>) {
        out.clear();
        match (&self.code, self.unit) {
            (Code::Symbols { bmp, astral }, Unit::Char) => out.extend(text.iter().map(|&c| Code::symbol(bmp, astral, c as u32))),
            (Code::Symbols { bmp, astral }, Unit::Reading) => out.extend(fuzzy::char_keys(text).map(|k| Code::symbol(bmp, astral, k))),
            // Byte by byte: `encode_utf8` and a copy of its variable length called `memcpy`
            // per character, a sixth of the scan.
            (Code::Wide, Unit::Char) => {
                out.reserve(text.len() * 4);
                for &c in text {
                    let c = c as u32;
                    if c < 0x80 {
                        out.push(c as u8);
                    } else if c < 0x800 {
                        out.extend([0xC0 | (c >> 6) as u8, 0x80 | (c & 0x3F) as u8]);
                    } else if c < 0x1_0000 {
                        out.extend([0xE0 | (c >> 12) as u8, 0x80 | (c >> 6 & 0x3F) as u8, 0x80 | (c & 0x3F) as u8]);
                    } else {
                        out.extend([0xF0 | (c >> 18) as u8, 0x80 | (c >> 12 & 0x3F) as u8, 0x80 | (c >> 6 & 0x3F) as u8, 0x80 | (c & 0x3F) as u8]);
                    }
                }
            }
            (Code::Wide, Unit::Reading) => {
                out.reserve(text.len() * 2);
                out.extend(fuzzy::char_keys(text).flat_map(|k| [0x80 | (k >> 7) as u8, (k & 0x7F) as u8]));
            }
        }
    }
}

impl Search for Automaton {
    #[inline]
    fn each_match(&self, text: &[char], buf: &mut Vec<u8>, mut f: impl FnMut(usize, usize)) {
        self.write_text(text, buf);
        let input = Input::new(&buf[..]);
        let mut state = OverlappingState::start();
        // Characters before byte `at`, counted as matches move on (UTF-8 only).
        let (mut at, mut chars) = (0, 0);
        loop {
            self.dfa.try_find_overlapping(&input, &mut state).expect("an unanchored overlapping search of a Standard DFA");
            let Some(m) = state.get_match() else { return };
            let end = match (&self.code, self.unit) {
                (Code::Symbols { .. }, _) => m.end(),
                (Code::Wide, Unit::Char) => {
                    chars += buf[at..m.end()].iter().filter(|&&b| (b as i8) >= -0x40).count();
                    at = m.end();
                    chars
                }
                (Code::Wide, Unit::Reading) => m.end() / 2,
            };
            f(m.pattern().as_usize(), end);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The same phrases found by brute force: every phrase compared at every end.
    #[derive(Debug)]
    struct BruteForce {
        patterns: Vec<Vec<u32>>,
        unit: Unit,
    }

    impl BruteForce {
        fn new(patterns: &[Vec<u32>], unit: Unit) -> BruteForce {
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

    /// Every occurrence, sorted, as (pattern, end).
    fn all(s: &impl Search, text: &[char]) -> Vec<(usize, usize)> {
        let mut out = Vec::new();
        s.each_match(text, &mut Vec::new(), |p, end| out.push((p, end)));
        out.sort();
        out
    }

    /// The automaton in both codes finds what brute force finds.
    fn agree(patterns: &[Vec<u32>], unit: Unit, text: &[char]) {
        let want = all(&BruteForce::new(patterns, unit), text);
        for max_symbols in [MAX_SYMBOLS, 0] {
            let a = Automaton::with(patterns, unit, max_symbols).unwrap();
            if let Some(a) = a.as_ref().filter(|_| max_symbols == 0 && patterns.iter().any(|p| !p.is_empty())) {
                assert!(matches!(a.code, Code::Wide));
            }
            let got = a.map(|a| all(&a, text)).unwrap_or_default();
            assert_eq!(got, want, "{patterns:?} in {text:?}, at most {max_symbols} symbols");
        }
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
