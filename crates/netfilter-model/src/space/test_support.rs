//! Helpers of the engine's unit tests: small rulesets partitioned and checked against the
//! tracer, their classes as short fate strings.

use crate::model::Ruleset;
use crate::parse::{parse_text, ParseOptions};
use crate::space::{partition, self_check, Partition, SpaceQuery};

/// Parses a ruleset in any text format.
pub(crate) fn rs(text: &str) -> Ruleset {
    parse_text(text, &ParseOptions::new("test")).expect("test ruleset parses")
}

/// The partition, checked against the tracer.
pub(crate) fn part(r: &Ruleset, q: &SpaceQuery) -> Partition {
    let p = partition(r, q).expect("partition");
    assert!(self_check(r, &p).expect("self-check").is_empty());
    p
}

/// `must accept by [fwd 1, a 2]`, one per class, in the partition's order.
pub(crate) fn fate_lines(p: &Partition) -> Vec<String> {
    p.classes
        .iter()
        .map(|c| {
            let by: Vec<String> = c
                .deciding
                .iter()
                .map(|d| match d.index {
                    Some(i) => format!("{} {i}", d.chain),
                    None => format!("{} policy", d.chain),
                })
                .collect();
            format!(
                "{} {} by [{}]",
                c.certainty.as_str(),
                c.verdict,
                by.join(", ")
            )
        })
        .collect()
}

/// [`fate_lines`], sorted.
pub(crate) fn fates(p: &Partition) -> Vec<String> {
    let mut v = fate_lines(p);
    v.sort();
    v
}
