//! Metric rules: measures of the call's timeline (greeting latency, dead air, speaking rate,
//! overtalk) and of its language.

use super::lexical::Hit;
use super::{Call, Finding, Scanner, Secs, finding_id, language, quote, role_slot};
use crate::shared::Role;
use crate::rules::{Metric, RoleFilter, Rule};

impl Scanner {
    pub(super) fn measure(&self, call: &Call, rule: &Rule, m: &Metric, hits: &[Hit], out: &mut Vec<Finding>) {
        let t = call.t;
        let segs = &t.segments;
        // Metrics measure speech, not the padded segments (see `Transcript::speech_spans`).
        let spans = call.spans();
        match m {
            Metric::GreetingLatency { max_ms } => {
                // Hits come in utterance order; the first is the greeting. Latency counts from
                // the start of the utterance: the greeting opens it.
                if let Some(h) = hits.first() {
                    let at = spans[h.first.utterance].0;
                    if at > *max_ms {
                        let mut f = self.hit_finding(call, rule, h);
                        f.value = Some(at as f64);
                        f.detail = format!("greeting at {} s, limit {} s", Secs(at), Secs(*max_ms));
                        out.push(f);
                    }
                }
            }
            Metric::DeadAir { max_ms } => {
                // Gaps between speech on the merged timeline of both channels.
                let mut order: Vec<usize> = (0..segs.len()).collect();
                order.sort_by_key(|&i| spans[i].0);
                let mut covered: Option<(u64, usize)> = None; // end of speech so far, and its segment
                for &i in &order {
                    let (start, stop) = spans[i];
                    if let Some((end, prev)) = covered
                        && start > end
                        && start - end > *max_ms
                    {
                        let gap = start - end;
                        let mut f = self.finding(
                            t,
                            rule,
                            end,
                            start,
                            None,
                            format!("{} s of silence, limit {} s", Secs(gap), Secs(*max_ms)),
                        );
                        f.before = Some(quote(segs, prev));
                        f.after = Some(quote(segs, i));
                        f.value = Some(gap as f64);
                        out.push(f);
                    }
                    if covered.is_none_or(|(end, _)| stop >= end) {
                        covered = Some((stop, i));
                    }
                }
            }
            Metric::SpeechRate { min_cpm, max_cpm, min_speech_ms } => {
                // A mono recording's `mixed` speech is both parties and the pauses between
                // their turns: it says nothing about one role's rate, so only `any` counts it.
                let counted = |r: Role| rule.role.matches(r) && (r != Role::Mixed || rule.role == RoleFilter::Any);
                let (mut chars, mut ms) = (0usize, 0u64);
                for ((s, n), (a, b)) in segs.iter().zip(&call.norms).zip(spans) {
                    if counted(s.role) {
                        chars += n.chars;
                        ms += b.saturating_sub(*a);
                    }
                }
                if ms == 0 || ms < *min_speech_ms {
                    return;
                }
                let cpm = chars as f64 * 60_000.0 / ms as f64;
                if cpm < *min_cpm as f64 || cpm > *max_cpm as f64 {
                    let mut f = self.finding(
                        t,
                        rule,
                        0,
                        call.duration,
                        None,
                        format!("{cpm:.0} characters per minute over {} s of speech, expected {min_cpm}–{max_cpm}", Secs(ms)),
                    );
                    f.value = Some(cpm);
                    out.push(f);
                }
            }
            Metric::Overtalk { min_overlap_ms } => {
                let mut sides = InProgress::sides(segs, spans);
                for (i, a) in segs.iter().enumerate() {
                    if a.role == Role::Mixed || !rule.role.matches(a.role) {
                        continue;
                    }
                    let (a_start, a_end) = spans[i];
                    // The other side's segment in progress when this one starts, if any.
                    let other_side = if a.role == Role::Agent { &mut sides[1] } else { &mut sides[0] };
                    let other = other_side.at(spans, a_start).map(|ci| (ci, &segs[ci]));
                    if let Some((ci, c)) = other {
                        let overlap = a_end.min(spans[ci].1).saturating_sub(a_start);
                        if overlap > *min_overlap_ms {
                            let id = finding_id(&t.call_id, &rule.id, self.pack.version(), a_start, i + 1, ci + 1);
                            let mut f = self.finding_with_id(
                                id,
                                t,
                                rule,
                                a_start,
                                a_start + overlap,
                                Some(i),
                                format!("started while the {} was speaking, {overlap} ms overlap, limit {min_overlap_ms} ms", c.role),
                            );
                            f.before = Some(quote(segs, ci));
                            f.value = Some(overlap as f64);
                            out.push(f);
                        }
                    }
                }
            }
            Metric::Language { languages, min_prob } => self.language(call, rule, languages, *min_prob, out),
        }
    }

