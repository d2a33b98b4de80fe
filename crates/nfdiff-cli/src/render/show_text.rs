//! Text rendering of a normalized ruleset, grouped by table and chain.

use std::io::{self, Write};

use netfilter_model::model::{priority_name, Ruleset};

/// Writes the ruleset in canonical form: one block per table, chains in listing order.
pub fn write(out: &mut impl Write, rs: &Ruleset) -> io::Result<()> {
    for w in &rs.warnings {
        match w.line {
            Some(l) => writeln!(out, "# warning: {}:{l}: {}", w.source, w.message)?,
            None => writeln!(out, "# warning: {}: {}", w.source, w.message)?,
        }
    }
    for t in &rs.tables {
        writeln!(out, "table {} {} {{  # {}", t.family, t.name, t.backend)?;
        if !t.flags.is_empty() {
            writeln!(out, "\tflags {}", t.flags.join(","))?;
        }
        for s in &t.sets {
            let kind = if s.data_type.is_some() { "map" } else { "set" };
            writeln!(out, "\t{kind} {} {{", s.name)?;
            match &s.data_type {
                Some(d) => writeln!(out, "\t\ttype {} : {d}", s.key_type)?,
                None => writeln!(out, "\t\ttype {}", s.key_type)?,
            }
            if !s.flags.is_empty() {
                writeln!(out, "\t\tflags {}", s.flags.join(","))?;
            }
            for e in &s.extra {
                writeln!(out, "\t\t{e}")?;
            }
            if !s.elements.is_empty() {
                writeln!(out, "\t\telements = {{ {} }}", s.elements.join(", "))?;
            }
            if let Some(c) = &s.comment {
                writeln!(out, "\t\tcomment {c:?}")?;
            }
            writeln!(out, "\t}}")?;
        }
        for o in &t.objects {
            writeln!(out, "\t{} {} {{ {} }}", o.kind, o.name, o.body)?;
        }
        for c in &t.chains {
            writeln!(out, "\tchain {} {{", c.name)?;
            if let Some(b) = &c.base {
                writeln!(
                    out,
                    "\t\ttype {} hook {} priority {}; policy {};",
                    b.chain_type,
                    b.hook,
                    priority_name(b.priority, &b.hook),
                    b.policy.as_str()
                )?;
            }
            for r in &c.rules {
                if r.lossy.is_empty() {
                    writeln!(out, "\t\t{r}")?;
                } else {
                    // Say what the source could not show instead of silently printing less.
                    let notes: Vec<String> = r.lossy.iter().map(ToString::to_string).collect();
                    writeln!(out, "\t\t{r}  # lossy: {}", notes.join("; "))?;
                }
            }
            writeln!(out, "\t}}")?;
        }
        writeln!(out, "}}")?;
    }
    Ok(())
}
