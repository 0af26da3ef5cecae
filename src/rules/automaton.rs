//! A set of phrases compiled into one `aho-corasick` automaton that is fed a text one
//! character at a time.
//!
//! Two choices make the pass cheap, and both are measured by `cargo bench --bench scan`:
//!
//! - **A pack alphabet.** A pack's phrases use a few hundred distinct characters, while UTF-8
//!   spends three bytes on every Chinese one. Each unit that occurs in a phrase gets a small
//!   symbol number, every other character shares symbol 0, and phrases and text are fed to the
//!   automaton as symbols: one byte each when the phrases use fewer than 256 units, else two
//!   (a lead byte ≥ 0x80 and a trail byte < 0x80, so that a match can only begin on a lead
//!   byte, that is on a whole symbol). A character is then one or two automaton steps instead
//!   of three, and a match's end is a character offset without any conversion.
//! - **A dense table, stepped by hand.** `AhoCorasick`'s overlapping search goes through a
//!   trait object, one virtual call per byte. Here the crate builds its NFA (failure links
//!   and all), and its transitions are laid out as one table over whole symbols ([`Dense`]):
//!   a step is one load, a match one comparison. A pack too large for that table (over
//!   [`DENSE_LIMIT`]) keeps the crate's contiguous NFA instead, driven through its low-level
//!   [`Automaton`] trait, one or two inlined steps per symbol. A pass over a text gets the
//!   automaton's kind once ([`Phrases::with_step`]) and is compiled per kind, so its loop
//!   holds no dispatch.
//! - **A small table.** The pass is bound by its steps' loads, and a smaller table misses the
//!   first-level cache less: a table whose states fit is kept in 16-bit entries, and units
//!   are numbered by how many phrases use them, so that those a text meets most share the
//!   first cache lines of a row. A step skips the bounds check, under [`Step::step`]'s
//!   contract.
//!
//! Units are characters for the exact pass; the fuzzy pass uses the same machinery over
//! reading keys, with a function mapping each character to its key.

use std::collections::HashMap;

use aho_corasick::automaton::{Automaton, StateID};
use aho_corasick::nfa::{contiguous, noncontiguous};
use aho_corasick::{Anchored, MatchKind};

/// A dense table ([`Dense`]) is kept up to this size; a larger one is replaced by the
/// contiguous NFA, slower per step but a fraction of the size (a table that does not fit the
/// cache is no faster).
const DENSE_LIMIT: usize = 1 << 20;

/// Most symbols [`Width::Two`] can write: 128 lead bytes × 128 trail bytes, less symbol 0.
const MAX_SYMBOLS: usize = 128 * 128 - 1;

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

/// How symbols are written as automaton bytes.
#[derive(Clone, Copy, Debug)]
enum Width {
    /// One byte per symbol (fewer than 256 symbols).
    One,
    /// Lead byte `0x80 + symbol / trail`, trail byte `symbol % trail`; `trail` ≤ 128 is about
    /// the square root of the symbol count, which keeps the automaton's byte classes few.
    Two { trail: u16 },
}

impl Width {
    fn for_symbols(n: usize) -> Width {
        if n < 256 {
            return Width::One;
        }
        let mut trail = 1u16;
        while (trail as usize) * (trail as usize) < n + 1 {
            trail += 1;
        }
        Width::Two { trail }
    }

    /// The automaton bytes of `symbol`, packed: the byte itself, or lead byte << 8 | trail byte.
    fn encode(self, symbol: u16) -> u16 {
        match self {
            Width::One => symbol,
            Width::Two { trail } => ((0x80 | (symbol / trail)) << 8) | (symbol % trail),
        }
    }

    fn write(self, symbol: u16, out: &mut Vec<u8>) {
        let e = self.encode(symbol);
        match self {
            Width::One => out.push(e as u8),
            Width::Two { .. } => out.extend_from_slice(&[(e >> 8) as u8, e as u8]),
        }
    }
}

#[derive(Debug)]
enum Aut {
    Dense(Dense),
    Nfa(contiguous::NFA),
}

/// Where a pass is: the automaton's state ([`Dense`]'s premultiplied index, or the NFA's id).
#[derive(Clone, Copy, Debug, Default)]
pub struct Cursor(u32);

