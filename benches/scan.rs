//! Scan throughput in MB of transcript text per second, with the default pack and with a
//! 2,000-phrase pack, against the naive baseline (normalise, then one `str::find` loop per
//! phrase) measured in the same run. Run: `cargo bench --bench scan`. After criterion's own
//! report it prints one summary line per pack with both throughputs and their ratio, then
//! the matching pass alone (normalise, then every phrase of every rule, fuzzy ones
//! included, through the pack's automata), which does what the naive loop does: the whole
//! scan also applies the operators, measures the timeline and builds findings with their
//! evidence. `CALLQA_BENCH_PASSES` runs the scan only, for counting instructions
//! ([`count_passes`]).

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::Instant;

use callqa::asr::DecodeParams;
use callqa::audio::{Codec, Role, SourceFormat};
use callqa::rules::matcher::Matcher;
use callqa::rules::normalize::{CharBuffer, normalize_text};
use callqa::rules::{Kind, Lexical, Pack, Phrase, RoleFilter, Rule, Severity};
use callqa::scan::Scanner;
use callqa::transcript::{AudioRef, ChannelInfo, ModelRef, Segment, TRANSCRIPT_VERSION, Transcript};
use criterion::{Criterion, Throughput};

/// The allocator of the `callqa` binary, so that the scan is measured as it runs there.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Plausible call-centre lines; a few hold forbidden phrases, most hold none.
const LINES: &[&str] = &[
    "您好，欢迎致电美美服务热线，这里是客服中心，请问有什么可以帮您？",
    "我想查一下我上周买的那个订单，到现在还没有收到。",
    "好的，请您提供一下订单号，我这边帮您查询一下。",
    "订单号是一二三四五六七八，收货人姓王。",
    "请让我确认一下，您的订单号是一二三四五六七八，对吗？",
    "对的，就是这个，麻烦你们快一点。",
    "让您久等了，您的包裹目前在配送站，预计明天下午送到。",
    "那能不能今天送啊，我明天不在家。",
    "这个我不清楚，配送时间是物流那边安排的。",
    "你们怎么回事啊，每次都这样。",
    "非常抱歉给您带来不便，我帮您备注一下，尽量今天送达。",
    "您还有什么问题吗？",
    "没有了，谢谢。",
    "不客气，感谢您的来电，再见！",
];

fn corpus(calls: usize) -> (Vec<Transcript>, usize) {
    let mut bytes = 0;
    let ts = (0..calls)
        .map(|c| {
            let segments: Vec<Segment> = (0..40)
                .map(|i| {
                    let text = LINES[(c * 7 + i) % LINES.len()].to_owned();
                    bytes += text.len();
                    let start = i as u64 * 4000;
                    Segment {
                        role: if i % 2 == 0 { Role::Agent } else { Role::Customer },
                        start_ms: start,
                        end_ms: start + 3500,
                        raw_text: text.clone(),
                        text,
                        avg_token_prob: 0.9,
                        no_speech_prob: 0.0,
                    }
                })
                .collect();
            Transcript {
                version: TRANSCRIPT_VERSION,
                call_id: format!("bench{c}"),
                audio: AudioRef {
                    path: "bench.wav".into(),
                    sha256: "bench".into(),
                    format: SourceFormat { codec: Codec::MuLaw, sample_rate: 8000, channels: 2, frames: 0 },
                    duration_ms: 160_000,
                },
                model: ModelRef { path: "bench".into(), sha256: "bench".into() },
                params: DecodeParams::default(),
                channels: vec![ChannelInfo { role: Role::Agent, language: Some("zh".into()), language_prob: Some(0.9), speech_ms: 0, windows: 1 }],
                segments,
                producer: "bench".into(),
            }
        })
        .collect();
    (ts, bytes)
}

