//! PII redaction for transcript text shown in reports and evidence: mainland mobile numbers,
//! 18-digit resident ID numbers and bank-card numbers, whether Whisper wrote them in digits
//! (`13812345678`, `138 1234 5678`, `138-1234-5678`, `138，1234，5678`, `138.1234.5678`,
//! full-width `１３８…`, after a country code `+86`/`0086`, or two numbers run together) or in
//! Chinese numerals (`一三八，一二三四，五六七八`, with 幺 for 1 and 〇/零 for 0).
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

fn is_mobile(d: &[char]) -> bool {
    d.len() == 11 && d.iter().all(char::is_ascii_digit) && d[0] == '1' && ('3'..='9').contains(&d[1])
}

/// Classifies normalised digits (ASCII, maybe a final X), with the length of a country-code
/// prefix that stays visible (`86` or `0086` before a mobile number).
fn classify(d: &[char]) -> Option<(Pii, usize)> {
    let all_digits = d.iter().all(char::is_ascii_digit);
    if is_mobile(d) {
        return Some((Pii::Mobile, 0));
    }
    for prefix in [&['8', '6'][..], &['0', '0', '8', '6'][..]] {
        if d.starts_with(prefix) && is_mobile(&d[prefix.len()..]) {
            return Some((Pii::Mobile, prefix.len()));
        }
    }
    match d.len() {
        18 if d[..17].iter().all(char::is_ascii_digit) && (d[17].is_ascii_digit() || d[17] == 'X') => Some((Pii::Id, 0)),
        16..=19 if all_digits => Some((Pii::Card, 0)),
        _ => None,
    }
}

/// Characters that may separate the groups of one number as people say and ASR writes them:
/// spaces, dashes, commas (`138，1234，5678`), dots, 、.
fn is_separator(c: char) -> bool {
    matches!(c, ' ' | '-' | '－' | '\u{3000}' | '，' | ',' | '.' | '。' | '、' | '·' | '／' | '/')
}

/// One group of a run: digit characters with no separator inside, as (char indices, digits).
struct Group {
    start: usize,
    end: usize,
    digits: Vec<char>,
}

/// The masked form of `chars[start..end]`: its digits (separators dropped), the kind's visible
/// head and tail kept, the rest `*`.
fn mask(chars: &[char], start: usize, end: usize, kind: Pii, prefix: usize) -> (usize, usize, String) {
    let written: Vec<char> = (start..end).map(|k| chars[k]).filter(|c| digit(*c).is_some() || is_check_x(*c)).collect();
    let n = written.len();
    let (keep_head, keep_tail) = if kind == Pii::Mobile { (prefix + 3, 4) } else { (0, 4) };
    let masked = written.iter().enumerate().map(|(k, c)| if k < keep_head || k + keep_tail >= n { *c } else { '*' }).collect();
    (start, end, masked)
}

/// Masks personal numbers in `text`; borrows when there are none.
///
/// Idempotent: a masked text is left as it is. One pass can leave digits that a second pass
/// would read as a number (a mobile number's visible tail next to the digits that follow it),
/// so passes repeat until nothing changes; each one masks at least one digit, so this ends,
/// and a text without numbers takes one pass.
pub fn redact(text: &str) -> Cow<'_, str> {
    let Cow::Owned(mut out) = redact_once(text) else { return Cow::Borrowed(text) };
    while let Cow::Owned(next) = redact_once(&out) {
        out = next;
    }
    Cow::Owned(out)
}

fn redact_once(text: &str) -> Cow<'_, str> {
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
            // One or two separators (`138  1234`, `138, 1234`) join the next group.
            let gap = (j..chars.len().min(j + 2)).take_while(|&k| is_separator(chars[k])).count();
            let joined = gap > 0
                && j + gap < chars.len()
                && digit(chars[j + gap]).is_some()
                && groups.last().is_some_and(|g| g.digits.last() != Some(&'X'));
            if !joined {
                break;
            }
            j += gap;
        }
        // Longest personal number starting at each group, left to right.
        let mut g = 0;
        while g < groups.len() {
            let mut best: Option<(usize, (Pii, usize))> = None;
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
                Some((h, (kind, prefix))) => {
                    subs.push(mask(&chars, groups[g].start, groups[h].end, kind, prefix));
                    g = h + 1;
                }
                None => {
                    // Numbers said one after the other with no pause (`1381234567813912345678`),
                    // or run into another word's numeral (`13812345678一个`): mobile numbers
                    // inside a group that is no number itself.
                    let grp = &groups[g];
                    if grp.digits.len() > 11 {
                        let mut k = 0;
                        while k + 11 <= grp.digits.len() {
                            if is_mobile(&grp.digits[k..k + 11]) {
                                subs.push(mask(&chars, grp.start + k, grp.start + k + 11, Pii::Mobile, 0));
                                k += 11;
                            } else {
                                k += 1;
                            }
                        }
                    }
                    g += 1;
                }
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
    fn country_codes_separators_and_numbers_run_together() {
        assert_eq!(redact("+8613812345678"), "+86138****5678");
        assert_eq!(redact("008613812345678"), "0086138****5678");
        assert_eq!(redact("138，1234，5678"), "138****5678");
        assert_eq!(redact("138.1234.5678"), "138****5678");
        assert_eq!(redact("138  1234  5678"), "138****5678");
        assert_eq!(redact("一三八，一二三四，五六七八"), "一三八****五六七八");
        assert_eq!(redact("1381234567813912345678"), "138****5678139****5678");
    }

    /// A small deterministic generator of texts made of the pieces numbers are written with.
    fn texts() -> Vec<String> {
        let pieces = ["1", "3", "8", "5", "0", "9", "86", "+", " ", "  ", "-", "，", ".", "、", "X", "一", "三", "八", "幺", "号码", "*", "，谢谢", "138", "1234", "5678", "6222"];
        let mut state: u64 = 0x9e3779b97f4a7c15;
        (0..20_000)
            .map(|_| {
                let mut s = String::new();
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                let n = (state % 16) as usize + 1;
                for _ in 0..n {
                    state ^= state << 13;
                    state ^= state >> 7;
                    state ^= state << 17;
                    s.push_str(pieces[(state % pieces.len() as u64) as usize]);
                }
                s
            })
            .collect()
    }

    #[test]
    fn redaction_is_idempotent_and_leaves_no_mobile_number() {
        for t in texts() {
            let once = redact(&t).into_owned();
            assert_eq!(redact(&once), once, "redacting {t:?} twice");
            // No mobile number written as eleven ASCII digits in a row survives.
            let chars: Vec<char> = once.chars().collect();
            for w in chars.windows(11) {
                assert!(!is_mobile(w), "{t:?} → {once:?}");
            }
        }
    }

    #[test]
    fn other_numbers_stay() {
        for s in ["订单号 20261123", "等 3 天", "12345678901", "金额 1000 元", "一二三", "价格是二十五元", "1381234567"] {
            assert!(matches!(redact(s), Cow::Borrowed(_)), "{s}");
        }
        assert_eq!(redact(""), "");
    }
}
