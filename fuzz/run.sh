#!/usr/bin/env bash
# Short fuzzing run: seeds the corpora, builds every target once, runs each for SECONDS
# (default 60) and exits non-zero when any target found a crash, panic, timeout or OOM.
#   fuzz/run.sh [SECONDS] [TARGET...]        e.g. fuzz/run.sh 300 wav redact
# Needs the nightly toolchain and cargo-fuzz 0.13.1 (see fuzz/README.md). Crashing inputs
# land in fuzz/artifacts/<target>/, the libFuzzer log of each run in fuzz/artifacts/<target>.log.
set -uo pipefail
cd "$(dirname "$0")/.."
secs=${1:-60}
shift || true
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=(wav rules manifest reviews redact)
# No sanitizer: the library is safe Rust (ASan would only slow each run and the build, which
# compiles polars); 16 codegen units keep the instrumented build of the dependencies short.
flags=(--sanitizer none --codegen-units 16)

fuzz/seed.sh || exit 2
cargo +nightly fuzz build "${flags[@]}" || exit 2
mkdir -p fuzz/artifacts
failed=()
for t in "${targets[@]}"; do
    log=fuzz/artifacts/$t.log
    echo "== $t: ${secs}s"
    # -timeout: one input taking over 10 s is a hang; -rss_limit_mb: over 2 GB is an OOM.
    cargo +nightly fuzz run "${flags[@]}" "$t" -- -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 > "$log" 2>&1
    rc=$?
    grep -E '^stat::number_of_executed_units|^stat::peak_rss_mb|^#[0-9]+ *DONE' "$log" | sed 's/^/   /'
    if [ $rc -ne 0 ]; then
        failed+=("$t")
        echo "   FAILED (exit $rc): see $log and fuzz/artifacts/$t/"
        grep -E '^(==[0-9]+== ERROR|thread .* panicked|SUMMARY|artifact_prefix|Test unit written)' "$log" | head -n 8 | sed 's/^/   /'
    fi
done
if [ ${#failed[@]} -ne 0 ]; then
    echo "crashes in: ${failed[*]}"
    exit 1
fi
echo "no crash in ${targets[*]} (${secs}s each)"
