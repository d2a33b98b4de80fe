//! Where a backend's Calico dispatch chains send one interface name: to an endpoint chain, or
//! to their "Unknown interface" drop — a property of the chains, whatever the packet.
//!
//! Each dispatch root (`cali-from-wl-dispatch`, `cali-to-wl-dispatch`, native `…-dispatch`
//! chains with `iifname vmap @…`) is traced on its own: a copy of its table in which only the
//! dispatch chains keep their rules, entered from one probe base chain. A name the dispatch
//! lists leaves the dispatch chains (a goto, jump or vmap element to an endpoint chain); any
//! other name ends at the rule the dispatch drops it with. Only interface names and the
//! dispatch's own maps take part, so the answer holds for every packet that reaches the root.

use std::net::IpAddr;

use crate::model::{
    Backend, BaseChain, Chain, ChainType, Family, Hook, Policy, Rule, Ruleset, Table, Verdict,
};
use crate::trace::{FinalVerdict, Packet, RuleRef, StepEvent, TraceIndex, TraceOptions, TracePath};

/// The comment Calico puts on the last rule of a dispatch chain.
pub const UNKNOWN_INTERFACE: &str = "Unknown interface";

/// The probe base chain added to the copy of a dispatch root's table.
const PROBE_CHAIN: &str = "nfdiff-dispatch-probe";

/// Whether a chain or map name is a Calico workload dispatch chain or one of its sub-chains.
pub fn is_dispatch(name: &str) -> bool {
    name.contains("cali-from-wl-dispatch")
        || name.contains("cali-to-wl-dispatch")
        || name.contains("cali-fw-dispatch")
        || name.contains("cali-tw-dispatch")
}

/// Which way the traffic of a pod goes through its interface.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PodDirection {
    /// Sent by the pod: the interface is the input interface (`cali-from-wl-dispatch`).
    FromPod,
    /// Sent to the pod: the interface is the output interface (`cali-to-wl-dispatch`).
    ToPod,
}

impl PodDirection {
    /// `from-pod` or `to-pod`.
    pub fn as_str(self) -> &'static str {
        match self {
            PodDirection::FromPod => "from-pod",
            PodDirection::ToPod => "to-pod",
        }
    }

    /// `from` or `to`, for sentences ("traffic from X").
    pub fn preposition(self) -> &'static str {
        match self {
            PodDirection::FromPod => "from",
            PodDirection::ToPod => "to",
        }
    }
}

/// A dispatch root: the chain Calico's forward rules jump to for one direction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DispatchRoot {
    /// Backend of its table.
    pub backend: Backend,
    /// Family of its table.
    pub family: Family,
    /// Its table.
    pub table: String,
    /// The root chain's name.
    pub chain: String,
    /// The direction it dispatches.
    pub direction: PodDirection,
}

/// What a dispatch root does with one interface name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DispatchFate {
    /// The name is listed: the dispatch continues in this (endpoint) chain.
    Listed {
        /// The chain it leaves to, such as `cali-fw-cali9f8e7d6c5b4`.
        target: String,
    },
    /// The name falls through to the dispatch's "Unknown interface" drop.
    Unknown(RuleRef),
    /// Neither (the dispatch returns, or drops with another rule, or cannot be decided).
    Other,
}

/// The dispatch roots of a ruleset, in table and chain order.
pub fn dispatch_roots(rs: &Ruleset) -> Vec<DispatchRoot> {
    let mut out = Vec::new();
    for t in &rs.tables {
        for c in &t.chains {
            let direction = if c.name.ends_with("cali-from-wl-dispatch") {
                PodDirection::FromPod
            } else if c.name.ends_with("cali-to-wl-dispatch") {
                PodDirection::ToPod
            } else {
                continue;
            };
            out.push(DispatchRoot {
                backend: t.backend,
                family: t.family,
                table: t.name.clone(),
                chain: c.name.clone(),
                direction,
            });
        }
    }
    out
}

/// A dispatch root made ready to answer for many names.
#[derive(Debug)]
pub struct DispatchProbe {
    root: DispatchRoot,
    rs: Ruleset,
}

