//! The rule scan: a [`Transcript`] and a compiled pack in, one [`Finding`] per hit out.
//!
//! Per call, every utterance is normalised once and passed once through the pack's matcher,
//! for the rules whose role, window or trigger admit it; the occurrences are then collected
//! per rule and the rule's operator (any / all / near, `unless`, `after`, `min_count`) decides
//! what is a hit ([`lexical`]). Required rules unmet yield one finding spanning where the
//! phrase was expected. Metric rules measure the timeline ([`metrics`]). Calls are
//! independent, so [`scan_files`] spreads them over threads with rayon.

mod files;
mod language;
mod lexical;
mod metrics;

use crate::shared::Role;
use crate::rules::matcher::{MatchMode, Matcher, Occurrence};
use crate::rules::normalize::{CharBuffer, Normalized, normalize_into};
use crate::rules::{Kind, Pack, Reach, RoleFilter, Rule, Slot, Window};
use crate::transcript::{Segment, Transcript};

pub use crate::finding::{FINDINGS_VERSION, Finding, FindingsFile, Utterance};
pub use files::{ScanOutcome, ScanTally, collect_transcripts, scan_file, scan_files};
use lexical::{Hit, Occ};

/// A pack compiled for scanning; build once, share between threads.
#[derive(Debug)]
pub struct Scanner {
    pack: Pack,
    matcher: Matcher,
    /// Which rules look at an utterance, by the utterance's role ([`role_slot`]), for the
    /// rules whose answer depends on the role alone; `windowed` lists the others.
    masks: [Masks; 3],
    windowed: Vec<usize>,
}

/// Per rule: whether its condition looks at an utterance, whether the utterance may hold its
/// trigger, and either.
#[derive(Debug, Default)]
struct Masks {
    cond: Vec<bool>,
    trig: Vec<bool>,
    eligible: Vec<bool>,
    any: bool,
    /// Whether an eligible rule is fuzzy ([`Matcher::any_fuzzy`]).
    fuzzy: bool,
}

impl Masks {
    /// Becomes a copy of `source`, reusing its own buffers: the scan copies a mask for each
    /// utterance a windowed rule looks at, and a fresh clone allocated three vectors each time.
    fn copy_from(&mut self, source: &Masks) {
        self.cond.clone_from(&source.cond);
        self.trig.clone_from(&source.trig);
        self.eligible.clone_from(&source.eligible);
        self.any = source.any;
        self.fuzzy = source.fuzzy;
    }
}

fn role_slot(role: Role) -> usize {
    match role {
        Role::Agent => 0,
        Role::Customer => 1,
        Role::Mixed => 2,
    }
}

/// A call's occurrences grouped by rule, each rule's in utterance order: one flat list
/// (a list per rule cost an allocation or more per rule that matched).
struct RuleOccs {
    list: Vec<Occ>,
    /// Where each rule's occurrences start in `list`, plus the end.
    starts: Vec<usize>,
}

impl RuleOccs {
    /// Groups `occs` (in utterance order) by rule, keeping their order: a counting sort.
    fn of(occs: Vec<Occ>, rules: usize) -> RuleOccs {
        let mut starts = vec![0usize; rules + 1];
        for o in &occs {
            starts[o.o.rule + 1] += 1;
        }
        for r in 0..rules {
            starts[r + 1] += starts[r];
        }
        if occs.windows(2).all(|w| w[0].o.rule <= w[1].o.rule) {
            return RuleOccs { list: occs, starts };
        }
        let mut next = starts.clone();
        let mut list = occs.clone();
        for o in occs {
            list[next[o.o.rule]] = o;
            next[o.o.rule] += 1;
        }
        RuleOccs { list, starts }
    }
}

impl std::ops::Index<usize> for RuleOccs {
    type Output = [Occ];
    fn index(&self, rule: usize) -> &[Occ] {
        &self.list[self.starts[rule]..self.starts[rule + 1]]
    }
}

/// What the scan knows about one call besides its transcript.
struct Call<'a> {
    t: &'a Transcript,
    /// Every utterance's normalised characters, one after another (one allocation per call):
    /// what the matcher reads. The text is made from them only for the few findings that
    /// quote it.
    chars: CharBuffer,
    norms: Vec<Norm>,
    duration: u64,
    /// Rank of each segment among those each role filter admits ([`FILTERS`] order).
    ranks: Vec<[usize; 3]>,
    totals: [usize; 3],
    /// Each segment's speech without padding ([`Transcript::speech_spans`]), for the metrics.
    spans: std::cell::OnceCell<Vec<(u64, u64)>>,
}