impl Cursor {
    /// The state, as a pass's loop holds it and steps it ([`Step::step`]).
    #[inline(always)]
    pub fn state(self) -> usize {
        self.0 as usize
    }

    /// The cursor at `state`, one a pass's steps reached ([`Cursor::state`]).
    #[inline(always)]
    pub fn at(state: usize) -> Cursor {
        Cursor(state as u32)
    }
}

/// The automaton as one table over whole symbols, made from the crate's NFA by following
/// its transitions (failure links included) from every reachable state: a step is one load,
/// with no byte classes, no lead byte for a two-byte symbol, and no bounds check beyond the
/// slice's. States are numbered with the matching ones last, so that whether phrases end is
/// one comparison.
///
/// A table whose states fit is kept in 16-bit entries, half the size of 32-bit ones: the
/// pass is bound by the loads of its steps, which miss the first-level cache less often in
/// a smaller table. The stride is even, so that a premultiplied state halved is exact; an
/// entry and a cursor then hold it halved, and a step doubles it (one address computation).
#[derive(Debug)]
struct Dense {
    /// `trans[state + symbol]`: the next state, premultiplied by the stride, halved when
    /// the entries are 16-bit.
    trans: Trans,
    stride: u32,
    /// The first (premultiplied) state where phrases end.
    first_match: u32,
    /// `⌈2³² / stride⌉`: a premultiplied state times this, shifted down 32, is the state's
    /// number, without a division (slow, and done at every match).
    reciprocal: u64,
    /// Per match state, in order: where its patterns start in `patterns`, plus the end.
    match_starts: Vec<u32>,
    patterns: Vec<u32>,
}

#[derive(Debug)]
enum Trans {
    Wide(Box<[u32]>),
    Narrow(Box<[u16]>),
}

impl Dense {
    /// The table of `nfa`, whose symbols `0..=symbols` are written as `width` says, and its
    /// start cursor; `None` when it would be larger than [`DENSE_LIMIT`].
    fn of(nfa: &noncontiguous::NFA, width: Width, symbols: usize) -> Result<Option<(Dense, u32)>, BuildError> {
        // Even, for 16-bit entries; a column past the last symbol is never read.
        let stride = (symbols + 2) & !1;
        let step = |s: StateID, symbol: u16| {
            let e = width.encode(symbol);
            match width {
                Width::One => nfa.next_state(Anchored::No, s, e as u8),
                Width::Two { .. } => nfa.next_state(Anchored::No, nfa.next_state(Anchored::No, s, (e >> 8) as u8), e as u8),
            }
        };
        let start = start_of(nfa)?;
        // Reachable states in breadth-first order, and each one's successors by symbol.
        let mut index: HashMap<StateID, u32> = HashMap::from([(start, 0)]);
        let mut states = vec![start];
        let mut next: Vec<u32> = Vec::new();
        let mut k = 0;
        while k < states.len() {
            if states.len() * stride * 4 > DENSE_LIMIT {
                return Ok(None);
            }
            for symbol in 0..stride {
                let to = if symbol <= symbols { step(states[k], symbol as u16) } else { start };
                let id = *index.entry(to).or_insert_with(|| {
                    states.push(to);
                    states.len() as u32 - 1
                });
                next.push(id);
            }
            k += 1;
        }
        // Renumbered: states without matches first, in their order, then those with.
        let matching: Vec<bool> = states.iter().map(|&s| nfa.is_match(s)).collect();
        let mut order: Vec<u32> = (0..states.len() as u32).collect();
        order.sort_by_key(|&i| matching[i as usize]);
        let mut new = vec![0u32; states.len()];
        for (n, &old) in order.iter().enumerate() {
            new[old as usize] = n as u32;
        }
        let first = matching.iter().filter(|m| !**m).count();
        let mut trans = vec![0u32; states.len() * stride];
        let (mut match_starts, mut patterns) = (Vec::new(), Vec::new());
        for (n, &old) in order.iter().enumerate() {
            let row = &next[old as usize * stride..(old as usize + 1) * stride];
            for (t, &to) in trans[n * stride..(n + 1) * stride].iter_mut().zip(row) {
                *t = new[to as usize] * stride as u32;
            }
            let s = states[old as usize];
            if n >= first {
                match_starts.push(patterns.len() as u32);
                patterns.extend((0..nfa.match_len(s)).map(|m| nfa.match_pattern(s, m).as_u32()));
            }
        }
        match_starts.push(patterns.len() as u32);
        let start = new[0] * stride as u32;
        let narrow = (states.len() - 1) * stride / 2 <= u16::MAX as usize;
        let (trans, start) = if narrow {
            (Trans::Narrow(trans.iter().map(|&t| (t / 2) as u16).collect()), start / 2)
        } else {
            (Trans::Wide(trans.into_boxed_slice()), start)
        };
        let reciprocal = (1u64 << 32).div_ceil(stride as u64);
        let dense = Dense { trans, stride: stride as u32, first_match: (first * stride) as u32, reciprocal, match_starts, patterns };
        Ok(Some((dense, start)))
    }

