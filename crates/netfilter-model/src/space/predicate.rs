//! Match compilation: a rule's matches as three-valued BDDs over the entry header, given a
//! flow's state and the hook (surely matches / may match, and why).

use std::collections::HashMap;

use crate::model::{
    AddrSpec, CtStateSet, Direction, IfacePattern, Match, MatchKind, PortRange, Protocol, SetKey,
};
use crate::trace::{stateful_truth, Atom, LocalAddrs, ParsedSet, Truth};

use super::bdd::Bdd;
use super::ct_history::ct_history_pred;
use super::node_facts::addr_type_pred;
use super::state::FlowState;
use super::universe::{Field, Universe, CT_STATES};

/// Where a rule runs: the things besides the packet its matches depend on.
pub(crate) struct HookCx<'a> {
    /// IPv6 rather than IPv4.
    pub(crate) v6: bool,
    /// Whether the kernel knows an input interface at this hook.
    pub(crate) has_iif: bool,
    /// Whether it knows an output interface.
    pub(crate) has_oif: bool,
    /// Whether the base chain runs before conntrack.
    pub(crate) before_ct: bool,
    /// The table's parsed named sets.
    pub(crate) sets: &'a HashMap<String, ParsedSet>,
    /// Whether sources pass the reverse-path check (the query's assumption).
    pub(crate) rpf_valid: bool,
    /// The node's local addresses, when the query gives them.
    pub(crate) local_addrs: Option<&'a LocalAddrs>,
    /// The interfaces the kernel knows here are `lo` (sent to, or looped back from, a local
    /// address on the auto path).
    pub(crate) on_lo: bool,
}

/// A three-valued predicate: where it surely holds, where it may.
#[derive(Debug, Clone)]
pub(crate) struct Tri {
    pub(crate) yes: Bdd,
    pub(crate) maybe: Bdd,
    /// Why it may hold, when `maybe` is not empty.
    pub(crate) reasons: Vec<String>,
}

impl Tri {
    fn known(u: &Universe, b: Bdd) -> Tri {
        Tri {
            yes: b,
            maybe: u.f(),
            reasons: Vec::new(),
        }
    }

    fn unknown(u: &Universe, reason: String) -> Tri {
        Tri {
            yes: u.f(),
            maybe: u.t(),
            reasons: vec![reason],
        }
    }

    /// Always true.
    pub(crate) fn always(u: &Universe) -> Tri {
        Tri::known(u, u.t())
    }

    /// Conjunction.
    pub(crate) fn and(&self, o: &Tri) -> Tri {
        let yes = self.yes.and(&o.yes);
        let maybe = self
            .yes
            .or(&self.maybe)
            .and(&o.yes.or(&o.maybe))
            .and_not(&yes);
        let mut reasons = self.reasons.clone();
        reasons.extend(o.reasons.iter().cloned());
        Tri {
            yes,
            maybe,
            reasons,
        }
    }
}

/// Compiles a whole rule's matches (a conjunction).
pub(crate) fn rule_pred(u: &Universe, ms: &[Match], st: &FlowState, cx: &HookCx<'_>) -> Tri {
    let mut acc = Tri::always(u);
    for m in ms {
        acc = acc.and(&match_pred(u, m, st, cx));
        if acc.yes.is_false() && acc.maybe.is_false() {
            break;
        }
    }
    acc
}

/// The protocol is `p`.
pub(crate) fn proto_is(u: &Universe, p: u8) -> Bdd {
    u.eq(&u.entry_bits(Field::Proto), u128::from(p))
        .unwrap_or_else(|| u.f())
}

/// The protocol has ports.
pub(crate) fn has_ports(u: &Universe) -> Bdd {
    [6u8, 17, 33, 132, 136]
        .iter()
        .fold(u.f(), |acc, p| acc.or(&proto_is(u, *p)))
}

/// The conntrack state index is one of those with a bit in `bits`.
fn ct_var_in(u: &Universe, bits: u8) -> Bdd {
    let ct = u.entry_bits(Field::Ct);
    CT_STATES
        .iter()
        .enumerate()
        .filter(|(_, b)| **b & bits != 0)
        .fold(u.f(), |acc, (i, _)| {
            acc.or(&u.eq(&ct, i as u128).unwrap_or_else(|| u.f()))
        })
}

/// Packets without a conntrack entry here (no expression reading it can match).
pub(crate) fn no_conntrack(u: &Universe, st: &FlowState, before_ct: bool) -> Bdd {
    if before_ct || st.untracked {
        return u.t();
    }
    ct_var_in(u, CtStateSet::INVALID | CtStateSet::UNTRACKED)
}