/// 2,000 distinct phrases of 2–6 common characters (deterministic), in 20 forbidden rules,
/// plus the corpus's own 不清楚 so that some do match.
fn big_pack() -> Pack {
    const CHARS: &str = "的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过子说产种面而方后多定行学法所民得经十三之进着等部度家电力里如水化高自二理起小物现实加量都两体制机当使点从业本去把性好应开它合还因由其些然前外天政四日那社义事平形相全表间样与关各重新线内数正心反你明看原又么利比或但质气第向道命此变条只没结解问意建月公无系军很情者最立代想已通并提直题党程展五果料象员革位入常文总次品式活设及管特件长求老头基资边流路级少图山统接知较将组见计别她手角期根论运农指几九区强放决西被干做必战先回则任取据处理府研";
    let chars: Vec<char> = CHARS.chars().collect();
    let mut seen = std::collections::HashSet::new();
    let mut phrases = vec!["不清楚".to_owned()];
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    while phrases.len() < 2000 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let len = 2 + (x % 5) as usize;
        let p: String = (0..len).map(|k| chars[((x >> (8 * k)) % chars.len() as u64) as usize]).collect();
        if seen.insert(p.clone()) {
            phrases.push(p);
        }
    }
    let rules = phrases
        .chunks(100)
        .enumerate()
        .map(|(i, chunk)| Rule {
            id: format!("big.{i}"),
            name: format!("大包{i}"),
            category: "forbidden".into(),
            kind: Kind::Forbidden,
            severity: Severity::Minor,
            points: 2,
            role: RoleFilter::Agent,
            lexical: Some(Lexical::Any(chunk.iter().map(|p| Phrase::new(p)).collect())),
            unless: Vec::new(),
            window: None,
            after: None,
            min_count: 1,
            fuzzy: None,
            metric: None,
            file: PathBuf::from("bench"),
            line: 0,
        })
        .collect();
    Pack::new("big", "bench", Path::new("bench"), rules)
}

/// Every normalised phrase of a pack, for the naive baseline.
fn phrases_of(pack: &Pack) -> Vec<String> {
    let mut v = Vec::new();
    for r in pack.rules() {
        for (_, ps) in r.phrase_slots() {
            v.extend(ps.iter().map(|p| p.normalized().to_owned()));
        }
        v.extend(r.unless.iter().map(|p| p.normalized().to_owned()));
    }
    v
}

/// The naive scan: normalise each utterance, then find every occurrence of every phrase.
fn naive(calls: &[Transcript], phrases: &[String]) -> usize {
    let mut hits = 0;
    for t in calls {
        for s in &t.segments {
            let n = normalize_text(&s.text);
            let text = n.as_str();
            for p in phrases {
                let mut from = 0;
                while let Some(i) = text[from..].find(p.as_str()) {
                    hits += 1;
                    from += i + p.len();
                }
            }
        }
    }
    hits
}

/// The matching pass alone: normalise each utterance, then find every phrase of every rule,
/// with the buffers reused from one utterance to the next, as the scan does.
fn match_all(matcher: &Matcher, eligible: &[bool], calls: &[Transcript]) -> usize {
    let (mut out, mut chars) = (Vec::new(), CharBuffer::default());
    let fuzzy = matcher.any_fuzzy(eligible);
    let mut hits = 0;
    Matcher::with_scratch(|scratch| {
        for t in calls {
            for s in &t.segments {
                chars.clear();
                chars.append(&s.text);
                out.clear();
                matcher.find_in(chars.chars(), eligible, fuzzy, &mut out, scratch);
                hits += out.len();
            }
        }
    });
    hits
}

fn scan_all(scanner: &Scanner, calls: &[Transcript]) -> usize {
    calls.iter().map(|t| scanner.scan(t).len()).sum()
}

