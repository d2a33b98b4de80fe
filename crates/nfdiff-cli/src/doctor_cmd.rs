//! `nfdiff doctor` and `nfdiff snapshot`: load a node (live, snapshot or dumps) and its facts,
//! diagnose it, render; or write a snapshot.

use std::io::{Read, Write};
use std::path::Path;

use anyhow::{bail, Context, Result};
use netfilter_model::doctor::{diagnose, DoctorOptions, NodeFacts, SaveCounts};
use netfilter_model::model::{Backend, Family, Ruleset};
use netfilter_model::parse::{parse_text, sniff_format, Format, ParseOptions, SourceSpec};
use netfilter_model::snapshot::{
    facts_from_snapshot, read_snapshot, snapshot_ruleset, Snapshot, SnapshotRuleset, SnapshotSave,
    SnapshotTablesNames, SNAPSHOT_VERSION,
};

use crate::args::DoctorFormat;
use crate::exit::{self, Status};
use crate::input::{load_sources, read_file};
use crate::live_node::{capture_live, now_rfc3339};
use crate::render;

/// Reads a file source's text (`-` is standard input).
fn read_text(path: &str) -> Result<String> {
    if path == "-" {
        let mut s = String::new();
        std::io::stdin()
            .read_to_string(&mut s)
            .context("cannot read standard input")?;
        Ok(s)
    } else {
        read_file(path)
    }
}

/// Merges facts of several sources: the first source that knows a fact wins.
fn merge(into: &mut NodeFacts, from: NodeFacts) {
    for s in from.saves {
        if into.save(s.backend, s.family).is_none() {
            into.saves.push(s);
        }
    }
    if into.interfaces.is_none() {
        into.interfaces = from.interfaces;
    }
    if into.routes.is_none() {
        into.routes = from.routes;
    }
    if into.pids.is_empty() {
        into.pids = from.pids;
    }
    if into.iptables_alternative.is_none() {
        into.iptables_alternative = from.iptables_alternative;
    }
    into.versions.extend(from.versions);
}

/// Loads the ruleset and node facts of the doctor's sources (none: the live node).
pub fn load_node(sources: &[SourceSpec]) -> Result<(Ruleset, NodeFacts)> {
    let live = [SourceSpec::Live { backend: None }];
    let sources = if sources.is_empty() {
        &live[..]
    } else {
        sources
    };
    let mut rs = Ruleset::default();
    let mut facts = NodeFacts::default();
    let mut stdin_used = false;
    for spec in sources {
        match spec {
            SourceSpec::Live { backend } => {
                let snap = capture_live()?;
                let mut live = snapshot_ruleset(&snap, &ParseOptions::new("live"))?;
                if let Some(b) = backend {
                    live.tables.retain(|t| t.backend == *b);
                }
                rs.extend(live);
                merge(&mut facts, facts_from_snapshot(&snap));
            }
            SourceSpec::File { path, backend } => {
                if path == "-" {
                    if stdin_used {
                        bail!("standard input (`-`) can be read only once");
                    }
                    stdin_used = true;
                }
                let text = read_text(path)?;
                let name = if path == "-" {
                    "<stdin>"
                } else {
                    path.as_str()
                };
                let opts = ParseOptions::new(name).with_backend(*backend);
                if sniff_format(&text) == Some(Format::Snapshot) {
                    let (r, f) = read_snapshot(&text, &opts)?;
                    rs.extend(r);
                    merge(&mut facts, f);
                } else {
                    rs.extend(parse_text(&text, &opts)?);
                }
            }
            other => rs.extend(load_sources(std::slice::from_ref(other))?),
        }
    }
    Ok((rs, facts))
}

/// The sources as a user would type them again (`live` when none were given), for the
/// `nfdiff trace` command lines of the doctor's witnesses.
fn source_words(sources: &[SourceSpec]) -> Vec<String> {
    if sources.is_empty() {
        return vec!["live".into()];
    }
    sources
        .iter()
        .map(|s| match s {
            SourceSpec::Live { backend: None } => "live".to_string(),
            SourceSpec::Live { backend: Some(b) } => format!("live:{b}"),
            SourceSpec::File {
                path,
                backend: None,
            } => path.clone(),
            SourceSpec::File {
                path,
                backend: Some(b),
            } => format!("{b}:{path}"),
            _ => "SOURCE".to_string(),
        })
        .collect()
}

/// The first witness packet a finding names (the drop path the HTML report draws), with
/// its `nfdiff trace` command.
fn first_witness(
    report: &netfilter_model::doctor::DoctorReport,
) -> Option<(netfilter_model::trace::Packet, Option<String>)> {
    report
        .findings
        .iter()
        .flat_map(|f| &f.dispatch_drops)
        .find_map(|d| {
            let w = d.search.as_ref()?.witness.as_ref()?;
            Some((w.packet.clone(), d.command.clone()))
        })
}

