//! Packing speech regions into Whisper windows, with a time map back to the call.
//!
//! Whisper's encoder always runs on a 30 s window, however little of it holds audio, and the
//! encoder dominates the cost on a CPU. So speech regions are laid end to end, separated by a
//! short stretch of silence (which lets Whisper close a segment between them), until a window
//! is full. Regions may come from several sources (the two channels of a stereo call, which
//! mostly take turns): each piece remembers its source and where it came from, and a time
//! that Whisper gives inside the window maps back to a source and a time on its timeline.

use super::vad::Span;

/// A stretch of one source's audio placed inside a window.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Piece {
    /// Index of the source (channel) the audio comes from.
    pub source: usize,
    /// Where the piece starts on the source timeline.
    pub src_start_ms: u64,
    /// Where it starts inside the window.
    pub win_start_ms: u64,
    /// Its length.
    pub len_ms: u64,
}

impl Piece {
    fn win_end_ms(&self) -> u64 {
        self.win_start_ms + self.len_ms
    }

    /// Distance from a window time to this piece (0 inside it).
    fn distance(&self, win_ms: u64) -> u64 {
        if win_ms < self.win_start_ms {
            self.win_start_ms - win_ms
        } else {
            win_ms.saturating_sub(self.win_end_ms())
        }
    }

    /// Maps a window time onto the source timeline, clamped to this piece.
    pub fn map(&self, win_ms: u64) -> u64 {
        self.src_start_ms + win_ms.clamp(self.win_start_ms, self.win_end_ms()) - self.win_start_ms
    }
}

/// One decoder window: pieces of source audio laid end to end with silent gaps between them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Window {
    pieces: Vec<Piece>,
    len_ms: u64,
}

impl Window {
    /// The pieces, in window order.
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

    /// The piece holding a window time, or the nearest one (ties go to the earlier piece).
    pub fn piece_at(&self, win_ms: u64) -> Option<&Piece> {
        self.piece_index_at(win_ms).map(|i| &self.pieces[i])
    }

    /// Index of [`Window::piece_at`]'s piece.
    pub fn piece_index_at(&self, win_ms: u64) -> Option<usize> {
        (0..self.pieces.len()).min_by_key(|&i| self.pieces[i].distance(win_ms))
    }

    /// Maps a window time to `(source, time on the source's timeline)` through the nearest
    /// piece. A time inside a gap maps to the nearer edge of the pieces around it.
    pub fn to_source(&self, win_ms: u64) -> Option<(usize, u64)> {
        self.piece_at(win_ms).map(|p| (p.source, p.map(win_ms)))
    }

    /// Maps a window time onto the timeline of one given source, through that source's
    /// nearest piece (used for the ends of a segment already known to belong to `source`).
    pub fn to_source_of(&self, source: usize, win_ms: u64) -> Option<u64> {
        self.pieces.iter().filter(|p| p.source == source).min_by_key(|p| p.distance(win_ms)).map(|p| p.map(win_ms))
    }

    /// Milliseconds of the window span `[a, b)` that lie in pieces of each source.
    pub fn overlap_by_source(&self, a: u64, b: u64, n_sources: usize) -> Vec<u64> {
        let mut out = vec![0; n_sources];
        for p in &self.pieces {
            let lo = a.max(p.win_start_ms);
            let hi = b.min(p.win_end_ms());
            if hi > lo && p.source < n_sources {
                out[p.source] += hi - lo;
            }
        }
        out
    }

    /// The same audio packed into windows of at most half this one's length (two or more, unless
    /// the window is too short to cut), for a second look at a window whose decode came back
    /// with too little text.
    pub fn halves(&self, gap_ms: u64) -> Vec<Window> {
        let regions: Vec<(usize, Span)> = self
            .pieces
            .iter()
            .map(|p| (p.source, Span { start_ms: p.src_start_ms, end_ms: p.src_start_ms + p.len_ms }))
            .collect();
        pack(&regions, self.len_ms.div_ceil(2).max(1_000), gap_ms)
    }

    /// Builds the window's 16 kHz samples from the sources.
    pub fn samples(&self, sources: &[&[f32]]) -> Vec<f32> {
        let mut out = vec![0.0f32; self.len_ms as usize * 16];
        for p in &self.pieces {
            let Some(src) = sources.get(p.source) else { continue };
            let at = |ms: u64| (ms as usize * 16).min(src.len());
            let piece = &src[at(p.src_start_ms)..at(p.src_start_ms + p.len_ms)];
            let dst = p.win_start_ms as usize * 16;
            out[dst..dst + piece.len()].copy_from_slice(piece);
        }
        out
    }
}

