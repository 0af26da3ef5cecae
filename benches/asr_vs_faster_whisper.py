#!/usr/bin/env python3
"""Transcription speed and accuracy: callqa against faster-whisper, in one run, same audio.

Both engines get the same stereo call recordings and the same Whisper *base* weights
(callqa the ggml file converted from the CTranslate2 model; faster-whisper the CTranslate2
model itself, int8, beam 1) on the same number of CPU threads. Speed is counted as call
seconds per wall second (a stereo call of 60 s counts 60 s, whichever engine decodes both
channels); accuracy as pooled character error rate against the fixture scripts, both
engines' text normalised the same way (simplified, no punctuation or spaces).

Run it through benches/asr-compare.sh, which builds callqa and sets up the Python side.
"""

import argparse
import glob
import json
import os
import subprocess
import sys
import tempfile
import time
import unicodedata

import opencc
from faster_whisper import WhisperModel
from faster_whisper.audio import decode_audio

T2S = opencc.OpenCC("t2s")


def normalize(text):
    out = []
    for ch in T2S.convert(text):
        cp = ord(ch)
        if 0xFF01 <= cp <= 0xFF5E:
            ch = chr(cp - 0xFEE0)
        if unicodedata.category(ch)[0] in "LN":
            out.append(ch.lower())
    return out


def edit_distance(a, b):
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a):
        cur = [i + 1]
        for j, cb in enumerate(b):
            cur.append(min(prev[j] + (ca != cb), prev[j + 1] + 1, cur[j] + 1))
        prev = cur
    return prev[-1]


def cer_count(reference, hypothesis):
    r, h = normalize(reference), normalize(hypothesis)
    return edit_distance(r, h), len(r)


def references(script, roles):
    """Reference text per role from a fixture script."""
    refs = {}
    for role in roles:
        turns = [t["text"] for t in script["turns"] if role == "mixed" or t["role"] == role]
        refs[role] = "".join(turns)
    return refs


def roles_for(script, n_channels):
    if n_channels == 1:
        return ["mixed"]
    return ["agent", "customer"] if script.get("layout", "agent-left") == "agent-left" else ["customer", "agent"]


def run_callqa(binary, model, wavs, jobs, threads, decode=(), scripts=None):
    """Transcribes `wavs` in one callqa run. Text is keyed by role as the script lays the
    channels out (as for faster-whisper), not by the one --layout given for the whole run."""
    with tempfile.TemporaryDirectory(prefix="callqa-bench-") as out:
        return _run_callqa_in(out, binary, model, wavs, jobs, threads, decode, scripts)


def _run_callqa_in(out, binary, model, wavs, jobs, threads, decode, scripts):
    cmd = [binary, "transcribe", *wavs, "--out", out, "--model", model, "--jobs", str(jobs), "--threads", str(threads), "--layout", "agent-left", *decode]
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - t0
    hyps = {}
    for wav in wavs:
        call = os.path.splitext(os.path.basename(wav))[0]
        with open(os.path.join(out, call + ".json"), encoding="utf-8") as f:
            t = json.load(f)
        hyps[call] = {}
        roles = [ch["role"] for ch in t["channels"]]
        if scripts is not None:
            names = roles_for(scripts[call]["script"], len(roles))
        else:
            names = roles
        for role, name in zip(roles, names):
            hyps[call][name] = "".join(s["text"] for s in t["segments"] if s["role"] == role)
    return wall, hyps


def run_faster_whisper(ct2_dir, wavs, scripts, threads, vad, beam=1, prompt=None):
    model = WhisperModel(ct2_dir, device="cpu", compute_type="int8", cpu_threads=threads, num_workers=1)
    hyps = {}
    t0 = time.perf_counter()
    for wav in wavs:
        call = os.path.splitext(os.path.basename(wav))[0]
        channels = decode_audio(wav, sampling_rate=16000, split_stereo=True)
        # decode_audio duplicates a mono file into two identical channels; decode it once.
        n = 1 if scripts[call]["n_channels"] == 1 else 2
        hyps[call] = {}
        for role, samples in zip(roles_for(scripts[call]["script"], n), channels[:n]):
            segs, _ = model.transcribe(samples, language="zh", beam_size=beam, vad_filter=vad, condition_on_previous_text=False, initial_prompt=prompt)
            hyps[call][role] = "".join(s.text for s in segs)
    return time.perf_counter() - t0, hyps


