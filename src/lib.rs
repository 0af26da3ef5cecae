//! callqa: offline quality assurance for Mandarin call-centre recordings.
//!
//! The pipeline reads like the folder layout, and data moves one way:
//! [`batch`] (ingest: which recordings, whose, when — [`call`]) → [`audio`] (decode) →
//! [`asr`] (transcribe, weights in [`model`]) → [`transcript`] files → [`rules`] and [`scan`]
//! (findings) → [`score`] (call scores, period scorecards, under a rubric) → [`report`]
//! (Parquet and CSV, scorecards, coaching examples). [`eval`] measures it against labels;
//! [`config`] holds the site settings; [`shared`] the words every stage uses. Each stage takes and returns plain serialisable structs,
//! so that it can run, be cached and be tested on its own.

pub mod asr;
pub mod audio;
pub mod batch;
pub mod call;
pub mod config;
pub mod eval;
pub mod fsutil;
pub mod model;
pub mod redact;
pub mod report;
pub mod rules;
pub mod scan;
pub mod score;
pub mod shared;
pub mod transcribe;
pub mod transcript;