/// MB/s of each of `fs` over `bytes`: the fastest of 30 trials of at least 20 ms, the
/// functions' trials taken in turn. On a shared machine other work only ever slows a trial,
/// so the fastest of many short ones is the steadiest estimate of the code's own speed (a
/// few long ones were each as likely as not to be slowed, by up to 2× on the build
/// machine). Taken in turn, all are measured over the same seconds: a burst of other work
/// slows a few trials of each, where one after the other it could spoil every trial of one
/// function, and the ratios compare like with like.
fn mbps<const N: usize>(bytes: usize, mut fs: [&mut dyn FnMut() -> usize; N]) -> [f64; N] {
    let mut best = [f64::MAX; N];
    for _ in 0..30 {
        for (f, best) in fs.iter_mut().zip(&mut best) {
            let start = Instant::now();
            let mut runs = 0;
            while start.elapsed().as_secs_f64() < 0.02 {
                black_box(f());
                runs += 1;
            }
            *best = best.min(start.elapsed().as_secs_f64() / runs as f64);
        }
    }
    best.map(|b| bytes as f64 / b / 1e6)
}

/// `CALLQA_BENCH_PASSES=n`: only `n` whole scans of the corpus with one pack
/// (`CALLQA_BENCH_PACK=default` or `2000`, default `default`), nothing timed. Run under
/// `valgrind --tool=cachegrind` with two values of `n`, the difference in instructions over
/// the difference in passes, per corpus byte, is the scan's cost in instructions per byte:
/// steady where a shared machine's timings are not (benches/README.md).
fn count_passes(packs: [(&str, Pack); 2], calls: &[Transcript], bytes: usize, passes: usize) {
    let want = std::env::var("CALLQA_BENCH_PACK").unwrap_or_else(|_| "default".into());
    let Some((label, pack)) = packs.into_iter().find(|(l, _)| l.starts_with(want.as_str())) else {
        eprintln!("CALLQA_BENCH_PACK: expected `default` or `2000`, got `{want}`");
        std::process::exit(2);
    };
    let scanner = Scanner::new(pack).unwrap();
    scan_all(&scanner, &calls[..1]);
    let findings: usize = (0..passes).map(|_| scan_all(&scanner, black_box(calls))).sum();
    println!("{label}: {passes} pass(es) over {bytes} bytes, {findings} findings");
}

fn main() {
    let default_pack = callqa::rules::load_pack(&Path::new(env!("CARGO_MANIFEST_DIR")).join("rules/zh-cn"))
        .unwrap_or_else(|p| panic!("{p:?}"));
    let (calls, bytes) = corpus(200);
    let packs = [("default pack", default_pack), ("2000-phrase pack", big_pack())];
    if let Some(passes) = std::env::var("CALLQA_BENCH_PASSES").ok().and_then(|v| v.parse::<usize>().ok()) {
        return count_passes(packs, &calls, bytes, passes);
    }
    let mut c = Criterion::default().configure_from_args();
    let mut summary = Vec::new();
    for (label, pack) in packs {
        let phrases = phrases_of(&pack);
        let matcher = Matcher::new(pack.rules()).unwrap();
        let eligible = vec![true; pack.rules().len()];
        let scanner = Scanner::new(pack).unwrap();
        // Warm the lazily built tables outside the measurements.
        scan_all(&scanner, &calls[..1]);
        let mut g = c.benchmark_group(format!("scan/{label}"));
        g.throughput(Throughput::Bytes(bytes as u64));
        g.sample_size(10);
        g.bench_function("automaton", |b| b.iter(|| scan_all(&scanner, black_box(&calls))));
        g.bench_function("matching pass", |b| b.iter(|| match_all(&matcher, &eligible, black_box(&calls))));
        g.bench_function("naive str::find", |b| b.iter(|| naive(black_box(&calls), &phrases)));
        g.finish();
        let [fast, pass, slow] = mbps(
            bytes,
            [&mut || scan_all(&scanner, &calls), &mut || match_all(&matcher, &eligible, &calls), &mut || naive(&calls, &phrases)],
        );
        summary.push(format!(
            "{label} ({} phrases): scanner {fast:.1} MB/s, naive {slow:.1} MB/s, ratio {:.1}× (one core, {:.1} MB corpus); \
             matching pass alone {pass:.1} MB/s, {:.1}× naive",
            phrases.len(),
            fast / slow,
            bytes as f64 / 1e6,
            pass / slow,
        ));
    }
    c.final_summary();
    for s in summary {
        println!("{s}");
    }
}
