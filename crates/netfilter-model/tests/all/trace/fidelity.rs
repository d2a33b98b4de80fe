//! Tracer fidelity (issue 14, and items 7, 10, 12 of issue 21): node facts, the path from
//! routing, one assumption per packet fact, stateful matches, NAT results as outcomes.

use netfilter_model::model::{Backend, Protocol, Ruleset};
use netfilter_model::parse::{parse_text, ParseOptions};
use netfilter_model::trace::{
    trace, FinalVerdict, LocalAddrSpec, LocalAddrs, Packet, TraceOptions, TracePath, TraceReport,
};

fn rules(text: &str) -> Ruleset {
    parse_text(text, &ParseOptions::new("test")).expect("parses")
}

fn rules_as(text: &str, b: Backend) -> Ruleset {
    parse_text(text, &ParseOptions::new("test").with_backend(Some(b))).expect("parses")
}

fn node(addrs: &[&str]) -> Option<LocalAddrs> {
    let specs: Vec<LocalAddrSpec> = addrs.iter().map(|a| a.parse().unwrap()).collect();
    Some(LocalAddrs::from_specs(&specs))
}

fn udp(src: &str, dst: &str) -> Packet {
    let mut p = Packet::new(src.parse().unwrap(), dst.parse().unwrap());
    p.proto = Some(Protocol::UDP);
    p.sport = Some(40000);
    p.dport = Some(53);
    p.iif = Some("eth0".into());
    p.oif = Some("eth1".into());
    p
}

fn run(rs: &Ruleset, p: &Packet) -> TraceReport {
    trace(rs, p, &TraceOptions::default()).unwrap()
}

fn hooks(rep: &TraceReport) -> Vec<&str> {
    rep.path.iter().map(|h| h.as_str()).collect()
}

const ADDRTYPE_TWICE: &str = "*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
-A FORWARD -m addrtype --src-type LOCAL -j RETURN
-A FORWARD -m addrtype --src-type LOCAL -j DROP
COMMIT
";

#[test]
fn one_assumption_per_packet_fact() {
    // Without node facts the source's type is undecidable, but it is one fact: the course
    // that assumed "not LOCAL" at rule 1 cannot assume "LOCAL" at rule 2 and drop.
    let rs = rules(ADDRTYPE_TWICE);
    let rep = run(&rs, &udp("10.0.0.1", "10.0.0.2"));
    assert_eq!(rep.verdict, FinalVerdict::Accept, "{rep:#?}");
    assert!(
        rep.alternatives
            .iter()
            .all(|a| a.verdict == FinalVerdict::Accept),
        "{rep:#?}"
    );
    for a in &rep.alternatives {
        for f in a.assumptions.iter().flat_map(|x| &x.facts) {
            assert!(f.what.contains("10.0.0.1"), "{f:?}");
        }
    }
}

