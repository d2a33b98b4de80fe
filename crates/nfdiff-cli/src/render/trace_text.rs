//! Text rendering of trace and reach reports: the verdict and the deciding rule first, then
//! why (the overruled backend, order dependence, assumptions), then the path taken.

use std::io::{self, Write};

use netfilter_model::model::IfacePattern;
use netfilter_model::trace::{
    ClassTrace, FinalVerdict, Packet, ReachReport, RuleRef, Step, StepEvent, TracePath, TraceReport,
};

fn verdict_word(v: FinalVerdict) -> &'static str {
    match v {
        FinalVerdict::Accept => "ACCEPT",
        FinalVerdict::Drop => "DROP",
    }
}

/// `nft ip filter cali-from-wl-dispatch rule 2 "Unknown interface"`.
fn short(r: &RuleRef) -> String {
    match &r.comment {
        Some(c) => format!("{r} \"{c}\""),
        None => r.to_string(),
    }
}

/// A packet's fields in one line, without its path (`10.0.0.1 -> 10.0.0.2 tcp dport 80, ct
/// state new, in eth0, out eth1`).
pub fn packet_fields(p: &Packet) -> String {
    let mut s = format!("{} -> {}", p.src, p.dst);
    if let Some(pr) = p.proto {
        s.push_str(&format!(" {pr}"));
    }
    if let Some(sp) = p.sport {
        s.push_str(&format!(" sport {sp}"));
    }
    if let Some(dp) = p.dport {
        s.push_str(&format!(" dport {dp}"));
    }
    if let Some(t) = p.icmp_type {
        s.push_str(&format!(" type {t}"));
        if let Some(c) = p.icmp_code {
            s.push_str(&format!(" code {c}"));
        }
    }
    s.push_str(&format!(", ct state {}", p.ct_state));
    if p.mark != 0 {
        s.push_str(&format!(", mark 0x{:x}", p.mark));
    }
    if p.ct_mark != 0 {
        s.push_str(&format!(", ct mark 0x{:x}", p.ct_mark));
    }
    if p.path != TracePath::Output {
        if let Some(i) = &p.iif {
            s.push_str(&format!(", in {i}"));
        }
    }
    if p.path != TracePath::Input {
        if let Some(o) = &p.oif {
            s.push_str(&format!(", out {o}"));
        }
    }
    s
}

/// A packet in one line, with its path.
pub fn describe_packet(p: &Packet) -> String {
    let mut s = packet_fields(p);
    if p.path != TracePath::Auto {
        s.push_str(&format!(", {} path", p.path));
    } else if p.local_addrs.is_none() {
        s.push_str(", path auto (no local addresses: forward)");
    } else {
        s.push_str(", path auto");
    }
    s
}

fn write_step(out: &mut impl Write, s: &Step) -> io::Result<()> {
    write!(
        out,
        "  {:<11} {} {} {} {}",
        s.hook.as_str(),
        s.backend,
        s.family,
        s.table,
        s.chain
    )?;
    if let Some(i) = s.index {
        write!(out, " rule {i}")?;
    }
    match (s.event, &s.detail) {
        // The detail of an assumption reads on its own ("assumed to match: ...").
        (StepEvent::Assume, Some(d)) => write!(out, ": {d}")?,
        (ev, Some(d)) => write!(out, ": {ev} {d}")?,
        (ev, None) => write!(out, ": {ev}")?,
    }
    writeln!(out)
}

