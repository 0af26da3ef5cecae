//! Simplified Chinese: Whisper mixes traditional and simplified characters in Mandarin output,
//! and rule phrases may be written in either, so the transcriber and the rule matcher both
//! convert with OpenCC's `t2s` tables (the pure-Rust `ferrous-opencc`, dictionaries embedded,
//! nothing read from disk). One converter, shared, so that the two always agree.

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
}
