//! Match compilation: one rule condition as a BDD over the header bits (and the current
//! symbolic state), or *opaque* with the reason when the engine cannot express it.

use std::collections::HashMap;
use std::net::IpAddr;

use biodivine_lib_bdd::Bdd;

use crate::model::{
    AddrSpec, CtStateSet, Direction, Match, MatchKind, PortRange, Protocol, SetKey,
};
use crate::trace::{Atom, ParsedSet};

use super::bitvec::{eq_const, masked_eq, prefix, range};
use super::state::{Fixed, SymState};
use super::vars::{Universe, CT_STATES};

/// The interface name a hook sees.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum IfAt {
    /// The packet's own interface (the `iif`/`oif` field).
    Var,
    /// A name every packet of the part has here (`""` where the kernel knows none, `lo`).
    Name(String),
}

/// Everything a compiled match may look at.
pub(crate) struct MatchCtx<'a> {
    pub(crate) u: &'a Universe,
    pub(crate) fx: &'a Fixed,
    pub(crate) st: &'a SymState,
    pub(crate) v6: bool,
    pub(crate) iif: &'a IfAt,
    pub(crate) oif: &'a IfAt,
    /// The base chain runs before connection tracking.
    pub(crate) before_ct: bool,
    pub(crate) sets: &'a HashMap<String, ParsedSet>,
}

/// A compiled match: where its protocol dependency holds (negation does not apply there)
/// and its body.
pub(crate) struct Compiled {
    pub(crate) dep: Bdd,
    pub(crate) body: Body,
}

/// The body of a compiled match.
pub(crate) enum Body {
    /// Exactly these packets.
    Exact(Bdd),
    /// Undecidable here; why.
    Opaque(String),
}

impl MatchCtx<'_> {
    fn t(&self) -> Bdd {
        self.u.vars.mk_true()
    }

    fn f(&self) -> Bdd {
        self.u.vars.mk_false()
    }

    fn constant(&self, b: bool) -> Bdd {
        if b {
            self.t()
        } else {
            self.f()
        }
    }

    fn proto_is(&self, p: Protocol) -> Bdd {
        eq_const(&self.u.vars, &self.fx.proto, u128::from(p.0))
    }

    /// Protocols with ports.
    pub(crate) fn has_ports(&self) -> Bdd {
        [6u8, 17, 33, 132, 136]
            .iter()
            .fold(self.f(), |acc, &p| acc.or(&self.proto_is(Protocol(p))))
    }

    fn port_bits(&self, dir: Direction) -> &[Bdd] {
        match dir {
            Direction::Src => &self.st.sport,
            Direction::Dst => &self.st.dport,
        }
    }

    fn ports(&self, dir: Direction, ports: &[PortRange]) -> Bdd {
        let bits = self.port_bits(dir);
        ports.iter().fold(self.f(), |acc, r| {
            acc.or(&range(
                &self.u.vars,
                bits,
                u128::from(r.first),
                u128::from(r.last),
            ))
        })
    }

    fn addr_bits(&self, dir: Direction) -> &[Bdd] {
        match dir {
            Direction::Src => self.st.src(self.v6),
            Direction::Dst => self.st.dst(self.v6),
        }
    }

    /// An address of the packet's family in `spec` (false for the other family).
    fn addr_in(&self, bits: &[Bdd], spec: &AddrSpec) -> Bdd {
        if spec.is_ipv6() != self.v6 {
            return self.f();
        }
        match spec {
            AddrSpec::Net { net } => prefix(
                &self.u.vars,
                bits,
                addr_value(net.network()),
                usize::from(net.prefix_len()),
            ),
            AddrSpec::Range { first, last } => {
                range(&self.u.vars, bits, addr_value(*first), addr_value(*last))
            }
        }
    }

    /// The interface at this hook matching any of `names`.
    pub(crate) fn iface(&self, dir: Direction, pred: &dyn Fn(&str) -> bool) -> Bdd {
        let (at, bits) = match dir {
            Direction::Src => (self.iif, &self.fx.iif),
            Direction::Dst => (self.oif, &self.fx.oif),
        };
        match at {
            IfAt::Name(n) => self.constant(pred(n)),
            IfAt::Var => self
                .u
                .ifaces
                .iter()
                .enumerate()
                .filter(|(_, c)| pred(&c.example))
                .fold(self.f(), |acc, (i, _)| {
                    acc.or(&eq_const(&self.u.vars, bits, i as u128))
                }),
        }
    }

    /// The ct state index is one of `states`.
    fn ct_index_in(&self, states: u8) -> Bdd {
        CT_STATES
            .iter()
            .enumerate()
            .filter(|(_, &s)| states & s != 0)
            .fold(self.f(), |acc, (i, _)| {
                acc.or(&eq_const(&self.u.vars, &self.fx.ct, i as u128))
            })
    }

    /// The packets without a conntrack entry here (before conntrack, untracked, or
    /// arriving invalid or untracked).
    pub(crate) fn no_conntrack(&self) -> Bdd {
        if self.before_ct {
            return self.t();
        }
        self.st
            .untracked
            .or(&self.ct_index_in(CtStateSet::INVALID | CtStateSet::UNTRACKED))
    }

    /// The packets whose ct state bits meet `states`.
    pub(crate) fn ct_state(&self, states: u8) -> Bdd {
        let st = self.st;
        let untracked_part = if states & CtStateSet::UNTRACKED != 0 {
            st.untracked.clone()
        } else {
            self.f()
        };
        let tracked = st.untracked.not();
        let mut acc = if self.before_ct {
            if states & CtStateSet::INVALID != 0 {
                tracked
            } else {
                self.f()
            }
        } else {
            let mut a = tracked.and(&self.ct_index_in(states));
            if states & CtStateSet::DNAT != 0 {
                a = a.or(&st.dnat);
            }
            if states & CtStateSet::SNAT != 0 {
                a = a.or(&st.snat);
            }
            a
        };
        acc = acc.or(&untracked_part);
        acc
    }
}