    /// The number of match state `s` (a cursor: premultiplied, halved when narrow), from 0.
    #[inline]
    fn match_number(&self, s: u32) -> usize {
        let s = if matches!(self.trans, Trans::Narrow(_)) { s * 2 } else { s };
        // Exact for a multiple `x = m × stride` below 2³²: `x × ⌈2³²/stride⌉ / 2³²` is `m`
        // plus less than `x / 2³²`, under 1.
        let m = (((s - self.first_match) as u64 * self.reciprocal) >> 32) as usize;
        debug_assert_eq!(m, ((s - self.first_match) / self.stride) as usize);
        m
    }

    /// The patterns ending at match state number `m`.
    #[inline]
    fn patterns_at(&self, m: usize) -> &[u32] {
        &self.patterns[self.match_starts[m] as usize..self.match_starts[m + 1] as usize]
    }

    /// The patterns ending at match state `s` (a cursor).
    #[inline]
    fn matches(&self, s: u32) -> &[u32] {
        self.patterns_at(self.match_number(s))
    }

    /// Bytes held by the table.
    #[cfg(test)]
    fn table_bytes(&self) -> usize {
        match &self.trans {
            Trans::Wide(t) => t.len() * 4,
            Trans::Narrow(t) => t.len() * 2,
        }
    }
}

/// Phrases over some unit (a character, a reading key), compiled for a character-by-character pass.
#[derive(Debug)]
pub struct Phrases {
    aut: Aut,
    width: Width,
    start: u32,
    /// Symbol of each unit. A pass looks characters up in a table made from these
    /// ([`BmpTable`], built by the caller for all its automata at once).
    symbols: HashMap<u32, u16>,
    /// The unit a character stands for.
    unit: fn(char) -> u32,
    /// Each pattern's length in units.
    lens: Vec<u32>,
}

impl Phrases {
    /// Compiles `patterns`, each a sequence of units; `unit` maps a text character to its
    /// unit. Pattern `i` is reported as `i`. `None` when there are no patterns.
    pub fn new(patterns: &[Vec<u32>], unit: fn(char) -> u32) -> Result<Option<Phrases>, BuildError> {
        if patterns.is_empty() {
            return Ok(None);
        }
        // Units numbered by how many phrases use them, most first (ties in order of first
        // use): the units a text meets most then share the first cache line or two of each
        // table row, and a pass touches fewer lines.
        let mut uses: HashMap<u32, (usize, usize)> = HashMap::new();
        for p in patterns {
            for &u in p {
                let first = uses.len();
                uses.entry(u).or_insert((0, first)).0 += 1;
            }
        }
        if uses.len() > MAX_SYMBOLS {
            return Err(BuildError(format!(
                "the phrases use more than {MAX_SYMBOLS} distinct characters or readings, more than the matcher supports"
            )));
        }
        let mut order: Vec<(u32, (usize, usize))> = uses.into_iter().collect();
        order.sort_unstable_by_key(|&(_, (count, first))| (std::cmp::Reverse(count), first));
        let mut symbols: HashMap<u32, u16> = order.iter().enumerate().map(|(k, &(u, _))| (u, k as u16 + 1)).collect();
        let width = Width::for_symbols(symbols.len());
        let mut bytes: Vec<Vec<u8>> = Vec::with_capacity(patterns.len());
        for p in patterns {
            let mut b = Vec::with_capacity(p.len() * 2);
            for u in p {
                width.write(symbols[u], &mut b);
            }
            bytes.push(b);
        }
        let nfa = noncontiguous::Builder::new().match_kind(MatchKind::Standard).prefilter(false).build(&bytes)?;
        let (aut, start) = match Dense::of(&nfa, width, symbols.len())? {
            Some((dense, start)) => (Aut::Dense(dense), start),
            None => {
                let nfa = contiguous::Builder::new().build_from_noncontiguous(&nfa)?;
                let start = start_of(&nfa)?;
                // The NFA is fed a symbol's bytes, kept encoded ([`Width::encode`]) so that
                // the pass does no arithmetic to find them.
                for s in symbols.values_mut() {
                    *s = width.encode(*s);
                }
                (Aut::Nfa(nfa), start.as_u32())
            }
        };
        let lens = patterns.iter().map(|p| p.len() as u32).collect();
        Ok(Some(Phrases { aut, width, start, symbols, unit, lens }))
    }

