//! Measures the tracer on a ruleset file: per-packet trace time with one `TraceIndex`, or
//! the time of one `reach` over every interface class (median of repeated runs).
//!
//! `cargo run --release -p netfilter-model --example trace_throughput -- trace FILE [PACKETS]`
//! `cargo run --release -p netfilter-model --example trace_throughput -- reach FILE PATTERN [RUNS]`
//!
//! Prints one line `key=value ...` that `scripts/bench.sh` reads.

use std::net::{IpAddr, Ipv4Addr};
use std::time::Instant;

use netfilter_model::model::{IfacePattern, Protocol};
use netfilter_model::parse::{parse_text, ParseOptions};
use netfilter_model::trace::{Packet, TraceIndex, TraceOptions};

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let usage = "usage: trace_throughput trace FILE [PACKETS] | reach FILE PATTERN [RUNS]";
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (mode, path) = match (args.first(), args.get(1)) {
        (Some(m), Some(p)) => (m.as_str(), p.as_str()),
        _ => return Err(usage.into()),
    };
    let bytes = std::fs::read(path)?;
    let text = String::from_utf8_lossy(&bytes);
    let t0 = Instant::now();
    let rs = parse_text(&text, &ParseOptions::new(path))?;
    let parse_ms = t0.elapsed().as_secs_f64() * 1e3;
    let t1 = Instant::now();
    let idx = TraceIndex::new(&rs);
    let index_ms = t1.elapsed().as_secs_f64() * 1e3;
    let opts = TraceOptions::default();
    match mode {
        "trace" => {
            let n: usize = args.get(2).map_or(Ok(2000), |s| s.parse())?;
            // Packets to service-range addresses (some hit a service, most fall through
            // KUBE-SERVICES to its end), ports spread over the generator's range.
            let mut per_packet = Vec::with_capacity(n);
            for i in 0..n.max(1) {
                let dst = Ipv4Addr::new(10, 96, (i / 250 % 64) as u8, (i % 250 + 1) as u8);
                let mut pkt =
                    Packet::new(IpAddr::V4(Ipv4Addr::new(10, 244, 1, 2)), IpAddr::V4(dst));
                pkt.iif = Some("eth0".into());
                pkt.oif = Some("eth1".into());
                pkt.proto = Some(if i % 2 == 0 {
                    Protocol::TCP
                } else {
                    Protocol::UDP
                });
                pkt.sport = Some(40000);
                pkt.dport = Some((i * 37 % 8000) as u16 + 1);
                let t = Instant::now();
                idx.trace(&pkt, &opts)?;
                per_packet.push(t.elapsed().as_secs_f64() * 1e3);
            }
            let total: f64 = per_packet.iter().sum();
            let max = per_packet.iter().copied().fold(0.0, f64::max);
            println!(
                "rules={} parse_ms={parse_ms:.1} index_ms={index_ms:.1} packets={} \
                 median_ms_per_packet={:.4} mean_ms_per_packet={:.4} max_ms={max:.3} packets_per_s={:.0}",
                rs.rule_count(),
                per_packet.len(),
                median(per_packet.clone()),
                total / per_packet.len() as f64,
                per_packet.len() as f64 / (total / 1e3),
            );
        }
        "reach" => {
            let pattern = IfacePattern::from_iptables(args.get(2).ok_or(usage)?);
            let runs: usize = args.get(3).map_or(Ok(5), |s| s.parse())?;
            let mut pkt = Packet::new(
                IpAddr::V4(Ipv4Addr::new(10, 65, 0, 5)),
                IpAddr::V4(Ipv4Addr::new(10, 96, 1, 7)),
            );
            pkt.oif = Some("eth0".into());
            pkt.proto = Some(Protocol::TCP);
            pkt.dport = Some(443);
            let mut times = Vec::new();
            let mut classes = 0;
            for _ in 0..runs.max(1) {
                let t = Instant::now();
                let rep = idx.reach(&pattern, &pkt, &opts)?;
                times.push(t.elapsed().as_secs_f64() * 1e3);
                classes = rep.classes.len();
            }
            println!(
                "rules={} parse_ms={parse_ms:.1} index_ms={index_ms:.1} classes={classes} \
                 median_reach_ms={:.1}",
                rs.rule_count(),
                median(times)
            );
        }
        _ => return Err(usage.into()),
    }
    Ok(())
}
