//! `callqa examples`: coaching examples for trainers, from a report set.
//!
//! A bad example is a finding that counts (not rejected in review), with its utterance and
//! neighbours; a good example (`--good`) is a call with full marks on the category or rule: no
//! counted finding there. With a clip folder, each example's audio span (±2 s) is cut from the
//! recording into a WAV named so a trainer can find it: agent, call, rule, time.
//! Texts are redacted by default: trainers show these clips to people who must not see
//! customers' numbers.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use super::view::clock;
use super::{CallRow, FindingRow, Tables};
use crate::shared::Layout;

/// Which examples to list.
#[derive(Clone, Debug, Default)]
pub struct ExampleFilter {
    pub rule: Option<String>,
    pub category: Option<String>,
    pub agent: Option<String>,
    pub limit: usize,
    /// Calls done well (no counted finding of the rule or category) instead of findings.
    pub good: bool,
    pub redact: bool,
}

/// One coaching example.
#[derive(Clone, Debug, PartialEq)]
pub struct Example {
    pub call_id: String,
    pub agent_id: String,
    pub agent_name: Option<String>,
    /// The rule (bad examples) or the category/rule asked for (good ones).
    pub label: String,
    pub severity: Option<String>,
    pub start_ms: i64,
    pub end_ms: i64,
    /// What happened, in one line.
    pub headline: String,
    /// Transcript lines around the moment, `[role] text`.
    pub context: Vec<String>,
    /// The recording.
    pub audio: PathBuf,
    pub layout: String,
    pub finding_id: Option<String>,
}

/// Padding either side of an example's span in its clip.
pub const CLIP_PAD_MS: i64 = 2_000;

/// Picks the examples `filter` asks for, worst (or, for good ones, best-scoring) first.
pub fn select(tables: &Tables, filter: &ExampleFilter) -> Result<Vec<Example>, String> {
    if filter.rule.is_none() && filter.category.is_none() {
        return Err("say which examples: --rule ID or --category NAME".into());
    }
    // A filter naming nothing the report set knows is an error listing what it knows, not an
    // empty answer: `--category forbiden` must not look like "no examples".
    let known = super::view::Known::new(tables);
    let rule = filter.rule.as_deref().map(|r| known.rule(r)).transpose()?;
    let category = filter.category.as_deref().map(|c| known.category(c)).transpose()?;
    let agent = filter.agent.as_deref().map(|a| known.agent(a)).transpose()?;
    let on_topic =
        |f: &FindingRow| rule.as_ref().is_none_or(|r| &f.rule_id == r) && category.as_ref().is_none_or(|c| &f.category == c);
    let for_agent = |id: &str| agent.as_ref().is_none_or(|a| a == id);
    let label = rule.clone().or_else(|| category.clone()).unwrap_or_default();
    let mask = |s: &str| if filter.redact { crate::redact::redact(s).into_owned() } else { s.to_owned() };
    let call = |id: &str| tables.calls.iter().find(|c| c.call_id == id);

    let mut out = Vec::new();
    if filter.good {
        let mut calls: Vec<&CallRow> = tables
            .calls
            .iter()
            .filter(|c| for_agent(&c.agent_id))
            .filter(|c| !tables.findings.iter().any(|f| f.call_id == c.call_id && on_topic(f) && f.status != "rejected"))
            .collect();
        calls.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.call_id.cmp(&b.call_id)));
        for c in calls.into_iter().take(filter.limit) {
            let segs: Vec<_> = tables.segments.iter().filter(|s| s.call_id == c.call_id).collect();
            // The moment to hear: the opening for greetings, the ending for closings, else the
            // first half-minute.
            let cat = category.as_deref().unwrap_or("");
            let (start, end, shown): (i64, i64, Vec<_>) = match cat {
                "greeting" => (segs.first().map_or(0, |s| s.start_ms), segs.iter().take(2).last().map_or(0, |s| s.end_ms), segs.iter().take(2).collect()),
                "closing" => {
                    let tail: Vec<_> = segs.iter().rev().take(2).rev().collect();
                    (tail.first().map_or(0, |s| s.start_ms), tail.last().map_or(0, |s| s.end_ms), tail)
                }
                _ => {
                    let head: Vec<_> = segs.iter().filter(|s| s.start_ms < 30_000).collect();
                    (0, head.last().map_or(0, |s| s.end_ms), head)
                }
            };
            out.push(Example {
                call_id: c.call_id.clone(),
                agent_id: c.agent_id.clone(),
                agent_name: c.agent_name.clone(),
                label: label.clone(),
                severity: None,
                start_ms: start,
                end_ms: end,
                headline: format!("no finding of {label} · call score {:.1}", c.score),
                context: shown.iter().map(|s| format!("{} [{}] {}", clock(s.start_ms), s.role, mask(&s.text))).collect(),
                audio: PathBuf::from(&c.path),
                layout: c.layout.clone(),
                finding_id: None,
            });
        }
    } else {
        let mut found: Vec<&FindingRow> =
            tables.findings.iter().filter(|f| on_topic(f) && for_agent(&f.agent_id) && f.status != "rejected").collect();
        found.sort_by(|a, b| b.deducted.total_cmp(&a.deducted).then(a.call_id.cmp(&b.call_id)).then(a.start_ms.cmp(&b.start_ms)));
        for f in found.into_iter().take(filter.limit) {
            let Some(c) = call(&f.call_id) else { continue };
            let what = mask(&super::view::what(f));
            let context = [&f.context_before, &f.utterance, &f.context_after].into_iter().flatten().map(|s| mask(s)).collect();
            out.push(Example {
                call_id: f.call_id.clone(),
                agent_id: f.agent_id.clone(),
                agent_name: c.agent_name.clone(),
                label: f.rule_id.clone(),
                severity: Some(f.severity.clone()),
                start_ms: f.start_ms,
                end_ms: f.end_ms.max(f.start_ms),
                headline: format!("{} {} · {} · −{}", f.rule_name, what, f.severity, f.deducted),
                context,
                audio: PathBuf::from(&c.path),
                layout: c.layout.clone(),
                finding_id: Some(f.finding_id.clone()),
            });
        }
    }
    Ok(out)
}

