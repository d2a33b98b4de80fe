//! Validation of the packet fields of `trace` and `reach` into a library `Packet`.

use std::net::IpAddr;

use anyhow::{anyhow, bail, Result};
use netfilter_model::model::{icmp_type_name, CtStateSet, IfacePattern, Protocol};
use netfilter_model::trace::{LocalAddrSpec, LocalAddrs, Packet, TracePath};

use crate::args::PacketArgs;

/// Parses an interface pattern: `cali*` and `cali+` are prefixes, anything else a name.
pub fn iface_pattern(s: &str) -> Result<IfacePattern> {
    if s.is_empty() {
        bail!("--iif: expected an interface name or a prefix such as `cali*`, got an empty string");
    }
    let p = if s.ends_with('+') {
        IfacePattern::from_iptables(s)
    } else {
        IfacePattern::from_nft(s)
    };
    if p.literal().len() > 15 {
        bail!("--iif `{s}`: interface names are at most 15 characters");
    }
    Ok(p)
}

fn addr(flag: &str, s: &str) -> Result<IpAddr> {
    s.parse()
        .map_err(|_| anyhow!("{flag} `{s}`: expected an IPv4 or IPv6 address such as 10.0.0.1"))
}

fn port(flag: &str, s: &str) -> Result<u16> {
    s.parse()
        .map_err(|_| anyhow!("{flag} `{s}`: expected a port number from 0 to 65535"))
}

fn mark(flag: &str, s: &str) -> Result<u32> {
    let r = match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        Some(h) => u32::from_str_radix(h, 16),
        None => s.parse(),
    };
    r.map_err(|_| anyhow!("{flag} `{s}`: expected a 32-bit mark such as 0x4000 or 16384"))
}

fn ct_state(s: &str) -> Result<CtStateSet> {
    match CtStateSet::bit(s) {
        Some(b)
            if [
                CtStateSet::NEW,
                CtStateSet::ESTABLISHED,
                CtStateSet::RELATED,
                CtStateSet::INVALID,
                CtStateSet::UNTRACKED,
            ]
            .contains(&b) =>
        {
            Ok(CtStateSet(b))
        }
        _ => {
            bail!("--ct-state `{s}`: expected one of new, established, related, invalid, untracked")
        }
    }
}

fn icmp_type(s: &str, v6: bool) -> Result<u8> {
    if let Ok(n) = s.parse::<u8>() {
        return Ok(n);
    }
    (0..=255u8)
        .find(|&t| icmp_type_name(v6, t) == Some(s))
        .ok_or_else(|| {
            anyhow!("--icmp-type `{s}`: expected a number or a name such as echo-request")
        })
}

/// The addresses, the path, the interfaces and the node's local addresses of the packet.
fn packet_path_and_addrs(iif: Option<&str>, a: &PacketArgs, reach: bool) -> Result<Packet> {
    let path: TracePath = a.path.parse().map_err(|e: String| anyhow!("--path: {e}"))?;
    let need = |flag: &str, v: &Option<String>| {
        v.clone()
            .ok_or_else(|| anyhow!("{flag} is required (the packet's address)"))
    };
    let src = addr("--src", &need("--src", &a.src)?)?;
    let dst = addr("--dst", &need("--dst", &a.dst)?)?;
    if src.is_ipv6() != dst.is_ipv6() {
        bail!("--src {src} and --dst {dst} must both be IPv4 or both IPv6");
    }
    let mut p = Packet::new(src, dst);
    p.path = path;
    if !a.local_addr.is_empty() {
        let specs = a
            .local_addr
            .iter()
            .map(|s| s.parse::<LocalAddrSpec>())
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| anyhow!("--local-addr {e}"))?;
        p.local_addrs = Some(LocalAddrs::from_specs(&specs));
    }
    if path == TracePath::Auto {
        // Which interfaces apply is decided with the node's addresses, when tracing.
        p.iif = iif.map(str::to_string);
        p.oif = a.oif.clone();
    } else {
        check_interfaces(&mut p, iif, a, reach)?;
    }
    Ok(p)
}

