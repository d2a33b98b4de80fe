//! The node's local addresses for `trace` and `reach`: from `--local-addr`, else from a live
//! source (this namespace's interfaces) or a snapshot that recorded them.

use std::io::Read;

use anyhow::{Context, Result};
use netfilter_model::parse::{sniff_format, Format, ParseOptions, SourceSpec};
use netfilter_model::snapshot::{parse_snapshot, SnapshotAddr};
use netfilter_model::trace::{LocalAddrs, Packet};

/// Bytes of a file looked at to tell a snapshot.
const HEAD: u64 = 4096;

/// Gives the packet the node's local addresses when the command line did not: a live source
/// reads them from this namespace, a snapshot file from what it recorded.
pub fn fill_local_addrs(packet: &mut Packet, sources: &[SourceSpec]) -> Result<()> {
    if packet.local_addrs.is_some() {
        return Ok(());
    }
    packet.local_addrs = local_addrs_of(sources)?;
    Ok(())
}

fn local_addrs_of(sources: &[SourceSpec]) -> Result<Option<LocalAddrs>> {
    for spec in sources {
        match spec {
            SourceSpec::Live { .. } => {
                let addrs = netfilter_model::interface_addrs::local_addrs()
                    .context("reading the node's local addresses (getifaddrs)")?;
                return Ok(Some(addrs));
            }
            SourceSpec::File { path, .. } if path != "-" => {
                if let Some(a) = snapshot_addrs(path)? {
                    return Ok(Some(a));
                }
            }
            _ => {}
        }
    }
    Ok(None)
}

/// The local addresses a snapshot file recorded; `None` for other files.
fn snapshot_addrs(path: &str) -> Result<Option<LocalAddrs>> {
    let Ok(f) = std::fs::File::open(path) else {
        // Loading the source reports the error.
        return Ok(None);
    };
    let mut head = Vec::new();
    f.take(HEAD).read_to_end(&mut head)?;
    if sniff_format(&String::from_utf8_lossy(&head)) != Some(Format::Snapshot) {
        return Ok(None);
    }
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {path}"))?;
    let snap = parse_snapshot(&text, &ParseOptions::new(path.to_string()))?;
    Ok(snap.local_addrs.as_deref().map(SnapshotAddr::local_addrs))
}
