//! PII redaction for transcript text shown in reports and evidence: mainland mobile numbers,
//! 18-digit resident ID numbers and bank-card numbers, whether Whisper wrote them in digits
//! (`13812345678`, `138 1234 5678`, `138-1234-5678`, full-width `１３８…`) or in Chinese
//! numerals (`一三八一二三四五六七八`, with 幺 for 1 and 〇/零 for 0).
//!
//! What stays visible: a mobile number keeps its first 3 and last 4 digits (`138****5678`, the
//! form Chinese apps show); an ID or card number keeps only its last 4 (`**************1234`),
//! enough to tell a customer "the card ending 1234" and useless to anyone else. Separators
//! inside a number are dropped from the masked form; visible digits keep the script they were
//! written in.
//!
//! Hand-written rather than with `regex`: the numbers must be found inside longer digit runs
//! split by spaces ("13812345678 3个") and classified by length, which needs the run's groups
//! anyway, and `regex` has no look-around to stop at digit boundaries.

use std::borrow::Cow;

/// The digit a character stands for, in any of the scripts ASR writes numbers in.
fn digit(c: char) -> Option<char> {
    Some(match c {
        '0'..='9' => c,
        '０'..='９' => char::from(b'0' + (c as u32 - '０' as u32) as u8),
        '零' | '〇' => '0',
        '一' | '幺' => '1',
        '二' => '2',
        '三' => '3',
        '四' => '4',
        '五' => '5',
        '六' => '6',
        '七' => '7',
        '八' => '8',
        '九' => '9',
        _ => return None,
    })
}

/// Digit-like for the last character of an ID number (its check digit may be X).
fn is_check_x(c: char) -> bool {
    matches!(c, 'X' | 'x' | 'Ｘ' | 'ｘ')
}

/// What a digit string is, if it is personal data.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Pii {
    Mobile,
    Id,
    Card,
}

/// Classifies normalised digits (ASCII, maybe a final X).
fn classify(d: &[char]) -> Option<Pii> {
    let all_digits = d.iter().all(char::is_ascii_digit);
    match d.len() {
        11 if all_digits && d[0] == '1' && ('3'..='9').contains(&d[1]) => Some(Pii::Mobile),
        18 if d[..17].iter().all(char::is_ascii_digit) && (d[17].is_ascii_digit() || d[17] == 'X') => Some(Pii::Id),
        16..=19 if all_digits => Some(Pii::Card),
        _ => None,
    }
}

/// One group of a run: digit characters with no separator inside, as (char indices, digits).
struct Group {
    start: usize,
    end: usize,
    digits: Vec<char>,
}

/// Masks personal numbers in `text`; borrows when there are none.
pub fn redact(text: &str) -> Cow<'_, str> {
    let chars: Vec<char> = text.chars().collect();
    // Replacements as (char start, char end, masked text), in order.
    let mut subs: Vec<(usize, usize, String)> = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        if digit(chars[i]).is_none() {
            i += 1;
            continue;
        }
        // A run: groups of digits joined by single spaces or dashes.
        let mut groups: Vec<Group> = Vec::new();
        let mut j = i;
        loop {
            let start = j;
            let mut digits = Vec::new();
            while j < chars.len() {
                if let Some(d) = digit(chars[j]) {
                    digits.push(d);
                    j += 1;
                } else if is_check_x(chars[j]) && !digits.is_empty() {
                    // Only as a group's last character.
                    digits.push('X');
                    j += 1;
                    break;
                } else {
                    break;
                }
            }
            groups.push(Group { start, end: j, digits });
            let joined = j + 1 < chars.len()
                && matches!(chars[j], ' ' | '-' | '－' | '\u{3000}')
                && digit(chars[j + 1]).is_some()
                && groups.last().is_some_and(|g| g.digits.last() != Some(&'X'));
            if !joined {
                break;
            }
            j += 1;
        }
        // Longest personal number starting at each group, left to right.
        let mut g = 0;
        while g < groups.len() {
            let mut best: Option<(usize, Pii)> = None;
            let mut digits: Vec<char> = Vec::new();
            for (h, grp) in groups.iter().enumerate().skip(g) {
                digits.extend(&grp.digits);
                if digits.len() > 19 {
                    break;
                }
                // An X ends a number; more groups after it cannot belong to it.
                if let Some(kind) = classify(&digits) {
                    best = Some((h, kind));
                }
                if digits.contains(&'X') {
                    break;
                }
            }
            match best {
                Some((h, kind)) => {
                    let (start, end) = (groups[g].start, groups[h].end);
                    let written: Vec<char> = (start..end).map(|k| chars[k]).filter(|c| digit(*c).is_some() || is_check_x(*c)).collect();
                    let n = written.len();
                    let (keep_head, keep_tail) = if kind == Pii::Mobile { (3, 4) } else { (0, 4) };
                    let masked: String = written
                        .iter()
                        .enumerate()
                        .map(|(k, c)| if k < keep_head || k + keep_tail >= n { *c } else { '*' })
                        .collect();
                    subs.push((start, end, masked));
                    g = h + 1;
                }
                None => g += 1,
            }
        }
        i = j.max(i + 1);
    }
    if subs.is_empty() {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for (start, end, masked) in subs {
        out.extend(&chars[at..start]);
        out.push_str(&masked);
        at = end;
    }
    out.extend(&chars[at..]);
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mobile_numbers_keep_head_and_tail() {
        assert_eq!(redact("我的手机是13812345678，谢谢"), "我的手机是138****5678，谢谢");
        assert_eq!(redact("138 1234 5678"), "138****5678");
        assert_eq!(redact("电话 186-0000-1111 请回电"), "电话 186****1111 请回电");
        assert_eq!(redact("１３８１２３４５６７８"), "１３８****５６７８");
    }

    #[test]
    fn chinese_numerals_as_asr_writes_them() {
        assert_eq!(redact("号码是一三八幺二三四五六七八"), "号码是一三八****五六七八");
        assert_eq!(redact("幺三九 零零零零 一一一一"), "幺三九****一一一一");
    }

    #[test]
    fn id_and_card_numbers_keep_last_four() {
        assert_eq!(redact("身份证11010519491231002X"), "身份证**************002X");
        assert_eq!(redact("身份证 110105194912310021。"), "身份证 **************0021。");
        assert_eq!(redact("卡号6222 0212 3456 7890 123"), "卡号***************0123");
        assert_eq!(redact("卡号6222021234567890"), "卡号************7890");
    }

    #[test]
    fn a_number_inside_a_longer_run_is_still_found() {
        assert_eq!(redact("13812345678 3个"), "138****5678 3个");
        assert_eq!(redact("2026 13812345678"), "2026 138****5678");
    }

    #[test]
    fn other_numbers_stay() {
        for s in ["订单号 20261123", "等 3 天", "12345678901", "金额 1000 元", "一二三", "价格是二十五元", "1381234567"] {
            assert!(matches!(redact(s), Cow::Borrowed(_)), "{s}");
        }
        assert_eq!(redact(""), "");
    }
}
