//! Measuring how often callqa is right: character error rate of transcripts against scripts.

pub mod cer;
