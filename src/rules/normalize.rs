//! The text normaliser, applied identically to rule phrases and to transcript utterances.
//!
//! Whisper's output for the same words varies in ways that must not decide a match: mixed
//! traditional and simplified characters, full- and half-width forms, punctuation and spaces
//! placed anywhere, and numbers as Chinese numerals or digits. Normalising maps all of these to
//! one form: simplified characters (through [`crate::shared::zh::to_simplified`]), half width,
//! ASCII lower case, no punctuation or white space, and Chinese numerals as digits
//! (`二十五` → `25`; 百/千/万 are left as they are).
//!
//! OpenCC conversion is by far the slowest step, and transcripts are already simplified, so it
//! runs only on text holding a character OpenCC would change; those characters are found once,
//! lazily, by asking OpenCC about each CJK code point.
//!
//! Every normalised character remembers the byte range of the source it came from, so a match
//! can be shown as the words actually spoken.

use std::ops::Range;
use std::sync::OnceLock;

/// Normalised text with a map back to its source.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Normalized {
    text: String,
    /// The characters of `text`, decoded: what the matcher steps over
    /// ([`crate::rules::matcher::Matcher::find_in`]), so that it need not decode the text
    /// again. The normaliser has each character in hand as it writes it.
    points: Vec<char>,
    /// Byte offset in `text` of each normalised character, plus one past the end; empty
    /// when made by [`normalize_text`].
    char_bytes: Vec<u32>,
    /// For each normalised character, the byte range of the source it came from; empty when
    /// made by [`normalize_text`].
    origin: Vec<(u32, u32)>,
    /// The simplified source, when conversion changed anything; else `None` (the input is the source).
    simplified: Option<String>,
    /// Whether the text holds one of [`CANTONESE`].
    cantonese: bool,
    /// How many of its characters are ASCII letters.
    latin: usize,
}

/// Characters written only in Cantonese (嘅 咗 喺 佢 冇 啲 嘢 哋 嚟), which Mandarin text does not
/// use: the language check's evidence (`scan::language`). The normaliser notes them as it
/// goes, at no cost to other characters: they stay out of its table of characters copied as
/// they are, so the rare text holding one takes the slow path, which notes it. The check
/// then need not read every utterance a second time.
pub const CANTONESE: [char; 9] = ['嘅', '咗', '喺', '佢', '冇', '啲', '嘢', '哋', '嚟'];

/// What [`CharBuffer::append`] appended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Appended {
    /// Characters appended.
    pub chars: usize,
    /// Whether they hold one of [`CANTONESE`].
    pub cantonese: bool,
    /// How many of them are ASCII letters (the language check's other evidence).
    pub latin_letters: usize,
}

impl Normalized {
    /// The normalised text.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Its length in characters.
    pub fn len_chars(&self) -> usize {
        self.points.len()
    }

    /// Its characters.
    pub fn chars(&self) -> &[char] {
        &self.points
    }

    /// Whether it holds one of [`CANTONESE`].
    pub fn holds_cantonese(&self) -> bool {
        self.cantonese
    }

    /// How many of its characters are ASCII letters.
    pub fn latin_letters(&self) -> usize {
        self.latin
    }

    /// The normalised characters `chars`.
    pub fn slice(&self, chars: Range<usize>) -> &str {
        if self.char_bytes.is_empty() {
            return slice_chars(&self.text, chars);
        }
        &self.text[self.char_bytes[chars.start] as usize..self.char_bytes[chars.end] as usize]
    }

    /// The source text that normalised characters `chars` came from. `original` is the string
    /// given to [`normalize`]; text made by [`normalize_text`] has no map and gives "".
    pub fn source<'a>(&'a self, original: &'a str, chars: Range<usize>) -> &'a str {
        let src = self.simplified.as_deref().unwrap_or(original);
        if chars.start >= chars.end || chars.end > self.origin.len() {
            return "";
        }
        &src[self.origin[chars.start].0 as usize..self.origin[chars.end - 1].1 as usize]
    }
}

/// Characters `chars` of `text`, found by walking it (for text without a map).
fn slice_chars(text: &str, chars: Range<usize>) -> &str {
    let byte = |c: usize| text.char_indices().nth(c).map_or(text.len(), |(b, _)| b);
    &text[byte(chars.start)..byte(chars.end)]
}

