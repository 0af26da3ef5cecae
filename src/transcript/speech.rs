//! When each utterance's speech starts and ends, without the transcriber's padding.
//!
//! The voice-activity detector widens every speech region by `vad.pad_ms` on both sides so
//! that Whisper hears word onsets and tails (see the voice detector, `asr::vad`), and a segment that opens or
//! closes a region carries that padding in its times. Lexical findings keep the padded times
//! (a clip cut from them starts before the first word); the metrics measure speech itself,
//! so they use these trimmed spans. Untrimmed, on the fixture corpus the padding made every
//! agent look slower than the script (191–199 字/分钟 measured for scripts at 207–233),
//! every silence 2 × 200 ms shorter than it was, and every change of speaker overlap by up to
//! 400 ms more than it did.

use super::Transcript;
use crate::shared::Role;

fn role_slot(role: Role) -> usize {
    match role {
        Role::Agent => 0,
        Role::Customer => 1,
        Role::Mixed => 2,
    }
}

/// `(start_ms, end_ms)` of each segment's speech, in segment order. A segment edge is
/// trimmed by the transcript's `vad.pad_ms` when it is a region edge, i.e. no other segment of
/// the same channel touches it (segments split from one region share their inner edges).
/// Never inverts a span: a segment shorter than its padding shrinks to its midpoint.
pub(super) fn speech_spans(t: &Transcript) -> Vec<(u64, u64)> {
    let pad = t.params.vad.pad_ms;
    let segs = &t.segments;
    let mut spans: Vec<(u64, u64)> = segs.iter().map(|s| (s.start_ms, s.end_ms)).collect();
    if pad == 0 {
        return spans;
    }
    // Per channel, in order of start: an edge is touched when an earlier-starting segment
    // reaches it, or a later-starting one begins at or before it and ends after it.
    // Grouped by role in segment order (a counting sort: one pass to count, one to place),
    // then each group sorted by times when it is not already (a transcript lists each
    // channel's segments in order, so it seldom needs to be). Groups are independent, so
    // their order does not matter.
    let mut starts = [0usize; 4];
    for s in segs {
        starts[role_slot(s.role) + 1] += 1;
    }
    for k in 1..4 {
        starts[k] += starts[k - 1];
    }
    let mut order = vec![0usize; segs.len()];
    let mut next = starts;
    for (i, s) in segs.iter().enumerate() {
        let k = role_slot(s.role);
        order[next[k]] = i;
        next[k] += 1;
    }
    for k in 0..3 {
        let group = &mut order[starts[k]..starts[k + 1]];
        let times = |&i: &usize| (segs[i].start_ms, segs[i].end_ms);
        if !group.is_sorted_by_key(times) {
            group.sort_by_key(times);
        }
    }
    for group in (0..3).map(|k| &order[starts[k]..starts[k + 1]]) {
        // Furthest end among the segments that start strictly earlier, and among all so far.
        let (mut before, mut all): (Option<u64>, Option<u64>) = (None, None);
        let mut last_start = None;
        for (k, &i) in group.iter().enumerate() {
            let s = &segs[i];
            if last_start != Some(s.start_ms) {
                before = all;
                last_start = Some(s.start_ms);
            }
            let touched_before = before.is_some_and(|r| r >= s.start_ms);
            let touched_after = group[k + 1..]
                .iter()
                .take_while(|&&j| segs[j].start_ms <= s.end_ms)
                .any(|&j| segs[j].end_ms > s.end_ms);
            all = Some(all.map_or(s.end_ms, |r| r.max(s.end_ms)));
            let mid = s.start_ms + s.end_ms.saturating_sub(s.start_ms) / 2;
            let start = if touched_before { s.start_ms } else { (s.start_ms + pad).min(mid) };
            let end = if touched_after { s.end_ms } else { s.end_ms.saturating_sub(pad).max(mid) };
            spans[i] = (start, end);
        }
    }
    spans
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transcript::Segment;

    fn seg(role: Role, start_ms: u64, end_ms: u64) -> Segment {
        Segment { role, start_ms, end_ms, text: "好".into(), raw_text: "好".into(), avg_token_prob: 0.9, no_speech_prob: 0.0 }
    }

    fn transcript(pad_ms: u64, segments: Vec<Segment>) -> Transcript {
        let mut t: Transcript = serde_json::from_str(
            r#"{"version":1,"call_id":"t","audio":{"path":"t.wav","sha256":"x","format":{"codec":{"codec":"mu_law"},"sample_rate":16000,"channels":2,"frames":0},"duration_ms":60000},
               "model":{"path":"m","sha256":"m"},"params":{},"channels":[],"segments":[],"producer":"test"}"#,
        )
        .unwrap();
        t.params.vad.pad_ms = pad_ms;
        t.segments = segments;
        t
    }

    #[test]
    fn region_edges_lose_the_padding_and_inner_edges_keep_their_times() {
        // One agent region split in two by Whisper (touching at 5000), then a customer turn.
        let t = transcript(
            200,
            vec![seg(Role::Agent, 1000, 5000), seg(Role::Agent, 5000, 8000), seg(Role::Customer, 7800, 9000)],
        );
        assert_eq!(speech_spans(&t), vec![(1200, 5000), (5000, 7800), (8000, 8800)]);
    }

    #[test]
    fn a_segment_shorter_than_its_padding_shrinks_to_its_midpoint() {
        let t = transcript(200, vec![seg(Role::Agent, 1000, 1300)]);
        assert_eq!(speech_spans(&t), vec![(1150, 1150)]);
    }

    /// The spans do not depend on the order the segments are listed in: a shuffled, interleaved
    /// listing (the sorting path) gives each segment the span the ordered listing does.
    #[test]
    fn listing_order_does_not_change_the_spans() {
        let ordered = vec![
            seg(Role::Agent, 1000, 5000),
            seg(Role::Agent, 5000, 8000),
            seg(Role::Agent, 5000, 8000),
            seg(Role::Agent, 9000, 9500),
            seg(Role::Customer, 7800, 9000),
            seg(Role::Customer, 8500, 12000),
            seg(Role::Mixed, 0, 700),
        ];
        let want = speech_spans(&transcript(200, ordered.clone()));
        for perm in [[6, 4, 3, 0, 5, 2, 1], [1, 0, 5, 4, 3, 6, 2], [3, 2, 1, 0, 6, 5, 4]] {
            let shuffled: Vec<Segment> = perm.iter().map(|&k| ordered[k].clone()).collect();
            let got = speech_spans(&transcript(200, shuffled));
            let back: Vec<(u64, u64)> = (0..perm.len()).map(|k| got[perm.iter().position(|&p| p == k).unwrap()]).collect();
            assert_eq!(back, want, "{perm:?}");
        }
    }

    #[test]
    fn hand_written_transcripts_say_pad_zero_and_keep_their_times() {
        let t = transcript(0, vec![seg(Role::Agent, 1000, 5000)]);
        assert_eq!(speech_spans(&t), vec![(1000, 5000)]);
    }
}
