//! Scoring: findings → per-call scores → per-agent, per-period scorecards, under a
//! points-deduction rubric that is data (`rules/rubric.toml`, manual 001 篇四, by default).
//!
//! - [`rubric`]: the rubric file, loaded and validated like a rule pack (file:line problems).
//! - [`call`]: [`score_call`] turns one call's findings into [`ScoreLine`]s, applying review
//!   verdicts and occurrence caps.
//! - [`card`]: [`scorecards`] sums a period's calls, adds escalations, bonuses and the
//!   supervisor's adjustment, caps at full marks, grades, fails, floats pay and ranks.
//! - [`period`]: days, ISO weeks and months cut in the site's time zone, and their labels.
//! - [`reviews`] and [`manual`]: the CSV files people edit (reviews, adjustments, bonuses, staff).
//!
//! Every output is a plain serde struct with flat scalar fields, ready to be a report row.

pub mod call;
pub mod card;
pub mod manual;
pub mod period;
pub mod reviews;
pub mod rubric;
mod table;

pub use call::{CallScore, LineStatus, ScoreLine, score_call};
pub use card::{Scorecard, scorecards};
pub use manual::{Adjustment, Adjustments, Bonuses, Grant, Staff};
pub use period::{Period, PeriodKind};
pub use reviews::{Review, Reviews, Verdict};
pub use rubric::{Coverage, PerUtterance, Rubric, rubrics_beside};

#[cfg(test)]
mod tests;
