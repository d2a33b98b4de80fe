//! Capturing this node: nf_tables through the live source, legacy and line counts through the
//! save binaries (by absolute path, no shell), and /proc, /sys facts. Reads only.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Result};
use netfilter_model::doctor::{save_command_name, NodeRoute, SaveCounts};
use netfilter_model::model::{Backend, Family, Ruleset};
use netfilter_model::parse::SourceSpec;
use netfilter_model::snapshot::{
    Snapshot, SnapshotPids, SnapshotRuleset, SnapshotSave, SnapshotTablesNames, SnapshotVersion,
    MODEL_SCHEMA, SNAPSHOT_VERSION,
};

use crate::input::load_sources;

/// Directories searched for iptables/nft binaries, in order.
const SBIN: &[&str] = &["/usr/sbin", "/sbin", "/usr/bin", "/bin"];

/// Reads this node's nf_tables ruleset through the CLI's live source (`live:nft`): the
/// netlink reader when this build has it.
pub fn read_live_nft() -> Result<Ruleset> {
    load_sources(&[SourceSpec::Live {
        backend: Some(Backend::Nft),
    }])
}

fn find_binary(name: &str) -> Option<PathBuf> {
    SBIN.iter()
        .map(|d| Path::new(d).join(name))
        .find(|p| p.is_file())
}

/// Runs `path args` without a shell; its standard output, or why it failed.
fn run(path: &Path, args: &[&str]) -> Result<String, String> {
    match Command::new(path).args(args).output() {
        Ok(o) if o.status.success() => Ok(String::from_utf8_lossy(&o.stdout).into_owned()),
        Ok(o) => Err(format!(
            "{} exited with {}: {}",
            path.display(),
            o.status,
            String::from_utf8_lossy(&o.stderr).trim()
        )),
        Err(e) => Err(format!("cannot run {}: {e}", path.display())),
    }
}

fn read_trimmed(path: &str) -> Option<String> {
    std::fs::read_to_string(path)
        .ok()
        .map(|s| s.trim().to_string())
}

fn lines_of(path: &str) -> Option<Vec<String>> {
    std::fs::read_to_string(path).ok().map(|s| {
        s.lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(String::from)
            .collect()
    })
}

/// Interface names of this network namespace, sorted: from the kernel (`if_nameindex`),
/// else `/sys/class/net` (which shows the namespace that mounted sysfs).
/// The addresses of the interfaces that are up, for the tracer's node facts.
fn local_addrs() -> Option<Vec<netfilter_model::snapshot::SnapshotAddr>> {
    let addrs = netfilter_model::interface_addrs::interface_addrs().ok()?;
    Some(
        addrs
            .into_iter()
            .map(
                |(addr, prefix, loopback)| netfilter_model::snapshot::SnapshotAddr {
                    addr,
                    prefix,
                    loopback,
                },
            )
            .collect(),
    )
}

fn interfaces() -> Option<Vec<String>> {
    if let Ok(names) = netfilter_model::interfaces::interface_names() {
        return Some(names);
    }
    let rd = std::fs::read_dir("/sys/class/net").ok()?;
    let mut names: Vec<String> = rd
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    Some(names)
}

/// Routes of this network namespace (`/proc/net` shows the reader's namespace), as
/// `PREFIX dev NAME`.
fn routes() -> Option<Vec<String>> {
    let v4 = std::fs::read_to_string("/proc/net/route").ok()?;
    let v6 = std::fs::read_to_string("/proc/net/ipv6_route").unwrap_or_default();
    Some(
        NodeRoute::from_proc(&v4, &v6)
            .iter()
            .map(|r| format!("{} dev {}", r.dst, r.dev))
            .collect(),
    )
}

fn pids_of(dir: &Path) -> Option<SnapshotPids> {
    let current = read_trimmed(&dir.join("pids.current").to_string_lossy())?
        .parse()
        .ok()?;
    let max_s = read_trimmed(&dir.join("pids.max").to_string_lossy())?;
    let max = if max_s == "max" {
        None
    } else {
        Some(max_s.parse().ok()?)
    };
    Some(SnapshotPids {
        path: dir.display().to_string(),
        current,
        max,
    })
}

