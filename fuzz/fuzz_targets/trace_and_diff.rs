//! Fuzz target: whatever any parser accepts (the format is sniffed), the tracer follows packets
//! through without panicking or overflowing its stack (cycles and depth are errors, not crashes),
//! and the diff engine finds the ruleset equal to itself.
#![no_main]

use libfuzzer_sys::fuzz_target;
use netfilter_model::diff::{diff_rulesets, DiffOptions};
use netfilter_model::model::Protocol;
use netfilter_model::parse::{parse_text, ParseOptions};
use netfilter_model::trace::{LocalAddrs, Packet, TraceIndex, TraceOptions, TracePath};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(rs) = parse_text(text, &ParseOptions::new("fuzz")) else {
        return;
    };
    let index = TraceIndex::new(&rs);
    let opts = TraceOptions::default();
    let v4 = ("10.0.0.1", "10.96.0.10");
    let v6 = ("fd00::1", "fd00::a");
    for (src, dst) in [v4, v6] {
        for path in [TracePath::Forward, TracePath::Input, TracePath::Output] {
            let mut p = Packet::new(src.parse().unwrap(), dst.parse().unwrap());
            p.path = path;
            p.iif = (path != TracePath::Output).then(|| "cali1234".to_string());
            p.oif = (path != TracePath::Input).then(|| "eth0".to_string());
            p.proto = Some(Protocol::TCP);
            p.sport = Some(40000);
            p.dport = Some(80);
            let _ = index.trace(&p, &opts);
            // The node's addresses decide address types and, on the auto path, the way.
            p.local_addrs = Some(LocalAddrs::from_specs(&[dst.parse().unwrap()]));
            let _ = index.trace(&p, &opts);
            p.path = TracePath::Auto;
            let _ = index.trace(&p, &opts);
        }
    }
    let d = diff_rulesets(&rs, &rs, &DiffOptions::default());
    assert!(d.equal, "a ruleset differs from itself");
});