def _fw_worker(job):
    ct2_dir, wavs, scripts, beam, prompt = job
    _, hyps = run_faster_whisper(ct2_dir, wavs, scripts, 1, True, beam, prompt)
    return hyps


def run_faster_whisper_parallel(ct2_dir, wavs, scripts, procs, beam, prompt):
    """faster-whisper with its VAD in `procs` processes of one thread, the calls dealt out in
    turn; the wall time includes loading the model in each process."""
    import multiprocessing
    shares = [wavs[i::procs] for i in range(procs)]
    t0 = time.perf_counter()
    with multiprocessing.get_context("spawn").Pool(procs) as pool:
        parts = pool.map(_fw_worker, [(ct2_dir, share, scripts, beam, prompt) for share in shares])
    wall = time.perf_counter() - t0
    hyps = {}
    for part in parts:
        hyps.update(part)
    return wall, hyps


def load_corpus(folder):
    """The recordings with a script (the corpus's deliberately broken files have none), their
    scripts and channel counts, and their total duration in seconds."""
    wavs = sorted(w for w in glob.glob(os.path.join(folder, "*.wav")) if os.path.isfile(os.path.splitext(w)[0] + ".json"))
    scripts, call_seconds = {}, 0.0
    for wav in wavs:
        call = os.path.splitext(os.path.basename(wav))[0]
        with open(os.path.splitext(wav)[0] + ".json", encoding="utf-8") as f:
            script = json.load(f)
        scripts[call] = {"script": script, "n_channels": int(soxi("-c", wav) or 2)}
        call_seconds += float(soxi("-D", wav) or script.get("duration_ms", 0) / 1000)
    return wavs, scripts, call_seconds


def soxi(flag, path):
    r = subprocess.run(["soxi", flag, path], capture_output=True, text=True)
    return r.stdout.strip() if r.returncode == 0 else None