/// Where an utterance's normalised characters start in [`Call::chars`] and how many there
/// are, and what the language check needs of it.
#[derive(Clone, Copy, Debug)]
struct Norm {
    first: usize,
    chars: usize,
    /// Whether it holds a Cantonese particle, and how many ASCII letters: for the language check.
    cantonese: bool,
    latin: usize,
}

const FILTERS: [RoleFilter; 3] = [RoleFilter::Agent, RoleFilter::Customer, RoleFilter::Any];

fn fidx(f: RoleFilter) -> usize {
    match f {
        RoleFilter::Agent => 0,
        RoleFilter::Customer => 1,
        RoleFilter::Any => 2,
    }
}

impl<'a> Call<'a> {
    fn spans(&self) -> &[(u64, u64)] {
        self.spans.get_or_init(|| self.t.speech_spans())
    }

    fn new(t: &'a Transcript) -> Call<'a> {
        let bytes: usize = t.segments.iter().map(|s| s.text.len()).sum();
        let mut chars = CharBuffer::with_capacity(bytes / 3 + 1);
        let norms = t
            .segments
            .iter()
            .map(|s| {
                let first = chars.chars().len();
                let n = chars.append(&s.text);
                Norm { first, chars: n.chars, cantonese: n.cantonese, latin: n.latin_letters }
            })
            .collect();
        let mut totals = [0usize; 3];
        let ranks = t
            .segments
            .iter()
            .map(|s| {
                let mut r = [usize::MAX; 3];
                for (k, f) in FILTERS.iter().enumerate() {
                    if f.matches(s.role) {
                        r[k] = totals[k];
                        totals[k] += 1;
                    }
                }
                r
            })
            .collect();
        Call {
            t,
            chars,
            norms,
            duration: call_duration(t),
            ranks,
            totals,
            spans: std::cell::OnceCell::new(),
        }
    }

    /// Utterance `i`'s normalised characters.
    fn norm_chars(&self, i: usize) -> &[char] {
        let n = &self.norms[i];
        &self.chars.chars()[n.first..n.first + n.chars]
    }

    /// Normalised characters `chars` of utterance `i`, as text.
    fn norm_slice(&self, i: usize, chars: std::ops::Range<usize>) -> String {
        self.norm_chars(i)[chars].iter().collect()
    }

    /// Whether `rule`'s condition looks at utterance `i` (role and window).
    fn admits(&self, rule: &Rule, i: usize) -> bool {
        let k = fidx(rule.role);
        let seg = &self.t.segments[i];
        rule.role.matches(seg.role) && in_window(rule.window, seg, self.duration, self.ranks[i][k], self.totals[k])
    }

    /// The utterances `rule`'s condition looks at ([`Call::admits`]), in order, appended to
    /// `out`. A window of first or last utterances is found from its end of the call,
    /// without asking every utterance.
    fn admitted(&self, rule: &Rule, out: &mut Vec<usize>) {
        let segs = &self.t.segments;
        let role = |&i: &usize| rule.role.matches(segs[i].role);
        match rule.window {
            Some(Window::FirstUtterances(n)) => out.extend((0..segs.len()).filter(role).take(n)),
            Some(Window::LastUtterances(n)) => {
                let from = out.len();
                out.extend((0..segs.len()).rev().filter(role).take(n));
                out[from..].reverse();
            }
            _ => out.extend((0..segs.len()).filter(|&i| self.admits(rule, i))),
        }
    }

    /// Time of normalised character `char` of utterance `i`, interpolated over the utterance's
    /// span: segments carry no word times, so this is an estimate.
    fn char_ms(&self, i: usize, char: usize) -> u64 {
        let s = &self.t.segments[i];
        let n = self.norms[i].chars as u64;
        let dur = s.end_ms.saturating_sub(s.start_ms);
        if n == 0 {
            return s.start_ms;
        }
        s.start_ms + (dur * (char as u64).min(n) + n / 2) / n
    }
}

impl Scanner {
    /// Compiles `pack`.
    /// The findings of `t` as the per-call file keeps them, stamped with the pack and format.
    pub fn findings_file(&self, t: &Transcript) -> FindingsFile {
        FindingsFile {
            version: FINDINGS_VERSION,
            call_id: t.call_id.clone(),
            pack: self.pack.name().to_owned(),
            pack_version: self.pack.version().to_owned(),
            findings: self.scan(t),
            producer: format!("callqa {}", env!("CARGO_PKG_VERSION")),
        }
    }

