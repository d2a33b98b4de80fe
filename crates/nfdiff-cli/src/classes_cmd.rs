//! `nfdiff classes`: the partition of a packet space into classes by fate — its flags,
//! their validation into a library query, and the run.

use std::io::Write;

use anyhow::{anyhow, bail, Result};
use netfilter_model::model::{AddrSpec, CtStateSet, PortRange, Protocol};
use netfilter_model::parse::SourceSpec;
use netfilter_model::space::{partition, SpaceQuery};
use netfilter_model::trace::{LocalAddrSpec, LocalAddrs, TracePath};

use crate::args::OutputFormat;
use crate::input::load_sources;
use crate::render;
use crate::trace_args::iface_pattern;

/// The packet space of `classes`: every field optional, absent means any.
#[derive(Debug, Clone, clap::Args)]
pub struct SpaceArgs {
    /// Input-interface pattern: a name, or a prefix written `cali*` or `cali+`.
    #[arg(long, value_name = "PATTERN")]
    pub iif: Option<String>,
    /// Output-interface pattern.
    #[arg(long, value_name = "PATTERN")]
    pub oif: Option<String>,
    /// Source prefixes or ranges, comma-separated (`10.0.0.0/8,192.0.2.1-192.0.2.9`).
    #[arg(long, value_name = "ADDRS")]
    pub src: Option<String>,
    /// Destination prefixes or ranges, comma-separated.
    #[arg(long, value_name = "ADDRS")]
    pub dst: Option<String>,
    /// Layer-4 protocols, comma-separated (`tcp,udp`, numbers).
    #[arg(long, value_name = "PROTOS")]
    pub proto: Option<String>,
    /// Source ports or ranges, comma-separated (`1024-65535`).
    #[arg(long, value_name = "PORTS")]
    pub sport: Option<String>,
    /// Destination ports or ranges, comma-separated (`80,443,8000-8999`).
    #[arg(long, value_name = "PORTS")]
    pub dport: Option<String>,
    /// ICMP type number.
    #[arg(long, value_name = "TYPE")]
    pub icmp_type: Option<u8>,
    /// Conntrack states, comma-separated: new, established, related, invalid, untracked.
    #[arg(long, value_name = "STATES")]
    pub ct_state: Option<String>,
    /// Packet mark on entry (`0x4000` or decimal).
    #[arg(long, value_name = "MARK")]
    pub mark: Option<String>,
    /// Way through the host: forward, input, output, or auto (with --local-addr: sent by the
    /// node from its addresses, else arriving and delivered or forwarded by destination).
    #[arg(long, value_name = "PATH", default_value = "forward")]
    pub path: String,
    /// The node's own addresses (repeatable; `10.0.0.1/24` also gives the subnet broadcast):
    /// address-type matches (`-m addrtype`, `fib daddr type local`) are decided with them.
    #[arg(long = "local-addr", value_name = "ADDR[/LEN]")]
    pub local_addr: Vec<String>,
}

impl SpaceArgs {
    /// Whether any packet field was given (the path has a default).
    pub fn is_set(&self) -> bool {
        self.iif.is_some()
            || self.oif.is_some()
            || self.src.is_some()
            || self.dst.is_some()
            || self.proto.is_some()
            || self.sport.is_some()
            || self.dport.is_some()
            || self.icmp_type.is_some()
            || self.ct_state.is_some()
            || self.mark.is_some()
            || !self.local_addr.is_empty()
    }
}

fn list(s: &str) -> impl Iterator<Item = &str> {
    s.split(',').map(str::trim).filter(|p| !p.is_empty())
}

fn addrs(flag: &str, s: &str) -> Result<Vec<AddrSpec>> {
    list(s)
        .map(|p| {
            if let Some((a, b)) = p.split_once('-') {
                if let (Ok(first), Ok(last)) = (a.parse(), b.parse()) {
                    return Ok(AddrSpec::Range { first, last });
                }
            } else if let Ok(net) = p.parse::<ipnet::IpNet>() {
                return Ok(AddrSpec::net(net));
            } else if let Ok(a) = p.parse::<std::net::IpAddr>() {
                return Ok(AddrSpec::net(a.into()));
            }
            Err(anyhow!(
                "{flag} `{p}`: expected an address, a prefix such as 10.0.0.0/8 or a range a-b"
            ))
        })
        .collect()
}