/// kubepods pids figures: cgroup v1 `/sys/fs/cgroup/pids/kubepods*`, v2 `kubepods.slice`.
fn pids() -> Vec<SnapshotPids> {
    let mut out = Vec::new();
    if let Ok(rd) = std::fs::read_dir("/sys/fs/cgroup/pids") {
        let mut dirs: Vec<PathBuf> = rd
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().starts_with("kubepods"))
            .map(|e| e.path())
            .collect();
        dirs.sort();
        out.extend(dirs.iter().filter_map(|d| pids_of(d)));
    }
    out.extend(pids_of(Path::new("/sys/fs/cgroup/kubepods.slice")));
    out
}

/// Which `iptables` alternative is active: follow the `/usr/sbin/iptables` symlinks.
fn alternative() -> (Option<Backend>, Option<String>) {
    let Some(mut p) = find_binary("iptables") else {
        return (None, None);
    };
    let mut chain = vec![p.display().to_string()];
    let mut found = None;
    for _ in 0..16 {
        let name = p.file_name().map(|n| n.to_string_lossy().into_owned());
        if let Some(n) = name {
            if n.contains("legacy") {
                found = Some(Backend::Legacy);
                break;
            }
            if n.contains("nft") {
                found = Some(Backend::Nft);
                break;
            }
        }
        let Ok(next) = std::fs::read_link(&p) else {
            break;
        };
        p = if next.is_absolute() {
            next
        } else {
            p.parent().map(|d| d.join(&next)).unwrap_or(next)
        };
        chain.push(p.display().to_string());
    }
    let mut detail = chain.join(" -> ");
    if found.is_none() {
        // a wrapper or hard link: ask the binary (`iptables v1.8.9 (nf_tables)` / `(legacy)`)
        if let Ok(v) = run(&chain_start(), &["--version"]) {
            if v.contains("(nf_tables)") {
                found = Some(Backend::Nft);
            } else if v.contains("(legacy)") {
                found = Some(Backend::Legacy);
            }
            detail.push_str(&format!("; --version: {}", v.trim()));
        }
    }
    (found, Some(detail))
}

/// The `iptables` binary the alternative resolution starts from.
fn chain_start() -> PathBuf {
    find_binary("iptables").unwrap_or_else(|| PathBuf::from("/usr/sbin/iptables"))
}

fn versions() -> Vec<SnapshotVersion> {
    ["iptables", "iptables-legacy", "iptables-nft", "nft"]
        .iter()
        .filter_map(|tool| {
            let p = find_binary(tool)?;
            let version = match run(&p, &["--version"]) {
                Ok(s) => s.lines().next().unwrap_or("").trim().to_string(),
                Err(e) => e,
            };
            Some(SnapshotVersion {
                tool: (*tool).to_string(),
                version,
            })
        })
        .collect()
}

/// RFC 3339 UTC time of now.
pub fn now_rfc3339() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let days = i64::try_from(secs / 86_400).unwrap_or(0);
    let rem = secs % 86_400;
    // civil-from-days (Howard Hinnant)
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Whether save output holds any table (`ip6tables-legacy-save` prints nothing without one).
fn has_table(text: &str) -> bool {
    text.lines().any(|l| l.starts_with('*'))
}