    pub fn new(pack: Pack) -> Result<Scanner, crate::rules::automaton::BuildError> {
        let matcher = Matcher::new(pack.rules())?;
        let rules = pack.rules();
        let masks = [Role::Agent, Role::Customer, Role::Mixed].map(|role| {
            let cond: Vec<bool> = rules.iter().map(|r| r.lexical.is_some() && r.window.is_none() && r.role.matches(role)).collect();
            let trig: Vec<bool> = rules.iter().map(|r| r.lexical.is_some() && lexical::may_trigger(r, role)).collect();
            let eligible: Vec<bool> = cond.iter().zip(&trig).map(|(a, b)| *a || *b).collect();
            let any = eligible.iter().any(|x| *x);
            let fuzzy = matcher.any_fuzzy(&eligible);
            Masks { cond, trig, eligible, any, fuzzy }
        });
        let windowed = (0..rules.len()).filter(|&i| rules[i].lexical.is_some() && rules[i].window.is_some()).collect();
        Ok(Scanner { pack, matcher, masks, windowed })
    }

    pub fn pack(&self) -> &Pack {
        &self.pack
    }

    /// Scans one call. Findings are ordered by start time, then rule order.
    pub fn scan(&self, t: &Transcript) -> Vec<Finding> {
        let rules = self.pack.rules();
        let call = Call::new(t);
        let occs = self.occurrences(&call);

        // Findings are large values: room for a typical call's, so that few are moved.
        let mut out = Vec::with_capacity(16);
        // Sized once for the call: a rule counting a common word (您) hits in most utterances,
        // and growing a vector from nothing reallocates it several times.
        let mut hits: Vec<Hit> = Vec::with_capacity(t.segments.len());
        for (ri, rule) in rules.iter().enumerate() {
            hits.clear();
            match (&rule.after, rule.kind) {
                (Some(trigger), Kind::Required | Kind::Forbidden) => self.situational(&call, rule, trigger.within, &occs[ri], &mut out),
                (_, Kind::Forbidden) => {
                    lexical::hits(rule, &occs[ri], &mut hits);
                    if hits.len() >= rule.min_count as usize {
                        out.extend(hits.iter().map(|h| self.hit_finding(&call, rule, h)));
                    }
                }
                (_, Kind::Required) => {
                    lexical::hits(rule, &occs[ri], &mut hits);
                    if hits.len() < rule.min_count as usize {
                        let (start, end) = expected_span(&call, rule);
                        out.push(self.finding(t, rule, start, end, None, not_met(rule, hits.len())));
                    }
                }
                (_, Kind::Metric) => {
                    if let Some(m) = &rule.metric {
                        lexical::hits(rule, &occs[ri], &mut hits);
                        self.measure(&call, rule, m, &hits, &mut out);
                    }
                }
            }
        }
        sorted_by_start(out)
    }

    /// Every rule's occurrences in the utterances it looks at, sorted by utterance, then start
    /// (longest first); occurrences in an utterance holding an `unless` phrase are dropped,
    /// trigger occurrences only where the trigger's role speaks.
    fn occurrences(&self, call: &Call) -> RuleOccs {
        let rules = self.pack.rules();
        let segs = &call.t.segments;
        // A few occurrences per utterance is usual: sized for that, not grown by doubling.
        let mut occs: Vec<Occ> = Vec::with_capacity(4 * segs.len());
        let mut m = Masks::default();
        let mut found: Vec<Occurrence> = Vec::with_capacity(32);
        let admitted = self.windowed_admitted(call);
        let mut next = 0;
        Matcher::with_scratch(|scratch| {
            for (i, seg) in segs.iter().enumerate() {
                let role_masks = &self.masks[role_slot(seg.role)];
                // The role masks leave the windowed rules' conditions off: a copy turns them on
                // where they look.
                let masks = if admitted.get(next).is_some_and(|a| a.0 == i) {
                    m.copy_from(role_masks);
                    while let Some(&(_, ri)) = admitted.get(next).filter(|a| a.0 == i) {
                        m.cond[ri] = true;
                        m.eligible[ri] = true;
                        m.any = true;
                        m.fuzzy |= rules[ri].fuzzy.is_some();
                        next += 1;
                    }
                    &m
                } else {
                    role_masks
                };
                let Masks { cond, trig, eligible, any, fuzzy } = masks;
                if !any {
                    continue;
                }
                found.clear();
                self.matcher.find_in(call.norm_chars(i), eligible, *fuzzy, &mut found, scratch);
                found.sort_by(|a, b| (a.rule, a.start, b.end).cmp(&(b.rule, b.start, a.end)));
                for group in found.chunk_by(|a, b| a.rule == b.rule) {
                    let ri = group[0].rule;
                    let excluded = group.iter().any(|o| o.slot == Slot::Unless);
                    for o in group {
                        let keep = match o.slot {
                            Slot::Unless => false,
                            Slot::Trigger => trig[ri],
                            _ => cond[ri] && !excluded,
                        };
                        if keep {
                            occs.push(Occ { utterance: i, o: *o });
                        }
                    }
                }
            }
        });
        RuleOccs::of(occs, rules.len())
    }

