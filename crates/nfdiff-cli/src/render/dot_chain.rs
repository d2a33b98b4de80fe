//! `show --chain NAME --format dot`: the jump graph below a chain, with rule counts.

use std::collections::{BTreeSet, VecDeque};
use std::io::{self, Write};

use netfilter_model::model::{Ruleset, Table};

use super::dot::{quote, targets, Edge};

/// Writes the graph of every chain reachable from `name` by jumps, gotos and verdict maps, in
/// each table that has a chain of that name. `Ok(false)` when no table has one.
pub fn write(out: &mut impl Write, rs: &Ruleset, name: &str) -> io::Result<bool> {
    let tables: Vec<(usize, &Table)> = rs
        .tables
        .iter()
        .enumerate()
        .filter(|(_, t)| t.chain(name).is_some())
        .collect();
    if tables.is_empty() {
        return Ok(false);
    }
    writeln!(out, "digraph chains {{")?;
    writeln!(out, "  rankdir=LR;")?;
    writeln!(
        out,
        "  node [shape=box, style=rounded, fontname=\"Helvetica\", fontsize=10];"
    )?;
    writeln!(out, "  edge [fontname=\"Helvetica\", fontsize=9];")?;
    for (ti, t) in tables {
        let id = |c: &str| quote(&format!("t{ti}:{c}"));
        writeln!(out, "  subgraph cluster_{ti} {{")?;
        writeln!(
            out,
            "    label={};",
            quote(&format!("{} {} {}", t.backend, t.family, t.name))
        )?;
        let mut seen: BTreeSet<String> = BTreeSet::new();
        let mut queue: VecDeque<String> = VecDeque::from([name.to_string()]);
        seen.insert(name.to_string());
        let mut edges: Vec<String> = Vec::new();
        while let Some(c) = queue.pop_front() {
            let Some(chain) = t.chain(&c) else {
                writeln!(
                    out,
                    "    {} [label={}, color=red, fontcolor=red];",
                    id(&c),
                    quote(&format!("{c}\n(missing)"))
                )?;
                continue;
            };
            let n = chain.rules.len();
            let mut label = format!("{c}\n{n} rule{}", if n == 1 { "" } else { "s" });
            if let Some(b) = &chain.base {
                label.push_str(&format!(
                    "\nhook {} priority {} policy {}",
                    b.hook.as_str(),
                    b.priority,
                    b.policy.as_str()
                ));
            }
            let bold = if c == name { ", penwidth=2" } else { "" };
            writeln!(out, "    {} [label={}{bold}];", id(&c), quote(&label))?;
            // One edge per target; the label lists the rules that lead there.
            let mut by_target: Vec<(Edge, String, Vec<usize>)> = Vec::new();
            for (ri, r) in chain.rules.iter().enumerate() {
                for (edge, target) in targets(r) {
                    match by_target
                        .iter_mut()
                        .find(|(e, t, _)| *e == edge && *t == target)
                    {
                        Some((_, _, rules)) => rules.push(ri + 1),
                        None => by_target.push((edge, target, vec![ri + 1])),
                    }
                }
            }
            for (edge, target, rules) in by_target {
                let shown: Vec<String> = rules.iter().take(5).map(|r| r.to_string()).collect();
                let more = if rules.len() > 5 { ", …" } else { "" };
                let kind = match edge {
                    Edge::Jump => "jump",
                    Edge::Goto => "goto",
                };
                let style = match edge {
                    Edge::Jump => "",
                    Edge::Goto => ", style=dashed",
                };
                edges.push(format!(
                    "    {} -> {} [label={}{style}];",
                    id(&c),
                    id(&target),
                    quote(&format!("{kind} (rule {}{more})", shown.join(", ")))
                ));
                if seen.insert(target.clone()) {
                    queue.push_back(target);
                }
            }
        }
        for e in edges {
            writeln!(out, "{e}")?;
        }
        writeln!(out, "  }}")?;
    }
    writeln!(out, "}}")?;
    Ok(true)
}
