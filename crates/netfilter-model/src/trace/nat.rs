//! Address translation: how a NAT statement rewrites what later hooks see.

use std::net::IpAddr;

use crate::model::{NatKind, Statement};

use super::matching::PktState;
use super::outcome::NatEndpoint;
use super::step_detail::{NatChange, NatRewrite};

/// The first address of `10.0.0.1`, `10.0.0.1-10.0.0.9`, `[fe80::1]`, `10.0.0.1:80`.
fn first_addr(s: &str) -> Option<(IpAddr, Option<&str>)> {
    let s = s.trim();
    let first = s.split('-').next().unwrap_or(s).trim();
    if let Ok(a) = first.parse::<IpAddr>() {
        return Some((a, None));
    }
    let first = s.split_once('-').map_or(s, |(a, _)| a);
    if let Some(rest) = first.strip_prefix('[') {
        let (a, tail) = rest.split_once(']')?;
        return Some((a.parse().ok()?, tail.strip_prefix(':')));
    }
    let (a, p) = first.rsplit_once(':')?;
    Some((a.parse().ok()?, Some(p)))
}

fn first_port(s: &str) -> Option<u16> {
    s.trim().split('-').next()?.trim().parse().ok()
}

/// Applies a NAT statement to the packet state. Returns what changed, or `None` when the
/// statement is not a NAT statement.
pub(crate) fn apply_nat(stmt: &Statement, st: &mut PktState) -> Option<NatRewrite> {
    let Statement::Nat {
        kind, addr, port, ..
    } = stmt
    else {
        return None;
    };
    let parsed = addr.as_deref().and_then(first_addr);
    let port = port
        .as_deref()
        .and_then(first_port)
        .or_else(|| parsed.and_then(|(_, p)| p).and_then(first_port));
    let addr = parsed.map(|(a, _)| a);
    let change = match kind {
        NatKind::Dnat => {
            st.dnat = true;
            if let Some(a) = addr.filter(|a| a.is_ipv6() == st.dst.is_ipv6()) {
                st.dst = a;
            }
            if port.is_some() {
                st.dport = port;
            }
            NatChange::Destination(NatEndpoint::new(Some(st.dst), st.dport))
        }
        NatKind::Redirect => {
            st.dnat = true;
            st.nat_redirect = true;
            if port.is_some() {
                st.dport = port;
            }
            NatChange::Redirect
        }
        NatKind::Snat => {
            st.snat = true;
            if let Some(a) = addr.filter(|a| a.is_ipv6() == st.src.is_ipv6()) {
                st.src = a;
            }
            if port.is_some() {
                st.sport = port;
            }
            NatChange::Source(NatEndpoint::new(Some(st.src), st.sport))
        }
        NatKind::Masquerade => {
            st.snat = true;
            st.masquerade = true;
            if port.is_some() {
                st.sport = port;
            }
            NatChange::Masquerade
        }
    };
    Some(NatRewrite::new(stmt.clone(), change))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::packet::Packet;

    #[test]
    fn dnat_rewrites_destination() {
        let p = Packet::new("10.0.0.1".parse().unwrap(), "10.96.0.10".parse().unwrap());
        let mut st = PktState::from_packet(&p);
        let s = Statement::Nat {
            kind: NatKind::Dnat,
            addr: Some("10.244.1.5:8080".into()),
            port: None,
            flags: vec![],
        };
        let d = apply_nat(&s, &mut st).unwrap();
        assert_eq!(st.dst, "10.244.1.5".parse::<IpAddr>().unwrap());
        assert_eq!(st.dport, Some(8080));
        assert!(st.dnat);
        assert!(d.to_string().contains("10.244.1.5:8080"), "{d}");
        let s = Statement::Nat {
            kind: NatKind::Snat,
            addr: Some("192.168.0.1-192.168.0.9".into()),
            port: Some("1024-2000".into()),
            flags: vec![],
        };
        apply_nat(&s, &mut st).unwrap();
        assert_eq!(st.src, "192.168.0.1".parse::<IpAddr>().unwrap());
        assert_eq!(st.sport, Some(1024));
        assert!(apply_nat(&Statement::Notrack, &mut st).is_none());
    }
}