#[test]
fn local_addresses_decide_address_types() {
    let rs = rules(
        "*filter
:INPUT DROP [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
-A INPUT -m addrtype --dst-type LOCAL -j ACCEPT
COMMIT
",
    );
    let mut p = udp("192.168.0.7", "10.0.0.1");
    p.path = TracePath::Input;
    p.oif = None;
    let rep = run(&rs, &p);
    assert!(rep.uncertain, "without facts the type is a maybe");
    p.local_addrs = node(&["10.0.0.1/24"]);
    let rep = run(&rs, &p);
    assert!(!rep.uncertain);
    assert_eq!(rep.verdict, FinalVerdict::Accept);
    p.dst = "10.0.0.255".parse().unwrap();
    let rep = run(&rs, &p);
    assert!(!rep.uncertain);
    assert_eq!(rep.verdict, FinalVerdict::Drop, "a broadcast is not LOCAL");
    // nft's `fib daddr type local` is the same test.
    let nft = rules(
        "table inet f {\n\tchain input {\n\t\ttype filter hook input priority 0; policy drop;\n\t\tfib daddr type local accept\n\t}\n}\n",
    );
    p.dst = "10.0.0.1".parse().unwrap();
    let rep = run(&nft, &p);
    assert!(!rep.uncertain);
    assert_eq!(rep.verdict, FinalVerdict::Accept);
}

#[test]
fn auto_path_follows_the_local_addresses() {
    let rs = rules(
        "*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
COMMIT
",
    );
    let mut p = udp("192.168.0.7", "10.0.0.1");
    p.path = TracePath::Auto;
    p.local_addrs = node(&["10.0.0.1/24"]);
    assert_eq!(hooks(&run(&rs, &p)), ["prerouting", "input"]);
    p.dst = "10.0.0.9".parse().unwrap();
    assert_eq!(
        hooks(&run(&rs, &p)),
        ["prerouting", "forward", "postrouting"]
    );
    // From a local address: sent by the node; to a local one, back over lo.
    p.src = "10.0.0.1".parse().unwrap();
    p.iif = None;
    assert_eq!(hooks(&run(&rs, &p)), ["output", "postrouting"]);
    p.dst = "127.0.0.1".parse().unwrap();
    assert_eq!(
        hooks(&run(&rs, &p)),
        ["output", "postrouting", "prerouting", "input"]
    );
    // An arriving packet needs its input interface.
    let mut q = udp("192.168.0.7", "10.0.0.1");
    q.path = TracePath::Auto;
    q.local_addrs = node(&["10.0.0.1"]);
    q.iif = None;
    assert!(trace(&rs, &q, &TraceOptions::default()).is_err());
}

#[test]
fn output_dnat_to_a_local_address_loops_back_through_input() {
    // Issue 21, item 10: the kernel drops this (the DNAT'ed packet goes over lo to INPUT).
    let rs = rules(
        "*nat
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
-A OUTPUT -p udp -j DNAT --to-destination 10.0.0.1
COMMIT
*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
-A INPUT -j DROP
COMMIT
",
    );
    let mut p = udp("10.0.0.1", "192.168.0.7");
    p.path = TracePath::Output;
    p.iif = None;
    p.local_addrs = node(&["10.0.0.1/24"]);
    let rep = run(&rs, &p);
    assert_eq!(rep.verdict, FinalVerdict::Drop, "{rep:#?}");
    assert_eq!(
        hooks(&rep),
        ["output", "postrouting", "prerouting", "input"]
    );
    let d = rep.decided_by.unwrap();
    assert_eq!((d.chain.as_str(), d.index), ("INPUT", Some(1)));
    // nat does not run again on the way back over lo.
    assert!(rep
        .steps
        .iter()
        .any(|s| s.chain == "PREROUTING" && s.event.as_str() == "skip"));
}

#[test]
fn recent_set_does_not_fork() {
    let rs = rules(
        "*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
-A FORWARD -m recent --set --name seen --rsource -j DROP
COMMIT
",
    );
    let rep = run(&rs, &udp("10.0.0.1", "10.0.0.2"));
    assert_eq!(rep.verdict, FinalVerdict::Drop);
    assert!(!rep.uncertain && rep.alternatives.is_empty(), "{rep:#?}");
}

const LB: &str = "*nat
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
:SVC - [0:0]
-A PREROUTING -d 10.96.0.10/32 -j SVC
-A SVC -m statistic --mode random --probability 0.33333333349 -j DNAT --to-destination 10.244.1.1:53
-A SVC -m statistic --mode random --probability 0.50000000000 -j DNAT --to-destination 10.244.1.2:53
-A SVC -j DNAT --to-destination 10.244.1.3:53
COMMIT
";

#[test]
fn every_endpoint_of_a_load_balancer_is_an_outcome() {
    let rep = run(&rules(LB), &udp("192.168.0.7", "10.96.0.10"));
    let mut dnat: Vec<String> = std::iter::once(&rep.nat)
        .chain(rep.alternatives.iter().map(|a| &a.nat))
        .map(|n| n.dnat.unwrap().to_string())
        .collect();
    dnat.sort();
    assert_eq!(dnat, ["10.244.1.1:53", "10.244.1.2:53", "10.244.1.3:53"]);
    assert!(rep.uncertain, "the endpoint is not decided");
    assert!(rep.alternatives.iter().all(|a| a.verdict == rep.verdict));
}

#[test]
fn nat_results_count_in_the_order_analysis() {
    // Issue 21, item 12: legacy NAT to .7 and an nft nat chain at the same priority to .8.
    let mut rs = rules_as(
        "*nat
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
-A PREROUTING -j DNAT --to-destination 192.168.1.7
COMMIT
",
        Backend::Legacy,
    );
    rs.extend(rules(
        "table ip n {\n\tchain pre {\n\t\ttype nat hook prerouting priority -100; policy accept;\n\t\tdnat to 192.168.1.8\n\t}\n}\n",
    ));
    let rep = run(&rs, &udp("10.0.0.1", "10.96.0.10"));
    assert!(rep.order_dependent, "{rep:#?}");
    let mut seen: Vec<String> = std::iter::once(&rep.nat)
        .chain(rep.alternatives.iter().map(|a| &a.nat))
        .filter_map(|n| n.dnat.map(|d| d.to_string()))
        .collect();
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), 2, "{seen:?}");
}

