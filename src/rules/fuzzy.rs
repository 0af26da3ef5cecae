//! Fuzzy phrase matching on toneless pinyin, for Whisper's homophone errors.
//!
//! Whisper often writes a right-sounding wrong character: 这事 → 这是, 再见 → 在见. Matching
//! characters misses these; matching toneless pinyin catches them. The matcher is an
//! approximate substring search (Sellers' dynamic programme, phrase length × utterance length,
//! both short) with weighted costs per character:
//!
//! | phrase vs text character              | cost |
//! |---------------------------------------|------|
//! | same character                        | 0    |
//! | same toneless pinyin (homophone), or 您 written 你 | 0.2 |
//! | near pinyin (zh/z, ch/c, sh/s, -ng/-n, l/n, nin/ni) | 0.5 |
//! | anything else, a missing or extra one | 1    |
//!
//! Similarity is `1 − cost / phrase length`; a rule accepts hits at or above its
//! `min_similarity`. Exact matches (cost 0) are left to the Aho-Corasick pass, so every fuzzy
//! hit really differs from the phrase and says by how much.

use std::collections::HashMap;
use std::sync::OnceLock;

use pinyin::ToPinyin;

/// One character with its toneless pinyin, as interned ids (0: no reading).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Syllable {
    ch: char,
    /// Toneless pinyin id.
    pinyin: u16,
    /// Id of the pinyin with near confusions folded (zh→z, ch→c, sh→s, l→n, -ng→-n).
    folded: u16,
}

impl Syllable {
    pub fn ch(&self) -> char {
        self.ch
    }

    /// The toneless pinyin, if the character has a reading.
    pub fn pinyin(&self) -> Option<&'static str> {
        (self.pinyin != 0).then(|| table().names[self.pinyin as usize])
    }

    /// Id of the folded reading, for prefiltering; 0 when the character has no reading.
    pub fn folded(&self) -> u16 {
        self.folded
    }
}

/// Readings of every CJK character, computed once: looking pinyin up and folding it per
/// character per utterance would dominate the scan.
struct Table {
    /// (pinyin id, folded id) for U+3400 + i.
    cjk: Vec<(u16, u16)>,
    digits: [(u16, u16); 10],
    names: Vec<&'static str>,
}

const CJK_START: u32 = 0x3400;
const CJK_END: u32 = 0xA000;

fn table() -> &'static Table {
    static TABLE: OnceLock<Table> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut names: Vec<&'static str> = vec![""];
        let mut ids: HashMap<&'static str, u16> = HashMap::new();
        let mut folded_ids: HashMap<String, u16> = HashMap::new();
        let mut intern = |py: &'static str| -> (u16, u16) {
            let id = *ids.entry(py).or_insert_with(|| {
                names.push(py);
                (names.len() - 1) as u16
            });
            let next = folded_ids.len() as u16 + 1;
            let f = *folded_ids.entry(fold(py)).or_insert(next);
            (id, f)
        };
        let cjk = (CJK_START..CJK_END)
            .map(|u| {
                char::from_u32(u).and_then(|c| c.to_pinyin()).map_or((0, 0), |p| intern(p.plain()))
            })
            .collect();
        let mut digits = [(0, 0); 10];
        for (d, py) in DIGITS.iter().enumerate() {
            digits[d] = intern(py);
        }
        Table { cjk, digits, names }
    })
}

/// The syllables of (normalised) text, one per character. Digits read as their numerals.
pub fn syllables(text: &str) -> Vec<Syllable> {
    let t = table();
    text.chars().map(|ch| syllable(t, ch)).collect()
}

/// [`syllables`] of characters, into a buffer the caller reuses.
pub fn syllables_into(chars: &[char], out: &mut Vec<Syllable>) {
    let t = table();
    out.extend(chars.iter().map(|&ch| syllable(t, ch)));
}

fn syllable(t: &Table, ch: char) -> Syllable {
    let (pinyin, folded) = match ch {
        '0'..='9' => t.digits[ch as usize - '0' as usize],
        _ if (CJK_START..CJK_END).contains(&(ch as u32)) => t.cjk[(ch as u32 - CJK_START) as usize],
        _ => (0, 0),
    };
    Syllable { ch, pinyin, folded }
}

const DIGITS: [&str; 10] = ["ling", "yi", "er", "san", "si", "wu", "liu", "qi", "ba", "jiu"];

/// A fuzzy occurrence: characters `start..end` of the text, with its similarity.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FuzzyHit {
    pub start: usize,
    pub end: usize,
    pub similarity: f32,
}

