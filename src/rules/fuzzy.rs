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
//! | same toneless pinyin (homophone)      | 0.2  |
//! | near pinyin (zh/z, ch/c, sh/s, -ng/-n, l/n) | 0.5 |
//! | anything else, a missing or extra one | 1    |
//!
//! Similarity is `1 − cost / phrase length`; a rule accepts hits at or above its
//! `min_similarity`. Exact matches (cost 0) are left to the Aho-Corasick pass, so every fuzzy
//! hit really differs from the phrase and says by how much.

use pinyin::ToPinyin;

/// One character with its toneless pinyin (`None` for characters without a reading).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Syllable {
    ch: char,
    pinyin: Option<&'static str>,
}

impl Syllable {
    pub fn ch(&self) -> char {
        self.ch
    }

    pub fn pinyin(&self) -> Option<&'static str> {
        self.pinyin
    }
}

/// The syllables of (normalised) text, one per character. Digits read as their numerals.
pub fn syllables(text: &str) -> Vec<Syllable> {
    text.chars()
        .map(|ch| {
            let pinyin = match ch {
                '0'..='9' => Some(DIGITS[ch as usize - '0' as usize]),
                _ => ch.to_pinyin().map(|p| p.plain()),
            };
            Syllable { ch, pinyin }
        })
        .collect()
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
        return 0.0;
    }
    match (a.pinyin, b.pinyin) {
        (Some(x), Some(y)) if x == y => 0.2,
        (Some(x), Some(y)) if near(x, y) => 0.5,
        _ => 1.0,
    }
}

/// Whether two syllables differ only by a confusion common in Mandarin ASR and southern
/// accents: retroflex vs dental initials, -ng vs -n finals, l vs n.
fn near(x: &str, y: &str) -> bool {
    fn fold(s: &str) -> String {
        let s = s.strip_prefix("zh").map(|r| format!("z{r}"))
            .or_else(|| s.strip_prefix("ch").map(|r| format!("c{r}")))
            .or_else(|| s.strip_prefix("sh").map(|r| format!("s{r}")))
            .or_else(|| s.strip_prefix('l').map(|r| format!("n{r}")))
            .unwrap_or_else(|| s.to_owned());
        match s.strip_suffix("ng") {
            Some(r) => format!("{r}n"),
            None => s,
        }
    }
    fold(x) == fold(y)
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
    fn digits_read_as_numerals() {
        assert_eq!(syllables("1")[0].pinyin(), Some("yi"));
        // 一 normalises to 1 on both sides; 衣 (yi) is a homophone of it.
        assert_eq!(f("1下", "衣下", 0.8), vec![("衣下".to_owned(), 0.9)]);
    }
}
