//! The words every stage shares, defined before any stage so that none has to import another
//! for them: who speaks on a channel ([`Role`]), which stereo channel is the agent
//! ([`Layout`]), how a recording was stored ([`SourceFormat`]), the pipeline's stages as the
//! `errors` report names them ([`Stage`]), problems in input files with file, line and column
//! ([`problem`]), and conversion to simplified characters ([`zh`]). The transcript model is the
//! other half of the core (the `transcript` module). Stages re-export what they hand out
//! (`audio::Role`), but depend only on this.

pub mod par;
pub mod problem;
pub mod zh;

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

/// How the samples were stored in the file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "codec", rename_all = "snake_case")]
pub enum Codec {
    /// Integer PCM; `bits` is the container width (8, 16, 24 or 32).
    Pcm { bits: u16 },
    /// IEEE float, 32 or 64 bits.
    Float { bits: u16 },
    /// G.711 µ-law, 8 bits.
    MuLaw,
    /// G.711 A-law, 8 bits.
    ALaw,
}

impl fmt::Display for Codec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Codec::Pcm { bits } => write!(f, "{bits}-bit PCM"),
            Codec::Float { bits } => write!(f, "{bits}-bit float"),
            Codec::MuLaw => f.write_str("G.711 mu-law"),
            Codec::ALaw => f.write_str("G.711 A-law"),
        }
    }
}

/// The file as it was, before conversion.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SourceFormat {
    pub codec: Codec,
    pub sample_rate: u32,
    pub channels: u16,
    /// Whole frames actually decoded (less than the header declares for a cut file).
    pub frames: u64,
}

impl SourceFormat {
    /// Duration of the source in milliseconds (rounded down).
    pub fn duration_ms(&self) -> u64 {
        (self.frames as u128 * 1000 / self.sample_rate.max(1) as u128) as u64
    }
}

/// A pipeline stage, as named in the `errors` report.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    Ingest,
    Transcribe,
    Scan,
    Score,
}

impl Stage {
    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Ingest => "ingest",
            Stage::Transcribe => "transcribe",
            Stage::Scan => "scan",
            Stage::Score => "score",
        }
    }
}

/// How a command ended, as its exit status says (the README's rule, the same under every
/// command): everything done; done, but some calls or rows failed (each named); or refused
/// before any work, for bad usage or configuration.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exit {
    Success = 0,
    SomeFailed = 1,
    Refused = 2,
}

impl Exit {
    /// `SomeFailed` when any of `failures` is non-zero, else `Success`.
    pub fn from_failures(failures: usize) -> Exit {
        if failures > 0 { Exit::SomeFailed } else { Exit::Success }
    }

    pub fn code(self) -> u8 {
        self as u8
    }
}
