#!/bin/bash
# Runs deploy/slurm/callqa-array.sbatch and its dependent merge on a single-node Slurm
# (deploy/slurm/install-single-node.sh) and checks that the merged report set equals the one of
# one unsharded `callqa run` on the same recordings:
#   plain    one unsharded run (the reference)
#   array    the array job plus the merge exactly as the sbatch file's comment submits it
#   requeue  the same, with one task re-queued with `scontrol requeue` while it decodes
#            (Slurm kills it, as pre-emption does, and starts it again)
#   killed   the same, with that task's callqa killed with SIGKILL (the task fails), then
#            `scontrol requeue`; the merge submitted first is then never run by Slurm
#            (DependencyNeverSatisfied), so it is cancelled and submitted again on the re-run
#            task, as the sbatch file's comment says
#   resubmit the victim's shard removed from the array step's folder, that index submitted
#            again alone (sbatch --array=I with SHARDS=N), merged
# Each step prints PASS or FAIL; the exit code is 1 if any failed, 2 for bad usage.
#
#   deploy/slurm/check.sh [--callqa BIN] [--model FILE] [--input DIR] [--count K] [--shards N]
#                         [--work DIR] [--skip-killed]
#
# Defaults: target/release/callqa (else callqa on PATH), models/ggml-base-q8_0.bin, fixtures/audio,
# the K=7 smallest recordings of the input (the empty one among them, so that the runs end
# with exit code 1 and an errors row; --count 0: all), N=3 shards of one CPU each, and a new
# folder under /tmp (kept, with the jobs' logs; its path is printed).
#
# "Equal": every reports/*.csv and *.parquet byte for byte, report.json except its
# generated_at (the time the set was written), and reports/html/ except that time in each
# page's header and the relative path of the audio links, compared as the file they point to
# (the merged set lies one folder deeper than the plain one).
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
SBATCH_FILE=$ROOT/deploy/slurm/callqa-array.sbatch
CALLQA=${CALLQA:-}
MODEL=${MODEL:-$ROOT/models/ggml-base-q8_0.bin}
INPUT=$ROOT/fixtures/audio
COUNT=7
SHARDS=3
export -n SHARDS 2>/dev/null # the tasks read SHARDS: only step 4 passes it on
WORK=
KILLED=1
while [ $# -gt 0 ]; do
    case "$1" in
    --callqa) CALLQA=$2; shift 2 ;;
    --model) MODEL=$2; shift 2 ;;
    --input) INPUT=$2; shift 2 ;;
    --count) COUNT=$2; shift 2 ;;
    --shards) SHARDS=$2; shift 2 ;;
    --work) WORK=$2; shift 2 ;;
    --skip-killed) KILLED=0; shift ;;
    -h | --help) sed -n '2,/^set -u/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "unknown argument: $1 (--help)" >&2; exit 2 ;;
    esac
done
if [ -z "$CALLQA" ]; then
    CALLQA=$ROOT/target/release/callqa
    [ -x "$CALLQA" ] || CALLQA=$(command -v callqa || true)
fi
[ -n "$CALLQA" ] && [ -x "$CALLQA" ] || { echo "no callqa binary: --callqa BIN" >&2; exit 2; }
[ -f "$MODEL" ] || { echo "no model at $MODEL: --model FILE" >&2; exit 2; }
[ -d "$INPUT" ] || { echo "no input folder $INPUT" >&2; exit 2; }
CALLQA=$(cd "$(dirname "$CALLQA")" && pwd)/$(basename "$CALLQA")
MODEL=$(cd "$(dirname "$MODEL")" && pwd)/$(basename "$MODEL")
WORK=${WORK:-$(mktemp -d /tmp/callqa-slurm.XXXXXX)}
mkdir -p "$WORK" && WORK=$(cd "$WORK" && pwd)

FAILED=0
RESULTS=()
T0=$SECONDS
result() { # result PASS|FAIL STEP SECONDS DETAIL
    RESULTS+=("$(printf '%-4s %-8s %4ss  %s' "$1" "$2" "$3" "$4")")
    echo "== $1 $2 (${3}s): $4"
    [ "$1" = PASS ] || FAILED=1
}
finish() {
    echo
    echo "callqa-slurm check, $(date -Is), work folder $WORK, ${#RESULTS[@]} steps, $((SECONDS - T0)) s"
    printf '%s\n' "${RESULTS[@]}"
    [ "$FAILED" = 0 ] && echo "ALL PASS" || echo "SOME FAILED"
    exit "$FAILED"
}

