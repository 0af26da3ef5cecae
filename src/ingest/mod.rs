//! Ingest: which recordings a run covers, and who took each call when.
//!
//! Metadata comes from a manifest CSV when there is one, else from each file name through a
//! [`Pattern`]. Anything that cannot be placed — a name that fits no pattern, a manifest row
//! naming a missing file, a call id used twice — becomes an [`IngestError`] for the `errors`
//! report; the run goes on with the rest. `callqa transcribe`, which needs no metadata,
//! takes recordings as named ([`from_paths`]); every command reads names through the same
//! [`name_for`] and [`fields_from_name`].

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use jiff::tz::TimeZone;

pub mod pattern;

use pattern::Pattern;
use crate::shared::Layout;
use crate::call::{CallMeta, Direction};

/// A recording or manifest row that did not make a call.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct IngestError {
    /// The recording, or `manifest.csv:LINE` for a bad manifest row.
    pub file: String,
    pub call_id: Option<String>,
    pub reason: String,
}

/// The calls of a run and what could not be ingested.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Ingested {
    pub calls: Vec<CallMeta>,
    pub errors: Vec<IngestError>,
}

/// Every `*.wav` under `dir` (recursively, so per-day or per-team folders work), sorted, and
/// the folders named like recordings (reported, never silently passed over).
pub fn list_recordings(dir: &Path) -> Result<(Vec<PathBuf>, Vec<IngestError>), String> {
    let mut out = Vec::new();
    let mut problems = Vec::new();
    // Folders by their real path: a symbolic link back up the tree is followed once, not
    // until the path is too long (each lap's recordings would be "call ids used twice").
    let mut seen: std::collections::HashSet<PathBuf> = std::collections::HashSet::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        if !seen.insert(d.canonicalize().unwrap_or_else(|_| d.clone())) {
            continue;
        }
        let rd = std::fs::read_dir(&d).map_err(|e| format!("{}: {e}", d.display()))?;
        for e in rd {
            let p = e.map_err(|e| format!("{}: {e}", d.display()))?.path();
            let wav = p.extension().is_some_and(|x| x.eq_ignore_ascii_case("wav"));
            if p.is_dir() {
                if wav {
                    problems.push(IngestError {
                        file: p.display().to_string(),
                        call_id: None,
                        reason: "a folder named like a recording; its contents are searched, it is not a call".into(),
                    });
                }
                stack.push(p);
            } else if wav {
                out.push(p);
            }
        }
    }
    out.sort();
    problems.sort_by(|a, b| a.file.cmp(&b.file));
    Ok((out, problems))
}

/// One recording to transcribe.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CallInput {
    pub call_id: String,
    pub path: PathBuf,
    /// Which stereo channel is the agent, when something says so (manifest, file name,
    /// folder, site setting); a stereo recording without one is refused, not guessed.
    pub layout: Option<Layout>,
}

/// Collects the WAV recordings named by `paths`: files as given, directories searched (not
/// recursively) for `*.wav`, in name order. Call ids are file stems and must be unique.
pub fn from_paths(paths: &[PathBuf]) -> Result<Vec<CallInput>, String> {
    let mut files = Vec::new();
    for p in paths {
        if p.is_dir() {
            let rd = std::fs::read_dir(p).map_err(|e| format!("{}: {e}", p.display()))?;
            let mut found: Vec<PathBuf> = rd
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|f| f.is_file() && f.extension().is_some_and(|x| x.eq_ignore_ascii_case("wav")))
                .collect();
            found.sort();
            files.extend(found);
        } else {
            // A file named on the command line that is missing or unreadable fails alone,
            // when it is read, like any bad recording; the others are still transcribed.
            files.push(p.clone());
        }
    }
    let mut seen: HashMap<String, PathBuf> = HashMap::new();
    let mut out = Vec::with_capacity(files.len());
    for f in files {
        let call_id = f
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .filter(|s| !s.is_empty())
            .ok_or_else(|| format!("{}: cannot take a call id from this file name", f.display()))?;
        if let Some(prev) = seen.insert(call_id.clone(), f.clone()) {
            return Err(format!(
                "call id {call_id:?} is used by both {} and {}; rename one",
                prev.display(),
                f.display()
            ));
        }
        out.push(CallInput { call_id, path: f, layout: None });
    }
    Ok(out)
}