/// Normalises `s` (see the module docs), keeping the map back to the source.
pub fn normalize(s: &str) -> Normalized {
    normalize_with(s, true)
}

/// Normalises `s` without the map back to the source: the scan's hot path, which only needs
/// the map for the few utterances that yield findings and normalises those again.
pub fn normalize_text(s: &str) -> Normalized {
    normalize_with(s, false)
}

fn normalize_with(s: &str, map: bool) -> Normalized {
    let mut out = Normalized::with_capacity(s.len(), map);
    normalize_reusing(s, map, &mut out);
    if !map {
        out.text = out.points.iter().collect();
    }
    out
}

/// [`normalize`] into `out`, replacing what it held but keeping its buffers: for callers
/// that normalise many texts one after another.
pub fn normalize_into(s: &str, out: &mut Normalized) {
    normalize_reusing(s, true, out);
}

fn normalize_reusing(s: &str, map: bool, out: &mut Normalized) {
    out.clear();
    out.simplified = append_normalized(s, map, out);
}

/// The characters of many texts normalised ([`normalize_text`]'s [`Normalized::chars`]), one
/// text after another in one buffer: the scan's hot path. It normalises a whole call into one
/// of these, one allocation instead of one per utterance, and keeps the characters alone,
/// which is what the matcher reads; no text is written.
#[derive(Clone, Debug, Default)]
pub struct CharBuffer(Normalized);

impl CharBuffer {
    /// An empty buffer with room for `chars` characters.
    pub fn with_capacity(chars: usize) -> CharBuffer {
        CharBuffer(Normalized { points: Vec::with_capacity(chars), ..Normalized::default() })
    }

    /// Every character appended so far.
    pub fn chars(&self) -> &[char] {
        &self.0.points
    }

    pub fn clear(&mut self) {
        self.0.clear();
    }

    /// Appends the characters of `s` normalised; says how many, whether they hold one of
    /// [`CANTONESE`], and how many are ASCII letters.
    pub fn append(&mut self, s: &str) -> Appended {
        let out = &mut self.0;
        let (before, latin) = (out.points.len(), out.latin);
        out.cantonese = false;
        append_normalized(s, false, out);
        Appended { chars: out.points.len() - before, cantonese: out.cantonese, latin_letters: out.latin - latin }
    }
}

/// Appends `s` normalised to `out` (its characters only when not `map`, and the map
/// empty); returns the simplified source when OpenCC changed it. One pass also watches for
/// characters OpenCC would change; only text holding one (rare: transcripts are simplified
/// already) is converted and normalised again.
fn append_normalized(s: &str, map: bool, out: &mut Normalized) -> Option<String> {
    let (bytes, chars, cantonese, latin) = (out.text.len(), out.points.len(), out.cantonese, out.latin);
    if normalize_src(s, map, true, out) {
        return None;
    }
    out.text.truncate(bytes);
    out.points.truncate(chars);
    out.cantonese = cantonese;
    out.latin = latin;
    out.char_bytes.clear();
    out.origin.clear();
    let t = crate::shared::zh::to_simplified(s);
    normalize_src(&t, map, false, out);
    (t != s).then_some(t)
}

/// Normalises `src` as it is, appending to `out` (its characters only when not `map`, and
/// the map empty); false if `watch` and `src` holds a character to simplify, with `out`
/// then holding part of the text.
///
/// Most characters normalise to themselves (ideographs, lower-case letters, digits): they are
/// recognised straight from the UTF-8 bytes with one bit test ([`kept_table`]). The others
/// (punctuation, numerals, full width, upper case, characters to simplify) go through
/// [`special`] one at a time.
fn normalize_src(src: &str, map: bool, watch: bool, out: &mut Normalized) -> bool {
    if !map {
        return normalize_plain(src, watch, out);
    }
    let kept = kept_table(watch);
    let b = src.as_bytes();
    let mut i = 0;
    while i < b.len() {
        // A run of three-byte characters kept as they are, its map written in bulk.
        let before = out.points.len();
        let end = kept_run(&kept.run, &kept.run, b, i, &mut out.points);
        if end > i {
            let (n, at, from) = ((out.points.len() - before) as u32, out.text.len() as u32, i as u32);
            out.char_bytes.extend((0..n).map(|k| at + 3 * k));
            out.origin.extend((0..n).map(|k| (from + 3 * k, from + 3 * k + 3)));
            out.text.push_str(&src[i..end]);
            i = end;
            if i == b.len() {
                break;
            }
        }
        if kept_ascii(&kept.ascii, b[i]) {
            out.push_source(&src[i..i + 1], i);
            i += 1;
            continue;
        }
        match special(src, i, map, watch, out) {
            Some(next) => i = next,
            None => return false,
        }
    }
    out.char_bytes.push(out.text.len() as u32);
    true
}