/// Packets that are the first of a connection (nat chains see only these).
pub(crate) fn ct_new(u: &Universe, st: &FlowState) -> Bdd {
    if st.untracked {
        return u.f();
    }
    ct_var_in(u, CtStateSet::NEW)
}

fn addr_field(dir: Direction, v6: bool) -> Field {
    match (dir, v6) {
        (Direction::Src, false) => Field::Src4,
        (Direction::Dst, false) => Field::Dst4,
        (Direction::Src, true) => Field::Src6,
        (Direction::Dst, true) => Field::Dst6,
    }
}

fn ip_bits(a: std::net::IpAddr) -> u128 {
    match a {
        std::net::IpAddr::V4(x) => u128::from(u32::from(x)),
        std::net::IpAddr::V6(x) => u128::from(x),
    }
}

/// `addr ∈ spec` over a field's current bits; `None` when bits are unknown.
pub(crate) fn addr_in(u: &Universe, st: &FlowState, f: Field, spec: &AddrSpec) -> Option<Bdd> {
    let bits = st.bits(u, f);
    match spec {
        AddrSpec::Net { net } => {
            u.prefix(&bits, ip_bits(net.addr()), usize::from(net.prefix_len()))
        }
        AddrSpec::Range { first, last } => u.range(&bits, ip_bits(*first), ip_bits(*last)),
    }
}

fn ports_in(u: &Universe, st: &FlowState, f: Field, ports: &[PortRange]) -> Option<Bdd> {
    let bits = st.bits(u, f);
    let mut acc = u.f();
    for r in ports {
        acc = acc.or(&u.range(&bits, u128::from(r.first), u128::from(r.last))?);
    }
    Some(acc)
}

fn iface_pred(u: &Universe, dir: Direction, names: &[IfacePattern], cx: &HookCx<'_>) -> Bdd {
    let (present, f) = match dir {
        Direction::Src => (cx.has_iif, Field::Iif),
        Direction::Dst => (cx.has_oif, Field::Oif),
    };
    if !present {
        // The kernel compares the empty name.
        return if names.iter().any(|p| p.matches("")) {
            u.t()
        } else {
            u.f()
        };
    }
    if cx.on_lo {
        return if names.iter().any(|p| p.matches("lo")) {
            u.t()
        } else {
            u.f()
        };
    }
    let mut classes: Vec<usize> = names.iter().flat_map(|p| u.classes_matching(p)).collect();
    classes.sort_unstable();
    classes.dedup();
    u.iface_in(f, &classes)
}

fn port_dep(u: &Universe, proto: Option<Protocol>) -> Bdd {
    match proto {
        Some(p) => proto_is(u, p.0),
        None => has_ports(u),
    }
}

