//! The rule scan: a [`Transcript`] and a compiled pack in, one [`Finding`] per hit out.
//!
//! Per call, every utterance is normalised once and passed once through the pack's matcher,
//! for the rules whose role and window admit it; the occurrences are then grouped by rule and
//! the rule's operator (any / all / near, `unless`, `min_count`) decides what is a hit.
//! Required rules that end the call unmet yield one finding spanning where the phrase was
//! expected. Metric rules measure the timeline (latency, dead air, rate, overtalk, language).
//! Calls are independent, so [`scan_files`] spreads them over threads with rayon.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::audio::Role;
use crate::rules::matcher::{MatchMode, Matcher, Occurrence};
use crate::rules::normalize::{Normalized, normalize, normalize_text};
use crate::rules::{Kind, Lexical, Metric, Pack, RoleFilter, Rule, Severity, Slot, Window};
use crate::transcript::{Segment, Transcript};

/// Version of the findings file schema.
pub const FINDINGS_VERSION: u32 = 1;

/// One utterance quoted as evidence.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Utterance {
    /// Index of the segment in the transcript.
    pub index: usize,
    pub role: Role,
    pub start_ms: u64,
    pub end_ms: u64,
    pub text: String,
}

/// One rule hit (or one unmet required rule, or one out-of-bounds measure), with its evidence.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    /// Stable across re-runs: a hash of call, rule, pack version and position.
    pub id: String,
    pub call_id: String,
    pub rule_id: String,
    pub rule_name: String,
    pub pack_version: String,
    pub category: String,
    pub kind: Kind,
    pub severity: Severity,
    pub points: u32,
    /// The role the rule looks at.
    pub role: RoleFilter,
    pub start_ms: u64,
    pub end_ms: u64,
    /// The words as transcribed; empty for unmet required rules and measures.
    pub matched_text: String,
    /// The same words normalised.
    pub normalized_text: String,
    /// The utterance holding the hit, with its neighbours (any speaker) for context.
    pub utterance: Option<Utterance>,
    pub before: Option<Utterance>,
    pub after: Option<Utterance>,
    /// How the phrase matched; `None` for unmet required rules and measures.
    pub match_mode: Option<MatchMode>,
    /// 1 for exact matches; the fuzzy score otherwise.
    pub similarity: Option<f32>,
    /// The measured value of a metric rule (ms, characters per minute, probability).
    pub value: Option<f64>,
    /// A plain sentence for the inspector, e.g. "greeting at 4.2 s, limit 3.0 s".
    pub detail: String,
}

/// What `callqa scan` writes per call: `<call id>.findings.json`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FindingsFile {
    pub version: u32,
    pub call_id: String,
    pub pack: String,
    pub pack_version: String,
    pub findings: Vec<Finding>,
    pub producer: String,
}

impl FindingsFile {
    /// The file's name inside an output directory.
    pub fn file_name(call_id: &str) -> String {
        format!("{call_id}.findings.json")
    }
}

/// A pack compiled for scanning; build once, share between threads.
#[derive(Debug)]
pub struct Scanner {
    pack: Pack,
    matcher: Matcher,
}

/// A hit before it becomes a finding.
#[derive(Clone, Copy, Debug)]
struct Hit {
    utterance: usize,
    start: usize,
    end: usize,
    mode: MatchMode,
    similarity: f32,
}

impl Scanner {
    /// Compiles `pack`.
    pub fn new(pack: Pack) -> Result<Scanner, aho_corasick::BuildError> {
        let matcher = Matcher::new(pack.rules())?;
        Ok(Scanner { pack, matcher })
    }

    pub fn pack(&self) -> &Pack {
        &self.pack
    }

