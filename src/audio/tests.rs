//! Decoding tests: formats (checked against hound and sox), roles, and every rejection.

use std::f64::consts::PI;
use std::io::Cursor;
use std::path::Path;

use super::*;

const ORIGIN: &str = "calls/2026-11-23/call-0001.wav";

/// Decodes in memory, and checks that streaming the same bytes from a file gives the same
/// recording or the same rejection: every test below covers both readers.
fn dec(bytes: &[u8]) -> Result<Audio, AudioError> {
    let mem = decode(bytes, Path::new(ORIGIN), Layout::default());
    let d = tempfile::tempdir().unwrap();
    let path = d.path().join("call.wav");
    std::fs::write(&path, bytes).unwrap();
    let file = load(&path, Layout::default());
    match (&mem, &file) {
        (Ok(m), Ok(f)) => {
            assert_eq!(m.source, f.source);
            assert!(m.channels.iter().zip(&f.channels).all(|(a, b)| a.role == b.role && a.samples == b.samples));
        }
        (Err(m), Err(f)) => assert_eq!(m.kind().to_string(), f.kind().to_string()),
        _ => panic!("in memory: {:?}; from the file: {:?}", mem.as_ref().map(|a| &a.source), file.as_ref().map(|a| &a.source)),
    }
    mem
}

fn kind(bytes: &[u8]) -> AudioErrorKind {
    match dec(bytes) {
        Ok(a) => panic!("expected an error, decoded {:?}", a.source),
        Err(e) => {
            assert_eq!(e.path(), Path::new(ORIGIN));
            assert!(e.to_string().starts_with(ORIGIN), "{e}");
            e.into_kind()
        }
    }
}

// ---- building WAV files by hand -------------------------------------------------------

fn chunk(id: &[u8; 4], body: &[u8]) -> Vec<u8> {
    let mut c = id.to_vec();
    c.extend_from_slice(&(body.len() as u32).to_le_bytes());
    c.extend_from_slice(body);
    if body.len() % 2 == 1 {
        c.push(0);
    }
    c
}

fn fmt_body(tag: u16, channels: u16, rate: u32, bits: u16) -> Vec<u8> {
    let align = channels * bits.div_ceil(8);
    let mut f = Vec::new();
    f.extend_from_slice(&tag.to_le_bytes());
    f.extend_from_slice(&channels.to_le_bytes());
    f.extend_from_slice(&rate.to_le_bytes());
    f.extend_from_slice(&(rate * align as u32).to_le_bytes());
    f.extend_from_slice(&align.to_le_bytes());
    f.extend_from_slice(&bits.to_le_bytes());
    f
}

fn fmt_extensible(
    sub_tag: u16,
    channels: u16,
    rate: u32,
    bits: u16,
    guid_tail: [u8; 14],
) -> Vec<u8> {
    let mut f = fmt_body(0xFFFE, channels, rate, bits);
    f.extend_from_slice(&22u16.to_le_bytes()); // cbSize
    f.extend_from_slice(&bits.to_le_bytes()); // valid bits
    f.extend_from_slice(&(if channels == 2 { 3u32 } else { 4 }).to_le_bytes());
    f.extend_from_slice(&sub_tag.to_le_bytes());
    f.extend_from_slice(&guid_tail);
    f
}

const GUID_TAIL: [u8; 14] = [0, 0, 0, 0, 0x10, 0, 0x80, 0, 0, 0xAA, 0, 0x38, 0x9B, 0x71];

fn riff(chunks: &[Vec<u8>]) -> Vec<u8> {
    let body: Vec<u8> = chunks.concat();
    let mut f = b"RIFF".to_vec();
    f.extend_from_slice(&(body.len() as u32 + 4).to_le_bytes());
    f.extend_from_slice(b"WAVE");
    f.extend_from_slice(&body);
    f
}

fn pcm16_bytes(samples: &[i16]) -> Vec<u8> {
    samples.iter().flat_map(|s| s.to_le_bytes()).collect()
}

/// A small valid 16 kHz mono 16-bit file.
fn small_pcm16() -> Vec<u8> {
    let s: Vec<i16> = (0..64).map(|i| (i * 300 - 9000) as i16).collect();
    riff(&[
        chunk(b"fmt ", &fmt_body(1, 1, 16000, 16)),
        chunk(b"data", &pcm16_bytes(&s)),
    ])
}