    /// Phrases of characters.
    pub fn of_strs<S: AsRef<str>>(patterns: &[S]) -> Result<Option<Phrases>, BuildError> {
        let units: Vec<Vec<u32>> = patterns.iter().map(|p| p.as_ref().chars().map(|c| c as u32).collect()).collect();
        Phrases::new(&units, |c| c as u32)
    }

    /// The cursor before the first character.
    pub fn start(&self) -> Cursor {
        Cursor(self.start)
    }

    /// The symbol of text character `c` (0 when no phrase uses its unit), encoded for [`Step`].
    /// A hash lookup: a pass uses a [`BmpTable`] made from this.
    pub fn symbol(&self, c: char) -> u16 {
        self.symbols.get(&(self.unit)(c)).copied().unwrap_or(0)
    }

    /// Calls `v` with this automaton's [`Step`]: a pass over many characters is then
    /// compiled once per kind of automaton, and its loop holds no dispatch.
    #[inline(always)]
    pub fn with_step<V: Visit>(&self, v: V) -> V::Out {
        match (&self.aut, self.width) {
            (Aut::Dense(a), _) => match &a.trans {
                Trans::Wide(t) => v.visit(DenseStep { trans: t, first_match: a.first_match }),
                Trans::Narrow(t) => v.visit(DenseStep { trans: t, first_match: a.first_match / 2 }),
            },
            (Aut::Nfa(a), Width::One) => v.visit(One(a)),
            (Aut::Nfa(a), Width::Two { .. }) => v.visit(Two(a)),
        }
    }

    /// For a dense table, the patterns ending at each of its match states, in
    /// [`Phrases::each_match`]'s order: a caller can then keep what it needs of a match per
    /// state, found by [`Phrases::match_number`], rather than per pattern. `None` for the
    /// NFA, whose match states are not numbered in a row.
    pub fn matches_by_state(&self) -> Option<Vec<Vec<usize>>> {
        let Aut::Dense(a) = &self.aut else { return None };
        let states = a.match_starts.len() - 1;
        Some((0..states).map(|m| a.patterns_at(m).iter().map(|&p| p as usize).collect()).collect())
    }

    /// The number of the match state `cur` is, in [`Phrases::matches_by_state`]; `None`
    /// for the NFA. `cur` is a cursor where phrases end.
    #[inline(always)]
    pub fn match_number(&self, cur: Cursor) -> Option<usize> {
        match &self.aut {
            Aut::Dense(a) => Some(a.match_number(cur.0)),
            Aut::Nfa(_) => None,
        }
    }

    /// Calls `f` with each phrase ending at `cur`, as (pattern index, length in units).
    #[inline(always)]
    pub fn each_match(&self, cur: Cursor, mut f: impl FnMut(usize, usize)) {
        match &self.aut {
            Aut::Dense(a) => {
                for &p in a.matches(cur.0) {
                    f(p as usize, self.lens[p as usize] as usize);
                }
            }
            Aut::Nfa(a) => {
                let s = StateID::new_unchecked(cur.0 as usize);
                for k in 0..a.match_len(s) {
                    let p = a.match_pattern(s, k).as_usize();
                    f(p, self.lens[p] as usize);
                }
            }
        }
    }
}

