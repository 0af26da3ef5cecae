//! Transcription: voice-activity detection, Whisper decoding, simplified-Chinese conversion.
