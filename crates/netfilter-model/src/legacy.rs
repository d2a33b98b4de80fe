//! Live legacy (x_tables) backend: tables in use, rule counts, and rules via *-legacy-save.
//!
//! nfdiff never writes netfilter state: it reads `/proc/net/ip{,6}_tables_names`, asks the
//! kernel for each table's entries with getsockopt (read-only), and runs only the `*-save`
//! binaries (never `*-restore`), by absolute path and without a shell.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::error::{Error, Result};
use crate::model::{Backend, Family, Ruleset, Warning};
use crate::parse::{parse_iptables_save, ParseOptions};

/// One legacy table in use, with its rule count.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LegacyTable {
    /// `Ip` (iptables) or `Ip6` (ip6tables).
    pub family: Family,
    /// Table name (`filter`, `nat`, ...).
    pub name: String,
    /// Rules in the table (policies, chain heads and tails not counted), when the kernel
    /// could be asked (needs CAP_NET_ADMIN).
    pub rules: Option<u32>,
    /// User-defined chains, when known.
    pub user_chains: Option<u32>,
}

/// Directories searched for the `*-legacy-save` binaries, in order.
pub const SAVE_DIRS: [&str; 4] = ["/usr/sbin", "/sbin", "/usr/bin", "/bin"];

const SOURCE: &str = "live:legacy";

fn names_file(family: Family) -> &'static str {
    if family == Family::Ip6 {
        "/proc/net/ip6_tables_names"
    } else {
        "/proc/net/ip_tables_names"
    }
}

/// The legacy tables in use in this network namespace, with rule counts where the kernel
/// answers. A missing names file means the family's module is not loaded: no tables.
pub fn legacy_tables() -> Vec<LegacyTable> {
    let mut out = Vec::new();
    for family in [Family::Ip, Family::Ip6] {
        let Ok(text) = std::fs::read_to_string(names_file(family)) else {
            continue;
        };
        let mut names: Vec<&str> = text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .collect();
        names.sort_unstable();
        for name in names {
            let counts = table_counts(family, name);
            out.push(LegacyTable {
                family,
                name: name.to_string(),
                rules: counts.map(|c| c.0),
                user_chains: counts.map(|c| c.1),
            });
        }
    }
    out
}

/// Layout constants of `ipt_entry` / `ip6t_entry` on Linux (64-bit and 32-bit agree here).
struct Layout {
    level: libc::c_int,
    target_offset_at: usize,
}

const IPT_SO_GET_INFO: libc::c_int = 64;
const IPT_SO_GET_ENTRIES: libc::c_int = 65;
/// `sizeof(struct ipt_getinfo)`: name[32], valid_hooks, hook_entry[5], underflow[5], num_entries, size.
const GETINFO_LEN: usize = 84;
/// Offset of `entrytable` in `struct ipt_get_entries` (name[32], size, then 8-aligned entries).
const ENTRIES_HDR: usize = 40;
/// Largest table nfdiff asks the kernel for (256 MiB).
const MAX_TABLE_BYTES: usize = 256 << 20;

fn layout(family: Family) -> Layout {
    if family == Family::Ip6 {
        Layout {
            level: libc::IPPROTO_IPV6,
            target_offset_at: 140,
        }
    } else {
        Layout {
            level: libc::IPPROTO_IP,
            target_offset_at: 88,
        }
    }
}

fn ne_u32(b: &[u8], o: usize) -> Option<u32> {
    Some(u32::from_ne_bytes(b.get(o..o + 4)?.try_into().ok()?))
}

fn ne_u16(b: &[u8], o: usize) -> Option<u16> {
    Some(u16::from_ne_bytes(b.get(o..o + 2)?.try_into().ok()?))
}

