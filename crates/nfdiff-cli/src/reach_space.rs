//! `reach` without `--src`/`--dst`: per input-interface class, the packet-space engine's
//! partition of the rest of the space, each class with its verdict, deciding rule and witness.

use std::io::Write;

use anyhow::{anyhow, bail, Result};
use netfilter_model::model::{
    icmp_type_name, AddrSpec, CtStateSet, IfacePattern, PortRange, Protocol, Ruleset,
};
use netfilter_model::space::{partition, Partition, SpaceQuery};
use netfilter_model::trace::{iface_classes, LocalAddrSpec, LocalAddrs, TraceIndex, TracePath};

use crate::args::{OutputFormat, PacketArgs};
use crate::render;

/// One input-interface class and the partition of the rest of the space for it.
#[derive(Debug, Clone)]
pub struct ReachSpaceClass {
    /// The class of interface names, in words.
    pub description: String,
    /// The name the class was analysed with.
    pub example: String,
    /// The classes of the rest of the space.
    pub partition: Partition,
}

fn addr_spec(flag: &str, s: &str) -> Result<AddrSpec> {
    if let Ok(net) = s.parse::<ipnet::IpNet>() {
        return Ok(AddrSpec::net(net.trunc()));
    }
    if let Ok(a) = s.parse::<std::net::IpAddr>() {
        return Ok(AddrSpec::net(ipnet::IpNet::from(a)));
    }
    bail!("{flag} `{s}`: expected an address or a prefix such as 10.0.0.0/8")
}

fn port_range(flag: &str, s: &str) -> Result<PortRange> {
    let bad = || anyhow!("{flag} `{s}`: expected a port (0-65535) or a range such as 8000-8080");
    let (a, b) = s.split_once('-').unwrap_or((s, s));
    let first: u16 = a.trim().parse().map_err(|_| bad())?;
    let last: u16 = b.trim().parse().map_err(|_| bad())?;
    if first > last {
        return Err(bad());
    }
    Ok(PortRange { first, last })
}

fn mark(flag: &str, s: &str) -> Result<u32> {
    let r = match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        Some(h) => u32::from_str_radix(h, 16),
        None => s.parse(),
    };
    r.map_err(|_| anyhow!("{flag} `{s}`: expected a 32-bit mark such as 0x4000 or 16384"))
}

/// The query of `reach` from its flags: every field given narrows the space, every field
/// left out is any value. `--src`/`--dst` take prefixes here.
pub fn query_from_args(a: &PacketArgs) -> Result<SpaceQuery> {
    let path: TracePath = a.path.parse().map_err(|e: String| anyhow!("--path: {e}"))?;
    if path == TracePath::Output {
        bail!("reach classifies input interfaces, and the output path has none; use --path forward or input");
    }
    let mut q = SpaceQuery::new(path);
    if let Some(o) = &a.oif {
        if path == TracePath::Input {
            bail!("--oif does not apply to the input path: a locally delivered packet has no output interface");
        }
        q.oif = Some(crate::trace_args::iface_pattern(o).map_err(|e| anyhow!("--oif: {e}"))?);
    }
    if let Some(s) = &a.src {
        q.src = vec![addr_spec("--src", s)?];
    }
    if let Some(d) = &a.dst {
        q.dst = vec![addr_spec("--dst", d)?];
    }
    if let (Some(s), Some(d)) = (q.src.first(), q.dst.first()) {
        if s.is_ipv6() != d.is_ipv6() {
            bail!("--src and --dst must both be IPv4 or both IPv6");
        }
    }
    if let Some(pr) = &a.proto {
        q.proto = vec![Protocol::parse(pr).ok_or_else(|| {
            anyhow!("--proto `{pr}`: expected a protocol name (tcp, udp, icmp, ...) or number")
        })?];
    }
    let has_ports = q.proto.first().is_none_or(|p| p.has_ports());
    if (a.sport.is_some() || a.dport.is_some()) && !has_ports {
        bail!("--sport/--dport need a protocol with ports (tcp, udp, sctp, dccp, udplite)");
    }
    if let Some(s) = &a.sport {
        q.sport = vec![port_range("--sport", s)?];
    }
    if let Some(d) = &a.dport {
        q.dport = vec![port_range("--dport", d)?];
    }
    if let Some(t) = &a.icmp_type {
        let v6 = q
            .src
            .first()
            .or(q.dst.first())
            .is_some_and(AddrSpec::is_ipv6);
        let n = t
            .parse::<u8>()
            .ok()
            .or_else(|| (0..=255u8).find(|&n| icmp_type_name(v6, n) == Some(t.as_str())));
        q.icmp_type = Some(n.ok_or_else(|| {
            anyhow!("--icmp-type `{t}`: expected a number or a name such as echo-request")
        })?);
    }
    let ct = CtStateSet::bit(&a.ct_state).ok_or_else(|| {
        anyhow!(
            "--ct-state `{}`: expected one of new, established, related, invalid, untracked",
            a.ct_state
        )
    })?;
    q.ct_state = Some(CtStateSet(ct));
    if let Some(m) = &a.mark {
        q.mark = Some(mark("--mark", m)?);
    }
    if a.ct_mark.is_some() {
        bail!("--ct-mark: reach without --src/--dst does not narrow the connection mark; leave it out (any) or give --src and --dst");
    }
    if !a.local_addr.is_empty() {
        let specs = a
            .local_addr
            .iter()
            .map(|s| s.parse::<LocalAddrSpec>())
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| anyhow!("--local-addr {e}"))?;
        q.local_addrs = Some(LocalAddrs::from_specs(&specs));
    }
    Ok(q)
}

/// Partitions the space once per class of input-interface names matching `pattern`.
pub fn reach_space(
    rs: &Ruleset,
    pattern: &IfacePattern,
    q: &SpaceQuery,
) -> Result<Vec<ReachSpaceClass>> {
    let idx = TraceIndex::new(rs);
    let mut out = Vec::new();
    for c in iface_classes(&idx, pattern) {
        let mut cq = q.clone();
        cq.iif = Some(IfacePattern::Exact(c.example.clone()));
        let partition = partition(rs, &cq)?;
        out.push(ReachSpaceClass {
            description: c.description,
            example: c.example,
            partition,
        });
    }
    Ok(out)
}

/// Runs `reach` on the engine and renders it.
pub fn run(
    out: &mut impl Write,
    rs: &Ruleset,
    pattern: &IfacePattern,
    q: &SpaceQuery,
    format: OutputFormat,
) -> Result<()> {
    let classes = reach_space(rs, pattern, q)?;
    match format {
        OutputFormat::Text => render::reach_space_text::write(out, pattern, &classes)?,
        OutputFormat::Json => render::reach_space_json::write(out, &classes)?,
    }
    Ok(())
}