fn port_ranges(flag: &str, s: &str) -> Result<Vec<PortRange>> {
    let port = |p: &str| {
        p.parse::<u16>()
            .map_err(|_| anyhow!("{flag} `{s}`: expected ports such as 80,443,1024-65535"))
    };
    list(s)
        .map(|p| match p.split_once('-') {
            Some((a, b)) => {
                let (first, last) = (port(a)?, port(b)?);
                if first > last {
                    bail!("{flag} `{p}`: the range is empty");
                }
                Ok(PortRange { first, last })
            }
            None => Ok(PortRange::single(port(p)?)),
        })
        .collect()
}

fn mark(s: &str) -> Result<u32> {
    let r = match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        Some(h) => u32::from_str_radix(h, 16),
        None => s.parse(),
    };
    r.map_err(|_| anyhow!("--mark `{s}`: expected a 32-bit mark such as 0x4000 or 16384"))
}

/// Validates the flags into a query.
pub fn query_from_args(a: &SpaceArgs) -> Result<SpaceQuery> {
    let path: TracePath = a.path.parse().map_err(|e: String| anyhow!("--path: {e}"))?;
    if path == TracePath::Auto && a.local_addr.is_empty() {
        bail!("--path auto routes by the node's addresses: give them (--local-addr), or a fixed path: forward, input or output");
    }
    let mut q = SpaceQuery::new(path);
    if let Some(p) = &a.iif {
        q = q.with_iif(iface_pattern(p)?);
    }
    if let Some(p) = &a.oif {
        q = q.with_oif(
            iface_pattern(p).map_err(|e| anyhow!("{}", e.to_string().replace("--iif", "--oif")))?,
        );
    }
    if let Some(s) = &a.src {
        q = q.with_src(addrs("--src", s)?);
    }
    if let Some(s) = &a.dst {
        q = q.with_dst(addrs("--dst", s)?);
    }
    if let Some(s) = &a.proto {
        let protos = list(s)
            .map(|p| {
                Protocol::parse(p)
                    .ok_or_else(|| anyhow!("--proto `{p}`: expected a protocol name or number"))
            })
            .collect::<Result<Vec<_>>>()?;
        q = q.with_proto(protos);
    }
    if let Some(s) = &a.sport {
        q = q.with_sport(port_ranges("--sport", s)?);
    }
    if let Some(s) = &a.dport {
        q = q.with_dport(port_ranges("--dport", s)?);
    }
    if let Some(t) = a.icmp_type {
        q = q.with_icmp_type(t);
    }
    if let Some(s) = &a.ct_state {
        let set = CtStateSet::parse_list(s).ok_or_else(|| {
            anyhow!("--ct-state `{s}`: expected new, established, related, invalid, untracked")
        })?;
        q = q.with_ct_state(set);
    }
    if let Some(m) = &a.mark {
        q = q.with_mark(mark(m)?);
    }
    if !a.local_addr.is_empty() {
        let specs = a
            .local_addr
            .iter()
            .map(|s| s.parse::<LocalAddrSpec>())
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| anyhow!("--local-addr {e}"))?;
        q = q.with_local_addrs(LocalAddrs::from_specs(&specs));
    }
    Ok(q)
}

/// Runs `classes`: reads the sources, partitions the space, prints the classes.
pub fn classes(
    out: &mut impl Write,
    sources: &[SourceSpec],
    query: &SpaceQuery,
    format: OutputFormat,
) -> Result<crate::exit::Status> {
    let rs = load_sources(sources)?;
    let p = partition(&rs, query)?;
    match format {
        OutputFormat::Text => render::classes_text::write(out, &p)?,
        OutputFormat::Json => render::classes_json::write(out, &p)?,
    }
    Ok(crate::exit::SUCCESS)
}
