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
                writeln!(out, "\t\t{r}")?;
            }
            writeln!(out, "\t}}")?;
        }
        writeln!(out, "}}")?;
    }
    Ok(())
}
