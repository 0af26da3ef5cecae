//! RIFF/WAVE container parsing and sample decoding to per-channel `f32`.
//!
//! The container is parsed here rather than by `hound` because the pipeline needs three
//! things `hound` does not give: G.711 (format tags 6 and 7, plain or inside
//! `WAVE_FORMAT_EXTENSIBLE`), a typed reason for every rejection, and a deliberate policy
//! for files that crashed recorders leave behind (below). PCM and float decoding is a few
//! lines once the payload is located, and one code path keeps the policies identical for
//! every codec. `hound` is still used by the tests as an independent writer of PCM and float
//! files, so compatibility with a second implementation is checked on every test run.
//!
//! Truncation policy:
//! - a file cut anywhere before the data chunk's payload (RIFF header, a chunk header, the
//!   `fmt ` body, no data chunk at all) is [`AudioErrorKind::Truncated`];
//! - a data chunk that declares more bytes than the file holds is accepted with whatever whole
//!   frames are present (crashed or still-recording writers leave exactly this), and is
//!   `Truncated` only when not even one frame is present;
//! - a data chunk that declares 0 bytes is [`AudioErrorKind::EmptyData`]; the streaming
//!   placeholder size `0xFFFF_FFFF` means "to the end of the file";
//! - a trailing partial frame is dropped; the RIFF size field is ignored (writers that never
//!   finished leave 0 or garbage there), chunks are walked to the end of the bytes.

use super::g711::{ALAW_TABLE, ULAW_TABLE};
use super::{AudioErrorKind, Codec};

const WAVE_FORMAT_PCM: u16 = 0x0001;
const WAVE_FORMAT_IEEE_FLOAT: u16 = 0x0003;
const WAVE_FORMAT_ALAW: u16 = 0x0006;
const WAVE_FORMAT_MULAW: u16 = 0x0007;
const WAVE_FORMAT_EXTENSIBLE: u16 = 0xFFFE;

/// Bytes 2..16 of every `KSDATAFORMAT_SUBTYPE_*` GUID that wraps a plain format tag
/// (`xxxxxxxx-0000-0010-8000-00aa00389b71`, stored little-endian; the tag is bytes 0..2).
const SUBFORMAT_GUID_TAIL: [u8; 14] = [
    0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xAA, 0x00, 0x38, 0x9B, 0x71,
];

/// Lowest and highest sample rates accepted. Outside this a header is almost certainly
/// corrupt, and a tiny rate would make the 16 kHz output explode in size.
pub const MIN_RATE: u32 = 1_000;
pub const MAX_RATE: u32 = 384_000;

/// What the header says, and where the frame-aligned payload lies in the file. Found by
/// reading only chunk headers and the `fmt ` body, so a file's size never decides how much
/// memory is needed to learn what it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Header {
    pub codec: Codec,
    pub sample_rate: u32,
    pub channels: u16,
    /// Bytes per sample of one channel (the container size, not the valid bits).
    pub sample_bytes: usize,
    /// Offset of the first payload byte.
    pub data_start: u64,
    /// Bytes of whole frames present (never more than the file holds).
    pub data_len: u64,
}

impl Header {
    pub fn frame_bytes(&self) -> usize {
        self.sample_bytes * self.channels as usize
    }

    pub fn frames(&self) -> u64 {
        self.data_len / self.frame_bytes() as u64
    }
}

/// A parsed file held in memory: its header and its payload.
#[derive(Debug)]
pub struct Wav<'a> {
    pub header: Header,
    /// Whole frames of payload, interleaved.
    pub data: &'a [u8],
}

struct Fmt {
    codec: Codec,
    sample_rate: u32,
    channels: u16,
    sample_bytes: usize,
}

