//! A connection's first packet has a known direction and NAT status; later packets' stay open.

use crate::model::CtStateSet;
use crate::space::test_support::{fates, part, rs};
use crate::space::SpaceQuery;
use crate::trace::TracePath;

const RULES: &str = "table inet t {
    chain pre {
        type nat hook prerouting priority -100; policy accept;
        tcp dport 8080 dnat ip to 10.0.0.9
    }
    chain fwd {
        type filter hook forward priority 0; policy drop;
        ct direction reply accept
        ct status dnat accept
        ct status confirmed drop
    }
}
";

fn q(state: u8) -> SpaceQuery {
    SpaceQuery::new(TracePath::Forward)
        .with_dst(vec![crate::model::AddrSpec::net(
            "10.0.0.0/8".parse().expect("prefix"),
        )])
        .with_ct_state(CtStateSet(state))
}

#[test]
fn first_packets_are_decided() {
    let r = rs(RULES);
    // New connections: original direction; DNATed ones (port 8080) have the dnat status;
    // `confirmed` is not known, but the others are dropped either way.
    assert_eq!(
        fates(&part(&r, &q(CtStateSet::NEW))),
        ["must accept by [fwd 2]", "must drop by [fwd policy, fwd 3]"]
    );
    // Packets of existing connections may be replies.
    let est = fates(&part(&r, &q(CtStateSet::ESTABLISHED)));
    assert!(est.iter().all(|f| f.starts_with("may")), "{est:?}");
}
