//! Tests of the ruleset diff: statuses, ops, lossy rules, sets, summary, properties, the Calico incident.

use std::collections::HashMap;
use std::time::Instant;

use netfilter_model::diff::{
    diff_rulesets, ChainDiff, ChainField, DiffOptions, DiffStatus, RuleOpKind, RulesetDiff,
};
use netfilter_model::model::{Backend, Family, Hook, IfacePattern, Policy, Ruleset};
use netfilter_model::parse::{parse_text, ParseOptions};

use super::diff_fixtures::*;

fn diff(a: &Ruleset, b: &Ruleset) -> RulesetDiff {
    diff_rulesets(a, b, &DiffOptions::default())
}

fn chain<'a>(d: &'a RulesetDiff, name: &str) -> &'a ChainDiff {
    d.chains
        .iter()
        .find(|c| c.chain == name)
        .unwrap_or_else(|| panic!("no chain {name} in the diff"))
}

fn ops(c: &ChainDiff) -> Vec<(RuleOpKind, Option<usize>, Option<usize>)> {
    c.rules
        .iter()
        .map(|o| (o.op, o.old_index, o.new_index))
        .collect()
}

use RuleOpKind::*;

// ---------------------------------------------------------------- the incident

#[test]
fn calico_incident_shows_stale_nft_endpoints() {
    let (legacy, nft) = calico_incident();
    let d = diff(&legacy, &nft);
    assert!(!d.equal);

    // Per-endpoint chains of the new endpoint exist only in legacy (OLD).
    let only_old: Vec<&str> = d
        .chains
        .iter()
        .filter(|c| c.status == DiffStatus::OnlyOld)
        .map(|c| c.chain.as_str())
        .collect();
    assert_eq!(only_old, ["cali-fw-caliNEW1234", "cali-tw-caliNEW1234"]);
    let fw = chain(&d, "cali-fw-caliNEW1234");
    assert_eq!(fw.old_backend, Some(Backend::Legacy));
    assert_eq!(fw.new_backend, None);
    assert!(fw
        .rules
        .iter()
        .all(|o| o.op == Delete && o.new_index.is_none()));
    assert_eq!(fw.rules.len(), 6);
    assert!(d.chains.iter().all(|c| c.status != DiffStatus::OnlyNew));

    // The dispatch chains changed: the `-i`/`-g` rule of the new endpoint is
    // missing in nf_tables; the final DROP pairs up but is not comparable,
    // because nft text dropped its comment.
    let from = chain(&d, "cali-from-wl-dispatch");
    assert_eq!(from.status, DiffStatus::Changed);
    assert_eq!(
        ops(from),
        vec![
            (Equal, Some(1), Some(1)),
            (Equal, Some(2), Some(2)),
            (Equal, Some(3), Some(3)),
            (Delete, Some(4), None),
            (Equal, Some(5), Some(4)),
        ]
    );
    assert_eq!(
        from.rules[3].rule,
        "iifname \"caliNEW1234\" goto cali-fw-caliNEW1234"
    );
    let drop = &from.rules[4];
    assert!(!drop.comparable);
    assert_eq!(drop.rule, "drop comment \"Unknown interface\"");
    assert_eq!(drop.new_rule.as_deref(), Some("drop"));
    let to = chain(&d, "cali-to-wl-dispatch");
    assert_eq!(to.status, DiffStatus::Changed);
    assert_eq!(
        to.rules[3].rule,
        "oifname \"caliNEW1234\" goto cali-tw-caliNEW1234"
    );
    assert_eq!(to.rules[3].op, Delete);

    // Everything else is the same, whatever the backend and the counters.
    for c in &d.chains {
        if !c.chain.contains("NEW1234") && !c.chain.ends_with("-wl-dispatch") {
            assert_eq!(c.status, DiffStatus::Same, "{}", c.chain);
            assert!(c.changes.is_empty());
        }
    }

    // The summary answers the incident question.
    let s = &d.summary;
    assert_eq!(
        s.interfaces_only_old,
        vec![IfacePattern::Exact("caliNEW1234".into())]
    );
    assert!(s.interfaces_only_new.is_empty());
    assert_eq!(s.chains.only_old, 2);
    assert_eq!(s.chains.only_new, 0);
    assert_eq!(s.chains.changed, 2);
    assert_eq!(s.rules.deleted, 12 + 2);
    assert_eq!(s.rules.inserted, 0);
    assert_eq!(s.rules.not_comparable, 2);
    let cali = s.owners.iter().find(|o| o.owner == "cali-").unwrap();
    assert_eq!((cali.old_chains, cali.new_chains), (15, 13));
    assert_eq!(cali.old_rules - cali.new_rules, 14);
    let kube = s.owners.iter().find(|o| o.owner == "KUBE-").unwrap();
    assert_eq!((kube.old_chains, kube.old_rules), (2, 4));
    assert_eq!((kube.new_chains, kube.new_rules), (2, 4));
    let owners: Vec<&str> = s.owners.iter().map(|o| o.owner.as_str()).collect();
    assert_eq!(owners, ["cali-", "KUBE-", "DOCKER", "other"]);
}

