//! criterion benches of every pipeline stage on generated rulesets: the three parsers,
//! normalization, diff, trace (per packet, index built once) and reach.
//!
//! Inputs come from the `rulegen` generator in-process, so no corpus is needed. The nft JSON
//! parser reads `target/bench-data/kp100k.nft.json` when `scripts/bench.sh` has captured it
//! from a scratch network namespace, and the repository's `testdata/calico/nft.json` otherwise.
//! Sample sizes are small so that `cargo bench` of everything takes a few minutes.
//! The allocator is mimalloc, as in the `nfdiff` binary: with glibc malloc the same stages
//! take two to three times as long, which is not what users run.

use std::hint::black_box;
use std::net::IpAddr;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use netfilter_model::diff::{diff_rulesets, DiffOptions};
use netfilter_model::model::{IfacePattern, Protocol, Ruleset};
use netfilter_model::parse::{parse_iptables_save, parse_nft_json, parse_nft_text, ParseOptions};
use netfilter_model::trace::{Packet, TraceIndex, TraceOptions};
use rulegen::{generate, Shape, Syntax};

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn gen(shape: Shape, size: usize, syntax: Syntax) -> String {
    generate(shape, size, syntax, 1).expect("shape exists in this syntax")
}

fn opts() -> ParseOptions {
    ParseOptions::new("bench")
}

fn ipt(text: &str) -> Ruleset {
    parse_iptables_save(text, &opts()).expect("generated iptables-save parses")
}

/// Every 100th rule gets a different comment: 1% of the rules change.
fn one_percent_changed(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 1024);
    let mut n = 0usize;
    for line in text.lines() {
        if line.starts_with("-A ") {
            n += 1;
            if n.is_multiple_of(100) {
                out.push_str(&line.replacen("--comment \"", "--comment \"x", 1));
                out.push('\n');
                continue;
            }
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

fn addr(s: &str) -> IpAddr {
    s.parse().expect("literal address")
}

fn parsers(c: &mut Criterion) {
    let mut g = c.benchmark_group("parse");
    g.sample_size(10).measurement_time(Duration::from_secs(4));
    for (label, n) in [("10k", 10_000), ("100k", 100_000)] {
        let text = gen(Shape::KubeProxy, n, Syntax::IptablesSave);
        g.throughput(Throughput::Bytes(text.len() as u64));
        g.bench_function(format!("iptables-save/kube-proxy-{label}"), |b| {
            b.iter(|| parse_iptables_save(black_box(&text), &opts()))
        });
    }
    let nft = gen(Shape::KubeProxy, 10_000, Syntax::Nft);
    g.throughput(Throughput::Bytes(nft.len() as u64));
    g.bench_function("nft-text/kube-proxy-10k", |b| {
        b.iter(|| parse_nft_text(black_box(&nft), &opts()))
    });
    let native = gen(Shape::Native, 2_000, Syntax::Nft);
    g.throughput(Throughput::Bytes(native.len() as u64));
    g.bench_function("nft-text/native-2k-endpoints", |b| {
        b.iter(|| parse_nft_text(black_box(&native), &opts()))
    });
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");
    let captured = format!("{root}/target/bench-data/kp100k.nft.json");
    let (label, json) = match std::fs::read_to_string(&captured) {
        Ok(j) => ("nft-json/kube-proxy-100k", j),
        Err(_) => {
            eprintln!("{captured} absent (scripts/bench.sh captures it); using testdata");
            let small = format!("{root}/testdata/calico/nft.json");
            (
                "nft-json/testdata-calico",
                std::fs::read_to_string(&small).expect("testdata/calico/nft.json is in the repo"),
            )
        }
    };
    g.throughput(Throughput::Bytes(json.len() as u64));
    g.bench_function(label, |b| {
        b.iter(|| parse_nft_json(black_box(&json), &opts()))
    });
    g.finish();
}

fn normalize(c: &mut Criterion) {
    let mut g = c.benchmark_group("normalize");
    g.sample_size(10);
    let rs = ipt(&gen(Shape::KubeProxy, 10_000, Syntax::IptablesSave));
    g.throughput(Throughput::Elements(10_000));
    g.bench_function("kube-proxy-10k", |b| {
        b.iter_batched(
            || rs.clone(),
            |mut r| {
                r.normalize();
                r
            },
            BatchSize::LargeInput,
        )
    });
    g.finish();
}

fn diff(c: &mut Criterion) {
    let mut g = c.benchmark_group("diff");
    g.sample_size(10).measurement_time(Duration::from_secs(4));
    for (label, n) in [("10k", 10_000), ("100k", 100_000)] {
        let text = gen(Shape::KubeProxy, n, Syntax::IptablesSave);
        let old = ipt(&text);
        let new = ipt(&one_percent_changed(&text));
        g.throughput(Throughput::Elements(n as u64));
        g.bench_function(format!("kube-proxy-{label}-1pct"), |b| {
            b.iter(|| diff_rulesets(black_box(&old), black_box(&new), &DiffOptions::default()))
        });
    }
    g.finish();
}

fn trace(c: &mut Criterion) {
    let mut g = c.benchmark_group("trace");
    g.sample_size(20);
    let rs = ipt(&gen(Shape::KubeProxy, 100_000, Syntax::IptablesSave));
    let idx = TraceIndex::new(&rs);
    let topts = TraceOptions::default();
    // A service address near the end of KUBE-SERVICES, and one that matches no service.
    for (label, dst, dport) in [
        ("to-service", "10.96.1.88", 5787),
        ("no-service", "10.200.0.1", 80),
    ] {
        let mut pkt = Packet::new(addr("10.244.1.2"), addr(dst));
        pkt.iif = Some("eth0".into());
        pkt.oif = Some("eth1".into());
        pkt.proto = Some(Protocol::TCP);
        pkt.sport = Some(40000);
        pkt.dport = Some(dport);
        g.throughput(Throughput::Elements(1));
        g.bench_function(format!("kube-proxy-100k/{label}"), |b| {
            b.iter(|| idx.trace(black_box(&pkt), &topts))
        });
    }
    g.bench_function("kube-proxy-100k/build-index", |b| {
        b.iter(|| TraceIndex::new(black_box(&rs)))
    });
    g.finish();
}

fn reach(c: &mut Criterion) {
    let mut g = c.benchmark_group("reach");
    g.sample_size(10).measurement_time(Duration::from_secs(4));
    for (label, endpoints) in [("1k", 1_000), ("10k", 10_000)] {
        let rs = ipt(&gen(Shape::Calico, endpoints, Syntax::IptablesSave));
        let idx = TraceIndex::new(&rs);
        let mut pkt = Packet::new(addr("10.65.0.5"), addr("10.96.1.7"));
        pkt.oif = Some("eth0".into());
        pkt.proto = Some(Protocol::TCP);
        pkt.dport = Some(443);
        let pattern = IfacePattern::from_iptables("cali+");
        g.throughput(Throughput::Elements(endpoints as u64));
        g.bench_function(format!("calico-{label}-endpoints/iif-cali+"), |b| {
            b.iter(|| idx.reach(black_box(&pattern), &pkt, &TraceOptions::default()))
        });
    }
    g.finish();
}

criterion_group!(benches, parsers, normalize, diff, trace, reach);
criterion_main!(benches);
