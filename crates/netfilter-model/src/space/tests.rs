//! Engine tests on small rulesets and the bundled incident: predicates of each field,
//! jump/goto/return, policies, both backends at one hook, may-splits, DNAT seen by later
//! hooks, marks, witnesses.

use crate::model::{AddrSpec, CtStateSet, IfacePattern, PortRange, Protocol, Ruleset};
use crate::parse::{parse_text, ParseOptions};
use crate::trace::{FinalVerdict, TracePath};

use super::test_support::{fate_lines, part, rs};
use super::*;

fn read(path: &str) -> Ruleset {
    let full = format!("{}/../../{path}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&full).expect("testdata file");
    parse_text(&text, &ParseOptions::new(path)).expect("testdata parses")
}

fn net(s: &str) -> Vec<AddrSpec> {
    vec![AddrSpec::net(s.parse().expect("prefix"))]
}

fn ports(p: u16) -> Vec<PortRange> {
    vec![PortRange::single(p)]
}

/// One packet, as a query that pins every field rules test here.
fn pkt(iif: &str, src: &str, dst: &str, proto: u8, dport: u16) -> SpaceQuery {
    SpaceQuery::new(TracePath::Forward)
        .with_iif(IfacePattern::Exact(iif.into()))
        .with_oif(IfacePattern::Exact("eth1".into()))
        .with_src(net(src))
        .with_dst(net(dst))
        .with_proto(vec![Protocol(proto)])
        .with_sport(if Protocol(proto).has_ports() {
            ports(40000)
        } else {
            Vec::new()
        })
        .with_dport(if Protocol(proto).has_ports() {
            ports(dport)
        } else {
            Vec::new()
        })
        .with_ct_state(CtStateSet(CtStateSet::NEW))
        .with_mark(0)
}

/// The fates of a query's packets: `must accept by [chain rule N]`, one per class.
fn fates(r: &Ruleset, q: &SpaceQuery) -> Vec<String> {
    fate_lines(&part(r, q))
}

fn one(r: &Ruleset, q: &SpaceQuery) -> String {
    let f = fates(r, q);
    assert_eq!(f.len(), 1, "{f:?}");
    f[0].clone()
}

const JUMPS: &str = r#"table ip f {
	chain fwd {
		type filter hook forward priority 0; policy drop;
		iifname "eth0" jump sub
		tcp dport 22 accept
	}
	chain sub {
		tcp dport 80 accept
		tcp dport 81 return
		udp dport 53 goto sub2
	}
	chain sub2 {
		ip saddr 10.0.0.0/8 accept
	}
}
"#;

#[test]
fn jump_goto_return_and_policy() {
    let r = rs(JUMPS);
    let at = |iif: &str, src: &str, proto: u8, dport: u16| {
        one(&r, &pkt(iif, src, "192.0.2.1/32", proto, dport))
    };
    assert_eq!(at("eth0", "1.1.1.1/32", 6, 80), "must accept by [sub 1]");
    assert_eq!(at("eth0", "1.1.1.1/32", 6, 81), "must drop by [fwd policy]");
    assert_eq!(at("eth0", "10.1.1.1/32", 17, 53), "must accept by [sub2 1]");
    // The goto's chain returns to fwd's caller position: on to `tcp dport 22`, then policy.
    assert_eq!(
        at("eth0", "1.1.1.1/32", 17, 53),
        "must drop by [fwd policy]"
    );
    assert_eq!(at("eth1", "1.1.1.1/32", 6, 22), "must accept by [fwd 2]");
    // The whole space: every fate, each class's witness traced by the concrete tracer.
    let all = fates(&r, &SpaceQuery::new(TracePath::Forward));
    for want in [
        "must accept by [sub 1]",
        "must accept by [sub2 1]",
        "must accept by [fwd 2]",
        "must drop by [fwd policy]",
    ] {
        assert!(all.iter().any(|f| f == want), "{want} not in {all:?}");
    }
}

