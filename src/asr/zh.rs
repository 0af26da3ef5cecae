//! Chinese text clean-up after recognition.
//!
//! Whisper mixes traditional and simplified characters in Mandarin output, so every segment
//! is converted to simplified with OpenCC's `t2s` tables (the pure-Rust `ferrous-opencc`,
//! dictionaries embedded, nothing read from disk). And on dead air Whisper emits phrases
//! learnt from subtitle credits; those are recognised here so they can be dropped.

use std::sync::OnceLock;

use ferrous_opencc::OpenCC;
use ferrous_opencc::config::BuiltinConfig;

fn converter() -> &'static OpenCC {
    static T2S: OnceLock<OpenCC> = OnceLock::new();
    T2S.get_or_init(|| OpenCC::from_config(BuiltinConfig::T2s).expect("embedded t2s config loads"))
}

/// Converts traditional characters to simplified; simplified text passes unchanged.
pub fn to_simplified(text: &str) -> String {
    converter().convert(text)
}

/// Fragments of the credits Whisper invents on silence or noise. A segment is taken as a
/// hallucination when, after removing spaces and punctuation, it contains one of them.
const HALLUCINATIONS: &[&str] = &[
    "字幕由amara.org社群提供",
    "字幕由amara.org社区提供",
    "由amara.org社群提供的字幕",
    "请不吝点赞订阅转发打赏支持明镜与点点栏目",
    "请不吝点赞订阅转发打赏",
    "中文字幕志愿者",
    "字幕志愿者",
    "字幕by",
    "优优独播剧场",
    "yoyotelevisionseriesexclusive",
    "谢谢观看",
    "感谢观看",
    "点赞订阅",
    "订阅我的频道",
];

/// Whether `text` is one of Whisper's known dead-air inventions.
pub fn is_known_hallucination(text: &str) -> bool {
    let norm: String = to_simplified(text)
        .chars()
        .filter(|c| c.is_alphanumeric() || *c == '.')
        .flat_map(char::to_lowercase)
        .collect();
    !norm.is_empty() && HALLUCINATIONS.iter().any(|h| norm.contains(h))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn traditional_becomes_simplified() {
        assert_eq!(to_simplified("您好，這裡是客服中心，請問有什麼可以幫您？"), "您好，这里是客服中心，请问有什么可以帮您？");
        assert_eq!(to_simplified("感謝您的來電，再見"), "感谢您的来电，再见");
        assert_eq!(to_simplified("這事不歸我管"), "这事不归我管");
    }

    #[test]
    fn simplified_and_mixed_text_pass_through() {
        assert_eq!(to_simplified("请稍候，让您久等了"), "请稍候，让您久等了");
        assert_eq!(to_simplified("您的手機號是13800138000嗎"), "您的手机号是13800138000吗");
    }

    #[test]
    fn dead_air_credits_are_recognised() {
        assert!(is_known_hallucination("字幕由Amara.org社群提供"));
        assert!(is_known_hallucination("請不吝點贊 訂閱 轉發 打賞支持明鏡與點點欄目"));
        assert!(is_known_hallucination("(字幕by索兰娅)"));
        assert!(!is_known_hallucination("感谢您的来电"));
        assert!(!is_known_hallucination("您好，请问有什么可以帮您"));
        assert!(!is_known_hallucination("……"));
    }
}
