//! Splitting decoded segments back into the pieces they were packed from.
//!
//! Whisper decides its own segment boundaries, and across the short silences that packing
//! puts between pieces it often runs on: one segment may hold a customer's 对，是的 and, 20 s
//! later in the call, their 没有了. So each segment's tokens are assigned, by their timestamps,
//! to the piece they fall in, and consecutive tokens of one piece become one segment whose
//! times are clamped to that piece. A segment's times then always lie inside real speech on
//! the call's timeline, and a segment never mixes two utterances (or two channels).
//!
//! Token times are rough (whisper.cpp's `token_timestamps` heuristic): the first token after
//! a gap is often timed into the piece before it, and a sentence's last token into the piece
//! after. A change of speaker falls at a sentence boundary, so a cut one character away from
//! Whisper's punctuation (or from the segment's edge) is moved onto it: on the fixture corpus
//! this gave the agent back the 请 of 请让我确认一下 and the 吗 of 还有什么问题吗, and the
//! customer the 家 of 我妈家.

use super::RawSegment;
use super::pack::Window;

/// One text token as decoded: its bytes (a Chinese character may span two tokens), its
/// probability and its rough times inside the window, in milliseconds.
#[derive(Clone, Debug, PartialEq)]
pub struct Token {
    pub bytes: Vec<u8>,
    pub p: f32,
    pub t0_ms: u64,
    pub t1_ms: u64,
}

/// A decoded segment inside a window, before mapping.
#[derive(Clone, Debug, PartialEq)]
pub struct WindowSegment {
    pub t0_ms: u64,
    pub t1_ms: u64,
    pub tokens: Vec<Token>,
    pub no_speech_prob: f32,
}

/// Splits `seg` at piece boundaries and maps each part to its source's timeline.
/// Returns `(source, segment)` pairs in window order.
pub fn split(window: &Window, seg: &WindowSegment, sentence_cuts: bool) -> Vec<(usize, RawSegment)> {
    // Group consecutive tokens by piece, never cutting inside a UTF-8 character.
    let mut groups: Vec<(usize, Vec<&Token>)> = Vec::new();
    for tok in &seg.tokens {
        let mid = (tok.t0_ms + tok.t1_ms.max(tok.t0_ms)) / 2;
        let piece = window.piece_index_at(mid.clamp(seg.t0_ms, seg.t1_ms.max(seg.t0_ms))).unwrap_or(0);
        match groups.last_mut() {
            Some((p, toks)) if *p == piece || !is_complete_utf8(toks) => toks.push(tok),
            _ => groups.push((piece, vec![tok])),
        }
    }
    // Punctuation opening a group (Whisper's closing ？ timed into the gap, or into the next
    // piece) belongs to the words before it; a lone first group of punctuation, to the next.
    for i in 1..groups.len() {
        let lead = groups[i].1.iter().take_while(|t| is_punctuation_only(&[*t])).count();
        let moved: Vec<&Token> = groups[i].1.drain(..lead).collect();
        groups[i - 1].1.extend(moved);
    }
    groups.retain(|(_, toks)| !toks.is_empty());
    if sentence_cuts {
        snap_to_sentences(&mut groups);
    }
    if groups.len() > 1 && is_punctuation_only(&groups[0].1) {
        let (_, first) = groups.remove(0);
        let rest = std::mem::take(&mut groups[0].1);
        groups[0].1 = first.into_iter().chain(rest).collect();
    }
    let single = groups.len() == 1;
    groups
        .into_iter()
        .filter_map(|(pi, toks)| {
            let piece = window.pieces().get(pi)?;
            let bytes: Vec<u8> = toks.iter().flat_map(|t| t.bytes.iter().copied()).collect();
            // A lone group keeps Whisper's segment times, which are better than token times.
            let (a, b) = if single {
                (seg.t0_ms, seg.t1_ms)
            } else {
                (toks.iter().map(|t| t.t0_ms).min()?, toks.iter().map(|t| t.t1_ms).max()?)
            };
            let n = toks.len() as f32;
            Some((
                piece.source,
                RawSegment {
                    start_ms: piece.map(a),
                    end_ms: piece.map(b.max(a)),
                    text: String::from_utf8_lossy(&bytes).into_owned(),
                    avg_token_prob: toks.iter().map(|t| t.p).sum::<f32>() / n,
                    avg_logprob: toks.iter().map(|t| t.p.max(1e-10).ln()).sum::<f32>() / n,
                    no_speech_prob: seg.no_speech_prob,
                },
            ))
        })
        .collect()
}

