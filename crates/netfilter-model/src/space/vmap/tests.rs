//! Verdict maps split flows by their elements: inline and named maps, wildcards, intervals,
//! concatenated keys, `ct state`, the catch-all, and undecidable keys as *may*.

use crate::model::{CtStateSet, IfacePattern, Protocol};
use crate::space::test_support::{fates, part, rs};
use crate::space::{Certainty, SpaceQuery};
use crate::trace::{FinalVerdict, TracePath};

fn iif(q: SpaceQuery, name: &str) -> SpaceQuery {
    q.with_iif(IfacePattern::Exact(name.into()))
}

const DISPATCH: &str = r#"
table inet t {
    map dispatch {
        type ifname : verdict
        elements = { "cali1" : jump pod1, "cali2" : goto pod2, "eth*" : drop }
    }
    chain fwd {
        type filter hook forward priority 0; policy drop;
        iifname vmap @dispatch
        iifname vmap { "lo" : accept, "veth*" : continue, "tun0" : return }
        accept
    }
    chain pod1 {
        tcp dport 80 accept
    }
    chain pod2 {
        tcp dport 443 accept
        return
    }
}
"#;

#[test]
fn interface_maps_dispatch_exactly() {
    let r = rs(DISPATCH);
    let q = SpaceQuery::new(TracePath::Forward).with_proto(vec![Protocol::TCP]);
    // Every class is decided: no verdict map leaves a packet open.
    let all = part(&r, &q);
    assert!(
        all.classes.iter().all(|c| c.certainty == Certainty::Must),
        "{:?}",
        fates(&all)
    );
    let one = |name: &str| fates(&part(&r, &iif(q.clone(), name)));
    // Jumped to pod1: port 80 accepted there, the rest returns and meets the next map's miss,
    // then the final accept.
    assert_eq!(
        one("cali1"),
        ["must accept by [fwd 3]", "must accept by [pod1 1]"]
    );
    // Goto pod2: 443 accepted, the rest returns from pod2 to the base chain's policy.
    assert_eq!(
        one("cali2"),
        ["must accept by [pod2 1]", "must drop by [fwd policy]"]
    );
    assert_eq!(one("eth7"), ["must drop by [fwd 1]"]);
    assert_eq!(one("lo"), ["must accept by [fwd 2]"]);
    // `continue` goes on to the next rule; `return` in a base chain meets the policy.
    assert_eq!(one("veth3"), ["must accept by [fwd 3]"]);
    assert_eq!(one("tun0"), ["must drop by [fwd policy]"]);
    assert_eq!(one("wg0"), ["must accept by [fwd 3]"]);
}