    /// Scans one call. Findings are ordered by start time, then rule order.
    pub fn scan(&self, t: &Transcript) -> Vec<Finding> {
        let rules = self.pack.rules();
        let segs = &t.segments;
        let duration = call_duration(t);
        let norms: Vec<Normalized> = segs.iter().map(|s| normalize_text(&s.text)).collect();
        // Rank of each segment among those each role filter admits, and their totals.
        let filters = [RoleFilter::Agent, RoleFilter::Customer, RoleFilter::Any];
        let mut totals = [0usize; 3];
        let ranks: Vec<[usize; 3]> = segs
            .iter()
            .map(|s| {
                let mut r = [usize::MAX; 3];
                for (k, f) in filters.iter().enumerate() {
                    if f.matches(s.role) {
                        r[k] = totals[k];
                        totals[k] += 1;
                    }
                }
                r
            })
            .collect();
        let fidx = |f: RoleFilter| filters.iter().position(|x| *x == f).unwrap_or(2);

        let mut hits: Vec<Vec<Hit>> = vec![Vec::new(); rules.len()];
        let mut eligible = vec![false; rules.len()];
        let mut occ: Vec<Occurrence> = Vec::new();
        for (i, seg) in segs.iter().enumerate() {
            let mut any = false;
            for (ri, rule) in rules.iter().enumerate() {
                let k = fidx(rule.role);
                let ok = rule.lexical.is_some()
                    && rule.role.matches(seg.role)
                    && in_window(rule.window, seg, duration, ranks[i][k], totals[k]);
                eligible[ri] = ok;
                any |= ok;
            }
            if !any {
                continue;
            }
            occ.clear();
            self.matcher.find(&norms[i], &eligible, &mut occ);
            occ.sort_by(|a, b| (a.rule, a.start, b.end).cmp(&(b.rule, b.start, a.end)));
            for group in occ.chunk_by(|a, b| a.rule == b.rule) {
                let rule = &rules[group[0].rule];
                if group.iter().any(|o| o.slot == Slot::Unless) {
                    continue;
                }
                utterance_hits(rule, i, group, &mut hits[group[0].rule]);
            }
        }

        let mut out = Vec::new();
        for (ri, rule) in rules.iter().enumerate() {
            let rule_hits = &hits[ri];
            match rule.kind {
                Kind::Forbidden => {
                    if rule_hits.len() >= rule.min_count as usize {
                        for h in rule_hits {
                            out.push(self.hit_finding(t, &norms, rule, h));
                        }
                    }
                }
                Kind::Required => {
                    if rule_hits.len() < rule.min_count as usize {
                        let k = fidx(rule.role);
                        let (start, end) = expected_span(rule, segs, duration, &ranks, k, totals[k]);
                        let detail = if rule.min_count > 1 {
                            format!("said {} times, at least {} required", rule_hits.len(), rule.min_count)
                        } else {
                            "not said where required".to_owned()
                        };
                        out.push(self.finding(t, rule, start, end, None, detail));
                    }
                }
                Kind::Metric => {
                    if let Some(m) = &rule.metric {
                        self.measure(t, &norms, rule, m, rule_hits, duration, &mut out);
                    }
                }
            }
        }
        out.sort_by_key(|f| f.start_ms);
        out
    }

    /// A finding with no quoted words (unmet rules, measures).
    fn finding(&self, t: &Transcript, rule: &Rule, start_ms: u64, end_ms: u64, at: Option<usize>, detail: String) -> Finding {
        let quote = |i: usize| {
            t.segments.get(i).map(|s| Utterance {
                index: i,
                role: s.role,
                start_ms: s.start_ms,
                end_ms: s.end_ms,
                text: s.text.clone(),
            })
        };
        Finding {
            id: finding_id(&t.call_id, &rule.id, self.pack.version(), start_ms, at.map_or(0, |i| i + 1), 0),
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
            match_mode: None,
            similarity: None,
            value: None,
            detail,
        }
    }