fn u16_at(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([b[at], b[at + 1]])
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

fn truncated(what: &'static str, needed: u64, found: u64) -> AudioErrorKind {
    AudioErrorKind::Truncated { what, needed, found }
}

fn is_chunk_id(b: &[u8]) -> bool {
    b.len() >= 4 && b[..4].iter().all(|c| (0x20..0x7F).contains(c))
}

/// Random access to the bytes of a file of known length: `read(at, n)` returns the `n` bytes
/// at offset `at`, or fewer where the file ends. Callers never ask for more than 64 bytes.
pub type ReadAt<'r> = dyn FnMut(u64, usize) -> Result<Vec<u8>, AudioErrorKind> + 'r;

/// Parses the RIFF/WAVE structure of `bytes`. Never panics; every rejection is typed.
pub fn parse(bytes: &[u8]) -> Result<Wav<'_>, AudioErrorKind> {
    let len = bytes.len() as u64;
    let header = walk(len, &mut |at, n| {
        let from = (at.min(len)) as usize;
        Ok(bytes[from..from.saturating_add(n).min(bytes.len())].to_vec())
    })?;
    let from = header.data_start as usize;
    Ok(Wav { header, data: &bytes[from..from + header.data_len as usize] })
}

/// Walks the chunks of a file of `len` bytes through `read` and returns its [`Header`].
pub fn walk(len: u64, read: &mut ReadAt<'_>) -> Result<Header, AudioErrorKind> {
    if len == 0 {
        return Err(AudioErrorKind::EmptyFile);
    }
    // Identify the container from what is there; a short prefix of a WAV header is a cut WAV.
    let head = read(0, 12)?;
    let riff_prefix_ok = head.iter().zip(b"RIFF").all(|(a, b)| a == b);
    if !riff_prefix_ok {
        if head.starts_with(b"RF64") || head.starts_with(b"BW64") {
            return Err(AudioErrorKind::BadHeader(
                "RF64/BW64 (64-bit RIFF) files are not supported".into(),
            ));
        }
        if head.starts_with(b"RIFX") {
            return Err(AudioErrorKind::BadHeader(
                "big-endian RIFX files are not supported".into(),
            ));
        }
        return Err(AudioErrorKind::NotWav);
    }
    if head.len() >= 12 && &head[8..12] != b"WAVE" {
        return Err(AudioErrorKind::NotWav);
    }
    if head.len() < 12 {
        let wave_prefix_ok =
            head.len() <= 8 || head[8..].iter().zip(b"WAVE").all(|(a, b)| a == b);
        if !wave_prefix_ok {
            return Err(AudioErrorKind::NotWav);
        }
        return Err(truncated("RIFF header", 12, len));
    }

    let mut fmt: Option<Fmt> = None;
    // (start, bytes present) of the data chunk's payload.
    let mut data: Option<(u64, u64)> = None;
    let mut pos = 12u64;
    while fmt.is_none() || data.is_none() {
        if pos >= len {
            if fmt.is_none() {
                return Err(if data.is_some() {
                    AudioErrorKind::BadHeader("no fmt chunk".into())
                } else {
                    truncated("header (no fmt chunk)", pos + 8, len)
                });
            }
            return Err(truncated("header (no data chunk)", pos + 8, len));
        }
        if len - pos < 8 {
            return Err(truncated("chunk header", pos + 8, len));
        }
        let chunk = read(pos, 8)?;
        if chunk.len() < 8 {
            return Err(truncated("chunk header", pos + 8, pos + chunk.len() as u64));
        }
        let id = &chunk[..4];
        let size = u32_at(&chunk, 4) as u64;
        let body = pos + 8;
        let available = len - body;
        match id {
            b"fmt " => {
                if size > available {
                    return Err(truncated("fmt chunk", body + size, len));
                }
                // Only the first 40 bytes mean anything; a longer body is read no further.
                let f = read(body, size.min(64) as usize)?;
                if (f.len() as u64) < size.min(64) {
                    return Err(truncated("fmt chunk", body + size, body + f.len() as u64));
                }
                fmt = Some(parse_fmt(&f)?);
            }
            b"data" => {
                let present = if size == 0 {
                    return Err(AudioErrorKind::EmptyData);
                } else if size == 0xFFFF_FFFF {
                    available
                } else {
                    size.min(available)
                };
                data = Some((body, present));
                if present < size {
                    // The data runs to the end of the file: nothing can follow it.
                    if fmt.is_none() {
                        return Err(AudioErrorKind::BadHeader(
                            "no fmt chunk before the data chunk".into(),
                        ));
                    }
                    break;
                }
            }
            _ => {}
        }
        // Next chunk: bodies are padded to even length. Some writers forget the pad byte;
        // accept the unpadded position when only it holds a plausible chunk id.
        let mut next = body.saturating_add(size);
        if !size.is_multiple_of(2) {
            let padded = next.saturating_add(1);
            let mut at = |p: u64| -> Result<bool, AudioErrorKind> {
                Ok(p < len && is_chunk_id(&read(p, 4)?))
            };
            if at(padded)? || !at(next)? {
                next = padded;
            }
        }
        pos = next;
    }

    let (Some(fmt), Some((data_start, present))) = (fmt, data) else {
        return Err(AudioErrorKind::BadHeader("no fmt or data chunk".into()));
    };
    let frame_bytes = (fmt.sample_bytes * fmt.channels as usize) as u64;
    let whole = present / frame_bytes * frame_bytes;
    if whole == 0 {
        return Err(truncated(
            "data chunk (not one whole frame present)",
            data_start + frame_bytes,
            len,
        ));
    }
    Ok(Header {
        codec: fmt.codec,
        sample_rate: fmt.sample_rate,
        channels: fmt.channels,
        sample_bytes: fmt.sample_bytes,
        data_start,
        data_len: whole,
    })
}