/// An address as the number its bits spell.
pub(crate) fn addr_value(a: IpAddr) -> u128 {
    match a {
        IpAddr::V4(v) => u128::from(u32::from(v)),
        IpAddr::V6(v) => u128::from(v),
    }
}

fn opaque(ctx: &MatchCtx<'_>, why: impl Into<String>) -> Compiled {
    Compiled {
        dep: ctx.t(),
        body: Body::Opaque(why.into()),
    }
}

fn exact(dep: Bdd, body: Bdd) -> Compiled {
    Compiled {
        dep,
        body: Body::Exact(body),
    }
}

/// Compiles one match (negation is applied by the caller to the body only).
pub(crate) fn compile_match(m: &Match, ctx: &MatchCtx<'_>) -> Compiled {
    let t = ctx.t();
    match &m.kind {
        MatchKind::Interface { dir, names } => {
            exact(t, ctx.iface(*dir, &|n| names.iter().any(|p| p.matches(n))))
        }
        MatchKind::Address { dir, addrs } => {
            if addrs.iter().any(|s| s.is_ipv6() != ctx.v6) {
                return exact(ctx.f(), ctx.f());
            }
            let bits = ctx.addr_bits(*dir);
            let body = addrs
                .iter()
                .fold(ctx.f(), |acc, s| acc.or(&ctx.addr_in(bits, s)));
            exact(t, body)
        }
        MatchKind::Protocol { protos } => exact(
            t,
            protos
                .iter()
                .fold(ctx.f(), |acc, p| acc.or(&ctx.proto_is(*p))),
        ),
        // The tracer's packets are never non-first fragments.
        MatchKind::Fragment => exact(t, ctx.f()),
        MatchKind::Port { dir, proto, ports } => {
            let dep = match proto {
                Some(p) => ctx.proto_is(*p),
                None => ctx.has_ports(),
            };
            exact(dep, ctx.ports(*dir, ports))
        }
        MatchKind::AnyPort { proto, ports } => {
            let dep = match proto {
                Some(p) => ctx.proto_is(*p),
                None => ctx.has_ports(),
            };
            let body = ctx
                .ports(Direction::Src, ports)
                .or(&ctx.ports(Direction::Dst, ports));
            exact(dep, body)
        }
        MatchKind::TcpFlags { mask, set } => exact(
            ctx.proto_is(Protocol::TCP),
            masked_eq(
                &ctx.u.vars,
                &ctx.fx.tcp_flags,
                u128::from(set.0),
                u128::from(mask.0),
            )
            .and(&ctx.constant(set.0 & !mask.0 == 0)),
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
            let mut body = t;
            if let Some(ty) = icmp_type {
                body = eq_const(&ctx.u.vars, &ctx.fx.icmp_type, u128::from(*ty));
                if let Some(c) = code {
                    body = body.and(&eq_const(&ctx.u.vars, &ctx.fx.icmp_code, u128::from(*c)));
                }
            }
            exact(ctx.proto_is(want), body)
        }
        MatchKind::CtState { states } => exact(t, ctx.ct_state(states.0)),
        MatchKind::CtMark { value, mask } => exact(
            ctx.no_conntrack().not(),
            masked_value(ctx, &ctx.st.ct_mark, *value, *mask),
        ),
        MatchKind::CtStatus { .. } | MatchKind::CtDirection { .. } => Compiled {
            dep: ctx.no_conntrack().not(),
            body: Body::Opaque(format!("`{m}` depends on the connection's history")),
        },
        MatchKind::Mark { value, mask } => exact(t, masked_value(ctx, &ctx.st.mark, *value, *mask)),
        MatchKind::SetLookup { set, keys } => match ctx.sets.get(set) {
            None => opaque(
                ctx,
                format!("the members of set `{set}` are not in the dump (an ipset?)"),
            ),
            Some(ps) => set_lookup(ctx, ps, keys, m),
        },
        MatchKind::PhysDev { .. } => opaque(ctx, "bridge ports (physdev) are not modelled"),
        MatchKind::Mac { .. } => opaque(ctx, "MAC addresses are not modelled"),
        MatchKind::Statistic { .. } => opaque(ctx, format!("`{m}` is random or counts packets")),
        MatchKind::Limit { .. } => opaque(ctx, format!("`{m}` depends on the traffic rate")),
        MatchKind::Owner { .. } => opaque(ctx, "socket owners are not modelled"),
        MatchKind::Length { .. } => opaque(ctx, "packet lengths are not modelled"),
        MatchKind::PktType { .. } => opaque(ctx, "link-layer packet types are not modelled"),
        MatchKind::Ttl { .. } => opaque(ctx, "TTL / hop limit is not modelled"),
        MatchKind::Dscp { .. } | MatchKind::Tos { .. } => opaque(ctx, "DSCP/TOS is not modelled"),
        MatchKind::AddrType { .. } => opaque(
            ctx,
            format!(
                "`{m}` depends on the node's addresses, which the space engine does not model yet"
            ),
        ),
        // As the tracer's default query: the source passes the reverse-path check (the
        // space describes legitimate traffic routed back through its input interface).
        MatchKind::Other {
            module,
            args,
            lossy: false,
        } if module == "rpfilter" => {
            let invert = args.split_whitespace().any(|a| a == "--invert");
            exact(t, ctx.constant(!invert))
        }
        MatchKind::Other { lossy: true, .. } => {
            opaque(ctx, format!("`{m}` was read from a lossy source"))
        }
        MatchKind::Other { module, .. } => opaque(
            ctx,
            format!("`{module}` is a match the space engine does not evaluate"),
        ),
        #[allow(unreachable_patterns)]
        _ => opaque(
            ctx,
            format!("`{m}` is a match the space engine does not evaluate"),
        ),
    }
}