/// The clip's file name: agent, call, rule and time, e.g.
/// `A1002_c0002_forbidden.reply_00m12s_3f2a9c1d.wav`.
pub fn clip_name(e: &Example) -> String {
    let safe = |s: &str| s.chars().map(|c| if c.is_alphanumeric() || "-._".contains(c) { c } else { '_' }).collect::<String>();
    // The first eight characters, not bytes: an id from a foreign pack may be any text.
    let tag = e.finding_id.as_deref().map(|id| format!("_{}", safe(&id.chars().take(8).collect::<String>()))).unwrap_or_else(|| "_good".into());
    format!("{}_{}_{}_{:02}m{:02}s{tag}.wav", safe(&e.agent_id), safe(&e.call_id), safe(&e.label), e.start_ms / 60_000, e.start_ms % 60_000 / 1000)
}

/// Cuts the example's span, padded by [`CLIP_PAD_MS`], from its recording into `dir`, as
/// 16 kHz 16-bit PCM (both channels of a stereo call: agent left). Returns the file written.
pub fn write_clip(e: &Example, dir: &Path) -> Result<PathBuf, String> {
    let layout = if e.layout == "agent-right" { Layout::AgentRight } else { Layout::AgentLeft };
    let audio = crate::audio::load(&e.audio, layout).map_err(|err| err.to_string())?;
    let rate = i64::from(crate::audio::TARGET_RATE);
    let len = audio.channels.first().map_or(0, |c| c.samples.len()) as i64;
    let from = ((e.start_ms - CLIP_PAD_MS).max(0) * rate / 1000).min(len) as usize;
    let to = ((e.end_ms + CLIP_PAD_MS) * rate / 1000).clamp(0, len) as usize;
    std::fs::create_dir_all(dir).map_err(|err| format!("{}: {err}", dir.display()))?;
    let path = dir.join(clip_name(e));
    let bytes = pcm16_wav(&audio, from, to).map_err(|err| format!("{}: {err}", path.display()))?;
    crate::fsutil::write_atomic(&path, &bytes).map_err(|err| format!("{}: {err}", path.display()))?;
    Ok(path)
}

