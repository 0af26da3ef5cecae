//! Text vocabulary from a Hugging Face `tokenizer.json` (GPT-2 byte-level BPE).
//!
//! whisper.cpp wants each text token as raw bytes, in id order, and adds the special tokens
//! (`<|endoftext|>`, languages, timestamps, …) itself. Byte-level BPE stores every byte as a
//! printable stand-in character (GPT-2's `bytes_to_unicode` table), so each token string is
//! mapped back through the inverse table. Special tokens are recognised through
//! `added_tokens` and must all come after the text tokens.

use std::collections::HashMap;
use std::path::Path;

use super::error::ImportError;

/// GPT-2's byte → character table: printable Latin-1 bytes map to themselves, the other 68
/// bytes to U+0100 onwards, in byte order.
fn byte_decoder() -> HashMap<char, u8> {
    let printable = |b: u32| (0x21..=0x7e).contains(&b) || (0xa1..=0xac).contains(&b) || (0xae..=0xff).contains(&b);
    let mut map = HashMap::with_capacity(256);
    let mut n = 0u32;
    for b in 0u32..256 {
        let c = if printable(b) {
            b
        } else {
            n += 1;
            255 + n
        };
        // All values are valid scalar values below U+0200.
        if let Some(c) = char::from_u32(c) {
            map.insert(c, b as u8);
        }
    }
    map
}

/// Reads the text tokens of `tokenizer.json` as byte strings indexed by token id.
pub fn read_vocab(path: &Path) -> Result<Vec<Vec<u8>>, ImportError> {
    let text = std::fs::read_to_string(path).map_err(|e| ImportError::io(path, e))?;
    parse_vocab(path, &text)
}

/// Parses tokenizer.json text; `path` is used in error messages only.
pub fn parse_vocab(path: &Path, text: &str) -> Result<Vec<Vec<u8>>, ImportError> {
    let bad = |reason: String| ImportError::Tokenizer {
        path: path.to_path_buf(),
        reason,
    };
    let json: serde_json::Value =
        serde_json::from_str(text).map_err(|e| bad(format!("not JSON: {e}")))?;
    let model = &json["model"];
    if model["type"].as_str() != Some("BPE") {
        return Err(bad(format!("model.type is {}, expected \"BPE\"", model["type"])));
    }
    let vocab = model["vocab"]
        .as_object()
        .ok_or_else(|| bad("model.vocab is not an object".into()))?;
    let special: std::collections::HashSet<u64> = json["added_tokens"]
        .as_array()
        .map(|a| a.iter().filter_map(|t| t["id"].as_u64()).collect())
        .unwrap_or_default();
    let decoder = byte_decoder();
    let mut tokens: Vec<(u64, Vec<u8>)> = Vec::with_capacity(vocab.len());
    for (piece, id) in vocab {
        let id = id
            .as_u64()
            .ok_or_else(|| bad(format!("token {piece:?} has a non-integer id {id}")))?;
        if special.contains(&id) {
            continue;
        }
        let bytes = piece
            .chars()
            .map(|c| decoder.get(&c).copied())
            .collect::<Option<Vec<u8>>>()
            .ok_or_else(|| bad(format!("token {id} {piece:?} is not byte-level BPE")))?;
        tokens.push((id, bytes));
    }
    tokens.sort_by_key(|(id, _)| *id);
    for (i, (id, _)) in tokens.iter().enumerate() {
        if *id != i as u64 {
            return Err(bad(format!(
                "text token ids are not contiguous: position {i} has id {id}"
            )));
        }
    }
    if tokens.is_empty() {
        return Err(bad("no text tokens".into()));
    }
    Ok(tokens.into_iter().map(|(_, b)| b).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn byte_table_is_a_bijection_with_gpt2_landmarks() {
        let d = byte_decoder();
        assert_eq!(d.len(), 256);
        assert_eq!(d[&'!'], b'!');
        assert_eq!(d[&'Ġ'], b' '); // U+0120 is the space byte
        assert_eq!(d[&'Ā'], 0); // U+0100 is byte 0
        assert_eq!(d[&'Ċ'], b'\n');
    }

    #[test]
    fn parses_text_tokens_in_id_order_and_drops_specials() {
        let json = r#"{"added_tokens":[{"id":3,"content":"<|endoftext|>","special":true}],
            "model":{"type":"BPE","vocab":{"Ġa":1,"!":0,"åľº":2,"<|endoftext|>":3}}}"#;
        let v = parse_vocab(Path::new("t.json"), json).unwrap();
        assert_eq!(v, vec![b"!".to_vec(), b" a".to_vec(), "场".as_bytes().to_vec()]);
    }

    #[test]
    fn gaps_and_non_json_are_typed_errors_naming_the_file() {
        let json = r#"{"model":{"type":"BPE","vocab":{"a":0,"b":2}}}"#;
        let e = parse_vocab(Path::new("tok.json"), json).unwrap_err();
        assert!(matches!(e, ImportError::Tokenizer { .. }));
        assert!(e.to_string().contains("tok.json"), "{e}");
        let e = parse_vocab(Path::new("tok.json"), "{").unwrap_err();
        assert!(e.to_string().contains("not JSON"), "{e}");
    }
}
