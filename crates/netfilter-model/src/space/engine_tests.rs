//! Tests of the packet-space engine on small rulesets: each field's predicate, chain
//! control flow, policies, two backends at one hook, may-splits, NAT seen by later hooks.

use crate::model::{AddrSpec, IfacePattern, PortRange, Protocol, Ruleset};
use crate::parse::{parse_text, ParseOptions};
use crate::trace::{FinalVerdict, TracePath};

use super::{partition, self_check, semantic_diff, Certainty, PacketClass, SpaceQuery};

fn nft(body: &str) -> Ruleset {
    parse_text(body, &ParseOptions::new("test.nft")).expect("valid nft text")
}

fn fwd(chain_body: &str) -> Ruleset {
    nft(&format!(
        "table ip filter {{\n chain forward {{\n  type filter hook forward priority filter; policy accept;\n{chain_body}\n }}\n}}\n"
    ))
}

fn q() -> SpaceQuery {
    let mut q = SpaceQuery::new(TracePath::Forward);
    // IPv4 only: the `ip` tables do not see IPv6.
    q.src = vec![AddrSpec::net("0.0.0.0/0".parse().unwrap())];
    q
}

fn text(c: &PacketClass) -> String {
    c.cubes
        .iter()
        .map(|c| c.to_string())
        .collect::<Vec<_>>()
        .join(" | ")
}

fn by_verdict(p: &[PacketClass], v: FinalVerdict) -> Vec<&PacketClass> {
    p.iter().filter(|c| c.verdict == v).collect()
}

/// Every must class's witness gets the class's fate from the tracer.
fn checked(rs: &Ruleset, q: &SpaceQuery) {
    let (fails, n) = self_check(rs, q).expect("self-check runs");
    assert!(n > 0, "no must class to check");
    assert!(fails.is_empty(), "{fails:#?}");
}

#[test]
fn address_prefix_and_ports() {
    let rs = fwd("  ip saddr 10.0.0.0/8 tcp dport 1024-65535 drop");
    let p = partition(&rs, &q()).unwrap();
    let drops = by_verdict(&p.classes, FinalVerdict::Drop);
    assert_eq!(drops.len(), 1);
    assert_eq!(drops[0].certainty, Certainty::Must);
    assert_eq!(text(drops[0]), "ip saddr 10.0.0.0/8 tcp dport 1024-65535");
    let w = &drops[0].witness;
    assert!(AddrSpec::net("10.0.0.0/8".parse().unwrap()).contains(&w.src));
    assert_eq!(w.proto, Some(Protocol::TCP));
    assert!(w.dport.unwrap() >= 1024);
    assert_eq!(drops[0].deciding[0].index, Some(1));
    checked(&rs, &q());
}

#[test]
fn each_field_compiles() {
    for (rule, want) in [
        ("iifname \"cali*\" drop", "iifname \"cali*\""),
        ("oifname \"eth0\" drop", "oifname \"eth0\""),
        ("ip daddr 192.0.2.0/24 drop", "ip daddr 192.0.2.0/24"),
        ("meta l4proto udp drop", "meta l4proto udp"),
        ("udp sport 53 drop", "udp sport 53"),
        ("icmp type echo-request drop", "icmp type 8"),
        (
            "ct state established,related drop",
            "ct state { established, related }",
        ),
        ("meta mark 0x10 drop", "meta mark 0x10"),
        ("meta mark & 0xff == 0x1 drop", "meta mark & 0xff == 0x1"),
        ("ct mark 0x5 drop", "ct mark 0x5"),
        ("tcp flags syn drop", "tcp flags & 0x2 == 0x2"),
    ] {
        let rs = fwd(&format!("  {rule}"));
        let p = partition(&rs, &q()).unwrap();
        let drops = by_verdict(&p.classes, FinalVerdict::Drop);
        assert_eq!(drops.len(), 1, "{rule}: {p:#?}");
        let t = text(drops[0]);
        assert!(t.contains(want), "{rule}: `{t}` lacks `{want}`");
        assert_eq!(drops[0].certainty, Certainty::Must, "{rule}");
    }
}

