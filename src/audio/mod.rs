//! Audio ingest: WAV (PCM, float, G.711) → 16 kHz mono f32 channels with roles.
