//! The auto path: sent by the node, looped back over `lo`, delivered after DNAT, forwarded.

use crate::model::{AddrSpec, CtStateSet, Protocol};
use crate::space::test_support::{fates, part, rs};
use crate::space::{Certainty, SpaceQuery};
use crate::trace::{LocalAddrs, TracePath};

const RULES: &str = "*nat
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
-A PREROUTING -p tcp --dport 8080 -j DNAT --to-destination 10.1.0.1:80
COMMIT
*filter
:INPUT DROP [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
-A INPUT -i lo -j ACCEPT
-A INPUT -p tcp --dport 80 -j ACCEPT
-A FORWARD -p tcp --dport 443 -j ACCEPT
-A OUTPUT -p tcp --dport 25 -j DROP
COMMIT
";

fn q() -> SpaceQuery {
    SpaceQuery::new(TracePath::Auto)
        .with_dst(vec![AddrSpec::net("0.0.0.0/0".parse().expect("prefix"))])
        .with_proto(vec![Protocol::TCP])
        .with_ct_state(CtStateSet(CtStateSet::NEW))
        .with_local_addrs(LocalAddrs::from_specs(&["10.1.0.1/24"
            .parse()
            .expect("addr")]))
}

#[test]
fn routes_by_the_node_addresses() {
    let r = rs(RULES);
    let p = part(&r, &q());
    assert!(
        p.classes.iter().all(|c| c.certainty == Certainty::Must),
        "{:?}",
        fates(&p)
    );
    assert_eq!(
        fates(&p),
        [
            "must accept by [FORWARD 1]",
            "must accept by [INPUT 1]",
            "must accept by [INPUT 2]",
            "must accept by [POSTROUTING policy]",
            "must drop by [FORWARD policy]",
            "must drop by [INPUT policy]",
            "must drop by [OUTPUT 1]",
        ]
    );
    assert!(p
        .notes
        .iter()
        .all(|n| !n.contains("forward path was assumed")));
    let by = |chain: &str, index: Option<usize>| {
        &p.classes
            .iter()
            .find(|c| {
                c.deciding
                    .iter()
                    .any(|d| d.chain.ends_with(chain) && d.index == index)
            })
            .unwrap_or_else(|| panic!("{chain} {index:?}"))
            .witness
    };
    let node = LocalAddrs::from_specs(&["10.1.0.1/24".parse().expect("addr")]);
    // Looped back over lo: from the node to the node, accepted as input on lo whatever
    // the interface the query names.
    let looped = q()
        .with_src(vec![AddrSpec::net("10.1.0.1/32".parse().expect("prefix"))])
        .with_dst(vec![AddrSpec::net("127.0.0.1/32".parse().expect("prefix"))])
        .with_iif(crate::model::IfacePattern::Exact("eth0".into()));
    assert_eq!(
        fates(&part(&r, &looped)),
        ["must accept by [INPUT 1]", "must drop by [OUTPUT 1]"]
    );
    // Arriving: delivered (to the node, or DNATed to it from port 8080), forwarded.
    let web = by("INPUT", Some(2));
    assert!(!node.is_local(web.src), "{web:?}");
    assert!(node.is_local(web.dst) || web.dport == Some(8080), "{web:?}");
    let fwd = by("FORWARD", Some(1));
    assert!(!node.is_local(fwd.dst) && fwd.dport == Some(443), "{fwd:?}");
    // Sent by the node to port 25.
    let smtp = by("OUTPUT", Some(1));
    assert!(
        node.is_local(smtp.src) && smtp.dport == Some(25),
        "{smtp:?}"
    );
}
