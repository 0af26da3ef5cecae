//! callqa: offline quality assurance for Mandarin call-centre recordings.
//!
//! The pipeline reads like the folder layout:
//! ingest ([`audio`]) → transcribe ([`asr`], model weights in [`model`]) → [`transcript`] files.
//! → [`rules`] (rule packs) and [`scan`] (findings). Scoring and reports come in later stages. Each stage takes and returns plain
//! serialisable structs so that it can run, be cached and be tested on its own.

pub mod asr;
pub mod audio;
pub mod batch;
pub mod call;
pub mod config;
pub mod eval;
pub mod fsutil;
pub mod model;
pub mod report;
pub mod rules;
pub mod scan;
pub mod transcribe;
pub mod transcript;
