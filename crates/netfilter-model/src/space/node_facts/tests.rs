//! Address types split the address space exactly with the node's addresses, and stay open
//! (*may*) only where the facts do not decide them.

use crate::model::AddrSpec;
use crate::space::test_support::{fates, part, rs};
use crate::space::{Certainty, SpaceQuery};
use crate::trace::{FinalVerdict, LocalAddrs, TracePath};

const LEGACY: &str = "*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
-A FORWARD -m addrtype --dst-type LOCAL -j DROP
-A FORWARD -m addrtype --dst-type BROADCAST -j REJECT
COMMIT
";

fn v4() -> SpaceQuery {
    SpaceQuery::new(TracePath::Forward)
        .with_dst(vec![AddrSpec::net("0.0.0.0/0".parse().expect("prefix"))])
}

fn node(specs: &[&str]) -> LocalAddrs {
    let specs: Vec<_> = specs.iter().map(|s| s.parse().expect("spec")).collect();
    LocalAddrs::from_specs(&specs)
}

#[test]
fn v4_types_are_exact_with_the_node_addresses() {
    let r = rs(LEGACY);
    // Without node facts, only the fixed broadcast and multicast ranges are decided.
    let p = part(&r, &v4());
    assert!(p.classes.iter().any(|c| c.certainty == Certainty::May));
    let must_accept = p
        .classes
        .iter()
        .find(|c| c.certainty == Certainty::Must && c.verdict == FinalVerdict::Accept)
        .expect("multicast destinations are decided");
    assert!(must_accept.witness.dst.is_multicast(), "{must_accept:?}");
    // With them, every address is decided.
    let q = v4().with_local_addrs(node(&["10.1.0.1/24"]));
    let p = part(&r, &q);
    assert_eq!(
        fates(&p),
        [
            "must accept by [FORWARD policy]",
            "must drop by [FORWARD 1]",
            "must drop by [FORWARD 2]",
        ]
    );
    let by = |i: usize| {
        &p.classes
            .iter()
            .find(|c| c.deciding[0].index == Some(i))
            .expect("class")
            .witness
    };
    let local = by(1).dst.to_string();
    assert!(local == "10.1.0.1" || local.starts_with("127."), "{local}");
    let bcast = by(2).dst.to_string();
    assert!(
        ["10.1.0.255", "127.255.255.255", "255.255.255.255"].contains(&bcast.as_str())
            || bcast.starts_with("0."),
        "{bcast}"
    );
    // Addresses given without a prefix length leave the broadcast list unknown.
    let q = v4().with_local_addrs(node(&["10.1.0.1"]));
    let p = part(&r, &q);
    assert!(p
        .classes
        .iter()
        .any(|c| c.certainty == Certainty::May && c.deciding[0].index == Some(2)));
}

#[test]
fn v6_local_and_interface_limits() {
    let r = rs("table inet t {
    chain fwd {
        type filter hook forward priority 0; policy accept;
        fib daddr type local drop
    }
}
");
    let q = SpaceQuery::new(TracePath::Forward)
        .with_dst(vec![AddrSpec::net("fd00::/64".parse().expect("prefix"))])
        .with_local_addrs(node(&["fd00::1"]));
    let p = part(&r, &q);
    assert_eq!(
        fates(&p),
        ["must accept by [fwd policy]", "must drop by [fwd 1]"]
    );
    let drop = p
        .classes
        .iter()
        .find(|c| c.verdict == FinalVerdict::Drop)
        .expect("drop class");
    assert_eq!(drop.witness.dst.to_string(), "fd00::1");
    // Tied to the input interface, a local address may be another interface's.
    let r = rs("table inet t {
    chain fwd {
        type filter hook forward priority 0; policy accept;
        fib daddr . iif type local drop
    }
}
");
    let q = v4().with_local_addrs(node(&["10.1.0.1/24"]));
    let p = part(&r, &q);
    assert!(p
        .classes
        .iter()
        .any(|c| c.certainty == Certainty::May && c.verdict == FinalVerdict::Drop));
    assert!(p
        .classes
        .iter()
        .any(|c| c.certainty == Certainty::Must && c.verdict == FinalVerdict::Accept));
}