/// Asks the kernel for a table's entries (getsockopt, read-only) and counts its rules and
/// user chains. `None` when the kernel refuses (no privilege) or answers something odd.
fn table_counts(family: Family, name: &str) -> Option<(u32, u32)> {
    let l = layout(family);
    let mut tname = [0u8; 32];
    let n = name.len().min(31);
    tname[..n].copy_from_slice(&name.as_bytes()[..n]);
    // SAFETY: socket/getsockopt on buffers whose declared lengths are their real lengths;
    // the descriptor is closed before returning.
    unsafe {
        let af = if family == Family::Ip6 {
            libc::AF_INET6
        } else {
            libc::AF_INET
        };
        let fd = libc::socket(af, libc::SOCK_RAW, libc::IPPROTO_RAW);
        if fd < 0 {
            return None;
        }
        let result = (|| {
            let mut info = [0u8; GETINFO_LEN];
            info[..32].copy_from_slice(&tname);
            let mut len = GETINFO_LEN as libc::socklen_t;
            if libc::getsockopt(
                fd,
                l.level,
                IPT_SO_GET_INFO,
                info.as_mut_ptr().cast(),
                &mut len,
            ) != 0
            {
                return None;
            }
            let valid_hooks = ne_u32(&info, 32)?;
            let underflow: Vec<u32> = (0..5).filter_map(|i| ne_u32(&info, 56 + 4 * i)).collect();
            let num_entries = ne_u32(&info, 76)?;
            let size = ne_u32(&info, 80)? as usize;
            if size > MAX_TABLE_BYTES {
                return None;
            }
            let mut buf = vec![0u8; ENTRIES_HDR + size];
            buf[..32].copy_from_slice(&tname);
            buf[32..36].copy_from_slice(&(size as u32).to_ne_bytes());
            let mut len = buf.len() as libc::socklen_t;
            if libc::getsockopt(
                fd,
                l.level,
                IPT_SO_GET_ENTRIES,
                buf.as_mut_ptr().cast(),
                &mut len,
            ) != 0
            {
                return None;
            }
            let table = buf.get(ENTRIES_HDR..)?;
            let underflows: Vec<usize> = (0..5)
                .filter(|h| valid_hooks & (1 << h) != 0)
                .filter_map(|h| underflow.get(h).map(|u| *u as usize))
                .collect();
            count_entries(table, &l, num_entries, &underflows)
        })();
        libc::close(fd);
        result
    }
}

/// Walks the entry table: every entry is a rule except builtin policies (underflows),
/// user chain heads (`ERROR` targets), user chain tails (the entry before the next head)
/// and the final `ERROR` entry.
fn count_entries(
    table: &[u8],
    l: &Layout,
    num_entries: u32,
    underflows: &[usize],
) -> Option<(u32, u32)> {
    let mut off = 0usize;
    let mut prev: Option<usize> = None;
    let mut errors = 0u32;
    let mut tails = 0u32;
    let mut seen = 0u32;
    while off < table.len() && seen < num_entries {
        let target_offset = usize::from(ne_u16(table, off + l.target_offset_at)?);
        let next_offset = usize::from(ne_u16(table, off + l.target_offset_at + 2)?);
        if next_offset == 0 {
            return None;
        }
        let name_at = off + target_offset + 2;
        let tname = table.get(name_at..name_at + 29)?;
        let end = tname.iter().position(|b| *b == 0).unwrap_or(29);
        if &tname[..end] == b"ERROR" {
            errors += 1;
            if let Some(p) = prev {
                if !underflows.contains(&p) {
                    tails += 1;
                }
            }
        }
        prev = Some(off);
        off += next_offset;
        seen += 1;
    }
    let user_chains = errors.checked_sub(1)?;
    let rules = num_entries
        .checked_sub(errors)?
        .checked_sub(tails)?
        .checked_sub(underflows.len() as u32)?;
    Some((rules, user_chains))
}

/// Finds a binary in [`SAVE_DIRS`].
pub fn find_binary(name: &str) -> Option<PathBuf> {
    SAVE_DIRS
        .iter()
        .map(|d| Path::new(d).join(name))
        .find(|p| p.is_file())
}