    /// The (utterance, rule) pairs where a windowed rule's condition looks
    /// ([`Call::admitted`]), in utterance order.
    fn windowed_admitted(&self, call: &Call) -> Vec<(usize, usize)> {
        let rules = self.pack.rules();
        // Windows are a few utterances each: room for those, so that neither is regrown.
        let (mut out, mut idx) = (Vec::with_capacity(16), Vec::with_capacity(16));
        for &ri in &self.windowed {
            idx.clear();
            call.admitted(&rules[ri], &mut idx);
            out.extend(idx.iter().map(|&i| (i, ri)));
        }
        out.sort_unstable();
        out
    }

    /// A rule with `after`: judged in each trigger's response window. A required rule unmet
    /// there yields one finding per trigger; a forbidden one, one per hit in any window.
    fn situational(&self, call: &Call, rule: &Rule, reach: Reach, occ: &[Occ], out: &mut Vec<Finding>) {
        let t = call.t;
        let responses = lexical::responses(rule, reach, &t.segments, occ);
        // Written only into findings, so made only for them.
        let within = || match reach {
            Reach::Utterances(n) => format!("{n} {} utterance(s)", rule.role.name()),
            Reach::Ms(ms) => format!("{} s", Secs(ms)),
        };
        let mut forbidden: Vec<Hit> = Vec::new();
        for r in &responses {
            let in_scope: Vec<Occ> =
                occ.iter().filter(|x| x.o.slot != Slot::Trigger && r.utterances.contains(&x.utterance)).copied().collect();
            let mut hits = Vec::new();
            lexical::hits(rule, &in_scope, &mut hits);
            let trigger_seg = &t.segments[r.trigger.utterance];
            match rule.kind {
                Kind::Required => {
                    // No answer at all (the call ended) is not judged: there was no chance to.
                    if hits.len() >= rule.min_count as usize || r.utterances.is_empty() {
                        continue;
                    }
                    let said = call.norm_slice(r.trigger.utterance, r.trigger.start..r.trigger.end);
                    let (first, last) = (r.utterances[0], r.utterances[r.utterances.len() - 1]);
                    let (start, end) = (t.segments[first].start_ms, t.segments[last].end_ms.max(t.segments[first].start_ms));
                    let detail = format!(
                        "after the {} said 「{said}」 at {} s, no listed phrase within {}",
                        trigger_seg.role,
                        Secs(trigger_seg.start_ms),
                        within()
                    );
                    let id = finding_id(&t.call_id, &rule.id, self.pack.version(), trigger_seg.start_ms, r.trigger.utterance + 1, r.trigger.start);
                    let mut f = self.finding_with_id(id, t, rule, start, end, None, detail);
                    f.trigger = Some(quote(&t.segments, r.trigger.utterance));
                    f.more_utterances = r.utterances.iter().map(|&i| quote(&t.segments, i)).collect();
                    out.push(f);
                }
                Kind::Forbidden => {
                    // A hit in several windows is one hit, shown with its latest trigger.
                    for mut h in hits {
                        h.trigger = Some(r.trigger);
                        match forbidden.iter_mut().find(|k| k.first == h.first) {
                            Some(k) => k.trigger = h.trigger,
                            None => forbidden.push(h),
                        }
                    }
                }
                Kind::Metric => {}
            }
        }
        if forbidden.len() >= rule.min_count as usize {
            for h in &forbidden {
                let mut f = self.hit_finding(call, rule, h);
                if let Some(tr) = h.trigger {
                    let seg = &t.segments[tr.utterance];
                    let said = call.norm_slice(tr.utterance, tr.start..tr.end);
                    f.detail = format!("{}, within {} after the {} said 「{said}」", f.detail, within(), seg.role);
                    f.trigger = Some(quote(&t.segments, tr.utterance));
                }
                out.push(f);
            }
        }
    }

