#!/usr/bin/env bash
# The two engines' kernels on one window: whisper.cpp's encoder (the default ggml model) and
# CTranslate2's int8 encoder (the model faster-whisper uses in asr-compare.sh) on the same 30 s
# of speech, one thread each, full 1,500-frame context, taking turns. No VAD, packing or
# decoding: this is the per-window cost that callqa's packing and parallel windows must beat.
# Usage: benches/engine-step.sh [WAV (16 kHz mono; default fixtures/real/zh_long.wav)] [--repeat K]
set -euo pipefail
cd "$(dirname "$0")/.."
wav=fixtures/real/zh_long.wav
rounds=3
while [ $# -gt 0 ]; do
  case "$1" in
    --repeat) rounds="$2"; shift 2 ;;
    *) wav="$1"; shift ;;
  esac
done
[ -f "$wav" ] || { echo "engine-step: no $wav (run fixtures/real/fetch.sh, or name a 16 kHz mono WAV)" >&2; exit 2; }
venv=${CALLQA_BENCH_VENV:-.venv-bench}
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q -r benches/requirements.txt
fi
models/fetch-base.sh >/dev/null
cargo build --release --quiet --example encode_step
model=${CALLQA_MODEL:-models/ggml-base-q8_0.bin}
for i in $(seq "$rounds"); do
  target/release/examples/encode_step "$model" "$wav" 5 | sed -n 1p
  "$venv/bin/python" - "$wav" <<'PY'
import sys, time, wave
import numpy as np, ctranslate2
from faster_whisper.feature_extractor import FeatureExtractor
with wave.open(sys.argv[1]) as w:
    pcm = np.frombuffer(w.readframes(30 * 16000), dtype=np.int16).astype(np.float32) / 32768.0
pcm = np.pad(pcm, (0, 30 * 16000 - len(pcm)))
mel = FeatureExtractor(feature_size=80)(pcm)[:, :3000][None].astype(np.float32)
m = ctranslate2.models.Whisper("models/cache/ct2-base", device="cpu", compute_type="int8", intra_threads=1)
x = ctranslate2.StorageView.from_array(np.ascontiguousarray(mel))
m.encode(x)
t = time.perf_counter()
for _ in range(5):
    m.encode(x)
print("CTranslate2 int8 encoder, 30 s window, 1 thread: %.3f s" % ((time.perf_counter() - t) / 5))
PY
done | tee /dev/stderr | awk '/whisper.cpp encoder/ { w += $(NF - 1); nw++ } /CTranslate2/ { c += $(NF - 1); nc++ }
  END { if (nw && nc) printf "\nencoder time per window, whisper.cpp / CTranslate2: %.2fx (means of %d runs)\n", (w / nw) / (c / nc), nw }'