#[test]
fn jump_goto_return_and_policy() {
    let rs = nft("table ip filter {
 chain forward {
  type filter hook forward priority filter; policy drop;
  ip saddr 10.0.0.0/8 jump allow
  ip saddr 10.0.0.0/8 tcp dport 22 accept
  ip saddr 172.16.0.0/12 goto allow
  udp dport 53 accept
 }
 chain allow {
  tcp dport 22 return
  tcp dport 80 accept
 }
}
");
    let p = partition(&rs, &q()).unwrap();
    let acc: Vec<String> = by_verdict(&p.classes, FinalVerdict::Accept)
        .iter()
        .map(|c| format!("{} => {}", text(c), c.deciding[0].rule))
        .collect();
    // 10/8 port 80: accepted in `allow`; port 22 returns and the next rule accepts it.
    assert!(
        acc.iter().any(
            |a| a.contains("ip saddr { 10.0.0.0/8, 172.16.0.0/12 } tcp dport 80")
                && a.ends_with("tcp dport 80 accept")
        ),
        "{acc:#?}"
    );
    assert!(
        acc.iter()
            .any(|a| a.contains("ip saddr 10.0.0.0/8 tcp dport 22")
                && a.ends_with("tcp dport 22 accept")),
        "{acc:#?}"
    );
    // 172.16/12 port 22 returns from the goto: the base chain's policy drops it.
    let drops = by_verdict(&p.classes, FinalVerdict::Drop);
    assert!(drops.iter().all(|c| c.deciding[0].policy), "{drops:#?}");
    let w172 = drops
        .iter()
        .flat_map(|c| c.cubes.iter().map(|x| x.to_string()))
        .any(|t| t.contains("ip saddr 172.16.0.0/12 tcp dport 0-63"));
    assert!(w172, "{drops:#?}");
    checked(&rs, &q());
}

#[test]
fn two_backends_at_one_hook_the_incident() {
    let legacy = parse_text(
        "*filter\n:FORWARD ACCEPT [0:0]\n-A FORWARD -i cali+ -j ACCEPT\nCOMMIT\n",
        &ParseOptions::new("legacy.save"),
    )
    .unwrap();
    let nftrs = parse_text(
        "# Generated by iptables-nft-save v1.8.9 (nf_tables)\n*filter\n:FORWARD ACCEPT [0:0]\n:cali-from-wl-dispatch - [0:0]\n-A FORWARD -i cali+ -j cali-from-wl-dispatch\n-A cali-from-wl-dispatch -i cali1234 -j ACCEPT\n-A cali-from-wl-dispatch -m comment --comment \"Unknown interface\" -j DROP\nCOMMIT\n",
        &ParseOptions::new("nft.save"),
    )
    .unwrap();
    let mut both = legacy.clone();
    both.tables.extend(nftrs.tables.clone());
    let mut query = q();
    query.iif = Some(IfacePattern::Prefix("cali".into()));
    query.ct_state = Some(crate::model::CtStateSet(crate::model::CtStateSet::NEW));
    let p = partition(&both, &query).unwrap();
    let drops = by_verdict(&p.classes, FinalVerdict::Drop);
    assert_eq!(drops.len(), 1, "{p:#?}");
    assert_eq!(drops[0].certainty, Certainty::Must);
    assert_eq!(
        drops[0].deciding[0].comment.as_deref(),
        Some("Unknown interface")
    );
    assert!(
        text(drops[0]).contains("\"cali*\" (other)"),
        "{}",
        text(drops[0])
    );
    let w = drops[0].witness.iif.clone().unwrap();
    assert!(w.starts_with("cali") && w != "cali1234");
    checked(&both, &query);
    // Legacy alone accepts what the node drops: the semantic diff refutes equivalence.
    let d = semantic_diff(&legacy, &both, &query, false).unwrap();
    assert!(!d.is_equivalent() && d.proven_different());
    assert_eq!(d.classes[0].old.verdict, FinalVerdict::Accept);
    assert_eq!(d.classes[0].new.verdict, FinalVerdict::Drop);
    assert!(semantic_diff(&both, &both, &query, true)
        .unwrap()
        .is_equivalent());
}

