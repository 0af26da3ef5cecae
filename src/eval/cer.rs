//! Character error rate (CER), the usual accuracy measure for Chinese speech recognition,
//! where there are no spaces to count words by.
//!
//! Both sides are normalised the same way first: simplified characters, half-width forms,
//! lower case, and punctuation and white space removed, since neither the scripts nor
//! Whisper's punctuation are what is being measured.

use crate::shared::zh::to_simplified;
use crate::rules::normalize::fold;

/// Text reduced to the characters that count for CER.
pub fn normalize(text: &str) -> Vec<char> {
    to_simplified(text)
        .chars()
        .map(fold)
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// Levenshtein distance between two sequences, of characters or of words (substitutions,
/// insertions and deletions each cost 1), in O(len(a)·len(b)) time and O(len(b)) memory.
pub fn edit_distance<T: PartialEq>(a: &[T], b: &[T]) -> usize {
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.iter().enumerate() {
        cur[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != cb);
            cur[j + 1] = sub.min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

/// Errors and reference length for one hypothesis against its reference, so that rates over
/// many calls can be pooled (total errors / total reference characters).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CerCount {
    pub errors: usize,
    pub reference_chars: usize,
}

impl CerCount {
    /// Counts the edits that turn `hypothesis` into `reference`.
    pub fn of(reference: &str, hypothesis: &str) -> CerCount {
        let r = normalize(reference);
        let h = normalize(hypothesis);
        CerCount { errors: edit_distance(&r, &h), reference_chars: r.len() }
    }

    /// The rate: errors per reference character (may exceed 1 with many insertions).
    pub fn rate(&self) -> f64 {
        if self.reference_chars == 0 {
            if self.errors == 0 { 0.0 } else { 1.0 }
        } else {
            self.errors as f64 / self.reference_chars as f64
        }
    }
}

impl std::ops::Add for CerCount {
    type Output = CerCount;
    fn add(self, o: CerCount) -> CerCount {
        CerCount { errors: self.errors + o.errors, reference_chars: self.reference_chars + o.reference_chars }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalisation_ignores_script_punctuation_and_width() {
        assert_eq!(normalize("您好，請問 有什麼可以幫您？"), normalize("您好请问有什么可以帮您"));
        assert_eq!(normalize("ＡＢＣ１２３"), vec!['a', 'b', 'c', '1', '2', '3']);
    }

    #[test]
    fn distance_counts_each_kind_of_edit() {
        let c = |s: &str| s.chars().collect::<Vec<_>>();
        assert_eq!(edit_distance(&c("再见"), &c("再见")), 0);
        assert_eq!(edit_distance(&c("再见"), &c("在见")), 1); // substitution
        assert_eq!(edit_distance(&c("感谢来电"), &c("感谢您的来电")), 2); // insertions
        assert_eq!(edit_distance(&c("您好"), &c("")), 2); // deletions
        assert_eq!(edit_distance(&c(""), &c("")), 0);
    }

    #[test]
    fn rates_pool_over_calls() {
        let a = CerCount::of("感谢您的来电", "感谢你的来电");
        assert_eq!(a, CerCount { errors: 1, reference_chars: 6 });
        let b = CerCount::of("再见", "");
        let total = a + b;
        assert!((total.rate() - 3.0 / 8.0).abs() < 1e-12);
        assert_eq!(CerCount::of("", "").rate(), 0.0);
        assert_eq!(CerCount::of("", "多余").rate(), 1.0);
    }
}