/// Checks `--iif`/`--oif` against an explicit path.
fn check_interfaces(p: &mut Packet, iif: Option<&str>, a: &PacketArgs, reach: bool) -> Result<()> {
    let path = p.path;
    match (path.has_iif(), iif) {
        (true, Some(i)) => p.iif = Some(i.to_string()),
        (true, None) => bail!(
            "the {path} path needs --iif (the interface the packet arrives on)"
        ),
        (false, Some(_)) if reach => bail!(
            "reach classifies input interfaces, and the output path has none; use --path forward or input"
        ),
        (false, Some(_)) => bail!(
            "--iif does not apply to the output path: a locally generated packet has no input interface"
        ),
        (false, None) => {}
    }
    match (path.has_oif(), &a.oif) {
        (true, Some(o)) => p.oif = Some(o.clone()),
        (true, None) => bail!("the {path} path needs --oif (the interface the packet leaves by)"),
        (false, Some(_)) => bail!(
            "--oif does not apply to the input path: a locally delivered packet has no output interface"
        ),
        (false, None) => {}
    }
    Ok(())
}

/// Builds the packet. `iif` is the `--iif` value (for reach, the pattern's literal, replaced
/// per class); `reach` relaxes nothing else.
pub fn packet_from_args(iif: Option<&str>, a: &PacketArgs, reach: bool) -> Result<Packet> {
    let mut p = packet_path_and_addrs(iif, a, reach)?;
    if let Some(pr) = &a.proto {
        p.proto = Some(Protocol::parse(pr).ok_or_else(|| {
            anyhow!("--proto `{pr}`: expected a protocol name (tcp, udp, icmp, ...) or number")
        })?);
    }
    let has_ports = p.proto.is_some_and(|pr| pr.has_ports());
    if (a.sport.is_some() || a.dport.is_some()) && !has_ports {
        bail!("--sport/--dport need --proto with ports (tcp, udp, sctp, dccp, udplite)");
    }
    p.sport = a.sport.as_deref().map(|s| port("--sport", s)).transpose()?;
    p.dport = a.dport.as_deref().map(|s| port("--dport", s)).transpose()?;
    if let Some(t) = &a.icmp_type {
        let v6 = p.is_ipv6();
        let want = if v6 { Protocol::ICMPV6 } else { Protocol::ICMP };
        if p.proto != Some(want) {
            bail!("--icmp-type needs --proto {want}");
        }
        p.icmp_type = Some(icmp_type(t, v6)?);
    }
    p.ct_state = ct_state(&a.ct_state)?;
    p.mark = a
        .mark
        .as_deref()
        .map(|m| mark("--mark", m))
        .transpose()?
        .unwrap_or(0);
    p.ct_mark = a
        .ct_mark
        .as_deref()
        .map(|m| mark("--ct-mark", m))
        .transpose()?
        .unwrap_or(0);
    Ok(p)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args() -> PacketArgs {
        PacketArgs {
            oif: Some("eth0".into()),
            src: Some("10.0.0.1".into()),
            dst: Some("10.0.0.2".into()),
            proto: Some("udp".into()),
            sport: None,
            dport: Some("53".into()),
            icmp_type: None,
            ct_state: "established".into(),
            mark: Some("0x4000".into()),
            ct_mark: None,
            path: "forward".into(),
            local_addr: Vec::new(),
        }
    }

    #[test]
    fn validates_packet_fields() {
        let p = packet_from_args(Some("cali1"), &args(), false).unwrap();
        assert_eq!(p.dport, Some(53));
        assert_eq!(p.mark, 0x4000);
        assert_eq!(p.ct_state, CtStateSet::ESTABLISHED);
        let e = packet_from_args(None, &args(), false).unwrap_err();
        assert!(e.to_string().contains("needs --iif"), "{e}");
        let mut a = args();
        a.dport = Some("99999".into());
        let e = packet_from_args(Some("x"), &a, false).unwrap_err();
        assert!(e.to_string().contains("0 to 65535"), "{e}");
        let mut a = args();
        a.dst = Some("fd00::1".into());
        assert!(packet_from_args(Some("x"), &a, false).is_err());
        let mut a = args();
        a.path = "input".into();
        let e = packet_from_args(Some("x"), &a, false).unwrap_err();
        assert!(e.to_string().contains("--oif does not apply"), "{e}");
        let mut a = args();
        a.ct_state = "bogus".into();
        assert!(packet_from_args(Some("x"), &a, false).is_err());
        assert_eq!(
            iface_pattern("cali+").unwrap(),
            IfacePattern::Prefix("cali".into())
        );
        assert_eq!(
            iface_pattern("cali*").unwrap(),
            IfacePattern::Prefix("cali".into())
        );
        assert!(iface_pattern("").is_err());
    }
}