fn hound_file(
    spec: hound::WavSpec,
    frames: usize,
    f: impl Fn(&mut hound::WavWriter<&mut Cursor<Vec<u8>>>, usize),
) -> Vec<u8> {
    let mut cur = Cursor::new(Vec::new());
    {
        let mut w = hound::WavWriter::new(&mut cur, spec).unwrap();
        for n in 0..frames {
            f(&mut w, n);
        }
        w.finalize().unwrap();
    }
    cur.into_inner()
}

fn spec(channels: u16, rate: u32, bits: u16, float: bool) -> hound::WavSpec {
    hound::WavSpec {
        channels,
        sample_rate: rate,
        bits_per_sample: bits,
        sample_format: if float {
            hound::SampleFormat::Float
        } else {
            hound::SampleFormat::Int
        },
    }
}

fn wave(n: usize) -> f64 {
    0.9 * (2.0 * PI * 440.0 * n as f64 / 16000.0).sin()
}

/// Raw (pre-resampling) channels, for exact comparisons.
fn raw(bytes: &[u8]) -> (wav::Wav<'_>, Vec<Vec<f32>>) {
    let w = wav::parse(bytes).unwrap();
    let mut ch = vec![Vec::new(); w.header.channels as usize];
    wav::decode_frames(&w.header, w.data, &mut ch);
    (w, ch)
}

// ---- formats ----------------------------------------------------------------------------

#[test]
fn pcm_and_float_written_by_hound() {
    // (bits, float, full scale, tolerance): hound is an independent writer of these formats.
    let cases = [
        (8u16, false, 127.0, 1.0 / 128.0),
        (16, false, 32767.0, 1.0 / 32768.0),
        (24, false, 8_388_607.0, 1e-6),
        (32, false, 2_147_483_647.0, 1e-6),
        (32, true, 1.0, 1e-7),
    ];
    for (bits, float, scale, tol) in cases {
        let bytes = hound_file(spec(1, 16000, bits, float), 1600, |w, n| {
            let v = wave(n) * scale;
            match (bits, float) {
                (_, true) => w.write_sample(v as f32).unwrap(),
                (8, _) => w.write_sample(v.round() as i8).unwrap(),
                (16, _) => w.write_sample(v.round() as i16).unwrap(),
                _ => w.write_sample(v.round() as i32).unwrap(),
            }
        });
        let a = dec(&bytes).unwrap();
        let want = if float {
            Codec::Float { bits: 32 }
        } else {
            Codec::Pcm { bits }
        };
        assert_eq!(
            a.source,
            SourceFormat {
                codec: want,
                sample_rate: 16000,
                channels: 1,
                frames: 1600
            },
            "{bits} bits"
        );
        assert_eq!(a.channels.len(), 1);
        assert_eq!(a.channels[0].role, Role::Mixed);
        assert_eq!(a.duration_ms(), 100);
        for (n, &s) in a.channels[0].samples.iter().enumerate() {
            let expect = (wave(n) * scale).round() / (scale + 1.0);
            let expect = if float { wave(n) } else { expect };
            assert!(
                (s as f64 - expect).abs() <= tol,
                "{bits} bits, sample {n}: {s} vs {expect}"
            );
        }
    }
}

#[test]
fn float64_and_extensible_24_in_32() {
    // 64-bit float (hound cannot write it) and 24 valid bits in a 32-bit extensible container.
    let f64_data: Vec<u8> = (0..100)
        .flat_map(|n| (wave(n) * 0.5).to_le_bytes())
        .collect();
    let a = dec(&riff(&[
        chunk(b"fmt ", &fmt_body(3, 1, 16000, 64)),
        chunk(b"data", &f64_data),
    ]))
    .unwrap();
    assert_eq!(a.source.codec, Codec::Float { bits: 64 });
    assert!((a.channels[0].samples[10] as f64 - wave(10) * 0.5).abs() < 1e-7);

    let mut fmt = fmt_extensible(1, 1, 16000, 32, GUID_TAIL);
    fmt[18..20].copy_from_slice(&24u16.to_le_bytes()); // valid bits
    let data: Vec<u8> = (0..100)
        .flat_map(|n| (((wave(n) * 8_388_607.0) as i32) << 8).to_le_bytes())
        .collect();
    let a = dec(&riff(&[chunk(b"fmt ", &fmt), chunk(b"data", &data)])).unwrap();
    assert_eq!(a.source.codec, Codec::Pcm { bits: 32 });
    assert!((a.channels[0].samples[10] as f64 - wave(10)).abs() < 1e-6);
}

