//! Packing speech regions into Whisper windows, with a time map back to the call.
//!
//! Whisper's encoder always runs on a 30 s window, however little of it holds audio, and the
//! encoder dominates the cost on a CPU. So the speech regions of a channel are laid end to end,
//! separated by a short stretch of silence (which lets Whisper close a segment between them),
//! until a window is full. Each piece remembers where it came from, and a timestamp that
//! Whisper gives inside the window is mapped back to the channel's own timeline.

use super::vad::Span;

/// A stretch of source audio placed inside a window.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Piece {
    /// Where the piece starts on the source timeline.
    pub src_start_ms: u64,
    /// Where it starts inside the window.
    pub win_start_ms: u64,
    /// Its length.
    pub len_ms: u64,
}

/// One decoder window: pieces of source audio laid end to end with silent gaps between them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Window {
    pieces: Vec<Piece>,
    len_ms: u64,
}

impl Window {
    /// The pieces, in window order (which is also source order).
    pub fn pieces(&self) -> &[Piece] {
        &self.pieces
    }

    /// Length of the window's audio in milliseconds (at most the packing limit).
    pub fn len_ms(&self) -> u64 {
        self.len_ms
    }

    /// Source audio covered by the window, in milliseconds (the window less its gaps).
    pub fn speech_ms(&self) -> u64 {
        self.pieces.iter().map(|p| p.len_ms).sum()
    }

    /// Maps a time inside the window to the source timeline. A time inside a gap maps to the
    /// nearer edge of the pieces around it; past the end, to the end of the last piece.
    pub fn to_source(&self, win_ms: u64) -> u64 {
        let mut prev_end: Option<(u64, u64)> = None; // (window end, source end) of the previous piece
        for p in &self.pieces {
            if win_ms < p.win_start_ms {
                return match prev_end {
                    Some((we, se)) if win_ms - we < p.win_start_ms - win_ms => se,
                    _ => p.src_start_ms,
                };
            }
            if win_ms <= p.win_start_ms + p.len_ms {
                return p.src_start_ms + (win_ms - p.win_start_ms);
            }
            prev_end = Some((p.win_start_ms + p.len_ms, p.src_start_ms + p.len_ms));
        }
        prev_end.map(|(_, se)| se).unwrap_or(0)
    }

    /// Builds the window's 16 kHz samples from the source channel.
    pub fn samples(&self, source: &[f32]) -> Vec<f32> {
        let at = |ms: u64| (ms as usize * 16).min(source.len());
        let mut out = vec![0.0f32; self.len_ms as usize * 16];
        for p in &self.pieces {
            let src = &source[at(p.src_start_ms)..at(p.src_start_ms + p.len_ms)];
            let dst = p.win_start_ms as usize * 16;
            out[dst..dst + src.len()].copy_from_slice(src);
        }
        out
    }
}

/// Packs time-ordered regions into windows of at most `max_ms`, with `gap_ms` of silence
/// between pieces. A region longer than a window is cut into window-sized pieces.
pub fn pack(regions: &[Span], max_ms: u64, gap_ms: u64) -> Vec<Window> {
    assert!(max_ms > gap_ms, "window must be longer than the gap between pieces");
    let mut windows = Vec::new();
    let mut cur = Window::default();
    for r in regions {
        let mut start = r.start_ms;
        while start < r.end_ms {
            let offset = if cur.pieces.is_empty() { 0 } else { cur.len_ms + gap_ms };
            let room = max_ms.saturating_sub(offset);
            let want = r.end_ms - start;
            // Cut a region only when it cannot fit even an empty window; otherwise start a new one.
            if want > room && !cur.pieces.is_empty() && want <= max_ms {
                windows.push(std::mem::take(&mut cur));
                continue;
            }
            if room == 0 {
                windows.push(std::mem::take(&mut cur));
                continue;
            }
            let len = want.min(room);
            cur.pieces.push(Piece { src_start_ms: start, win_start_ms: offset, len_ms: len });
            cur.len_ms = offset + len;
            start += len;
        }
    }
    if !cur.pieces.is_empty() {
        windows.push(cur);
    }
    windows
}

#[cfg(test)]
mod tests {
    use super::*;

    fn span(a: u64, b: u64) -> Span {
        Span { start_ms: a, end_ms: b }
    }

    #[test]
    fn regions_fill_windows_in_order() {
        let w = pack(&[span(1000, 11000), span(20000, 30000), span(40000, 52000)], 30000, 500);
        assert_eq!(w.len(), 2);
        assert_eq!(w[0].pieces().len(), 2);
        assert_eq!(w[0].len_ms(), 20500);
        assert_eq!(w[1].pieces(), &[Piece { src_start_ms: 40000, win_start_ms: 0, len_ms: 12000 }]);
        let total: u64 = w.iter().map(Window::speech_ms).sum();
        assert_eq!(total, 32000);
    }

    #[test]
    fn long_region_is_cut_into_full_windows() {
        let w = pack(&[span(0, 70000)], 30000, 500);
        assert_eq!(w.iter().map(Window::len_ms).collect::<Vec<_>>(), vec![30000, 30000, 10000]);
        assert_eq!(w[1].pieces()[0].src_start_ms, 30000);
    }

    #[test]
    fn times_map_back_to_the_source() {
        let w = &pack(&[span(1000, 3000), span(10000, 12000)], 30000, 1000)[0];
        assert_eq!(w.to_source(0), 1000);
        assert_eq!(w.to_source(1500), 2500);
        assert_eq!(w.to_source(2000), 3000);
        // Inside the gap (2000..3000): nearer edge.
        assert_eq!(w.to_source(2200), 3000);
        assert_eq!(w.to_source(2800), 10000);
        assert_eq!(w.to_source(3500), 10500);
        assert_eq!(w.to_source(9999), 12000);
    }

    #[test]
    fn samples_hold_the_pieces_and_silence_between() {
        let source: Vec<f32> = (0..16 * 5000).map(|i| (i / 16) as f32).collect(); // value = ms
        let w = &pack(&[span(1000, 1010), span(2000, 2010)], 30000, 5)[0];
        let s = w.samples(&source);
        assert_eq!(s.len(), 25 * 16);
        assert_eq!(s[0], 1000.0);
        assert_eq!(s[10 * 16], 0.0); // gap
        assert_eq!(s[15 * 16], 2000.0);
    }

    #[test]
    fn no_regions_no_windows() {
        assert!(pack(&[], 30000, 500).is_empty());
    }
}