/// Moves each cut between two groups that lies one character off a sentence boundary onto
/// it: a lone character after the last punctuation of a group (or forming the segment's first
/// group) opens the next group's sentence; a lone character before the first punctuation of a
/// group closes the previous group's sentence.
fn snap_to_sentences(groups: &mut Vec<(usize, Vec<&Token>)>) {
    for i in 0..groups.len().saturating_sub(1) {
        let (head, tail) = groups.split_at_mut(i + 1);
        let (a, b) = (&mut head[i].1, &mut tail[0].1);
        if a.last().is_none_or(|t| is_punctuation_only(&[*t])) || b.first().is_none_or(|t| is_punctuation_only(&[*t])) {
            continue; // already at a sentence boundary
        }
        let n = a.len();
        let opens = is_one_character(a[n - 1]) && (if n == 1 { i == 0 } else { is_punctuation_only(&a[n - 2..n - 1]) });
        let closes = is_one_character(b[0]) && (b.len() == 1 || is_punctuation_only(&b[1..2]));
        match (opens, closes) {
            (true, false) => {
                let t = a.pop().expect("non-empty");
                b.insert(0, t);
            }
            (false, true) => {
                // The character and the punctuation that ends its sentence.
                let k = if b.len() > 1 { 2 } else { 1 };
                a.extend(b.drain(..k));
            }
            _ => {}
        }
    }
    groups.retain(|(_, toks)| !toks.is_empty());
}

/// Whether a token is exactly one complete letter or character.
fn is_one_character(t: &Token) -> bool {
    std::str::from_utf8(&t.bytes).is_ok_and(|s| {
        let mut c = s.trim().chars();
        c.next().is_some_and(char::is_alphanumeric) && c.next().is_none()
    })
}

fn is_punctuation_only(toks: &[&Token]) -> bool {
    let bytes: Vec<u8> = toks.iter().flat_map(|t| t.bytes.iter().copied()).collect();
    // Part of a character is never punctuation: it must stay with the rest of its bytes.
    std::str::from_utf8(&bytes).is_ok_and(|t| t.chars().all(|c| !c.is_alphanumeric()))
}

