//! From phrase occurrences to hits: the operators `any`, `all` and `near`, `unless`, and the
//! situational trigger `after`.
//!
//! The scan first collects, per rule, the occurrences in the utterances the rule looks at
//! ([`Occ`]); this module then decides what they amount to. `any` and `near` are judged inside
//! each utterance; `all` over the whole scope (the rule's window, its trigger's response, or the
//! call), because Whisper splits one spoken sentence into several segments.

use crate::rules::matcher::{MatchMode, Occurrence};
use crate::rules::{Lexical, Reach, RoleFilter, Rule, Slot};
use crate::transcript::Segment;

/// One occurrence in utterance `utterance`.
#[derive(Clone, Copy, Debug)]
pub(super) struct Occ {
    pub utterance: usize,
    pub o: Occurrence,
}

/// Matched normalised characters `start..end` of one utterance.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Part {
    pub utterance: usize,
    pub start: usize,
    pub end: usize,
}

/// A hit: one part, or several in different utterances (an `all` over a window), in order.
#[derive(Clone, Debug)]
pub(super) struct Hit {
    pub first: Part,
    /// Further parts, in later utterances; empty for single-utterance hits (no allocation).
    pub rest: Vec<Part>,
    pub mode: MatchMode,
    pub similarity: f32,
    /// The trigger occurrence whose response window holds the hit.
    pub trigger: Option<Part>,
}

impl Hit {
    fn one(utterance: usize, o: &Occurrence) -> Hit {
        Hit {
            first: Part { utterance, start: o.start, end: o.end },
            rest: Vec::new(),
            mode: o.mode,
            similarity: o.similarity,
            trigger: None,
        }
    }

    /// The last part.
    pub fn last(&self) -> Part {
        *self.rest.last().unwrap_or(&self.first)
    }

    /// Every part, in order.
    pub fn parts(&self) -> impl Iterator<Item = Part> + '_ {
        std::iter::once(self.first).chain(self.rest.iter().copied())
    }
}

fn worse_mode(a: MatchMode, b: MatchMode) -> MatchMode {
    if a == MatchMode::Fuzzy || b == MatchMode::Fuzzy { MatchMode::Fuzzy } else { MatchMode::Exact }
}

/// The hits of `rule` among `occ` (sorted by utterance, then start, longest first), all of
/// which lie in one scope. Trigger occurrences are ignored here.
pub(super) fn hits(rule: &Rule, occ: &[Occ], out: &mut Vec<Hit>) {
    match &rule.lexical {
        Some(Lexical::All(groups)) => all_hits(groups.len(), occ, out),
        _ => {
            for group in occ.chunk_by(|a, b| a.utterance == b.utterance) {
                utterance_hits(rule, group, out);
            }
        }
    }
}

/// One utterance's occurrences for `any`, `near` and phrase metrics.
fn utterance_hits(rule: &Rule, occ: &[Occ], out: &mut Vec<Hit>) {
    let Some(utterance) = occ.first().map(|o| o.utterance) else { return };
    let cond = || occ.iter().map(|o| &o.o).filter(|o| !matches!(o.slot, Slot::Unless | Slot::Trigger));
    match &rule.lexical {
        Some(Lexical::Any(_)) => {
            // Overlapping occurrences (我不知道 and 不知道) are one hit: keep the longest, and
            // an exact occurrence over a fuzzy one.
            let base = out.len();
            for o in cond().filter(|o| o.slot == Slot::Any) {
                match out[base..].last_mut() {
                    Some(k) if o.start < k.first.end => {
                        let better = (o.similarity, o.end - o.start) > (k.similarity, k.first.end - k.first.start);
                        if better {
                            *k = Hit::one(utterance, o);
                        }
                    }
                    _ => out.push(Hit::one(utterance, o)),
                }
            }
        }
        Some(Lexical::Near(n)) => {
            // Each `a` occurrence pairs with the closest `b` occurrence within range.
            let bs: Vec<&Occurrence> = cond().filter(|o| o.slot == Slot::NearB).collect();
            let mut last_end = 0;
            for a in cond().filter(|o| o.slot == Slot::NearA) {
                let gap = |b: &Occurrence| if b.start >= a.end { b.start - a.end } else { a.start.saturating_sub(b.end) };
                let best = bs.iter().filter(|b| gap(b) <= n.within).min_by_key(|b| gap(b));
                if let Some(b) = best {
                    let h = Hit {
                        first: Part { utterance, start: a.start.min(b.start), end: a.end.max(b.end) },
                        rest: Vec::new(),
                        mode: worse_mode(a.mode, b.mode),
                        similarity: a.similarity.min(b.similarity),
                        trigger: None,
                    };
                    if h.first.start >= last_end {
                        last_end = h.first.end;
                        out.push(h);
                    }
                }
            }
        }
        Some(Lexical::All(_)) => {}
        None => {
            // Metric rules with phrases (greeting latency) take any occurrence.
            if let Some(o) = cond().next() {
                out.push(Hit::one(utterance, o));
            }
        }
    }
}