    /// A finding with no quoted words (unmet rules, measures).
    fn finding(&self, t: &Transcript, rule: &Rule, start_ms: u64, end_ms: u64, at: Option<usize>, detail: String) -> Finding {
        let id = finding_id(&t.call_id, &rule.id, self.pack.version(), start_ms, at.map_or(0, |i| i + 1), 0);
        self.finding_with_id(id, t, rule, start_ms, end_ms, at, detail)
    }

    /// [`Scanner::finding`] with its id already made (the id is hashed once per finding).
    #[allow(clippy::too_many_arguments)]
    fn finding_with_id(
        &self,
        id: String,
        t: &Transcript,
        rule: &Rule,
        start_ms: u64,
        end_ms: u64,
        at: Option<usize>,
        detail: String,
    ) -> Finding {
        let quote = |i: usize| (i < t.segments.len()).then(|| quote(&t.segments, i));
        Finding {
            id,
            call_id: t.call_id.clone(),
            rule_id: rule.id.clone(),
            rule_name: rule.name.clone(),
            pack_version: self.pack.version().to_owned(),
            category: rule.category.clone(),
            kind: rule.kind,
            severity: rule.severity,
            points: rule.points,
            role: rule.role,
            start_ms,
            end_ms,
            matched_text: String::new(),
            normalized_text: String::new(),
            utterance: at.and_then(quote),
            before: at.and_then(|i| i.checked_sub(1)).and_then(quote),
            after: at.and_then(|i| quote(i + 1)),
            more_utterances: Vec::new(),
            trigger: None,
            match_mode: None,
            similarity: None,
            value: None,
            detail,
        }
    }

