//! Transcript files: the versioned per-call JSON written by `callqa transcribe`.
