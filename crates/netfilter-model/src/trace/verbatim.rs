//! nft expressions the model keeps verbatim (`nft …`) that the query still decides:
//! `meta nfproto ipv4`, `ct state ! new,established`, and anonymous sets of one or more
//! keys (`ip saddr . udp dport { 10.0.0.1 . 53 }`, `icmp type { echo-request, echo-reply }`).

use crate::model::{icmp_type_name, CtStateSet, Protocol, SetKey};

use super::matching::{key_val, Ctx, Truth};
use super::natmap::key_of;
use super::sets::{split_top, KeyVal, ParsedSet};

/// The outcome of a verbatim expression.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Verbatim {
    /// It holds, does not, or cannot be told.
    T(Truth),
    /// A protocol it depends on is not the packet's: the rule does not match.
    Inapplicable,
}

/// One key of an anonymous set.
enum Key {
    Field(SetKey),
    /// `icmp type` (`false`) or `icmpv6 type` (`true`).
    IcmpType(bool),
}

fn parse_key(s: &str) -> Option<Key> {
    match s.split_whitespace().collect::<Vec<_>>().as_slice() {
        ["icmp", "type"] => Some(Key::IcmpType(false)),
        ["icmpv6", "type"] => Some(Key::IcmpType(true)),
        _ => key_of(s).map(Key::Field),
    }
}

fn icmp_number(v6: bool, name: &str) -> Option<u8> {
    (0..=255u8).find(|&t| icmp_type_name(v6, t) == Some(name))
}

/// Evaluates `text` (the expression without the `nft ` prefix); `None` when it is not one
/// of the forms above.
pub(crate) fn eval_verbatim(text: &str, ctx: &Ctx<'_>) -> Option<Verbatim> {
    let text = text.trim();
    if let Some(rest) = text.strip_prefix("meta nfproto ") {
        let (neg, fam) = match rest.trim().strip_prefix("!= ") {
            Some(f) => (true, f.trim()),
            None => (false, rest.trim()),
        };
        let v6 = match fam {
            "ipv4" => false,
            "ipv6" => true,
            _ => return None,
        };
        return Some(Verbatim::T(Truth::from((ctx.pkt.is_ipv6() == v6) != neg)));
    }
    if let Some(rest) = text.strip_prefix("ct state ! ") {
        let states = CtStateSet::parse_list(&rest.replace(' ', ""))?;
        let bits = if ctx.before_conntrack && !ctx.st.untracked {
            CtStateSet::INVALID
        } else {
            ctx.st.ct_bits(ctx.pkt)
        };
        return Some(Verbatim::T(Truth::from(states.0 & bits == 0)));
    }
    // `KEYS { ... }` or `KEYS != { ... }`.
    let open = text.find('{')?;
    let body = text[open..].strip_prefix('{')?.strip_suffix('}')?;
    if body.contains('{') {
        // Nested sets are not evaluated.
        return None;
    }
    let head = text[..open].trim();
    let (head, neg) = match head.strip_suffix("!=") {
        Some(h) => (h.trim(), true),
        None => (head.strip_suffix("==").unwrap_or(head).trim(), false),
    };
    let keys = split_top(head, " . ")
        .into_iter()
        .map(parse_key)
        .collect::<Option<Vec<Key>>>()?;
    // Protocol dependencies of the keys.
    for k in &keys {
        let want = match k {
            Key::Field(SetKey::TransportPort { proto, .. }) => *proto,
            Key::IcmpType(false) => Protocol::ICMP,
            Key::IcmpType(true) => Protocol::ICMPV6,
            _ => continue,
        };
        match ctx.pkt.proto {
            Some(p) if p != want => return Some(Verbatim::Inapplicable),
            None => {
                return Some(Verbatim::T(Truth::Maybe(
                    "the query gives no protocol".into(),
                )))
            }
            Some(_) => {}
        }
    }
    // Elements, with ICMP type names as numbers.
    let mut elems = Vec::new();
    for e in split_top(body.trim(), ",") {
        let parts = split_top(e.trim(), " . ");
        if parts.len() != keys.len() {
            return None;
        }
        let mut out = Vec::new();
        for (p, k) in parts.iter().zip(&keys) {
            match k {
                Key::IcmpType(v6) => match p.trim().parse::<u8>() {
                    Ok(n) => out.push(n.to_string()),
                    Err(_) => out.push(icmp_number(*v6, p.trim())?.to_string()),
                },
                Key::Field(_) => out.push(p.trim().to_string()),
            }
        }
        elems.push(out.join(" . "));
    }
    let set = ParsedSet::parse(elems.iter().map(String::as_str));
    let key: Vec<KeyVal<'_>> = keys
        .iter()
        .map(|k| match k {
            Key::Field(f) => key_val(f, ctx),
            Key::IcmpType(_) => match ctx.pkt.icmp_type {
                Some(t) => KeyVal::Num(u64::from(t)),
                None => KeyVal::Unknown("the query gives no ICMP type".into()),
            },
        })
        .collect();
    if key
        .iter()
        .any(|k| matches!(k, KeyVal::Addr(a) if a.is_ipv6() != ctx.pkt.is_ipv6()))
    {
        return Some(Verbatim::Inapplicable);
    }
    let t = set.contains(&key);
    Some(Verbatim::T(if neg { !t } else { t }))
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;
    use crate::trace::matching::PktState;
    use crate::trace::packet::Packet;

    fn eval(text: &str, p: &Packet) -> Option<Verbatim> {
        let st = PktState::from_packet(p);
        let sets = HashMap::new();
        let ctx = Ctx {
            pkt: p,
            st: &st,
            iif: "cali1",
            oif: "eth0",
            sets: &sets,
            before_conntrack: false,
        };
        eval_verbatim(text, &ctx)
    }

    #[test]
    fn decided_verbatim_forms() {
        let mut p = Packet::new("10.244.1.5".parse().unwrap(), "10.0.0.1".parse().unwrap());
        p.proto = Some(Protocol::UDP);
        p.dport = Some(5005);
        p.ct_state = CtStateSet(CtStateSet::NEW);
        let yes = Some(Verbatim::T(Truth::Yes));
        let no = Some(Verbatim::T(Truth::No));
        assert_eq!(eval("meta nfproto ipv4", &p), yes);
        assert_eq!(eval("meta nfproto ipv6", &p), no);
        assert_eq!(eval("ct state ! new,established", &p), no);
        assert_eq!(eval("ct state ! invalid", &p), yes);
        assert_eq!(
            eval(
                "ip saddr . udp dport { 10.244.1.5 . 5005, 10.244.1.9 . 53 }",
                &p
            ),
            yes
        );
        assert_eq!(
            eval("ip saddr . udp dport != { 10.244.1.5 . 5005 }", &p),
            no
        );
        assert_eq!(
            eval("ip saddr . tcp dport { 10.244.1.5 . 5005 }", &p),
            Some(Verbatim::Inapplicable)
        );
        assert_eq!(
            eval("icmp type { echo-reply, echo-request }", &p),
            Some(Verbatim::Inapplicable)
        );
        p.proto = Some(Protocol::ICMP);
        p.icmp_type = Some(8);
        assert_eq!(eval("icmp type { echo-reply, echo-request }", &p), yes);
        assert_eq!(eval("icmp type { echo-reply }", &p), no);
        assert_eq!(eval("vlan id 10", &p), None);
    }
}