/// Cost of reading phrase character `a` as text character `b`.
fn substitution(a: Syllable, b: Syllable) -> f32 {
    if a.ch == b.ch {
        0.0
    } else if (a.pinyin != 0 && a.pinyin == b.pinyin) || (a.ch == '您' && b.ch == '你') {
        // Whisper base writes 你 for a spoken 您 (the greeting 您好 came out as 你好 in all
        // 25 fixture calls whose script opens with it), so for matching it is as good as a homophone.
        0.2
    } else if a.folded != 0 && a.folded == b.folded {
        0.5
    } else {
        1.0
    }
}

/// Folds the confusions common in Mandarin ASR and southern accents: retroflex vs dental
/// initials, -ng vs -n finals, l vs n; and nin → ni, so that 您 and 你 share a key.
fn fold(s: &str) -> String {
    if s == "nin" {
        return "ni".to_owned();
    }
    let s = s
        .strip_prefix("zh")
        .map(|r| format!("z{r}"))
        .or_else(|| s.strip_prefix("ch").map(|r| format!("c{r}")))
        .or_else(|| s.strip_prefix("sh").map(|r| format!("s{r}")))
        .or_else(|| s.strip_prefix('l').map(|r| format!("n{r}")))
        .unwrap_or_else(|| s.to_owned());
    match s.strip_suffix("ng") {
        Some(r) => format!("{r}n"),
        None => s,
    }
}

#[cfg(test)]
fn near(x: &str, y: &str) -> bool {
    fold(x) == fold(y)
}

/// The folded readings present in a text, as a bit set: a phrase whose syllables are mostly
/// absent cannot match, and is skipped without running the dynamic programme.
#[derive(Clone, Debug, Default)]
pub struct ReadingSet([u64; 16]);

impl ReadingSet {
    pub fn of(text: &[Syllable]) -> ReadingSet {
        let mut s = ReadingSet::default();
        for x in text {
            let f = x.folded as usize;
            if f < 1024 {
                s.0[f / 64] |= 1 << (f % 64);
            }
        }
        s
    }

    /// Whether `syl` may match something in the text (always true for unreadable characters).
    fn may_have(&self, syl: &Syllable) -> bool {
        let f = syl.folded as usize;
        f == 0 || f >= 1024 || self.0[f / 64] & (1 << (f % 64)) != 0
    }

    /// Whether `phrase` could reach `min_similarity` in the text: each phrase character
    /// with no reading-alike in the text costs at least 1.
    pub fn may_match(&self, phrase: &[Syllable], min_similarity: f32) -> bool {
        let bound = (1.0 - min_similarity) * phrase.len() as f32 + 1e-4;
        let absent = phrase.iter().filter(|p| !self.may_have(p)).count();
        absent as f32 <= bound
    }
}

/// Finds `phrase` in `text` with similarity ≥ `min_similarity`, excluding exact occurrences.
/// Overlapping candidates are reduced to the best one.
pub fn find(phrase: &[Syllable], text: &[Syllable], min_similarity: f32) -> Vec<FuzzyHit> {
    let m = phrase.len();
    let n = text.len();
    let mut hits = Vec::new();
    if m == 0 || n == 0 {
        return hits;
    }
    let bound = (1.0 - min_similarity) * m as f32 + 1e-4;
    // prev/cur: cost of the best alignment of phrase[..i] ending at text[..j]; starts: where it began.
    let mut prev: Vec<f32> = vec![0.0; n + 1];
    let mut prev_start: Vec<usize> = (0..=n).collect();
    let mut cur = vec![0.0f32; n + 1];
    let mut cur_start = vec![0usize; n + 1];
    for (i, &p) in phrase.iter().enumerate() {
        cur[0] = (i + 1) as f32;
        cur_start[0] = 0;
        for j in 1..=n {
            let diag = prev[j - 1] + substitution(p, text[j - 1]);
            let up = prev[j] + 1.0; // phrase character missing from the text
            let left = cur[j - 1] + 1.0; // extra character in the text
            let (c, s) = if diag <= up && diag <= left {
                (diag, prev_start[j - 1])
            } else if up <= left {
                (up, prev_start[j])
            } else {
                (left, cur_start[j - 1])
            };
            cur[j] = c;
            cur_start[j] = s;
        }
        std::mem::swap(&mut prev, &mut cur);
        std::mem::swap(&mut prev_start, &mut cur_start);
    }
    // prev now holds the last row. Take the best end in each run of acceptable ends.
    let mut j = 1;
    while j <= n {
        if prev[j] > bound {
            j += 1;
            continue;
        }
        let mut best = j;
        while j <= n && prev[j] <= bound {
            if prev[j] <= prev[best] {
                best = j;
            }
            j += 1;
        }
        let start = prev_start[best];
        if prev[best] > 0.0 && start < best {
            hits.push(FuzzyHit { start, end: best, similarity: 1.0 - prev[best] / m as f32 });
        }
    }
    hits
}