#[test]
fn float_out_of_range_is_clamped() {
    let data: Vec<u8> = [2.0f32, -3.0, f32::NAN, f32::INFINITY, 0.25]
        .iter()
        .flat_map(|v| v.to_le_bytes())
        .collect();
    let a = dec(&riff(&[
        chunk(b"fmt ", &fmt_body(3, 1, 16000, 32)),
        chunk(b"data", &data),
    ]))
    .unwrap();
    assert_eq!(a.channels[0].samples, vec![1.0, -1.0, 0.0, 1.0, 0.25]);
}

fn read_fixture(name: &str) -> Vec<u8> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/audio/codec")
        .join(name);
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// Our decoding of `coded` must equal sox's 16-bit decoding in `reference`, sample for sample.
fn assert_matches_sox(coded: &str, reference: &str, codec: Codec, channels: u16) {
    let coded_bytes = read_fixture(coded);
    let ref_bytes = read_fixture(reference);
    let (w, ours) = raw(&coded_bytes);
    assert_eq!(
        (w.header.codec, w.header.channels, w.header.sample_rate),
        (codec, channels, 8000),
        "{coded}"
    );
    // Read sox's PCM with hound, an implementation independent of ours.
    let mut r = hound::WavReader::new(Cursor::new(&ref_bytes)).unwrap();
    let theirs: Vec<i16> = r.samples::<i16>().map(|s| s.unwrap()).collect();
    assert_eq!(ours.len(), channels as usize);
    assert_eq!(ours[0].len() * channels as usize, theirs.len(), "{coded}");
    for (i, &t) in theirs.iter().enumerate() {
        let o = ours[i % channels as usize][i / channels as usize];
        assert_eq!((o * 32768.0) as i32, t as i32, "{coded}: sample {i}");
    }
}

#[test]
fn g711_all_code_words_match_sox() {
    assert_matches_sox(
        "ulaw_all_codes.wav",
        "ulaw_all_codes.s16.wav",
        Codec::MuLaw,
        1,
    );
    assert_matches_sox(
        "alaw_all_codes.wav",
        "alaw_all_codes.s16.wav",
        Codec::ALaw,
        1,
    );
}

#[test]
fn g711_stereo_sine_matches_sox() {
    assert_matches_sox(
        "ulaw_sine_stereo.wav",
        "ulaw_sine_stereo.s16.wav",
        Codec::MuLaw,
        2,
    );
    assert_matches_sox(
        "alaw_sine_stereo.wav",
        "alaw_sine_stereo.s16.wav",
        Codec::ALaw,
        2,
    );
    // Through the whole pipeline: 2000 frames at 8 kHz → 4000 samples at 16 kHz per role.
    let a = dec(&read_fixture("ulaw_sine_stereo.wav")).unwrap();
    assert_eq!(a.source.frames, 2000);
    assert_eq!(a.duration_ms(), 250);
    assert_eq!(a.channel(Role::Agent).unwrap().samples.len(), 4000);
    assert_eq!(a.channel(Role::Customer).unwrap().samples.len(), 4000);
    assert!(a.channel(Role::Mixed).is_none());
}

#[test]
fn g711_inside_extensible() {
    for (file, tag, codec) in [
        ("ulaw_all_codes.wav", 7u16, Codec::MuLaw),
        ("alaw_all_codes.wav", 6, Codec::ALaw),
    ] {
        let plain = read_fixture(file);
        let (_, want) = raw(&plain);
        let codes: Vec<u8> = (0..=255).collect();
        let ext = riff(&[
            chunk(b"fmt ", &fmt_extensible(tag, 1, 8000, 8, GUID_TAIL)),
            chunk(b"fact", &256u32.to_le_bytes()),
            chunk(b"data", &codes),
        ]);
        let (w, got) = raw(&ext);
        assert_eq!(w.header.codec, codec);
        assert_eq!(got, want, "{file}");
    }
}

