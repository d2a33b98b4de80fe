//! Fuzz target: the nft text parser must return a model or a positioned error, never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use netfilter_model::parse::{parse_nft_text, ParseOptions};

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = parse_nft_text(text, &ParseOptions::new("fuzz"));
    }
});