impl DispatchProbe {
    /// The copy of `root`'s table with only dispatch chains keeping their rules.
    pub fn new(rs: &Ruleset, root: &DispatchRoot) -> Option<DispatchProbe> {
        let t = rs.table(root.backend, root.family, &root.table)?;
        let mut copy = Table {
            chains: t
                .chains
                .iter()
                .map(|c| {
                    let mut n = Chain::new(c.name.clone(), None);
                    if is_dispatch(&c.name) {
                        n.rules = c.rules.clone();
                    }
                    n
                })
                .collect(),
            ..t.clone()
        };
        let mut probe = Chain::new(
            PROBE_CHAIN,
            Some(BaseChain {
                chain_type: ChainType::Filter,
                hook: Hook::Forward,
                priority: 0,
                policy: Policy::Accept,
                devices: Vec::new(),
            }),
        );
        probe.rules.push(Rule {
            matches: Vec::new(),
            statements: Vec::new(),
            verdict: Some(Verdict::Jump(root.chain.clone())),
            comment: None,
            counters: None,
            origin: Default::default(),
            lossy: Vec::new(),
        });
        copy.chains.push(probe);
        Some(DispatchProbe {
            root: root.clone(),
            rs: Ruleset {
                tables: vec![copy],
                warnings: Vec::new(),
            },
        })
    }

    /// The root this probe answers for.
    pub fn root(&self) -> &DispatchRoot {
        &self.root
    }

    /// What the dispatch does with interface `name`.
    pub fn fate(&self, name: &str, opts: &TraceOptions) -> DispatchFate {
        self.fates(&[name], opts).remove(0)
    }

    /// What the dispatch does with each of `names` (the table copy is indexed once).
    pub fn fates(&self, names: &[&str], opts: &TraceOptions) -> Vec<DispatchFate> {
        let idx = TraceIndex::new(&self.rs);
        names.iter().map(|n| self.fate_in(&idx, n, opts)).collect()
    }

    fn fate_in(&self, idx: &TraceIndex<'_>, name: &str, opts: &TraceOptions) -> DispatchFate {
        let (src, dst): (IpAddr, IpAddr) = if self.root.family == Family::Ip6 {
            (
                IpAddr::from([0xfd00, 0, 0, 0, 0, 0, 0, 1]),
                IpAddr::from([0xfd00, 0, 0, 0, 0, 0, 0, 2]),
            )
        } else {
            (IpAddr::from([10, 0, 0, 1]), IpAddr::from([10, 0, 0, 2]))
        };
        let mut pkt = Packet::new(src, dst);
        pkt.path = TracePath::Forward;
        // the other interface must not look like a workload's
        let other = Some("nfdiff-uplink".to_string());
        match self.root.direction {
            PodDirection::FromPod => {
                pkt.iif = Some(name.to_string());
                pkt.oif = other;
            }
            PodDirection::ToPod => {
                pkt.iif = other;
                pkt.oif = Some(name.to_string());
            }
        }
        let Ok(rep) = idx.trace(&pkt, opts) else {
            return DispatchFate::Other;
        };
        if rep.uncertain {
            return DispatchFate::Other;
        }
        let left = rep.steps.iter().find_map(|s| {
            let target = s.detail.as_ref()?.jump_target()?;
            (matches!(s.event, StepEvent::Jump | StepEvent::Goto)
                && is_dispatch(&s.chain)
                && !is_dispatch(target)
                && target != PROBE_CHAIN)
                .then(|| target.to_string())
        });
        if let Some(target) = left {
            return DispatchFate::Listed { target };
        }
        match (&rep.verdict, &rep.decided_by) {
            (FinalVerdict::Drop, Some(r)) if is_dispatch(&r.chain) && self.is_unknown_drop(r) => {
                DispatchFate::Unknown(r.clone())
            }
            _ => DispatchFate::Other,
        }
    }

