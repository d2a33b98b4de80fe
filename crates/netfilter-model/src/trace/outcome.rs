//! What a course did to the packet's addresses: the NAT result that, with the verdict and
//! the deciding rule, tells one outcome from another.

use std::fmt;
use std::net::IpAddr;

use super::matching::PktState;

/// An address and port a NAT mapping chose.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub struct NatEndpoint {
    /// The address; `None` for a redirect (an address of the node itself, the one of the
    /// interface the packet came in on, or `127.0.0.1` for locally generated traffic).
    pub addr: Option<IpAddr>,
    /// The port, when the packet has ports.
    pub port: Option<u16>,
}

impl NatEndpoint {
    /// An endpoint.
    pub fn new(addr: Option<IpAddr>, port: Option<u16>) -> NatEndpoint {
        NatEndpoint { addr, port }
    }
}

impl fmt::Display for NatEndpoint {
    /// `10.244.1.5:8080`, `[fd00::5]:80`, `10.244.1.5`, `local:8080` (a redirect).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.addr, self.port) {
            (Some(IpAddr::V6(a)), Some(p)) => write!(f, "[{a}]:{p}"),
            (Some(a), Some(p)) => write!(f, "{a}:{p}"),
            (Some(a), None) => write!(f, "{a}"),
            (None, Some(p)) => write!(f, "local:{p}"),
            (None, None) => f.write_str("local"),
        }
    }
}

/// The address translation of one outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
#[non_exhaustive]
pub struct NatResult {
    /// The destination after DNAT (or redirect), when the destination was translated.
    pub dnat: Option<NatEndpoint>,
    /// The source after SNAT, when the source was translated to a given address.
    pub snat: Option<NatEndpoint>,
    /// Whether the source was masqueraded (to the output interface's address).
    pub masquerade: bool,
}

impl NatResult {
    /// Whether the packet's addresses were left alone.
    pub fn is_none(&self) -> bool {
        self.dnat.is_none() && self.snat.is_none() && !self.masquerade
    }

    /// The NAT result of a course's packet state.
    pub(crate) fn of(st: &PktState) -> NatResult {
        NatResult {
            dnat: st
                .dnat
                .then(|| NatEndpoint::new((!st.nat_redirect).then_some(st.dst), st.dport)),
            snat: (st.snat && !st.masquerade).then(|| NatEndpoint::new(Some(st.src), st.sport)),
            masquerade: st.masquerade,
        }
    }
}

impl fmt::Display for NatResult {
    /// `DNAT to 10.244.1.5:8080, masquerade`, or `no NAT`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts = Vec::new();
        if let Some(d) = &self.dnat {
            parts.push(format!("DNAT to {d}"));
        }
        if let Some(s) = &self.snat {
            parts.push(format!("SNAT to {s}"));
        }
        if self.masquerade {
            parts.push("masquerade".to_string());
        }
        if parts.is_empty() {
            f.write_str("no NAT")
        } else {
            f.write_str(&parts.join(", "))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::Packet;

    #[test]
    fn reads_the_translation_of_a_course() {
        let p = Packet::new("10.0.0.1".parse().unwrap(), "10.96.0.10".parse().unwrap());
        let mut st = PktState::from_packet(&p);
        assert!(NatResult::of(&st).is_none());
        assert_eq!(NatResult::of(&st).to_string(), "no NAT");
        st.dnat = true;
        st.dst = "10.244.1.5".parse().unwrap();
        st.dport = Some(8080);
        st.snat = true;
        st.masquerade = true;
        let r = NatResult::of(&st);
        assert_eq!(r.to_string(), "DNAT to 10.244.1.5:8080, masquerade");
        st.nat_redirect = true;
        assert_eq!(NatResult::of(&st).dnat.unwrap().to_string(), "local:8080");
    }
}