/// `nfdiff doctor`.
pub fn doctor(
    out: &mut impl Write,
    sources: &[SourceSpec],
    format: DoctorFormat,
) -> Result<Status> {
    let (rs, facts) = load_node(sources)?;
    let opts = DoctorOptions::default().sources(source_words(sources));
    let report = diagnose(&rs, &facts, &opts);
    match format {
        DoctorFormat::Text => render::doctor_text::write(out, &report)?,
        DoctorFormat::Json => render::doctor_json::write(out, &report)?,
        DoctorFormat::Prometheus => render::doctor_prometheus::write(out, &report)?,
        DoctorFormat::Html => {
            let witness = first_witness(&report);
            let traced = match &witness {
                Some((pkt, _)) => Some(netfilter_model::trace::trace(
                    &rs,
                    pkt,
                    &netfilter_model::trace::TraceOptions::default(),
                )?),
                None => None,
            };
            let path = match (&witness, &traced) {
                (Some((packet, command)), Some(trace)) => Some(render::html_doctor::DropPath {
                    packet,
                    trace,
                    command: command.as_deref(),
                }),
                _ => None,
            };
            render::html_doctor::write(out, &report, path.as_ref())?
        }
    }
    let status = if report.healthy() {
        exit::SUCCESS
    } else {
        exit::DIFFERENT
    };
    // The process ends next: freeing a 10^6-rule model piece by piece took longer than
    // the kernel's tear-down of the whole address space.
    std::mem::forget((rs, facts, report));
    Ok(status)
}

/// A snapshot built offline from dump files: their texts, and the save-output counts the
/// dumps imply (marked derived).
fn offline_snapshot(sources: &[SourceSpec]) -> Result<Snapshot> {
    let mut rulesets = Vec::new();
    let mut names = Vec::new();
    let mut all = Ruleset::default();
    for spec in sources {
        let SourceSpec::File { path, backend } = spec else {
            bail!("snapshot SOURCEs must be dump files");
        };
        if path == "-" {
            bail!("snapshot SOURCEs must be files, not standard input");
        }
        let text = read_text(path)?;
        if sniff_format(&text) == Some(Format::Snapshot) {
            bail!("{path} is already an nfdiff snapshot");
        }
        all.extend(parse_text(
            &text,
            &ParseOptions::new(path.as_str()).with_backend(*backend),
        )?);
        names.push(path.clone());
        rulesets.push(SnapshotRuleset {
            backend: *backend,
            source: path.clone(),
            format: "text".into(),
            text: Some(text),
            model_schema: None,
            model: None,
        });
    }
    let mut saves = Vec::new();
    for backend in [Backend::Legacy, Backend::Nft] {
        for family in [Family::Ip, Family::Ip6] {
            let c = SaveCounts::from_model(&all, backend, family);
            saves.push(SnapshotSave {
                backend,
                family,
                command: format!(
                    "{} (derived from the dumps)",
                    netfilter_model::doctor::save_command_name(backend, family)
                ),
                ok: true,
                error: None,
                lines: c.lines,
                rule_lines: c.rule_lines,
                mangle_hint: c.mangle_hint,
                hint: c.hint,
                derived: true,
            });
        }
    }
    Ok(Snapshot {
        nfdiff_snapshot: SNAPSHOT_VERSION,
        created: now_rfc3339(),
        origin: format!("offline from dumps: {}", names.join(", ")),
        hostname: None,
        kernel: None,
        iptables_alternative: None,
        iptables_alternative_detail: None,
        versions: Vec::new(),
        tables_names: SnapshotTablesNames::default(),
        interfaces: None,
        local_addrs: None,
        routes: None,
        pids: Vec::new(),
        saves,
        rulesets,
        notes: vec![
            "made offline from dump files, not on a node: save-output counts are derived from \
             the dumps; interfaces, pids, versions and the iptables alternative are unknown"
                .into(),
        ],
    })
}

/// `nfdiff snapshot -o FILE [SOURCE...]`.
pub fn snapshot(output: &Path, sources: &[SourceSpec]) -> Result<Status> {
    let snap = if sources.is_empty() {
        capture_live()?
    } else {
        offline_snapshot(sources)?
    };
    let json = serde_json::to_string_pretty(&snap)?;
    std::fs::write(output, json + "\n")
        .with_context(|| format!("cannot write {}", output.display()))?;
    Ok(exit::SUCCESS)
}
