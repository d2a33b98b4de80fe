//! Address-type matches over flows (`-m addrtype`, nft `fib … type`): the address space
//! split by the type the kernel gives each address, from the query's node facts
//! ([`LocalAddrs`]), as the tracer's `addr_type_truth` decides one address.
//!
//! IPv4 (`inet_dev_addr_type`): `0.0.0.0/8` and `255.255.255.255` are `BROADCAST`,
//! `224.0.0.0/4` `MULTICAST` whatever the node; then the node's local prefixes are `LOCAL`,
//! its subnet broadcasts `BROADCAST`, every other address `UNICAST`. Without the local
//! addresses the rest may be any of the three, without the broadcast list (addresses given
//! without prefix length) a non-local address may be `UNICAST` or `BROADCAST`. With
//! `--limit-iface-*` a local or broadcast address may be held by another interface (then it
//! is `UNICAST`): *may*. IPv6 (xt_addrtype's test): `MULTICAST` is `ff00::/8`, `UNSPEC` is
//! `::`, `UNICAST` the rest, `LOCAL` the node's prefixes; other types and combinations of
//! several depend on routes (*may*).

use ipnet::IpNet;

use crate::model::{AddrSpec, Direction};
use crate::trace::LocalAddrs;

use super::bdd::Bdd;
use super::predicate::{addr_in, Tri};
use super::state::FlowState;
use super::universe::{Field, Universe};

/// What an address-type match decides so far: where it surely holds, where it may, why.
struct Decided {
    yes: Bdd,
    maybe: Bdd,
    reasons: Vec<String>,
}

impl Decided {
    /// Region `r`, whose addresses are all of type `t`, matches when `t` is asked for; with
    /// the interface limit, a local or broadcast address may be another interface's.
    fn typed(&mut self, r: &Bdd, t: &str, types: &[String], limit_iface: bool, which: &str) {
        let has = |t: &str| types.iter().any(|x| x == t);
        if limit_iface && matches!(t, "LOCAL" | "BROADCAST") {
            match (has(t), has("UNICAST")) {
                (true, true) => self.yes = self.yes.or(r),
                (false, false) => {}
                _ => self.open(r, format!(
                    "the {which} address is {t} on the node, but which interface holds it is not known"
                )),
            }
        } else if has(t) {
            self.yes = self.yes.or(r);
        }
    }

    /// Region `r` has one of `possible` types, which one is not known.
    fn one_of(&mut self, r: &Bdd, possible: &[&str], types: &[String], why: String) {
        let hits = possible
            .iter()
            .filter(|t| types.iter().any(|x| x == *t))
            .count();
        if hits == possible.len() {
            self.yes = self.yes.or(r);
        } else if hits > 0 {
            self.open(r, why);
        }
    }

    fn open(&mut self, r: &Bdd, why: String) {
        if !r.is_false() {
            self.maybe = self.maybe.or(r);
            self.reasons.push(why);
        }
    }

    fn into_tri(self) -> Tri {
        Tri {
            maybe: self.maybe.and_not(&self.yes),
            yes: self.yes,
            reasons: self.reasons,
        }
    }
}

