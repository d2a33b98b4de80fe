//! `nfdiff watch`: this node's change stream for a person. Every change of either backend is
//! printed as chain-level diff hunks under a timestamp, and a loud line marks the moment chains
//! of one owner (`cali-`, `KUBE-`, ...) start to exist in both backends.

use std::collections::BTreeMap;
use std::io::Write;
use std::time::Duration;

use anyhow::Result;
use netfilter_model::diff::{diff_rulesets, owner_of, DiffOptions, OWNERS};
use netfilter_model::model::{Backend, Ruleset};
use netfilter_model::parse::SourceSpec;

use crate::exit::Status;
use crate::input::load_sources;
use crate::live_node::now_rfc3339;
use crate::node_changes::{ChangeStream, Wake};
use crate::render;
use crate::render::diff_view::DiffView;

/// Chains per backend of each owner that has any: `owner -> (legacy, nft)`.
pub fn owner_chains(rs: &Ruleset) -> BTreeMap<&'static str, (usize, usize)> {
    let mut m = BTreeMap::new();
    for t in &rs.tables {
        for c in &t.chains {
            let owner = owner_of(&c.name);
            if !OWNERS.contains(&owner) {
                continue;
            }
            let e = m.entry(owner).or_insert((0, 0));
            match t.backend {
                Backend::Legacy => e.0 += 1,
                Backend::Nft => e.1 += 1,
            }
        }
    }
    m
}

/// The loud lines for owners whose chains are in both backends now but were not before.
pub fn mixed_owner_alerts(before: &Ruleset, after: &Ruleset) -> Vec<String> {
    let was = owner_chains(before);
    let now = owner_chains(after);
    let mut lines = Vec::new();
    for (owner, &(legacy, nft)) in &now {
        let both_now = legacy > 0 && nft > 0;
        let both_before = was.get(owner).is_some_and(|&(l, n)| l > 0 && n > 0);
        if both_now && !both_before {
            let (l0, n0) = was.get(owner).copied().unwrap_or((0, 0));
            let new_side = if l0 == 0 { "legacy" } else { "nft" };
            lines.push(format!(
                "!!! {owner} chains now in BOTH backends: they started appearing in {new_side} \
                 (legacy {l0} -> {legacy} chains, nft {n0} -> {nft} chains). The kernel runs both \
                 copies for every packet: a stale copy keeps filtering. Run `nfdiff doctor`."
            ));
        }
    }
    lines
}

fn backend_only(rs: &Ruleset, backend: Backend) -> Ruleset {
    Ruleset {
        tables: rs
            .tables
            .iter()
            .filter(|t| t.backend == backend)
            .cloned()
            .collect(),
        warnings: Vec::new(),
    }
}

/// Writes one change: per backend that changed, its diff hunks; then the loud lines.
pub fn write_change(
    out: &mut impl Write,
    when: &str,
    cause: &str,
    before: &Ruleset,
    after: &Ruleset,
    color: bool,
) -> Result<bool> {
    let mut any = false;
    for backend in [Backend::Legacy, Backend::Nft] {
        let d = diff_rulesets(
            &backend_only(before, backend),
            &backend_only(after, backend),
            &DiffOptions::default(),
        );
        if d.equal {
            continue;
        }
        any = true;
        writeln!(out, "=== {when} {backend} changed ({cause})")?;
        let view = DiffView {
            old_label: format!("{backend} before"),
            new_label: format!("{backend} at {when}"),
            all: false,
            context: 2,
            color,
        };
        render::diff_text::write(out, &d, &view)?;
    }
    for line in mixed_owner_alerts(before, after) {
        any = true;
        writeln!(out, "=== {when} {line}")?;
    }
    Ok(any)
}

fn read_live() -> Result<Ruleset> {
    load_sources(&[SourceSpec::Live { backend: None }])
}

/// `nfdiff watch`: reads the node, then prints every change until interrupted.
pub fn watch(out: &mut impl Write, legacy_poll: Duration, color: bool) -> Result<Status> {
    let mut changes = ChangeStream::new(legacy_poll);
    let mut before = read_live()?;
    let owners = owner_chains(&before);
    writeln!(
        out,
        "=== {} watching this node: {} tables (nf_tables notifications: {}; legacy polled every {}s)",
        now_rfc3339(),
        before.tables.len(),
        changes
            .subscribe_error
            .as_deref()
            .map_or("on".to_string(), |e| format!("off, {e}")),
        legacy_poll.as_secs()
    )?;
    for (owner, (l, n)) in &owners {
        let both = if *l > 0 && *n > 0 {
            "  !!! in BOTH backends"
        } else {
            ""
        };
        writeln!(out, "    {owner} chains: legacy {l}, nft {n}{both}")?;
    }
    out.flush()?;
    loop {
        let cause = match changes.next()? {
            Wake::Nftables => "nf_tables notification",
            Wake::Legacy => "legacy rule counts moved",
            Wake::Poll => "poll",
        };
        let when = now_rfc3339();
        match read_live() {
            Ok(after) => {
                write_change(out, &when, cause, &before, &after, color)?;
                before = after;
            }
            Err(e) => writeln!(out, "=== {when} read failed: {e:#}")?,
        }
        out.flush()?;
    }
}

#[cfg(test)]
mod tests {
    use netfilter_model::parse::{parse_text, ParseOptions};

    use super::*;

    fn rs(legacy: &str, nft: &str) -> Ruleset {
        let mut all = Ruleset::default();
        for (text, backend) in [(legacy, Backend::Legacy), (nft, Backend::Nft)] {
            if !text.is_empty() {
                all.extend(
                    parse_text(
                        text,
                        &ParseOptions::new(backend.as_str()).with_backend(Some(backend)),
                    )
                    .expect("parses"),
                );
            }
        }
        all
    }

    const CALI: &str = "*filter\n:FORWARD ACCEPT [0:0]\n:cali-FORWARD - [0:0]\n\
                        -A FORWARD -j cali-FORWARD\n-A cali-FORWARD -i cali+ -j ACCEPT\nCOMMIT\n";
    const CALI2: &str = "*filter\n:FORWARD ACCEPT [0:0]\n:cali-FORWARD - [0:0]\n\
                         -A FORWARD -j cali-FORWARD\n-A cali-FORWARD -i cali+ -j DROP\nCOMMIT\n";

    #[test]
    fn a_change_is_a_hunk_and_a_second_backend_is_loud() {
        let before = rs("", CALI);
        let after = rs(CALI, CALI2);
        let mut out = Vec::new();
        let any = write_change(
            &mut out,
            "2026-01-01T00:00:00Z",
            "nf_tables notification",
            &before,
            &after,
            false,
        )
        .unwrap();
        assert!(any);
        insta::assert_snapshot!(String::from_utf8(out).unwrap());
        assert!(mixed_owner_alerts(&after, &after).is_empty(), "only once");
    }

    #[test]
    fn no_change_prints_nothing() {
        let a = rs(CALI, "");
        let mut out = Vec::new();
        assert!(!write_change(&mut out, "t", "poll", &a, &a, false).unwrap());
        assert!(out.is_empty());
    }
}