/// The file that sets the channel layout of the recordings in its folder and below.
pub const LAYOUT_FILE: &str = "callqa-layout.txt";

/// Reads a layout word: `agent-left` or `agent-right`.
fn parse_layout(s: &str) -> Result<Layout, String> {
    s.parse::<Layout>().map_err(|e| e.to_string())
}

/// The layout a recording's folders give: the nearest `callqa-layout.txt` between the
/// recording and `root` (one word, `agent-left` or `agent-right`; `#` starts a comment).
/// Folders are read once each.
struct FolderLayouts<'a> {
    root: &'a Path,
    cache: HashMap<PathBuf, Result<Option<Layout>, String>>,
}

impl FolderLayouts<'_> {
    fn of(&mut self, recording: &Path) -> Result<Option<Layout>, String> {
        let mut dir = recording.parent();
        while let Some(d) = dir {
            if let Some(found) = self.here(d)? {
                return Ok(Some(found));
            }
            if d == self.root || !d.starts_with(self.root) {
                break;
            }
            dir = d.parent();
        }
        Ok(None)
    }

    fn here(&mut self, dir: &Path) -> Result<Option<Layout>, String> {
        if let Some(r) = self.cache.get(dir) {
            return r.clone();
        }
        let file = dir.join(LAYOUT_FILE);
        let r = match std::fs::read_to_string(&file) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(format!("{}: {e}", file.display())),
            Ok(text) => {
                let words: Vec<(usize, &str)> = text
                    .lines()
                    .enumerate()
                    .map(|(i, l)| (i + 1, l.split('#').next().unwrap_or("").trim()))
                    .filter(|(_, l)| !l.is_empty())
                    .collect();
                match words.as_slice() {
                    [(line, w)] => parse_layout(w).map(Some).map_err(|e| format!("{}:{line}: {e}", file.display())),
                    [] => Err(format!("{}: empty; write agent-left or agent-right", file.display())),
                    [_, (line, _), ..] => Err(format!("{}:{line}: one layout per folder; write agent-left or agent-right once", file.display())),
                }
            }
        };
        self.cache.insert(dir.to_owned(), r.clone());
        r
    }
}

/// The name of `path` that `pattern` is matched against: the path relative to `root` when the
/// pattern contains `/` (so `{team}/...` works), else the file name. Recorders write `.WAV`
/// as often as `.wav`; the pattern's extension matches either.
pub fn name_for(pattern: &Pattern, root: Option<&Path>, path: &Path) -> String {
    let name = match root {
        Some(root) if pattern.to_string().contains('/') => path.strip_prefix(root).unwrap_or(path).to_string_lossy().replace('\\', "/"),
        _ => path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default(),
    };
    match name.rsplit_once('.') {
        Some((stem, ext)) if ext.eq_ignore_ascii_case("wav") => format!("{stem}.wav"),
        _ => name,
    }
}

/// What a recording's name says ([`name_for`]) through `pattern`, and its start as an instant
/// in `tz`. An `Err` carries the call id when the name gave one, and the reason.
pub fn fields_from_name(pattern: &Pattern, name: &str, tz: &TimeZone) -> Result<(pattern::NameFields, jiff::Timestamp), (Option<String>, String)> {
    let Some(f) = pattern.match_name(name) else {
        return Err((None, format!("the file name does not match the pattern {pattern}; rename it or list it in a manifest")));
    };
    crate::call::check_call_id(f.call_id.as_deref().unwrap_or("")).map_err(|reason| (None, reason))?;
    let started = f.started_at.expect("patterns always hold a start time");
    match started.to_zoned(tz.clone()) {
        Ok(z) => Ok((f, z.timestamp())),
        Err(e) => Err((f.call_id, format!("start time {started}: {e}"))),
    }
}

