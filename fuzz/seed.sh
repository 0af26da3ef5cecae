#!/usr/bin/env bash
# Seeds fuzz/corpus/<target>/ from the repository's fixtures (the corpus folders are not
# committed; fuzzing adds to them). Safe to run again: seeds are overwritten, the inputs
# libFuzzer added are kept. Needs bash, coreutils and python3 (for a few synthetic WAVs).
set -euo pipefail
cd "$(dirname "$0")/.."
C=fuzz/corpus
mkdir -p "$C"/{wav,rules,manifest,reviews,redact}

# wav: every fixture recording cut to its first 2 KB (header + a few hundred frames; a cut
# data chunk is a supported case), plus small synthetic files for the codecs the fixtures
# lack (8/24/32-bit PCM, 32/64-bit float, WAVE_FORMAT_EXTENSIBLE, odd rates).
for f in fixtures/audio/*.wav fixtures/audio/codec/*.wav; do
    head -c 2048 "$f" > "$C/wav/seed-$(basename "$f")"
done
python3 - "$C/wav" <<'PY'
import struct, sys, math
out = sys.argv[1]
def wav(name, tag, ch, rate, bits, frames, ext=False, fmt_extra=b""):
    width = (bits + 7) // 8
    data = bytearray()
    for n in range(frames):
        for c in range(ch):
            x = math.sin(2 * math.pi * 440 * (c + 1) * n / rate) * 0.8
            if tag == 3:
                data += struct.pack("<f" if bits == 32 else "<d", x)
            elif bits == 8:
                data += bytes([int(128 + x * 127)])
            else:
                data += int(x * (2 ** (bits - 1) - 1)).to_bytes(width, "little", signed=True)
    align = width * ch
    if ext:
        guid = struct.pack("<H", tag) + bytes([0, 0, 0, 0, 0x10, 0, 0x80, 0, 0, 0xAA, 0, 0x38, 0x9B, 0x71])
        fmt = struct.pack("<HHIIHHHHI", 0xFFFE, ch, rate, rate * align, align, bits, 22, bits, 3) + guid
    else:
        fmt = struct.pack("<HHIIHH", tag, ch, rate, rate * align, align, bits) + fmt_extra
    body = b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt + b"LIST" + struct.pack("<I", 3) + b"abc\0"
    body += b"data" + struct.pack("<I", len(data)) + bytes(data)
    open(f"{out}/synth-{name}.wav", "wb").write(b"RIFF" + struct.pack("<I", len(body)) + body)
wav("pcm8-mono-11025", 1, 1, 11025, 8, 200)
wav("pcm16-stereo-44100", 1, 2, 44100, 16, 200)
wav("pcm24-mono-48000", 1, 1, 48000, 24, 200)
wav("pcm32-stereo-22050", 1, 2, 22050, 32, 100)
wav("float32-mono-16000", 3, 1, 16000, 32, 200)
wav("float64-stereo-8000", 3, 2, 8000, 64, 100)
wav("ext-pcm16-stereo-8000", 1, 2, 8000, 16, 200, ext=True)
wav("ext-ulaw-mono-8000", 7, 1, 8000, 8, 300, ext=True)
wav("pcm16-mono-1009", 1, 1, 1009, 16, 100)
PY

# rules: pack.toml NUL <rule file> NUL <rubric>, one seed per rule file of the default pack.
rubrics=(rules/rubric.toml rules/rubric-10pt.toml)
i=0
for f in rules/zh-cn/*.toml; do
    [ "$(basename "$f")" = pack.toml ] && continue
    { cat rules/zh-cn/pack.toml; printf '\0'; cat "$f"; printf '\0'; cat "${rubrics[$((i % 2))]}"; } > "$C/rules/seed-$(basename "$f" .toml)"
    i=$((i + 1))
done

# manifest: pattern NUL file name NUL manifest CSV.
P='{agent_id}_{yyyymmdd-HHMMSS}_{call_id}.wav'
{ printf '%s\0%s\0' "$P" A1001_20261102-093015_c0001.wav; head -n 8 fixtures/audio/manifest.csv; } > "$C/manifest/seed-default"
{ printf '%s\0%s\0' '{team}/{agent_id}-{yyyy-MM-dd HH.mm.ss}-{direction}-{call_id}.wav' 'T01/A1-2026-11-02 09.30.15-inbound-c_9.wav'
  printf 'call_id,path,agent_id,started_at,layout\nc1,a.wav,A1,2026-11-02 09:30:15,agent-right\nc1,a.wav,A1,2026-11-02T09:30:15+08:00,mono\n'; } > "$C/manifest/seed-team"
{ printf '%s\0%s\0' '{agent_name}.{agent_id}.{yyyymmdd}.{call_id}.wav' '王芳.A1.20261102.x.wav'
  printf '\xef\xbb\xbfcall_id,path,agent_id,agent_name,team,started_at,direction\n"c 2",missing.wav,A2,"李,强",T2,2026-13-45,sideways\n'; } > "$C/manifest/seed-bad"

# reviews: first byte r (reviews), a (adjustments), b (bonuses), s (staff); the rest is the CSV.
printf 'rfinding_id,verdict,reviewer,note,reviewed_at\nf1,confirm,李明,忌语属实,2026-11-20\nf1,reject,王芳,申诉成立：识别错误,2026-11-25T10:00:00+08:00\nf2,confirm,李明,,\n' > "$C/reviews/seed-reviews"
printf 'rfinding_id,verdict,reviewer,note\nf1,approve,李明,\nf2,reject,,误报\n,reject,王芳,x\n' > "$C/reviews/seed-reviews-bad"
printf 'aagent_id,period,points,reason,by\nA1001,2026-11,3,协助新人培训,组长张伟\nA1,2026-W47,-2,x,y\n' > "$C/reviews/seed-adjustments"
printf 'bagent_id,period,item,by\nA1,2026-11,exam_full_marks,培训专员\nA2,2026-11,extra_shift,李\n' > "$C/reviews/seed-bonuses"
printf 'sagent_id,hired_on\nA1,2026-09-15\nA1,2026-10-01\nA2,15/09/2026\n' > "$C/reviews/seed-staff"
printf 'xagent_id,hired_on\n"A1",9999-12-31\n' > "$C/reviews/seed-all"

# redact: the number forms the module documents, and fixture utterances.
n=0
while IFS= read -r line; do
    printf '%s' "$line" > "$C/redact/seed-$n"; n=$((n + 1))
done <<'TXT'
我的手机号是13812345678，谢谢
号码是138 1234 5678还有139-8765-4321
一三八，一二三四，五六七八
幺三八幺二三四五六七八
＋86 １３８１２３４５６７８
008613812345678
身份证号11010519491231002X，卡号6222021234567890123
1381234567813912345678一个
138.1234.5678。
TXT
grep -ho '"text": *"[^"]*"' fixtures/transcripts/*.json | head -n 40 | sed 's/^"text": *"//; s/"$//' | while IFS= read -r line; do
    printf '%s' "$line" > "$C/redact/seed-t$n"; n=$((n + 1))
done
echo "seeded: $(for t in wav rules manifest reviews redact; do printf '%s=%s ' "$t" "$(ls "$C/$t" | wc -l)"; done)"