    fn hit_finding(&self, t: &Transcript, norms: &[Normalized], rule: &Rule, h: &Hit) -> Finding {
        let seg = &t.segments[h.utterance];
        // The scan kept only the normalised text; the map back to the words is made here,
        // for the few utterances with findings.
        let norm = &normalize(&seg.text);
        debug_assert_eq!(norm.as_str(), norms[h.utterance].as_str());
        let mut f = self.finding(t, rule, seg.start_ms, seg.end_ms, Some(h.utterance), String::new());
        f.id = finding_id(&t.call_id, &rule.id, self.pack.version(), seg.start_ms, h.utterance + 1, h.start);
        f.matched_text = norm.source(&seg.text, h.start..h.end).to_owned();
        f.normalized_text = norm.slice(h.start..h.end).to_owned();
        f.match_mode = Some(h.mode);
        f.similarity = Some(h.similarity);
        f.detail = match h.mode {
            MatchMode::Exact => format!("said 「{}」", f.matched_text),
            MatchMode::Fuzzy => format!("said 「{}」, similar to a listed phrase ({:.2})", f.matched_text, h.similarity),
        };
        f
    }

    #[allow(clippy::too_many_arguments)]
    fn measure(&self, t: &Transcript, norms: &[Normalized], rule: &Rule, m: &Metric, hits: &[Hit], duration: u64, out: &mut Vec<Finding>) {
        let segs = &t.segments;
        match m {
            Metric::GreetingLatency { max_ms } => {
                // Hits come in utterance order; the first is the greeting.
                if let Some(h) = hits.first() {
                    let at = segs[h.utterance].start_ms;
                    if at > *max_ms {
                        let mut f = self.hit_finding(t, norms, rule, h);
                        f.value = Some(at as f64);
                        f.detail = format!("greeting at {:.1} s, limit {:.1} s", at as f64 / 1000.0, *max_ms as f64 / 1000.0);
                        out.push(f);
                    }
                }
            }
            Metric::DeadAir { max_ms } => {
                // Gaps between speech on the merged timeline of both channels.
                let mut order: Vec<usize> = (0..segs.len()).collect();
                order.sort_by_key(|&i| segs[i].start_ms);
                let mut covered: Option<(u64, usize)> = None; // end of speech so far, and its segment
                for &i in &order {
                    let s = &segs[i];
                    if let Some((end, prev)) = covered {
                        if s.start_ms > end && s.start_ms - end > *max_ms {
                            let gap = s.start_ms - end;
                            let mut f = self.finding(
                                t,
                                rule,
                                end,
                                s.start_ms,
                                None,
                                format!("{:.1} s of silence, limit {:.1} s", gap as f64 / 1000.0, *max_ms as f64 / 1000.0),
                            );
                            f.before = Some(quote(segs, prev));
                            f.after = Some(quote(segs, i));
                            f.value = Some(gap as f64);
                            out.push(f);
                        }
                    }
                    if covered.is_none_or(|(end, _)| s.end_ms >= end) {
                        covered = Some((s.end_ms, i));
                    }
                }
            }
            Metric::SpeechRate { min_cpm, max_cpm, min_speech_ms } => {
                let (mut chars, mut ms) = (0usize, 0u64);
                for (s, n) in segs.iter().zip(norms) {
                    if rule.role.matches(s.role) {
                        chars += n.len_chars();
                        ms += s.end_ms.saturating_sub(s.start_ms);
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
                        duration,
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
                    // The other side's segment in progress when this one starts, if any.
                    let other = segs.iter().enumerate().find(|(_, c)| {
                        c.role != a.role && c.role != Role::Mixed && c.start_ms < a.start_ms && c.end_ms > a.start_ms
                    });
                    if let Some((ci, c)) = other {
                        let overlap = a.end_ms.min(c.end_ms).saturating_sub(a.start_ms);
                        if overlap > *min_overlap_ms {
                            let mut f = self.finding(
                                t,
                                rule,
                                a.start_ms,
                                a.start_ms + overlap,
                                Some(i),
                                format!("started while the {} was speaking, {overlap} ms overlap, limit {min_overlap_ms} ms", c.role),
                            );
                            f.id = finding_id(&t.call_id, &rule.id, self.pack.version(), a.start_ms, i + 1, ci + 1);
                            f.before = Some(quote(segs, ci));
                            f.value = Some(overlap as f64);
                            out.push(f);
                        }
                    }
                }
            }
            Metric::Language { languages, min_prob } => {
                for ch in &t.channels {
                    if !rule.role.matches(ch.role) {
                        continue;
                    }
                    let Some(lang) = &ch.language else { continue };
                    let prob = ch.language_prob.unwrap_or(1.0);
                    if !languages.iter().any(|l| l == lang) && prob >= *min_prob {
                        let mut f = self.finding(
                            t,
                            rule,
                            0,
                            duration,
                            None,
                            format!("{} channel speaks `{lang}` (p = {prob:.2}), expected {}", ch.role, languages.join(" or ")),
                        );
                        f.value = Some(prob as f64);
                        out.push(f);
                    }
                }
            }
        }
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
fn expected_span(rule: &Rule, segs: &[Segment], duration: u64, ranks: &[[usize; 3]], k: usize, total: usize) -> (u64, u64) {
    let admitted = |i: usize| rule.role.matches(segs[i].role) && in_window(rule.window, &segs[i], duration, ranks[i][k], total);
    match rule.window {
        None => (0, duration),
        Some(Window::FirstMs(n)) => (0, n.min(duration)),
        Some(Window::LastMs(n)) => (duration.saturating_sub(n), duration),
        Some(Window::FirstUtterances(_)) | Some(Window::LastUtterances(_)) => {
            let idx: Vec<usize> = (0..segs.len()).filter(|&i| admitted(i)).collect();
            match (idx.first(), idx.last()) {
                (Some(&a), Some(&b)) => (segs[a].start_ms, segs[b].end_ms),
                _ => (0, duration),
            }
        }
    }
}

/// Turns one utterance's occurrences for one rule (sorted by start, longest first) into hits.
fn utterance_hits(rule: &Rule, utterance: usize, occ: &[Occurrence], out: &mut Vec<Hit>) {
    let hit = |o: &Occurrence| Hit { utterance, start: o.start, end: o.end, mode: o.mode, similarity: o.similarity };
    match &rule.lexical {
        Some(Lexical::Any(_)) => {
            // Overlapping occurrences (我不知道 and 不知道) are one hit: keep the longest, and
            // an exact occurrence over a fuzzy one.
            let mut kept: Vec<Hit> = Vec::new();
            for o in occ.iter().filter(|o| o.slot == Slot::Any) {
                match kept.last_mut() {
                    Some(k) if o.start < k.end => {
                        let better = (o.similarity, o.end - o.start) > (k.similarity, k.end - k.start);
                        if better {
                            *k = hit(o);
                        }
                    }
                    _ => kept.push(hit(o)),
                }
            }
            out.extend(kept);
        }
        Some(Lexical::All(groups)) => {
            // Best occurrence of each group; all must be present. One hit spanning them.
            let mut span: Option<Hit> = None;
            for g in 0..groups.len() {
                let best = occ
                    .iter()
                    .filter(|o| o.slot == Slot::All(g as u16))
                    .max_by(|a, b| a.similarity.total_cmp(&b.similarity));
                let Some(o) = best else { return };
                span = Some(match span {
                    None => hit(o),
                    Some(s) => Hit {
                        utterance,
                        start: s.start.min(o.start),
                        end: s.end.max(o.end),
                        mode: if s.mode == MatchMode::Fuzzy || o.mode == MatchMode::Fuzzy { MatchMode::Fuzzy } else { MatchMode::Exact },
                        similarity: s.similarity.min(o.similarity),
                    },
                });
            }
            out.extend(span);
        }
        Some(Lexical::Near(n)) => {
            // Each `a` occurrence pairs with the closest `b` occurrence within range.
            let bs: Vec<&Occurrence> = occ.iter().filter(|o| o.slot == Slot::NearB).collect();
            let mut last_end = 0;
            for a in occ.iter().filter(|o| o.slot == Slot::NearA) {
                let gap = |b: &Occurrence| if b.start >= a.end { b.start - a.end } else { a.start.saturating_sub(b.end) };
                let best = bs.iter().filter(|b| gap(b) <= n.within).min_by_key(|b| gap(b));
                if let Some(b) = best {
                    let h = Hit {
                        utterance,
                        start: a.start.min(b.start),
                        end: a.end.max(b.end),
                        mode: if a.mode == MatchMode::Fuzzy || b.mode == MatchMode::Fuzzy { MatchMode::Fuzzy } else { MatchMode::Exact },
                        similarity: a.similarity.min(b.similarity),
                    };
                    if h.start >= last_end {
                        last_end = h.end;
                        out.push(h);
                    }
                }
            }
        }
        None => {
            // Metric rules with phrases (greeting latency) take any occurrence.
            if let Some(o) = occ.iter().find(|o| o.slot != Slot::Unless) {
                out.push(hit(o));
            }
        }
    }
}

/// A stable finding id: the first 16 hex digits of SHA-256 over call, rule, pack version,
/// start time and position in the utterance.
fn finding_id(call: &str, rule: &str, version: &str, start_ms: u64, utterance: usize, offset: usize) -> String {
    let key = format!("{call}\u{1f}{rule}\u{1f}{version}\u{1f}{start_ms}\u{1f}{utterance}\u{1f}{offset}");
    crate::fsutil::sha256_bytes(key.as_bytes())[..16].to_owned()
}

/// What happened to one transcript in [`scan_files`].
#[derive(Debug)]
pub enum ScanOutcome {
    Done { call_id: String, findings: usize, out: PathBuf },
    Failed { path: PathBuf, error: String },
}

/// Transcript files among `inputs`: files as given, and each directory's `*.json` files
/// other than findings files, sorted.
pub fn collect_transcripts(inputs: &[PathBuf]) -> std::io::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for p in inputs {
        if p.is_dir() {
            let mut v: Vec<PathBuf> = std::fs::read_dir(p)
                .map_err(|e| std::io::Error::new(e.kind(), format!("{}: {e}", p.display())))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|f| {
                    let name = f.file_name().and_then(|n| n.to_str()).unwrap_or("");
                    name.ends_with(".json") && !name.ends_with(".findings.json")
                })
                .collect();
            v.sort();
            out.extend(v);
        } else if p.exists() {
            out.push(p.clone());
        } else {
            return Err(std::io::Error::new(std::io::ErrorKind::NotFound, format!("{}: no such file or directory", p.display())));
        }
    }
    Ok(out)
}

/// Scans each transcript in parallel (`jobs` threads) and writes `<call id>.findings.json`
/// into `out_dir`, atomically. One bad transcript fails alone.
pub fn scan_files(scanner: &Scanner, files: &[PathBuf], out_dir: &Path, jobs: usize, progress: &(dyn Fn(&ScanOutcome) + Sync)) -> Vec<ScanOutcome> {
    use rayon::prelude::*;
    let one = |path: &PathBuf| -> ScanOutcome {
        let r = (|| {
            let t = Transcript::read(path).map_err(|e| e.to_string())?;
            let findings = scanner.scan(&t);
            let n = findings.len();
            let file = FindingsFile {
                version: FINDINGS_VERSION,
                call_id: t.call_id.clone(),
                pack: scanner.pack().name().to_owned(),
                pack_version: scanner.pack().version().to_owned(),
                findings,
                producer: format!("callqa {}", env!("CARGO_PKG_VERSION")),
            };
            let out = out_dir.join(FindingsFile::file_name(&t.call_id));
            let json = serde_json::to_vec_pretty(&file).map_err(|e| e.to_string())?;
            crate::fsutil::write_atomic(&out, &json).map_err(|e| format!("{}: {e}", out.display()))?;
            Ok::<_, String>(ScanOutcome::Done { call_id: t.call_id, findings: n, out })
        })();
        let o = r.unwrap_or_else(|error| ScanOutcome::Failed { path: path.clone(), error });
        progress(&o);
        o
    };
    match rayon::ThreadPoolBuilder::new().num_threads(jobs.max(1)).build() {
        Ok(pool) => pool.install(|| files.par_iter().map(one).collect()),
        Err(_) => files.iter().map(one).collect(),
    }
}

#[cfg(test)]
mod tests;
