//! Operator tests: each builds a one-rule pack from TOML and scans hand-made calls.

use super::*;
use crate::transcript::DecodeParams;
use crate::audio::{Codec, SourceFormat};
use crate::transcript::{AudioRef, ChannelInfo, ModelRef};

/// A call from `(role, start_ms, end_ms, text)` lines; role is `a`, `c` or `m`.
pub(crate) fn call(lines: &[(&str, u64, u64, &str)]) -> Transcript {
    let role = |r: &str| match r {
        "a" => Role::Agent,
        "c" => Role::Customer,
        _ => Role::Mixed,
    };
    let duration = lines.iter().map(|l| l.2).max().unwrap_or(0);
    Transcript {
        version: crate::transcript::TRANSCRIPT_VERSION,
        call_id: "c1".into(),
        audio: AudioRef {
            path: "c1.wav".into(),
            sha256: "hand-written".into(),
            format: SourceFormat { codec: Codec::Pcm { bits: 16 }, sample_rate: 8000, channels: 2, frames: duration * 8 },
            duration_ms: duration,
        },
        model: ModelRef { path: "none".into(), sha256: "hand-written".into() },
        // Hand-written times are the speech itself: no voice-activity padding to trim.
        params: {
            let mut p = DecodeParams::default();
            p.vad.pad_ms = 0;
            p
        },
        channels: vec![
            ChannelInfo { role: Role::Agent, language: Some("zh".into()), language_prob: Some(0.99), speech_ms: 0, windows: 0 },
            ChannelInfo { role: Role::Customer, language: Some("zh".into()), language_prob: Some(0.99), speech_ms: 0, windows: 0 },
        ],
        segments: lines
            .iter()
            .map(|&(r, s, e, t)| Segment {
                role: role(r),
                start_ms: s,
                end_ms: e,
                text: t.into(),
                raw_text: t.into(),
                avg_token_prob: 0.9,
                no_speech_prob: 0.0,
            })
            .collect(),
        producer: "hand-written".into(),
    }
}

/// A scanner for one rule; `body` is the rule's condition lines.
pub(crate) fn scanner(kind: &str, category: &str, role: &str, body: &str) -> Scanner {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("pack.toml"), "format = 1\nname = \"t\"\nversion = \"v1\"\n").unwrap();
    let rule = format!(
        "[[rule]]\nid = \"r\"\nname = \"规则\"\ncategory = \"{category}\"\nkind = \"{kind}\"\nseverity = \"minor\"\nrole = \"{role}\"\n{body}\n"
    );
    std::fs::write(dir.path().join("r.toml"), rule).unwrap();
    let pack = crate::rules::load_pack(dir.path()).unwrap_or_else(|p| panic!("{p:?}"));
    Scanner::new(pack).unwrap()
}

fn texts(f: &[Finding]) -> Vec<&str> {
    f.iter().map(|f| f.matched_text.as_str()).collect()
}

#[test]
fn any_of_matches_each_occurrence_of_the_role_only() {
    let s = scanner("forbidden", "forbidden", "agent", "any = [\"不知道\", \"我不知道\", \"没办法\"]");
    let t = call(&[
        ("a", 0, 2000, "我不知道，真的没办法。"),
        ("c", 2000, 4000, "你不知道？"),
        ("a", 4000, 5000, "不知道"),
    ]);
    let f = s.scan(&t);
    // 我不知道 and its inner 不知道 are one hit; the customer's 不知道 is not the agent's.
    assert_eq!(texts(&f), vec!["我不知道", "没办法", "不知道"]);
    assert_eq!(f[0].start_ms, 0);
    assert_eq!(f[0].normalized_text, "我不知道");
    assert_eq!(f[0].match_mode, Some(MatchMode::Exact));
    assert_eq!(f[0].points, 2);
    assert_eq!(f[0].after.as_ref().unwrap().text, "你不知道？");
    assert!(f[0].before.is_none());
    assert_eq!(f[2].before.as_ref().unwrap().index, 1);
    assert_ne!(f[0].id, f[1].id, "two hits in one utterance have distinct ids");
}

