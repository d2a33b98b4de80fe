//! Timing smoke tests on large Calico-shaped rulesets (ignored by default; run with
//! `cargo test --release -p netfilter-model --test all perf -- --ignored --nocapture`).

use std::time::Instant;

use netfilter_model::model::{Backend, IfacePattern};
use netfilter_model::trace::{FinalVerdict, TraceIndex, TraceOptions};

use super::builder::ruleset;
use super::scenarios::{calico_filter, calico_nat, pod_packet};

#[test]
#[ignore]
fn perf_calico_10k_endpoints() {
    let eps: Vec<String> = (0..10_000).map(|i| format!("cali{i:011x}")).collect();
    let refs: Vec<&str> = eps.iter().map(String::as_str).collect();
    let rs = ruleset(vec![
        calico_filter(Backend::Legacy, &refs),
        calico_nat(Backend::Legacy),
        calico_filter(Backend::Nft, &refs[..9_000]),
        calico_nat(Backend::Nft),
    ]);
    eprintln!("rules: {}", rs.rule_count());
    let t = Instant::now();
    let idx = TraceIndex::new(&rs);
    eprintln!("index: {:?}", t.elapsed());
    let mut pkt = pod_packet();
    pkt.iif = Some(eps[9_500].clone());
    let t = Instant::now();
    let n = 200;
    for _ in 0..n {
        let rep = idx.trace(&pkt, &TraceOptions::default()).unwrap();
        assert_eq!(rep.verdict, FinalVerdict::Drop);
    }
    eprintln!(
        "trace (dropped, with overruled check): {:?} per packet",
        t.elapsed() / n
    );
    pkt.iif = Some(eps[5_000].clone());
    let t = Instant::now();
    for _ in 0..n {
        idx.trace(&pkt, &TraceOptions::default()).unwrap();
    }
    eprintln!("trace (accepted): {:?} per packet", t.elapsed() / n);
    let t = Instant::now();
    let r = idx
        .reach(
            &IfacePattern::Prefix("cali".into()),
            &pkt,
            &TraceOptions::default(),
        )
        .unwrap();
    eprintln!("reach: {} classes in {:?}", r.classes.len(), t.elapsed());
}

#[test]
#[ignore]
fn perf_100k_address_rules_in_one_chain() {
    use netfilter_model::model::{ChainType, Family, Hook, Policy};

    use super::builder::{base, r, table};
    let rules = (0..100_000u32)
        .map(|i| {
            let a = std::net::Ipv4Addr::from(0x0b00_0000 + i);
            r().src(&format!("{a}/32")).dports("tcp", &[22]).drop()
        })
        .collect();
    let rs = ruleset(vec![table(
        Backend::Nft,
        Family::Ip,
        "t",
        vec![base(
            "fwd",
            ChainType::Filter,
            Hook::Forward,
            0,
            Policy::Accept,
            rules,
        )],
    )]);
    let idx = TraceIndex::new(&rs);
    let pkt = pod_packet();
    let n = 50;
    let t = Instant::now();
    for _ in 0..n {
        let rep = idx.trace(&pkt, &TraceOptions::default()).unwrap();
        assert_eq!(rep.verdict, FinalVerdict::Accept);
    }
    eprintln!(
        "trace over 100k non-matching address rules: {:?} per packet",
        t.elapsed() / n
    );
}
