//! The nat core: nat chains (nf_tables `type nat` and the legacy nat table) do not hook in at
//! their own priority; the kernel's nat core runs them at a fixed one, in the order of their
//! own priorities, and stops once one of them mapped the connection.

use crate::model::Hook;

use super::matching::PktState;

/// Where the nat core runs on a hook (`NF_IP_PRI_NAT_DST` on prerouting and output,
/// `NF_IP_PRI_NAT_SRC` on input and postrouting); `None` where nat chains cannot hook.
pub(crate) fn nat_core_priority(hook: &Hook) -> Option<i32> {
    match hook {
        Hook::Prerouting | Hook::Output => Some(-100),
        Hook::Input | Hook::Postrouting => Some(100),
        _ => None,
    }
}

/// Whether the connection already has its mapping for this hook's kind of translation
/// (destination on prerouting and output, source on input and postrouting): then the nat
/// core runs no further nat chain there (`nf_nat_initialized` in `nf_nat_inet_fn`).
pub(crate) fn mapped_at(hook: &Hook, st: &PktState) -> bool {
    match hook {
        Hook::Prerouting | Hook::Output => st.dnat,
        Hook::Input | Hook::Postrouting => st.snat,
        _ => false,
    }
}

/// A unit of an equal-priority group: one chain, or the nat core with its chains.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Unit<C> {
    /// A base chain hooked in at its own priority.
    Chain(C),
    /// The nat core: its chains by their own priority, with the orders worth trying.
    NatCore(Vec<Vec<C>>),
}

/// Flattens one order of units into the chains that run, once per order of the nat core's
/// chains (at most `cap` orders in all, the listing order first).
pub(crate) fn flatten<C: Copy>(units: &[Unit<C>], order: &[usize], cap: usize) -> Vec<Vec<C>> {
    let mut out: Vec<Vec<C>> = vec![Vec::new()];
    for &u in order {
        match &units[u] {
            Unit::Chain(c) => out.iter_mut().for_each(|o| o.push(*c)),
            Unit::NatCore(variants) => {
                let mut next = Vec::new();
                for o in &out {
                    for v in variants {
                        if next.len() >= cap.max(1) {
                            break;
                        }
                        let mut o = o.clone();
                        o.extend(v.iter().copied());
                        next.push(o);
                    }
                }
                out = next;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_priorities() {
        assert_eq!(nat_core_priority(&Hook::Prerouting), Some(-100));
        assert_eq!(nat_core_priority(&Hook::Output), Some(-100));
        assert_eq!(nat_core_priority(&Hook::Input), Some(100));
        assert_eq!(nat_core_priority(&Hook::Postrouting), Some(100));
        assert_eq!(nat_core_priority(&Hook::Forward), None);
    }

    #[test]
    fn nat_core_runs_as_one_block() {
        let units = vec![Unit::Chain(1), Unit::NatCore(vec![vec![2, 3], vec![3, 2]])];
        assert_eq!(
            flatten(&units, &[0, 1], 8),
            vec![vec![1, 2, 3], vec![1, 3, 2]]
        );
        assert_eq!(flatten(&units, &[1, 0], 1), vec![vec![2, 3, 1]]);
    }
}
