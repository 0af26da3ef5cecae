//! Audio ingest: WAV (PCM, float, G.711) → 16 kHz mono `f32` channels with speaker roles.
//!
//! [`load`] / [`decode`] turn one recording into an [`Audio`]: what the file was
//! ([`SourceFormat`]) and one [`Channel`] per speaker, each 16 kHz mono in [-1, 1].
//!
//! Approach, and why:
//! - The RIFF/WAVE container is parsed by our own small parser (module `wav`) for every codec:
//!   `hound` cannot read G.711 (format tags 6 and 7), and owning the parser gives one place
//!   for the truncation policy (see the `wav` module docs) and a typed reason for every
//!   rejection. `hound` serves as an independent writer in the tests.
//! - G.711 is expanded through compile-time tables from the ITU-T formulas (module `g711`),
//!   verified code word by code word against sox.
//! - Resampling uses rubato's FFT resampler (module `resample`): exact rational ratios, a long
//!   windowed-sinc anti-aliasing filter, delay compensated, output length
//!   `round(frames * 16000 / rate)`.
//! - Stereo is a two-party recording: the [`Layout`] says which side is the agent. Mono is a
//!   single [`Role::Mixed`] channel. More than two channels is refused rather than guessed.
//!
//! Bad input never panics: it is an [`AudioError`] naming the file and an [`AudioErrorKind`].

mod g711;
mod resample;
mod wav;

use std::path::{Path, PathBuf};


pub use crate::shared::{Codec, Layout, ParseLayoutError, Role, SourceFormat};
pub use g711::{alaw_to_linear, ulaw_to_linear};
pub use resample::output_len;
pub use wav::{MAX_RATE, MIN_RATE};

/// Sample rate of every decoded channel (what the ASR models expect).
pub const TARGET_RATE: u32 = 16_000;

/// One speaker's signal: 16 kHz mono, samples in [-1, 1].
#[derive(Clone, Debug)]
pub struct Channel {
    pub role: Role,
    pub samples: Vec<f32>,
}

/// A decoded recording: its source format and its channels (agent before customer for
/// stereo; a single `Mixed` channel for mono). All channels have the same length.
#[derive(Clone, Debug)]
pub struct Audio {
    pub source: SourceFormat,
    pub channels: Vec<Channel>,
}

impl Audio {
    /// Length of the 16 kHz channels in milliseconds (rounded down).
    pub fn duration_ms(&self) -> u64 {
        let samples = self.channels.first().map_or(0, |c| c.samples.len()) as u64;
        samples * 1000 / TARGET_RATE as u64
    }

    /// The channel with `role`, if the recording has one.
    pub fn channel(&self, role: Role) -> Option<&Channel> {
        self.channels.iter().find(|c| c.role == role)
    }
}

/// A recording that could not be decoded: which file, and why.
#[derive(Debug, thiserror::Error)]
#[error("{}: {kind}", path.display())]
pub struct AudioError {
    path: PathBuf,
    kind: AudioErrorKind,
}

impl AudioError {
    pub fn new(path: impl Into<PathBuf>, kind: AudioErrorKind) -> Self {
        Self {
            path: path.into(),
            kind,
        }
    }

    /// The file that failed.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Why it failed.
    pub fn kind(&self) -> &AudioErrorKind {
        &self.kind
    }

    pub fn into_kind(self) -> AudioErrorKind {
        self.kind
    }
}

/// Why a recording was rejected. The `Display` text is written for an operator reading a
/// batch log: it says what is wrong with the file, not where in the code it was noticed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AudioErrorKind {
    /// The file could not be read.
    #[error("cannot read file: {0}")]
    Io(std::io::Error),
    /// 0 bytes.
    #[error("file is empty (0 bytes)")]
    EmptyFile,
    /// Not a RIFF/WAVE file (text, MP3, ...), whatever its name says.
    #[error("not a WAV file (no RIFF/WAVE header)")]
    NotWav,
    /// The file ends before the header is complete, or holds less than one frame of data.
    #[error("file is truncated in the {what} (needs at least {needed} bytes, has {found})")]
    Truncated {
        what: &'static str,
        needed: u64,
        found: u64,
    },
    /// The data chunk declares 0 bytes.
    #[error("data chunk is empty (no audio)")]
    EmptyData,
    /// A format tag we do not decode (GSM, MP3, ADPCM, ...).
    #[error("unsupported codec: WAV format tag {format_tag:#06x} ({})", format_name(*format_tag))]
    UnsupportedCodec { format_tag: u16 },
    /// More than two channels: which one is the agent cannot be known.
    #[error("{0} channels; only mono and stereo calls are supported")]
    TooManyChannels(u16),
    /// A bit depth the codec does not have (or we do not decode).
    #[error("unsupported bits per sample: {0}")]
    UnsupportedBits(u16),
    /// A sample rate outside [`MIN_RATE`]..=[`MAX_RATE`]: almost surely a corrupt header.
    #[error("unsupported sample rate {0} Hz (accepted: {MIN_RATE}..={MAX_RATE})")]
    UnsupportedRate(u32),
    /// The header is present but inconsistent.
    #[error("bad WAV header: {0}")]
    BadHeader(String),
    /// Longer than [`Limits::max_duration_ms`]: refused before any sample is read.
    #[error("recording is {} long, over the limit of {} (max_call_minutes)", minutes(*duration_ms), minutes(*max_ms))]
    TooLong { duration_ms: u64, max_ms: u64 },
    /// The sample buffers could not be allocated.
    #[error("not enough memory to decode this recording (needs about {} MB)", bytes / 1_000_000)]
    OutOfMemory { bytes: u64 },
    /// The resampler refused the input (should not happen for a rate that passed the header
    /// checks; reported rather than panicking).
    #[error("resampling failed: {0}")]
    Resample(String),
}