/// `(bits & mask) == value`, never true when `value` has bits outside `mask`.
fn masked_value(ctx: &MatchCtx<'_>, bits: &[Bdd], value: u32, mask: u32) -> Bdd {
    if value & !mask != 0 {
        return ctx.f();
    }
    masked_eq(&ctx.u.vars, bits, u128::from(value), u128::from(mask))
}

/// A lookup in a set whose members are known: the union of its elements.
fn set_lookup(ctx: &MatchCtx<'_>, ps: &ParsedSet, keys: &[SetKey], m: &Match) -> Compiled {
    let mut dep = ctx.t();
    for k in keys {
        match k {
            SetKey::TransportPort { proto, .. } => dep = dep.and(&ctx.proto_is(*proto)),
            SetKey::Sport | SetKey::Dport => dep = dep.and(&ctx.has_ports()),
            _ => {}
        }
    }
    let mut body = ctx.f();
    for el in &ps.elements {
        if el.key.len() != keys.len() {
            return opaque(
                ctx,
                format!("`{m}`: set key and element have different lengths"),
            );
        }
        let mut acc = ctx.t();
        for (a, k) in el.key.iter().zip(keys) {
            match atom(ctx, a, k) {
                Some(b) => acc = acc.and(&b),
                None => return opaque(ctx, format!("`{m}`: an element or key is not understood")),
            }
            if acc.is_false() {
                break;
            }
        }
        body = body.or(&acc);
    }
    exact(dep, body)
}

