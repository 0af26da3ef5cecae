//! TEMPORARY stub of the audio API (replaced by the real module on merge).
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
pub const TARGET_RATE: u32 = 16_000;
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role { Agent, Customer, Mixed }
impl std::fmt::Display for Role { fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result { f.write_str(match self { Role::Agent => "agent", Role::Customer => "customer", Role::Mixed => "mixed" }) } }
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Layout { #[default] AgentLeft, AgentRight }
impl std::str::FromStr for Layout { type Err = String; fn from_str(s: &str) -> Result<Self, String> { match s { "agent-left" => Ok(Layout::AgentLeft), "agent-right" => Ok(Layout::AgentRight), _ => Err(format!("unknown layout {s}")) } } }
impl std::fmt::Display for Layout { fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result { f.write_str(match self { Layout::AgentLeft => "agent-left", Layout::AgentRight => "agent-right" }) } }
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "codec", rename_all = "snake_case")]
pub enum Codec { Pcm { bits: u16 }, Float { bits: u16 }, MuLaw, ALaw }
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SourceFormat { pub codec: Codec, pub sample_rate: u32, pub channels: u16, pub frames: u64 }
#[derive(Clone, Debug)] pub struct Channel { pub role: Role, pub samples: Vec<f32> }
#[derive(Clone, Debug)] pub struct Audio { pub source: SourceFormat, pub channels: Vec<Channel> }
impl Audio { pub fn duration_ms(&self) -> u64 { self.channels.first().map(|c| c.samples.len() as u64 * 1000 / 16000).unwrap_or(0) } }
#[derive(Debug, thiserror::Error)] #[error("{path}: {msg}")] pub struct AudioError { path: PathBuf, msg: String }
pub fn load(path: &Path, _layout: Layout) -> Result<Audio, AudioError> { let r = hound::WavReader::open(path).map_err(|e| AudioError { path: path.into(), msg: e.to_string() })?; let spec = r.spec(); let s: Vec<f32> = r.into_samples::<i16>().map(|x| x.unwrap_or(0) as f32 / 32768.0).collect(); let n = spec.channels as usize; let mut chans = vec![]; for c in 0..n { chans.push(Channel { role: if n == 1 { Role::Mixed } else if c == 0 { Role::Agent } else { Role::Customer }, samples: s.iter().skip(c).step_by(n).cloned().collect() }); } Ok(Audio { source: SourceFormat { codec: Codec::Pcm { bits: 16 }, sample_rate: spec.sample_rate, channels: spec.channels, frames: 0 }, channels: chans }) }
pub fn decode(_b: &[u8], path: &Path, layout: Layout) -> Result<Audio, AudioError> { load(path, layout) }
