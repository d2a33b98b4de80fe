//! Grouping nodes by configuration: an accumulator that keeps one chain list per configuration
//! and only names and findings per node, so a fleet of 10,000 nodes costs megabytes.

use std::collections::HashMap;

use similar::{capture_diff_slices, Algorithm, DiffOp};
use xxhash_rust::xxh3::Xxh3;

use crate::doctor::Severity;
use crate::model::Backend;

use super::fingerprint::{BackendSummary, ChainFingerprint, FindingBrief, NodeFingerprint};
use super::report::{ChainDelta, ConfigGroup, DeltaStatus, FleetReport, NodeReport, SkippedSource};

/// One configuration while nodes are being added.
struct Config {
    hash: String,
    chains: Vec<ChainFingerprint>,
    /// Indexes into `Fleet::nodes`.
    nodes: Vec<usize>,
}

/// What is kept of one node.
struct NodeEntry {
    node: String,
    source: String,
    config: usize,
    endpoints: usize,
    backends: Vec<BackendSummary>,
    findings: Vec<FindingBrief>,
}

/// Accumulates node fingerprints (in any number, one at a time) and skipped inputs; then
/// [`Fleet::report`] groups them.
#[derive(Default)]
pub struct Fleet {
    configs: Vec<Config>,
    by_hash: HashMap<String, usize>,
    nodes: Vec<NodeEntry>,
    skipped: Vec<SkippedSource>,
}

/// The configuration hash of a chain list (sorted by key first).
fn config_hash(chains: &[ChainFingerprint]) -> String {
    let mut h = Xxh3::new();
    for c in chains {
        for part in [
            c.backend.as_str(),
            c.family.as_str(),
            &c.table,
            c.kind.as_str(),
            &c.name,
            &c.hash,
        ] {
            h.update(part.as_bytes());
            h.update(b"\0");
        }
    }
    format!("{:016x}", h.digest())
}

impl Fleet {
    /// An empty fleet.
    pub fn new() -> Fleet {
        Fleet::default()
    }

    /// Adds a node read from `source`.
    pub fn add(&mut self, source: &str, fp: NodeFingerprint) {
        let mut chains = fp.chains;
        chains.sort_by_cached_key(|c| c.key());
        let hash = config_hash(&chains);
        let index = self.nodes.len();
        let config = match self.by_hash.get(&hash) {
            Some(&i) => i,
            None => {
                self.configs.push(Config {
                    hash: hash.clone(),
                    chains,
                    nodes: Vec::new(),
                });
                self.by_hash.insert(hash, self.configs.len() - 1);
                self.configs.len() - 1
            }
        };
        self.configs[config].nodes.push(index);
        self.nodes.push(NodeEntry {
            node: fp.node,
            source: source.to_string(),
            config,
            endpoints: fp.endpoints,
            backends: fp.backends,
            findings: fp.findings,
        });
    }

    /// Records an input that could not be read.
    pub fn skip(&mut self, source: &str, error: impl Into<String>) {
        self.skipped.push(SkippedSource {
            source: source.to_string(),
            error: error.into(),
        });
    }

    /// Nodes added so far.
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    /// Whether no node was added.
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// Groups the nodes: configurations largest first, each compared with the majority.
    pub fn report(&self) -> FleetReport {
        // Everything is sorted by name, so the report does not depend on the input order (a
        // tar stream lists files in directory order).
        let name = |n: &usize| self.nodes[*n].node.as_str();
        let sorted_nodes: Vec<Vec<usize>> = self
            .configs
            .iter()
            .map(|c| {
                let mut v = c.nodes.clone();
                v.sort_by(|a, b| name(a).cmp(name(b)).then(a.cmp(b)));
                v
            })
            .collect();
        let mut order: Vec<usize> = (0..self.configs.len()).collect();
        order.sort_by(|&a, &b| {
            sorted_nodes[b]
                .len()
                .cmp(&sorted_nodes[a].len())
                .then_with(|| name(&sorted_nodes[a][0]).cmp(name(&sorted_nodes[b][0])))
                .then_with(|| self.configs[a].hash.cmp(&self.configs[b].hash))
        });
        let mut number_of = vec![0; self.configs.len()];
        for (n, &i) in order.iter().enumerate() {
            number_of[i] = n + 1;
        }
        let majority = order.first().map(|&i| &self.configs[i]);
        let groups: Vec<ConfigGroup> = order
            .iter()
            .map(|&i| {
                let c = &self.configs[i];
                let mut backends: Vec<Backend> = c.chains.iter().map(|ch| ch.backend).collect();
                backends.sort();
                backends.dedup();
                ConfigGroup {
                    number: number_of[i],
                    config: c.hash.clone(),
                    nodes: sorted_nodes[i]
                        .iter()
                        .map(|&n| self.nodes[n].node.clone())
                        .collect(),
                    backends,
                    chains: c.chains.len(),
                    differences: match majority {
                        Some(m) if !std::ptr::eq(m, c) => chain_deltas(&m.chains, &c.chains),
                        _ => Vec::new(),
                    },
                }
            })
            .collect();
        let non_info = |n: &NodeEntry| n.findings.iter().any(|f| f.severity > Severity::Info);
        let mut outliers: Vec<NodeReport> = Vec::new();
        let mut healthy = 0;
        for n in &self.nodes {
            if !non_info(n) {
                healthy += 1;
            }
            if number_of[n.config] == 1 && !non_info(n) {
                continue;
            }
            outliers.push(NodeReport {
                node: n.node.clone(),
                source: n.source.clone(),
                group: number_of[n.config],
                endpoints: n.endpoints,
                backends: n.backends.clone(),
                findings: n.findings.clone(),
            });
        }
        outliers.sort_by(|a, b| {
            b.worst()
                .cmp(&a.worst())
                .then_with(|| a.node.cmp(&b.node))
                .then_with(|| a.source.cmp(&b.source))
        });
        FleetReport {
            nodes: self.nodes.len(),
            groups,
            outliers,
            healthy,
            skipped: self.skipped.clone(),
        }
    }
}