#[test]
fn elements_with_options_are_matched_by_value() {
    // As `nft list ruleset` prints them (nftables 1.0.6).
    let rs = rules(
        r#"table inet t {
	set s {
		type ipv4_addr
		flags timeout
		counter
		elements = { 10.0.0.1 counter packets 0 bytes 0 comment "a b, c", 10.0.0.2 counter packets 0 bytes 0 timeout 1h expires 59m59s992ms comment "x" }
	}
	map m {
		type ipv4_addr : verdict
		elements = { 10.0.0.3 comment "pod : one" : drop }
	}
	chain c {
		type filter hook forward priority filter; policy accept;
		ip saddr @s drop
		ip daddr vmap @m
		numgen random mod 2 vmap { 0 : accept, 1 : drop }
	}
}
"#,
    );
    let rep = run(&rs, &udp("10.0.0.2", "10.0.0.9"));
    assert_eq!(rep.verdict, FinalVerdict::Drop);
    assert_eq!(rep.decided_by.as_ref().unwrap().index, Some(1));
    assert!(!rep.uncertain);
    let rep = run(&rs, &udp("10.0.0.5", "10.0.0.3"));
    assert_eq!(rep.decided_by.as_ref().unwrap().index, Some(2));
    assert!(!rep.uncertain);
    // numgen covers both elements: accept or drop, never "no element".
    let rep = run(&rs, &udp("10.0.0.5", "10.0.0.9"));
    assert!(rep.uncertain);
    let all: Vec<_> = std::iter::once(rep.decided_by.clone())
        .chain(rep.alternatives.iter().map(|a| a.decided_by.clone()))
        .collect();
    assert!(
        all.iter().all(|d| d.as_ref().unwrap().index == Some(3)),
        "{all:?}"
    );
    // A malformed element is an error where the set is read, not an element assumed to
    // match; a ruleset built without the parser still gets it as a trace error.
    let text = "table ip t {\n\tset s {\n\t\ttype ipv4_addr\n\t\telements = { 10.0.0.1, 10.0.0.300 }\n\t}\n\tchain c {\n\t\ttype filter hook forward priority 0;\n\t\tip saddr @s drop\n\t}\n}\n";
    let e = parse_text(text, &ParseOptions::new("bad.nft")).unwrap_err();
    assert!(e.to_string().contains("10.0.0.300"), "{e}");
    assert!(e.to_string().contains("bad.nft:2:"), "{e}");
    let mut bad = rules(&text.replace("10.0.0.300", "10.0.0.30"));
    bad.tables[0].sets[0].elements[1] = "10.0.0.300".into();
    let e = trace(&bad, &udp("10.0.0.5", "10.0.0.9"), &TraceOptions::default()).unwrap_err();
    assert!(e.to_string().contains("10.0.0.300"), "{e}");
    // The catch-all element and per-element statements are values, not malformed.
    let rs = rules(
        "table ip t {\n\tmap m {\n\t\ttype ipv4_addr : verdict\n\t\telements = { 10.0.0.1 limit rate 1/second : accept, * counter : drop }\n\t}\n\tchain c {\n\t\ttype filter hook forward priority 0;\n\t\tip saddr vmap @m\n\t}\n}\n",
    );
    let rep = run(&rs, &udp("10.0.0.5", "10.0.0.9"));
    assert_eq!(
        rep.verdict,
        FinalVerdict::Drop,
        "the catch-all holds 10.0.0.5"
    );
    let rep = run(&rs, &udp("10.0.0.1", "10.0.0.9"));
    assert_eq!(rep.verdict, FinalVerdict::Accept);
    assert!(!rep.uncertain);
}

#[test]
fn a_looped_back_packet_keeps_its_conntrack_entry() {
    // Checked in a namespace: a UDP datagram to 127.0.0.1 is `NEW`, not `INVALID`, in raw
    // PREROUTING on lo (it got its entry at output); an arriving one has none there yet.
    let rs = rules(
        "*raw
:PREROUTING ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
-A PREROUTING -m conntrack --ctstate INVALID -j DROP
COMMIT
",
    );
    let mut p = udp("10.0.0.1", "127.0.0.1");
    p.path = TracePath::Auto;
    p.iif = None;
    p.local_addrs = node(&["10.0.0.1/24"]);
    let rep = run(&rs, &p);
    assert_eq!(rep.verdict, FinalVerdict::Accept, "{rep:#?}");
    assert_eq!(
        hooks(&rep),
        ["output", "postrouting", "prerouting", "input"]
    );
    let mut q = udp("192.168.0.7", "10.0.0.1");
    q.path = TracePath::Auto;
    q.local_addrs = node(&["10.0.0.1/24"]);
    assert_eq!(run(&rs, &q).verdict, FinalVerdict::Drop);
}