/// `(dependency, predicate)`: outside the dependency the match fails, negated or not.
fn kind_pred(u: &Universe, m: &Match, st: &FlowState, cx: &HookCx<'_>) -> (Bdd, Tri) {
    let unknown = |r: String| (u.t(), Tri::unknown(u, r));
    let known = |b: Bdd| (u.t(), Tri::known(u, b));
    let or_unknown = |dep: Bdd, b: Option<Bdd>, what: &str| match b {
        Some(b) => (dep, Tri::known(u, b)),
        None => (
            dep,
            Tri::unknown(
                u,
                format!("{what} was rewritten to a value nfdiff does not know"),
            ),
        ),
    };
    if matches!(
        m.kind,
        MatchKind::Statistic { .. } | MatchKind::Limit { .. } | MatchKind::Other { .. }
    ) {
        if let Some(t) = stateful_truth(&m.kind, m) {
            return match t {
                Truth::Yes => known(u.t()),
                Truth::No => known(u.f()),
                Truth::Maybe(r) => unknown(r),
            };
        }
    }
    match &m.kind {
        MatchKind::Interface { dir, names } => known(iface_pred(u, *dir, names, cx)),
        MatchKind::Address { dir, addrs } => {
            if addrs.iter().any(|s| s.is_ipv6() != cx.v6) {
                return (u.f(), Tri::known(u, u.f()));
            }
            let f = addr_field(*dir, cx.v6);
            let mut acc = Some(u.f());
            for s in addrs {
                acc = match (acc, addr_in(u, st, f, s)) {
                    (Some(a), Some(b)) => Some(a.or(&b)),
                    _ => None,
                };
            }
            or_unknown(u.t(), acc, "the address")
        }
        MatchKind::Protocol { protos } => known(
            protos
                .iter()
                .fold(u.f(), |acc, p| acc.or(&proto_is(u, p.0))),
        ),
        MatchKind::Fragment => known(u.f()),
        MatchKind::Port { dir, proto, ports } => {
            let f = match dir {
                Direction::Src => Field::Sport,
                Direction::Dst => Field::Dport,
            };
            or_unknown(port_dep(u, *proto), ports_in(u, st, f, ports), "the port")
        }
        MatchKind::AnyPort { proto, ports } => {
            let b = match (
                ports_in(u, st, Field::Sport, ports),
                ports_in(u, st, Field::Dport, ports),
            ) {
                (Some(a), Some(b)) => Some(a.or(&b)),
                _ => None,
            };
            or_unknown(port_dep(u, *proto), b, "the port")
        }
        MatchKind::TcpFlags { mask, set } => (
            proto_is(u, Protocol::TCP.0),
            Tri::known(
                u,
                u.masked_eq(
                    &u.entry_bits(Field::TcpFlags),
                    u128::from(set.0),
                    u128::from(mask.0),
                )
                .unwrap_or_else(|| u.f()),
            ),
        ),
        MatchKind::Icmp {
            v6,
            icmp_type,
            code,
        } => {
            let want = if *v6 {
                Protocol::ICMPV6
            } else {
                Protocol::ICMP
            };
            let dep = proto_is(u, want.0);
            let mut b = u.t();
            if let Some(t) = icmp_type {
                b = u
                    .eq(&u.entry_bits(Field::IcmpType), u128::from(*t))
                    .unwrap_or_else(|| u.f());
                if let Some(c) = code {
                    b = b.and(
                        &u.eq(&u.entry_bits(Field::IcmpCode), u128::from(*c))
                            .unwrap_or_else(|| u.f()),
                    );
                }
            }
            (dep, Tri::known(u, b))
        }
        MatchKind::CtState { states } => {
            let s = states.0;
            let b = if cx.before_ct && !st.untracked {
                if s & CtStateSet::INVALID != 0 {
                    u.t()
                } else {
                    u.f()
                }
            } else {
                let mut b = if st.untracked {
                    if s & CtStateSet::UNTRACKED != 0 {
                        u.t()
                    } else {
                        u.f()
                    }
                } else {
                    ct_var_in(u, s)
                };
                if (st.dnat && s & CtStateSet::DNAT != 0) || (st.snat && s & CtStateSet::SNAT != 0)
                {
                    b = u.t();
                }
                b
            };
            known(b)
        }
        MatchKind::CtMark { value, mask } => {
            let dep = no_conntrack(u, st, cx.before_ct).not();
            let b = u.masked_eq(
                &st.bits(u, Field::CtMark),
                u128::from(*value),
                u128::from(*mask),
            );
            or_unknown(dep, b, "the connection mark")
        }
        MatchKind::CtStatus { .. } | MatchKind::CtDirection { .. } => (
            no_conntrack(u, st, cx.before_ct).not(),
            ct_history_pred(u, &m.kind, st).unwrap_or_else(|| {
                Tri::unknown(u, format!("`{m}` depends on the connection's history"))
            }),
        ),
        MatchKind::Mark { value, mask } => {
            let b = u.masked_eq(
                &st.bits(u, Field::Mark),
                u128::from(*value),
                u128::from(*mask),
            );
            or_unknown(u.t(), b, "the mark")
        }
        MatchKind::SetLookup { set, keys } => set_pred(u, set, keys, st, cx),
        MatchKind::PhysDev { .. } => unknown("bridge ports (physdev) are not analysed".into()),
        MatchKind::Mac { .. } => unknown("MAC addresses are not analysed".into()),
        MatchKind::Statistic { .. } => unknown(format!("`{m}` is random or counts packets")),
        MatchKind::Limit { .. } => unknown(format!("`{m}` depends on the traffic rate")),
        MatchKind::Owner { .. } => unknown("socket owners are not analysed".into()),
        MatchKind::Length { .. } => unknown("packet lengths are not analysed".into()),
        MatchKind::PktType { .. } => unknown("link-layer packet types are not analysed".into()),
        MatchKind::Ttl { .. } => unknown("TTL / hop limit is not analysed".into()),
        MatchKind::Dscp { .. } | MatchKind::Tos { .. } => {
            unknown("DSCP/TOS is not analysed".into())
        }
        MatchKind::AddrType {
            dir,
            types,
            limit_iface,
        } => {
            let t = addr_type_pred(
                u,
                st,
                cx.v6,
                cx.local_addrs,
                *dir,
                types,
                limit_iface.is_some(),
            );
            (u.t(), t)
        }
        MatchKind::Other {
            module,
            args,
            lossy: false,
        } if module == "rpfilter" && cx.rpf_valid => {
            // As the tracer: the query describes traffic whose source is routed back through
            // the interface it came in on; `--invert` matches the other traffic.
            let invert = args.split_whitespace().any(|a| a == "--invert");
            known(if invert { u.f() } else { u.t() })
        }
        MatchKind::Other { lossy: true, .. } => {
            unknown(format!("`{m}` was read from a lossy source"))
        }
        MatchKind::Other { module, .. } => {
            unknown(format!("`{module}` is a match nfdiff does not evaluate"))
        }
        #[allow(unreachable_patterns)]
        _ => unknown(format!("`{m}` is a match nfdiff does not evaluate")),
    }
}