/// Shape counts of one chain present on both sides.
fn shape_counts(old: &[String], new: &[String]) -> (usize, usize, usize) {
    let (mut added, mut removed, mut changed) = (0, 0, 0);
    for op in capture_diff_slices(Algorithm::Myers, old, new) {
        match op {
            DiffOp::Equal { .. } => {}
            DiffOp::Delete { old_len, .. } => removed += old_len,
            DiffOp::Insert { new_len, .. } => added += new_len,
            DiffOp::Replace {
                old_len, new_len, ..
            } => {
                let both = old_len.min(new_len);
                changed += both;
                removed += old_len - both;
                added += new_len - both;
            }
        }
    }
    (added, removed, changed)
}

/// How `other` differs from `majority`, both sorted by key.
pub fn chain_deltas(majority: &[ChainFingerprint], other: &[ChainFingerprint]) -> Vec<ChainDelta> {
    let mut out: Vec<(Option<&str>, ChainDelta)> = Vec::new();
    let (mut i, mut j) = (0, 0);
    let delta = |c: &ChainFingerprint, status, added, removed, changed, base_changed| ChainDelta {
        backend: c.backend,
        family: c.family,
        table: c.table.clone(),
        kind: c.kind,
        name: c.name.clone(),
        status,
        added,
        removed,
        changed,
        base_changed,
        moved_from: None,
    };
    while i < majority.len() || j < other.len() {
        let ord = match (majority.get(i), other.get(j)) {
            (Some(a), Some(b)) => a.key().cmp(&b.key()),
            (Some(_), None) => std::cmp::Ordering::Less,
            _ => std::cmp::Ordering::Greater,
        };
        match ord {
            std::cmp::Ordering::Less => {
                let a = &majority[i];
                out.push((
                    Some(a.hash.as_str()),
                    delta(a, DeltaStatus::Removed, 0, a.shapes.len(), 0, false),
                ));
                i += 1;
            }
            std::cmp::Ordering::Greater => {
                let b = &other[j];
                out.push((
                    Some(b.hash.as_str()),
                    delta(b, DeltaStatus::Added, b.shapes.len(), 0, 0, false),
                ));
                j += 1;
            }
            std::cmp::Ordering::Equal => {
                let (a, b) = (&majority[i], &other[j]);
                if a.hash != b.hash {
                    let (added, removed, changed) = shape_counts(&a.shapes, &b.shapes);
                    out.push((
                        None,
                        delta(
                            b,
                            DeltaStatus::Changed,
                            added,
                            removed,
                            changed,
                            a.base != b.base,
                        ),
                    ));
                }
                i += 1;
                j += 1;
            }
        }
    }
    fold_moves(out)
}