// ---------------------------------------------------------------- statuses and ops

fn small(chains: Vec<netfilter_model::model::Chain>) -> Ruleset {
    one_table(Backend::Legacy, Family::Ip, "filter", chains)
}

#[test]
fn each_status() {
    let old = small(vec![
        user("same", vec![r().accept()]),
        user("gone", vec![r().drop()]),
        user("edited", vec![r().accept(), r().drop()]),
    ]);
    let new = small(vec![
        user("added", vec![r().ret()]),
        user("edited", vec![r().accept()]),
        user("same", vec![r().accept()]),
    ]);
    let d = diff(&old, &new);
    let st: Vec<(&str, DiffStatus)> = d
        .chains
        .iter()
        .map(|c| (c.chain.as_str(), c.status))
        .collect();
    assert_eq!(
        st,
        [
            ("same", DiffStatus::Same),
            ("gone", DiffStatus::OnlyOld),
            ("edited", DiffStatus::Changed),
            ("added", DiffStatus::OnlyNew),
        ]
    );
    assert_eq!(ops(chain(&d, "gone")), [(Delete, Some(1), None)]);
    assert_eq!(ops(chain(&d, "added")), [(Insert, None, Some(1))]);
    assert_eq!(
        ops(chain(&d, "edited")),
        [(Equal, Some(1), Some(1)), (Delete, Some(2), None)]
    );
    assert!(!d.equal);
}

#[test]
fn each_op() {
    let old = small(vec![user(
        "c",
        vec![
            r().iif("a").accept(),
            r().iif("b").accept(),
            r().iif("c").accept(),
            r().iif("d").accept(),
        ],
    )]);
    let new = small(vec![user(
        "c",
        vec![
            r().iif("b").accept(),
            r().iif("c").accept(),
            r().iif("e").accept(),
            r().iif("a").accept(),
        ],
    )]);
    let d = diff(&old, &new);
    let c = chain(&d, "c");
    assert_eq!(
        ops(c),
        [
            (Equal, Some(2), Some(1)),
            (Equal, Some(3), Some(2)),
            (Delete, Some(4), None),
            (Insert, None, Some(3)),
            (Move, Some(1), Some(4)),
        ]
    );
    assert_eq!(c.rules[4].rule, "iifname \"a\" accept");
    let counts = c.rule_counts();
    assert_eq!(
        (counts.equal, counts.deleted, counts.inserted, counts.moved),
        (2, 1, 1, 1)
    );
}

#[test]
fn base_chain_changes() {
    let old = small(vec![base("FORWARD", Hook::Forward, Policy::Accept, vec![])]);
    let new = small(vec![base("FORWARD", Hook::Forward, Policy::Drop, vec![])]);
    let d = diff(&old, &new);
    let c = chain(&d, "FORWARD");
    assert_eq!(c.status, DiffStatus::Changed);
    assert_eq!(c.changes.len(), 1);
    assert_eq!(c.changes[0].field, ChainField::Policy);
    assert_eq!(
        (c.changes[0].old.as_deref(), c.changes[0].new.as_deref()),
        (Some("accept"), Some("drop"))
    );
    assert!(c.rules.is_empty());
}