#[test]
fn all_of_is_judged_over_the_window_not_one_utterance() {
    let s = scanner("required", "greeting", "agent", "all = [\"您好|早上好\", \"有什么可以帮您\"]\nwindow = { first = 2, unit = \"utterances\" }");
    assert!(s.scan(&call(&[("a", 0, 3000, "早上好，请问有什么可以帮您？")])).is_empty());
    // Whisper split the greeting over two segments: still met.
    assert!(s.scan(&call(&[("a", 500, 1500, "您好，这里是客服中心"), ("a", 1500, 3000, "请问有什么可以帮您")])).is_empty());
    // The second half only in the third utterance, outside the window: not met.
    let f = s.scan(&call(&[("a", 500, 1500, "您好"), ("c", 1500, 2000, "喂"), ("a", 2000, 2500, "嗯"), ("a", 2500, 3000, "有什么可以帮您")]));
    assert_eq!(f.len(), 1);
    assert_eq!((f[0].start_ms, f[0].end_ms), (500, 2500), "span of the window where it was expected");
    assert_eq!(f[0].match_mode, None);
    assert_eq!(f[0].matched_text, "");
}

#[test]
fn forbidden_all_over_utterances_quotes_every_part() {
    let s = scanner("forbidden", "forbidden", "agent", "all = [\"不知道\", \"别问我\"]");
    let t = call(&[("a", 0, 1000, "不知道。"), ("c", 1000, 2000, "啊？"), ("a", 2000, 4000, "你别问我了")]);
    let f = s.scan(&t);
    assert_eq!(f.len(), 1, "one hit for the whole scope");
    assert_eq!(f[0].matched_text, "不知道…别问我");
    assert_eq!(f[0].normalized_text, "不知道…别问我");
    assert_eq!(f[0].utterance.as_ref().unwrap().index, 0);
    assert_eq!(f[0].more_utterances.iter().map(|u| u.index).collect::<Vec<_>>(), vec![1, 2]);
    assert!(f[0].after.is_none());
    // Estimated times: from the start of 不知道 to the end of 别问我 (characters 1..4 of 你别问我了).
    assert_eq!((f[0].start_ms, f[0].end_ms), (0, 3600));
    assert!(f[0].detail.contains("over 3 utterances"), "{}", f[0].detail);
    // One part missing: nothing.
    assert!(s.scan(&call(&[("a", 0, 1000, "不知道。")])).is_empty());
}

#[test]
fn hit_times_are_interpolated_inside_the_utterance() {
    let s = scanner("forbidden", "forbidden", "agent", "any = [\"没办法\"]");
    // 10 normalised characters over 2 s: 没办法 is characters 7..10, punctuation not counted.
    let f = s.scan(&call(&[("a", 1000, 3000, "您好，这个真的是，没办法。")]));
    assert_eq!((f[0].start_ms, f[0].end_ms), (1000 + 1400, 3000));
    let u = f[0].utterance.as_ref().unwrap();
    assert_eq!((u.start_ms, u.end_ms), (1000, 3000), "the utterance span stays in the evidence");
    // A malformed segment (end before start) does not underflow.
    let f = s.scan(&call(&[("a", 3000, 1000, "真没办法")]));
    assert_eq!((f[0].start_ms, f[0].end_ms), (3000, 3000));
}