#[test]
fn stereo_roles_follow_layout() {
    // Left: loud 440 Hz; right: silence.
    let bytes = hound_file(spec(2, 8000, 16, false), 800, |w, n| {
        w.write_sample((wave(n) * 20000.0) as i16).unwrap();
        w.write_sample(0i16).unwrap();
    });
    let energy = |a: &Audio, r: Role| {
        a.channel(r)
            .unwrap()
            .samples
            .iter()
            .map(|s| s * s)
            .sum::<f32>()
    };
    let left = decode(&bytes, Path::new(ORIGIN), Layout::AgentLeft).unwrap();
    assert!(energy(&left, Role::Agent) > 100.0 && energy(&left, Role::Customer) == 0.0);
    let right = decode(&bytes, Path::new(ORIGIN), Layout::AgentRight).unwrap();
    assert!(energy(&right, Role::Customer) > 100.0 && energy(&right, Role::Agent) == 0.0);
    for a in [&left, &right] {
        assert_eq!(
            a.channels.iter().map(|c| c.role).collect::<Vec<_>>(),
            [Role::Agent, Role::Customer]
        );
        assert_eq!(a.source.channels, 2);
        assert_eq!(a.channels[0].samples.len(), 1600);
    }
}

#[test]
fn resampled_rates_keep_duration() {
    for rate in [8000u32, 11025, 22050, 44100, 48000] {
        let frames = rate as usize * 3 / 2 + 1;
        let bytes = hound_file(spec(2, rate, 16, false), frames, |w, _| {
            w.write_sample(1000i16).unwrap();
            w.write_sample(-1000i16).unwrap();
        });
        let a = dec(&bytes).unwrap();
        assert_eq!(a.source.frames, frames as u64);
        assert_eq!(a.source.sample_rate, rate);
        for c in &a.channels {
            assert_eq!(c.samples.len(), output_len(frames, rate), "{rate}");
        }
        assert_eq!(a.duration_ms(), 1500, "{rate}");
    }
}

#[test]
fn skips_other_chunks_and_handles_odd_padding() {
    let samples: Vec<i16> = vec![100, -200, 300];
    // LIST with an odd-sized body (padded), fact, an unknown chunk, then data.
    let good = riff(&[
        chunk(b"LIST", b"INFOIART\x03\x00\x00\x00ab\x00"),
        chunk(b"fmt ", &fmt_body(1, 1, 16000, 16)),
        chunk(b"junk", b"xyz"),
        chunk(b"data", &pcm16_bytes(&samples)),
    ]);
    let a = dec(&good).unwrap();
    assert_eq!(a.source.frames, 3);
    assert_eq!(
        a.channels[0].samples,
        vec![100.0 / 32768.0, -200.0 / 32768.0, 300.0 / 32768.0]
    );

    // A writer that forgot the pad byte after an odd chunk.
    let mut junk = b"junk".to_vec();
    junk.extend_from_slice(&3u32.to_le_bytes());
    junk.extend_from_slice(b"xyz");
    let unpadded = riff(&[
        chunk(b"fmt ", &fmt_body(1, 1, 16000, 16)),
        junk,
        chunk(b"data", &pcm16_bytes(&samples)),
    ]);
    assert_eq!(dec(&unpadded).unwrap().source.frames, 3);

    // fmt after data is legal RIFF.
    let late_fmt = riff(&[
        chunk(b"data", &pcm16_bytes(&samples)),
        chunk(b"fmt ", &fmt_body(1, 1, 16000, 16)),
    ]);
    assert_eq!(dec(&late_fmt).unwrap().source.frames, 3);

    // Trailing bytes after the data chunk and a wrong RIFF size are ignored.
    let mut trailing = good.clone();
    trailing[4..8].copy_from_slice(&0u32.to_le_bytes());
    trailing.extend_from_slice(b"garbage");
    assert_eq!(dec(&trailing).unwrap().source.frames, 3);
}

#[test]
fn data_longer_than_file_keeps_whole_frames() {
    // A crashed recorder: data declares 1 s, the file holds 101 bytes (50 frames + 1 byte).
    let mut f = riff(&[chunk(b"fmt ", &fmt_body(1, 1, 16000, 16))]);
    f.extend_from_slice(b"data");
    f.extend_from_slice(&32000u32.to_le_bytes());
    f.extend_from_slice(&[0x11; 101]);
    let a = dec(&f).unwrap();
    assert_eq!(a.source.frames, 50);
    assert_eq!(a.channels[0].samples.len(), 50);

    // Streaming placeholder size.
    let mut s = riff(&[chunk(b"fmt ", &fmt_body(1, 1, 16000, 16))]);
    s.extend_from_slice(b"data");
    s.extend_from_slice(&u32::MAX.to_le_bytes());
    s.extend_from_slice(&[0; 20]);
    assert_eq!(dec(&s).unwrap().source.frames, 10);
}