#[test]
fn backend_counters_and_handles_do_not_count() {
    let a = calico_node(Backend::Legacy, CURRENT_ENDPOINTS, false);
    let mut b = calico_node(Backend::Nft, CURRENT_ENDPOINTS, false);
    for c in &mut b.tables[0].chains {
        for (i, rule) in c.rules.iter_mut().enumerate() {
            rule.counters = Some(netfilter_model::model::Counters {
                packets: 99,
                bytes: 9999,
            });
            rule.origin.handle = Some(1000 + i as u64);
            rule.origin.line = Some(7);
        }
    }
    let d = diff(&a, &b);
    assert!(d.equal);
    assert!(d.chains.iter().all(|c| c.status == DiffStatus::Same));
    assert_eq!(d.chains[0].old_backend, Some(Backend::Legacy));
    assert_eq!(d.chains[0].new_backend, Some(Backend::Nft));
    assert!(d.summary.interfaces_only_old.is_empty());
}

#[test]
fn ignore_comments() {
    let old = small(vec![user("c", vec![r().accept().comment("old")])]);
    let new = small(vec![user("c", vec![r().accept().comment("new")])]);
    let d = diff(&old, &new);
    assert!(!d.equal);
    assert_eq!(
        ops(chain(&d, "c")),
        [(Delete, Some(1), None), (Insert, None, Some(1))]
    );
    let d = diff_rulesets(&old, &new, &DiffOptions::default().ignore_comments(true));
    assert!(d.equal);
    let op = &chain(&d, "c").rules[0];
    assert_eq!(op.op, Equal);
    assert_eq!(op.new_rule.as_deref(), Some("accept comment \"new\""));
}

#[test]
fn lossy_only_differences_keep_rulesets_equal_but_visible() {
    let old = small(vec![user(
        "c",
        vec![
            r().iif("x").drop().comment("Unknown interface"),
            r().other("recent", "--rcheck --seconds 60 --name ssh", false)
                .drop(),
        ],
    )]);
    let new = small(vec![user(
        "c",
        vec![
            r().iif("x").drop().lossy("comment dropped"),
            r().other("xt:recent", "", true).drop(),
        ],
    )]);
    let d = diff(&old, &new);
    assert!(d.equal, "{:#?}", d.chains);
    let c = chain(&d, "c");
    assert_eq!(c.status, DiffStatus::Same);
    assert!(c.rules.iter().all(|o| o.op == Equal && !o.comparable));
    assert_eq!(d.summary.rules.not_comparable, 2);

    // A real difference next to a lossy part is still a difference.
    let new2 = small(vec![user(
        "c",
        vec![
            r().iif("y").drop().lossy("comment dropped"),
            r().other("xt:recent", "", true).drop(),
        ],
    )]);
    let d = diff(&old, &new2);
    assert!(!d.equal);
    assert_eq!(
        ops(chain(&d, "c")),
        [
            (Delete, Some(1), None),
            (Insert, None, Some(1)),
            (Equal, Some(2), Some(2))
        ]
    );
}

#[test]
fn interfaces_of_unchanged_chains_count_for_both_sides() {
    // `shared` is in an unchanged chain on both sides and in a rule only OLD has.
    let old = small(vec![
        user("same", vec![r().iif("shared").accept()]),
        user("c", vec![r().iif("shared").drop(), r().oif("gone").drop()]),
    ]);
    let new = small(vec![
        user("same", vec![r().iif("shared").accept()]),
        user("c", vec![r().iif("cali*").drop()]),
    ]);
    let d = diff(&old, &new);
    assert_eq!(
        d.summary.interfaces_only_old,
        [IfacePattern::Exact("gone".into())]
    );
    assert_eq!(
        d.summary.interfaces_only_new,
        [IfacePattern::Prefix("cali".into())]
    );
}

