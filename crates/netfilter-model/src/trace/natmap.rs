//! NAT through a map (`dnat to ip daddr map @m`, `dnat to tcp dport map { 80 : 10.0.0.1 }`):
//! the new address is the data of the element the packet's key falls in; a miss breaks the
//! rule (no translation, no verdict).

use crate::model::{Direction, Protocol, SetKey, Statement};

use super::matching::{key_val, Ctx};
use super::sets::{split_top, KeyVal, Lookup, ParsedSet};

/// What a NAT statement through a map does to this packet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum NatMap {
    /// The statement takes no map: apply it as written.
    NotAMap,
    /// The key falls in an element: the statement with that element's address (and port).
    Hit(Statement),
    /// The key is in no element: the lookup breaks the rule.
    Miss,
    /// Undecidable: the element that might hold the key first (if any), and why.
    Maybe(Option<Statement>, String),
}

pub(crate) fn key_of(word: &str) -> Option<SetKey> {
    let w: Vec<&str> = word.split_whitespace().collect();
    Some(match w.as_slice() {
        ["ip", "saddr"] => SetKey::Saddr,
        ["ip", "daddr"] => SetKey::Daddr,
        ["ip6", "saddr"] => SetKey::Saddr6,
        ["ip6", "daddr"] => SetKey::Daddr6,
        ["th", "sport"] => SetKey::Sport,
        ["th", "dport"] => SetKey::Dport,
        [p, d @ ("sport" | "dport")] => SetKey::TransportPort {
            proto: Protocol::parse(p)?,
            dir: if *d == "sport" {
                Direction::Src
            } else {
                Direction::Dst
            },
        },
        ["meta", "mark"] | ["mark"] => SetKey::Mark,
        ["iifname"] | ["meta", "iifname"] => SetKey::IifName,
        ["oifname"] | ["meta", "oifname"] => SetKey::OifName,
        _ => return None,
    })
}

/// The statement with the address (and port) of an element's data (`10.0.0.1`,
/// `10.0.0.1 . 8080`).
fn with_data(stmt: &Statement, data: &str) -> Statement {
    let mut s = stmt.clone();
    if let Statement::Nat { addr, port, .. } = &mut s {
        let parts = split_top(data, " . ");
        *addr = parts.first().map(|a| a.trim().to_string());
        if let Some(p) = parts.get(1) {
            *port = Some(p.trim().to_string());
        }
    }
    s
}

/// Resolves a NAT statement's map for the packet.
pub(crate) fn resolve(stmt: &Statement, ctx: &Ctx<'_>) -> NatMap {
    let Statement::Nat {
        addr: Some(addr), ..
    } = stmt
    else {
        return NatMap::NotAMap;
    };
    let Some((key_text, rest)) = addr.split_once(" map ") else {
        return NatMap::NotAMap;
    };
    let unknown = |why: String| NatMap::Maybe(None, why);
    let Some(keys) = split_top(key_text.trim(), " . ")
        .into_iter()
        .map(key_of)
        .collect::<Option<Vec<SetKey>>>()
    else {
        return unknown(format!("the map key `{key_text}` is not evaluated"));
    };
    let rest = rest.trim();
    let inline;
    let set: &ParsedSet = if let Some(name) = rest.strip_prefix('@') {
        let name = name
            .split(|c: char| c.is_whitespace() || c == ':')
            .next()
            .unwrap_or("");
        match ctx.sets.get(name) {
            Some(s) => s,
            None => return unknown(format!("the elements of map `{name}` are not in the dump")),
        }
    } else if let Some(body) = rest.strip_prefix('{').and_then(|r| r.strip_suffix('}')) {
        inline = ParsedSet::parse(split_top(body.trim(), ","));
        &inline
    } else {
        return unknown(format!("the map `{rest}` is not evaluated"));
    };
    // `tcp dport` in the key needs a TCP packet: otherwise the rule ends before the lookup.
    for k in &keys {
        if let SetKey::TransportPort { proto, .. } = k {
            match ctx.pkt.proto {
                Some(p) if p != *proto => return NatMap::Miss,
                None => return unknown("the query gives no protocol".into()),
                Some(_) => {}
            }
        }
    }
    let key: Vec<KeyVal<'_>> = keys.iter().map(|k| key_val(k, ctx)).collect();
    let data = |i: usize| {
        set.elements
            .get(i)
            .and_then(|e| e.data.as_deref())
            .map(|d| with_data(stmt, d))
    };
    match set.lookup(&key) {
        Lookup::Found(i) => match data(i) {
            Some(s) => NatMap::Hit(s),
            None => unknown("the map element has no data".into()),
        },
        Lookup::NotFound => NatMap::Miss,
        Lookup::Maybe(cands, why) => NatMap::Maybe(cands.first().and_then(|&i| data(i)), why),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;
    use crate::model::NatKind;
    use crate::trace::matching::PktState;
    use crate::trace::packet::Packet;

    fn dnat(addr: &str) -> Statement {
        Statement::Nat {
            kind: NatKind::Dnat,
            addr: Some(addr.into()),
            port: None,
            flags: vec![],
        }
    }

    #[test]
    fn map_lookups_pick_the_address() {
        let mut p = Packet::new("10.0.0.1".parse().unwrap(), "10.96.0.10".parse().unwrap());
        p.proto = Some(Protocol::UDP);
        p.dport = Some(53);
        let st = PktState::from_packet(&p);
        let mut sets = HashMap::new();
        sets.insert(
            "m".to_string(),
            ParsedSet::parse(["10.96.0.10 : 192.168.1.7"]),
        );
        sets.insert(
            "mp".to_string(),
            ParsedSet::parse(["10.96.0.10 . 53 : 192.168.1.8 . 5353"]),
        );
        let ctx = Ctx {
            pkt: &p,
            st: &st,
            iif: "",
            oif: "",
            sets: &sets,
            before_conntrack: false,
        };
        assert_eq!(
            resolve(&dnat("ip daddr map @m"), &ctx),
            NatMap::Hit(dnat("192.168.1.7"))
        );
        let mut hit = dnat("192.168.1.8");
        if let Statement::Nat { port, .. } = &mut hit {
            *port = Some("5353".into());
        }
        assert_eq!(
            resolve(&dnat("ip daddr . udp dport map @mp"), &ctx),
            NatMap::Hit(hit)
        );
        assert_eq!(
            resolve(&dnat("ip daddr . tcp dport map @mp"), &ctx),
            NatMap::Miss
        );
        assert_eq!(
            resolve(&dnat("ip daddr map { 10.96.0.11 : 10.0.0.1 }"), &ctx),
            NatMap::Miss
        );
        assert_eq!(
            resolve(&dnat("ip daddr map { 10.96.0.10 : 10.0.0.1 }"), &ctx),
            NatMap::Hit(dnat("10.0.0.1"))
        );
        assert_eq!(resolve(&dnat("10.0.0.1"), &ctx), NatMap::NotAMap);
        assert!(matches!(
            resolve(&dnat("ip daddr map @absent"), &ctx),
            NatMap::Maybe(None, _)
        ));
    }
}