fn is_complete_utf8(toks: &[&Token]) -> bool {
    let bytes: Vec<u8> = toks.iter().flat_map(|t| t.bytes.iter().copied()).collect();
    match std::str::from_utf8(&bytes) {
        Ok(_) => true,
        // Invalid bytes will not become valid by waiting; only an unfinished tail is held.
        Err(e) => e.error_len().is_some(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::asr::pack::pack;
    use crate::asr::vad::Span;

    fn tok(s: &str, t0: u64, t1: u64) -> Token {
        Token { bytes: s.as_bytes().to_vec(), p: 0.9, t0_ms: t0, t1_ms: t1 }
    }

    fn window() -> Window {
        // Customer turns at 19.9–21.0 s and 35.3–36.7 s of the call, packed 400 ms apart.
        let r = |a, b| (0usize, Span { start_ms: a, end_ms: b });
        pack(&[r(19_900, 21_000), r(35_300, 36_700)], 30_000, 400).remove(0)
    }

    #[test]
    fn a_segment_running_over_two_pieces_becomes_two() {
        let w = window(); // piece 0: window 0–1100, piece 1: window 1500–2900
        let seg = WindowSegment {
            t0_ms: 0,
            t1_ms: 2900,
            tokens: vec![tok("对，", 100, 400), tok("是的", 400, 900), tok("好的", 1600, 2000), tok("谢谢", 2000, 2700)],
            no_speech_prob: 0.01,
        };
        let out = split(&w, &seg, true);
        assert_eq!(out.len(), 2);
        assert_eq!(out[0].1.text, "对，是的");
        assert_eq!((out[0].1.start_ms, out[0].1.end_ms), (20_000, 20_800));
        assert_eq!(out[1].1.text, "好的谢谢");
        assert_eq!((out[1].1.start_ms, out[1].1.end_ms), (35_400, 36_500));
    }

    #[test]
    fn a_segment_inside_one_piece_keeps_whisper_times_clamped_to_the_piece() {
        let w = window();
        let seg = WindowSegment { t0_ms: 0, t1_ms: 1400, tokens: vec![tok("对，是的", 100, 900)], no_speech_prob: 0.2 };
        let out = split(&w, &seg, true);
        assert_eq!(out.len(), 1);
        // The end fell in the gap after the piece: clamped to the piece's end.
        assert_eq!((out[0].1.start_ms, out[0].1.end_ms), (19_900, 21_000));
        assert_eq!(out[0].1.no_speech_prob, 0.2);
    }

    #[test]
    fn a_character_split_over_two_tokens_is_never_cut() {
        let w = window();
        let b = "谢".as_bytes();
        let seg = WindowSegment {
            t0_ms: 0,
            t1_ms: 2900,
            tokens: vec![
                tok("好", 100, 500),
                Token { bytes: b[..1].to_vec(), p: 0.5, t0_ms: 800, t1_ms: 1000 },
                Token { bytes: b[1..].to_vec(), p: 0.5, t0_ms: 1600, t1_ms: 1800 },
                tok("谢谢", 1800, 2200),
            ],
            no_speech_prob: 0.0,
        };
        let out = split(&w, &seg, true);
        assert_eq!(out.iter().map(|(_, s)| s.text.as_str()).collect::<Vec<_>>(), ["好谢", "谢谢"]);
    }

    #[test]
    fn stray_punctuation_stays_with_its_words() {
        let w = window();
        let seg = WindowSegment {
            t0_ms: 0,
            t1_ms: 2900,
            tokens: vec![tok("对吗", 100, 900), tok("？", 1400, 1500), tok("好的", 1600, 2000)],
            no_speech_prob: 0.0,
        };
        let texts: Vec<String> = split(&w, &seg, true).into_iter().map(|(_, s)| s.text).collect();
        assert_eq!(texts, ["对吗？", "好的"]);
        let lead = WindowSegment { tokens: vec![tok("，", 100, 200), tok("好的", 1600, 2000)], ..seg };
        let texts: Vec<String> = split(&w, &lead, true).into_iter().map(|(_, s)| s.text).collect();
        assert_eq!(texts, ["，好的"]);
    }

    fn texts(seg: &WindowSegment) -> Vec<String> {
        split(&window(), seg, true).into_iter().map(|(_, s)| s.text).collect()
    }

    #[test]
    fn a_cut_one_character_off_a_sentence_boundary_moves_onto_it() {
        // 请 of the next speaker's sentence timed into the previous piece.
        let seg = |tokens| WindowSegment { t0_ms: 900, t1_ms: 2900, tokens, no_speech_prob: 0.0 };
        assert_eq!(texts(&seg(vec![tok("请", 900, 1050), tok("让我", 1600, 1800), tok("确认", 1800, 2200)])), ["请让我确认"]);
        assert_eq!(
            texts(&seg(vec![tok("好的", 100, 500), tok("。", 500, 600), tok("请", 900, 1050), tok("让我", 1600, 1800)])),
            ["好的。", "请让我"]
        );
        // 吗 of the previous speaker's question timed into the next piece, with its punctuation.
        assert_eq!(
            texts(&seg(vec![tok("什么", 100, 900), tok("吗", 1500, 1600), tok("？", 1600, 1650), tok("没有", 1700, 2000)])),
            ["什么吗？", "没有"]
        );
        assert_eq!(texts(&seg(vec![tok("我妈", 100, 900), tok("家", 1500, 1600)])), ["我妈家"]);
        // Off, the token times decide.
        let off = split(&window(), &seg(vec![tok("我妈", 100, 900), tok("家", 1500, 1600)]), false);
        assert_eq!(off.into_iter().map(|(_, s)| s.text).collect::<Vec<_>>(), ["我妈", "家"]);
    }

    #[test]
    fn cuts_at_punctuation_or_far_from_it_stay() {
        let seg = |tokens| WindowSegment { t0_ms: 0, t1_ms: 2900, tokens, no_speech_prob: 0.0 };
        assert_eq!(texts(&seg(vec![tok("对", 100, 400), tok("，", 400, 500), tok("好的", 1600, 2000)])), ["对，", "好的"]);
        // Two characters from any boundary: token times are trusted.
        assert_eq!(
            texts(&seg(vec![tok("是", 100, 300), tok("的", 300, 500), tok("好的", 1600, 2000), tok("谢谢", 2000, 2700)])),
            ["是的", "好的谢谢"]
        );
    }

    #[test]
    fn a_segment_without_tokens_gives_nothing() {
        let seg = WindowSegment { t0_ms: 0, t1_ms: 100, tokens: vec![], no_speech_prob: 0.0 };
        assert!(split(&window(), &seg, true).is_empty());
    }
}