fn parse_fmt(f: &[u8]) -> Result<Fmt, AudioErrorKind> {
    if f.len() < 16 {
        return Err(AudioErrorKind::BadHeader(format!(
            "fmt chunk is {} bytes, needs at least 16",
            f.len()
        )));
    }
    let mut tag = u16_at(f, 0);
    let channels = u16_at(f, 2);
    let sample_rate = u32_at(f, 4);
    let block_align = u16_at(f, 12) as usize;
    let bits = u16_at(f, 14);

    if tag == WAVE_FORMAT_EXTENSIBLE {
        if f.len() < 40 {
            return Err(AudioErrorKind::BadHeader(format!(
                "WAVE_FORMAT_EXTENSIBLE fmt chunk is {} bytes, needs 40",
                f.len()
            )));
        }
        let guid = &f[24..40];
        if guid[2..] != SUBFORMAT_GUID_TAIL {
            return Err(AudioErrorKind::BadHeader(
                "WAVE_FORMAT_EXTENSIBLE with an unknown subformat GUID".into(),
            ));
        }
        tag = u16_at(guid, 0);
    }

    if channels == 0 {
        return Err(AudioErrorKind::BadHeader("0 channels".into()));
    }
    if !(MIN_RATE..=MAX_RATE).contains(&sample_rate) {
        return Err(AudioErrorKind::UnsupportedRate(sample_rate));
    }

    let (codec, sample_bytes) = match tag {
        WAVE_FORMAT_PCM => {
            if bits == 0 || bits > 32 {
                return Err(AudioErrorKind::UnsupportedBits(bits));
            }
            // The container is normally bits rounded up to bytes; a header whose block align
            // says the container is wider (e.g. 20 valid bits in 4 bytes) is honoured, since
            // samples are left-justified and decode the same at the container width.
            let mut bytes = (bits as usize).div_ceil(8);
            let per_channel = block_align / channels as usize;
            if block_align.is_multiple_of(channels as usize)
                && per_channel > bytes
                && per_channel <= 4
            {
                bytes = per_channel;
            }
            (
                Codec::Pcm {
                    bits: bytes as u16 * 8,
                },
                bytes,
            )
        }
        WAVE_FORMAT_IEEE_FLOAT => match bits {
            32 => (Codec::Float { bits }, 4),
            64 => (Codec::Float { bits }, 8),
            _ => return Err(AudioErrorKind::UnsupportedBits(bits)),
        },
        WAVE_FORMAT_MULAW | WAVE_FORMAT_ALAW => {
            if bits != 8 {
                return Err(AudioErrorKind::UnsupportedBits(bits));
            }
            let codec = if tag == WAVE_FORMAT_MULAW {
                Codec::MuLaw
            } else {
                Codec::ALaw
            };
            (codec, 1)
        }
        _ => return Err(AudioErrorKind::UnsupportedCodec { format_tag: tag }),
    };
    // Channel count is checked after the codec so that a GSM or MP3 file reports its codec,
    // the more useful reason.
    if channels > 2 {
        return Err(AudioErrorKind::TooManyChannels(channels));
    }
    if block_align != 0 && block_align != sample_bytes * channels as usize {
        return Err(AudioErrorKind::BadHeader(format!(
            "block align {block_align} does not match {channels} channel(s) of {sample_bytes} byte(s)"
        )));
    }
    Ok(Fmt {
        codec,
        sample_rate,
        channels,
        sample_bytes,
    })
}

