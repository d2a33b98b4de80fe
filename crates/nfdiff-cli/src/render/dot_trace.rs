//! `trace --format dot`: the hooks of the packet's path in kernel order, every base chain of
//! both backends on each, the path the packet took in bold, the deciding rule marked and the
//! outcomes other orders or assumptions would give dashed.

use std::collections::HashSet;
use std::io::{self, Write};

use netfilter_model::model::{Backend, Family, Hook, Ruleset};
use netfilter_model::trace::{FinalVerdict, Packet, RuleRef, StepEvent, TraceReport};

use super::dot::{clip, quote};
use super::trace_text::describe_packet;

/// A chain as the graph names it: (backend, family, table, chain).
type ChainKey = (Backend, Family, String, String);

fn node_id(hook: usize, k: &ChainKey) -> String {
    quote(&format!("h{hook}:{} {} {} {}", k.0, k.1, k.2, k.3))
}

fn key_of(r: &RuleRef) -> ChainKey {
    (r.backend, r.family, r.table.clone(), r.chain.clone())
}

fn fill(v: FinalVerdict) -> &'static str {
    match v {
        FinalVerdict::Accept => "#d4edda",
        FinalVerdict::Drop => "#f8d7da",
    }
}

fn rule_label(head: &str, r: &RuleRef) -> String {
    let mut l = format!("{head}\n{r}");
    if !r.rule.is_empty() {
        l.push('\n');
        l.push_str(&clip(&r.rule, 60));
    }
    if let Some(c) = r.comment.as_ref().filter(|_| !r.rule.contains("comment ")) {
        l.push_str(&format!("\n/* {} */", clip(c, 50)));
    }
    l
}

/// The base chains of a hook that see the packet's IP version, lowest priority first
/// (listing order among equals), with their priority.
fn base_chains(rs: &Ruleset, hook: &Hook, v6: bool) -> Vec<(i32, ChainKey)> {
    let mut base: Vec<(i32, usize, ChainKey)> = Vec::new();
    for t in &rs.tables {
        let sees = if v6 {
            t.family.sees_ipv6()
        } else {
            t.family.sees_ipv4()
        };
        if !sees {
            continue;
        }
        for c in &t.chains {
            if let Some(b) = &c.base {
                if &b.hook == hook {
                    let n = base.len();
                    let k = (t.backend, t.family, t.name.clone(), c.name.clone());
                    base.push((b.priority, n, k));
                }
            }
        }
    }
    base.sort();
    base.into_iter().map(|(p, _, k)| (p, k)).collect()
}