#[test]
fn after_required_answer_within_the_reach() {
    let body = "any = [\"不客气\", \"不用谢\"]\nafter = { role = \"customer\", any = [\"谢谢\"], within = 1, unit = \"utterances\" }";
    let s = scanner("required", "politeness", "agent", body);
    let ok = call(&[("a", 0, 1000, "您好"), ("c", 1000, 2000, "好的，谢谢"), ("a", 2000, 3000, "不客气，再见")]);
    assert!(s.scan(&ok).is_empty());
    // No thanks in the call: the rule does not apply.
    assert!(s.scan(&call(&[("a", 0, 1000, "您好"), ("c", 1000, 2000, "好的")])).is_empty());
    let bad = call(&[("c", 0, 1000, "谢谢你"), ("a", 1000, 2000, "嗯"), ("a", 2000, 3000, "不客气")]);
    let f = s.scan(&bad);
    assert_eq!(f.len(), 1, "不客气 came one utterance too late");
    assert_eq!((f[0].start_ms, f[0].end_ms), (1000, 2000), "the response window");
    assert_eq!(f[0].trigger.as_ref().unwrap().index, 0);
    assert_eq!(f[0].more_utterances.iter().map(|u| u.index).collect::<Vec<_>>(), vec![1]);
    assert!(f[0].detail.contains("「谢谢」"), "{}", f[0].detail);
    // Two thanks before the agent answers are one situation; thanks at the very end are not judged.
    let twice = call(&[("c", 0, 1000, "谢谢"), ("c", 1000, 2000, "太谢谢了"), ("a", 2000, 3000, "好的"), ("c", 3000, 4000, "谢谢")]);
    assert_eq!(s.scan(&twice).len(), 1);
}

#[test]
fn after_in_seconds_and_the_agents_own_trigger() {
    let body = "any = [\"请您再讲一遍\"]\nafter = { role = \"agent\", any = [\"听不清\"], within = 3, unit = \"s\" }";
    let s = scanner("required", "politeness", "agent", body);
    // The trigger's own utterance counts: the agent says both at once.
    assert!(s.scan(&call(&[("a", 0, 2000, "对不起，听不清，请您再讲一遍")])).is_empty());
    assert!(s.scan(&call(&[("a", 0, 1000, "听不清"), ("a", 3500, 4000, "请您再讲一遍")])).is_empty());
    assert_eq!(s.scan(&call(&[("a", 0, 1000, "听不清"), ("a", 4500, 5000, "请您再讲一遍")])).len(), 1, "4.5 s is past 3 s");
}

#[test]
fn after_forbidden_only_inside_the_response() {
    let body = "any = [\"随便你\"]\nafter = { role = \"customer\", any = [\"投诉\"], within = 2, unit = \"utterances\" }";
    let s = scanner("forbidden", "forbidden", "agent", body);
    let t = call(&[("a", 0, 1000, "随便你"), ("c", 1000, 2000, "我要投诉"), ("a", 2000, 3000, "随便你"), ("a", 3000, 4000, "好"), ("a", 4000, 5000, "随便你")]);
    let f = s.scan(&t);
    assert_eq!(f.len(), 1, "only the reply inside the window: {f:#?}");
    assert_eq!(f[0].utterance.as_ref().unwrap().index, 2);
    assert_eq!(f[0].trigger.as_ref().unwrap().index, 1);
    assert!(f[0].detail.ends_with("after the customer said 「投诉」"), "{}", f[0].detail);
    // The customer's own words never trigger in a mono call, where nobody knows who spoke.
    assert!(s.scan(&call(&[("m", 0, 1000, "我要投诉"), ("m", 1000, 2000, "随便你")])).is_empty());
}
#[test]
fn time_windows_first_and_last_seconds() {
    let first = scanner("required", "greeting", "agent", "any = [\"您好\"]\nwindow = { first = 3, unit = \"s\" }");
    assert!(first.scan(&call(&[("a", 2900, 4000, "您好")])).is_empty());
    let late = first.scan(&call(&[("a", 3000, 4000, "您好")]));
    assert_eq!(late.len(), 1);
    assert_eq!((late[0].start_ms, late[0].end_ms), (0, 3000));

    let last = scanner("required", "closing", "agent", "any = [\"再见\"]\nwindow = { last = 10, unit = \"s\" }");
    let t = |at| call(&[("a", 0, 1000, "您好"), ("a", at, at + 1000, "再见"), ("c", 59_000, 60_000, "好")]);
    assert!(last.scan(&t(55_000)).is_empty());
    let f = last.scan(&t(20_000));
    assert_eq!((f[0].start_ms, f[0].end_ms), (50_000, 60_000));
}