#[test]
fn each_field_compiles() {
    // (rule, a packet it matches, a packet it does not).
    let cases: &[(&str, SpaceQuery, SpaceQuery)] = &[
        (
            r#"iifname "cali*""#,
            pkt("cali123", "1.1.1.1/32", "2.2.2.2/32", 6, 80),
            pkt("eth0", "1.1.1.1/32", "2.2.2.2/32", 6, 80),
        ),
        (
            "ip saddr 10.0.0.0/8",
            pkt("eth0", "10.9.9.9/32", "2.2.2.2/32", 6, 80),
            pkt("eth0", "11.0.0.0/32", "2.2.2.2/32", 6, 80),
        ),
        (
            "ip daddr 192.0.2.0-192.0.2.9",
            pkt("eth0", "1.1.1.1/32", "192.0.2.9/32", 6, 80),
            pkt("eth0", "1.1.1.1/32", "192.0.2.10/32", 6, 80),
        ),
        (
            "tcp dport 1024-65535",
            pkt("eth0", "1.1.1.1/32", "2.2.2.2/32", 6, 1024),
            pkt("eth0", "1.1.1.1/32", "2.2.2.2/32", 6, 1023),
        ),
        (
            "meta l4proto udp",
            pkt("eth0", "1.1.1.1/32", "2.2.2.2/32", 17, 53),
            pkt("eth0", "1.1.1.1/32", "2.2.2.2/32", 6, 53),
        ),
        (
            "icmp type echo-request",
            pkt("eth0", "1.1.1.1/32", "2.2.2.2/32", 1, 0).with_icmp_type(8),
            pkt("eth0", "1.1.1.1/32", "2.2.2.2/32", 1, 0).with_icmp_type(0),
        ),
        (
            "ct state established,related",
            pkt("eth0", "1.1.1.1/32", "2.2.2.2/32", 6, 80)
                .with_ct_state(CtStateSet(CtStateSet::ESTABLISHED)),
            pkt("eth0", "1.1.1.1/32", "2.2.2.2/32", 6, 80),
        ),
        (
            "meta mark & 0x0000ff00 == 0x00000100",
            pkt("eth0", "1.1.1.1/32", "2.2.2.2/32", 6, 80).with_mark(0x1_0100),
            pkt("eth0", "1.1.1.1/32", "2.2.2.2/32", 6, 80),
        ),
        (
            "ip saddr @allowed",
            pkt("eth0", "10.0.0.7/32", "2.2.2.2/32", 6, 80),
            pkt("eth0", "10.0.0.8/32", "2.2.2.2/32", 6, 80),
        ),
    ];
    for (rule, yes, no) in cases {
        let text = format!(
            "table ip f {{\n\tset allowed {{\n\t\ttype ipv4_addr\n\t\telements = {{ 10.0.0.7 }}\n\t}}\n\tchain fwd {{\n\t\ttype filter hook forward priority 0; policy accept;\n\t\t{rule} drop\n\t}}\n}}\n"
        );
        let r = rs(&text);
        assert_eq!(one(&r, yes), "must drop by [fwd 1]", "{rule} should match");
        assert_eq!(
            one(&r, no),
            "must accept by [fwd policy]",
            "{rule} should not match"
        );
    }
}

#[test]
fn undecidable_matches_split_into_may() {
    let r = rs("*filter\n:FORWARD ACCEPT [0:0]\n-A FORWARD -p tcp -m statistic --mode random --probability 0.5 -j DROP\nCOMMIT\n");
    let f = fates(&r, &pkt("eth0", "1.1.1.1/32", "2.2.2.2/32", 6, 80));
    assert_eq!(
        f,
        ["may accept by [FORWARD policy]", "may drop by [FORWARD 1]"]
    );
    let p = partition(&r, &pkt("eth0", "1.1.1.1/32", "2.2.2.2/32", 6, 80)).expect("partition");
    assert!(
        p.classes[1].reasons.iter().any(|r| r.contains("random")),
        "{:?}",
        p.classes[1].reasons
    );
    // UDP never reaches the undecidable match.
    assert_eq!(
        one(&r, &pkt("eth0", "1.1.1.1/32", "2.2.2.2/32", 17, 53)),
        "must accept by [FORWARD policy]"
    );
}

