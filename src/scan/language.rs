//! Which utterances are not in the expected language, for the `language` metric.
//!
//! Transcripts carry Whisper's language identification per channel only (one verdict from the
//! channel's first speech), not per segment, and decoding is forced to `zh` by default, so a
//! Cantonese or English stretch inside a Mandarin call is still written as Chinese or Latin
//! text. The best per-utterance evidence left is the text itself: Latin-script sentences, and
//! the Cantonese written particles (嘅, 咗, 喺, 佢, 冇, 啲, 嘢, 哋, 嚟) that Mandarin does not use.
//! An utterance counts as foreign when its channel's verdict is foreign or its text is.

use crate::rules::normalize::Normalized;

/// Characters written only in Cantonese. One is enough: none occurs in Mandarin text.
fn cantonese(c: char) -> bool {
    matches!(c, '嘅' | '咗' | '喺' | '佢' | '冇' | '啲' | '嘢' | '哋' | '嚟')
}

/// Least Latin letters for an utterance to count as Latin-script speech; shorter ones are
/// product names and acronyms (ok, app, wifi) inside Mandarin.
const MIN_LATIN_LETTERS: usize = 8;

/// The language an utterance's text shows, when it shows one other than Mandarin: `yue` for
/// Cantonese particles, `en` for text that is mostly Latin letters (English or another
/// Latin-script language; Whisper's code for the commonest).
pub(super) fn text_language(text: &Normalized) -> Option<&'static str> {
    let s = text.as_str();
    if s.chars().any(cantonese) {
        return Some("yue");
    }
    let letters = s.bytes().filter(u8::is_ascii_alphabetic).count();
    // Twice as many letters as other characters: mostly Latin.
    (letters >= MIN_LATIN_LETTERS && letters * 3 >= text.len_chars() * 2).then_some("en")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::normalize::normalize;

    #[test]
    fn cantonese_particles_and_latin_sentences() {
        assert_eq!(text_language(&normalize("我哋嘅系统今日有啲问题")), Some("yue"));
        assert_eq!(text_language(&normalize("Sorry, I can only help you in English.")), Some("en"));
        assert_eq!(text_language(&normalize("您好，请问有什么可以帮您？")), None);
        // A product name inside Mandarin is not English speech.
        assert_eq!(text_language(&normalize("请打开app里的wifi设置")), None);
        assert_eq!(text_language(&normalize("")), None);
    }
}