/// One match, negation included.
pub(crate) fn match_pred(u: &Universe, m: &Match, st: &FlowState, cx: &HookCx<'_>) -> Tri {
    let (dep, t) = kind_pred(u, m, st, cx);
    let maybe = t.maybe.and(&dep);
    if m.negated {
        Tri {
            yes: dep.and_not(&t.yes.or(&t.maybe)),
            maybe,
            reasons: t.reasons,
        }
    } else {
        Tri {
            yes: t.yes.and(&dep),
            maybe,
            reasons: t.reasons,
        }
    }
}

/// A lookup in a named set, by its members.
fn set_pred(
    u: &Universe,
    name: &str,
    keys: &[SetKey],
    st: &FlowState,
    cx: &HookCx<'_>,
) -> (Bdd, Tri) {
    let Some(ps) = cx.sets.get(name) else {
        return (
            u.t(),
            Tri::unknown(
                u,
                format!("the members of set `{name}` are not in the dump (an ipset?)"),
            ),
        );
    };
    let mut dep = u.t();
    for k in keys {
        match k {
            SetKey::TransportPort { proto, .. } => dep = dep.and(&proto_is(u, proto.0)),
            SetKey::Sport | SetKey::Dport => dep = dep.and(&has_ports(u)),
            _ => {}
        }
    }
    let mut acc = u.f();
    for e in &ps.elements {
        if e.key.len() != keys.len() {
            return (
                dep,
                Tri::unknown(u, "set key and element have different lengths".into()),
            );
        }
        let mut el = u.t();
        for (k, a) in keys.iter().zip(&e.key) {
            match atom_pred(u, k, a, st, cx) {
                Some(b) => el = el.and(&b),
                None => {
                    return (
                        dep,
                        Tri::unknown(u, format!("set `{name}`: key `{k}` is not analysed")),
                    )
                }
            }
            if el.is_false() {
                break;
            }
        }
        acc = acc.or(&el);
    }
    (dep, Tri::known(u, acc))
}

pub(crate) fn atom_pred(
    u: &Universe,
    k: &SetKey,
    a: &Atom,
    st: &FlowState,
    cx: &HookCx<'_>,
) -> Option<Bdd> {
    let addr = |dir: Direction| -> Option<Bdd> {
        let f = addr_field(dir, cx.v6);
        match a {
            Atom::Net(n) if n.addr().is_ipv6() == cx.v6 => {
                addr_in(u, st, f, &AddrSpec::Net { net: *n })
            }
            Atom::Range(x, y) if x.is_ipv6() == cx.v6 => addr_in(
                u,
                st,
                f,
                &AddrSpec::Range {
                    first: *x,
                    last: *y,
                },
            ),
            Atom::Word(_) => None,
            _ => Some(u.f()),
        }
    };
    let num = |f: Field, max: u64| -> Option<Bdd> {
        match a {
            Atom::Num(x, y) => {
                if *x > max {
                    return Some(u.f());
                }
                u.range(&st.bits(u, f), u128::from(*x), u128::from((*y).min(max)))
            }
            Atom::Word(_) => None,
            _ => Some(u.f()),
        }
    };
    let name = |dir: Direction| -> Option<Bdd> {
        let p = match a {
            Atom::Iface(p) => p.clone(),
            Atom::Word(w) => IfacePattern::Exact(w.clone()),
            _ => return Some(u.f()),
        };
        Some(iface_pred(u, dir, &[p], cx))
    };
    match k {
        SetKey::Saddr | SetKey::Saddr6 => addr(Direction::Src),
        SetKey::Daddr | SetKey::Daddr6 => addr(Direction::Dst),
        SetKey::Sport => num(Field::Sport, 65535),
        SetKey::Dport => num(Field::Dport, 65535),
        SetKey::TransportPort { dir, .. } => match dir {
            Direction::Src => num(Field::Sport, 65535),
            Direction::Dst => num(Field::Dport, 65535),
        },
        SetKey::IifName => name(Direction::Src),
        SetKey::OifName => name(Direction::Dst),
        SetKey::L4Proto => match a {
            Atom::Word(w) if w.chars().any(|c| c.is_ascii_alphabetic()) => {
                Protocol::parse(w).map(|p| proto_is(u, p.0))
            }
            _ => num(Field::Proto, 255),
        },
        SetKey::Mark => num(Field::Mark, u64::from(u32::MAX)),
        _ => None,
    }
}
