//! Metric rules: measures of the call's timeline (greeting latency, dead air, speaking rate,
//! overtalk) and of its language.

use super::lexical::Hit;
use super::{Call, Finding, Scanner, finding_id, language, quote};
use crate::audio::Role;
use crate::rules::{Metric, RoleFilter, Rule};

impl Scanner {
    pub(super) fn measure(&self, call: &Call, rule: &Rule, m: &Metric, hits: &[Hit], out: &mut Vec<Finding>) {
        let t = call.t;
        let segs = &t.segments;
        // Metrics measure speech, not the padded segments (see `timing`).
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
                        f.detail = format!("greeting at {:.1} s, limit {:.1} s", at as f64 / 1000.0, *max_ms as f64 / 1000.0);
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
                            format!("{:.1} s of silence, limit {:.1} s", gap as f64 / 1000.0, *max_ms as f64 / 1000.0),
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
                        format!("{cpm:.0} characters per minute over {:.1} s of speech, expected {min_cpm}–{max_cpm}", ms as f64 / 1000.0),
                    );
                    f.value = Some(cpm);
                    out.push(f);
                }
            }
            Metric::Overtalk { min_overlap_ms } => {
                for (i, a) in segs.iter().enumerate() {
                    if a.role == Role::Mixed || !rule.role.matches(a.role) {
                        continue;
                    }
                    let (a_start, a_end) = spans[i];
                    // The other side's segment in progress when this one starts, if any.
                    let other = segs.iter().enumerate().find(|&(ci, c)| {
                        c.role != a.role && c.role != Role::Mixed && spans[ci].0 < a_start && spans[ci].1 > a_start
                    });
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
                let why = match (channel(s.role), language::text_language(call.norm(i), call.norms[i].chars)) {
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
                "{} speech not in {} for {:.1} s over {} utterance(s): {why}",
                segs[first].role,
                languages.join(" or "),
                (end - start) as f64 / 1000.0,
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