/// [`normalize_src`] without the map: the scan's hot path. It writes the characters alone
/// (the text is made from them where asked for: [`normalize_text`]), so a run of characters
/// kept as they are is one tight loop, with no copy of its bytes.
fn normalize_plain(src: &str, watch: bool, out: &mut Normalized) -> bool {
    let kept = kept_table(watch);
    let b = src.as_bytes();
    let (mut i, mut latin) = (0, 0);
    while i < b.len() {
        // Runs of three-byte characters kept as they are or dropped: nearly all of Chinese
        // text, common punctuation (，。？) included, without the character logic.
        loop {
            i = kept_run(&kept.run, &kept.run_or_dropped, b, i, &mut out.points);
            let [x @ 0xE0..=0xEF, y, z, ..] = b[i..] else { break };
            let word = ((x as usize & 0x0F) << 6) | (y as usize & 0x3F);
            let bit = z & 0x3F;
            if let Some(d) = lone_digit(b, i, word, bit) {
                // A digit written as a Chinese numeral (订单号一二三…) is its digit whatever
                // surrounds it unless 十 follows (二十 → 20); only 十 needs the run logic.
                out.points.push((b'0' + d) as char);
            } else {
                break;
            }
            i += 3;
        }
        if i == b.len() {
            break;
        }
        if kept_ascii(&kept.ascii, b[i]) {
            latin += b[i].is_ascii_alphabetic() as usize;
            out.points.push(b[i] as char);
            i += 1;
            continue;
        }
        match special(src, i, false, watch, out) {
            Some(next) => i = next,
            None => return false,
        }
    }
    out.latin += latin;
    true
}

/// Writes the characters of the run of three-byte characters in `run` starting at `b[i]`
/// to `points`, counting those in `kept` (a subset: the others are dropped); returns where
/// the run ends. A dropped character is written and not counted, so that punctuation, met a
/// few times in every utterance, costs no branch (mispredicted, it cost more than the
/// characters around it). The characters go through a small block on the stack, appended a
/// block at a time, so that the loop checks no room per character (a good part of a loop with
/// little else to do) and writes nothing unchecked.
#[inline(always)]
fn kept_run(kept: &RunBits, run: &RunBits, b: &[u8], i: usize, points: &mut Vec<char>) -> usize {
    const BLOCK: usize = 64;
    let mut block = ['\0'; BLOCK];
    let mut n = 0usize;
    let mut rest = &b[i..];
    while let &[x, y, z, ref tail @ ..] = rest {
        // The table's word of lead byte `x` and second byte `y` ([`RunBits`]); a character
        // not of three bytes finds a word of zeros there, and ends the run.
        let word = (x as usize) << 6 | (y as usize & 0x3F);
        // A shift takes its count mod 64: the low six bits of `z`, its payload.
        if run[word].wrapping_shr(z as u32) & 1 == 0 {
            break;
        }
        // A three-byte UTF-8 sequence (only those have bits in the tables) is a code point
        // below U+10000 and not a surrogate, its top ten bits the low ten of `word`:
        // `(x & 0x0F) << 12 | (y & 0x3F) << 6 | z & 0x3F`, which with `x` in E0…EF and `z` in
        // 80…BF is `word << 6` less E0000 plus `z` less 80, with no masking.
        let c = ((word as u32) << 6).wrapping_add(z as u32).wrapping_sub(0xE0080);
        block[n % BLOCK] = char::from_u32(c).unwrap_or(char::REPLACEMENT_CHARACTER);
        n += (kept[word].wrapping_shr(z as u32) & 1) as usize;
        if n == BLOCK {
            points.extend_from_slice(&block);
            n = 0;
        }
        rest = tail;
    }
    points.extend_from_slice(&block[..n]);
    b.len() - rest.len()
}

