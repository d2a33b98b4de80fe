//! Entry points: the partition of one ruleset's packet space, over a universe built from
//! the rulesets analysed together and the query.

use std::collections::BTreeSet;

use crate::model::{IfacePattern, Ruleset};
use crate::trace::{literals, TraceIndex, TracePath};

use super::classes::{classify, rule_ref, PacketClass, Partition, RawClass};
use super::cube::cubes;
use super::engine::{effective_path, run};
use super::error::SpaceError;
use super::order::field_order;
use super::query::SpaceQuery;
use super::universe::{alphabet, Universe};
use super::witness::witness;

/// The universe for rulesets analysed together: one interface alphabet from all of them
/// and the query's patterns.
pub(crate) fn universe_for(idxs: &[&TraceIndex<'_>], q: &SpaceQuery) -> Universe {
    let mut lits: BTreeSet<IfacePattern> = BTreeSet::new();
    for idx in idxs {
        lits.extend(literals(idx));
    }
    lits.extend(q.iif.iter().cloned());
    lits.extend(q.oif.iter().cloned());
    Universe::with_order(alphabet(&lits), field_order(idxs))
}

/// The analysis of one ruleset over a given universe: its raw classes.
pub(crate) fn raw_classes(
    u: &Universe,
    idx: &TraceIndex<'_>,
    q: &SpaceQuery,
) -> Result<Vec<RawClass>, SpaceError> {
    Ok(classify(u, run(u, idx, q)?))
}

/// Renders a region's cubes and witness.
pub(crate) fn describe(
    u: &Universe,
    region: &super::bdd::Bdd,
    q: &SpaceQuery,
    path: TracePath,
) -> (Vec<super::cube::Cube>, bool, Option<crate::trace::Packet>) {
    let (c, truncated) = cubes(u, region, path.has_iif(), path.has_oif());
    (c, truncated, witness(u, region, q, path))
}

/// Partitions the query's packets by their fate in `rs`: every class with its verdict,
/// deciding rules, certainty and a witness.
pub fn partition(rs: &Ruleset, q: &SpaceQuery) -> Result<Partition, SpaceError> {
    let idx = TraceIndex::new(rs);
    let u = universe_for(&[&idx], q);
    let path = effective_path(q)?;
    let raw = raw_classes(&u, &idx, q)?;
    let mut classes = Vec::with_capacity(raw.len());
    for c in raw {
        let (cubes, cubes_truncated, w) = describe(&u, &c.region, q, path);
        let Some(witness) = w else { continue };
        classes.push(PacketClass {
            cubes,
            cubes_truncated,
            verdict: c.verdict,
            deciding: c.deciding.iter().map(|&k| rule_ref(&idx, k)).collect(),
            certainty: c.certainty,
            reasons: c.reasons.into_iter().collect(),
            witness,
        });
    }
    classes.sort_by(|a, b| {
        (&a.deciding, a.verdict, a.certainty).cmp(&(&b.deciding, b.verdict, b.certainty))
    });
    let mut notes = idx.notes.clone();
    if q.path == TracePath::Auto && q.local_addrs.is_none() {
        notes.push(
            "the node's local addresses are not known (--local-addr): the forward path was assumed"
                .to_string(),
        );
    }
    Ok(Partition { classes, notes })
}