    /// Whether a dispatch chain's drop is its "Unknown interface" rule: so commented, or —
    /// where the listing lost comments (`nft list` of iptables-nft rules) — unconditional.
    fn is_unknown_drop(&self, r: &RuleRef) -> bool {
        if r.comment
            .as_deref()
            .is_some_and(|c| c.contains(UNKNOWN_INTERFACE))
        {
            return true;
        }
        let rule = self.rs.tables[0]
            .chain(&r.chain)
            .and_then(|c| c.rules.get(r.index?.checked_sub(1)?));
        rule.is_some_and(|x| {
            x.comment.is_none()
                && x.matches.is_empty()
                && matches!(x.verdict, Some(Verdict::Drop | Verdict::Reject { .. }))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::{parse_text, ParseOptions};

    fn load(files: &[&str]) -> Ruleset {
        let mut rs = Ruleset::default();
        for f in files {
            let p = format!("{}/../../testdata/{f}", env!("CARGO_MANIFEST_DIR"));
            let text = std::fs::read_to_string(p).expect("fixture");
            rs.extend(parse_text(&text, &ParseOptions::new(*f)).expect("parses"));
        }
        rs
    }

    fn fates(rs: &Ruleset, name: &str) -> Vec<(Backend, PodDirection, DispatchFate)> {
        dispatch_roots(rs)
            .iter()
            .filter_map(|r| DispatchProbe::new(rs, r))
            .map(|p| {
                (
                    p.root().backend,
                    p.root().direction,
                    p.fate(name, &TraceOptions::default()),
                )
            })
            .collect()
    }

    #[test]
    fn incident_new_pod_is_listed_in_legacy_and_unknown_in_nft() {
        let rs = load(&["incident/legacy.save", "incident/nft.save"]);
        let f = fates(&rs, "cali9f8e7d6c5b4");
        assert_eq!(f.len(), 4, "{f:?}");
        for (b, d, fate) in &f {
            match (b, fate) {
                (Backend::Legacy, DispatchFate::Listed { target }) => {
                    let want = match d {
                        PodDirection::FromPod => "cali-fw-cali9f8e7d6c5b4",
                        PodDirection::ToPod => "cali-tw-cali9f8e7d6c5b4",
                    };
                    assert_eq!(target, want);
                }
                (Backend::Nft, DispatchFate::Unknown(r)) => {
                    assert!(r.chain.ends_with("wl-dispatch"), "{r:?}");
                }
                other => panic!("unexpected {other:?}"),
            }
        }
        // the old pod is listed everywhere; a name nobody knows is unknown everywhere
        assert!(fates(&rs, "cali5c4d3e2f1a0")
            .iter()
            .all(|(_, _, f)| matches!(f, DispatchFate::Listed { .. })));
        assert!(fates(&rs, "califfffffffff0")
            .iter()
            .all(|(_, _, f)| matches!(f, DispatchFate::Unknown(_))));
    }

    #[test]
    fn prefix_tree_sub_chains_are_followed() {
        let rs = load(&["calico/legacy.save"]);
        // cali1a2b3c4d5e6 sits behind `-i cali1+ -g cali-from-wl-dispatch-1`
        let f = fates(&rs, "cali1a2b3c4d5e6");
        assert!(f
            .iter()
            .all(|(_, _, f)| matches!(f, DispatchFate::Listed { target } if target.ends_with("cali1a2b3c4d5e6"))));
        let f = fates(&rs, "cali1ffffffffff");
        assert!(
            f.iter().all(|(_, _, f)| matches!(
                f,
                DispatchFate::Unknown(r) if r.chain.starts_with("cali-from-wl-dispatch-1")
                    || r.chain.starts_with("cali-to-wl-dispatch-1")
            )),
            "{f:?}"
        );
    }

    /// `nft list` of iptables-nft rules loses `-m comment`: the dispatch's last, unconditional
    /// drop still counts.
    #[test]
    fn comment_less_listing_of_the_stale_copy() {
        let rs = load(&["incident/legacy.save", "incident/nft.txt"]);
        let f = fates(&rs, "cali9f8e7d6c5b4");
        assert!(
            f.iter().any(|(b, _, f)| *b == Backend::Nft
                && matches!(f, DispatchFate::Unknown(r) if r.chain == "cali-from-wl-dispatch")),
            "{f:?}"
        );
    }

    #[test]
    fn native_vmap_dispatch() {
        let rs = load(&["trace-kernel/native-current.nft"]);
        let f = fates(&rs, "cali9f8e7d6c5b4");
        assert_eq!(f.len(), 2, "{f:?}");
        assert!(
            f.iter()
                .all(|(_, _, f)| matches!(f, DispatchFate::Listed { .. })),
            "{f:?}"
        );
        let f = fates(&rs, "califfffffffff0");
        assert!(
            f.iter()
                .all(|(_, _, f)| matches!(f, DispatchFate::Unknown(_))),
            "{f:?}"
        );
    }
}
