//! `callqa::audio::decode` on arbitrary bytes, with both stereo layouts: never a panic, and a
//! decoded recording is well formed (channels of one length, samples in [-1, 1]).
#![no_main]

use std::path::Path;

use callqa::audio::{Layout, Role, decode};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    for layout in [Layout::AgentLeft, Layout::AgentRight] {
        let Ok(audio) = decode(data, Path::new("fuzz.wav"), layout) else { continue };
        let len = audio.channels[0].samples.len();
        assert!(audio.channels.len() == 1 || audio.channels.len() == 2);
        for ch in &audio.channels {
            assert_eq!(ch.samples.len(), len, "channels of different lengths");
            assert!(ch.samples.iter().all(|s| s.is_finite() && (-1.0..=1.0).contains(s)), "a sample out of [-1, 1]");
        }
        if audio.channels.len() == 2 {
            assert_eq!((audio.channels[0].role, audio.channels[1].role), (Role::Agent, Role::Customer));
        }
        assert!(audio.source.frames > 0);
    }
});