/// `all` over a scope: the best occurrence of each group (highest similarity, then earliest);
/// one hit when every group has one. Parts in the same utterance merge into one span.
fn all_hits(groups: usize, occ: &[Occ], out: &mut Vec<Hit>) {
    let mut best: Vec<Option<&Occ>> = vec![None; groups];
    for x in occ {
        let Slot::All(g) = x.o.slot else { continue };
        let slot = &mut best[g as usize];
        if slot.is_none_or(|b| x.o.similarity > b.o.similarity) {
            *slot = Some(x);
        }
    }
    let Some(mut chosen) = best.into_iter().collect::<Option<Vec<&Occ>>>() else { return };
    if chosen.is_empty() {
        return;
    }
    chosen.sort_by_key(|x| (x.utterance, x.o.start));
    let mut parts: Vec<Part> = Vec::with_capacity(chosen.len());
    for x in &chosen {
        match parts.last_mut() {
            Some(p) if p.utterance == x.utterance => {
                p.start = p.start.min(x.o.start);
                p.end = p.end.max(x.o.end);
            }
            _ => parts.push(Part { utterance: x.utterance, start: x.o.start, end: x.o.end }),
        }
    }
    let mode = chosen.iter().fold(MatchMode::Exact, |m, x| worse_mode(m, x.o.mode));
    let similarity = chosen.iter().map(|x| x.o.similarity).fold(1.0f32, f32::min);
    let first = parts.remove(0);
    out.push(Hit { first, rest: parts, mode, similarity, trigger: None });
}

/// A trigger and the utterances of the rule's role that answer it.
#[derive(Clone, Debug)]
pub(super) struct Response {
    pub trigger: Part,
    /// Utterance indices, in order; empty when the call ends (or the role never speaks again).
    pub utterances: Vec<usize>,
}

/// The responses to `rule`'s trigger: one per utterance holding a trigger phrase, except that
/// a trigger repeated before the role has answered (two lines of 听不清 in a row) is the same
/// situation as the first and is merged into it.
pub(super) fn responses(rule: &Rule, reach: Reach, segs: &[Segment], occ: &[Occ]) -> Vec<Response> {
    let mut out: Vec<Response> = Vec::new();
    let answers = |i: usize| rule.role.matches(segs[i].role);
    for group in occ.chunk_by(|a, b| a.utterance == b.utterance) {
        let Some(t) = group.iter().find(|x| x.o.slot == Slot::Trigger) else { continue };
        let i = t.utterance;
        if let Some(prev) = out.last() {
            let answered = (prev.trigger.utterance + 1..i).any(answers);
            if !answered {
                continue;
            }
        }
        let end = segs[i].end_ms;
        let utterances: Vec<usize> = match reach {
            Reach::Utterances(n) => (i..segs.len()).filter(|&j| answers(j)).take(n).collect(),
            Reach::Ms(ms) => (i..segs.len()).filter(|&j| answers(j) && segs[j].start_ms <= end.saturating_add(ms)).collect(),
        };
        out.push(Response { trigger: Part { utterance: i, start: t.o.start, end: t.o.end }, utterances });
    }
    out
}

/// Whether utterance `i` can hold a trigger of `rule`: spoken by the trigger's role, and not a
/// mono (mixed) segment when the trigger's role differs from the rule's — in a mono call a
/// trigger cannot tell who spoke, and "the customer thanked, the agent did not answer" would
/// fire on the agent's own thanks.
pub(super) fn may_trigger(rule: &Rule, role: crate::shared::Role) -> bool {
    rule.after.as_ref().is_some_and(|t| {
        t.role.matches(role) && !(role == crate::shared::Role::Mixed && t.role != rule.role && t.role != RoleFilter::Any)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn occ(utterance: usize, slot: Slot, start: usize, end: usize) -> Occ {
        Occ { utterance, o: Occurrence { rule: 0, slot, start, end, mode: MatchMode::Exact, similarity: 1.0 } }
    }

    #[test]
    fn all_spans_utterances_and_merges_parts_of_one() {
        let mut out = Vec::new();
        all_hits(2, &[occ(0, Slot::All(0), 0, 2), occ(1, Slot::All(1), 4, 11)], &mut out);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].first, Part { utterance: 0, start: 0, end: 2 });
        assert_eq!(out[0].rest, vec![Part { utterance: 1, start: 4, end: 11 }]);
        out.clear();
        all_hits(2, &[occ(3, Slot::All(1), 5, 9), occ(3, Slot::All(0), 0, 2)], &mut out);
        assert_eq!((out[0].first, out[0].rest.len()), (Part { utterance: 3, start: 0, end: 9 }, 0));
        out.clear();
        all_hits(2, &[occ(0, Slot::All(0), 0, 2), occ(1, Slot::All(0), 0, 2)], &mut out);
        assert!(out.is_empty(), "a group missing everywhere: no hit");
    }
}
