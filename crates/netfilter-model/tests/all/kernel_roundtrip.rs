//! Kernel round trip: every `testdata/**/*.rules` file restored into a fresh network
//! namespace with `iptables-legacy-restore` and saved again must give the same model, and
//! so must our own export of that model.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use netfilter_model::export::to_iptables_save;
use netfilter_model::model::{Backend, Family, MatchKind, Ruleset};
use netfilter_model::parse::{parse_iptables_save, ParseOptions};

use super::iptables_save::first_difference;

fn testdata() -> PathBuf {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../../testdata")).to_path_buf()
}

fn rules_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<PathBuf> = rd.filter_map(|e| e.ok().map(|e| e.path())).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            rules_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "rules") {
            out.push(p);
        }
    }
}

/// Finds a system binary on `PATH` or in the sbin directories.
fn find_bin(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(["/usr/sbin", "/sbin", "/usr/bin", "/bin"].map(PathBuf::from))
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

fn legacy(text: &str, name: &str) -> Ruleset {
    let opts = ParseOptions::new(name).with_backend(Some(Backend::Legacy));
    match parse_iptables_save(text, &opts) {
        Ok(rs) => rs,
        Err(e) => panic!("{e}"),
    }
}

/// Tables in a fixed order: the kernel lists tables in its own order.
fn sorted(mut rs: Ruleset) -> Ruleset {
    rs.tables
        .sort_by(|a, b| (a.family, &a.name).cmp(&(b.family, &b.name)));
    rs
}

struct Tools {
    unshare: PathBuf,
    ipset: Option<PathBuf>,
}

impl Tools {
    /// Restores `input` into a fresh network namespace (creating `sets` first) and
    /// returns what `*-legacy-save` prints there.
    fn restore_and_save(
        &self,
        family: Family,
        input: &str,
        sets: &[String],
    ) -> Result<String, String> {
        let (restore, save) = match family {
            Family::Ip6 => ("ip6tables-legacy-restore", "ip6tables-legacy-save"),
            _ => ("iptables-legacy-restore", "iptables-legacy-save"),
        };
        let mut script = String::from("set -e\n");
        for s in sets {
            let fam = if family == Family::Ip6 {
                " family inet6"
            } else {
                ""
            };
            let ipset = self.ipset.as_ref().ok_or("no ipset")?;
            script.push_str(&format!(
                "{} create '{}' hash:ip{fam}\n",
                ipset.display(),
                s.replace('\'', "")
            ));
        }
        script.push_str(&format!("{restore}\n{save}\n"));
        let mut child = Command::new(&self.unshare)
            .args(["-n", "sh", "-c", &script])
            .env("PATH", "/usr/sbin:/usr/bin:/sbin:/bin")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot run unshare: {e}"))?;
        if let Some(mut stdin) = child.stdin.take() {
            stdin
                .write_all(input.as_bytes())
                .map_err(|e| format!("cannot write to {restore}: {e}"))?;
        }
        let out = child.wait_with_output().map_err(|e| e.to_string())?;
        if !out.status.success() {
            return Err(format!(
                "{restore} in a new namespace failed ({}): {}",
                out.status,
                String::from_utf8_lossy(&out.stderr)
            ));
        }
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }
}

/// Why kernel tests cannot run here, or the tools to run them.
fn tools() -> Result<Tools, String> {
    let unshare = find_bin("unshare").ok_or("`unshare` not found")?;
    find_bin("iptables-legacy-restore").ok_or("`iptables-legacy-restore` not found")?;
    let ok = Command::new(&unshare)
        .args(["-n", "true"])
        .stderr(Stdio::null())
        .status()
        .map_err(|e| format!("cannot run unshare: {e}"))?;
    if !ok.success() {
        return Err("`unshare -n` failed (not root, or namespaces unavailable)".into());
    }
    Ok(Tools {
        unshare,
        ipset: find_bin("ipset"),
    })
}

fn set_names(rs: &Ruleset) -> Vec<String> {
    let mut names: Vec<String> = rs
        .tables
        .iter()
        .flat_map(|t| &t.chains)
        .flat_map(|c| &c.rules)
        .flat_map(|r| &r.matches)
        .filter_map(|m| match &m.kind {
            MatchKind::SetLookup { set, .. } => Some(set.clone()),
            _ => None,
        })
        .collect();
    names.sort();
    names.dedup();
    names
}

#[test]
fn kernel_round_trip_of_testdata() {
    let mut files = Vec::new();
    rules_files(&testdata(), &mut files);
    assert!(
        files.iter().any(|f| f.ends_with("basic/basic.rules")),
        "testdata/basic/basic.rules is missing"
    );
    let tools = match tools() {
        Ok(t) => t,
        Err(why) => {
            println!("kernel round trip skipped: {why}");
            return;
        }
    };
    let mut checked = 0;
    for f in &files {
        let name = f.display().to_string();
        let text = std::fs::read_to_string(f).expect("read fixture");
        let input = sorted(legacy(&text, &name));
        let families: Vec<Family> = {
            let mut v: Vec<Family> = input.tables.iter().map(|t| t.family).collect();
            v.dedup();
            v
        };
        let [family] = families[..] else {
            println!("kernel round trip: skipping {name}: it mixes families {families:?}");
            continue;
        };
        let sets = set_names(&input);
        if !sets.is_empty() && tools.ipset.is_none() {
            println!("kernel round trip: skipping {name}: it needs ipsets {sets:?} and `ipset` is not installed");
            continue;
        }
        // 1. The fixture itself, through the kernel.
        let saved = tools
            .restore_and_save(family, &text, &sets)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let kernel = sorted(legacy(&saved, "kernel"));
        assert!(
            kernel == input,
            "{name}: the kernel's save differs from the input: {}\n--- kernel output ---\n{saved}",
            first_difference(&input, &kernel)
        );
        // 2. Our export of the model, through the kernel.
        let exported = to_iptables_save(&input).unwrap_or_else(|e| panic!("{name}: export: {e}"));
        let saved2 = tools
            .restore_and_save(family, &exported, &sets)
            .unwrap_or_else(|e| {
                panic!("{name}: restoring our export: {e}\n--- export ---\n{exported}")
            });
        let kernel2 = sorted(legacy(&saved2, "kernel-export"));
        assert!(
            kernel2 == input,
            "{name}: our export does not survive the kernel: {}\n--- export ---\n{exported}",
            first_difference(&input, &kernel2)
        );
        println!(
            "kernel round trip: {name}: {} tables, {} rules equal after restore+save, also from our export",
            input.tables.len(),
            input.rule_count()
        );
        checked += 1;
    }
    assert!(checked > 0, "no fixture was checked against the kernel");
}