/// The windowed rules' utterances, found from the window's end of the call, are those
/// `Call::admits` gives when asked of every utterance.
#[test]
fn windowed_rules_look_where_admits_says() {
    let t = call(&[
        ("c", 0, 900, "喂"),
        ("a", 1000, 2000, "您好"),
        ("m", 2000, 2500, "嗯"),
        ("a", 3000, 4000, "请讲"),
        ("c", 4000, 5000, "好"),
        ("a", 5000, 6000, "再见"),
        ("c", 6000, 7000, "拜拜"),
    ]);
    for role in ["agent", "customer", "any"] {
        for window in ["first = 2, unit = \"utterances\"", "last = 3, unit = \"utterances\"", "first = 9, unit = \"utterances\"", "first = 3, unit = \"s\"", "last = 2, unit = \"s\""] {
            let s = scanner("required", "greeting", role, &format!("any = [\"您好\"]\nwindow = {{ {window} }}"));
            let c = Call::new(&t);
            let rule = &s.pack.rules()[0];
            let brute: Vec<(usize, usize)> = (0..t.segments.len()).filter(|&i| c.admits(rule, i)).map(|i| (i, 0)).collect();
            assert_eq!(s.windowed_admitted(&c), brute, "{role}, {window}");
        }
    }
}

#[test]
fn utterance_windows_count_the_roles_utterances() {
    let s = scanner("required", "closing", "agent", "any = [\"感谢您的来电\"]\nwindow = { last = 2, unit = \"utterances\" }");
    let ok = call(&[("a", 0, 1, "您好"), ("a", 1, 2, "感谢您的来电"), ("a", 2, 3, "再见"), ("c", 3, 4, "拜拜")]);
    assert!(s.scan(&ok).is_empty());
    let early = call(&[("a", 0, 1, "感谢您的来电"), ("a", 1, 2, "好的"), ("a", 2, 3, "再见"), ("c", 3, 4, "拜拜")]);
    let f = s.scan(&early);
    assert_eq!((f[0].start_ms, f[0].end_ms), (1, 3));
}

#[test]
fn unless_drops_hits_in_an_utterance_with_an_exclusion() {
    let s = scanner("forbidden", "forbidden", "agent", "any = [\"不知道\"]\nunless = [\"知不知道\", \"客户说\"]");
    assert!(s.scan(&call(&[("a", 0, 1, "您知不知道密码？")])).is_empty());
    assert!(s.scan(&call(&[("a", 0, 1, "客户说他不知道")])).is_empty());
    assert_eq!(s.scan(&call(&[("a", 0, 1, "我也不知道")])).len(), 1);
}

#[test]
fn near_requires_proximity() {
    let s = scanner("required", "greeting", "agent", "near = { a = [\"欢迎致电\"], b = [\"热线\"], within = 6 }");
    assert!(s.scan(&call(&[("a", 0, 1, "欢迎致电美美服务热线")])).is_empty());
    assert!(s.scan(&call(&[("a", 0, 1, "热线，欢迎致电")])).is_empty(), "either order");
    assert_eq!(s.scan(&call(&[("a", 0, 1, "欢迎致电，我们是一家很大很大很大的公司的热线")])).len(), 1);
}