#[test]
fn undecidable_matches_split_into_may() {
    let rs = fwd("  tcp dport 80 limit rate 10/second accept\n  tcp dport 80 drop");
    let p = partition(&rs, &q()).unwrap();
    let port80: Vec<&PacketClass> = p
        .classes
        .iter()
        .filter(|c| text(c).contains("tcp dport 80"))
        .collect();
    assert_eq!(port80.len(), 2, "{p:#?}");
    assert!(port80.iter().all(|c| c.certainty == Certainty::May));
    assert!(port80.iter().any(|c| c.verdict == FinalVerdict::Drop));
    assert!(
        port80
            .iter()
            .all(|c| c.reasons.iter().any(|r| r.contains("rate"))),
        "{port80:#?}"
    );
    // Everything else is a must accept by the policy.
    assert!(p
        .classes
        .iter()
        .any(|c| c.certainty == Certainty::Must && c.verdict == FinalVerdict::Accept));
}

#[test]
fn dnat_is_seen_by_later_hooks() {
    let rs = nft("table ip nat {
 chain prerouting {
  type nat hook prerouting priority dstnat; policy accept;
  ip daddr 10.96.0.10 tcp dport 80 dnat to 10.244.1.5:8080
 }
}
table ip filter {
 chain forward {
  type filter hook forward priority filter; policy accept;
  ip daddr 10.244.1.5 tcp dport 8080 drop
 }
}
");
    let mut query = q();
    query.ct_state = Some(crate::model::CtStateSet(crate::model::CtStateSet::NEW));
    let p = partition(&rs, &query).unwrap();
    let drops = by_verdict(&p.classes, FinalVerdict::Drop);
    assert_eq!(drops.len(), 1);
    let t = text(drops[0]);
    // The service address is dropped after translation, and so is the pod address itself.
    assert!(t.contains("10.96.0.10") && t.contains("10.244.1.5"), "{t}");
    checked(&rs, &query);
}

#[test]
fn marks_set_earlier_are_matched_later() {
    let rs = nft("table ip mangle {
 chain pre {
  type filter hook prerouting priority mangle; policy accept;
  iifname \"eth1\" meta mark set 0x7
 }
}
table ip filter {
 chain forward {
  type filter hook forward priority filter; policy accept;
  meta mark 0x7 drop
 }
}
");
    let p = partition(&rs, &q()).unwrap();
    let drops = by_verdict(&p.classes, FinalVerdict::Drop);
    assert_eq!(drops.len(), 1);
    let t = text(drops[0]);
    assert!(t.contains("iifname \"eth1\""), "{t}");
    assert!(t.contains("meta mark 0x7"), "marked on arrival too: {t}");
    checked(&rs, &q());
}

#[test]
fn witness_decodes_natural_values() {
    let rs = nft(
        "table inet filter {\n chain forward {\n  type filter hook forward priority filter; policy accept;\n  ip6 saddr fd00::/8 udp dport 53 drop\n }\n}\n",
    );
    let mut query = SpaceQuery::new(TracePath::Forward);
    query.dport = vec![PortRange {
        first: 53,
        last: 53,
    }];
    let p = partition(&rs, &query).unwrap();
    let d = by_verdict(&p.classes, FinalVerdict::Drop);
    assert_eq!(d.len(), 1);
    let w = &d[0].witness;
    assert!(w.is_ipv6() && w.families_agree());
    assert_eq!(w.proto, Some(Protocol::UDP));
    assert_eq!(w.dport, Some(53));
    assert_eq!(w.sport, Some(40000));
    assert!(w.iif.is_some() && w.oif.is_some());
}