/// Calls from the recordings under `dir`, with metadata from their names. The pattern is
/// matched against the path relative to `dir` when it contains `/` (so `{team}/...` works),
/// else against the file name. The channel layout is the name's `{layout}`, else the nearest
/// [`LAYOUT_FILE`] in the recording's folders, else `default_layout`; one that cannot be read
/// is an [`IngestError`].
pub fn from_directory(dir: &Path, pattern: &Pattern, tz: &TimeZone, default_layout: Option<Layout>) -> Result<Ingested, String> {
    let mut ing = Ingested::default();
    let mut folders = FolderLayouts { root: dir, cache: HashMap::new() };
    let (recordings, problems) = list_recordings(dir)?;
    ing.errors.extend(problems);
    for path in recordings {
        let name = name_for(pattern, Some(dir), &path);
        let (f, started_at) = match fields_from_name(pattern, &name, tz) {
            Ok(r) => r,
            Err((call_id, reason)) => {
                ing.errors.push(IngestError { file: path.display().to_string(), call_id, reason });
                continue;
            }
        };
        let direction = f.direction.as_deref().and_then(Direction::parse);
        let layout = match f.layout.as_deref().map(parse_layout) {
            Some(Ok(l)) => Ok(Some(l)),
            Some(Err(e)) => Err(format!("the file name's {{layout}}: {e}")),
            None => folders.of(&path).map(|l| l.or(default_layout)),
        };
        let layout = match layout {
            Ok(l) => l,
            Err(reason) => {
                ing.errors.push(IngestError { file: path.display().to_string(), call_id: f.call_id, reason });
                continue;
            }
        };
        ing.calls.push(CallMeta {
            call_id: f.call_id.expect("patterns always hold a call id"),
            path,
            agent_id: f.agent_id.expect("patterns always hold an agent id"),
            agent_name: f.agent_name,
            team: f.team,
            started_at,
            direction,
            layout,
        });
    }
    dedupe(&mut ing);
    Ok(ing)
}

/// Columns a manifest must have; the others are optional.
const REQUIRED: [&str; 4] = ["call_id", "path", "agent_id", "started_at"];
const KNOWN: [&str; 8] = ["call_id", "path", "agent_id", "agent_name", "team", "started_at", "direction", "layout"];

/// Calls from a manifest CSV (`call_id,path,agent_id,agent_name,team,started_at,direction,layout`;
/// paths relative to the manifest's folder). A file-level problem (unreadable, a required
/// column missing, an unknown column) is an `Err`; a bad row is an [`IngestError`] naming
/// `FILE:LINE`.
pub fn from_manifest(manifest: &Path, tz: &TimeZone, default_layout: Option<Layout>) -> Result<Ingested, String> {
    let base = manifest.parent().unwrap_or(Path::new("."));
    let mut rdr = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .flexible(false)
        .from_path(manifest)
        .map_err(|e| format!("{}: {e}", manifest.display()))?;
    let headers = rdr.headers().map_err(|e| format!("{}: {e}", manifest.display()))?.clone();
    let col: HashMap<&str, usize> = headers.iter().enumerate().map(|(i, h)| (h.trim_start_matches('\u{feff}'), i)).collect();
    for h in col.keys() {
        if !KNOWN.contains(h) {
            return Err(format!("{}:1: unknown column `{h}`; the columns are {}", manifest.display(), KNOWN.join(", ")));
        }
    }
    for r in REQUIRED {
        if !col.contains_key(r) {
            return Err(format!("{}:1: the required column `{r}` is missing", manifest.display()));
        }
    }
    let mut ing = Ingested::default();
    for rec in rdr.records() {
        let rec = match rec {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map(|p| p.line()).unwrap_or(0);
                ing.errors.push(IngestError { file: format!("{}:{line}", manifest.display()), call_id: None, reason: e.to_string() });
                continue;
            }
        };
        let line = rec.position().map(|p| p.line()).unwrap_or(0);
        let at = format!("{}:{line}", manifest.display());
        let get = |c: &str| col.get(c).and_then(|i| rec.get(*i)).filter(|v| !v.is_empty()).map(str::to_owned);
        let call_id = get("call_id");
        let row = (|| {
            let call_id = call_id.clone().ok_or("empty call_id")?;
            crate::call::check_call_id(&call_id)?;
            let path = base.join(get("path").ok_or("empty path")?);
            let agent_id = get("agent_id").ok_or("empty agent_id")?;
            let started_raw = get("started_at").ok_or("empty started_at")?;
            let started_at = parse_instant(&started_raw, tz)?;
            let direction = match get("direction") {
                None => None,
                Some(d) => Some(Direction::parse(&d).ok_or_else(|| format!("direction {d:?} is not inbound or outbound"))?),
            };
            let layout = match get("layout").as_deref() {
                None | Some("mixed") | Some("mono") => default_layout,
                Some("agent-left") => Some(Layout::AgentLeft),
                Some("agent-right") => Some(Layout::AgentRight),
                Some(other) => return Err(format!("layout {other:?} is not agent-left, agent-right or mixed")),
            };
            if !path.is_file() {
                return Err(format!("the recording {} does not exist", path.display()));
            }
            Ok(CallMeta { call_id, path, agent_id, agent_name: get("agent_name"), team: get("team"), started_at, direction, layout })
        })();
        match row {
            Ok(c) => ing.calls.push(c),
            Err(reason) => ing.errors.push(IngestError { file: at, call_id, reason: reason.to_string() }),
        }
    }
    dedupe(&mut ing);
    Ok(ing)
}