#[test]
fn min_count_for_required_and_forbidden() {
    let req = scanner("required", "politeness", "agent", "any = [\"请\", \"谢谢\"]\nmin_count = 3");
    assert!(req.scan(&call(&[("a", 0, 1, "请稍等，谢谢"), ("a", 1, 2, "请讲")])).is_empty());
    let f = req.scan(&call(&[("a", 0, 1, "请稍等"), ("a", 1, 2, "好")]));
    assert_eq!(f[0].detail, "said 1 times, at least 3 required");
    let forb = scanner("forbidden", "forbidden", "agent", "any = [\"唉\"]\nmin_count = 2");
    assert!(forb.scan(&call(&[("a", 0, 1, "唉，好吧")])).is_empty());
    assert_eq!(forb.scan(&call(&[("a", 0, 1, "唉"), ("a", 1, 2, "唉")])).len(), 2);
}

#[test]
fn fuzzy_rule_catches_homophones_and_says_so() {
    let s = scanner("forbidden", "forbidden", "agent", "any = [\"这事不归我管\"]\nfuzzy = true");
    let f = s.scan(&call(&[("a", 0, 1, "这是不归我管的。")]));
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].match_mode, Some(MatchMode::Fuzzy));
    assert_eq!(f[0].matched_text, "这是不归我管");
    assert!(f[0].similarity.unwrap() > 0.9 && f[0].similarity.unwrap() < 1.0);
    let exact = s.scan(&call(&[("a", 0, 1, "这事不归我管")]));
    assert_eq!((exact[0].match_mode, exact[0].similarity), (Some(MatchMode::Exact), Some(1.0)));
    // Without fuzzy, the homophone is missed.
    let strict = scanner("forbidden", "forbidden", "agent", "any = [\"这事不归我管\"]");
    assert!(strict.scan(&call(&[("a", 0, 1, "这是不归我管的。")])).is_empty());
}

#[test]
fn normalisation_applies_to_transcripts() {
    let s = scanner("forbidden", "forbidden", "agent", "any = [\"这事与我无关\", \"等3天\"]");
    let f = s.scan(&call(&[("a", 0, 1, "這事，與我無關！"), ("a", 1, 2, "您要等 三 天")]));
    assert_eq!(f.len(), 2);
    assert_eq!(f[0].matched_text, "这事，与我无关");
    assert_eq!(f[1].matched_text, "等 三 天");
    assert_eq!(f[1].normalized_text, "等3天");
}

#[test]
fn mixed_segments_count_for_every_role() {
    let s = scanner("forbidden", "forbidden", "agent", "any = [\"不知道\"]");
    let f = s.scan(&call(&[("m", 0, 1, "不知道")]));
    assert_eq!(f[0].utterance.as_ref().unwrap().role, Role::Mixed);
}

#[test]
fn greeting_latency() {
    let s = scanner("metric", "greeting", "agent", "metric = \"greeting_latency\"\nmax_ms = 3000\nany = [\"您好\"]");
    assert!(s.scan(&call(&[("a", 2500, 4000, "您好")])).is_empty());
    let f = s.scan(&call(&[("a", 1000, 2000, "喂"), ("a", 4200, 5000, "您好")]));
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].value, Some(4200.0));
    assert_eq!(f[0].detail, "greeting at 4.2 s, limit 3.0 s");
}

#[test]
fn dead_air_between_both_channels() {
    let s = scanner("metric", "silence", "any", "metric = \"dead_air\"\nmax_ms = 5000");
    // The customer speaks during the agent's pause: no dead air.
    let t = call(&[("a", 0, 2000, "您好"), ("c", 1500, 6000, "我想问"), ("a", 10_000, 11_000, "好的")]);
    assert!(s.scan(&t).is_empty());
    let t = call(&[("a", 0, 2000, "您好"), ("c", 1500, 3000, "我想问"), ("a", 9000, 11_000, "好的")]);
    let f = s.scan(&t);
    assert_eq!((f[0].start_ms, f[0].end_ms, f[0].value), (3000, 9000, Some(6000.0)));
    assert_eq!(f[0].before.as_ref().unwrap().index, 1);
    assert_eq!(f[0].after.as_ref().unwrap().index, 2);
}