fn minutes(ms: u64) -> String {
    format!("{:.1} min", ms as f64 / 60_000.0)
}

/// A human name for common WAV format tags, for error messages.
fn format_name(tag: u16) -> &'static str {
    match tag {
        0x0002 => "MS ADPCM",
        0x0011 => "IMA ADPCM",
        0x0031 => "GSM 6.10",
        0x0040 => "G.721 ADPCM",
        0x0050 => "MPEG",
        0x0055 => "MP3",
        0x0064 => "G.726 ADPCM",
        0x0065 => "G.722 ADPCM",
        0x0161..=0x0163 => "Windows Media Audio",
        0x1610 => "AAC",
        0xF1AC => "FLAC",
        _ => "unknown",
    }
}

/// How much one recording may ask for. A header is believed only this far: the duration it
/// implies is checked before any sample buffer exists, and every buffer is reserved fallibly,
/// so one poison file becomes that call's error instead of ending the batch.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Longest recording accepted, in milliseconds.
    pub max_duration_ms: u64,
}

/// Four hours: longer than any call a site has reported, short enough that one recording's
/// buffers (about 0.5 GB per hour of stereo at 16 kHz) fit a worker's memory.
pub const DEFAULT_MAX_DURATION_MS: u64 = 4 * 3600 * 1000;

impl Default for Limits {
    fn default() -> Self {
        Limits { max_duration_ms: DEFAULT_MAX_DURATION_MS }
    }
}

impl Limits {
    /// Bytes of sample buffers a recording of `header` needs at the peak of its decode: the
    /// source-rate channels plus the 16 kHz ones (see [`load_with`]).
    pub fn peak_bytes(header: &wav::Header) -> u64 {
        peak_bytes(header.channels, header.frames(), header.sample_rate)
    }

    fn check(&self, header: &wav::Header) -> Result<SourceFormat, AudioErrorKind> {
        let source = SourceFormat {
            codec: header.codec,
            sample_rate: header.sample_rate,
            channels: header.channels,
            frames: header.frames(),
        };
        if source.duration_ms() > self.max_duration_ms {
            return Err(AudioErrorKind::TooLong { duration_ms: source.duration_ms(), max_ms: self.max_duration_ms });
        }
        Ok(source)
    }
}

fn peak_bytes(channels: u16, frames: u64, rate: u32) -> u64 {
    let out = output_len(frames.min(usize::MAX as u64) as usize, rate) as u64;
    channels as u64 * (frames + out) * 4
}

/// Reads `path`'s header (a few reads of at most 64 bytes) and checks it against `limits`:
/// what a recording is, learned without reading its samples.
pub fn probe(path: &Path, limits: &Limits) -> Result<SourceFormat, AudioError> {
    let fail = |kind| AudioError::new(path, kind);
    let mut file = std::fs::File::open(path).map_err(|e| fail(AudioErrorKind::Io(e)))?;
    let header = read_header(&mut file).map_err(fail)?;
    limits.check(&header).map_err(fail)
}

fn read_header(file: &mut std::fs::File) -> Result<wav::Header, AudioErrorKind> {
    use std::io::{Read, Seek, SeekFrom};
    let len = file.metadata().map_err(AudioErrorKind::Io)?.len();
    wav::walk(len, &mut |at, n| {
        file.seek(SeekFrom::Start(at)).map_err(AudioErrorKind::Io)?;
        let mut buf = Vec::with_capacity(n);
        file.by_ref().take(n as u64).read_to_end(&mut buf).map_err(AudioErrorKind::Io)?;
        Ok(buf)
    })
}

