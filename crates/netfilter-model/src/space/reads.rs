//! What of a flow's state a rule's matches read, so a rule is compiled once per distinct
//! value of that rather than once per state: thousands of kube-proxy DNAT states, which
//! differ only in their destination, share one predicate for every rule that does not look
//! at the destination.
//!
//! This mirrors `predicate::kind_pred`: a match kind listed here reads exactly these parts
//! of the state; any other kind (sets, address types, what nfdiff does not know) reads all
//! of it.

use crate::model::{Direction, MatchKind, Rule};

use super::state::FlowState;
use super::universe::{Bit, Field};

/// The parts of the state a rule reads.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Reads {
    /// Rewritable fields.
    fields: Vec<Field>,
    /// The conntrack flags (`untracked`, `dnat`, `snat`).
    conntrack: bool,
}

/// The parts of one state a rule reads: equal views give equal predicates.
#[derive(Debug, PartialEq, Eq, Hash)]
pub(crate) struct ReadView<'s> {
    fields: Vec<Option<&'s [Bit]>>,
    conntrack: Option<(bool, bool, bool)>,
}

impl Reads {
    fn field(&mut self, f: Field) {
        if !self.fields.contains(&f) {
            self.fields.push(f);
        }
    }

    /// What `rule` reads, or `None` when it may read anything.
    pub(crate) fn of(rule: &Rule) -> Option<Reads> {
        let mut r = Reads::default();
        for m in &rule.matches {
            match &m.kind {
                MatchKind::Interface { .. }
                | MatchKind::Protocol { .. }
                | MatchKind::Fragment
                | MatchKind::TcpFlags { .. }
                | MatchKind::Icmp { .. }
                | MatchKind::PhysDev { .. }
                | MatchKind::Mac { .. }
                | MatchKind::Statistic { .. }
                | MatchKind::Limit { .. }
                | MatchKind::Owner { .. }
                | MatchKind::Length { .. }
                | MatchKind::PktType { .. }
                | MatchKind::Ttl { .. }
                | MatchKind::Dscp { .. }
                | MatchKind::Tos { .. } => {}
                MatchKind::Address { dir, .. } => match dir {
                    Direction::Src => {
                        r.field(Field::Src4);
                        r.field(Field::Src6);
                    }
                    Direction::Dst => {
                        r.field(Field::Dst4);
                        r.field(Field::Dst6);
                    }
                },
                MatchKind::Port { dir, .. } => r.field(match dir {
                    Direction::Src => Field::Sport,
                    Direction::Dst => Field::Dport,
                }),
                MatchKind::AnyPort { .. } => {
                    r.field(Field::Sport);
                    r.field(Field::Dport);
                }
                MatchKind::Mark { .. } => r.field(Field::Mark),
                MatchKind::CtMark { .. } => {
                    r.field(Field::CtMark);
                    r.conntrack = true;
                }
                MatchKind::CtState { .. }
                | MatchKind::CtStatus { .. }
                | MatchKind::CtDirection { .. } => r.conntrack = true,
                _ => return None,
            }
        }
        Some(r)
    }

    /// The parts of `st` this reads.
    pub(crate) fn view<'s>(&self, st: &'s FlowState) -> ReadView<'s> {
        ReadView {
            fields: self
                .fields
                .iter()
                .map(|f| st.fields.get(f).map(Vec::as_slice))
                .collect(),
            conntrack: self.conntrack.then_some((st.untracked, st.dnat, st.snat)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::space::test_support::rs;

    fn rule(text: &str) -> Rule {
        let r = rs(&format!(
            "*filter\n:FORWARD ACCEPT [0:0]\n-A FORWARD {text}\nCOMMIT\n"
        ));
        r.tables[0].chains[0].rules[0].clone()
    }

    #[test]
    fn states_differing_only_in_an_unread_field_share_a_view() {
        let mut a = FlowState::default();
        a.fields.insert(Field::Dst4, vec![Bit::Const(true); 32]);
        let mut b = FlowState::default();
        b.fields.insert(Field::Dst4, vec![Bit::Const(false); 32]);
        let ct = Reads::of(&rule("-m conntrack --ctstate INVALID -j DROP")).expect("known");
        assert_eq!(ct.view(&a), ct.view(&b));
        let d = Reads::of(&rule("-d 10.0.0.1/32 -p tcp -j DROP")).expect("known");
        assert_ne!(d.view(&a), d.view(&b));
        b.dnat = true;
        assert_ne!(ct.view(&a), ct.view(&b));
        let mark = Reads::of(&rule("-m mark --mark 0x4000/0x4000 -j ACCEPT")).expect("known");
        assert_eq!(mark.view(&a), mark.view(&b));
        // Address types read the destination and the node's addresses: the whole state.
        assert!(Reads::of(&rule("-m addrtype --dst-type LOCAL -j ACCEPT")).is_none());
    }
}