#[test]
fn speech_rate_outside_band() {
    let s = scanner("metric", "speech_rate", "agent", "metric = \"speech_rate\"\nmin_cpm = 200\nmax_cpm = 250\nmin_speech_ms = 1000");
    // 10 characters in 3 s = 200 per minute: fine. In 1 s = 600: too fast.
    assert!(s.scan(&call(&[("a", 0, 3000, "您好请问有什么可以帮")])).is_empty());
    let f = s.scan(&call(&[("a", 0, 1000, "您好请问有什么可以帮")]));
    assert_eq!(f[0].value.map(|v| v.round()), Some(600.0));
    // Too little speech to judge.
    assert!(s.scan(&call(&[("a", 0, 500, "好")])).is_empty());
}

#[test]
fn overtalk_when_agent_starts_inside_customer_speech() {
    let s = scanner("metric", "overtalk", "agent", "metric = \"overtalk\"\nmin_overlap_ms = 500");
    let t = call(&[("c", 0, 3000, "我跟你说这个问题"), ("a", 2000, 4000, "你听我说")]);
    let f = s.scan(&t);
    assert_eq!((f[0].start_ms, f[0].end_ms, f[0].value), (2000, 3000, Some(1000.0)));
    assert_eq!(f[0].before.as_ref().unwrap().role, Role::Customer);
    // A short overlap, and the customer interrupting the agent, are not the agent's overtalk.
    assert!(s.scan(&call(&[("c", 0, 3000, "嗯"), ("a", 2700, 4000, "好的")])).is_empty());
    assert!(s.scan(&call(&[("a", 0, 3000, "您好"), ("c", 1000, 4000, "我说")])).is_empty());
}

#[test]
fn language_of_the_agent_channel() {
    let s = scanner("metric", "language", "agent", "metric = \"language\"\nlanguages = [\"zh\"]\nmin_language_prob = 0.5");
    let mut t = call(&[("a", 0, 1000, "您好"), ("c", 1000, 2000, "你好"), ("a", 2000, 3000, "请讲")]);
    assert!(s.scan(&t).is_empty());
    t.channels[0].language = Some("yue".into());
    let f = s.scan(&t);
    assert_eq!(f.len(), 1, "the whole channel is one stretch");
    assert!(f[0].detail.contains("`yue`"), "{}", f[0].detail);
    assert_eq!((f[0].start_ms, f[0].end_ms, f[0].value), (0, 3000, Some(3000.0)));
    assert_eq!(f[0].more_utterances.len(), 1);
    t.channels[0].language_prob = Some(0.3);
    assert!(s.scan(&t).is_empty(), "unsure identification is not judged");
}

#[test]
fn language_one_finding_per_foreign_stretch() {
    let s = scanner("metric", "language", "agent", "metric = \"language\"\nlanguages = [\"zh\"]");
    let t = call(&[
        ("a", 0, 1000, "您好，请问有什么可以帮您？"),
        ("a", 1000, 3000, "Sorry, let me check your order please."),
        ("c", 3000, 4000, "啊？"),
        ("a", 4000, 6000, "Please hold on a moment."),
        ("a", 6000, 7000, "好的，请稍等。"),
        ("a", 7000, 9000, "我哋嘅系统有啲问题"),
        ("c", 9000, 9500, "English ok fine thank you"),
    ]);
    let f = s.scan(&t);
    assert_eq!(f.len(), 2, "{f:#?}");
    assert_eq!((f[0].start_ms, f[0].end_ms), (1000, 6000));
    assert_eq!(f[0].more_utterances.iter().map(|u| u.index).collect::<Vec<_>>(), vec![3]);
    assert!(f[0].detail.contains("`en`"), "{}", f[0].detail);
    assert!(f[1].detail.contains("`yue`"), "{}", f[1].detail);
    assert_ne!(f[0].id, f[1].id);
    // A pack that accepts English does not flag the English stretch.
    let en = scanner("metric", "language", "agent", "metric = \"language\"\nlanguages = [\"zh\", \"en\"]");
    assert_eq!(en.scan(&t).len(), 1);
}

