//! The five report tables, one row struct each. Column names and types are a public contract
//! (examples/README.md, "Report sets"): add columns at the end, never rename or retype one.
//!
//! Times are milliseconds on the call's timeline (from the start of the recording); instants
//! are timestamps carrying the site's time zone and days are dates, so every tool shows local
//! time and sorts and filters them as times (CSV writes them as local time and ISO days).

use super::table::table;

table! {
    /// One row per call that was scored (failed calls are in `errors` instead).
    pub struct CallRow as "calls" {
        /// The run's id (also in `report.json`): a hash of every input: calls and their metadata, audio, model, transcripts, findings, pack files, rubric, review, adjustment, bonus and staff files.
        pub run_id: String,
        /// The call's id (from the manifest or the file name).
        pub call_id: String,
        /// The recording as the run was given it.
        pub path: String,
        /// The agent who took the call.
        pub agent_id: String,
        /// The agent's name, when the manifest gives it.
        pub agent_name: Option<String>,
        /// The agent's team, when the manifest or pattern gives it.
        pub team: Option<String>,
        /// When the call connected, in the site's time zone.
        pub started_at: jiff::Zoned,
        /// `inbound` or `outbound`, when known.
        pub direction: Option<String>,
        /// `agent-left`, `agent-right` or `mixed` (mono).
        pub layout: String,
        /// Length of the recording.
        pub duration_ms: i64,
        /// Speech found on the agent's and the customer's channel (mono: all under agent).
        pub agent_speech_ms: i64,
        pub customer_speech_ms: i64,
        /// Utterances transcribed.
        pub segments: i64,
        /// Findings the scan produced; of those, the ones that deduct, those over an occurrence
        /// cap, and those rejected in review.
        pub findings: i64,
        pub findings_counted: i64,
        pub findings_capped: i64,
        pub findings_rejected: i64,
        /// The per-call score: the rubric's call base minus counted deductions, floored at 0.
        pub score_base: f64,
        pub deducted: f64,
        pub score: f64,
        /// A fatal (immediate-fail) finding stands on this call.
        pub fatal: bool,
        /// Version of the rule pack that produced the findings.
        pub pack_version: String,
        /// Version of the rubric that scored them.
        pub rubric_version: String,
        /// SHA-256 of the Whisper model file.
        pub model_sha256: String,
    }
}

table! {
    /// One row per transcribed utterance.
    pub struct SegmentRow as "segments" {
        /// The run's id (also in `report.json`): a hash of every input: calls and their metadata, audio, model, transcripts, findings, pack files, rubric, review, adjustment, bonus and staff files.
        pub run_id: String,
        /// The call's id (from the manifest or the file name).
        pub call_id: String,
        /// Position in the call's transcript, from 0.
        pub index: i64,
        /// `agent`, `customer` or `mixed`.
        pub role: String,
        /// Start and end on the call's timeline.
        pub start_ms: i64,
        pub end_ms: i64,
        /// Simplified-Chinese text (redacted when the report set was written with `--redact`).
        pub text: String,
        /// Whisper's mean token probability for the utterance, and its probability that the window held no speech.
        pub avg_token_prob: f64,
        pub no_speech_prob: f64,
    }
}

table! {
    /// One row per finding, with its evidence and what review and scoring made of it.
    pub struct FindingRow as "findings" {
        /// The run's id (also in `report.json`): a hash of every input: calls and their metadata, audio, model, transcripts, findings, pack files, rubric, review, adjustment, bonus and staff files.
        pub run_id: String,
        /// Stable across re-runs of the same transcript and pack version; reviews refer to it.
        pub finding_id: String,
        /// The call's id (from the manifest or the file name).
        pub call_id: String,
        /// The agent who took the call.
        pub agent_id: String,
        /// The rule, its Chinese name, and the rule pack version.
        pub rule_id: String,
        pub rule_name: String,
        /// Version of the rule pack that produced the findings.
        pub pack_version: String,
        /// The rule's category (greeting, closing, forbidden, …).
        pub category: String,
        /// `required`, `forbidden` or `metric`.
        pub kind: String,
        /// `minor`, `medium`, `severe` or `fatal`.
        pub severity: String,
        /// What the rubric charges for it, and what it deducts (0 unless `status` is `counted`).
        pub rubric_points: f64,
        pub deducted: f64,
        /// `counted`, `capped` (over an occurrence cap), `rejected` (in review) or `fatal`
        /// (deducts nothing, fails the period).
        pub status: String,
        /// Why it does not count, in words, when it does not.
        pub reason: Option<String>,
        /// The deciding review's verdict (`confirm` or `reject`) and reviewer, if reviewed.
        pub review_verdict: Option<String>,
        pub reviewer: Option<String>,
        /// Every review decision on it, deciding one first: who changed what, and why.
        pub audit: Option<String>,
        /// The role the rule looks at: `agent`, `customer` or `any`.
        pub role: String,
        /// Start and end on the call's timeline.
        pub start_ms: i64,
        pub end_ms: i64,
        /// The words as transcribed, and normalised as matched; empty for unmet required rules and measures.
        pub matched_text: String,
        pub normalized_text: String,
        /// `exact` or `fuzzy`; empty for unmet required rules and measures.
        pub match_mode: Option<String>,
        /// 1 for exact matches, the pinyin similarity for fuzzy ones.
        pub similarity: Option<f64>,
        /// A metric rule's measured value (ms, characters per minute, probability).
        pub value: Option<f64>,
        /// A plain sentence for the inspector, e.g. "greeting at 4.2 s, limit 3.0 s".
        pub detail: String,
        /// The utterance holding the hit and its neighbours, as `[role] text`.
        pub utterance_start_ms: Option<i64>,
        pub utterance_end_ms: Option<i64>,
        pub utterance: Option<String>,
        pub context_before: Option<String>,
        pub context_after: Option<String>,
        /// For a situational rule (`after`): the utterance that set it off, as `[role] text`.
        pub trigger: Option<String>,
    }
}