/// The digit of the numeral whose three UTF-8 bytes start at `b[i]` (table word `word`, bit
/// `bit`, as [`normalize_plain`] reads them), when the character after it is not 十: such a
/// numeral normalises to its digit alone, as [`special`] writes it. `None` otherwise.
#[inline]
fn lone_digit(b: &[u8], i: usize, word: usize, bit: u8) -> Option<u8> {
    let c = char::from_u32(((word as u32) << 6) | bit as u32)?;
    let d = numeral_digit(c)?;
    (!b[i + 3..].starts_with("十".as_bytes())).then_some(d)
}

/// Whether byte `x` is an ASCII character that normalises to itself. The three-byte ones
/// are [`kept_run`]'s: a character is asked about here only where a run stopped.
#[inline(always)]
fn kept_ascii(ascii: &[u64; 2], x: u8) -> bool {
    x < 0x80 && ascii[x as usize >> 6] >> (x & 0x3F) & 1 != 0
}

/// Normalises the character at byte `at` of `src`, one that does not normalise to itself
/// alone, with the numerals after it when it is one: folds it, drops it (punctuation, white
/// space) or writes a numeral run as digits, each digit as itself and 十 by position
/// (十五 → 15, 二十 → 20, 二十五 → 25, 十 → 10). Returns where the next character starts;
/// `None` when `watch` and a character to simplify is met.
fn special(src: &str, at: usize, map: bool, watch: bool, out: &mut Normalized) -> Option<usize> {
    let raw = src[at..].chars().next()?;
    if watch && is_traditional(raw) {
        return None;
    }
    let mut end = at + raw.len_utf8();
    let c = fold(raw);
    if !is_numeral(c) {
        if !(c.is_whitespace() || is_punctuation(c)) {
            out.cantonese |= CANTONESE.contains(&c);
            out.push(c, at, end, map);
        }
        return Some(end);
    }
    let (mut c, mut from) = (c, at);
    // Whether the numeral before in the run was a digit.
    let mut after_digit = false;
    loop {
        let next = src[end..].chars().next();
        let folded = next.map(fold);
        match numeral_digit(c) {
            Some(d) => out.push((b'0' + d) as char, from, end, map),
            None => {
                let before_digit = folded.and_then(numeral_digit).is_some();
                match (after_digit, before_digit) {
                    (true, true) => {}
                    (true, false) => out.push('0', from, end, map),
                    (false, true) => out.push('1', from, end, map),
                    (false, false) => {
                        out.push('1', from, end, map);
                        out.push('0', from, end, map);
                    }
                }
            }
        }
        after_digit = numeral_digit(c).is_some();
        let (Some(n), Some(nf)) = (next, folded) else { break };
        if !is_numeral(nf) {
            break;
        }
        if watch && is_traditional(n) {
            return None;
        }
        (c, from) = (nf, end);
        end += n.len_utf8();
    }
    Some(end)
}

/// A Chinese numeral: a digit, or 十.
fn is_numeral(c: char) -> bool {
    numeral_digit(c).is_some() || c == '十'
}

impl Normalized {
    fn clear(&mut self) {
        self.text.clear();
        self.points.clear();
        self.char_bytes.clear();
        self.origin.clear();
        self.simplified = None;
        self.cantonese = false;
        self.latin = 0;
    }

    fn with_capacity(bytes: usize, map: bool) -> Normalized {
        let cap = if map { bytes / 3 + 1 } else { 0 };
        Normalized {
            text: String::with_capacity(if map { bytes } else { 0 }),
            points: Vec::with_capacity(bytes / 3 + 1),
            char_bytes: Vec::with_capacity(cap),
            origin: Vec::with_capacity(cap),
            simplified: None,
            cantonese: false,
            latin: 0,
        }
    }

    /// Appends one source character unchanged (`ch` is its UTF-8), with the map.
    #[inline(always)]
    fn push_source(&mut self, ch: &str, from: usize) {
        self.char_bytes.push(self.text.len() as u32);
        self.origin.push((from as u32, (from + ch.len()) as u32));
        self.text.push_str(ch);
        self.points.extend(ch.chars());
        self.latin += (ch.len() == 1 && ch.as_bytes()[0].is_ascii_alphabetic()) as usize;
    }

    #[inline]
    fn push(&mut self, c: char, from: usize, to: usize, map: bool) {
        if map {
            self.char_bytes.push(self.text.len() as u32);
            self.origin.push((from as u32, to as u32));
            self.text.push(c);
        }
        self.points.push(c);
        self.latin += c.is_ascii_alphabetic() as usize;
    }
}