#[test]
fn concatenated_interval_keys_and_catch_all() {
    let r = rs(r#"
table ip t {
    map m {
        type ipv4_addr . inet_service : verdict
        flags interval
        elements = { 10.0.0.0/8 . 22 : accept, 10.1.0.0/16 . 80-90 : drop, 192.168.0.1-192.168.0.9 . 53 : accept }
    }
    chain fwd {
        type filter hook forward priority 0; policy accept;
        ip saddr . tcp dport vmap @m
        meta mark vmap { 0x1 : drop, * : accept }
    }
}
"#);
    let q = SpaceQuery::new(TracePath::Forward);
    let p = part(&r, &q);
    assert!(p.classes.iter().all(|c| c.certainty == Certainty::Must));
    assert_eq!(
        fates(&p),
        [
            "must accept by []",
            "must accept by [fwd 1]",
            "must accept by [fwd 2]",
            "must drop by [fwd 1]",
            "must drop by [fwd 2]",
        ]
    );
    // A witness of the map's drop is TCP from 10.1/16 to a port in 80-90.
    let drop = p
        .classes
        .iter()
        .find(|c| c.verdict == FinalVerdict::Drop && c.deciding[0].index == Some(1))
        .expect("the map's drop class");
    let w = &drop.witness;
    assert_eq!(w.proto, Some(Protocol::TCP));
    assert!(w.src.to_string().starts_with("10.1."), "{w:?}");
    assert!((80..=90).contains(&w.dport.expect("port")), "{w:?}");
}

#[test]
fn ct_state_map_follows_each_state() {
    let r = rs(r#"
table inet t {
    chain input {
        type filter hook input priority 0; policy drop;
        ct state vmap { established : accept, related : accept, invalid : drop }
        tcp dport 22 accept
    }
}
"#);
    let q = SpaceQuery::new(TracePath::Input);
    let p = part(&r, &q);
    assert!(p.classes.iter().all(|c| c.certainty == Certainty::Must));
    assert_eq!(
        fates(&p),
        [
            "must accept by [input 1]",
            "must accept by [input 2]",
            "must drop by [input 1]",
            "must drop by [input policy]",
        ]
    );
    let est = q.clone().with_ct_state(CtStateSet(CtStateSet::ESTABLISHED));
    assert_eq!(fates(&part(&r, &est)), ["must accept by [input 1]"]);
}

#[test]
fn random_keys_and_missing_maps_stay_open() {
    let r = rs(r#"
table ip t {
    chain fwd {
        type filter hook forward priority 0; policy accept;
        numgen random mod 2 vmap { 0 : drop, 1 : accept }
    }
}
"#);
    let p = part(&r, &SpaceQuery::new(TracePath::Forward));
    assert_eq!(
        fates(&p),
        // IPv6 packets meet no chain of an `ip` table.
        [
            "may accept by [fwd 1]",
            "may drop by [fwd 1]",
            "must accept by []"
        ]
    );
    let may = p.classes.iter().find(|c| c.certainty == Certainty::May);
    let why = &may.expect("a may class").reasons;
    assert!(why.iter().any(|r| r.contains("random")), "{why:?}");
    let r = rs(r#"
table ip t {
    chain fwd {
        type filter hook forward priority 0; policy accept;
        iifname vmap @absent
    }
}
"#);
    let p = part(&r, &SpaceQuery::new(TracePath::Forward));
    assert!(p
        .classes
        .iter()
        .any(|c| c.certainty == Certainty::May && c.verdict == FinalVerdict::Drop));
}

#[test]
fn protocol_keys_and_transport_ports() {
    let r = rs(r#"
table inet t {
    chain fwd {
        type filter hook forward priority 0; policy accept;
        meta l4proto vmap { tcp : jump tcp_in, 17 : drop }
        th dport vmap { 53 : drop }
    }
    chain tcp_in {
        tcp dport 22 drop
    }
}
"#);
    let q = SpaceQuery::new(TracePath::Forward);
    let proto = |p: Protocol| fates(&part(&r, &q.clone().with_proto(vec![p])));
    assert_eq!(
        proto(Protocol::TCP),
        [
            "must accept by [fwd policy]",
            "must drop by [fwd 2]",
            "must drop by [tcp_in 1]",
        ]
    );
    assert_eq!(proto(Protocol::UDP), ["must drop by [fwd 1]"]);
    // ICMP has no ports: what `th dport` reads is not known.
    assert_eq!(
        proto(Protocol::ICMP),
        ["may accept by [fwd policy]", "may drop by [fwd 2]"]
    );
}

#[test]
fn portless_packets_miss_elements_of_other_protocols() {
    // kube-proxy's nftables mode keys its service map so.
    let r = rs(r#"
table inet t {
    chain fwd {
        type filter hook forward priority 0; policy accept;
        ip daddr . meta l4proto . th dport vmap { 10.0.0.1 . tcp . 80 : drop, 10.0.0.2 . 47 . 0 : drop }
    }
}
"#);
    let q = SpaceQuery::new(TracePath::Forward);
    let proto = |p: Protocol| fates(&part(&r, &q.clone().with_proto(vec![p])));
    assert_eq!(
        proto(Protocol::TCP),
        ["must accept by [fwd policy]", "must drop by [fwd 1]"]
    );
    // ICMP to 10.0.0.1 misses the TCP element whatever it has where ports would be.
    assert_eq!(proto(Protocol::ICMP), ["must accept by [fwd policy]"]);
    // GRE to 10.0.0.2 may be the GRE element's.
    let gre = part(&r, &q.clone().with_proto(vec![Protocol::GRE]));
    assert_eq!(
        fates(&gre),
        [
            "may accept by [fwd policy]",
            "may drop by [fwd 1]",
            "must accept by [fwd policy]",
        ]
    );
    let may = gre
        .classes
        .iter()
        .find(|c| c.certainty == Certainty::May)
        .expect("may class");
    assert_eq!(may.witness.dst.to_string(), "10.0.0.2");
}