/// Decodes interleaved whole frames in `data` and appends each channel's samples, scaled to
/// [-1, 1], to `out[channel]`. Float samples are clamped and NaN becomes 0 so later stages can
/// trust the range. Called once for a file in memory, or block by block while streaming; the
/// caller reserves `out` beforehand, so nothing here allocates.
pub fn decode_frames(header: &Header, data: &[u8], out: &mut [Vec<f32>]) {
    let width = header.sample_bytes;
    let frame_bytes = header.frame_bytes();
    // One pass per channel over exact-size iterators, each codec with its own monomorphic loop.
    fn run(data: &[u8], frame: usize, out: &mut [Vec<f32>], width: usize, f: impl Fn(&[u8]) -> f32) {
        for (ch, o) in out.iter_mut().enumerate() {
            let at = ch * width;
            o.extend(data.chunks_exact(frame).map(|fr| f(&fr[at..at + width])));
        }
    }
    fn clean(x: f64) -> f32 {
        if x.is_nan() {
            0.0
        } else {
            x.clamp(-1.0, 1.0) as f32
        }
    }
    let (d, fb) = (data, frame_bytes);
    match (header.codec, width) {
        (Codec::MuLaw, _) => run(d, fb, out, 1, |s| ULAW_TABLE[s[0] as usize]),
        (Codec::ALaw, _) => run(d, fb, out, 1, |s| ALAW_TABLE[s[0] as usize]),
        (Codec::Pcm { .. }, 1) => run(d, fb, out, 1, |s| (s[0] as f32 - 128.0) / 128.0),
        (Codec::Pcm { .. }, 2) => run(d, fb, out, 2, |s| i16::from_le_bytes([s[0], s[1]]) as f32 / 32_768.0),
        (Codec::Pcm { .. }, 3) => run(d, fb, out, 3, |s| (i32::from_le_bytes([0, s[0], s[1], s[2]]) >> 8) as f32 / 8_388_608.0),
        (Codec::Pcm { .. }, _) => run(d, fb, out, 4, |s| {
            (i32::from_le_bytes([s[0], s[1], s[2], s[3]]) as f64 / 2_147_483_648.0) as f32
        }),
        (Codec::Float { .. }, 4) => run(d, fb, out, 4, |s| clean(f32::from_le_bytes([s[0], s[1], s[2], s[3]]) as f64)),
        (Codec::Float { .. }, _) => run(d, fb, out, 8, |s| {
            clean(f64::from_le_bytes([s[0], s[1], s[2], s[3], s[4], s[5], s[6], s[7]]))
        }),
    }
}
