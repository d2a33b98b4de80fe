//! Text rendering of a packet-space partition: each class with its fate, deciding rules,
//! cubes and a witness packet written as `nfdiff trace` flags.

use std::io::{self, Write};

use netfilter_model::space::{Certainty, Partition};
use netfilter_model::trace::Packet;

/// The witness as the `trace` flags that reproduce it.
pub fn witness_flags(p: &Packet) -> String {
    let mut s = Vec::new();
    if let Some(i) = &p.iif {
        s.push(format!("--iif {i}"));
    }
    if let Some(o) = &p.oif {
        s.push(format!("--oif {o}"));
    }
    s.push(format!("--src {} --dst {}", p.src, p.dst));
    if let Some(pr) = p.proto {
        s.push(format!("--proto {pr}"));
    }
    if let Some(x) = p.sport {
        s.push(format!("--sport {x}"));
    }
    if let Some(x) = p.dport {
        s.push(format!("--dport {x}"));
    }
    if let Some(x) = p.icmp_type {
        s.push(format!("--icmp-type {x}"));
    }
    let ct = p.ct_state.to_string();
    if ct != "new" {
        s.push(format!("--ct-state {ct}"));
    }
    if p.mark != 0 {
        s.push(format!("--mark 0x{:x}", p.mark));
    }
    if p.ct_mark != 0 {
        s.push(format!("--ct-mark 0x{:x}", p.ct_mark));
    }
    s.push(format!("--path {}", p.path));
    s.join(" ")
}

/// Writes the partition.
pub fn write(out: &mut impl Write, p: &Partition) -> io::Result<()> {
    let must = p
        .classes
        .iter()
        .filter(|c| c.certainty == Certainty::Must)
        .count();
    writeln!(
        out,
        "{} class(es): {must} certain, {} depending on what nfdiff cannot decide",
        p.classes.len(),
        p.classes.len() - must
    )?;
    for (i, c) in p.classes.iter().enumerate() {
        writeln!(out)?;
        let certainty = match c.certainty {
            Certainty::Must => "",
            Certainty::May => "may ",
        };
        writeln!(out, "class {}: {certainty}{}", i + 1, c.verdict)?;
        if c.deciding.is_empty() {
            writeln!(out, "  decided by: no rule (no base chain on the path)")?;
        }
        for r in &c.deciding {
            writeln!(out, "  decided by: {r}: {}", r.rule)?;
        }
        for cube in &c.cubes {
            writeln!(out, "  packets: {cube}")?;
        }
        if c.cubes_truncated {
            writeln!(out, "  packets: ... (more cubes than shown)")?;
        }
        // On a *must* class the reasons are notes (the orders of equal-priority base chains
        // in which the fate holds); only a *may* class depends on them.
        let label = match c.certainty {
            Certainty::Must => "note",
            Certainty::May => "because",
        };
        for r in &c.reasons {
            writeln!(out, "  {label}: {r}")?;
        }
        writeln!(
            out,
            "  witness: nfdiff trace SOURCE... {}",
            witness_flags(&c.witness)
        )?;
    }
    for n in &p.notes {
        writeln!(out, "note: {n}")?;
    }
    Ok(())
}