/// Full width to half width, ASCII upper to lower case.
pub(crate) fn fold(c: char) -> char {
    let c = match c as u32 {
        0xFF01..=0xFF5E => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
        0x3000 => ' ',
        _ => c,
    };
    c.to_ascii_lowercase()
}

fn is_punctuation(c: char) -> bool {
    c.is_ascii_punctuation()
        || matches!(c as u32,
            0x00A1..=0x00BF        // Latin-1 punctuation and symbols (· « » ¿ …)
            | 0x2000..=0x206F      // general punctuation: … — “ ” ‘ ’
            | 0x3001..=0x3006      // 、。〃〄々〆 (not 〇, a numeral)
            | 0x3008..=0x303F      // 〈〉《》「」『』【】〔〕〜
            | 0xFE10..=0xFE1F      // vertical forms
            | 0xFE30..=0xFE6F      // CJK compatibility and small forms
            | 0xFF5F..=0xFF65)     // half-width brackets and 。「」、・
}

fn numeral_digit(c: char) -> Option<u8> {
    Some(match c {
        '零' | '〇' => 0,
        '一' => 1,
        '二' => 2,
        '三' => 3,
        '四' => 4,
        '五' => 5,
        '六' => 6,
        '七' => 7,
        '八' => 8,
        '九' => 9,
        _ => return None,
    })
}

/// Characters below this are looked up in [`kept_table`].
const KEPT_LEN: usize = 0x1_0000;

/// Whether `c` normalises to itself, alone: not folded, not a numeral, not white space or
/// punctuation (traditional characters are not considered here). Nor one of [`CANTONESE`],
/// which normalise to themselves but are noted on the way.
fn kept_as_is(c: char) -> bool {
    fold(c) == c && !is_numeral(c) && !c.is_whitespace() && !is_punctuation(c) && !CANTONESE.contains(&c)
}

/// A bit per character of three UTF-8 bytes `x y z`, in word `x << 6 | (y & 0x3F)` at bit
/// `z & 0x3F` (the code point's top ten bits are the word's low ten): [`kept_run`] then reads
/// a word without first asking whether `x` leads three bytes, as the words of other lead
/// bytes are zeros (most of the table; the allocation's zeroed pages are never touched).
type RunBits = [u64; RUN_WORDS];

/// Words of [`RunBits`]: one per lead byte and six bits of the second.
const RUN_WORDS: usize = 256 << 6;

/// The word of [`RunBits`] holding code point `u` (U+0800 … U+FFFF).
fn run_word(u: usize) -> usize {
    0xE0 << 6 | u >> 6
}

/// What [`normalize_src`] copies as it is ([`kept_as_is`], and when `watch`, not a
/// character to simplify): the three-byte characters, and ASCII by code point.
struct Kept {
    run: Box<RunBits>,
    /// `run` and the three-byte characters that normalise to nothing alone: white space and
    /// punctuation (none of which OpenCC changes).
    run_or_dropped: Box<RunBits>,
    ascii: [u64; 2],
}

fn kept_table(watch: bool) -> &'static Kept {
    &tables().kept[watch as usize]
}

struct Tables {
    kept: [Kept; 2],
}

/// Computed once (with the table of characters to simplify).
fn tables() -> &'static Tables {
    static TABLES: OnceLock<Tables> = OnceLock::new();
    TABLES.get_or_init(|| {
        let zeros = || -> Box<RunBits> { vec![0u64; RUN_WORDS].into_boxed_slice().try_into().expect("RUN_WORDS words") };
        let mut kept = [(), ()].map(|_| Kept { run: zeros(), run_or_dropped: zeros(), ascii: [0; 2] });
        for u in 0..KEPT_LEN {
            let Some(c) = char::from_u32(u as u32) else { continue };
            let f = fold(c);
            let bit = 1 << (u % 64);
            let dropped = u >= 0x800 && !is_traditional(c) && !is_numeral(f) && (f.is_whitespace() || is_punctuation(f));
            let as_is = kept_as_is(c);
            for (watch, k) in kept.iter_mut().enumerate() {
                if dropped {
                    k.run_or_dropped[run_word(u)] |= bit;
                }
                if !as_is || (watch == 1 && is_traditional(c)) {
                    continue;
                }
                match u {
                    0..0x80 => k.ascii[u / 64] |= bit,
                    0x800.. => {
                        k.run[run_word(u)] |= bit;
                        k.run_or_dropped[run_word(u)] |= bit;
                    }
                    _ => {}
                }
            }
        }
        Tables { kept }
    })
}