/// Reads the legacy backend: the rules via `iptables-legacy-save` / `ip6tables-legacy-save`
/// when installed, parsed with the iptables-save parser. When a binary is missing, or its
/// output cannot be parsed, the ruleset carries a warning with the rule counts only.
pub fn read_live_legacy() -> Result<Ruleset> {
    let tables = legacy_tables();
    let mut rs = Ruleset::default();
    for family in [Family::Ip, Family::Ip6] {
        let mine: Vec<&LegacyTable> = tables.iter().filter(|t| t.family == family).collect();
        if mine.is_empty() {
            continue;
        }
        let bin = if family == Family::Ip6 {
            "ip6tables-legacy-save"
        } else {
            "iptables-legacy-save"
        };
        let counts_note = || {
            mine.iter()
                .map(|t| match t.rules {
                    Some(n) => format!("{} ({n} rules)", t.name),
                    None => format!("{} (rule count unknown: needs CAP_NET_ADMIN)", t.name),
                })
                .collect::<Vec<_>>()
                .join(", ")
        };
        let Some(path) = find_binary(bin) else {
            rs.warnings.push(Warning {
                kind: "legacy-counts-only".into(),
                source: SOURCE.into(),
                line: None,
                message: format!(
                    "{bin} is not installed (looked in {}); only rule counts are known for the \
                     legacy {family} tables: {}",
                    SAVE_DIRS.join(", "),
                    counts_note()
                ),
            });
            continue;
        };
        let out = Command::new(&path).output().map_err(|error| Error::Io {
            source_name: format!("{SOURCE} ({})", path.display()),
            error,
        })?;
        if !out.status.success() {
            let stderr = String::from_utf8_lossy(&out.stderr);
            if stderr.contains("ermission denied") || stderr.contains("you must be root") {
                return Err(Error::Unsupported {
                    what: SOURCE.into(),
                    reason: "reading legacy iptables needs CAP_NET_ADMIN (run as root)".into(),
                });
            }
            return Err(Error::Io {
                source_name: format!("{SOURCE} ({})", path.display()),
                error: std::io::Error::other(format!(
                    "{} exited with {}: {}",
                    path.display(),
                    out.status,
                    stderr.trim()
                )),
            });
        }
        let text = String::from_utf8_lossy(&out.stdout);
        let opts = ParseOptions::new(SOURCE).with_backend(Some(Backend::Legacy));
        match parse_iptables_save(&text, &opts) {
            Ok(parsed) => rs.extend(parsed),
            Err(e) => rs.warnings.push(Warning {
                kind: "legacy-counts-only".into(),
                source: SOURCE.into(),
                line: None,
                message: format!(
                    "the output of {} could not be read ({e}); only rule counts are known for \
                     the legacy {family} tables: {}",
                    path.display(),
                    counts_note()
                ),
            }),
        }
    }
    Ok(rs)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Builds a fake IPv4 entry table: entries of 112+40 bytes with a named target.
    fn entry(target: &str) -> Vec<u8> {
        let mut e = vec![0u8; 152];
        e[88..90].copy_from_slice(&112u16.to_ne_bytes());
        e[90..92].copy_from_slice(&152u16.to_ne_bytes());
        e[114..114 + target.len()].copy_from_slice(target.as_bytes());
        e
    }

    #[test]
    fn counts_rules_chains_and_policies() {
        // INPUT: 2 rules + policy; user chain X: head, 1 rule, tail; final ERROR.
        let entries = ["", "", "", "ERROR", "", "", "ERROR"];
        let table: Vec<u8> = entries.iter().flat_map(|t| entry(t)).collect();
        let l = layout(Family::Ip);
        let underflows = [2 * 152];
        assert_eq!(count_entries(&table, &l, 7, &underflows), Some((3, 1)));
        // Garbage never panics.
        assert_eq!(count_entries(&table[..50], &l, 7, &underflows), None);
        assert_eq!(count_entries(&[0u8; 200], &l, 3, &[]), None);
    }
}