/// Packs regions (each tagged with its source) into windows of at most `max_ms`, with
/// `gap_ms` of silence between pieces. Regions are taken in order of start time; a region
/// that does not fit the current window starts a new one, and a region longer than a window
/// is cut into window-sized pieces.
pub fn pack(regions: &[(usize, Span)], max_ms: u64, gap_ms: u64) -> Vec<Window> {
    let max_ms = max_ms.max(gap_ms + 1);
    let mut order: Vec<&(usize, Span)> = regions.iter().collect();
    order.sort_by_key(|(src, s)| (s.start_ms, *src));
    let mut windows = Vec::new();
    let mut cur = Window::default();
    for &&(source, r) in &order {
        let mut start = r.start_ms;
        while start < r.end_ms {
            let offset = if cur.pieces.is_empty() { 0 } else { cur.len_ms + gap_ms };
            let room = max_ms.saturating_sub(offset);
            let want = r.end_ms - start;
            if !cur.pieces.is_empty() && (room == 0 || (want > room && want <= max_ms)) {
                windows.push(std::mem::take(&mut cur));
                continue;
            }
            let len = want.min(room);
            cur.pieces.push(Piece { source, src_start_ms: start, win_start_ms: offset, len_ms: len });
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

    fn span(a: u64, b: u64) -> (usize, Span) {
        (0, Span { start_ms: a, end_ms: b })
    }

    fn on(src: usize, a: u64, b: u64) -> (usize, Span) {
        (src, Span { start_ms: a, end_ms: b })
    }

    #[test]
    fn regions_fill_windows_in_order() {
        let w = pack(&[span(1000, 11000), span(20000, 30000), span(40000, 52000)], 30000, 500);
        assert_eq!(w.len(), 2);
        assert_eq!(w[0].pieces().len(), 2);
        assert_eq!(w[0].len_ms(), 20500);
        assert_eq!(w[1].pieces(), &[Piece { source: 0, src_start_ms: 40000, win_start_ms: 0, len_ms: 12000 }]);
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
        assert_eq!(w.to_source(0), Some((0, 1000)));
        assert_eq!(w.to_source(1500), Some((0, 2500)));
        assert_eq!(w.to_source(2000), Some((0, 3000)));
        // Inside the gap (2000..3000): nearer edge.
        assert_eq!(w.to_source(2200), Some((0, 3000)));
        assert_eq!(w.to_source(2800), Some((0, 10000)));
        assert_eq!(w.to_source(3500), Some((0, 10500)));
        assert_eq!(w.to_source(9999), Some((0, 12000)));
        assert_eq!(Window::default().to_source(5), None);
    }

    #[test]
    fn turns_of_two_channels_share_a_window_and_map_to_their_own_channel() {
        // Agent (0) and customer (1) take turns.
        let w = pack(&[on(1, 4000, 6000), on(0, 1000, 3000), on(0, 7000, 8000)], 30000, 500);
        assert_eq!(w.len(), 1);
        let sources: Vec<usize> = w[0].pieces().iter().map(|p| p.source).collect();
        assert_eq!(sources, [0, 1, 0]);
        assert_eq!(w[0].to_source(3000), Some((1, 4500))); // 2000 + 500 gap → customer piece
        assert_eq!(w[0].to_source_of(0, 3000), Some(3000)); // the agent's view of that time
        assert_eq!(w[0].overlap_by_source(1000, 5000, 2), vec![1000, 2000]);
    }

    #[test]
    fn samples_hold_the_pieces_and_silence_between() {
        let a: Vec<f32> = (0..16 * 5000).map(|i| (i / 16) as f32).collect(); // value = ms
        let b: Vec<f32> = vec![-1.0; 16 * 5000];
        let w = &pack(&[span(1000, 1010), on(1, 2000, 2010)], 30000, 5)[0];
        let s = w.samples(&[&a, &b]);
        assert_eq!(s.len(), 25 * 16);
        assert_eq!(s[0], 1000.0);
        assert_eq!(s[10 * 16], 0.0); // gap
        assert_eq!(s[15 * 16], -1.0);
    }

    #[test]
    fn halves_hold_the_same_audio_in_shorter_windows() {
        let w = &pack(&[on(0, 1000, 9000), on(1, 9500, 14000), on(0, 15000, 27000)], 30000, 500)[0];
        let h = w.halves(500);
        assert!(h.len() >= 2 && h.iter().all(|x| x.len_ms() <= w.len_ms().div_ceil(2)), "{h:?}");
        assert_eq!(h.iter().map(Window::speech_ms).sum::<u64>(), w.speech_ms());
        let a: Vec<f32> = (0..16 * 30_000).map(|i| (i / 16) as f32).collect();
        let b: Vec<f32> = (0..16 * 30_000).map(|i| -((i / 16) as f32)).collect();
        let whole: Vec<f32> = w.samples(&[&a, &b]).into_iter().filter(|&x| x != 0.0).collect();
        let parts: Vec<f32> = h.iter().flat_map(|x| x.samples(&[&a, &b])).filter(|&x| x != 0.0).collect();
        assert_eq!(whole, parts);
    }

    #[test]
    fn no_regions_no_windows() {
        assert!(pack(&[], 30000, 500).is_empty());
    }
}