#[test]
fn same_table_in_both_backends_on_one_side() {
    // OLD holds filter in both backends; NEW only in nft: the legacy copy is OLD-only.
    let mut old = calico_node(Backend::Legacy, &["caliA1"], false);
    old.extend(calico_node(Backend::Nft, &["caliA1"], false));
    let new = calico_node(Backend::Nft, &["caliA1"], false);
    let d = diff(&old, &new);
    assert!(!d.equal);
    assert!(d
        .chains
        .iter()
        .filter(|c| c.old_backend == Some(Backend::Legacy))
        .all(|c| c.status == DiffStatus::OnlyOld));
    assert!(d
        .chains
        .iter()
        .filter(|c| c.old_backend == Some(Backend::Nft))
        .all(|c| c.status == DiffStatus::Same));
}

#[test]
fn sets_objects_and_set_interfaces() {
    let old = nft_sets(&["10.0.0.1", "10.0.0.2"], "25 mbytes", Some("caliZ9"));
    let new = nft_sets(&["10.0.0.2", "10.0.0.3"], "50 mbytes", None);
    let d = diff(&old, &new);
    assert!(!d.equal);
    assert!(d.chains.iter().all(|c| c.status == DiffStatus::Same));
    let allowed = d.sets.iter().find(|s| s.set == "allowed").unwrap();
    assert_eq!(allowed.status, DiffStatus::Changed);
    assert_eq!(allowed.removed, ["10.0.0.1"]);
    assert_eq!(allowed.added, ["10.0.0.3"]);
    let disp = d.sets.iter().find(|s| s.set == "dispatch").unwrap();
    assert_eq!(disp.removed, ["\"caliZ9\" : goto cali-fw-caliZ9"]);
    assert_eq!(d.objects.len(), 1);
    assert_eq!(d.objects[0].status, DiffStatus::Changed);
    assert_eq!(d.objects[0].new_body.as_deref(), Some("50 mbytes"));
    assert_eq!(
        d.summary.interfaces_only_old,
        [IfacePattern::Exact("caliZ9".into())]
    );
    assert_eq!(d.summary.sets.changed, 2);
    assert_eq!(d.summary.objects.changed, 1);
}

// ---------------------------------------------------------------- properties

/// Checks that every rule of both chains appears exactly once, that paired rules
/// really are the same rule, and that equal pairs keep their order.
fn check_ops_cover(c: &ChainDiff) {
    let mut olds = Vec::new();
    let mut news = Vec::new();
    let mut last_equal = (0, 0);
    for o in &c.rules {
        match o.op {
            Equal | Move => {
                olds.push(o.old_index.unwrap());
                news.push(o.new_index.unwrap());
                if o.op == Equal {
                    let p = (o.old_index.unwrap(), o.new_index.unwrap());
                    assert!(p.0 > last_equal.0 && p.1 > last_equal.1, "{c:#?}");
                    last_equal = p;
                }
                if let (true, Some(n)) = (o.comparable, &o.new_rule) {
                    // Only an ignored comment may tell comparable paired rules apart.
                    let bare = |t: &str| t.split(" comment \"").next().unwrap_or("").to_string();
                    assert_eq!(bare(&o.rule), bare(n), "{o:?}");
                }
            }
            Delete => {
                assert!(o.new_index.is_none());
                olds.push(o.old_index.unwrap());
            }
            Insert => {
                assert!(o.old_index.is_none());
                news.push(o.new_index.unwrap());
            }
        }
    }
    olds.sort_unstable();
    news.sort_unstable();
    assert_eq!(olds, (1..=c.old_rules).collect::<Vec<_>>(), "{}", c.chain);
    assert_eq!(news, (1..=c.new_rules).collect::<Vec<_>>(), "{}", c.chain);
}

fn assert_self_diff_empty(rs: &Ruleset, what: &str) {
    let d = diff(rs, rs);
    assert!(d.equal, "diff(a, a) not equal for {what}");
    assert!(
        d.chains
            .iter()
            .all(|c| c.status == DiffStatus::Same && c.rules.iter().all(|o| o.op == Equal)),
        "{what}"
    );
    assert!(
        d.sets.iter().all(|s| s.status == DiffStatus::Same),
        "{what}"
    );
    assert!(d.summary.interfaces_only_old.is_empty() && d.summary.interfaces_only_new.is_empty());
    let chains: usize = rs.tables.iter().map(|t| t.chains.len()).sum();
    assert_eq!(d.chains.len(), chains, "{what}");
}

