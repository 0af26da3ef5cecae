#!/usr/bin/env bash
# Whole-batch throughput: `callqa run` over the fixture corpus from nothing (fresh run
# directory, so every call is transcribed), then the figures from its run.json: audio hours
# per wall hour, and the share of wall time spent outside transcription (ingest, rule
# loading, scanning, scoring, reports; target < 3 %).
#
#   benches/batch.sh [--model models/ggml-base-q8_0.bin] [other callqa run flags]
#
# Needs models/fetch-base.sh to have run. Run it on an idle machine: the figure is wall time.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
set +e
target/release/callqa run --manifest fixtures/audio/manifest.csv --out "$out" "$@" 2> "$out.log"
rc=$?
set -e
if [ "$rc" -ge 2 ]; then cat "$out.log"; exit "$rc"; fi
tail -4 "$out.log"
python3 - "$out/run.json" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
h = s["audio_ms"] / 3.6e6
print(f"batch: {s['succeeded']} calls, {h:.3f} audio h in {s['wall_ms']/1000:.1f} s wall "
      f"= {s['audio_ms']/s['wall_ms']:.1f} audio-h per wall-h ({s['jobs']} jobs x {s['threads']} threads)")
print(f"outside transcription: {s['outside_transcription_ms']} ms = "
      f"{100*s['outside_transcription_ms']/s['wall_ms']:.2f} % of wall time (target < 3 %)")
PY
rm -f "$out.log"
