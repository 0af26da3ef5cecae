//! The words every stage shares, defined before any stage so that none has to import another
//! for them: who speaks on a channel ([`Role`]) and which stereo channel is the agent
//! ([`Layout`]). Stages re-export what they hand out (`audio::Role`), but depend only on this.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Who is speaking on a channel.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Agent,
    Customer,
    /// Both parties on one channel (a mono recording).
    Mixed,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Agent => "agent",
            Role::Customer => "customer",
            Role::Mixed => "mixed",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which stereo channel carries the agent. Ignored for mono files.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Layout {
    /// Left (first) channel is the agent, right is the customer.
    #[default]
    AgentLeft,
    /// Right (second) channel is the agent, left is the customer.
    AgentRight,
}

impl Layout {
    pub fn as_str(self) -> &'static str {
        match self {
            Layout::AgentLeft => "agent-left",
            Layout::AgentRight => "agent-right",
        }
    }

    /// Roles of the (left, right) channels.
    pub fn roles(self) -> (Role, Role) {
        match self {
            Layout::AgentLeft => (Role::Agent, Role::Customer),
            Layout::AgentRight => (Role::Customer, Role::Agent),
        }
    }
}

impl fmt::Display for Layout {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Error for an unknown layout name.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown channel layout {0:?} (expected \"agent-left\" or \"agent-right\")")]
pub struct ParseLayoutError(String);

impl FromStr for Layout {
    type Err = ParseLayoutError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "agent-left" => Ok(Layout::AgentLeft),
            "agent-right" => Ok(Layout::AgentRight),
            _ => Err(ParseLayoutError(s.to_string())),
        }
    }
}