/// Samples `from..to` of decoded audio as a 16 kHz 16-bit PCM WAV (every channel; a stereo
/// call with the agent left): what clips and the HTML report's audio copies are.
pub fn pcm16_wav(audio: &crate::audio::Audio, from: usize, to: usize) -> Result<Vec<u8>, hound::Error> {
    let spec = hound::WavSpec {
        channels: audio.channels.len() as u16,
        sample_rate: crate::audio::TARGET_RATE,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut bytes = std::io::Cursor::new(Vec::new());
    let mut w = hound::WavWriter::new(&mut bytes, spec)?;
    for i in from..to {
        for c in &audio.channels {
            w.write_sample((c.samples[i].clamp(-1.0, 1.0) * 32767.0).round() as i16)?;
        }
    }
    w.finalize()?;
    Ok(bytes.into_inner())
}

/// The examples as text for the terminal.
pub fn render(examples: &[Example], clips: &[Option<PathBuf>]) -> String {
    let mut out = String::new();
    for (i, e) in examples.iter().enumerate() {
        let _ = writeln!(
            out,
            "{}. {} {} · call {} at {}–{} · {}",
            i + 1,
            e.agent_id,
            e.agent_name.as_deref().unwrap_or(""),
            e.call_id,
            clock(e.start_ms),
            clock(e.end_ms),
            e.headline
        );
        for line in &e.context {
            let _ = writeln!(out, "     {line}");
        }
        if let Some(Some(p)) = clips.get(i) {
            let _ = writeln!(out, "     clip: {}", p.display());
        }
    }
    if examples.is_empty() {
        out.push_str("no examples match\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::tests::sample_tables;

    #[test]
    fn clip_names_take_characters_not_bytes() {
        let mut e = Example {
            call_id: "c1".into(),
            agent_id: "A1".into(),
            agent_name: None,
            label: "规则".into(),
            severity: None,
            start_ms: 12_000,
            end_ms: 13_000,
            headline: String::new(),
            context: Vec::new(),
            audio: PathBuf::new(),
            layout: "agent-left".into(),
            finding_id: Some("编号一二三四五六七八九".into()),
        };
        assert_eq!(clip_name(&e), "A1_c1_规则_00m12s_编号一二三四五六.wav");
        e.finding_id = Some("../x".into());
        assert!(!clip_name(&e).contains('/'));
    }

    #[test]
    fn bad_examples_are_counted_findings_with_context_and_redaction() {
        let mut t = sample_tables();
        t.findings[0].context_after = Some("[customer] 我的手机是13812345678".into());
        let ex = select(&t, &ExampleFilter { category: Some("forbidden".into()), limit: 5, redact: true, ..Default::default() }).unwrap();
        assert_eq!(ex.len(), 1);
        assert_eq!(ex[0].label, "forbidden.reply");
        assert!(ex[0].context.iter().any(|l| l.starts_with("[agent] 你自己去看吧")));
        assert!(ex[0].context.iter().all(|l| !l.contains("13812345678")), "{:?}", ex[0].context);
        let name = clip_name(&ex[0]);
        assert_eq!(name, "A1001_c0001_forbidden.reply_00m12s_01234567.wav");
        t.findings[0].status = "rejected".into();
        assert!(select(&t, &ExampleFilter { category: Some("forbidden".into()), limit: 5, ..Default::default() }).unwrap().is_empty());
    }

    #[test]
    fn good_examples_are_calls_without_a_finding_of_the_category() {
        let t = sample_tables();
        let good = select(&t, &ExampleFilter { category: Some("greeting".into()), limit: 5, good: true, ..Default::default() }).unwrap();
        assert_eq!(good.len(), 1);
        assert_eq!((good[0].start_ms, good[0].end_ms), (600, 3_100));
        assert!(good[0].context[0].contains("您好，这里是客服中心"));
        let none = select(&t, &ExampleFilter { category: Some("forbidden".into()), limit: 5, good: true, ..Default::default() }).unwrap();
        assert!(none.is_empty());
        assert!(select(&t, &ExampleFilter { limit: 5, ..Default::default() }).unwrap_err().contains("--rule"));
    }

    #[test]
    fn a_clip_is_the_padded_span_of_the_recording() {
        let mut e = select(&sample_tables(), &ExampleFilter { category: Some("forbidden".into()), limit: 1, ..Default::default() }).unwrap().remove(0);
        e.audio = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/audio/A1001_20261102-093015_c0001.wav");
        let d = tempfile::tempdir().unwrap();
        let p = write_clip(&e, d.path()).unwrap();
        let r = hound::WavReader::open(&p).unwrap();
        assert_eq!((r.spec().channels, r.spec().sample_rate), (2, 16_000));
        // 12.0–13.0 s plus 2 s each side = 5 s.
        assert_eq!(r.duration(), 5 * 16_000);
        e.audio = d.path().join("missing.wav");
        assert!(write_clip(&e, d.path()).unwrap_err().contains("missing.wav"));
    }
}
