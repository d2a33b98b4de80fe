//! `Packet::validate`: the consistency checks of a packet query, in the library, so every
//! importer gets the command line's checks (and its messages) without re-implementing them.

use crate::model::{CtStateSet, Protocol};

use super::error::TraceError;
use super::ifclass::IFNAME_MAX;
use super::packet::Packet;
use super::path::TracePath;

/// The conntrack states a packet can be in (one at a time).
const STATES: [u8; 5] = [
    CtStateSet::NEW,
    CtStateSet::ESTABLISHED,
    CtStateSet::RELATED,
    CtStateSet::INVALID,
    CtStateSet::UNTRACKED,
];

impl Packet {
    /// Checks that the query describes a packet the kernel could see: source and destination
    /// of one IP version, ports only with a protocol that has them, an ICMP type only with
    /// ICMP of the packet's IP version, interface names of at most 15 bytes, exactly one
    /// conntrack state, and, on an explicit path, the interfaces that path has (forward: both;
    /// input: only the input interface; output: only the output interface).
    ///
    /// [`trace`](super::trace) itself refuses only what it cannot follow at all (mixed IP
    /// versions); it takes an absent interface as the empty name, as iptables compares it.
    /// This is the stricter check the `nfdiff` command line applies to what it is given.
    pub fn validate(&self) -> Result<(), TraceError> {
        let bad = |m: String| Err(TraceError::InvalidPacket(m));
        if !self.families_agree() {
            return bad(format!(
                "source {} and destination {} must both be IPv4 or both IPv6",
                self.src, self.dst
            ));
        }
        if (self.sport.is_some() || self.dport.is_some())
            && !self.proto.is_some_and(Protocol::has_ports)
        {
            return bad(
                "ports need a protocol with ports (tcp, udp, sctp, dccp, udplite)".to_string(),
            );
        }
        if self.icmp_type.is_some() || self.icmp_code.is_some() {
            let want = if self.is_ipv6() {
                Protocol::ICMPV6
            } else {
                Protocol::ICMP
            };
            if self.proto != Some(want) {
                return bad(format!("an ICMP type or code needs protocol {want}"));
            }
        }
        for (what, name) in [("input", &self.iif), ("output", &self.oif)] {
            if let Some(n) = name {
                if n.is_empty() {
                    return bad(format!("the {what} interface name is empty"));
                }
                if n.len() > IFNAME_MAX {
                    return bad(format!(
                        "{what} interface `{n}`: interface names are at most {IFNAME_MAX} bytes"
                    ));
                }
            }
        }
        if !STATES.contains(&self.ct_state.0) {
            let named = if self.ct_state.0 == 0 {
                "none".to_string()
            } else {
                self.ct_state.to_string()
            };
            return bad(format!(
                "conntrack state `{named}` ({:#x}): a packet is in exactly one of new, established, related, invalid, untracked",
                self.ct_state.0
            ));
        }
        let path = self.path;
        if path != TracePath::Auto {
            match (path.has_iif(), &self.iif) {
                (true, None) => {
                    return bad(format!(
                        "the {path} path needs the input interface the packet arrives on"
                    ))
                }
                (false, Some(_)) => {
                    return bad(format!(
                    "the {path} path has no input interface: a locally generated packet has none"
                ))
                }
                _ => {}
            }
            match (path.has_oif(), &self.oif) {
                (true, None) => {
                    return bad(format!(
                        "the {path} path needs the output interface the packet leaves by"
                    ))
                }
                (false, Some(_)) => {
                    return bad(format!(
                    "the {path} path has no output interface: a locally delivered packet has none"
                ))
                }
                _ => {}
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn forward() -> Packet {
        let mut p = Packet::new("10.0.0.1".parse().unwrap(), "10.0.0.2".parse().unwrap());
        p.iif = Some("cali1".into());
        p.oif = Some("eth0".into());
        p
    }

    #[test]
    fn a_consistent_packet_passes_and_each_inconsistency_is_named() {
        assert_eq!(forward().validate(), Ok(()));
        type Change = Box<dyn Fn(&mut Packet)>;
        let cases: Vec<(Change, &str)> = vec![
            (
                Box::new(|p| p.dst = "::1".parse().unwrap()),
                "IPv4 or both IPv6",
            ),
            (Box::new(|p| p.dport = Some(80)), "ports need a protocol"),
            (
                Box::new(|p| {
                    p.proto = Some(Protocol::UDP);
                    p.icmp_type = Some(8)
                }),
                "needs protocol icmp",
            ),
            (
                Box::new(|p| p.iif = Some("x".repeat(16))),
                "at most 15 bytes",
            ),
            (
                Box::new(|p| p.oif = Some(String::new())),
                "output interface name is empty",
            ),
            (
                Box::new(|p| p.ct_state = CtStateSet(CtStateSet::NEW | CtStateSet::ESTABLISHED)),
                "exactly one",
            ),
            (Box::new(|p| p.oif = None), "needs the output interface"),
            (
                Box::new(|p| {
                    p.path = TracePath::Input;
                }),
                "has no output interface",
            ),
            (
                Box::new(|p| {
                    p.path = TracePath::Output;
                    p.oif = Some("eth0".into());
                }),
                "has no input interface",
            ),
        ];
        for (change, want) in cases {
            let mut p = forward();
            change(&mut p);
            let e = p.validate().unwrap_err().to_string();
            assert!(e.contains(want), "{e} (wanted `{want}`)");
        }
        let mut p = forward();
        p.proto = Some(Protocol::TCP);
        p.dport = Some(443);
        p.path = TracePath::Auto;
        p.iif = None;
        assert_eq!(p.validate(), Ok(()), "auto decides the interfaces later");
    }
}
