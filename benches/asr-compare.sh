#!/usr/bin/env bash
# Transcription benchmark: callqa against faster-whisper on the same audio, cores and model.
# Usage: benches/asr-compare.sh [--threads N] [--repeat K] [--model models/ggml-base-q8_0.bin ...]
#        benches/asr-compare.sh --long          # the stereo calls joined into calls of >= 3 minutes
#        benches/asr-compare.sh --real          # real human speech (fixtures/real/fetch.sh first)
#        [--fw-parallel] [--per-call FILE] [--beam N] [--prompt P] [--callqa-only] [--ratio-only] (see --help)
# Needs models/fetch-base.sh to have run (it leaves the CTranslate2 model in models/cache/).
set -euo pipefail
cd "$(dirname "$0")/.."
venv=${CALLQA_BENCH_VENV:-.venv-bench}
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q -r benches/requirements.txt
fi
command -v soxi >/dev/null || { echo "benches: needs sox (apt-get install sox libsox-fmt-all)" >&2; exit 2; }
models/fetch-base.sh
cargo build --release --quiet
exec "$venv/bin/python" benches/asr_vs_faster_whisper.py "$@"
