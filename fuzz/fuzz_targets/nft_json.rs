//! Fuzz target: the nft JSON parser must never panic, whatever the bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use netfilter_model::parse::{parse_nft_json, ParseOptions};

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = parse_nft_json(text, &ParseOptions::new("fuzz"));
    }
});