#[test]
fn seconds_are_written_as_the_float_formatting_writes_them() {
    let check = |ms: u64| assert_eq!(Secs(ms).to_string(), format!("{:.1}", ms as f64 / 1000.0), "{ms}");
    (0..300_000).for_each(check);
    [u32::MAX as u64, 86_400_000 * 365, 9_999_950, 1_234_567_850, 123_456_789_012].into_iter().for_each(check);
}

#[test]
fn finding_ids_are_stable_and_carry_the_pack_version() {
    let s = scanner("forbidden", "forbidden", "agent", "any = [\"不知道\"]");
    let t = call(&[("a", 100, 900, "不知道")]);
    let a = s.scan(&t);
    let b = s.scan(&t);
    assert_eq!(a, b);
    assert_eq!(a[0].id.len(), 16);
    assert_eq!(a[0].pack_version, "v1");
    assert_eq!(a[0].id, finding_id("c1", "r", "v1", 100, 1, 0));
    // The id is the first 16 hex digits of SHA-256 over the fields joined by U+001F.
    let key = "c1\u{1f}r\u{1f}v1\u{1f}100\u{1f}1\u{1f}0";
    assert_eq!(a[0].id, crate::fsutil::sha256_bytes(key.as_bytes())[..16]);
    assert_eq!(finding_id("c", "r", "v", 0, 1234567890, 42), crate::fsutil::sha256_bytes("c\u{1f}r\u{1f}v\u{1f}0\u{1f}1234567890\u{1f}42".as_bytes())[..16]);
}

#[test]
fn odd_transcripts_do_not_panic() {
    let s = scanner("metric", "overtalk", "agent", "metric = \"overtalk\"\nmin_overlap_ms = 0");
    // An agent segment ending before it starts, inside customer speech: no overlap counted.
    let t = call(&[("c", 0, 3000, "嗯"), ("a", 2000, 1000, "好")]);
    assert!(s.scan(&t).is_empty());
    let dead = scanner("metric", "silence", "any", "metric = \"dead_air\"\nmax_ms = 1");
    assert!(dead.scan(&call(&[])).is_empty());
    let req = scanner("required", "closing", "agent", "any = [\"再见\"]\nwindow = { last = 2, unit = \"utterances\" }");
    let f = req.scan(&call(&[("c", 0, 0, "")]));
    assert_eq!((f.len(), f[0].start_ms, f[0].end_ms), (1, 0, 0));
}

/// Every permutation of a few values, and random longer ones, end up in the order asked.
#[test]
fn findings_are_put_in_order_by_their_cycles() {
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    for n in 0..40usize {
        for _ in 0..20 {
            let mut from: Vec<usize> = (0..n).collect();
            for i in (1..n).rev() {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                from.swap(i, (x % (i as u64 + 1)) as usize);
            }
            let mut v: Vec<String> = (0..n).map(|i| format!("v{i}")).collect();
            put_in_order(&mut v, from.clone());
            let want: Vec<String> = from.iter().map(|i| format!("v{i}")).collect();
            assert_eq!(v, want, "{from:?}");
        }
    }
}

/// Ids of any length hash as the whole key does.
#[test]
fn finding_id_hashing_matches_sha256() {
    let long = "x".repeat(300);
    let key = format!("{long}\u{1f}r\u{1f}v\u{1f}5\u{1f}6\u{1f}7");
    assert_eq!(finding_id(&long, "r", "v", 5, 6, 7), crate::fsutil::sha256_bytes(key.as_bytes())[..16]);
    assert_eq!(finding_id("", "", "", 0, 0, 0), crate::fsutil::sha256_bytes("\u{1f}\u{1f}\u{1f}0\u{1f}0\u{1f}0".as_bytes())[..16]);
}