/// The unanchored start state of `a`.
fn start_of<A: Automaton>(a: &A) -> Result<StateID, BuildError> {
    a.start_state(Anchored::No).map_err(|e| BuildError(format!("cannot start the phrase automaton: {e}")))
}

/// A 32-bit value per character of the Basic Multilingual Plane, in one flat table: a
/// lookup is one load. 256 KB, of which a pass reads only the lines of the characters it
/// meets. Pages of 256 characters sharing one of zeros took a few KB, but cost a dependent
/// load and three instructions more per character, ahead of both automata's steps.
#[derive(Debug)]
pub struct BmpTable {
    table: Box<[u32; 0x1_0000]>,
}

impl BmpTable {
    /// The table of `f` over the BMP.
    pub fn new(f: impl Fn(char) -> u32) -> BmpTable {
        let mut table: Box<[u32; 0x1_0000]> = vec![0u32; 0x1_0000].into_boxed_slice().try_into().expect("0x10000 entries");
        for (c, ch) in (0..0x1_0000u32).filter_map(|c| Some((c, char::from_u32(c)?))) {
            table[c as usize] = f(ch);
        }
        BmpTable { table }
    }

    /// The value of code point `c` (below U+10000; only its low 16 bits are read).
    #[inline(always)]
    pub fn get(&self, c: u32) -> u32 {
        self.table[(c & 0xFFFF) as usize]
    }
}

/// One move of an automaton of a known kind ([`Phrases::with_step`]).
pub trait Step {
    /// Moves `cur` (a [`Cursor::state`]) over one character's (encoded) symbol; true when
    /// phrases end there.
    ///
    /// # Safety
    ///
    /// `cur` is this automaton's: the state of its [`Phrases::start`], or where earlier
    /// steps of this automaton left it; `symbol` is 0 or one of its symbols
    /// ([`Phrases::symbol`]). The dense table then steps without a bounds check: the pass's
    /// loop is short, and the check's comparisons and registers were a good part of it.
    unsafe fn step(&self, cur: &mut usize, symbol: u16) -> bool;
}

/// What runs with a [`Step`]: a generic method, which a closure cannot have.
pub trait Visit {
    type Out;
    fn visit<S: Step>(self, s: S) -> Self::Out;
}

/// No automaton: never moves, never matches.
pub struct NoStep;

impl Step for NoStep {
    #[inline(always)]
    unsafe fn step(&self, _: &mut usize, _: u16) -> bool {
        false
    }
}

/// A dense table's step, holding what a step reads by value, so that a pass keeps it
/// in registers instead of reading it through the table at every character.
#[derive(Clone, Copy)]
pub struct DenseStep<'a, T> {
    trans: &'a [T],
    /// In the cursors' units.
    first_match: u32,
}

/// An entry of a dense table: the premultiplied state, or its half in 16 bits.
pub trait Entry: Copy {
    /// How far a cursor shifts left to be a premultiplied state.
    const SHIFT: u32;
    fn get(self) -> u32;
}

impl Entry for u32 {
    const SHIFT: u32 = 0;
    #[inline(always)]
    fn get(self) -> u32 {
        self
    }
}

impl Entry for u16 {
    const SHIFT: u32 = 1;
    #[inline(always)]
    fn get(self) -> u32 {
        self as u32
    }
}

impl<T: Entry> Step for DenseStep<'_, T> {
    #[inline(always)]
    unsafe fn step(&self, cur: &mut usize, symbol: u16) -> bool {
        debug_assert!((*cur << T::SHIFT) + (symbol as usize) < self.trans.len(), "cursor {cur} and symbol {symbol} outside the table");
        // The symbol's column first, then the row: the column does not wait for the last
        // step, so the loop's chain from one state to the next is the load alone.
        // SAFETY: by the caller's contract `cur` is a state of this table, premultiplied at
        // most `(states − 1) × stride` once shifted, and `symbol` one of its symbols, below
        // `stride`; so the entry is below `states × stride`, the table's length.
        *cur = unsafe { *self.trans.as_ptr().add(symbol as usize).add(*cur << T::SHIFT) }.get() as usize;
        *cur >= self.first_match as usize
    }
}

/// An automaton over one byte per symbol.
struct One<'a, A>(&'a A);