/// The verdict, the deciding rule and the explanations, without the path.
fn write_summary(out: &mut impl Write, rep: &TraceReport, indent: &str) -> io::Result<()> {
    match (&rep.decided_by, rep.verdict) {
        (Some(d), FinalVerdict::Drop) => {
            writeln!(out, "{indent}{} by {d}:", verdict_word(rep.verdict))?;
            writeln!(out, "{indent}    {}", d.rule)?;
        }
        (Some(d), FinalVerdict::Accept) => {
            writeln!(out, "{indent}ACCEPT, last accepted by {d}:")?;
            writeln!(out, "{indent}    {}", d.rule)?;
        }
        (None, v) => writeln!(
            out,
            "{indent}{} (no base chain on this path sees the packet)",
            verdict_word(v)
        )?,
    }
    if !rep.nat.is_none() {
        writeln!(out, "{indent}NAT: {}", rep.nat)?;
    }
    // Every endpoint a load balancer may choose, not only the one of the main course.
    let mut nats = vec![rep.nat];
    for a in &rep.alternatives {
        if a.verdict == FinalVerdict::Accept && !nats.contains(&a.nat) {
            nats.push(a.nat);
        }
    }
    if nats.len() > 1 && nats.iter().any(|n| !n.is_none()) {
        writeln!(out, "{indent}Possible NAT results ({}):", nats.len())?;
        for n in &nats {
            writeln!(out, "{indent}  - {n}")?;
        }
    }
    if let Some(o) = &rep.overruled {
        let acc = match &o.accepted_by {
            Some(a) => short(a),
            None => "no rule objected".to_string(),
        };
        let dropped = rep.decided_by.as_ref().map(short).unwrap_or_default();
        writeln!(
            out,
            "{indent}{} accepted it ({acc}), but {} dropped it ({dropped}).",
            o.accepted_in, o.dropped_in
        )?;
    }
    if rep.order_dependent {
        writeln!(
            out,
            "{indent}The verdict depends on the order of equal-priority base chains, which no dump shows."
        )?;
    }
    if !rep.assumptions.is_empty() {
        writeln!(out, "{indent}This assumes:")?;
        for a in &rep.assumptions {
            writeln!(out, "{indent}  - {a}")?;
        }
    }
    if !rep.alternatives.is_empty() {
        writeln!(out, "{indent}Otherwise:")?;
        for a in &rep.alternatives {
            let by = match &a.decided_by {
                Some(d) => format!(" by {}", short(d)),
                None => String::new(),
            };
            let nat = if a.nat.is_none() {
                String::new()
            } else {
                format!(" ({})", a.nat)
            };
            writeln!(out, "{indent}  - {}{by}{nat}", verdict_word(a.verdict))?;
            // Another way through the host (DNAT to a local address: input, not forward).
            if a.verdict == FinalVerdict::Accept
                && rep.verdict == FinalVerdict::Accept
                && a.path != rep.path
            {
                let hooks: Vec<&str> = a.path.iter().map(|h| h.as_str()).collect();
                writeln!(out, "{indent}      on the path {}", hooks.join(" -> "))?;
            }
            for g in &a.order {
                let names: Vec<String> = g.iter().map(|c| c.to_string()).collect();
                writeln!(
                    out,
                    "{indent}      if the chains run in the order {}",
                    names.join(", ")
                )?;
            }
            for s in &a.assumptions {
                writeln!(out, "{indent}      if {s}")?;
            }
        }
    }
    for n in &rep.notes {
        writeln!(out, "{indent}Note: {n}")?;
    }
    Ok(())
}

/// Writes a trace report for people.
pub fn write_trace(out: &mut impl Write, pkt: &Packet, rep: &TraceReport) -> io::Result<()> {
    writeln!(out, "Packet: {}", describe_packet(pkt))?;
    writeln!(out)?;
    write_summary(out, rep, "")?;
    writeln!(out)?;
    let hooks: Vec<&str> = rep.path.iter().map(|h| h.as_str()).collect();
    writeln!(out, "Path: {}", hooks.join(" -> "))?;
    for s in &rep.steps {
        write_step(out, s)?;
    }
    Ok(())
}

/// A class in words, with its witness unless the class is that one name.
fn class_label(c: &ClassTrace) -> String {
    if c.description == format!("`{}`", c.example) {
        c.description.clone()
    } else {
        format!("{} (e.g. {})", c.description, c.example)
    }
}

/// Writes a reach report for people: one block per distinct outcome, listing the interface
/// classes that share it (so ten thousand endpoints that pass read as one block).
pub fn write_reach(
    out: &mut impl Write,
    pattern: &IfacePattern,
    pkt: &Packet,
    rep: &ReachReport,
) -> io::Result<()> {
    const LISTED: usize = 10;
    let mut base = pkt.clone();
    base.iif = Some(format!("{pattern}").trim_matches('"').to_string());
    writeln!(out, "Packet: {}", describe_packet(&base))?;
    let dropped = rep
        .classes
        .iter()
        .filter(|c| c.trace.verdict == FinalVerdict::Drop)
        .count();
    writeln!(
        out,
        "{} interface class(es): {} accepted, {} dropped",
        rep.classes.len(),
        rep.classes.len() - dropped,
        dropped
    )?;
    // Group classes by their rendered outcome, in order of first appearance.
    let mut groups: Vec<(Vec<u8>, Vec<usize>)> = Vec::new();
    for (i, c) in rep.classes.iter().enumerate() {
        let mut summary = Vec::new();
        write_summary(&mut summary, &c.trace, "  ")?;
        match groups.iter_mut().find(|(s, _)| *s == summary) {
            Some((_, members)) => members.push(i),
            None => groups.push((summary, vec![i])),
        }
    }
    for (summary, members) in &groups {
        writeln!(out)?;
        if let [only] = members.as_slice() {
            writeln!(out, "{}:", class_label(&rep.classes[*only]))?;
        } else {
            writeln!(out, "{} classes:", members.len())?;
            for &i in members.iter().take(LISTED) {
                writeln!(out, "  - {}", class_label(&rep.classes[i]))?;
            }
            if members.len() > LISTED {
                writeln!(out, "  - and {} more", members.len() - LISTED)?;
            }
        }
        out.write_all(summary)?;
    }
    Ok(())
}
