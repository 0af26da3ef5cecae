//! callqa: offline quality assurance for Mandarin call-centre recordings.
//!
//! The pipeline reads like the folder layout:
//! ingest ([`audio`]) → transcribe ([`asr`], model weights in [`model`]) → [`transcript`] files.
//! → [`rules`] (rule packs) and [`scan`] (findings). [`score`] turns findings into call scores and period scorecards under a rubric; reports come in a later stage. Each stage takes and returns plain
//! serialisable structs so that it can run, be cached and be tested on its own.

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
pub mod transcribe;
pub mod transcript;
