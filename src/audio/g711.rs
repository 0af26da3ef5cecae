//! ITU-T G.711 µ-law and A-law expansion to 16-bit linear PCM.
//!
//! Both laws are decoded through a 256-entry table built at compile time from the reference
//! formulas (the same ones as the Sun/CCITT `g711.c` that sox and most telephony stacks use),
//! so decoding is one indexed load per sample. The tables are checked against sox's own
//! decoding of every code word in `fixtures/audio/codec/`.

/// Expands one µ-law code word (bias 0x84, bits stored inverted) to 16-bit linear PCM.
pub const fn ulaw_to_linear(code: u8) -> i16 {
    let u = !code;
    let exponent = (u >> 4) & 0x07;
    let mantissa = (u & 0x0F) as i32;
    let magnitude = (((mantissa << 3) + 0x84) << exponent) - 0x84;
    if u & 0x80 != 0 {
        -magnitude as i16
    } else {
        magnitude as i16
    }
}

/// Expands one A-law code word (even bits inverted: XOR 0x55) to 16-bit linear PCM.
pub const fn alaw_to_linear(code: u8) -> i16 {
    let a = code ^ 0x55;
    let segment = (a >> 4) & 0x07;
    let mut magnitude = ((a & 0x0F) as i32) << 4;
    magnitude = match segment {
        0 => magnitude + 8,
        1 => magnitude + 0x108,
        s => (magnitude + 0x108) << (s - 1),
    };
    if a & 0x80 != 0 {
        magnitude as i16
    } else {
        -magnitude as i16
    }
}

macro_rules! table {
    ($law:ident) => {{
        let mut table = [0.0f32; 256];
        let mut i = 0;
        while i < 256 {
            table[i] = $law(i as u8) as f32 / 32768.0;
            i += 1;
        }
        table
    }};
}

/// µ-law code word → sample in [-1, 1] (same scale as 16-bit PCM / 32768).
pub static ULAW_TABLE: [f32; 256] = table!(ulaw_to_linear);
/// A-law code word → sample in [-1, 1] (same scale as 16-bit PCM / 32768).
pub static ALAW_TABLE: [f32; 256] = table!(alaw_to_linear);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ulaw_known_values() {
        // Silence codes, the extremes and the sign convention of ITU-T G.711 Table 2a.
        assert_eq!(ulaw_to_linear(0xFF), 0);
        assert_eq!(ulaw_to_linear(0x7F), 0);
        assert_eq!(ulaw_to_linear(0x80), 32124);
        assert_eq!(ulaw_to_linear(0x00), -32124);
        assert_eq!(ulaw_to_linear(0xFE), 8);
        assert_eq!(ulaw_to_linear(0x7E), -8);
    }

    #[test]
    fn alaw_known_values() {
        assert_eq!(alaw_to_linear(0xD5), 8);
        assert_eq!(alaw_to_linear(0x55), -8);
        assert_eq!(alaw_to_linear(0xAA), 32256);
        assert_eq!(alaw_to_linear(0x2A), -32256);
    }

    #[test]
    fn laws_are_odd_symmetric_and_monotonic() {
        // Flipping the sign bit negates the value; within one sign the magnitudes are ordered.
        for code in 0u8..=127 {
            assert_eq!(ulaw_to_linear(code), -ulaw_to_linear(code | 0x80));
            assert_eq!(alaw_to_linear(code), -alaw_to_linear(code | 0x80));
        }
        // µ-law: 0x80..=0xFF runs from the loudest positive value down to zero.
        for code in 0x80u8..0xFF {
            assert!(ulaw_to_linear(code) > ulaw_to_linear(code + 1));
        }
        // A-law: after undoing the XOR the magnitude grows with the code.
        let mut prev = -1;
        for raw in 0u8..=127 {
            let v = alaw_to_linear((raw | 0x80) ^ 0x55);
            assert!(v > prev, "A-law not monotonic at {raw}");
            prev = v;
        }
    }
}