def join_long_calls(wavs, scripts, min_seconds, gap_seconds=3.0):
    """Long calls as real ones are: the stereo fixture calls joined in order, with gaps of
    silence, into calls of at least `min_seconds` (8 kHz 16-bit stereo, agent on the left;
    agent-right calls are swapped). A remainder shorter than that is left out."""
    work = tempfile.mkdtemp(prefix="callqa-long-")
    gap = os.path.join(work, "gap.wav")
    subprocess.run(["sox", "-n", "-r", "8000", "-c", "2", "-b", "16", gap, "trim", "0", str(gap_seconds)], check=True)
    groups, cur, cur_s = [], [], 0.0
    for wav in wavs:
        call = os.path.splitext(os.path.basename(wav))[0]
        if scripts[call]["n_channels"] != 2:
            continue
        cur.append(wav)
        cur_s += float(soxi("-D", wav)) + gap_seconds
        if cur_s >= min_seconds:
            groups.append(cur)
            cur, cur_s = [], 0.0
    out_wavs, out_scripts, seconds = [], {}, 0.0
    for i, group in enumerate(groups):
        parts, turns = [], []
        for j, wav in enumerate(group):
            call = os.path.splitext(os.path.basename(wav))[0]
            script = scripts[call]["script"]
            part = os.path.join(work, f"part{i}_{j}.wav")
            swap = ["remix", "2", "1"] if script.get("layout", "agent-left") == "agent-right" else []
            subprocess.run(["sox", wav, "-r", "8000", "-b", "16", "-e", "signed-integer", part, *swap], check=True)
            parts += ([gap] if j else []) + [part]
            turns += script["turns"]
        name = f"long{i:02d}"
        path = os.path.join(work, name + ".wav")
        subprocess.run(["sox", *parts, path], check=True)
        out_wavs.append(path)
        out_scripts[name] = {"script": {"layout": "agent-left", "turns": turns}, "n_channels": 2}
        seconds += float(soxi("-D", path))
    print(f"{len(out_wavs)} long calls joined from {sum(map(len, groups))} fixture calls, "
          f"{min(float(soxi('-D', w)) for w in out_wavs):.0f}-{max(float(soxi('-D', w)) for w in out_wavs):.0f} s each", flush=True)
    return out_wavs, out_scripts, seconds


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--callqa", default="target/release/callqa")
    ap.add_argument("--model", action="append", help="ggml model(s) for callqa (default models/ggml-base-q8_0.bin)")
    ap.add_argument("--ct2", default="models/cache/ct2-base", help="CTranslate2 model directory")
    ap.add_argument("--audio", default="fixtures/audio")
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--repeat", type=int, default=1, help="pass over the audio this many times, the engines taking turns (steadier timing)")
    ap.add_argument("--beam", type=int, default=1, help="beam search width, both engines")
    ap.add_argument("--prompt", default=None, help="initial prompt, both engines")
    ap.add_argument("--callqa-arg", action="append", default=[], help="extra argument for callqa transcribe (repeatable), e.g. --callqa-arg=--packing=channel")
    ap.add_argument("--callqa-only", action="store_true", help="callqa alone, calls in parallel (to compare decode settings)")
    ap.add_argument("--ratio-only", action="store_true",
                    help="only the rows the ratio needs: callqa with calls in parallel, faster-whisper with its VAD")
    ap.add_argument("--long", type=float, nargs="?", const=180.0, default=None, metavar="SECONDS",
                    help="join the stereo calls into long calls of at least SECONDS (default 180) with 3 s gaps, and measure on those")
    ap.add_argument("--fw-parallel", action="store_true",
                    help="also time faster-whisper+VAD as THREADS processes of one thread (the ceiling of a CTranslate2 engine run callqa's way)")
    ap.add_argument("--per-call", metavar="FILE", help="write each engine's CER per call and channel to FILE (JSON)")
    ap.add_argument("--real", action="store_true", help="only the real-speech check (fixtures/real: fetch.sh first)")
    args = ap.parse_args()
    decode = ["--beam", str(args.beam)] + (["--prompt", args.prompt] if args.prompt else []) + args.callqa_arg
    if args.real:
        return real_speech(args, decode)

    wavs, scripts, call_seconds = load_corpus(args.audio)
    if args.long:
        wavs, scripts, call_seconds = join_long_calls(wavs, scripts, args.long)
    call_seconds *= args.repeat

    per_call = {}

    def score(hyps, engine):
        errs = chars = 0
        for call, by_role in hyps.items():
            refs = references(scripts[call]["script"], list(by_role))
            for role, text in by_role.items():
                e, n = cer_count(refs[role], text)
                errs += e
                chars += n
                per_call.setdefault(f"{call} {role}", {"reference": refs[role]})[engine] = {"cer": round(e / max(n, 1), 3), "text": text}
        return errs / max(chars, 1)

    # Each row is a runner; with --repeat the rows take turns (all rows once, then again), so a
    # slow spell of the shared machine lands on every engine instead of on one.
    runners = []
    for model in args.model or ["models/ggml-base-q8_0.bin"]:
        # One call at a time with all threads, and calls in parallel with one thread each.
        splits = [(1, args.threads), (args.threads, 1)]
        for jobs, threads in splits[1 if args.callqa_only or args.ratio_only else 0:]:
            name = f"callqa {os.path.basename(model)} jobs={jobs} threads={threads}"
            runners.append((name, lambda m=model, j=jobs, t=threads: run_callqa(args.callqa, m, wavs, j, t, decode, scripts)))
    for vad in () if args.callqa_only else (True,) if args.ratio_only else (False, True):
        name = f"faster-whisper int8 beam={args.beam} vad_filter={vad}"
        runners.append((name, lambda v=vad: run_faster_whisper(args.ct2, wavs, scripts, args.threads, v, args.beam, args.prompt)))
    if args.fw_parallel and not args.callqa_only:
        # What a CTranslate2 engine inside callqa could reach at best: the same kernels, calls
        # in parallel with one thread each, as callqa runs them (not the peer of the ratio).
        name = f"faster-whisper int8 vad, {args.threads} processes x 1 thread"
        runners.append((name, lambda: run_faster_whisper_parallel(args.ct2, wavs, scripts, args.threads, args.beam, args.prompt)))
    walls = {name: 0.0 for name, _ in runners}
    last = {}
    for _ in range(args.repeat):
        for name, run in runners:
            w, last[name] = run()
            walls[name] += w
    rows = [(name, walls[name], score(last[name], name)) for name, _ in runners]

    if args.per_call:
        with open(args.per_call, "w", encoding="utf-8") as f:
            json.dump(per_call, f, ensure_ascii=False, indent=1)
    print(f"\n{len(wavs)} calls x {args.repeat}, {call_seconds:.1f} call seconds, {args.threads} threads")
    print(f"{'engine':<55} {'wall s':>8} {'call s / wall s':>16} {'CER':>7}")
    for name, wall, cer in rows:
        print(f"{name:<55} {wall:8.1f} {call_seconds / wall:16.2f} {cer:7.3f}")
    if args.callqa_only:
        return 0
    fw_vad = next(r for r in rows if r[0].startswith("faster") and r[0].endswith("vad_filter=True"))
    best_cq = min((r for r in rows if r[0].startswith("callqa")), key=lambda r: r[1])
    print(f"\nspeed ratio, best callqa / faster-whisper with its VAD: {fw_vad[1] / best_cq[1]:.2f}x "
          f"(CER {best_cq[2]:.3f} vs {fw_vad[2]:.3f})")