type ChainId = (Family, String, String);

fn by_chain(d: &RulesetDiff) -> HashMap<ChainId, &ChainDiff> {
    d.chains
        .iter()
        .map(|c| ((c.family, c.table.clone(), c.chain.clone()), c))
        .collect()
}

/// diff(a, b) and diff(b, a) mirror each other: statuses and sides swap, and each
/// chain has exactly the mirrored rule ops (deletes and inserts swapped, indices
/// and texts swapped); only the order of a move among the ops may differ, as a
/// move is listed at its NEW position.
fn assert_mirror(ab: &RulesetDiff, ba: &RulesetDiff) {
    assert_eq!(ab.equal, ba.equal);
    assert_eq!(ab.chains.len(), ba.chains.len());
    let back = by_chain(ba);
    for c in &ab.chains {
        check_ops_cover(c);
        let m = back
            .get(&(c.family, c.table.clone(), c.chain.clone()))
            .unwrap_or_else(|| panic!("{} missing in reverse", c.chain));
        assert_eq!(c.status, m.status.mirrored(), "{}", c.chain);
        assert_eq!(
            (c.old_backend, c.new_backend),
            (m.new_backend, m.old_backend)
        );
        assert_eq!((c.old_rules, c.new_rules), (m.new_rules, m.old_rules));
        assert_eq!(c.changes.len(), m.changes.len());
        for (x, y) in c.changes.iter().zip(&m.changes) {
            assert_eq!((x.field, &x.old, &x.new), (y.field, &y.new, &y.old));
        }
        let mut forward: Vec<_> = c.rules.iter().map(mirrored).collect();
        let mut reverse: Vec<_> = m.rules.iter().map(as_tuple).collect();
        forward.sort();
        reverse.sort();
        assert_eq!(forward, reverse, "{}", c.chain);
        let (f, r) = (c.rule_counts(), m.rule_counts());
        assert_eq!(f.equal, r.equal, "{}", c.chain);
        assert_eq!(f.moved, r.moved, "{}", c.chain);
        assert_eq!(
            (f.deleted, f.inserted),
            (r.inserted, r.deleted),
            "{}",
            c.chain
        );
    }
    assert_eq!(ab.sets.len(), ba.sets.len());
    for s in &ab.sets {
        let m = ba
            .sets
            .iter()
            .find(|x| x.set == s.set && x.table == s.table && x.family == s.family)
            .unwrap();
        assert_eq!(s.status, m.status.mirrored());
        assert_eq!((&s.added, &s.removed), (&m.removed, &m.added));
    }
    for o in &ab.objects {
        let m = ba
            .objects
            .iter()
            .find(|x| {
                x.name == o.name && x.kind == o.kind && x.table == o.table && x.family == o.family
            })
            .unwrap();
        assert_eq!(o.status, m.status.mirrored());
        assert_eq!((&o.old_body, &o.new_body), (&m.new_body, &m.old_body));
    }
    let (s, t) = (&ab.summary, &ba.summary);
    assert_eq!(s.interfaces_only_old, t.interfaces_only_new);
    assert_eq!(s.interfaces_only_new, t.interfaces_only_old);
    assert_eq!(
        (s.chains.only_old, s.chains.only_new),
        (t.chains.only_new, t.chains.only_old)
    );
    assert_eq!(
        (s.rules.deleted, s.rules.inserted),
        (t.rules.inserted, t.rules.deleted)
    );
    assert_eq!(s.rules.not_comparable, t.rules.not_comparable);
    for (x, y) in s.owners.iter().zip(&t.owners) {
        assert_eq!(x.owner, y.owner);
        assert_eq!((x.old_chains, x.old_rules), (y.new_chains, y.new_rules));
    }
}

type OpTuple = (
    &'static str,
    Option<usize>,
    Option<usize>,
    String,
    Option<String>,
    bool,
);

fn as_tuple(o: &netfilter_model::diff::RuleOp) -> OpTuple {
    (
        o.op.as_str(),
        o.old_index,
        o.new_index,
        o.rule.clone(),
        o.new_rule.clone(),
        o.comparable,
    )
}