/// Whether OpenCC would change any character of `s`.
#[cfg(test)]
fn needs_simplifying(s: &str) -> bool {
    s.chars().any(is_traditional)
}

/// U+3400 … U+FAFF: CJK extension A, unified ideographs and compatibility ideographs.
const TABLE_LEN: usize = 0xFB00 - 0x3400;

/// Whether OpenCC would change `c` (a lookup in [`traditional_table`]).
fn is_traditional(c: char) -> bool {
    let i = (c as u32).wrapping_sub(0x3400) as usize;
    i < TABLE_LEN && traditional_table()[i / 64] & (1 << (i % 64)) != 0
}

fn traditional_table() -> &'static [u64] {
    static TABLE: OnceLock<Vec<u64>> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut bits = vec![0u64; TABLE_LEN.div_ceil(64)];
        let mut buf = String::new();
        for i in 0..TABLE_LEN {
            let Some(c) = char::from_u32(0x3400 + i as u32) else { continue };
            buf.clear();
            buf.push(c);
            if crate::shared::zh::to_simplified(&buf) != buf {
                bits[i / 64] |= 1 << (i % 64);
            }
        }
        bits
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(s: &str) -> String {
        normalize(s).as_str().to_owned()
    }

    #[test]
    fn removes_punctuation_and_spaces() {
        assert_eq!(n("您好，请问 有什么可以帮您？"), "您好请问有什么可以帮您");
        assert_eq!(n("“喂……你出声啦！”"), "喂你出声啦");
        assert_eq!(n("【注意】《手册》、「引用」"), "注意手册引用");
    }

    #[test]
    fn folds_width_and_case() {
        assert_eq!(n("ＡＢＣ１２３ ＯＫ"), "abc123ok");
        assert_eq!(n("Hello　World"), "helloworld");
    }

    #[test]
    fn converts_traditional_to_simplified() {
        assert_eq!(n("這事不歸我管"), "这事不归我管");
        assert_eq!(n("感謝您的來電"), "感谢您的来电");
        // Already simplified text is left alone (and OpenCC is not called).
        assert!(!needs_simplifying("感谢您的来电"));
        assert!(needs_simplifying("感謝"));
    }

    #[test]
    fn chinese_numerals_become_digits() {
        assert_eq!(n("三天"), "3天");
        assert_eq!(n("十五分钟"), "15分钟");
        assert_eq!(n("二十块"), "20块");
        assert_eq!(n("二十五号"), "25号");
        assert_eq!(n("十"), "10");
        assert_eq!(n("一〇八六"), "1086");
        assert_eq!(n("一下"), "1下");
        // Digits in either form normalise alike.
        assert_eq!(n("3天"), n("三天"));
    }

    #[test]
    fn maps_back_to_source() {
        let src = "喂，你好！二十五号";
        let norm = normalize(src);
        assert_eq!(norm.as_str(), "喂你好25号");
        assert_eq!(norm.source(src, 1..3), "你好");
        assert_eq!(norm.source(src, 0..3), "喂，你好");
        assert_eq!(norm.source(src, 3..5), "二十五");
        assert_eq!(norm.slice(1..3), "你好");
        let trad = "這事不歸我管";
        let tn = normalize(trad);
        assert_eq!(tn.source(trad, 0..2), "这事");
    }

    #[test]
    fn text_only_form_agrees() {
        for s in ["喂，你好！二十五号", "這事不歸我管", "ＡＢＣ　1２3", ""] {
            let (full, lite) = (normalize(s), normalize_text(s));
            assert_eq!(full.as_str(), lite.as_str());
            assert_eq!(full.len_chars(), lite.len_chars());
        }
        let lite = normalize_text("你好25号");
        assert_eq!(lite.slice(2..4), "25");
    }

    /// The byte-level fast path gives exactly what the character-by-character normaliser
    /// gave, map included, on text mixing every kind of character treated specially, and on
    /// every BMP character between others.
    #[test]
    fn agrees_with_the_reference() {
        let pieces = [
            "您好", "，", "。", "？", "！", " ", "　", "\t", "一", "二", "十", "〇", "零", "五", "百", "万", "這", "事", "歸",
            "來電", "ＡＢＣ", "ａ", "１２", "Hello", "ok", "3", "…", "“", "”", "【", "】", "·", "é", "Ü", "😀", "𠀀", "々",
            "〜", "ｶ", "-", "_", "'", "\u{3400}", "\u{FA0E}", "\u{F900}", "\u{9FFF}", "〃", "@", "\u{00A0}", "ß", "\n",
            "嘅", "咗", "啲", "嚟",
        ];
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        for _ in 0..5000 {
            let mut s = String::new();
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            for k in 0..(x % 12) {
                s.push_str(pieces[((x >> (5 * k + 4)) % pieces.len() as u64) as usize]);
            }
            for (map, watch) in [(false, true), (true, true), (false, false), (true, false)] {
                assert_eq!(src_once(&s, map, watch), reference(&s, map, watch), "{s:?} map {map} watch {watch}");
            }
            assert_eq!(normalize(&s).as_str(), normalize_text(&s).as_str(), "{s:?}");
            // The characters written down are the text's, in both modes.
            for norm in [normalize(&s), normalize_text(&s)] {
                assert_eq!(norm.chars(), norm.as_str().chars().collect::<Vec<_>>(), "{s:?}");
            }
            // Appending to a buffer gives the same characters, count and notes after what it
            // held (letters and a Cantonese particle, which must not carry over).
            let mut chars = CharBuffer::default();
            assert_eq!(chars.append("前文ab嘅"), Appended { chars: 5, cantonese: true, latin_letters: 2 });
            let n = chars.append(&s);
            assert_eq!(&chars.chars()[5..], normalize_text(&s).chars(), "{s:?}");
            assert_eq!(n.chars, normalize_text(&s).len_chars(), "{s:?}");
            // The Cantonese note says what the normalised text holds, in every mode.
            let holds = normalize_text(&s).as_str().chars().any(|c| CANTONESE.contains(&c));
            assert_eq!((n.cantonese, normalize(&s).holds_cantonese()), (holds, holds), "{s:?}");
            let letters = normalize_text(&s).as_str().bytes().filter(u8::is_ascii_alphabetic).count();
            assert_eq!((n.latin_letters, normalize(&s).latin_letters()), (letters, letters), "{s:?}");
            // Reusing a value that held other text gives the same as a fresh one.
            let mut reused = normalize("這是舊的，ＡＢＣ二十五");
            normalize_into(&s, &mut reused);
            assert_eq!(reused, normalize(&s), "{s:?}");
        }
        for u in 0..0x11_0000u32 {
            let Some(c) = char::from_u32(u) else { continue };
            let s = format!("a{c}b{c}{c}");
            for watch in [true, false] {
                assert_eq!(src_once(&s, true, watch), reference(&s, true, watch), "{c:?}");
                assert_eq!(src_once(&s, false, watch), reference(&s, false, watch), "{c:?}");
            }
        }
    }