    /// The finding for a phrase hit: its words, where they are, and the utterances around them.
    fn hit_finding(&self, call: &Call, rule: &Rule, h: &Hit) -> Finding {
        let t = call.t;
        let segs = &t.segments;
        let last = h.last();
        let start = call.char_ms(h.first.utterance, h.first.start);
        let end = call.char_ms(last.utterance, last.end).max(start);
        // The id keeps to what does not move when the time estimate changes.
        let id = finding_id(&t.call_id, &rule.id, self.pack.version(), segs[h.first.utterance].start_ms, h.first.utterance + 1, h.first.start);
        let mut f = self.finding_with_id(id, t, rule, start, end, Some(h.first.utterance), String::new());
        if last.utterance != h.first.utterance {
            f.after = (last.utterance + 1 < segs.len()).then(|| quote(segs, last.utterance + 1));
            f.more_utterances = (h.first.utterance + 1..=last.utterance).map(|i| quote(segs, i)).collect();
        }
        // The scan kept only the normalised text; the map back to the words is made here,
        // for the few utterances with findings. Parts are joined by `…`.
        // Sized for a phrase in one piece, so that they are not grown step by step.
        let (mut words, mut norm) = (String::with_capacity(32), String::with_capacity(32));
        let mut detail = String::with_capacity(80);
        detail.push_str("said ");
        let mut n = HIT_MAP.take();
        for (k, p) in h.parts().enumerate() {
            let text = &segs[p.utterance].text;
            normalize_into(text, &mut n);
            debug_assert_eq!(n.chars(), call.norm_chars(p.utterance));
            let w = n.source(text, p.start..p.end);
            if k > 0 {
                words.push('…');
                norm.push('…');
                detail.push('…');
            }
            words.push_str(w);
            norm.push_str(n.slice(p.start..p.end));
            detail.push('「');
            detail.push_str(w);
            detail.push('」');
        }
        HIT_MAP.set(n);
        f.matched_text = words;
        f.normalized_text = norm;
        f.match_mode = Some(h.mode);
        f.similarity = Some(h.similarity);
        // "said 「…」[ over N utterances][, similar to a listed phrase (0.93)]"
        use std::fmt::Write as _;
        if !h.rest.is_empty() {
            let _ = write!(detail, " over {} utterances", last.utterance - h.first.utterance + 1);
        }
        if h.mode == MatchMode::Fuzzy {
            let _ = write!(detail, ", similar to a listed phrase ({:.2})", h.similarity);
        }
        f.detail = detail;
        f
    }
}

/// `findings` in order of start time, ties in their order. A finding is a large value to
/// move about, so the order is found on keys, and each finding is then moved once, by
/// walking the permutation's cycles in place (`swap`), not copied out and back.
fn sorted_by_start(mut findings: Vec<Finding>) -> Vec<Finding> {
    if findings.is_sorted_by_key(|f| f.start_ms) {
        return findings;
    }
    let mut order: Vec<(u64, usize)> = findings.iter().enumerate().map(|(i, f)| (f.start_ms, i)).collect();
    order.sort_unstable();
    put_in_order(&mut findings, order.into_iter().map(|(_, i)| i).collect());
    findings
}

/// Rearranges `v` so that position `k` holds what was at `from[k]` (`from` a permutation),
/// moving each value once along the permutation's cycles.
fn put_in_order<T>(v: &mut [T], mut from: Vec<usize>) {
    for k in 0..from.len() {
        // Follow the cycle through `k`: the value `at` needs is still where it started, and
        // the one it held moves on to the next place of the cycle.
        let mut at = k;
        while from[at] != k {
            let next = from[at];
            v.swap(at, next);
            from[at] = at;
            at = next;
        }
        from[at] = at;
    }
}

thread_local! {
    /// The map back to the spoken words, reused from one hit to the next.
    static HIT_MAP: std::cell::Cell<Normalized> = std::cell::Cell::new(Normalized::default());
}

fn not_met(rule: &Rule, said: usize) -> String {
    if rule.min_count > 1 {
        format!("said {said} times, at least {} required", rule.min_count)
    } else {
        "not said where required".to_owned()
    }
}

fn quote(segs: &[Segment], i: usize) -> Utterance {
    let s = &segs[i];
    Utterance { index: i, role: s.role, start_ms: s.start_ms, end_ms: s.end_ms, text: s.text.clone() }
}

/// The call's length: the audio's, or the end of the last segment when that is later
/// (hand-written transcripts may leave the audio duration at 0).
fn call_duration(t: &Transcript) -> u64 {
    let last = t.segments.iter().map(|s| s.end_ms).max().unwrap_or(0);
    t.audio.duration_ms.max(last)
}

fn in_window(w: Option<Window>, s: &Segment, duration: u64, rank: usize, total: usize) -> bool {
    match w {
        None => true,
        Some(Window::FirstMs(n)) => s.start_ms < n,
        Some(Window::LastMs(n)) => s.end_ms + n > duration,
        Some(Window::FirstUtterances(n)) => rank < n,
        Some(Window::LastUtterances(n)) => rank != usize::MAX && rank + n >= total,
    }
}

/// Where an unmet required rule's phrase was expected.
fn expected_span(call: &Call, rule: &Rule) -> (u64, u64) {
    let (segs, duration) = (&call.t.segments, call.duration);
    match rule.window {
        None => (0, duration),
        Some(Window::FirstMs(n)) => (0, n.min(duration)),
        Some(Window::LastMs(n)) => (duration.saturating_sub(n), duration),
        Some(Window::FirstUtterances(_)) | Some(Window::LastUtterances(_)) => {
            let mut idx = Vec::with_capacity(16);
            call.admitted(rule, &mut idx);
            match (idx.first(), idx.last()) {
                (Some(&a), Some(&b)) => (segs[a].start_ms, segs[b].end_ms),
                _ => (0, duration),
            }
        }
    }
}

/// A stable finding id: the first 16 hex digits of SHA-256 over call, rule, pack version,
/// start time and position in the utterance, separated by U+001F.
fn finding_id(call: &str, rule: &str, version: &str, start_ms: u64, utterance: usize, offset: usize) -> String {
    use sha2::{Digest, Sha256};
    let key = format!("{call}\u{1f}{rule}\u{1f}{version}\u{1f}{start_ms}\u{1f}{utterance}\u{1f}{offset}");
    hex::encode(&Sha256::digest(key.as_bytes())[..8])
}

/// Milliseconds as seconds with one decimal, written as `{:.1}` writes `ms as f64 / 1000.0`
/// (findings say "4.2 s"), but in integers: float formatting showed in the scan's profiles.
/// Off a tie (`ms % 100 == 50`) the true quotient is at least 0.001 from one, so rounding it
/// half up is what rounding the float gives (for any span under a few centuries, where the
/// float is that close); a tie is left to the float's own rounding.
struct Secs(u64);

impl std::fmt::Display for Secs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.0 % 100 == 50 {
            return write!(f, "{:.1}", self.0 as f64 / 1000.0);
        }
        let tenths = self.0 / 100 + (self.0 % 100 > 50) as u64;
        write!(f, "{}.{}", tenths / 10, tenths % 10)
    }
}

#[cfg(test)]
mod tests;