/// Captures this node into a snapshot.
pub fn capture_live() -> Result<Snapshot> {
    let mut notes = Vec::new();
    let mut saves = Vec::new();
    let mut rulesets = Vec::new();
    let mut nft_texts = Vec::new();
    let mut errors = Vec::new();
    for backend in [Backend::Legacy, Backend::Nft] {
        for family in [Family::Ip, Family::Ip6] {
            let name = save_command_name(backend, family);
            let result = match find_binary(&name) {
                Some(p) => run(&p, &[]).map(|t| (p.display().to_string(), t)),
                None => Err(format!("{name} not found in {}", SBIN.join(", "))),
            };
            match result {
                Ok((path, text)) => {
                    let c = SaveCounts::from_text(&text);
                    saves.push(SnapshotSave {
                        backend,
                        family,
                        command: path,
                        ok: true,
                        error: None,
                        lines: c.lines,
                        rule_lines: c.rule_lines,
                        mangle_hint: c.mangle_hint,
                        hint: c.hint,
                        derived: false,
                    });
                    if has_table(&text) {
                        let entry = SnapshotRuleset {
                            backend: Some(backend),
                            source: name.clone(),
                            format: "text".into(),
                            text: Some(text),
                            model_schema: None,
                            model: None,
                        };
                        match backend {
                            Backend::Legacy => rulesets.push(entry),
                            Backend::Nft => nft_texts.push(entry),
                        }
                    }
                }
                Err(e) => {
                    errors.push(e.clone());
                    saves.push(SnapshotSave {
                        backend,
                        family,
                        command: name,
                        ok: false,
                        error: Some(e),
                        lines: 0,
                        rule_lines: 0,
                        mangle_hint: false,
                        hint: false,
                        derived: false,
                    });
                }
            }
        }
    }
    match read_live_nft() {
        Ok(rs) => rulesets.push(SnapshotRuleset {
            backend: Some(Backend::Nft),
            source: "netlink".into(),
            format: "model".into(),
            text: None,
            model_schema: Some(MODEL_SCHEMA),
            model: Some(rs),
        }),
        Err(e) => {
            if saves.iter().all(|s| !s.ok) {
                bail!(
                    "cannot read this node's netfilter state (root or CAP_NET_ADMIN is needed): \
                     live nf_tables: {e:#}; {}",
                    errors.join("; ")
                );
            }
            notes.push(format!(
                "live nf_tables reader unavailable ({e:#}); nf_tables was read from the \
                 iptables-nft-save and ip6tables-nft-save output instead, which shows only \
                 iptables-nft tables of families ip and ip6"
            ));
            rulesets.extend(nft_texts);
        }
    }
    let (alt, alt_detail) = alternative();
    Ok(Snapshot {
        nfdiff_snapshot: SNAPSHOT_VERSION,
        created: now_rfc3339(),
        origin: "live".into(),
        hostname: read_trimmed("/proc/sys/kernel/hostname"),
        kernel: read_trimmed("/proc/sys/kernel/osrelease"),
        iptables_alternative: alt,
        iptables_alternative_detail: alt_detail,
        versions: versions(),
        tables_names: SnapshotTablesNames {
            ipv4: lines_of("/proc/net/ip_tables_names"),
            ipv6: lines_of("/proc/net/ip6_tables_names"),
        },
        interfaces: interfaces(),
        local_addrs: local_addrs(),
        routes: routes(),
        pids: pids(),
        saves,
        rulesets,
        notes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_is_rfc3339() {
        let t = now_rfc3339();
        assert_eq!(t.len(), 20, "{t}");
        assert!(t.starts_with("20") && t.ends_with('Z'), "{t}");
    }

    #[test]
    fn reads_pids_figures() {
        let dir = std::env::temp_dir().join(format!("nfdiff-pids-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        std::fs::write(dir.join("pids.current"), "812\n").expect("write");
        std::fs::write(dir.join("pids.max"), "1024\n").expect("write");
        let p = pids_of(&dir).expect("figures");
        assert_eq!((p.current, p.max), (812, Some(1024)));
        std::fs::write(dir.join("pids.max"), "max\n").expect("write");
        assert_eq!(pids_of(&dir).map(|p| p.max), Some(None));
        std::fs::write(dir.join("pids.max"), "junk\n").expect("write");
        assert!(pids_of(&dir).is_none());
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn empty_save_output_has_no_table() {
        assert!(!has_table(""));
        assert!(has_table("# x\n*filter\nCOMMIT\n"));
    }
}