/// An RFC 3339 instant (`2026-11-02T09:30:15+08:00`), or a civil date-time
/// (`2026-11-02 09:30:15`) read in the site's time zone.
pub fn parse_instant(s: &str, tz: &TimeZone) -> Result<jiff::Timestamp, String> {
    if let Ok(t) = s.parse::<jiff::Timestamp>() {
        return Ok(t);
    }
    let civil: jiff::civil::DateTime = s.parse().map_err(|_| format!("started_at {s:?} is not a date-time such as 2026-11-02T09:30:15+08:00"))?;
    civil.to_zoned(tz.clone()).map(|z| z.timestamp()).map_err(|e| format!("started_at {s:?}: {e}"))
}

/// A call id used twice is an error for every use after the first, naming both files.
fn dedupe(ing: &mut Ingested) {
    let mut first: HashMap<String, PathBuf> = HashMap::new();
    let mut kept = Vec::with_capacity(ing.calls.len());
    for c in ing.calls.drain(..) {
        match first.get(&c.call_id) {
            Some(p) => ing.errors.push(IngestError {
                file: c.path.display().to_string(),
                call_id: Some(c.call_id.clone()),
                reason: format!("call id {:?} is also used by {}; call ids must be unique", c.call_id, p.display()),
            }),
            None => {
                first.insert(c.call_id.clone(), c.path.clone());
                kept.push(c);
            }
        }
    }
    ing.calls = kept;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::pattern::DEFAULT_PATTERN;

    fn shanghai() -> TimeZone {
        TimeZone::get("Asia/Shanghai").unwrap()
    }

    #[test]
    fn a_directory_gives_calls_from_names_and_errors_for_the_rest() {
        let d = tempfile::tempdir().unwrap();
        std::fs::create_dir(d.path().join("day2")).unwrap();
        for n in ["A1_20261102-093015_c1.wav", "day2/A2_20261103-100000_c2.WAV", "day2/A3_20261103-100000_c1.wav", "random.wav", "notes.txt"] {
            std::fs::write(d.path().join(n), b"").unwrap();
        }
        let p = Pattern::parse(DEFAULT_PATTERN).unwrap();
        let ing = from_directory(d.path(), &p, &shanghai(), None).unwrap();
        let ids: Vec<_> = ing.calls.iter().map(|c| (c.call_id.as_str(), c.agent_id.as_str())).collect();
        assert_eq!(ids, [("c1", "A1"), ("c2", "A2")]);
        assert_eq!(ing.calls[0].started_at.to_string(), "2026-11-02T01:30:15Z");
        assert_eq!(ing.errors.len(), 2, "{:?}", ing.errors);
        assert!(ing.errors.iter().any(|e| e.file.ends_with("A3_20261103-100000_c1.wav") && e.reason.contains("also used by")));
        assert!(ing.errors.iter().any(|e| e.file.ends_with("random.wav") && e.reason.contains("does not match")));
    }

    #[test]
    fn a_manifest_gives_calls_and_names_each_bad_row_by_line() {
        let d = tempfile::tempdir().unwrap();
        std::fs::write(d.path().join("a.wav"), b"").unwrap();
        std::fs::write(d.path().join("b.wav"), b"").unwrap();
        let m = d.path().join("manifest.csv");
        std::fs::write(
            &m,
            "\u{feff}call_id,path,agent_id,agent_name,team,started_at,direction,layout\n\
             c1,a.wav,A1,王芳,一组,2026-11-02T09:30:15+08:00,inbound,agent-right\n\
             c2,missing.wav,A1,,,2026-11-02 10:00:00,,\n\
             c3,b.wav,A2,,,yesterday,,\n\
             c4,b.wav,A2,,,2026-11-02 10:00:00,sideways,\n\
             c5,b.wav,A2,,,2026-11-30 23:30:00,out,mixed\n\
             c1,b.wav,A2,,,2026-11-02 10:00:00,,\n",
        )
        .unwrap();
        let ing = from_manifest(&m, &shanghai(), Some(Layout::AgentLeft)).unwrap();
        assert_eq!(ing.calls.len(), 2);
        let c1 = &ing.calls[0];
        assert_eq!((c1.agent_name.as_deref(), c1.team.as_deref(), c1.layout), (Some("王芳"), Some("一组"), Some(Layout::AgentRight)));
        assert_eq!(c1.direction, Some(Direction::Inbound));
        let c5 = &ing.calls[1];
        assert_eq!(c5.started_at.to_string(), "2026-11-30T15:30:00Z");
        assert_eq!(c5.layout, Some(Layout::AgentLeft));
        let errs: Vec<_> = ing.errors.iter().map(|e| (e.file.rsplit(':').next().unwrap().to_owned(), e.reason.clone())).collect();
        assert_eq!(errs.len(), 4, "{errs:?}");
        assert!(errs[0].0 == "3" && errs[0].1.contains("missing.wav"), "{errs:?}");
        assert!(errs[1].0 == "4" && errs[1].1.contains("\"yesterday\""), "{errs:?}");
        assert!(errs[2].0 == "5" && errs[2].1.contains("sideways"), "{errs:?}");
        assert!(errs[3].1.contains("also used by"), "{errs:?}");
    }

    #[test]
    fn manifest_file_problems_are_errors_naming_the_file() {
        let d = tempfile::tempdir().unwrap();
        let m = d.path().join("m.csv");
        std::fs::write(&m, "call_id,path,agent,started_at\n").unwrap();
        let err = from_manifest(&m, &shanghai(), None).unwrap_err();
        assert!(err.contains("m.csv:1") && err.contains("unknown column `agent`"), "{err}");
        std::fs::write(&m, "call_id,path,started_at\n").unwrap();
        let err = from_manifest(&m, &shanghai(), None).unwrap_err();
        assert!(err.contains("`agent_id` is missing"), "{err}");
        let err = from_manifest(&d.path().join("none.csv"), &shanghai(), None).unwrap_err();
        assert!(err.contains("none.csv"), "{err}");
    }

    #[cfg(unix)]
    #[test]
    fn a_symlink_loop_is_followed_once_and_a_folder_named_wav_is_reported() {
        let d = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(d.path().join("day/x.wav")).unwrap();
        std::fs::write(d.path().join("day/A1_20261102-093015_c1.wav"), b"x").unwrap();
        std::os::unix::fs::symlink(d.path(), d.path().join("day/loop")).unwrap();
        let (files, problems) = list_recordings(d.path()).unwrap();
        assert_eq!(files.len(), 1, "{files:?}");
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(problems[0].file.ends_with("x.wav") && problems[0].reason.contains("folder"), "{problems:?}");
    }

    /// The layout of a recording in `--input` mode: its name's `{layout}`, else the nearest
    /// callqa-layout.txt, else the site's default; anything unreadable is an errors row.
    #[test]
    fn layouts_come_from_the_name_then_the_nearest_folder_file_then_the_default() {
        let d = tempfile::tempdir().unwrap();
        for dir in ["right/left", "plain", "bad", "two"] {
            std::fs::create_dir_all(d.path().join(dir)).unwrap();
        }
        std::fs::write(d.path().join("right").join(LAYOUT_FILE), "# the PBX in building B\nagent-right\n").unwrap();
        std::fs::write(d.path().join("right/left").join(LAYOUT_FILE), "agent-left").unwrap();
        std::fs::write(d.path().join("bad").join(LAYOUT_FILE), "agent-rigth\n").unwrap();
        std::fs::write(d.path().join("two").join(LAYOUT_FILE), "agent-left\nagent-right\n").unwrap();
        for (n, id) in [("right", 1), ("right/left", 2), ("plain", 3), ("bad", 4), ("two", 5)] {
            std::fs::write(d.path().join(n).join(format!("A1_20261102-09301{id}_c{id}.wav")), b"").unwrap();
        }
        let p = Pattern::parse(DEFAULT_PATTERN).unwrap();
        let layout_of = |ing: &Ingested, id: &str| ing.calls.iter().find(|c| c.call_id == id).map(|c| c.layout);
        let ing = from_directory(d.path(), &p, &shanghai(), None).unwrap();
        assert_eq!(layout_of(&ing, "c1"), Some(Some(Layout::AgentRight)));
        assert_eq!(layout_of(&ing, "c2"), Some(Some(Layout::AgentLeft)));
        assert_eq!(layout_of(&ing, "c3"), Some(None), "unknown here; a stereo file is refused when it is decoded");
        let reasons: Vec<&str> = ing.errors.iter().map(|e| e.reason.as_str()).collect();
        assert_eq!(reasons.len(), 2, "{reasons:?}");
        assert!(reasons[0].contains("bad/callqa-layout.txt:1") && reasons[0].contains("agent-rigth"), "{reasons:?}");
        assert!(reasons[1].contains("two/callqa-layout.txt:2"), "{reasons:?}");
        let ing = from_directory(d.path(), &p, &shanghai(), Some(Layout::AgentRight)).unwrap();
        assert_eq!(layout_of(&ing, "c3"), Some(Some(Layout::AgentRight)));
        assert_eq!(layout_of(&ing, "c2"), Some(Some(Layout::AgentLeft)), "a folder's file beats the site default");

        let p = Pattern::parse("{agent_id}_{yyyymmdd-HHMMSS}_{call_id}_{layout}.wav").unwrap();
        std::fs::write(d.path().join("right/A1_20261102-093016_c6_agent-left.wav"), b"").unwrap();
        std::fs::write(d.path().join("plain/A1_20261102-093017_c7_L.wav"), b"").unwrap();
        let ing = from_directory(d.path(), &p, &shanghai(), None).unwrap();
        assert_eq!(layout_of(&ing, "c6"), Some(Some(Layout::AgentLeft)), "the name beats the folder");
        let e = ing.errors.iter().find(|e| e.call_id.as_deref() == Some("c7")).unwrap();
        assert!(e.reason.contains("{layout}") && e.reason.contains("\"L\""), "{e:?}");
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        proptest! {
            #![proptest_config(ProptestConfig { cases: 128, failure_persistence: None, ..ProptestConfig::default() })]

            /// Column order, a byte-order mark, spaces around cells and CRLF line ends are how
            /// spreadsheets and scripts happen to write a manifest: none changes its calls.
            #[test]
            fn a_manifest_means_the_same_however_it_is_laid_out(order in Just((0..KNOWN.len()).collect::<Vec<_>>()).prop_shuffle(), bom in any::<bool>(), pad in any::<bool>(), crlf in any::<bool>()) {
                let d = tempfile::tempdir().unwrap();
                std::fs::write(d.path().join("a.wav"), b"").unwrap();
                std::fs::write(d.path().join("b.wav"), b"").unwrap();
                let rows = [
                    ["c1", "a.wav", "A1", "王芳", "一组", "2026-11-02T09:30:15+08:00", "inbound", "agent-right"],
                    ["c2", "b.wav", "A2", "", "", "2026-11-02 10:00:00", "", ""],
                ];
                let write = |path: &Path, order: &[usize], bom: bool, pad: bool, crlf: bool| {
                    let cell = |v: &str| if pad && !v.is_empty() { format!("  {v} ") } else { v.to_owned() };
                    let end = if crlf { "\r\n" } else { "\n" };
                    let mut text = String::from(if bom { "\u{feff}" } else { "" });
                    text += &order.iter().map(|&i| KNOWN[i]).collect::<Vec<_>>().join(",");
                    text += end;
                    for r in &rows {
                        text += &order.iter().map(|&i| cell(r[i])).collect::<Vec<_>>().join(",");
                        text += end;
                    }
                    std::fs::write(path, text).unwrap();
                };
                let plain = d.path().join("plain.csv");
                write(&plain, &(0..KNOWN.len()).collect::<Vec<_>>(), false, false, false);
                let other = d.path().join("other.csv");
                write(&other, &order, bom, pad, crlf);
                let (a, b) = (from_manifest(&plain, &shanghai(), None).unwrap(), from_manifest(&other, &shanghai(), None).unwrap());
                prop_assert!(a.errors.is_empty() && b.errors.is_empty(), "{:?} {:?}", a.errors, b.errors);
                prop_assert_eq!(a.calls, b.calls);
            }
        }
    }
}