def real_speech(args, decode):
    """CER on a real phone recording as given and as 8 kHz G.711 (made with sox), and speed on
    two minutes of read speech: callqa against faster-whisper with its VAD, same threads."""
    real = "fixtures/real"
    if not os.path.isfile(os.path.join(real, "zh.wav")):
        print("benches: run fixtures/real/fetch.sh first", file=sys.stderr)
        return 2
    with open(os.path.join(real, "zh.txt"), encoding="utf-8") as f:
        reference = f.read().strip()
    work = tempfile.mkdtemp(prefix="callqa-real-")
    files = {"pcm16": os.path.join(work, "pcm16.wav")}
    subprocess.run(["cp", os.path.join(real, "zh.wav"), files["pcm16"]], check=True)
    for name, enc in [("mulaw", "u-law"), ("alaw", "a-law")]:
        files[name] = os.path.join(work, name + ".wav")
        subprocess.run(["sox", os.path.join(real, "zh.wav"), "-r", "8000", "-e", enc, "-b", "8", files[name]], check=True)
    model = (args.model or ["models/ggml-base-q8_0.bin"])[0]
    print(f"real speech, {os.path.basename(model)} / CTranslate2 int8, beam {args.beam}, prompt {args.prompt!r}")
    print(f"{'file':<8} {'callqa CER':>11} {'faster-whisper+VAD CER':>23}")
    fw = WhisperModel(args.ct2, device="cpu", compute_type="int8", cpu_threads=args.threads, num_workers=1)
    for name, path in files.items():
        _, hyps = run_callqa(args.callqa, model, [path], args.threads, 1, decode)
        cq = "".join(hyps[name].values())
        segs, _ = fw.transcribe(decode_audio(path, sampling_rate=16000), language="zh", beam_size=args.beam,
                                vad_filter=True, condition_on_previous_text=False, initial_prompt=args.prompt)
        fwt = "".join(s.text for s in segs)
        e1, n = cer_count(reference, cq)
        e2, _ = cer_count(reference, fwt)
        print(f"{name:<8} {e1 / n:11.3f} {e2 / n:23.3f}    {cq} | {fwt}")
    long = os.path.join(real, "zh_long.wav")
    seconds = float(subprocess.run(["soxi", "-D", long], capture_output=True, text=True, check=True).stdout)
    # callqa's default split (a job per core, one thread each): a lone call decodes that many
    # of its windows at once.
    cq_wall, _ = run_callqa(args.callqa, model, [long], args.threads, 1, decode)
    t0 = time.perf_counter()
    segs, _ = fw.transcribe(decode_audio(long, sampling_rate=16000), language="zh", beam_size=args.beam,
                            vad_filter=True, condition_on_previous_text=False, initial_prompt=args.prompt)
    "".join(s.text for s in segs)
    fw_wall = time.perf_counter() - t0
    print(f"zh_long ({seconds:.0f} s, one mono call, {args.threads} cores): callqa {seconds / cq_wall:.2f}, "
          f"faster-whisper+VAD {seconds / fw_wall:.2f} call s / wall s; ratio {fw_wall / cq_wall:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