# Field of one job (or array task) from scontrol, e.g. field 12_1 JobState.
field() { scontrol show job -o "$1" 2>/dev/null | head -1 | grep -o "\b$2=[^ ]*" | head -1 | cut -d= -f2; }

# Waits until job $1 has ended (or is left pending on a dependency that can never be met);
# prints its final state. Times out after $2 seconds (prints TIMEOUT-WAITING).
wait_job() {
    local end=$((SECONDS + $2)) st reason
    while [ $SECONDS -lt $end ]; do
        st=$(field "$1" JobState)
        reason=$(field "$1" Reason)
        case "$st" in
        COMPLETED | FAILED | CANCELLED | TIMEOUT | OUT_OF_MEMORY | NODE_FAIL | BOOT_FAIL | DEADLINE) echo "$st"; return ;;
        "") echo GONE; return ;;
        esac
        [ "$reason" = DependencyNeverSatisfied ] && { echo "PENDING-DependencyNeverSatisfied"; return; }
        sleep 2
    done
    echo TIMEOUT-WAITING
}

# compare REFERENCE_REPORTS OTHER_REPORTS: prints what differs, exit 0 when equal.
compare() {
    python3 - "$1" "$2" <<'EOF'
import json, os, re, sys
a, b = sys.argv[1], sys.argv[2]
def files(d):
    return sorted(os.path.relpath(os.path.join(r, f), d) for r, _, fs in os.walk(d) for f in fs)
fa, fb = files(a), files(b)
bad = []
if fa != fb:
    bad.append(f"file lists differ: only in reference {sorted(set(fa)-set(fb))}, only in merged {sorted(set(fb)-set(fa))}")
stamp = re.compile(rb"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d \(")
src = re.compile(rb'(src|href)="([^"]*)"')
def html(root, rel):
    page_dir = os.path.dirname(os.path.join(root, rel))
    text = stamp.sub(b"<generated> (", open(os.path.join(root, rel), "rb").read())
    def resolve(m):
        p = m.group(2).replace(b"&#x2f;", b"/")
        if p.startswith(b"..") and p.endswith(b".wav"):
            p = os.path.normpath(os.path.join(page_dir.encode(), p))
        return m.group(1) + b'="' + p + b'"'
    return src.sub(resolve, text)
for rel in sorted(set(fa) & set(fb)):
    pa, pb = os.path.join(a, rel), os.path.join(b, rel)
    if rel == "report.json":
        ja, jb = json.load(open(pa)), json.load(open(pb))
        for j in (ja, jb):
            j.pop("generated_at", None)
        if ja != jb:
            bad.append(f"report.json differs: " + ", ".join(f"{k}: {ja.get(k)!r} vs {jb.get(k)!r}" for k in sorted(set(ja) | set(jb)) if ja.get(k) != jb.get(k)))
    elif rel.endswith(".html"):
        if html(a, rel) != html(b, rel):
            bad.append(f"{rel} differs (beyond its time stamp and audio link paths)")
    elif open(pa, "rb").read() != open(pb, "rb").read():
        bad.append(f"{rel} differs")
run = json.load(open(os.path.join(a, "report.json"))).get("run_id")
print(f"{len(fa)} files compared, run id {run}" if not bad else "\n".join(bad[:20]))
sys.exit(1 if bad else 0)
EOF
}

echo "callqa: $CALLQA ($("$CALLQA" --version))"
echo "model:  $MODEL"
echo "work:   $WORK"

# 0. Slurm is up, and the input subset.
t=$SECONDS
node=$(sinfo -h -o '%n %T' 2>/dev/null | head -1)
case "$node" in
*idle* | *mixed*) result PASS slurm $((SECONDS - t)) "node $node" ;;
*) result FAIL slurm $((SECONDS - t)) "no idle node (${node:-sinfo failed}): run deploy/slurm/install-single-node.sh"; finish ;;
esac
IN=$WORK/in
rm -rf "$IN" && mkdir -p "$IN"
if [ "$COUNT" = 0 ]; then
    find "$INPUT" -maxdepth 1 -name '*.wav' -exec cp {} "$IN"/ \;
