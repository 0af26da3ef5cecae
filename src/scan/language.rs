//! Which utterances are not in the expected language, for the `language` metric.
//!
//! Transcripts carry Whisper's language identification per channel only (one verdict from the
//! channel's first speech), not per segment, and decoding is forced to `zh` by default, so a
//! Cantonese or English stretch inside a Mandarin call is still written as Chinese or Latin
//! text. The best per-utterance evidence left is the text itself: Latin-script sentences, and
//! the Cantonese written particles (嘅, 咗, 喺, 佢, 冇, 啲, 嘢, 哋, 嚟) that Mandarin does not use.
//! An utterance counts as foreign when its channel's verdict is foreign or its text is.

/// Least Latin letters for an utterance to count as Latin-script speech; shorter ones are
/// product names and acronyms (ok, app, wifi) inside Mandarin.
const MIN_LATIN_LETTERS: usize = 8;

/// The language an utterance's text shows, when it shows one other than Mandarin: `yue` for
/// Cantonese particles, `en` for text that is mostly Latin letters (English or another
/// Latin-script language; Whisper's code for the commonest).
/// `text` is normalised, `chars` long, and holds a Cantonese particle when `cantonese`
/// (noted by the normaliser: [`crate::rules::normalize::CANTONESE`]).
pub(super) fn text_language(text: &str, chars: usize, cantonese: bool) -> Option<&'static str> {
    if cantonese {
        return Some("yue");
    }
    // Counted in blocks of 255 into a byte, which vectorises 16 bytes a step; a `usize`
    // count per byte did four.
    let letters: usize =
        text.as_bytes().chunks(255).map(|c| c.iter().fold(0u8, |n, b| n + b.is_ascii_alphabetic() as u8) as usize).sum();
    // Twice as many letters as other characters: mostly Latin.
    (letters >= MIN_LATIN_LETTERS && letters * 3 >= chars * 2).then_some("en")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::normalize::{CANTONESE, normalize};

    fn text_language_of(s: &str) -> Option<&'static str> {
        let n = normalize(s);
        text_language(n.as_str(), n.len_chars(), n.holds_cantonese())
    }

    #[test]
    fn cantonese_particles_and_latin_sentences() {
        assert_eq!(text_language_of("我哋嘅系统今日有啲问题"), Some("yue"));
        assert_eq!(text_language_of("Sorry, I can only help you in English."), Some("en"));
        assert_eq!(text_language_of("您好，请问有什么可以帮您？"), None);
        // A product name inside Mandarin is not English speech.
        assert_eq!(text_language_of("请打开app里的wifi设置"), None);
        assert_eq!(text_language_of(""), None);
        // Each particle alone, among other characters.
        for c in CANTONESE {
            assert_eq!(text_language_of(&format!("一{c}龥")), Some("yue"), "{c}");
        }
        assert_eq!(text_language_of("佡嚠伀你务单"), None);
    }
}
