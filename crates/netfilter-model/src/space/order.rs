//! The variable order of an analysis: interfaces and addresses first, unless a long
//! port-dispatch chain makes ports first the cheaper order.
//!
//! A BDD operation costs the part of its operands above the variables it tests. A rule that
//! matches only protocol and port (kube-proxy's `KUBE-NODEPORTS`, one rule per node port),
//! applied to a region shaped by thousands of earlier destination matches (the rest of
//! `KUBE-SERVICES`), rebuilds the whole address structure for each rule and each hit. With
//! ports above addresses those rules pick a sub-diagram instead: the 100k kube-proxy semantic
//! diff went from 153 s to 34 s. Rulesets whose rules mostly pair addresses with ports pay
//! for that order instead (the TUM partition: 4.8 s with addresses first, 16 s with ports
//! first), so ports come first only where a chain dispatches on ports alone.

use crate::model::MatchKind;
use crate::trace::TraceIndex;

use super::universe::FieldOrder;

/// Rules of one chain matching ports and no address that make a port-dispatch chain.
const PORT_DISPATCH_RULES: usize = 64;

/// Whether the rule matches a port and no address.
fn port_only(r: &crate::model::Rule) -> bool {
    let port = r
        .matches
        .iter()
        .any(|m| matches!(m.kind, MatchKind::Port { .. } | MatchKind::AnyPort { .. }));
    let addr = r
        .matches
        .iter()
        .any(|m| matches!(m.kind, MatchKind::Address { .. }));
    port && !addr
}

/// The order for rulesets analysed together: ports first when one of them has a chain
/// with at least [`PORT_DISPATCH_RULES`] port-only rules.
pub(crate) fn field_order(idxs: &[&TraceIndex<'_>]) -> FieldOrder {
    let dispatch = idxs.iter().any(|idx| {
        idx.tables.iter().any(|t| {
            t.table
                .chains
                .iter()
                .any(|c| c.rules.iter().filter(|r| port_only(r)).count() >= PORT_DISPATCH_RULES)
        })
    });
    if dispatch {
        FieldOrder::PortsFirst
    } else {
        FieldOrder::AddressesFirst
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::space::analysis::raw_classes;
    use crate::space::test_support::rs;
    use crate::space::universe::{alphabet, Universe};
    use crate::space::{partition, self_check, SpaceQuery};
    use crate::trace::TracePath;

    /// A nat chain of `n` node-port rules (port only), and a filter rule on an address.
    fn dispatch(n: usize, with_addr: bool) -> String {
        let mut t = String::from("*nat\n:PREROUTING ACCEPT [0:0]\n:PORTS - [0:0]\n");
        t.push_str("-A PREROUTING -j PORTS\n");
        for i in 0..n {
            let d = if with_addr { " -d 10.0.0.1/32" } else { "" };
            t.push_str(&format!(
                "-A PORTS{d} -p tcp -m tcp --dport {} -j DNAT --to-destination 10.1.0.{}:80\n",
                30000 + i,
                i % 250 + 1
            ));
        }
        t.push_str("COMMIT\n*filter\n:FORWARD ACCEPT [0:0]\n");
        t.push_str("-A FORWARD -d 10.1.0.7/32 -j DROP\nCOMMIT\n");
        t
    }

    #[test]
    fn ports_first_only_for_a_long_port_dispatch_chain() {
        let order = |text: &str| {
            let r = rs(text);
            let idx = TraceIndex::new(&r);
            field_order(&[&idx])
        };
        assert_eq!(order(&dispatch(64, false)), FieldOrder::PortsFirst);
        assert_eq!(order(&dispatch(63, false)), FieldOrder::AddressesFirst);
        assert_eq!(order(&dispatch(64, true)), FieldOrder::AddressesFirst);
    }

    #[test]
    fn both_orders_give_the_same_classes() {
        let r = rs(&dispatch(64, false));
        let idx = TraceIndex::new(&r);
        let q = SpaceQuery::new(TracePath::Forward);
        let fates = |order| {
            let lits = crate::trace::literals(&idx);
            let u = Universe::with_order(alphabet(&lits), order);
            let mut v: Vec<String> = raw_classes(&u, &idx, &q)
                .expect("analysis")
                .iter()
                .map(|c| format!("{:?} {:?} {:?}", c.verdict, c.deciding, c.certainty))
                .collect();
            v.sort();
            v
        };
        let ports = fates(FieldOrder::PortsFirst);
        assert_eq!(ports, fates(FieldOrder::AddressesFirst));
        // Each node port DNATs (the one to 10.1.0.7 is then dropped), and the rest.
        assert!(ports.len() >= 64, "{ports:?}");
        let p = partition(&r, &q).expect("partition");
        assert!(self_check(&r, &p).expect("self-check").is_empty());
    }
}