/// Pairs a chain only the majority has in one backend with the same chain, same content, that
/// only the other configuration has in another backend: one `moved` entry instead of two.
fn fold_moves(entries: Vec<(Option<&str>, ChainDelta)>) -> Vec<ChainDelta> {
    let same_place = |a: &ChainDelta, b: &ChainDelta| {
        a.backend != b.backend
            && a.family == b.family
            && a.table == b.table
            && a.kind == b.kind
            && a.name == b.name
    };
    let mut taken = vec![false; entries.len()];
    let mut out = Vec::new();
    for i in 0..entries.len() {
        if taken[i] {
            continue;
        }
        let (hash, d) = &entries[i];
        if d.status == DeltaStatus::Added {
            let partner = (0..entries.len()).find(|&k| {
                !taken[k]
                    && entries[k].1.status == DeltaStatus::Removed
                    && entries[k].0 == *hash
                    && same_place(&entries[k].1, d)
            });
            if let Some(k) = partner {
                taken[k] = true;
                let mut m = d.clone();
                m.status = DeltaStatus::Moved;
                m.added = 0;
                m.moved_from = Some(entries[k].1.backend);
                out.push(m);
                continue;
            }
        }
        if d.status == DeltaStatus::Removed {
            let partner = (i + 1..entries.len()).find(|&k| {
                !taken[k]
                    && entries[k].1.status == DeltaStatus::Added
                    && entries[k].0 == *hash
                    && same_place(&entries[k].1, d)
            });
            if let Some(k) = partner {
                taken[k] = true;
                let mut m = entries[k].1.clone();
                m.status = DeltaStatus::Moved;
                m.added = 0;
                m.moved_from = Some(d.backend);
                out.push(m);
                continue;
            }
        }
        out.push(d.clone());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fleet::ChainKind;
    use crate::model::Family;

    fn chain(
        backend: Backend,
        name: &str,
        base: Option<&str>,
        shapes: &[&str],
    ) -> ChainFingerprint {
        let shapes: Vec<String> = shapes.iter().map(|s| s.to_string()).collect();
        ChainFingerprint {
            backend,
            family: Family::Ip,
            table: "filter".into(),
            kind: ChainKind::Chain,
            name: name.into(),
            base: base.map(str::to_string),
            instances: 1,
            rules: shapes.len(),
            variants: 1,
            hash: format!("{}|{}", base.unwrap_or(""), shapes.join(",")),
            shapes,
        }
    }

    /// backend, name, status, added, removed, changed, base_changed, moved_from.
    type Row<'a> = (
        Backend,
        &'a str,
        DeltaStatus,
        usize,
        usize,
        usize,
        bool,
        Option<Backend>,
    );

    fn sorted(mut v: Vec<ChainFingerprint>) -> Vec<ChainFingerprint> {
        v.sort_by_cached_key(|c| c.key());
        v
    }

    #[test]
    fn deltas_count_added_removed_changed_and_fold_moves() {
        use Backend::{Legacy, Nft};
        let majority = sorted(vec![
            chain(
                Nft,
                "FORWARD",
                Some("filter forward"),
                &["a", "b", "c", "d"],
            ),
            chain(Nft, "gone", None, &["x", "y"]),
            chain(Nft, "moves", None, &["m"]),
            chain(Nft, "policy", Some("policy accept"), &["p"]),
        ]);
        let other = sorted(vec![
            chain(
                Nft,
                "FORWARD",
                Some("filter forward"),
                &["a", "B", "c", "d", "e"],
            ),
            chain(Legacy, "moves", None, &["m"]),
            chain(Legacy, "new", None, &["n"]),
            chain(Nft, "policy", Some("policy drop"), &["p"]),
        ]);
        let d = chain_deltas(&majority, &other);
        let got: Vec<Row> = d
            .iter()
            .map(|d| {
                (
                    d.backend,
                    d.name.as_str(),
                    d.status,
                    d.added,
                    d.removed,
                    d.changed,
                    d.base_changed,
                    d.moved_from,
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                (
                    Legacy,
                    "moves",
                    DeltaStatus::Moved,
                    0,
                    0,
                    0,
                    false,
                    Some(Nft)
                ),
                (Legacy, "new", DeltaStatus::Added, 1, 0, 0, false, None),
                (Nft, "FORWARD", DeltaStatus::Changed, 1, 0, 1, false, None),
                (Nft, "gone", DeltaStatus::Removed, 0, 2, 0, false, None),
                (Nft, "policy", DeltaStatus::Changed, 0, 0, 0, true, None),
            ]
        );
        assert!(chain_deltas(&majority, &majority).is_empty());
    }

    #[test]
    fn report_groups_by_configuration_independent_of_order() {
        let fp = |node: &str, shapes: &[&str]| {
            let mut f = NodeFingerprint {
                nfdiff_fingerprint: 1,
                node: node.into(),
                hostname: None,
                created: None,
                endpoints: 0,
                backends: Vec::new(),
                chains: vec![chain(Backend::Nft, "c", None, shapes)],
                findings: Vec::new(),
            };
            if node == "n3" {
                f.findings.push(FindingBrief {
                    id: "pids-headroom".into(),
                    severity: Severity::Warning,
                    summary: "s".into(),
                    evidence: Vec::new(),
                });
            }
            f
        };
        let nodes = [
            ("n2", &["a"][..]),
            ("n1", &["a"]),
            ("n3", &["a"]),
            ("n4", &["b"]),
        ];
        let mut forward = Fleet::new();
        let mut backward = Fleet::new();
        for (n, s) in nodes {
            forward.add(n, fp(n, s));
        }
        for (n, s) in nodes.iter().rev() {
            backward.add(n, fp(n, s));
        }
        let r = forward.report();
        assert_eq!(r, backward.report());
        assert_eq!(r.groups[0].nodes, ["n1", "n2", "n3"]);
        assert_eq!(r.groups[1].nodes, ["n4"]);
        let listed: Vec<(&str, usize)> = r
            .outliers
            .iter()
            .map(|n| (n.node.as_str(), n.group))
            .collect();
        // n3 has a warning (listed first), n4 is outside the majority.
        assert_eq!(listed, [("n3", 1), ("n4", 2)]);
        assert_eq!(r.healthy, 3);
        assert!(!r.has_critical());
    }
}
