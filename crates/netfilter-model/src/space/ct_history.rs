//! Conntrack status and direction over flows (`ct status dnat`, `ct direction original`,
//! `-m conntrack --ctstatus/--ctdir`), as the tracer decides them.
//!
//! Neither is a field of the tracer's packet, so neither is a field of the universe: a
//! connection's status bits and a packet's direction come from its history, which a query
//! does not state. What the first packet of a connection (`ct state new`) has is known and
//! decided exactly: it travels in the original direction, and its `dnat`/`snat` status is
//! whether a NAT statement on its way so far mapped it. Other statuses (`confirmed`,
//! `seen-reply`, `assured`, ...) and packets of existing connections stay *may*.

use crate::model::MatchKind;

use super::predicate::{ct_new, Tri};
use super::state::FlowState;
use super::universe::Universe;

/// The packets a `ct status` or `ct direction` match holds for (with a conntrack entry; the
/// caller's dependency excludes the others). `None` for any other match.
pub(crate) fn ct_history_pred(u: &Universe, kind: &MatchKind, st: &FlowState) -> Option<Tri> {
    let first = ct_new(u, st);
    let (holds_on_first, why) = match kind {
        MatchKind::CtStatus { statuses } => {
            if !statuses.iter().all(|s| s == "dnat" || s == "snat") {
                return Some(Tri {
                    yes: u.f(),
                    maybe: u.t(),
                    reasons: vec![format!(
                        "`ct status {}` depends on the connection's history",
                        statuses.join(",")
                    )],
                });
            }
            let mapped = statuses
                .iter()
                .any(|s| (s == "dnat" && st.dnat) || (s == "snat" && st.snat));
            (
                mapped,
                format!(
                    "`ct status {}` of a packet of an existing connection depends on its history",
                    statuses.join(",")
                ),
            )
        }
        MatchKind::CtDirection { original } => (
            *original,
            "the query does not say which direction of the connection a packet of an existing connection is".to_string(),
        ),
        _ => return None,
    };
    Some(Tri {
        yes: if holds_on_first { first.clone() } else { u.f() },
        maybe: first.not(),
        reasons: vec![why],
    })
}

#[cfg(test)]
mod tests;
