//! The fixture corpus is consistent: the manifest lists every recording in fixtures/audio,
//! the labels load and refer to listed calls at times inside them, the generated calls are
//! what issue 5 asks for (30+ stereo calls of 30–120 s, 4–6 agents, 2 teams, two months),
//! and the deliberately broken recordings really are unreadable. Needs no model.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use callqa::audio::{Layout, decode};
use callqa::call::Direction;
use callqa::eval::load_labels;
use callqa::rules::{KNOWN_CATEGORIES, Kind};
use serde::Deserialize;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

#[derive(Debug, Deserialize)]
struct Row {
    call_id: String,
    path: String,
    agent_id: String,
    agent_name: String,
    team: String,
    started_at: String,
    direction: String,
    layout: String,
}

#[derive(Deserialize)]
struct Sidecar {
    call_id: String,
    agent_id: String,
    started_at: String,
    layout: String,
    duration_ms: u64,
    line: Line,
}

#[derive(Deserialize)]
struct Line {
    channels: u16,
}

fn manifest() -> Vec<Row> {
    let path = root().join("fixtures/audio/manifest.csv");
    let mut rdr = csv::Reader::from_path(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let header: Vec<String> = rdr.headers().unwrap().iter().map(str::to_owned).collect();
    assert_eq!(header, ["call_id", "path", "agent_id", "agent_name", "team", "started_at", "direction", "layout"]);
    rdr.deserialize().map(|r| r.unwrap_or_else(|e| panic!("{}: {e}", path.display()))).collect()
}

fn sidecar(wav: &Path) -> Option<Sidecar> {
    let bytes = std::fs::read(wav.with_extension("json")).ok()?;
    Some(serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("{}: {e}", wav.display())))
}

#[test]
fn the_manifest_lists_every_recording_once_with_valid_fields() {
    let dir = root().join("fixtures/audio");
    let rows = manifest();
    let listed: BTreeSet<&str> = rows.iter().map(|r| r.path.as_str()).collect();
    let on_disk: BTreeSet<String> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.ends_with(".wav"))
        .collect();
    assert_eq!(listed, on_disk.iter().map(String::as_str).collect(), "manifest paths vs fixtures/audio/*.wav");
    let ids: BTreeSet<&str> = rows.iter().map(|r| r.call_id.as_str()).collect();
    assert_eq!(ids.len(), rows.len(), "call ids are unique");

    for r in &rows {
        // The file name pattern <agent_id>_<yyyymmdd-HHMMSS>_<call_id>.wav agrees with the row.
        let t: jiff::Zoned = r.started_at.parse::<jiff::Timestamp>().unwrap().to_zoned(jiff::tz::TimeZone::fixed(jiff::tz::offset(8)));
        assert!(r.started_at.ends_with("+08:00"), "{r:?}");
        assert_eq!(r.path, format!("{}_{}_{}.wav", r.agent_id, t.strftime("%Y%m%d-%H%M%S"), r.call_id), "{r:?}");
        assert!(Direction::parse(&r.direction).is_some(), "{r:?}");
        assert!(!r.agent_name.is_empty() && !r.team.is_empty(), "{r:?}");
        if let Some(s) = sidecar(&dir.join(&r.path)) {
            assert_eq!((&s.call_id, &s.agent_id, &s.started_at, &s.layout), (&r.call_id, &r.agent_id, &r.started_at, &r.layout), "{r:?}");
        }
        match r.layout.as_str() {
            "mixed" => {}
            l => {
                l.parse::<Layout>().unwrap_or_else(|e| panic!("{r:?}: {e}"));
            }
        }
    }
}

#[test]
fn the_generated_calls_cover_what_the_issue_asks_for() {
    let dir = root().join("fixtures/audio");
    let rows = manifest();
    let stereo: Vec<(&Row, Sidecar)> = rows
        .iter()
        .filter_map(|r| sidecar(&dir.join(&r.path)).map(|s| (r, s)))
        .filter(|(_, s)| s.line.channels == 2 && (30_000..=120_000).contains(&s.duration_ms))
        .collect();
    assert!(stereo.len() >= 30, "{} stereo calls of 30–120 s", stereo.len());
    let total_ms: u64 = rows.iter().filter_map(|r| sidecar(&dir.join(&r.path))).map(|s| s.duration_ms).sum();
    assert!(total_ms <= 45 * 60_000, "{total_ms} ms of audio: CI transcribes it on 2 cores");
    let agents: BTreeSet<&str> = rows.iter().map(|r| r.agent_id.as_str()).collect();
    let teams: BTreeMap<&str, BTreeSet<&str>> = rows.iter().fold(BTreeMap::new(), |mut m, r| {
        m.entry(r.team.as_str()).or_default().insert(r.agent_id.as_str());
        m
    });
    assert!((4..=6).contains(&agents.len()) && teams.len() == 2, "{agents:?} {teams:?}");
    let months: BTreeSet<&str> = rows.iter().map(|r| &r.started_at[..7]).collect();
    assert_eq!(months, BTreeSet::from(["2026-11", "2026-12"]));
}

#[test]
fn the_labels_load_and_point_inside_listed_calls() {
    let labels = load_labels(&root().join("fixtures/labels.csv"), KNOWN_CATEGORIES).unwrap_or_else(|e| panic!("{e}"));
    let dir = root().join("fixtures/audio");
    let rows: BTreeMap<String, Row> = manifest().into_iter().map(|r| (r.call_id.clone(), r)).collect();
    let mut per_category: BTreeMap<&str, usize> = BTreeMap::new();
    for l in &labels {
        let row = rows.get(&l.call_id).unwrap_or_else(|| panic!("labels.csv:{}: call {} not in the manifest", l.line, l.call_id));
        let s = sidecar(&dir.join(&row.path)).unwrap_or_else(|| panic!("labels.csv:{}: {} has no script", l.line, l.call_id));
        if let Some(t) = l.start_ms {
            assert!(t <= s.duration_ms, "labels.csv:{}: {t} ms is past the end of {}", l.line, l.call_id);
        }
        if l.kind == Kind::Forbidden {
            assert!(l.start_ms.is_some(), "labels.csv:{}: a forbidden phrase has a time", l.line);
        }
        *per_category.entry(l.category.as_str()).or_default() += 1;
    }
    // Every behaviour the corpus was built to show has labels.
    for c in ["greeting", "closing", "politeness", "forbidden", "confirmation", "silence", "overtalk", "speech_rate", "hangup"] {
        assert!(per_category.contains_key(c), "no {c} labels: {per_category:?}");
    }
}

#[test]
fn the_deliberate_failures_are_unreadable_and_have_no_script() {
    let dir = root().join("fixtures/audio");
    let broken: Vec<Row> = manifest().into_iter().filter(|r| sidecar(&dir.join(&r.path)).is_none()).collect();
    let mut reasons = Vec::new();
    for r in &broken {
        let path = dir.join(&r.path);
        let bytes = std::fs::read(&path).unwrap();
        let e = decode(&bytes, &path, Layout::AgentLeft).expect_err(&r.path);
        reasons.push(format!("{} {e}", bytes.len()));
    }
    assert_eq!(broken.len(), 2, "{reasons:?}");
    assert!(reasons.iter().any(|r| r.starts_with("0 ")), "an empty file: {reasons:?}");
    assert!(reasons.iter().any(|r| r.contains("truncated") && !r.starts_with("0 ")), "a corrupt header: {reasons:?}");
}
