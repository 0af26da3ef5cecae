//! Peak memory of decoding one long recording, against the bound `audio::Limits::peak_bytes`
//! states (the source-rate channels plus the 16 kHz ones). A counting allocator around the
//! system one records the heap's high-water mark while `audio::load_with` streams a
//! generated 1-hour stereo call from disk; the file's own size never enters the figure.
//!
//! `cargo bench --bench audio_memory` (writes two WAVs of 115 and 230 MB to a temp folder).

use std::alloc::{GlobalAlloc, Layout, System};
use std::io::Write;
use std::sync::atomic::{AtomicUsize, Ordering};

struct Counting;

static NOW: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            let now = NOW.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
            PEAK.fetch_max(now, Ordering::Relaxed);
        }
        p
    }
    unsafe fn dealloc(&self, p: *mut u8, layout: Layout) {
        unsafe { System.dealloc(p, layout) };
        NOW.fetch_sub(layout.size(), Ordering::Relaxed);
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

fn write_call(path: &std::path::Path, rate: u32, seconds: u32) {
    let frames = rate * seconds;
    let data = frames * 4; // stereo 16-bit
    let mut f = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    f.write_all(b"RIFF").unwrap();
    f.write_all(&(36 + data).to_le_bytes()).unwrap();
    f.write_all(b"WAVEfmt \x10\x00\x00\x00\x01\x00\x02\x00").unwrap();
    f.write_all(&rate.to_le_bytes()).unwrap();
    f.write_all(&(rate * 4).to_le_bytes()).unwrap();
    f.write_all(&[4, 0, 16, 0]).unwrap();
    f.write_all(b"data").unwrap();
    f.write_all(&data.to_le_bytes()).unwrap();
    let mut block = Vec::with_capacity(rate as usize * 4);
    for s in 0..seconds {
        block.clear();
        for n in 0..rate {
            let v = ((n as f32 * 0.05 + s as f32).sin() * 8000.0) as i16;
            block.extend_from_slice(&v.to_le_bytes());
            block.extend_from_slice(&(v / 2).to_le_bytes());
        }
        f.write_all(&block).unwrap();
    }
}

fn main() {
    let d = tempfile::tempdir().unwrap();
    println!("{:<34} {:>9} {:>11} {:>11} {:>7}", "1-hour stereo call, 16-bit PCM", "file MB", "peak MB", "bound MB", "peak/bound");
    for rate in [8_000u32, 16_000] {
        let path = d.path().join(format!("call-{rate}.wav"));
        write_call(&path, rate, 3600);
        let file_mb = std::fs::metadata(&path).unwrap().len() as f64 / 1e6;
        let bound = 2 * (rate as u64 * 3600 + 16_000 * 3600) * 4;
        let before = NOW.load(Ordering::Relaxed);
        PEAK.store(before, Ordering::Relaxed);
        let audio = callqa::audio::load_with(&path, callqa::audio::Layout::AgentLeft, &callqa::audio::Limits::default()).unwrap();
        assert_eq!(audio.duration_ms(), 3_600_000);
        let peak = (PEAK.load(Ordering::Relaxed) - before) as f64 / 1e6;
        drop(audio);
        println!("{:<34} {file_mb:>9.0} {peak:>11.0} {:>11.0} {:>7.2}", format!("{} kHz", rate / 1000), bound as f64 / 1e6, peak / (bound as f64 / 1e6));
    }
}