#[test]
fn load_reads_files_and_names_them() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("good.wav");
    std::fs::write(&good, small_pcm16()).unwrap();
    let a = load(&good, Layout::AgentRight).unwrap();
    assert_eq!(a.source.frames, 64);

    let missing = dir.path().join("missing.wav");
    let e = load(&missing, Layout::default()).unwrap_err();
    assert_eq!(e.path(), missing);
    assert!(matches!(e.kind(), AudioErrorKind::Io(_)), "{e}");
    assert!(
        e.to_string().contains("missing.wav: cannot read file"),
        "{e}"
    );

    let bad = dir.path().join("notes.wav");
    std::fs::write(&bad, "customer called about refund\n").unwrap();
    let e = load(&bad, Layout::default()).unwrap_err();
    assert_eq!(
        e.to_string(),
        format!("{}: not a WAV file (no RIFF/WAVE header)", bad.display())
    );
}

// ---- rejections -------------------------------------------------------------------------

#[test]
fn empty_file() {
    assert!(matches!(kind(b""), AudioErrorKind::EmptyFile));
}

#[test]
fn not_wav() {
    assert!(matches!(
        kind(b"hello, this is a text file\n"),
        AudioErrorKind::NotWav
    ));
    // MP3 with an ID3 tag, and a bare MPEG frame header.
    assert!(matches!(
        kind(b"ID3\x04\x00\x00\x00\x00\x00\x00\xff\xfb\x90\x64"),
        AudioErrorKind::NotWav
    ));
    assert!(matches!(
        kind(&[0xFF, 0xFB, 0x90, 0x64, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
        AudioErrorKind::NotWav
    ));
    // RIFF, but AVI.
    assert!(matches!(
        kind(b"RIFF\x10\x00\x00\x00AVI LIST\x00\x00\x00\x00"),
        AudioErrorKind::NotWav
    ));
    // Short non-WAV bytes are not "truncated WAV".
    assert!(matches!(kind(b"RIF"), AudioErrorKind::Truncated { .. }));
    assert!(matches!(kind(b"RIX"), AudioErrorKind::NotWav));
    assert!(matches!(kind(b"RIFF\0\0\0\0WAX"), AudioErrorKind::NotWav));
    assert!(matches!(
        kind(b"RF64\xff\xff\xff\xffWAVE"),
        AudioErrorKind::BadHeader(_)
    ));
}

#[test]
fn truncated_in_header() {
    let full = small_pcm16();
    // Cut inside the RIFF header, the fmt chunk header, the fmt body, the data chunk header.
    for cut in [4, 11, 14, 20, 35, 40] {
        match kind(&full[..cut]) {
            AudioErrorKind::Truncated { found, needed, .. } => {
                assert_eq!(found, cut as u64);
                assert!(needed > found, "cut {cut}");
            }
            other => panic!("cut at {cut}: {other:?}"),
        }
    }
    // Header complete, but data has less than one frame (1 byte of a 2-byte frame).
    let e = kind(&full[..45]);
    assert!(matches!(e, AudioErrorKind::Truncated { .. }), "{e:?}");
    assert!(e.to_string().contains("data chunk"), "{e}");
    // fmt and a LIST chunk, and no data chunk at all.
    let no_data = riff(&[
        chunk(b"fmt ", &fmt_body(1, 1, 16000, 16)),
        chunk(b"LIST", b"INFO"),
    ]);
    assert!(matches!(kind(&no_data), AudioErrorKind::Truncated { .. }));
    // Data but no fmt.
    let no_fmt = riff(&[chunk(b"data", &[0; 8])]);
    assert!(matches!(kind(&no_fmt), AudioErrorKind::BadHeader(_)));
}

#[test]
fn zero_length_data() {
    let f = riff(&[
        chunk(b"fmt ", &fmt_body(1, 2, 8000, 16)),
        chunk(b"data", &[]),
    ]);
    assert!(matches!(kind(&f), AudioErrorKind::EmptyData));
    assert_eq!(kind(&f).to_string(), "data chunk is empty (no audio)");
}

#[test]
fn unsupported_codecs() {
    for (tag, name) in [
        (0x31u16, "GSM 6.10"),
        (0x55, "MP3"),
        (0x02, "MS ADPCM"),
        (0x1234, "unknown"),
    ] {
        let f = riff(&[
            chunk(b"fmt ", &fmt_body(tag, 1, 8000, 8)),
            chunk(b"data", &[0; 64]),
        ]);
        let e = kind(&f);
        assert!(
            matches!(e, AudioErrorKind::UnsupportedCodec { format_tag } if format_tag == tag),
            "{e:?}"
        );
        assert!(e.to_string().contains(name), "{e}");
    }
    // MP3 inside extensible reports the inner tag.
    let f = riff(&[
        chunk(b"fmt ", &fmt_extensible(0x55, 1, 8000, 16, GUID_TAIL)),
        chunk(b"data", &[0; 64]),
    ]);
    assert!(matches!(
        kind(&f),
        AudioErrorKind::UnsupportedCodec { format_tag: 0x55 }
    ));
    // An unknown subformat GUID.
    let mut tail = GUID_TAIL;
    tail[13] = 0;
    let f = riff(&[
        chunk(b"fmt ", &fmt_extensible(1, 1, 8000, 16, tail)),
        chunk(b"data", &[0; 64]),
    ]);
    assert!(matches!(kind(&f), AudioErrorKind::BadHeader(_)));
}

#[test]
fn too_many_channels() {
    let bytes = hound_file(spec(3, 8000, 16, false), 10, |w, _| {
        for _ in 0..3 {
            w.write_sample(0i16).unwrap();
        }
    });
    assert!(matches!(kind(&bytes), AudioErrorKind::TooManyChannels(3)));
    let f = riff(&[
        chunk(b"fmt ", &fmt_body(7, 6, 8000, 8)),
        chunk(b"data", &[0; 60]),
    ]);
    let e = kind(&f);
    assert!(matches!(e, AudioErrorKind::TooManyChannels(6)));
    assert_eq!(
        e.to_string(),
        "6 channels; only mono and stereo calls are supported"
    );
}

#[test]
fn unsupported_bits_rates_and_bad_headers() {
    let data = chunk(b"data", &[0; 64]);
    for (tag, bits) in [
        (1u16, 0u16),
        (1, 40),
        (1, 64),
        (3, 16),
        (3, 24),
        (7, 16),
        (6, 4),
    ] {
        let f = riff(&[chunk(b"fmt ", &fmt_body(tag, 1, 8000, bits)), data.clone()]);
        assert!(
            matches!(kind(&f), AudioErrorKind::UnsupportedBits(b) if b == bits),
            "tag {tag} bits {bits}"
        );
    }
    for rate in [0u32, 999, 1_000_000] {
        let f = riff(&[chunk(b"fmt ", &fmt_body(1, 1, rate, 16)), data.clone()]);
        assert!(
            matches!(kind(&f), AudioErrorKind::UnsupportedRate(r) if r == rate),
            "{rate}"
        );
    }
    let zero_ch = riff(&[chunk(b"fmt ", &fmt_body(1, 0, 8000, 16)), data.clone()]);
    assert!(matches!(kind(&zero_ch), AudioErrorKind::BadHeader(_)));
    let short_fmt = riff(&[
        chunk(b"fmt ", &fmt_body(1, 1, 8000, 16)[..14]),
        data.clone(),
    ]);
    assert!(matches!(kind(&short_fmt), AudioErrorKind::BadHeader(_)));
    let mut bad_align = fmt_body(1, 2, 8000, 16);
    bad_align[12..14].copy_from_slice(&3u16.to_le_bytes());
    let f = riff(&[chunk(b"fmt ", &bad_align), data.clone()]);
    assert!(matches!(kind(&f), AudioErrorKind::BadHeader(_)));
    // 12-bit PCM in 16-bit containers is fine.
    let f = riff(&[chunk(b"fmt ", &fmt_body(1, 1, 16000, 12)), data]);
    assert_eq!(dec(&f).unwrap().source.codec, Codec::Pcm { bits: 16 });
}

#[test]
fn no_panic_on_any_prefix_or_corruption() {
    let files = [small_pcm16(), read_fixture("ulaw_sine_stereo.wav")];
    for full in &files {
        for cut in 0..full.len().min(200) {
            let _ = dec(&full[..cut]);
        }
        // Overwrite each header byte with a few hostile values.
        for at in 0..60.min(full.len()) {
            for v in [0x00, 0x01, 0x7F, 0x80, 0xFE, 0xFF] {
                let mut f = full.clone();
                f[at] = v;
                let _ = dec(&f);
            }
        }
    }
}

// ---- types ------------------------------------------------------------------------------

#[test]
fn names_and_serde() {
    assert_eq!(Role::Agent.to_string(), "agent");
    assert_eq!(Role::Customer.to_string(), "customer");
    assert_eq!(Role::Mixed.to_string(), "mixed");
    assert_eq!(
        serde_json::to_string(&Role::Customer).unwrap(),
        "\"customer\""
    );
    for l in [Layout::AgentLeft, Layout::AgentRight] {
        assert_eq!(l.to_string().parse::<Layout>().unwrap(), l);
        assert_eq!(serde_json::to_string(&l).unwrap(), format!("\"{l}\""));
    }
    assert_eq!(Layout::default(), Layout::AgentLeft);
    assert!("left".parse::<Layout>().is_err());
    let s = SourceFormat {
        codec: Codec::Pcm { bits: 16 },
        sample_rate: 8000,
        channels: 2,
        frames: 8000,
    };
    let j = serde_json::to_string(&s).unwrap();
    assert_eq!(
        j,
        r#"{"codec":{"codec":"pcm","bits":16},"sample_rate":8000,"channels":2,"frames":8000}"#
    );
    assert_eq!(serde_json::from_str::<SourceFormat>(&j).unwrap(), s);
    assert_eq!(
        serde_json::to_string(&Codec::MuLaw).unwrap(),
        r#"{"codec":"mu_law"}"#
    );
    assert_eq!(s.duration_ms(), 1000);
}

// ---- long calls ------------------------------------------------------------------------------

/// A 10-minute stereo 8 kHz call decodes and resamples whole. Its time is printed, not
/// asserted: timings belong in benchmarks, and a timed test fails on a busy machine.
#[test]
fn ten_minute_call_decodes_whole() {
    let frames = 8000 * 600;
    let mut data = Vec::with_capacity(frames * 2);
    for n in 0..frames {
        let v = (0.3 * (2.0 * PI * 300.0 * n as f64 / 8000.0).sin() * 127.0) as i8 as u8;
        data.extend_from_slice(&[v, v ^ 0x55]);
    }
    let f = riff(&[
        chunk(b"fmt ", &fmt_body(7, 2, 8000, 8)),
        chunk(b"data", &data),
    ]);
    let t = std::time::Instant::now();
    let a = dec(&f).unwrap();
    let took = t.elapsed();
    eprintln!("10-minute stereo 8 kHz mu-law call: decode + resample in {took:?}");
    assert_eq!(a.duration_ms(), 600_000);
    assert!(a.channels.iter().all(|c| c.samples.len() == 16_000 * 600));
}

// ---- limits: a header is believed only so far ---------------------------------------------

fn mulaw(channels: u16, rate: u32, seconds: u32) -> Vec<u8> {
    riff(&[chunk(b"fmt ", &fmt_body(7, channels, rate, 8)), chunk(b"data", &vec![0xFF; (channels as u32 * rate * seconds) as usize])])
}

#[test]
fn a_recording_longer_than_the_limit_is_refused_before_its_samples_are_read() {
    let d = tempfile::tempdir().unwrap();
    let path = d.path().join("long.wav");
    std::fs::write(&path, mulaw(2, 8000, 3)).unwrap();
    let limits = Limits { max_duration_ms: 2_000 };
    let err = load_with(&path, Layout::default(), &limits).unwrap_err();
    assert!(matches!(err.kind(), AudioErrorKind::TooLong { duration_ms: 3_000, max_ms: 2_000 }), "{err}");
    assert!(err.to_string().contains("max_call_minutes"), "{err}");
    assert!(matches!(probe(&path, &limits).unwrap_err().kind(), AudioErrorKind::TooLong { .. }));
    assert_eq!(probe(&path, &Limits::default()).unwrap().duration_ms(), 3_000);
    assert_eq!(load_with(&path, Layout::default(), &Limits { max_duration_ms: 3_000 }).unwrap().duration_ms(), 3_000);
}

/// Files of gigabytes are judged by their first bytes: sparse files take no disk, and a read of
/// their payload (or a buffer of their size) would show as a test that takes seconds and GBs.
#[test]
fn huge_files_are_judged_by_their_header() {
    let d = tempfile::tempdir().unwrap();
    let zeros = d.path().join("zeros.wav");
    std::fs::File::create(&zeros).unwrap().set_len(2 << 30).unwrap();
    assert!(matches!(load(&zeros, Layout::default()).unwrap_err().kind(), AudioErrorKind::NotWav));

    // A valid header whose data chunk runs on to a 3 GB end (the streaming size 0xFFFFFFFF):
    // 8-bit mono at 8 kHz, about 104 hours.
    let big = d.path().join("big.wav");
    let mut head = riff(&[chunk(b"fmt ", &fmt_body(7, 1, 8000, 8))]);
    head.extend_from_slice(b"data");
    head.extend_from_slice(&u32::MAX.to_le_bytes());
    let f = std::fs::File::create(&big).unwrap();
    std::io::Write::write_all(&mut &f, &head).unwrap();
    f.set_len(3 << 30).unwrap();
    let err = load(&big, Layout::default()).unwrap_err();
    match err.kind() {
        AudioErrorKind::TooLong { duration_ms, max_ms } => {
            assert_eq!(*max_ms, DEFAULT_MAX_DURATION_MS);
            assert!(*duration_ms > 100 * 3_600_000, "{err}");
        }
        other => panic!("{other}"),
    }
    // A chunk before the data that claims gigabytes is skipped by seeking, not read.
    let mut junk = riff(&[chunk(b"fmt ", &fmt_body(7, 1, 8000, 8))]);
    junk.extend_from_slice(b"LIST");
    junk.extend_from_slice(&0xF000_0000u32.to_le_bytes());
    let jf = d.path().join("junk.wav");
    std::fs::write(&jf, &junk).unwrap();
    std::fs::OpenOptions::new().write(true).open(&jf).unwrap().set_len(0xF000_0000 + junk.len() as u64).unwrap();
    assert!(matches!(load(&jf, Layout::default()).unwrap_err().kind(), AudioErrorKind::Truncated { .. }));
}

#[test]
fn peak_memory_is_the_source_and_16khz_channels() {
    let w = mulaw(2, 8000, 3600);
    let h = wav::parse(&w).unwrap().header;
    // 1 hour stereo at 8 kHz: 2 × (28.8 M + 57.6 M) samples × 4 bytes.
    assert_eq!(Limits::peak_bytes(&h), 2 * (28_800_000 + 57_600_000) * 4);
}

// ---- properties ------------------------------------------------------------------------------

mod properties {
    use super::*;
    use proptest::prelude::*;

    const IDS: [[u8; 4]; 6] = [*b"LIST", *b"fact", *b"bext", *b"junk", *b"cue ", *b"iXML"];

    fn extra_chunk() -> impl Strategy<Value = Vec<u8>> {
        (prop::sample::select(&IDS[..]), proptest::collection::vec(any::<u8>(), 0..300))
            .prop_map(|(id, body)| chunk(&id, &body))
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 256, failure_persistence: None, ..ProptestConfig::default() })]

        /// Chunks a recorder adds (metadata, cue points, padding) before or after the samples
        /// change nothing that is decoded, in memory or streamed from a file.
        #[test]
        fn other_chunks_do_not_change_the_audio(
            samples in proptest::collection::vec(any::<i16>(), 2..400),
            before in proptest::collection::vec(extra_chunk(), 0..3),
            after in proptest::collection::vec(extra_chunk(), 0..2),
            stereo in any::<bool>(),
        ) {
            let channels = if stereo { 2 } else { 1 };
            let frames = samples.len() / channels as usize * channels as usize;
            let data: Vec<u8> = samples[..frames].iter().flat_map(|s| s.to_le_bytes()).collect();
            let plain = riff(&[chunk(b"fmt ", &fmt_body(1, channels, 8000, 16)), chunk(b"data", &data)]);
            let mut parts = vec![chunk(b"fmt ", &fmt_body(1, channels, 8000, 16))];
            parts.extend(before);
            parts.push(chunk(b"data", &data));
            parts.extend(after);
            let decorated = riff(&parts);
            let (a, b) = (dec(&plain).unwrap(), dec(&decorated).unwrap());
            prop_assert_eq!(a.source, b.source);
            for (x, y) in a.channels.iter().zip(&b.channels) {
                prop_assert_eq!(x.role, y.role);
                prop_assert_eq!(&x.samples, &y.samples);
            }
        }
    }
}