table! {
    /// One row per agent and period.
    pub struct ScorecardRow as "scorecards" {
        /// The run's id (also in `report.json`): a hash of every input: calls and their metadata, audio, model, transcripts, findings, pack files, rubric, review, adjustment, bonus and staff files.
        pub run_id: String,
        /// `day`, `week` or `month`.
        pub period_kind: String,
        /// `2026-11-02`, `2026-W45` or `2026-11`.
        pub period: String,
        /// First day of the period in the site's time zone (`2026-11-01`).
        pub period_start: jiff::civil::Date,
        /// The agent who took the call.
        pub agent_id: String,
        /// The agent's name, when the manifest gives it.
        pub agent_name: Option<String>,
        /// The agent's team, when the manifest or pattern gives it.
        pub team: Option<String>,
        /// Calls scored in the period.
        pub calls: i64,
        /// Findings that deduct, that are over a cap, and that were rejected in review.
        pub findings_counted: i64,
        pub findings_capped: i64,
        pub findings_rejected: i64,
        /// Counted findings by severity (`fatal_findings`: standing fatal findings; `fatal` is
        /// the calls table's flag).
        pub minor: i64,
        pub medium: i64,
        pub severe: i64,
        pub fatal_findings: i64,
        /// The rubric's period base (80 in the default rubric).
        pub base: f64,
        /// Points of the counted findings, times `scale`.
        pub deducted: f64,
        /// Extra deductions of the escalations that fired, and which ones.
        pub escalation: f64,
        pub escalation_notes: String,
        /// Automatic and manual bonus points, and the items granted.
        pub bonus: f64,
        pub bonus_items: String,
        /// The supervisor's adjustment, with its reason and author.
        pub adjustment: f64,
        pub adjustment_reason: Option<String>,
        pub adjusted_by: Option<String>,
        /// base − deducted − escalation + bonus + adjustment, before the full-marks cap.
        pub uncapped: f64,
        /// The final score, at most the rubric's cap (110).
        pub score: f64,
        /// `a`–`e`, or the failing band.
        pub grade: String,
        /// Failed the period (a fatal finding stands, or the score is below the pass mark),
        /// and why.
        pub failed: bool,
        pub fail_reason: String,
        /// New staff within the grace months: scored, no pay float.
        pub in_grace: bool,
        /// Pay change in currency units; empty without a `[pay]` rubric section or in grace.
        pub pay_float: Option<f64>,
        /// 1 = best; ties share a rank; failed periods rank last.
        pub rank_in_team: i64,
        pub rank_overall: i64,
        /// Version of the rubric that scored them.
        pub rubric_version: String,
        /// Whether this is the rubric's pay period (a month by default), where escalations,
        /// bonuses, adjustments, grades and pay apply. Days and weeks are views: their `score`
        /// is the mean call score, with no grade or pay float.
        pub pay_period: bool,
        /// How the pay period's calls were counted: "per 10 calls" (deductions and counts
        /// scaled to 10 calls), "sample of 10 calls", "all calls"; "view" otherwise.
        pub coverage: String,
        /// Calls whose findings were charged (the sample under "sample of N calls").
        pub calls_scored: i64,
        /// The sampled call ids, in time order, under "sample of N calls".
        pub sampled_calls: String,
        /// The factor applied to deductions and compared counts (N / calls when normalised and there are more than N calls, else 1).
        pub scale: f64,
        /// Mean of the charged calls' per-call scores.
        pub mean_call_score: f64,
        /// Counted findings by category, e.g. "forbidden 3, closing 2".
        pub categories: String,
        /// Points of the counted findings before `scale`.
        pub raw_deducted: f64,
        /// The bonus items by name with their points.
        pub bonus_names: String,
    }
}

table! {
    /// One row per recording or call that could not be processed, and per row of the
    /// supervisors' files that could not be applied.
    pub struct ErrorRow as "errors" {
        /// The run's id (also in `report.json`): a hash of every input: calls and their metadata, audio, model, transcripts, findings, pack files, rubric, review, adjustment, bonus and staff files.
        pub run_id: String,
        /// The recording, or `manifest.csv:LINE` for a bad manifest row.
        pub file: String,
        /// Empty when the file could not be given a call id (e.g. its name matched no pattern).
        pub call_id: Option<String>,
        /// `ingest`, `transcribe`, `scan` or `score`; `review`, `adjustment`, `bonus` or `staff`
        /// for a row of those files that applied to nothing, with `file` as `FILE:LINE`.
        pub stage: String,
        /// What went wrong, naming the file.
        pub reason: String,
    }
}