/// Whether every hit [`find`] can return for a phrase of `len` characters at `min_similarity`
/// is a character-for-character substitution: true when a missing or extra character, at a
/// cost of 1, is already over the bound, as for every phrase under 10 characters at 0.9.
/// Such phrases are found by the matcher's automaton over their [`keys`] instead of the
/// dynamic programme, with the same hits ([`substitution_hits`]).
pub fn substitutions_only(len: usize, min_similarity: f32) -> bool {
    (1.0 - min_similarity) * len as f32 + 1e-4 < 1.0
}

/// Pieces of a phrase of `len` characters, one of which must occur key for key
/// ([`keys`]) wherever the phrase matches at `min_similarity`: `None` when no such split
/// exists. Every substitution that costs less than 1 keeps the key, so a match holds at most
/// `k` operations of cost 1 (a missing, extra or unrelated character), `k` the bound rounded
/// down; split into `k + 1` pieces, some piece is untouched by all of them (pigeonhole). The
/// dynamic programme then runs only on utterances where a piece occurs.
pub fn pieces(len: usize, min_similarity: f32) -> Option<Vec<std::ops::Range<usize>>> {
    let ops = ((1.0 - min_similarity) * len as f32 + 1e-4).floor().max(0.0) as usize;
    let n = ops + 1;
    if n > len {
        return None;
    }
    Some((0..n).map(|i| i * len / n..(i + 1) * len / n).collect())
}

/// A 14-bit key, equal for two characters whenever reading one as the other costs less than
/// 1: the folded reading, or for a character with none, its code point folded into the upper
/// half of the key space. Distinct unreadable characters may share a key; that only makes a
/// candidate, which [`substitution_hits`] then prices at its true cost.
fn key(s: &Syllable) -> u16 {
    if s.folded != 0 && s.folded < 0x2000 { s.folded } else { 0x2000 | (s.ch as u32 & 0x1FFF) as u16 }
}

/// The keys of a phrase's syllables, as automaton units ([`super::automaton`]).
pub fn keys(syl: &[Syllable]) -> Vec<u32> {
    syl.iter().map(|s| key(s) as u32).collect()
}

/// The key of one text character: the unit the reading automaton sees for it.
pub fn char_key(c: char) -> u32 {
    key(&syllable(table(), c)) as u32
}

/// [`char_key`] of each character of a text.
pub fn char_keys(chars: &[char]) -> impl Iterator<Item = u32> + '_ {
    let t = table();
    chars.iter().map(move |&c| key(&syllable(t, c)) as u32)
}

