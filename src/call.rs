//! Who took a call and when: the metadata that scoring groups by (agent, team, period).
//!
//! It comes from a manifest or from the recording's file name (the batch stage decides which);
//! scoring and reports only read it. The start is an instant (`jiff::Timestamp`), so periods can
//! be cut in any time zone the site chooses.

use std::fmt;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::shared::Layout;

/// Whether the customer called in or the agent called out.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    Inbound,
    Outbound,
}

impl Direction {
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Inbound => "inbound",
            Direction::Outbound => "outbound",
        }
    }

    /// Parses `inbound`/`outbound` (also `in`/`out`), case-insensitively.
    pub fn parse(s: &str) -> Option<Direction> {
        match s.trim().to_ascii_lowercase().as_str() {
            "inbound" | "in" => Some(Direction::Inbound),
            "outbound" | "out" => Some(Direction::Outbound),
            _ => None,
        }
    }
}

impl fmt::Display for Direction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The longest call id accepted.
pub const MAX_CALL_ID: usize = 128;

/// Checks a call id before it names a file: 1 to 128 characters of `A–Z a–z 0–9 . _ -`, not
/// starting with a dot. Call ids come from manifests, file names and transcript files, any of
/// which may be hostile; `/tmp/x` or `../calls` must never become a path.
pub fn check_call_id(id: &str) -> Result<(), String> {
    if id.is_empty() || id.len() > MAX_CALL_ID {
        return Err(format!("call id {id:?} must be 1 to {MAX_CALL_ID} characters"));
    }
    if id.starts_with('.') {
        return Err(format!("call id {id:?} must not start with a dot"));
    }
    if let Some(c) = id.chars().find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))) {
        return Err(format!("call id {id:?} holds {c:?}; call ids are letters, digits, '.', '_' and '-' (they name files)"));
    }
    Ok(())
}

/// `dir/<call id><suffix>`, after [`check_call_id`]: the one way a call id becomes a path.
pub fn call_path(dir: &std::path::Path, call_id: &str, suffix: &str) -> Result<std::path::PathBuf, String> {
    check_call_id(call_id)?;
    Ok(dir.join(format!("{call_id}{suffix}")))
}

/// One call's metadata, as given by a manifest row or a file name.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CallMeta {
    pub call_id: String,
    /// The recording.
    pub path: PathBuf,
    pub agent_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub team: Option<String>,
    /// When the call connected.
    pub started_at: jiff::Timestamp,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub direction: Option<Direction>,
    /// Which channel is the agent; `None` means the site default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub layout: Option<Layout>,
}

#[cfg(test)]
mod call_id_tests {
    use super::*;

    #[test]
    fn hostile_call_ids_never_become_paths() {
        for ok in ["c0001", "A1001_20261102-093015", "v1.2", "x"] {
            assert!(check_call_id(ok).is_ok(), "{ok}");
        }
        for bad in ["", "/tmp/x", "../calls", "../../y", "a/b", "a\\b", ".hidden", "..", "c 1", "呼叫1", "a\u{0}b", &"x".repeat(129)] {
            assert!(check_call_id(bad).is_err(), "{bad:?}");
            assert!(call_path(std::path::Path::new("/run/work"), bad, ".json").is_err(), "{bad:?}");
        }
        assert_eq!(call_path(std::path::Path::new("/w"), "c1", ".findings.json").unwrap(), std::path::Path::new("/w/c1.findings.json"));
    }
}