/// Writes a run of numerals as digits: each digit as itself, 十 by position (十五 → 15,
    /// 二十 → 20, 二十五 → 25, 十 → 10).
    fn write_numerals(run: &[(char, usize, usize)], out: &mut Normalized, map: bool) {
        for (i, &(c, from, to)) in run.iter().enumerate() {
            if let Some(d) = numeral_digit(c) {
                out.push((b'0' + d) as char, from, to, map);
                continue;
            }
            let before = i > 0 && numeral_digit(run[i - 1].0).is_some();
            let after = run.get(i + 1).is_some_and(|n| numeral_digit(n.0).is_some());
            match (before, after) {
                (true, true) => {}
                (true, false) => out.push('0', from, to, map),
                (false, true) => out.push('1', from, to, map),
                (false, false) => {
                    out.push('1', from, to, map);
                    out.push('0', from, to, map);
                }
            }
        }
    }

    /// [`normalize_src`] into a fresh value, `None` where it stops at a character to simplify.
    fn src_once(s: &str, map: bool, watch: bool) -> Option<Normalized> {
        let mut out = Normalized::with_capacity(s.len(), map);
        let done = normalize_src(s, map, watch, &mut out);
        if !map {
            out.text = out.points.iter().collect();
        }
        done.then_some(out)
    }

    /// The normaliser before its byte-level fast path, for comparison.
    fn reference(src: &str, map: bool, watch: bool) -> Option<Normalized> {
        let cap = if map { src.len() / 3 + 1 } else { 0 };
        let mut out = Normalized {
            text: String::with_capacity(src.len()),
            points: Vec::new(),
            char_bytes: Vec::with_capacity(cap),
            origin: Vec::with_capacity(cap),
            simplified: None,
            cantonese: false,
            latin: 0,
        };
        let mut iter = src.char_indices().peekable();
        while let Some((at, c)) = iter.next() {
            if watch && is_traditional(c) {
                return None;
            }
            let end = at + c.len_utf8();
            // Fast path: a common ideograph that is not a numeral is kept as is.
            if ('\u{4E00}'..='\u{9FFF}').contains(&c) && numeral_digit(c).is_none() && c != '十' {
                if map {
                    out.push_source(&src[at..end], at);
                } else {
                    out.points.push(c);
                }
                continue;
            }
            let c = fold(c);
            if numeral_digit(c).is_some() || c == '十' {
                // A run of Chinese numerals: collect it, then write its digits.
                let mut run: Vec<(char, usize, usize)> = vec![(c, at, end)];
                while let Some(&(a2, c2)) = iter.peek() {
                    let c2f = fold(c2);
                    if numeral_digit(c2f).is_some() || c2f == '十' {
                        if watch && is_traditional(c2) {
                            return None;
                        }
                        run.push((c2f, a2, a2 + c2.len_utf8()));
                        iter.next();
                    } else {
                        break;
                    }
                }
                write_numerals(&run, &mut out, map);
                continue;
            }
            if c.is_whitespace() || is_punctuation(c) {
                continue;
            }
            out.push(c, at, end, map);
        }
        if map {
            out.char_bytes.push(out.text.len() as u32);
        } else {
            out.text = out.points.iter().collect();
        }
        out.cantonese = out.text.chars().any(|c| CANTONESE.contains(&c));
        out.latin = out.text.bytes().filter(u8::is_ascii_alphabetic).count();
        Some(out)
    }

    #[test]
    fn empty_and_punctuation_only() {
        assert_eq!(n(""), "");
        assert_eq!(n("，。！？ …"), "");
        assert_eq!(normalize("").len_chars(), 0);
    }
}

