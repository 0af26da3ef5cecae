//! The HTML report: a folder of static pages over a report set that opens from disk, with no
//! server and no network, so call audio never leaves the building.
//!
//! ```text
//! html/index.html            overview: period picker, teams and agents, grades, top rules, failures
//! html/agent-ID.html         an agent's scorecards, trend, deductions by category, worst and good calls
//! html/call-ID.html          metadata, timeline, transcript, findings with review controls, audio
//! html/rules.html            per rule: how often it fired, how reviews judged it
//! html/search.html           client-side search over search-index.js
//! html/assets/               app.js and style.css (the only script and style; nothing external)
//! html/audio/                16 kHz WAV copies of the recordings, with `--html-audio copy`
//! ```
//!
//! Design: page models ([`model`]) are plain structs computed from the tables; minijinja
//! renders them through templates compiled into the binary (`templates/`), and escapes every
//! value of an `.html` template, so a transcript holding `<script>` is shown as text. The few
//! pieces of markup made in Rust (SVG charts, [`svg`]) escape their text themselves. Data for
//! scripts is a `.js` file (`search-index.js`) rather than JSON fetched at run time, because
//! browsers refuse `fetch` from `file://`. Reviews made in the browser live in its
//! localStorage and leave it only as the `reviews.csv` the next run reads.
//!
//! The folder is written next to itself and renamed into place, so a reader sees the old pages
//! or the new ones.

pub mod model;
pub mod svg;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use minijinja::{Environment, context};
use rayon::prelude::*;

use super::{CallRow, FindingRow, ReportError, ReportMeta, SegmentRow, Tables};
use model::{Site, Texts};

/// Where a call page's audio comes from.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AudioMode {
    /// A relative link to the recording where it is on disk (the folder cannot be moved).
    #[default]
    Link,
    /// A 16 kHz WAV copy of each recording in `html/audio/` (the folder can be moved).
    Copy,
    /// No audio.
    None,
}

impl std::str::FromStr for AudioMode {
    type Err = String;

    fn from_str(s: &str) -> Result<AudioMode, String> {
        match s {
            "link" => Ok(AudioMode::Link),
            "copy" => Ok(AudioMode::Copy),
            "none" => Ok(AudioMode::None),
            _ => Err(format!("html audio `{s}` must be link, copy or none")),
        }
    }
}

/// How the HTML is written.
#[derive(Clone, Copy, Debug, Default)]
pub struct HtmlOptions {
    pub audio: AudioMode,
    /// Mask phone, ID and card numbers in the pages even when the tables are not masked.
    pub redact: bool,
}

/// What was written.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct HtmlSummary {
    pub dir: PathBuf,
    pub pages: usize,
    /// Calls whose audio could not be linked or copied, with why.
    pub audio_missing: Vec<String>,
}

impl std::fmt::Display for HtmlSummary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for m in &self.audio_missing {
            writeln!(f, "html: no audio for {m}")?;
        }
        write!(f, "HTML report: {} ({} pages); open it in a browser", self.dir.join("index.html").display(), self.pages)
    }
}

const TEMPLATES: [(&str, &str); 6] = [
    ("base.html", include_str!("templates/base.html")),
    ("index.html", include_str!("templates/index.html")),
    ("agent.html", include_str!("templates/agent.html")),
    ("call.html", include_str!("templates/call.html")),
    ("rules.html", include_str!("templates/rules.html")),
    ("search.html", include_str!("templates/search.html")),
];
const APP_JS: &str = include_str!("assets/app.js");
const STYLE_CSS: &str = include_str!("assets/style.css");

fn environment() -> Environment<'static> {
    let mut env = Environment::new();
    for (name, src) in TEMPLATES {
        // The templates are compiled into the binary and parsed by a unit test.
        env.add_template(name, src).unwrap_or_else(|e| panic!("template {name}: {e}"));
    }
    env
}

/// A page model as a template value.
fn v<T: serde::Serialize>(x: &T) -> minijinja::Value {
    minijinja::Value::from(minijinja::value::Serde(x))
}

fn render_err(dir: &Path, page: &str, e: minijinja::Error) -> ReportError {
    ReportError::Meta(dir.join(page), format!("rendering the page failed: {e}"))
}

fn io_err(path: &Path, e: std::io::Error) -> ReportError {
    ReportError::Io(path.to_owned(), e)
}

