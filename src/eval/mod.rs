//! Measuring how often callqa is right: character error rate of transcripts against scripts
//! ([`cer`]), and findings against hand-written labels ([`labels`], [`matching`]).

pub mod cer;
pub mod labels;
pub mod matching;

pub use labels::{Label, LabelErrors, LabelProblem, load_labels, parse_labels};
pub use matching::{DEFAULT_TOLERANCE_MS, EvalReport, MatchedBy, Pair, Score, evaluate};
