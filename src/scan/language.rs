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
/// Latin-script language; Whisper's code for the commonest). The evidence is what the
/// normaliser noted of the utterance ([`crate::rules::normalize::Appended`]): its length in
/// characters, whether it holds a Cantonese particle, and how many of its characters are
/// ASCII letters; the text is not read again.
pub(super) fn text_language(chars: usize, cantonese: bool, latin_letters: usize) -> Option<&'static str> {
    if cantonese {
        return Some("yue");
    }
    // Twice as many letters as other characters: mostly Latin.
    (latin_letters >= MIN_LATIN_LETTERS && latin_letters * 3 >= chars * 2).then_some("en")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::normalize::{CANTONESE, normalize};

    fn text_language_of(s: &str) -> Option<&'static str> {
        let n = normalize(s);
        text_language(n.len_chars(), n.holds_cantonese(), n.latin_letters())
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