/// Writes the HTML report of a report set into `out` (replacing what is there).
pub fn write(out: &Path, meta: &ReportMeta, tables: &Tables, opts: HtmlOptions) -> Result<HtmlSummary, ReportError> {
    // Built aside and swapped in whole, like the report set (see `report::publish`).
    crate::report::publish(out, |staging| write_into(staging, out, meta, tables, opts))
}

/// Writes the pages into the empty folder `dir`, which will be moved to `final_dir` (links to
/// recordings are made relative to where the pages will be read).
pub fn write_into(dir: &Path, final_dir: &Path, meta: &ReportMeta, tables: &Tables, opts: HtmlOptions) -> Result<HtmlSummary, ReportError> {
    let summary = write_pages(dir, final_dir, meta, tables, opts)?;
    Ok(HtmlSummary { dir: final_dir.to_owned(), ..summary })
}

fn put(path: &Path, bytes: &[u8]) -> Result<(), ReportError> {
    std::fs::write(path, bytes).map_err(|e| io_err(path, e))
}

fn write_pages(dir: &Path, final_dir: &Path, meta: &ReportMeta, tables: &Tables, opts: HtmlOptions) -> Result<HtmlSummary, ReportError> {
    let env = environment();
    let site = Site::new(meta, opts.redact);
    let texts = Texts { redact: opts.redact && !meta.redacted };
    std::fs::create_dir_all(dir.join("assets")).map_err(|e| io_err(dir, e))?;
    put(&dir.join("assets/app.js"), APP_JS.as_bytes())?;
    put(&dir.join("assets/style.css"), STYLE_CSS.as_bytes())?;

    let render = |page: &str, template: &str, ctx: minijinja::Value| -> Result<(), ReportError> {
        let html = env.get_template(template).and_then(|t| t.render(ctx)).map_err(|e| render_err(dir, page, e))?;
        put(&dir.join(page), html.as_bytes())
    };
    let mut pages = 0;
    render("index.html", "index.html", context! { site => v(&site), o => v(&model::overview(tables, texts)) })?;
    render("rules.html", "rules.html", context! { site => v(&site), rules => v(&model::rules(tables)) })?;
    pages += 2;

    // Search: the page lists the filter values; the rows are in search-index.js.
    let index = model::search_index(tables, texts);
    let json = serde_json::to_string(&index).map_err(|e| ReportError::Meta(dir.join("search-index.js"), e.to_string()))?;
    // JSON inside a script: `</` must not close it.
    put(&dir.join("search-index.js"), format!("window.CALLQA_INDEX = {};\n", json.replace("</", "<\\/")).as_bytes())?;
    let mut agents: BTreeMap<&str, String> = BTreeMap::new();
    for c in &tables.calls {
        agents.entry(&c.agent_id).or_insert_with(|| texts.show(c.agent_name.as_deref().unwrap_or("")));
    }
    let set = |it: &mut dyn Iterator<Item = String>| -> Vec<String> {
        let mut v: Vec<String> = it.filter(|s| !s.is_empty()).collect();
        v.sort();
        v.dedup();
        v
    };
    let mut rules: BTreeMap<&str, &str> = BTreeMap::new();
    for f in &tables.findings {
        rules.insert(&f.rule_id, &f.rule_name);
    }
    render(
        "search.html",
        "search.html",
        context! {
            site => v(&site),
            agents => v(&agents.iter().map(|(a, n)| (a.to_string(), n.clone())).collect::<Vec<_>>()),
            teams => v(&set(&mut tables.calls.iter().filter_map(|c| c.team.clone()))),
            categories => v(&set(&mut tables.findings.iter().map(|f| f.category.clone()))),
            rules => v(&rules.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect::<Vec<_>>()),
            statuses => v(&set(&mut tables.findings.iter().map(|f| f.status.clone()))),
            months => v(&set(&mut tables.calls.iter().map(model::month_of))),
        },
    )?;
    pages += 1;

    for agent in agents.keys() {
        render(&model::agent_page(agent), "agent.html", context! { site => v(&site), a => v(&model::agent(tables, agent, texts)) })?;
        pages += 1;
    }

    // Call pages, in parallel: at 10,000 calls they are most of the work.
    let mut segs: BTreeMap<&str, Vec<&SegmentRow>> = BTreeMap::new();
    for s in &tables.segments {
        segs.entry(&s.call_id).or_default().push(s);
    }
    let mut finds: BTreeMap<&str, Vec<&FindingRow>> = BTreeMap::new();
    for f in &tables.findings {
        finds.entry(&f.call_id).or_default().push(f);
    }
    if opts.audio == AudioMode::Copy {
        std::fs::create_dir_all(dir.join("audio")).map_err(|e| io_err(dir, e))?;
    }
    let results: Vec<Result<Option<String>, ReportError>> = tables
        .calls
        .par_iter()
        .map(|c| {
            let (audio, missing) = audio_for(c, dir, final_dir, opts.audio);
            let mut s = segs.get(c.call_id.as_str()).cloned().unwrap_or_default();
            s.sort_by_key(|x| (x.start_ms, x.index));
            let mut f = finds.get(c.call_id.as_str()).cloned().unwrap_or_default();
            f.sort_by_key(|x| x.start_ms);
            let view = model::call(c, &s, &f, audio, texts);
            render(&model::call_page(&c.call_id), "call.html", context! { site => v(&site), c => v(&view) })?;
            Ok(missing)
        })
        .collect();
    let mut audio_missing = Vec::new();
    for r in results {
        if let Some(m) = r? {
            audio_missing.push(m);
        }
    }
    pages += tables.calls.len();
    Ok(HtmlSummary { dir: dir.to_owned(), pages, audio_missing })
}

