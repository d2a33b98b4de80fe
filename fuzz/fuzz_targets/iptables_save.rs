//! Fuzz target: the iptables-save parser must return a model or a positioned error, never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use netfilter_model::parse::{parse_iptables_save, ParseOptions};

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let opts = ParseOptions::new("fuzz");
        let _ = parse_iptables_save(text, &opts);
    }
});