    /// One finding per stretch of the role's consecutive utterances not in `languages` (the
    /// manual deducts "each time"). An utterance is foreign when its channel's identification
    /// says so with at least `min_prob`, or its text does ([`language::text_language`]).
    fn language(&self, call: &Call, rule: &Rule, languages: &[String], min_prob: f32, out: &mut Vec<Finding>) {
        let t = call.t;
        let segs = &t.segments;
        let listed = |l: &str| languages.iter().any(|x| x == l);
        // The channel verdict per role, when it is foreign: (language, probability).
        let channel = |role: Role| -> Option<(&str, f32)> {
            let ch = t.channels.iter().find(|c| c.role == role)?;
            let lang = ch.language.as_deref()?;
            let prob = ch.language_prob.unwrap_or(1.0);
            (!listed(lang) && prob >= min_prob).then_some((lang, prob))
        };
        // Each of the role's utterances with the evidence that it is foreign, if any.
        let verdicts: Vec<(usize, Option<String>)> = segs
            .iter()
            .enumerate()
            .filter(|(_, s)| rule.role.matches(s.role))
            .map(|(i, s)| {
                let why = match (channel(s.role), language::text_language(call.norms[i].chars, call.norms[i].cantonese, call.norms[i].latin)) {
                    (Some((lang, p)), _) => Some(format!("`{lang}` (channel identification, p = {p:.2})")),
                    (None, Some(lang)) if !listed(lang) => Some(format!("`{lang}` (from the text)")),
                    _ => None,
                };
                (i, why)
            })
            .collect();
        for run in verdicts.chunk_by(|a, b| a.1.is_some() == b.1.is_some()) {
            let Some(why) = &run[0].1 else { continue };
            let (first, last) = (run[0].0, run[run.len() - 1].0);
            let (start, end) = (segs[first].start_ms, segs[last].end_ms.max(segs[first].start_ms));
            let detail = format!(
                "{} speech not in {} for {} s over {} utterance(s): {why}",
                segs[first].role,
                languages.join(" or "),
                Secs(end - start),
                run.len()
            );
            let mut f = self.finding(t, rule, start, end, Some(first), detail);
            f.after = (last + 1 < segs.len()).then(|| quote(segs, last + 1));
            f.more_utterances = run[1..].iter().map(|&(i, _)| quote(segs, i)).collect();
            f.value = Some((end - start) as f64);
            out.push(f);
        }
    }
}

/// One role's segments, for finding the first (in transcript order) whose speech is in
/// progress at a given time. Overtalk asks this for every segment of the other role: a scan
/// of all segments each time made the metric quadratic in the call's length.
struct InProgress {
    /// The role's segments, in transcript order.
    idx: Vec<usize>,
    /// Whether their speech starts in that order too (as transcripts have it); then the
    /// segments started before a time are a prefix of `idx`, found by binary search.
    sorted: bool,
    /// The latest end of speech among `idx[..=k]`.
    max_end: Vec<u64>,
    /// For the last time asked ([`InProgress::at`]): how many of `idx` started before it,
    /// and how many of `max_end` are not after it; and that time.
    started: usize,
    ended: usize,
    last: u64,
}

impl InProgress {
    /// The agent's side and the customer's, in one pass over the segments (this runs for
    /// every call), each sized for the call rather than grown.
    fn sides(segs: &[crate::transcript::Segment], spans: &[(u64, u64)]) -> [InProgress; 2] {
        let mut sides = [(), ()].map(|_| InProgress {
            idx: Vec::with_capacity(segs.len()),
            sorted: true,
            max_end: Vec::with_capacity(segs.len()),
            started: 0,
            ended: 0,
            last: 0,
        });
        let (mut last_start, mut latest) = ([0u64; 2], [0u64; 2]);
        for (i, s) in segs.iter().enumerate() {
            // Agent and customer are slots 0 and 1; a mono call's mixed segments have no side.
            let k = role_slot(s.role);
            let Some(side) = sides.get_mut(k) else { continue };
            let (start, end) = spans[i];
            side.sorted &= side.idx.is_empty() || last_start[k] <= start;
            last_start[k] = start;
            latest[k] = latest[k].max(end);
            side.idx.push(i);
            side.max_end.push(latest[k]);
        }
        sides
    }

    /// The first segment started before `t` and ending after it. Times asked in increasing
    /// order (as overtalk asks them, in transcript order) move two cursors forward; an
    /// earlier time than the last one asked is found by binary search.
    fn at(&mut self, spans: &[(u64, u64)], t: u64) -> Option<usize> {
        if !self.sorted {
            return self.idx.iter().copied().find(|&i| spans[i].0 < t && spans[i].1 > t);
        }
        if t < self.last {
            self.started = self.idx.partition_point(|&i| spans[i].0 < t);
            self.ended = self.max_end.partition_point(|&m| m <= t);
        } else {
            while self.started < self.idx.len() && spans[self.idx[self.started]].0 < t {
                self.started += 1;
            }
            while self.ended < self.max_end.len() && self.max_end[self.ended] <= t {
                self.ended += 1;
            }
        }
        self.last = t;
        // The first segment ending after `t` is where the running latest end first passes
        // it, if that segment has started.
        (self.ended < self.started).then(|| self.idx[self.ended])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transcript::Segment;

    /// The search agrees with a scan of every segment, on ordered and on shuffled timelines.
    #[test]
    fn in_progress_agrees_with_a_scan() {
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        for round in 0..200 {
            let n = (next() % 30) as usize;
            let mut starts: Vec<u64> = (0..n).map(|_| next() % 20_000).collect();
            if round % 2 == 0 {
                starts.sort();
            }
            let spans: Vec<(u64, u64)> = starts.iter().map(|&s| (s, s + next() % 6_000)).collect();
            let segs: Vec<Segment> = (0..n)
                .map(|i| Segment {
                    role: [Role::Agent, Role::Customer, Role::Mixed][(next() % 3) as usize],
                    start_ms: spans[i].0,
                    end_ms: spans[i].1,
                    raw_text: String::new(),
                    text: String::new(),
                    avg_token_prob: 0.9,
                    no_speech_prob: 0.0,
                })
                .collect();
            for (role, mut side) in [Role::Agent, Role::Customer].into_iter().zip(InProgress::sides(&segs, &spans)) {
                // Times in order, then out of order (back to the start, a jump, equal ones).
                let times = (0..27_000).step_by(250).chain([0, 13_000, 13_000, 700, 26_000, 5_000, 5_001]);
                for t in times {
                    let scan = (0..n).find(|&i| segs[i].role == role && spans[i].0 < t && spans[i].1 > t);
                    assert_eq!(side.at(&spans, t), scan, "round {round}, t {t}");
                }
            }
        }
    }
}