/// The op as the reverse diff should list it.
fn mirrored(o: &netfilter_model::diff::RuleOp) -> OpTuple {
    let kind = match o.op {
        Delete => Insert,
        Insert => Delete,
        k => k,
    };
    let (rule, new_rule) = match &o.new_rule {
        Some(n) => (n.clone(), Some(o.rule.clone())),
        None => (o.rule.clone(), None),
    };
    (
        kind.as_str(),
        o.new_index,
        o.old_index,
        rule,
        new_rule,
        o.comparable,
    )
}

fn fixtures() -> Vec<(&'static str, Ruleset)> {
    let (legacy, nft) = calico_incident();
    vec![
        ("calico legacy", legacy),
        ("calico nft stale", nft),
        (
            "calico one endpoint",
            calico_node(Backend::Nft, &["caliA1"], false),
        ),
        ("sets", nft_sets(&["1.1.1.1"], "1 mbytes", Some("eth1"))),
        ("empty", Ruleset::default()),
    ]
}

#[test]
fn self_diff_is_empty_for_every_fixture() {
    for (name, rs) in fixtures() {
        assert_self_diff_empty(&rs, name);
    }
}

#[test]
fn diffs_mirror_for_every_fixture_pair() {
    let fx = fixtures();
    for (an, a) in &fx {
        for (bn, b) in &fx {
            let (ab, ba) = (diff(a, b), diff(b, a));
            assert_mirror(&ab, &ba);
            assert_eq!(ab.equal, an == bn, "{an} vs {bn}");
        }
    }
}

/// A small deterministic generator (xorshift64*), so failures reproduce.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

fn random_rule(rng: &mut Rng) -> R {
    let name = format!("if{}", rng.below(6));
    let rr = match rng.below(4) {
        0 => r().iif(&name),
        1 => r().oif(&name),
        2 => r().mark(rng.below(3) as u32, 0xff),
        _ => r(),
    };
    let rr = match rng.below(4) {
        0 => rr.accept(),
        1 => rr.drop(),
        2 => rr.jump("x"),
        _ => rr.ret(),
    };
    match rng.below(6) {
        0 => rr.comment("c"),
        1 => rr.lossy("comment dropped"),
        _ => rr,
    }
}

fn random_pair(rng: &mut Rng) -> (Ruleset, Ruleset) {
    let mut old_chains = Vec::new();
    let mut new_chains = Vec::new();
    for c in 0..rng.below(5) + 1 {
        let name = format!("chain{c}");
        let rules: Vec<R> = (0..rng.below(12)).map(|_| random_rule(rng)).collect();
        let mut mutated = rules.clone();
        for _ in 0..rng.below(4) {
            match rng.below(4) {
                0 if !mutated.is_empty() => {
                    let i = rng.below(mutated.len());
                    mutated.remove(i);
                }
                1 => {
                    let i = rng.below(mutated.len() + 1);
                    mutated.insert(i, random_rule(rng));
                }
                2 if !mutated.is_empty() => {
                    let i = rng.below(mutated.len());
                    let x = mutated.remove(i);
                    let j = rng.below(mutated.len() + 1);
                    mutated.insert(j, x);
                }
                _ => {}
            }
        }
        match rng.below(8) {
            0 => old_chains.push(user(&name, rules)),
            1 => new_chains.push(user(&name, mutated)),
            2 => {
                old_chains.push(base(&name, Hook::Input, Policy::Accept, rules));
                new_chains.push(base(&name, Hook::Input, Policy::Drop, mutated));
            }
            _ => {
                old_chains.push(user(&name, rules));
                new_chains.push(user(&name, mutated));
            }
        }
    }
    (
        one_table(Backend::Legacy, Family::Ip, "filter", old_chains),
        one_table(Backend::Nft, Family::Ip, "filter", new_chains),
    )
}

/// Interface names of `-i`/`-o` matches, the only kind the random rules use.
fn naive_ifaces(rs: &Ruleset) -> std::collections::BTreeSet<IfacePattern> {
    let mut out = std::collections::BTreeSet::new();
    for r in rs
        .tables
        .iter()
        .flat_map(|t| &t.chains)
        .flat_map(|c| &c.rules)
    {
        for m in &r.matches {
            if let netfilter_model::model::MatchKind::Interface { names, .. } = &m.kind {
                out.extend(names.iter().cloned());
            }
        }
    }
    out
}

