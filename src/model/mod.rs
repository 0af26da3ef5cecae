//! Model weights: import CTranslate2 Whisper models into whisper.cpp's ggml format, quantize.