/// One key component against one element atom; `None` when not understood.
fn atom(ctx: &MatchCtx<'_>, a: &Atom, k: &SetKey) -> Option<Bdd> {
    let vars = &ctx.u.vars;
    let num_range = |bits: &[Bdd], x: u64, y: u64| {
        let max = (1u128 << bits.len()) - 1;
        range(
            vars,
            bits,
            u128::from(x).min(max + 1),
            u128::from(y).min(max),
        )
    };
    Some(match k {
        SetKey::Saddr | SetKey::Daddr | SetKey::Saddr6 | SetKey::Daddr6 => {
            let dir = if matches!(k, SetKey::Saddr | SetKey::Saddr6) {
                Direction::Src
            } else {
                Direction::Dst
            };
            let bits = ctx.addr_bits(dir);
            match a {
                Atom::Net(n) => ctx.addr_in(bits, &AddrSpec::net(*n)),
                Atom::Range(x, y) => ctx.addr_in(
                    bits,
                    &AddrSpec::Range {
                        first: *x,
                        last: *y,
                    },
                ),
                Atom::Word(_) => return None,
                _ => ctx.f(),
            }
        }
        SetKey::Sport | SetKey::Dport | SetKey::TransportPort { .. } => {
            let dir = match k {
                SetKey::Sport => Direction::Src,
                SetKey::TransportPort { dir, .. } => *dir,
                _ => Direction::Dst,
            };
            match a {
                Atom::Num(x, y) => num_range(ctx.port_bits(dir), *x, *y),
                Atom::Word(_) => return None,
                _ => ctx.f(),
            }
        }
        SetKey::IifName | SetKey::OifName => {
            let dir = if matches!(k, SetKey::IifName) {
                Direction::Src
            } else {
                Direction::Dst
            };
            match a {
                Atom::Iface(p) => ctx.iface(dir, &|n| p.matches(n)),
                Atom::Word(w) => ctx.iface(dir, &|n| n == w),
                _ => ctx.f(),
            }
        }
        SetKey::L4Proto => match a {
            Atom::Num(x, y) => num_range(&ctx.fx.proto, *x, *y),
            Atom::Word(w) => match Protocol::parse(w) {
                Some(p) if w.chars().any(|c| c.is_ascii_alphabetic()) => ctx.proto_is(p),
                _ => return None,
            },
            _ => ctx.f(),
        },
        SetKey::Mark => match a {
            Atom::Num(x, y) => num_range(&ctx.st.mark, *x, *y),
            Atom::Word(_) => return None,
            _ => ctx.f(),
        },
        _ => return None,
    })
}