#[test]
fn random_rulesets_mirror_and_cover() {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    for _ in 0..400 {
        let (a, b) = random_pair(&mut rng);
        let (ab, ba) = (diff(&a, &b), diff(&b, &a));
        assert_mirror(&ab, &ba);
        let (na, nb) = (naive_ifaces(&a), naive_ifaces(&b));
        let only_a: Vec<IfacePattern> = na.difference(&nb).cloned().collect();
        assert_eq!(ab.summary.interfaces_only_old, only_a);
        assert_self_diff_empty(&a, "random");
        // With comments ignored the properties hold too.
        let o = DiffOptions::default().ignore_comments(true);
        assert_mirror(&diff_rulesets(&a, &b, &o), &diff_rulesets(&b, &a, &o));
    }
}

// ---------------------------------------------------------------- corpus

fn corpus_files() -> Option<Vec<std::path::PathBuf>> {
    let root = std::path::Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/corpus"
    ));
    if !root.is_dir() {
        return None;
    }
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&dir) else {
            continue;
        };
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p
                .file_name()
                .is_some_and(|n| n != "README.md" && n != "LICENSE")
            {
                out.push(p);
            }
        }
    }
    out.sort();
    Some(out)
}

/// Every corpus file the parsers can read diffs empty against itself, and
/// neighbouring files' diffs mirror. Files no parser reads yet are counted, not failed.
#[test]
fn corpus_self_diff_and_mirror() {
    let Some(files) = corpus_files() else {
        eprintln!("corpus not found next to the repository; skipping");
        return;
    };
    assert!(!files.is_empty(), "the corpus folder is empty");
    let mut parsed: Vec<(String, Ruleset)> = Vec::new();
    let mut skipped = 0;
    for p in &files {
        let Ok(bytes) = std::fs::read(p) else {
            skipped += 1;
            continue;
        };
        let text = String::from_utf8_lossy(&bytes);
        let name = p.display().to_string();
        match parse_text(&text, &ParseOptions::new(name.as_str())) {
            Ok(rs) => parsed.push((name, rs)),
            Err(_) => skipped += 1,
        }
    }
    eprintln!(
        "corpus: {} files parsed and diffed, {skipped} not readable by the parsers of this build",
        parsed.len()
    );
    for (name, rs) in &parsed {
        assert_self_diff_empty(rs, name);
    }
    for w in parsed.windows(2) {
        assert_mirror(&diff(&w[0].1, &w[1].1), &diff(&w[1].1, &w[0].1));
    }
}

// ---------------------------------------------------------------- scale

/// Two 100k-rule chains with 1% of rules changed: the diff finds exactly the
/// changes, in time that grows with the rules and the changes, not their product.
#[test]
fn large_rulesets_diff_near_linearly() {
    let n = 100_000;
    let mk = |i: usize| {
        r().iif(&format!("cali{i:08}"))
            .goto(&format!("cali-fw-cali{i:08}"))
    };
    let old_rules: Vec<R> = (0..n).map(mk).collect();
    let mut new_rules = Vec::with_capacity(n);
    for i in 0..n {
        if i % 100 == 0 {
            new_rules.push(r().iif(&format!("x{i}")).drop());
        } else {
            new_rules.push(mk(i));
        }
    }
    let old = small(vec![user("big", old_rules)]);
    let new = small(vec![user("big", new_rules)]);
    let t = Instant::now();
    let d = diff(&old, &new);
    let took = t.elapsed();
    eprintln!("100k-rule diff with 1% changed: {took:?}");
    let c = chain(&d, "big").rule_counts();
    assert_eq!(
        (c.equal, c.deleted, c.inserted, c.moved),
        (99_000, 1_000, 1_000, 0)
    );
    assert_eq!(d.summary.interfaces_only_old.len(), 1_000);
    assert_eq!(d.summary.interfaces_only_new.len(), 1_000);
}
