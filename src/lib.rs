//! callqa: offline quality assurance for Mandarin call-centre recordings.
//!
//! The pipeline reads like the folder layout, and data moves one way (`tests/architecture.rs`
//! holds every module to it): the core — [`shared`] words and helpers, [`call`] metadata, the
//! [`transcript`] model — then [`ingest`] (which recordings, whose, when) → [`audio`] (decode)
//! → [`asr`] (Whisper, weights in [`model`]) through [`transcribe`] → [`rules`] and [`scan`]
//! (findings) → [`score`] (call scores, period scorecards, under a rubric) → [`report`]
//! (Parquet and CSV, the HTML report, coaching examples). [`eval`] measures it against labels;
//! [`config`] holds the site settings; [`batch`] drives the stages over a run folder, and is
//! the only module that knows how a run stores its files. Each stage takes and returns plain
//! serialisable values, so that it can run, be cached and be tested on its own.

pub mod asr;
pub mod audio;
pub mod batch;
pub mod call;
pub mod config;
pub mod eval;
pub mod finding;
pub mod fsutil;
pub mod ingest;
pub mod model;
pub mod redact;
pub mod report;
pub mod rules;
pub mod scan;
pub mod score;
pub mod shared;
pub mod transcribe;
pub mod transcript;