else
    find "$INPUT" -maxdepth 1 -name '*.wav' -printf '%s %p\n' | sort -n | head -n "$COUNT" | cut -d' ' -f2- |
        while read -r f; do cp "$f" "$IN"/; done
fi
# Which stereo channel is the agent: the fixtures' manifest column, as a per-folder file.
# The fixtures laid out agent-right (c0015, c0023) go to a folder of their own.
mkdir -p "$IN/agent-right"
echo agent-left >"$IN/callqa-layout.txt"
echo agent-right >"$IN/agent-right/callqa-layout.txt"
for f in "$IN"/*_c0015.wav "$IN"/*_c0023.wav; do [ -e "$f" ] && mv "$f" "$IN/agent-right/"; done
echo "input:  $(find "$IN" -name '*.wav' | wc -l) recordings in $IN"
# Jobs find `callqa` on PATH, as in the sbatch file's comment; --export=ALL passes PATH on.
mkdir -p "$WORK/bin" && ln -sf "$CALLQA" "$WORK/bin/callqa"
export PATH=$WORK/bin:$PATH IN MODEL
export CALLQA=callqa
cd "$WORK" || exit 2

# 1. The reference: one unsharded run, with the same decoder settings as a task.
t=$SECONDS
callqa run --input "$IN" --out "$WORK/plain" --model "$MODEL" --jobs 2 --threads 1 >"$WORK/plain.log" 2>&1
rc=$?
if [ "$rc" -le 1 ] && [ -f "$WORK/plain/reports/report.json" ]; then
    result PASS plain $((SECONDS - t)) "exit $rc; $(tail -1 "$WORK/plain.log")"
else
    result FAIL plain $((SECONDS - t)) "exit $rc, see $WORK/plain.log"; finish
fi

# submit OUT: submits the array (N tasks of one CPU) and the merge as documented; sets JID MID.
submit() {
    export OUT=$1
    JID=$(sbatch --parsable --export=ALL --array=0-$((SHARDS - 1)) --cpus-per-task=1 --mem=2G "$SBATCH_FILE") || return 1
    JID=${JID%%;*}
    MID=$(sbatch --parsable --dependency=afterok:$JID --export=ALL \
        --wrap 'callqa merge "$OUT" --out "$OUT/merged"; rc=$?; [ "$rc" -eq 1 ] && exit 0; exit "$rc"') || return 1
    MID=${MID%%;*}
    echo "submitted array $JID and merge $MID into $OUT"
}

# check_round STEP OUT T0 [extra detail]: waits for merge MID and compares.
check_round() {
    local st detail
    st=$(wait_job "$MID" 1200)
    if [ "$st" != COMPLETED ]; then
        result FAIL "$1" $((SECONDS - $3)) "merge job $MID: $st; logs in $WORK (callqa-${JID}_*.log, slurm-$MID.out)"
        scancel "$JID" "$MID" 2>/dev/null
        return
    fi
    if detail=$(compare "$WORK/plain/reports" "$2/merged/reports" 2>&1); then
        result PASS "$1" $((SECONDS - $3)) "merged set equals the plain run's: $detail${4:+; $4}"
    else
        result FAIL "$1" $((SECONDS - $3)) "merged set differs from the plain run's: $detail"
    fi
}

# 2. The array and its merge.
t=$SECONDS
submit "$WORK/array" || { result FAIL array $((SECONDS - t)) "sbatch failed"; finish; }
check_round array "$WORK/array" "$t"

# The shard with the most calls: the one to interrupt (it has calls left after its first).
VICTIM=0 most=-1
for i in $(seq 0 $((SHARDS - 1))); do
    n=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["calls"]))' "$WORK/array/shard-$i-of-$SHARDS/work/status.json" 2>/dev/null || echo 0)
    [ "$n" -gt "$most" ] && { most=$n; VICTIM=$i; }
done
echo "task to interrupt: $VICTIM ($most calls)"

# wait_first_transcript OUT: until the victim's shard has one transcript (and is still running).
wait_first_transcript() {
    local dir=$1/shard-$VICTIM-of-$SHARDS/work/transcripts end=$((SECONDS + 600))
    while [ $SECONDS -lt $end ]; do
        [ "$(find "$dir" -name '*.json' 2>/dev/null | wc -l)" -ge 1 ] && return 0
        sleep 0.2
    done
    return 1
}

# 3. One task re-queued while it runs.
t=$SECONDS
submit "$WORK/requeue" || { result FAIL requeue $((SECONDS - t)) "sbatch failed"; finish; }
if wait_first_transcript "$WORK/requeue" && [ "$(field "${JID}_$VICTIM" JobState)" = RUNNING ]; then
    scontrol requeue "${JID}_$VICTIM"
    sleep 3
    note="task $VICTIM re-queued after its first transcript (state then $(field "${JID}_$VICTIM" JobState))"
    echo "$note"
    st=$(wait_job "${JID}_$VICTIM" 900)
    note="$note; it ended $st after $(field "${JID}_$VICTIM" Restarts) restart(s), its log: $(grep -o '([0-9]* already transcribed)' "$WORK/callqa-${JID}_$VICTIM.log" | head -1)"
    check_round requeue "$WORK/requeue" "$t" "$note"
else
    result FAIL requeue $((SECONDS - t)) "task $VICTIM never had a transcript while running"
    scancel "$JID" "$MID" 2>/dev/null
fi

# 4. One index submitted again as an array of its own, as after a task that failed for good:
# the other shards are copied from step 2's folder. SHARDS tells the task N (its new array has
# one task).
t=$SECONDS
R=$WORK/resubmit
rm -rf "$R" && mkdir -p "$R"
cp -r "$WORK"/array/shard-*-of-"$SHARDS" "$R"/ && rm -rf "$R/shard-$VICTIM-of-$SHARDS"
export OUT=$R
JID=$(SHARDS=$SHARDS sbatch --parsable --export=ALL --array="$VICTIM" --cpus-per-task=1 --mem=2G "$SBATCH_FILE")
JID=${JID%%;*}
MID=$(sbatch --parsable --dependency=afterok:$JID --export=ALL \
    --wrap 'callqa merge "$OUT" --out "$OUT/merged"; rc=$?; [ "$rc" -eq 1 ] && exit 0; exit "$rc"')
MID=${MID%%;*}
echo "submitted index $VICTIM alone as array $JID (SHARDS=$SHARDS), merge $MID, into $R"
check_round resubmit "$R" "$t" "index $VICTIM resubmitted alone with SHARDS=$SHARDS"

# 5. One task's callqa killed with SIGKILL, the task re-queued, the merge submitted again.
if [ "$KILLED" = 1 ]; then
    t=$SECONDS
    submit "$WORK/killed" || { result FAIL killed $((SECONDS - t)) "sbatch failed"; finish; }
    lock=$WORK/killed/shard-$VICTIM-of-$SHARDS/.callqa.lock
    if wait_first_transcript "$WORK/killed" && pid=$(awk '{print $1}' "$lock") && [ -n "$pid" ]; then
        kill -KILL "$pid"
        st=$(wait_job "${JID}_$VICTIM" 120)
        echo "killed callqa (pid $pid) of task $VICTIM: the task ended $st, exit $(field "${JID}_$VICTIM" ExitCode)"
        scontrol requeue "${JID}_$VICTIM"
        first=$(wait_job "$MID" 600)
        echo "the merge submitted with the array: $first"
        if [ "$first" = PENDING-DependencyNeverSatisfied ]; then
            scancel "$MID"
            MID=$(sbatch --parsable --dependency=afterok:${JID}_$VICTIM --export=ALL \
                --wrap 'callqa merge "$OUT" --out "$OUT/merged"; rc=$?; [ "$rc" -eq 1 ] && exit 0; exit "$rc"')
            MID=${MID%%;*}
            echo "merge submitted again as $MID, after ${JID}_$VICTIM"
        fi
        check_round killed "$WORK/killed" "$t" "task $VICTIM's callqa SIGKILLed ($st), re-queued; first merge: $first"
    else
        result FAIL killed $((SECONDS - t)) "task $VICTIM never had a transcript while running"
        scancel "$JID" "$MID" 2>/dev/null
    fi
fi
finish