/// The call's audio source relative to its page, and why there is none when there is none.
fn audio_for(c: &CallRow, staging: &Path, final_dir: &Path, mode: AudioMode) -> (Option<String>, Option<String>) {
    let recording = Path::new(&c.path);
    match mode {
        AudioMode::None => (None, None),
        AudioMode::Link => {
            let (Ok(rec), Some(from)) = (recording.canonicalize(), absolute(final_dir)) else {
                return (None, Some(format!("{}: {} is not reachable", c.call_id, c.path)));
            };
            (Some(relative(&from, &rec)), None)
        }
        AudioMode::Copy => {
            let name = model::page_name("audio", &c.call_id).replace(".html", ".wav");
            match copy_audio(recording, &c.layout, &staging.join("audio").join(&name)) {
                Ok(()) => (Some(format!("audio/{name}")), None),
                Err(e) => (None, Some(format!("{}: {e}", c.call_id))),
            }
        }
    }
}

/// `dir` as an absolute, normalised path, whether or not it (or its parents: a first report
/// set's folder is created only when the set is swapped in) exists yet.
fn absolute(dir: &Path) -> Option<PathBuf> {
    let abs = if dir.is_absolute() { dir.to_owned() } else { std::env::current_dir().ok()?.join(dir) };
    let mut missing = Vec::new();
    let mut at = abs.as_path();
    loop {
        if let Ok(real) = at.canonicalize() {
            return Some(missing.iter().rev().fold(real, |p, part| p.join(part)));
        }
        missing.push(at.file_name()?.to_owned());
        at = at.parent()?;
    }
}

/// A relative URL from folder `from` to file `to` (both absolute), with `/` separators and
/// each part percent-encoded where a URL needs it.
fn relative(from: &Path, to: &Path) -> String {
    let a: Vec<_> = from.components().collect();
    let b: Vec<_> = to.components().collect();
    let common = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let mut parts: Vec<String> = vec!["..".into(); a.len() - common];
    parts.extend(b[common..].iter().map(|c| url_part(&c.as_os_str().to_string_lossy())));
    parts.join("/")
}

fn url_part(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A 16 kHz 16-bit WAV of the recording (both channels of a stereo call, agent left).
fn copy_audio(recording: &Path, layout: &str, to: &Path) -> Result<(), String> {
    let layout = if layout == "agent-right" { crate::shared::Layout::AgentRight } else { crate::shared::Layout::AgentLeft };
    let audio = crate::audio::load(recording, layout).map_err(|e| e.to_string())?;
    let len = audio.channels.iter().map(|c| c.samples.len()).min().unwrap_or(0);
    let bytes = super::examples::pcm16_wav(&audio, 0, len).map_err(|e| format!("{}: {e}", to.display()))?;
    std::fs::write(to, bytes).map_err(|e| format!("{}: {e}", to.display()))
}

#[cfg(test)]
mod tests;