/// Writes the trace as a Graphviz digraph.
pub fn write(
    out: &mut impl Write,
    rs: &Ruleset,
    pkt: &Packet,
    rep: &TraceReport,
) -> io::Result<()> {
    let v6 = pkt.src.is_ipv6();
    let decided = rep
        .decided_by
        .as_ref()
        .map_or(String::new(), |d| format!(" by {d}"));
    writeln!(out, "digraph trace {{")?;
    writeln!(out, "  rankdir=LR;")?;
    writeln!(
        out,
        "  label={};",
        quote(&format!(
            "{}\nverdict: {}{decided}",
            describe_packet(pkt),
            rep.verdict
        ))
    )?;
    writeln!(out, "  labelloc=t;")?;
    writeln!(
        out,
        "  node [shape=box, style=rounded, fontname=\"Helvetica\", fontsize=10, color=gray50, fontcolor=gray30];"
    )?;
    writeln!(out, "  edge [fontname=\"Helvetica\", fontsize=9];")?;
    writeln!(
        out,
        "  packet [shape=oval, style=solid, color=black, fontcolor=black, label=\"packet\"];"
    )?;
    // The chains the packet entered, in order, with the hook they ran on.
    let hook_index = |h: &Hook| rep.path.iter().position(|p| p == h);
    let mut visits: Vec<(usize, ChainKey)> = Vec::new();
    for s in &rep.steps {
        let Some(hi) = hook_index(&s.hook) else {
            continue;
        };
        if matches!(s.event, StepEvent::Skip) {
            continue;
        }
        let k = (s.backend, s.family, s.table.clone(), s.chain.clone());
        if visits.last() != Some(&(hi, k.clone())) {
            visits.push((hi, k));
        }
    }
    // Clusters: every base chain of each hook, then the user chains the packet entered there.
    let mut declared: HashSet<String> = HashSet::new();
    for (hi, hook) in rep.path.iter().enumerate() {
        writeln!(out, "  subgraph cluster_{hi} {{")?;
        writeln!(
            out,
            "    label={};",
            quote(&format!("{} {}", hi + 1, hook.as_str()))
        )?;
        writeln!(out, "    style=rounded; color=gray70;")?;
        let base = base_chains(rs, hook, v6);
        let mut in_cluster: Vec<(Option<i32>, ChainKey)> =
            base.into_iter().map(|(p, k)| (Some(p), k)).collect();
        for (vh, k) in &visits {
            if *vh == hi && !in_cluster.iter().any(|(_, c)| c == k) {
                in_cluster.push((None, k.clone()));
            }
        }
        for (prio, k) in &in_cluster {
            let visited = visits.iter().any(|(vh, vk)| *vh == hi && vk == k);
            let mut label = format!("{} {} {}\n{}", k.0, k.1, k.2, k.3);
            if let Some(p) = prio {
                label.push_str(&format!("\npriority {p}"));
            }
            let style = if visited {
                ", color=\"#1f5fbf\", fontcolor=black, penwidth=2"
            } else {
                ""
            };
            let id = node_id(hi, k);
            writeln!(out, "    {id} [label={}{style}];", quote(&label))?;
            declared.insert(id);
        }
        writeln!(out, "  }}")?;
    }
    // The path: packet -> each chain entered, numbered -> the verdict.
    let mut prev = "packet".to_string();
    for (n, (hi, k)) in visits.iter().enumerate() {
        let id = node_id(*hi, k);
        writeln!(
            out,
            "  {prev} -> {id} [color=\"#1f5fbf\", penwidth=2, label={}];",
            quote(&(n + 1).to_string())
        )?;
        prev = id;
    }
    let verdict_word = rep.verdict.as_str().to_uppercase();
    let label = match &rep.decided_by {
        Some(d) => rule_label(&format!("{verdict_word} (deciding rule)"), d),
        None => format!("{verdict_word}\n(no rule decided: every chain let it through)"),
    };
    writeln!(
        out,
        "  verdict [shape=box, style=\"filled,bold\", fillcolor=\"{}\", color=black, fontcolor=black, label={}];",
        fill(rep.verdict),
        quote(&label)
    )?;
    let from = rep
        .decided_by
        .as_ref()
        .and_then(|d| {
            let k = key_of(d);
            visits
                .iter()
                .rev()
                .find(|(_, vk)| *vk == k)
                .map(|(h, _)| node_id(*h, &k))
        })
        .unwrap_or_else(|| prev.clone());
    writeln!(out, "  {from} -> verdict [color=black, penwidth=2];")?;
    for (i, a) in rep.alternatives.iter().enumerate() {
        let why = if a.order.is_empty() {
            "under other assumptions"
        } else {
            "in another order of equal-priority chains"
        };
        let head = format!("alternative: {} {why}", a.verdict.as_str().to_uppercase());
        let label = match &a.decided_by {
            Some(d) => rule_label(&head, d),
            None => head,
        };
        writeln!(
            out,
            "  alt{i} [shape=box, style=\"dashed,filled\", fillcolor=\"{}\", color=black, fontcolor=black, label={}];",
            fill(a.verdict),
            quote(&label)
        )?;
        let from = a
            .decided_by
            .as_ref()
            .and_then(|d| {
                let k = key_of(d);
                (0..rep.path.len())
                    .map(|h| node_id(h, &k))
                    .find(|id| declared.contains(id))
            })
            .unwrap_or_else(|| "packet".to_string());
        writeln!(out, "  {from} -> alt{i} [style=dashed];")?;
    }
    writeln!(out, "}}")
}
