//! Who took a call and when: the metadata that scoring groups by (agent, team, period).
//!
//! It comes from a manifest or from the recording's file name (the batch stage decides which);
//! scoring and reports only read it. The start is an instant (`jiff::Timestamp`), so periods can
//! be cut in any time zone the site chooses.

use std::fmt;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::audio::Layout;

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