/// Reads and decodes the recording at `path` under the default [`Limits`].
pub fn load(path: &Path, layout: Layout) -> Result<Audio, AudioError> {
    load_with(path, layout, &Limits::default())
}

/// Reads and decodes the recording at `path`, streaming: the header is read first and checked
/// against `limits`, the sample buffers are reserved (fallibly) at their final size, and the
/// payload is decoded a megabyte at a time. Peak memory is [`Limits::peak_bytes`] plus a
/// megabyte, whatever the file's size.
pub fn load_with(path: &Path, layout: Layout, limits: &Limits) -> Result<Audio, AudioError> {
    use std::io::{Read, Seek, SeekFrom};
    let fail = |kind| AudioError::new(path, kind);
    let mut file = std::fs::File::open(path).map_err(|e| fail(AudioErrorKind::Io(e)))?;
    let header = read_header(&mut file).map_err(fail)?;
    let source = limits.check(&header).map_err(fail)?;
    let mut raw = reserve_channels(&header).map_err(fail)?;
    file.seek(SeekFrom::Start(header.data_start)).map_err(|e| fail(AudioErrorKind::Io(e)))?;
    let block = ((1 << 20) / header.frame_bytes()).max(1) * header.frame_bytes();
    let mut buf = vec![0u8; block];
    let mut left = header.data_len;
    while left > 0 {
        let n = (left.min(block as u64)) as usize;
        if let Err(e) = file.read_exact(&mut buf[..n]) {
            // The file shrank after its header was read (a writer still at work, a copy cut short).
            return Err(fail(AudioErrorKind::Io(e)));
        }
        wav::decode_frames(&header, &buf[..n], &mut raw);
        left -= n as u64;
    }
    drop(buf);
    finish(source, raw, layout).map_err(fail)
}

/// Decodes a recording held in memory under the default [`Limits`]. `origin` is used only to
/// name the file in errors.
pub fn decode(bytes: &[u8], origin: &Path, layout: Layout) -> Result<Audio, AudioError> {
    decode_kind(bytes, layout, &Limits::default()).map_err(|kind| AudioError::new(origin, kind))
}

fn decode_kind(bytes: &[u8], layout: Layout, limits: &Limits) -> Result<Audio, AudioErrorKind> {
    let parsed = wav::parse(bytes)?;
    let source = limits.check(&parsed.header)?;
    let mut raw = reserve_channels(&parsed.header)?;
    wav::decode_frames(&parsed.header, parsed.data, &mut raw);
    finish(source, raw, layout)
}

/// One empty buffer per channel with room for every frame, or [`AudioErrorKind::OutOfMemory`].
fn reserve_channels(header: &wav::Header) -> Result<Vec<Vec<f32>>, AudioErrorKind> {
    let frames = usize::try_from(header.frames()).map_err(|_| AudioErrorKind::OutOfMemory { bytes: Limits::peak_bytes(header) })?;
    (0..header.channels)
        .map(|_| {
            let mut v = Vec::new();
            v.try_reserve_exact(frames).map_err(|_| AudioErrorKind::OutOfMemory { bytes: Limits::peak_bytes(header) })?;
            Ok(v)
        })
        .collect()
}

/// Resamples each source-rate channel to 16 kHz, freeing each as soon as it is converted,
/// and gives the channels their roles.
fn finish(source: SourceFormat, raw: Vec<Vec<f32>>, layout: Layout) -> Result<Audio, AudioErrorKind> {
    let mut resampler = resample::ToTarget::new(source.sample_rate).map_err(AudioErrorKind::Resample)?;
    let mut converted = Vec::with_capacity(raw.len());
    for ch in raw {
        let out = resampler.run_owned(ch).map_err(|e| match e {
            AudioErrorKind::OutOfMemory { .. } => {
                AudioErrorKind::OutOfMemory { bytes: peak_bytes(source.channels, source.frames, source.sample_rate) }
            }
            e => e,
        })?;
        converted.push(out);
    }
    let channels = match <[Vec<f32>; 1]>::try_from(converted) {
        Ok([mono]) => vec![Channel {
            role: Role::Mixed,
            samples: mono,
        }],
        Err(converted) => {
            let Ok([left, right]) = <[Vec<f32>; 2]>::try_from(converted) else {
                return Err(AudioErrorKind::BadHeader("unexpected channel count".into()));
            };
            let (left_role, right_role) = layout.roles();
            let mut chans = vec![
                Channel {
                    role: left_role,
                    samples: left,
                },
                Channel {
                    role: right_role,
                    samples: right,
                },
            ];
            chans.sort_by_key(|c| c.role);
            chans
        }
    };
    Ok(Audio { source, channels })
}

#[cfg(test)]
mod tests;
