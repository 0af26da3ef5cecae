//! Whisper's dead-air inventions: on silence or noise it emits phrases learnt from subtitle
//! credits; those are recognised here so they can be dropped. (Conversion to simplified
//! characters is shared with the rule matcher: [`crate::shared::zh`].)

pub use crate::shared::zh::to_simplified;

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
    fn dead_air_credits_are_recognised() {
        assert!(is_known_hallucination("字幕由Amara.org社群提供"));
        assert!(is_known_hallucination("請不吝點贊 訂閱 轉發 打賞支持明鏡與點點欄目"));
        assert!(is_known_hallucination("(字幕by索兰娅)"));
        assert!(!is_known_hallucination("感谢您的来电"));
        assert!(!is_known_hallucination("您好，请问有什么可以帮您"));
        assert!(!is_known_hallucination("……"));
    }
}