impl<A: Automaton> Step for One<'_, A> {
    #[inline(always)]
    unsafe fn step(&self, cur: &mut usize, symbol: u16) -> bool {
        let s = self.0.next_state(Anchored::No, StateID::new_unchecked(*cur), symbol as u8);
        *cur = s.as_usize();
        self.0.is_special(s) && self.0.is_match(s)
    }
}

/// An automaton over two bytes per symbol.
struct Two<'a, A>(&'a A);

impl<A: Automaton> Step for Two<'_, A> {
    #[inline(always)]
    unsafe fn step(&self, cur: &mut usize, symbol: u16) -> bool {
        // No phrase ends on a lead byte, so only the state after the trail byte can match.
        let s = self.0.next_state(Anchored::No, StateID::new_unchecked(*cur), (symbol >> 8) as u8);
        let s = self.0.next_state(Anchored::No, s, symbol as u8);
        *cur = s.as_usize();
        self.0.is_special(s) && self.0.is_match(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    impl Phrases {
        /// Moves `cur` over one character's symbol; true when phrases end there.
        fn step(&self, cur: &mut Cursor, symbol: u16) -> bool {
            struct Once<'c>(&'c mut Cursor, u16);
            impl Visit for Once<'_> {
                type Out = bool;
                fn visit<S: Step>(self, s: S) -> bool {
                    let mut state = self.0.state();
                    // SAFETY: the tests step from `start` with the automaton's own symbols.
                    let hit = unsafe { s.step(&mut state, self.1) };
                    *self.0 = Cursor::at(state);
                    hit
                }
            }
            self.with_step(Once(cur, symbol))
        }

        /// Every occurrence of every pattern in `text`, as (pattern, start, end) in characters.
        fn find_all(&self, text: &str) -> Vec<(usize, usize, usize)> {
            let mut out = Vec::new();
            let mut cur = self.start();
            for (i, c) in text.chars().enumerate() {
                if self.step(&mut cur, self.symbol(c)) {
                    self.each_match(cur, |p, len| out.push((p, i + 1 - len, i + 1)));
                }
            }
            out
        }

        /// Heap bytes held.
        fn memory_usage(&self) -> usize {
            let aut = match &self.aut {
                Aut::Dense(a) => a.table_bytes() + a.patterns.len() * 4 + a.match_starts.len() * 4,
                Aut::Nfa(a) => a.memory_usage(),
            };
            aut + self.symbols.len() * 8 + self.lens.len() * 4
        }
    }

    /// Every occurrence by brute force, as (pattern, start, end) in characters.
    fn naive(patterns: &[String], text: &str) -> Vec<(usize, usize, usize)> {
        let t: Vec<char> = text.chars().collect();
        let mut out = Vec::new();
        for end in 1..=t.len() {
            for (p, pat) in patterns.iter().enumerate() {
                let pc: Vec<char> = pat.chars().collect();
                if pc.len() <= end && t[end - pc.len()..end] == pc[..] {
                    out.push((p, end - pc.len(), end));
                }
            }
        }
        out.sort();
        out
    }

    fn check(patterns: &[String], texts: &[String]) {
        let ph = Phrases::of_strs(patterns).unwrap().unwrap();
        for text in texts {
            let mut got = ph.find_all(text);
            got.sort();
            assert_eq!(got, naive(patterns, text), "{text}");
        }
    }

    #[test]
    fn one_byte_alphabet_reports_every_overlapping_occurrence() {
        let patterns: Vec<String> = ["不知道", "我不知道", "知道", "您好", "a1", "𠀀好"].iter().map(|s| s.to_string()).collect();
        let ph = Phrases::of_strs(&patterns).unwrap().unwrap();
        assert!(matches!(ph.width, Width::One));
        assert!(matches!(&ph.aut, Aut::Dense(d) if matches!(d.trans, Trans::Narrow(_))));
        check(&patterns, &["我不知道啊知道吗".into(), "您好您好a1𠀀好".into(), "".into(), "无关的话".into()]);
    }

    /// More than 255 distinct characters: two bytes per symbol, and still no match across
    /// a symbol boundary (a lead byte of one symbol with the trail byte of the next).
    #[test]
    fn two_byte_alphabet_matches_only_whole_symbols() {
        let chars: Vec<char> = (0x4E00u32..0x4E00 + 600).filter_map(char::from_u32).collect();
        let mut patterns: Vec<String> = chars.chunks(3).map(|c| c.iter().collect()).collect();
        patterns.push("一丁".into());
        let ph = Phrases::of_strs(&patterns).unwrap().unwrap();
        assert!(matches!(ph.width, Width::Two { .. }));
        assert!(matches!(ph.aut, Aut::Nfa(_)), "{} bytes", ph.memory_usage());
        let text: String = chars.iter().rev().chain(chars.iter()).chain("x一丁丁".chars().collect::<Vec<_>>().iter()).collect();
        check(&patterns, &[text, "一丁七万丈".into()]);
    }

    /// More than 255 symbols in a table small enough to be dense: the table is built by
    /// feeding the NFA each symbol's two bytes.
    #[test]
    fn dense_table_over_two_byte_symbols() {
        let chars: Vec<char> = (0x4E00u32..0x4E00 + 300).filter_map(char::from_u32).collect();
        let mut patterns: Vec<String> = chars.chunks(3).map(|c| c.iter().collect()).collect();
        patterns.extend(["一丁".to_string(), "丁".to_string(), "丁七万".to_string()]);
        let ph = Phrases::of_strs(&patterns).unwrap().unwrap();
        assert!(matches!(ph.width, Width::Two { .. }));
        assert!(matches!(ph.aut, Aut::Dense(_)), "{} bytes", ph.memory_usage());
        let text: String = chars.iter().rev().chain(chars.iter()).chain("x一丁七万丈丁".chars().collect::<Vec<_>>().iter()).collect();
        check(&patterns, &[text, "一丁七万丈".into(), "".into()]);
    }

    /// A dense table with more (premultiplied) states than 16 bits hold keeps 32-bit entries,
    /// with the same matches.
    #[test]
    fn a_dense_table_too_large_for_16_bits_is_wide() {
        let chars: Vec<char> = (0x4E00u32..0x4E00 + 199).filter_map(char::from_u32).collect();
        let patterns: Vec<String> = (0..200).map(|i| (0..4).map(|k| chars[(i * 7 + k * 13 + i / 3) % chars.len()]).collect()).collect();
        let ph = Phrases::of_strs(&patterns).unwrap().unwrap();
        assert!(matches!(&ph.aut, Aut::Dense(d) if matches!(d.trans, Trans::Wide(_))), "{} bytes", ph.memory_usage());
        let text: String = patterns[10..60].concat() + &chars.iter().rev().collect::<String>();
        check(&patterns, &[text, "".into()]);
    }

    #[test]
    fn a_large_pack_falls_back_to_the_contiguous_nfa_with_the_same_matches() {
        let chars: Vec<char> = (0x4E00u32..0x4E00 + 3000).filter_map(char::from_u32).collect();
        let patterns: Vec<String> = (0..chars.len()).map(|i| (0..4).map(|k| chars[(i * 7 + k * 13) % chars.len()]).collect()).collect();
        let ph = Phrases::of_strs(&patterns).unwrap().unwrap();
        assert!(matches!(ph.aut, Aut::Nfa(_)), "{} bytes", ph.memory_usage());
        let text: String = patterns[10..40].concat() + &chars[..200].iter().collect::<String>();
        check(&patterns, &[text]);
    }

    #[test]
    fn more_distinct_units_than_two_bytes_can_write_is_an_error() {
        let units: Vec<u32> = (0..=MAX_SYMBOLS as u32).collect();
        let e = Phrases::new(&[units], |c| c as u32).unwrap_err();
        assert!(e.to_string().contains("distinct characters"), "{e}");
    }

    #[test]
    fn units_other_than_characters() {
        // Units by parity: a pattern of [even, odd] matches any even character then any odd one.
        let ph = Phrases::new(&[vec![0, 1]], |c| c as u32 % 2).unwrap().unwrap();
        assert_eq!(ph.find_all("ba"), vec![(0, 0, 2)]);
        assert_eq!(ph.find_all("ab"), vec![]);
        assert!(Phrases::new(&[], |c| c as u32).unwrap().is_none());
    }
}