/// The hits [`find`] returns for a substitution-only phrase ([`substitutions_only`]), given the
/// ends (exclusive, in characters, increasing) of the text windows whose keys equal the
/// phrase's (a superset of the windows it can match). Costs are summed in the programme's order, so similarities are bit-identical.
pub fn substitution_hits(phrase: &[Syllable], text: &[Syllable], min_similarity: f32, ends: &[usize], out: &mut Vec<FuzzyHit>) {
    let m = phrase.len();
    let bound = (1.0 - min_similarity) * m as f32 + 1e-4;
    let cost = |end: usize| phrase.iter().zip(&text[end - m..end]).fold(0.0f32, |c, (&p, &t)| c + substitution(p, t));
    // As in `find`: the best end (lowest cost, the later on ties) of each run of consecutive
    // acceptable ends, unless it is exact.
    let mut i = 0;
    while i < ends.len() {
        let (mut best, mut best_cost) = (usize::MAX, f32::MAX);
        let mut prev: Option<usize> = None;
        while i < ends.len() {
            let end = ends[i];
            let c = cost(end);
            if c > bound || prev.is_some_and(|p| p + 1 != end) {
                if c > bound {
                    i += 1;
                }
                break;
            }
            if c <= best_cost {
                (best, best_cost) = (end, c);
            }
            prev = Some(end);
            i += 1;
        }
        if best != usize::MAX && best_cost > 0.0 {
            out.push(FuzzyHit { start: best - m, end: best, similarity: 1.0 - best_cost / m as f32 });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(phrase: &str, text: &str, min: f32) -> Vec<(String, f32)> {
        let p = syllables(phrase);
        let t = syllables(text);
        find(&p, &t, min)
            .into_iter()
            .map(|h| (text.chars().skip(h.start).take(h.end - h.start).collect(), h.similarity))
            .collect()
    }

    #[test]
    fn homophones_match_with_a_score() {
        assert_eq!(f("再见", "好的在见", 0.8), vec![("在见".to_owned(), 0.9)]);
        let hits = f("这事不归我管", "这是不归我管的", 0.8);
        assert_eq!(hits.len(), 1);
        assert_eq!(hits[0].0, "这是不归我管");
        assert!((hits[0].1 - (1.0 - 0.2 / 6.0)).abs() < 1e-6);
    }

    #[test]
    fn exact_occurrences_are_left_to_the_exact_pass() {
        assert!(f("再见", "好的再见", 0.8).is_empty());
    }

    #[test]
    fn near_syllables_cost_more_than_homophones() {
        // 知道 (zhi dao) heard as 资道 (zi dao): near, cost 0.5.
        assert_eq!(f("不知道", "我不资道", 0.8), vec![("不资道".to_owned(), 1.0 - 0.5 / 3.0)]);
        assert!(near("zhi", "zi") && near("sheng", "sen") && near("lan", "nan"));
        assert!(!near("bao", "pao"));
        // 您 heard as 你 is as cheap as a homophone; the other way round it is only near.
        assert_eq!(f("您的来电", "你的来电", 0.9), vec![("你的来电".to_owned(), 1.0 - 0.2 / 4.0)]);
        assert_eq!(f("你的来电", "您的来电", 0.8), vec![("您的来电".to_owned(), 1.0 - 0.5 / 4.0)]);
    }

    #[test]
    fn unrelated_text_and_bounds() {
        assert!(f("再见", "你好请问", 0.8).is_empty());
        // A different character costs 1: 再来 for 再见 is only 0.5 similar.
        assert!(f("再见", "再来", 0.8).is_empty());
        assert_eq!(f("再见", "再来", 0.5), vec![("再来".to_owned(), 0.5)]);
        assert!(f("", "再见", 0.5).is_empty());
        assert!(f("再见", "", 0.5).is_empty());
    }

    #[test]
    fn prefilter_never_rejects_a_real_match() {
        let phrase = syllables("这事不归我管");
        for (text, expect) in [("这是不归我管", true), ("你好请问有什么可以帮您", false), ("这事不归", true)] {
            let t = syllables(text);
            let may = ReadingSet::of(&t).may_match(&phrase, 0.5);
            assert_eq!(may, expect, "{text}");
            if !may {
                assert!(find(&phrase, &t, 0.5).is_empty());
            }
        }
    }

    /// The automaton path returns exactly what the dynamic programme does, on every window of
    /// a text rich in homophones, near readings, repeats and exact occurrences.
    #[test]
    fn substitution_hits_agree_with_the_programme() {
        let text = syllables("在见再见在见哈这是这事这是不知道不资道部知道1下衣下zai见");
        for phrase in ["再见", "这事", "不知道", "1下", "这事不归", "哈哈", "zai见"] {
            let p = syllables(phrase);
            for min in [0.9, 0.8, 0.7] {
                if !substitutions_only(p.len(), min) {
                    continue;
                }
                let ends: Vec<usize> =
                    (p.len()..=text.len()).filter(|&e| p.iter().zip(&text[e - p.len()..e]).all(|(a, b)| key(a) == key(b))).collect();
                let mut got = Vec::new();
                substitution_hits(&p, &text, min, &ends, &mut got);
                assert_eq!(got, find(&p, &text, min), "{phrase} at {min}");
            }
        }
        assert!(substitutions_only(9, 0.9) && !substitutions_only(10, 0.9) && !substitutions_only(2, 0.5));
    }

    /// Wherever the programme finds a phrase, one of its pieces occurs key for key.
    #[test]
    fn a_piece_occurs_wherever_the_programme_matches() {
        assert_eq!(pieces(10, 0.9), Some(vec![0..5, 5..10]));
        assert_eq!(pieces(4, 0.2), Some(vec![0..1, 1..2, 2..3, 3..4]));
        assert_eq!(pieces(3, 0.0), None);
        let text = syllables("你刚才不是以差过了吗我刚才不是已查过了嘛您刚菜不事已查过了吗");
        for (phrase, min) in [("你刚才不是已查过了吗", 0.9), ("你刚才不是已查过了吗", 0.8), ("有没有搞错说那么大声", 0.85)] {
            let p = syllables(phrase);
            let hits = find(&p, &text, min);
            let ps = pieces(p.len(), min).unwrap();
            for h in &hits {
                let window = keys(&text[h.start..h.end]);
                let found = ps.iter().any(|r| window.windows(r.len()).any(|w| w == &keys(&p[r.clone()])[..]));
                assert!(found, "{phrase} at {min}: {h:?}");
            }
            if phrase.starts_with('你') {
                assert!(!hits.is_empty());
            }
        }
    }

    #[test]
    fn digits_read_as_numerals() {
        assert_eq!(syllables("1")[0].pinyin(), Some("yi"));
        // 一 normalises to 1 on both sides; 衣 (yi) is a homophone of it.
        assert_eq!(f("1下", "衣下", 0.8), vec![("衣下".to_owned(), 0.9)]);
    }
}