const DNAT: &str = r#"table ip nat {
	chain pre {
		type nat hook prerouting priority dstnat; policy accept;
		ip daddr 192.0.2.1 tcp dport 80 dnat to 10.0.0.5:8080
	}
}
table ip filter {
	chain fwd {
		type filter hook forward priority 0; policy drop;
		ip daddr 10.0.0.5 tcp dport 8080 accept
	}
}
"#;

#[test]
fn dnat_is_seen_by_later_hooks() {
    let r = rs(DNAT);
    let q = pkt("eth0", "1.1.1.1/32", "192.0.2.1/32", 6, 80);
    assert_eq!(one(&r, &q), "must accept by [fwd 1]");
    // Not the first packet: the nat chain does not run, the address stays.
    let est = q.clone().with_ct_state(CtStateSet(CtStateSet::ESTABLISHED));
    assert_eq!(one(&r, &est), "must drop by [fwd policy]");
}

#[test]
fn marks_flow_between_backends() {
    let mut r = rs("*mangle\n:PREROUTING ACCEPT [0:0]\n-A PREROUTING -i eth0 -j MARK --set-xmark 0x4000/0x4000\nCOMMIT\n");
    r.extend(rs(r#"table ip filter {
	chain fwd {
		type filter hook forward priority 0; policy drop;
		meta mark & 0x00004000 == 0x00004000 accept
	}
}
"#));
    assert_eq!(
        one(&r, &pkt("eth0", "1.1.1.1/32", "2.2.2.2/32", 6, 80)),
        "must accept by [fwd 1]"
    );
    assert_eq!(
        one(&r, &pkt("eth2", "1.1.1.1/32", "2.2.2.2/32", 6, 80)),
        "must drop by [fwd policy]"
    );
}

#[test]
fn incident_backends_disagree_on_the_new_pod() {
    let legacy = read("testdata/incident/legacy.save");
    let mut both = legacy.clone();
    both.extend(read("testdata/incident/nft.save"));
    let new_pod = SpaceQuery::new(TracePath::Forward)
        .with_iif(IfacePattern::Exact("cali9f8e7d6c5b4".into()))
        .with_oif(IfacePattern::Exact("eth0".into()))
        .with_proto(vec![Protocol::TCP])
        .with_ct_state(CtStateSet(CtStateSet::NEW));
    // Legacy alone accepts the new pod's traffic; with the stale nf_tables copy the node
    // drops it at nft's dispatch chain.
    let alone = fates(&legacy, &new_pod);
    assert!(
        alone.iter().all(|f| f.starts_with("must accept")),
        "{alone:?}"
    );
    let f = fates(&both, &new_pod);
    assert!(
        f.iter()
            .any(|f| f.starts_with("must drop") && f.contains("cali-from-wl-dispatch 3")),
        "{f:?}"
    );
    let d =
        semantic_diff(&legacy, &both, &SpaceQuery::new(TracePath::Forward), false).expect("diff");
    assert!(!d.is_equivalent());
    assert!(d.differences.iter().any(|c| {
        c.witness.iif.as_deref() == Some("cali9f8e7d6c5b4")
            && c.old.verdict == FinalVerdict::Accept
            && c.new.verdict == FinalVerdict::Drop
    }));
    let same =
        semantic_diff(&legacy, &legacy, &SpaceQuery::new(TracePath::Forward), true).expect("diff");
    assert!(same.is_equivalent());
}

#[test]
fn witnesses_take_natural_values() {
    let r = rs(JUMPS);
    let p = partition(&r, &SpaceQuery::new(TracePath::Forward)).expect("partition");
    let c = p
        .classes
        .iter()
        .find(|c| c.deciding.first().is_some_and(|d| d.chain == "sub"))
        .expect("the sub chain's class");
    let w = &c.witness;
    assert_eq!(w.iif.as_deref(), Some("eth0"));
    assert_eq!((w.proto, w.dport), (Some(Protocol::TCP), Some(80)));
    assert_eq!(w.sport, Some(40000));
    assert_eq!(w.ct_state, CtStateSet::NEW);
    assert_eq!(w.mark, 0);
    assert_eq!(c.cubes.len(), 1);
    assert_eq!(
        c.cubes[0].to_string(),
        r#"meta nfproto ipv4 iifname "eth0" meta l4proto tcp tcp dport 80"#
    );
}