/// Properties: what the normaliser must not let decide a match.
#[cfg(test)]
mod properties {
    use super::normalize;
    use proptest::prelude::*;

    /// Chinese words without numerals (a numeral split by punctuation reads differently) and
    /// ASCII letters.
    fn words() -> impl Strategy<Value = String> {
        proptest::collection::vec(prop::sample::select(&['您', '好', '请', '问', '有', '什', '么', '可', '以', '帮', '谢', '再', '见', 'a', 'B', 'z'][..]), 1..24)
            .prop_map(|v| v.into_iter().collect())
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 512, failure_persistence: None, ..ProptestConfig::default() })]

        /// Punctuation and white space, half or full width, anywhere.
        #[test]
        fn punctuation_and_spaces_do_not_change_the_text(s in words(), cuts in proptest::collection::vec((any::<prop::sample::Index>(), prop::sample::select(&[" ", "，", ",", "。", "？", "?", "！", "、", "\u{3000}", "…", "\t", "——"][..])), 0..8)) {
            let chars: Vec<char> = s.chars().collect();
            let mut marked: Vec<String> = chars.iter().map(|c| c.to_string()).collect();
            for (at, p) in cuts {
                let i = at.index(marked.len());
                marked[i].insert_str(0, p);
            }
            let noisy: String = marked.concat();
            prop_assert_eq!(normalize(&noisy).as_str().to_owned(), normalize(&s).as_str().to_owned());
        }

        /// Full-width letters and upper case read as the ASCII lower-case ones.
        #[test]
        fn width_and_case_do_not_change_the_text(s in words()) {
            let wide: String = s.chars().map(|c| if c.is_ascii_alphabetic() { char::from_u32(c.to_ascii_uppercase() as u32 - 0x21 + 0xFF01).unwrap() } else { c }).collect();
            prop_assert_eq!(normalize(&wide).as_str().to_owned(), normalize(&s).as_str().to_owned());
        }
    }
}
