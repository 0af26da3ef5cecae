#!/usr/bin/env python3
"""Step-by-step check that a converted ggml model computes what CTranslate2 computes.

For one WAV file: compute Whisper's log-mel (numpy re-implementation of openai-whisper's
`log_mel_spectrogram(pad_or_trim(audio))`, filters from mel_filters.npz), let CTranslate2
decode it greedily while returning the full next-token logits of every step, then feed the
same mel and the same token prefixes to whisper.cpp through `examples/ggml_logits.rs` and
compare the two next-token distributions at every step: max |delta softmax|, KL(ct2 || ggml)
and whether the argmax agrees.

Needs numpy, scipy and ctranslate2 (e.g. a venv: `python3 -m venv .venv-ct2 &&
.venv-ct2/bin/pip install ctranslate2 numpy scipy`). Example:

    .venv-ct2/bin/python models/compare_ct2.py --wav speech.wav \
        --ct2 models/cache/ct2-base --ggml models/ggml-base.bin
"""

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import wave

import numpy as np

SAMPLE_RATE = 16000
N_FFT = 400
HOP = 160
N_SAMPLES = 30 * SAMPLE_RATE  # one 30 s window -> 3000 frames


def load_wav(path):
    """Mono float32 at 16 kHz."""
    with wave.open(path, "rb") as w:
        sr, ch, width, n = w.getframerate(), w.getnchannels(), w.getsampwidth(), w.getnframes()
        raw = w.readframes(n)
    if width == 2:
        a = np.frombuffer(raw, "<i2").astype(np.float64) / 32768.0
    elif width == 4:
        a = np.frombuffer(raw, "<i4").astype(np.float64) / 2147483648.0
    elif width == 1:
        a = (np.frombuffer(raw, np.uint8).astype(np.float64) - 128.0) / 128.0
    else:
        sys.exit(f"{path}: unsupported sample width {width}")
    a = a.reshape(-1, ch).mean(axis=1)
    if sr != SAMPLE_RATE:
        from scipy.signal import resample_poly

        g = math.gcd(sr, SAMPLE_RATE)
        a = resample_poly(a, SAMPLE_RATE // g, sr // g)
    return a.astype(np.float32)


def log_mel(audio, filters):
    """openai-whisper's log_mel_spectrogram(pad_or_trim(audio)) in numpy: (n_mels, 3000)."""
    audio = audio[:N_SAMPLES]
    audio = np.pad(audio, (0, N_SAMPLES - len(audio))).astype(np.float64)
    x = np.pad(audio, (N_FFT // 2, N_FFT // 2), mode="reflect")  # torch.stft(center=True)
    window = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(N_FFT) / N_FFT)  # periodic Hann
    n_frames = 1 + (len(x) - N_FFT) // HOP
    idx = np.arange(N_FFT)[None, :] + HOP * np.arange(n_frames)[:, None]
    spec = np.fft.rfft(x[idx] * window, axis=1)
    power = (np.abs(spec) ** 2).T[:, :-1]  # whisper drops the last frame
    mel = filters.astype(np.float64) @ power
    log_spec = np.log10(np.maximum(mel, 1e-10))
    log_spec = np.maximum(log_spec, log_spec.max() - 8.0)
    return ((log_spec + 4.0) / 4.0).astype(np.float32)


def special_ids(tokenizer_json, names):
    with open(tokenizer_json, encoding="utf-8") as f:
        added = {t["content"]: t["id"] for t in json.load(f)["added_tokens"]}
    return [added[n] for n in names]


def log_softmax(z):
    z = z.astype(np.float64)
    m = z.max()
    return z - m - np.log(np.exp(z - m).sum())


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--wav", required=True)
    ap.add_argument("--ct2", required=True, help="CTranslate2 model directory")
    ap.add_argument("--ggml", required=True, nargs="+", help="ggml model file(s) (f32, f16 or quantized)")
    ap.add_argument("--mel-npz", default=os.path.join(os.path.dirname(__file__), "cache", "mel_filters.npz"))
    ap.add_argument("--language", default="zh")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--max-steps", type=int, default=64, help="decoding steps to compare (at most 224)")
    ap.add_argument("--example-bin", help="prebuilt ggml_logits binary (default: cargo run --example)")
    ap.add_argument("--flash-attn", choices=["on", "off", "both"], default="both",
                    help="whisper.cpp attention path (its default is on)")
    ap.add_argument("--quiet", action="store_true", help="print only the summary")
    args = ap.parse_args()

    import ctranslate2

    n_mels = 80
    filters = np.load(args.mel_npz)[f"mel_{n_mels}"]
    mel = log_mel(load_wav(args.wav), filters)

    prompt = special_ids(
        os.path.join(args.ct2, "tokenizer.json"),
        ["<|startoftranscript|>", f"<|{args.language}|>", "<|transcribe|>", "<|notimestamps|>"],
    )
    model = ctranslate2.models.Whisper(args.ct2, device="cpu", compute_type="float32", intra_threads=args.threads)
    features = ctranslate2.StorageView.from_array(np.ascontiguousarray(mel[None]))
    # No suppression, no timestamp rules (prompt ends in <|notimestamps|>): raw logits.
    res = model.generate(
        features,
        [prompt],
        beam_size=1,
        # CTranslate2 decodes at most min(max_length / 2, max_length - len(prompt)) steps.
        max_length=2 * max(args.max_steps, len(prompt)),
        return_logits_vocab=True,
        suppress_blank=False,
        suppress_tokens=[],
    )[0]
    ct2_logits = np.stack([np.asarray(s, dtype=np.float32).reshape(-1) for s in res.logits[0]])
    generated = list(res.sequences_ids[0])
    n_steps = ct2_logits.shape[0]
    fed = generated[: n_steps - 1]

    worst = 0
    modes = ["on", "off"] if args.flash_attn == "both" else [args.flash_attn]
    for ggml in args.ggml:
        for fa in modes:
            ggml_logits = run_ggml(args, ggml, mel, prompt, fed, fa)
            if ggml_logits.shape != ct2_logits.shape:
                sys.exit(f"shape mismatch: ct2 {ct2_logits.shape} vs ggml {ggml_logits.shape}")
            worst = max(worst, report(args, f"{ggml} (flash_attn {fa})", ct2_logits, ggml_logits))
    print(f"ct2 greedy tokens ({len(generated)}): {generated}")
    return worst


def run_ggml(args, ggml, mel, prompt, fed, flash_attn):
    """Per-step logits from whisper.cpp via examples/ggml_logits.rs."""
    with tempfile.TemporaryDirectory() as tmp:
        mel_path = os.path.join(tmp, "mel.npy")
        out_path = os.path.join(tmp, "logits.npy")
        np.save(mel_path, mel)
        tail = [ggml, mel_path, ",".join(map(str, prompt)), ",".join(map(str, fed)), out_path, str(args.threads)]
        if args.example_bin:
            cmd = [args.example_bin] + tail
        else:
            cmd = ["cargo", "run", "--release", "--quiet", "--example", "ggml_logits", "--"] + tail
        env = dict(os.environ, FLASH_ATTN="1" if flash_attn == "on" else "0")
        subprocess.run(cmd, check=True, env=env, stderr=subprocess.DEVNULL)
        return np.load(out_path)


def report(args, ggml, ct2_logits, ggml_logits):
    """Prints the per-step comparison; returns 1 if any argmax differs."""
    n_steps = ct2_logits.shape[0]
    rows = []
    for step in range(n_steps):
        lp, lq = log_softmax(ct2_logits[step]), log_softmax(ggml_logits[step])
        p, q = np.exp(lp), np.exp(lq)
        rows.append(
            (
                step,
                float(np.abs(p - q).max()),
                float((p * (lp - lq)).sum()),
                int(lp.argmax()) == int(lq.argmax()),
                int(lp.argmax()),
                int(lq.argmax()),
                float(np.diff(np.sort(p)[-2:])[0]),  # ct2's top-1 minus top-2 probability
            )
        )
    if not args.quiet:
        print(f"== {ggml}")
        print(f"{'step':>4} {'max|dp|':>10} {'KL':>10} {'argmax':>7} {'ct2':>6} {'ggml':>6} {'top2 gap':>9}")
        for step, dp, kl, same, a, b, gap in rows:
            print(f"{step:>4} {dp:10.2e} {kl:10.2e} {'same' if same else 'DIFF':>7} {a:>6} {b:>6} {gap:9.2e}")
    dps = [r[1] for r in rows]
    kls = [r[2] for r in rows]
    agree = sum(r[3] for r in rows)
    gaps = [r[6] for r in rows if not r[3]]
    print(
        f"{os.path.basename(ggml)}: {n_steps} steps, argmax agrees {agree}/{n_steps}, "
        f"max|dp| max {max(dps):.2e} mean {np.mean(dps):.2e}, "
        f"KL max {max(kls):.2e} mean {np.mean(kls):.2e}"
        + (f"; ct2 top-2 gap at disagreements <= {max(gaps):.2e}" if gaps else "")
    )
    return 0 if agree == n_steps else 1


if __name__ == "__main__":
    sys.exit(main())
