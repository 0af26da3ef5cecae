//! Which utterances are not in the expected language, for the `language` metric.
//!
//! Transcripts carry Whisper's language identification per channel only (one verdict from the
//! channel's first speech), not per segment, and decoding is forced to `zh` by default, so a
//! Cantonese or English stretch inside a Mandarin call is still written as Chinese or Latin
//! text. The best per-utterance evidence left is the text itself: Latin-script sentences, and
//! the Cantonese written particles (嘅, 咗, 喺, 佢, 冇, 啲, 嘢, 哋, 嚟) that Mandarin does not use.
//! An utterance counts as foreign when its channel's verdict is foreign or its text is.

/// Characters written only in Cantonese. One is enough: none occurs in Mandarin text.
fn cantonese(c: char) -> bool {
    // All lie in U+4F62..=U+569F (see `text_language`).
    matches!(c, '嘅' | '咗' | '喺' | '佢' | '冇' | '啲' | '嘢' | '哋' | '嚟')
}

/// Least Latin letters for an utterance to count as Latin-script speech; shorter ones are
/// product names and acronyms (ok, app, wifi) inside Mandarin.
const MIN_LATIN_LETTERS: usize = 8;

/// The language an utterance's text shows, when it shows one other than Mandarin: `yue` for
/// Cantonese particles, `en` for text that is mostly Latin letters (English or another
/// Latin-script language; Whisper's code for the commonest).
/// `text` is normalised, `chars` long.
pub(super) fn text_language(text: &str, chars: usize) -> Option<&'static str> {
    // This runs on every agent utterance, so the bytes are looked at, not the characters:
    // U+4F62..=U+569F is written E4 BD..BF or E5 80..9A, and only those are decoded. A lead
    // byte is never a continuation byte, so every window starting E4 or E5 is a character.
    let yue = text.as_bytes().windows(3).any(|w| match *w {
        [0xE4, 0xBD..=0xBF, _] | [0xE5, 0x80..=0x9A, _] => {
            std::str::from_utf8(w).ok().and_then(|s| s.chars().next()).is_some_and(cantonese)
        }
        _ => false,
    });
    if yue {
        return Some("yue");
    }
    let letters = text.bytes().filter(u8::is_ascii_alphabetic).count();
    // Twice as many letters as other characters: mostly Latin.
    (letters >= MIN_LATIN_LETTERS && letters * 3 >= chars * 2).then_some("en")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::normalize::normalize;

    fn text_language_of(s: &str) -> Option<&'static str> {
        let n = normalize(s);
        text_language(n.as_str(), n.len_chars())
    }

    #[test]
    fn cantonese_particles_and_latin_sentences() {
        assert_eq!(text_language_of("我哋嘅系统今日有啲问题"), Some("yue"));
        assert_eq!(text_language_of("Sorry, I can only help you in English."), Some("en"));
        assert_eq!(text_language_of("您好，请问有什么可以帮您？"), None);
        // A product name inside Mandarin is not English speech.
        assert_eq!(text_language_of("请打开app里的wifi设置"), None);
        assert_eq!(text_language_of(""), None);
        // Each particle alone, among characters on either side of its byte range.
        for c in ['嘅', '咗', '喺', '佢', '冇', '啲', '嘢', '哋', '嚟'] {
            assert!((0x4F62..=0x569F).contains(&(c as u32)), "{c}");
            assert_eq!(text_language_of(&format!("一{c}龥")), Some("yue"), "{c}");
        }
        assert_eq!(text_language_of("佡嚠伀"), None);
    }
}