/// The packets whose `dir` address has one of `types` (uppercase kernel names).
pub(crate) fn addr_type_pred(
    u: &Universe,
    st: &FlowState,
    v6: bool,
    node: Option<&LocalAddrs>,
    dir: Direction,
    types: &[String],
    limit_iface: bool,
) -> Tri {
    let f = match (dir, v6) {
        (Direction::Src, false) => Field::Src4,
        (Direction::Dst, false) => Field::Dst4,
        (Direction::Src, true) => Field::Src6,
        (Direction::Dst, true) => Field::Dst6,
    };
    let which = match dir {
        Direction::Src => "source",
        Direction::Dst => "destination",
    };
    let mut d = Decided {
        yes: u.f(),
        maybe: u.f(),
        reasons: Vec::new(),
    };
    // `None` when the address was rewritten to a value nfdiff does not know.
    let within = |nets: &[IpNet]| -> Option<Bdd> {
        nets.iter()
            .filter(|n| matches!(n, IpNet::V6(_)) == v6)
            .try_fold(u.f(), |acc, n| {
                Some(acc.or(&addr_in(u, st, f, &AddrSpec::Net { net: *n })?))
            })
    };
    let net = |s: &str| s.parse::<IpNet>().ok().into_iter().collect::<Vec<_>>();
    let unknown_addr = || {
        let mut d = Decided {
            yes: u.f(),
            maybe: u.f(),
            reasons: Vec::new(),
        };
        d.open(
            &u.t(),
            format!("the {which} address was rewritten to a value nfdiff does not know"),
        );
        d.into_tri()
    };
    let local = match node.map(|n| within(&n.local)) {
        Some(None) => return unknown_addr(),
        l => l.flatten(),
    };
    if v6 {
        let (Some(mcast), Some(unspec)) = (within(&net("ff00::/8")), within(&net("::/128"))) else {
            return unknown_addr();
        };
        let mut acc = Tri {
            yes: u.t(),
            maybe: u.f(),
            reasons: Vec::new(),
        };
        for t in types {
            let mut one = Decided {
                yes: u.f(),
                maybe: u.f(),
                reasons: Vec::new(),
            };
            match (t.as_str(), &local) {
                ("MULTICAST", _) => one.yes = mcast.clone(),
                ("UNICAST", _) => one.yes = mcast.or(&unspec).not(),
                ("UNSPEC", _) => one.yes = unspec.clone(),
                ("LOCAL", Some(l)) => one.yes = l.clone(),
                ("LOCAL", None) => one.open(&u.t(), format!(
                    "whether the {which} address is local is not known: the node's local addresses are not known (--local-addr)"
                )),
                (other, _) => one.open(&u.t(), format!(
                    "whether the {which} address is {other} depends on the node's routes"
                )),
            }
            acc = acc.and(&one.into_tri());
        }
        if types.len() > 1 {
            // Several IPv6 types: the kernel's combination depends on routes.
            let open = acc.yes.or(&acc.maybe);
            d.reasons = acc.reasons;
            d.open(
                &open,
                format!(
                    "the IPv6 address types {} of the {which} address depend on the node's routes",
                    types.join(",")
                ),
            );
            return d.into_tri();
        }
        return acc;
    }
    let fixed = (
        within(&net("0.0.0.0/8")),
        within(&net("255.255.255.255/32")),
        within(&net("224.0.0.0/4")),
    );
    let (Some(zero), Some(all_ones), Some(mcast)) = fixed else {
        return unknown_addr();
    };
    let bcast = zero.or(&all_ones);
    let mcast = mcast.and_not(&bcast);
    d.typed(&bcast, "BROADCAST", types, limit_iface, which);
    d.typed(&mcast, "MULTICAST", types, false, which);
    let rest = bcast.or(&mcast).not();
    let (Some(local), Some(node)) = (local, node) else {
        d.one_of(&rest, &["LOCAL", "BROADCAST", "UNICAST"], types, format!(
            "the type of the {which} address is not known: the node's local addresses are not known (--local-addr)"
        ));
        return d.into_tri();
    };
    let local = local.and(&rest);
    d.typed(&local, "LOCAL", types, limit_iface, which);
    let rest = rest.and_not(&local);
    match &node.broadcast {
        Some(b) => {
            let nets: Vec<IpNet> = b.iter().map(|a| IpNet::from(*a)).collect();
            let Some(bc) = within(&nets) else {
                return unknown_addr();
            };
            let bc = bc.and(&rest);
            d.typed(&bc, "BROADCAST", types, limit_iface, which);
            d.typed(&rest.and_not(&bc), "UNICAST", types, limit_iface, which);
        }
        None => d.one_of(&rest, &["BROADCAST", "UNICAST"], types, format!(
            "the type of the {which} address is not known: the node's broadcast addresses are not known (give --local-addr with a prefix length)"
        )),
    }
    d.into_tri()
}

#[cfg(test)]
mod tests;
