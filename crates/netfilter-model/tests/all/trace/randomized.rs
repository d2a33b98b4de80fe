//! Randomized tests: a seeded generator of small rulesets and packets, checked against a
//! deliberately simple recursive reference evaluator written here, plus properties
//! (no panics, determinism, `order_dependent` iff some order of equal-priority chains
//! changes the verdict).
//!
//! `NFDIFF_TRACE_SEED=<n>` replays one case; `NFDIFF_TRACE_CASES=<n>` sets the count.

use std::collections::BTreeSet;
use std::net::IpAddr;

use netfilter_model::model::{
    Backend, ChainType, CtStateSet, Direction, Family, Hook, IfacePattern, MatchKind, Policy,
    Protocol, Rule, Ruleset, Statement, Table, Verdict,
};
use netfilter_model::trace::{
    iface_classes, FinalVerdict, Packet, TraceError, TraceIndex, TraceOptions, TracePath,
    MAX_FULL_PERMUTATION,
};

use super::builder::*;

/// splitmix64: small, seedable, good enough for test generation.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len())]
    }
    fn pick_ref<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

const IFACES: &[&str] = &["cali1", "cali12", "cali+", "cali1+", "eth0", "wg+"];
const NETS: &[&str] = &["10.0.0.0/8", "10.1.0.0/16", "192.168.0.0/16", "10.1.2.3/32"];
const PORTS: &[u16] = &[22, 53, 80, 443];

struct GenOpts {
    /// Allow undecidable matches.
    maybe: bool,
    /// Allow jumps backwards (cycles).
    cycles: bool,
}

fn gen_rule(rng: &mut Rng, users: &[String], in_nat: bool, g: &GenOpts) -> Rule {
    let mut b = r();
    for _ in 0..rng.below(3) {
        let neg = rng.chance(20);
        b = match rng.below(if g.maybe { 10 } else { 9 }) {
            0 if neg => b.not_iif(rng.pick(IFACES)),
            0 => b.iif(rng.pick(IFACES)),
            1 => b.oif(rng.pick(IFACES)),
            2 if neg => b.not_src(rng.pick(NETS)),
            2 => b.src(rng.pick(NETS)),
            3 if neg => b.not_dst(rng.pick(NETS)),
            3 => b.dst(rng.pick(NETS)),
            4 => b.proto(rng.pick(&["tcp", "udp"])),
            5 if neg => b.not_dport(rng.pick(&["tcp", "udp"]), rng.pick(PORTS)),
            5 => {
                let p = rng.pick(&["tcp", "udp"]);
                let ports: Vec<u16> = (0..1 + rng.below(2)).map(|_| rng.pick(PORTS)).collect();
                b.dports(p, &ports)
            }
            6 => b.ct(rng.pick(&["new", "established,related", "invalid", "new,established"])),
            7 | 8 => {
                let mask = rng.pick(&[0xffu32, 0x1, 0x10, 0xffff_ffff]);
                let value = rng.pick(&[0u32, 1, 0x10, 0x11]);
                if neg {
                    b.not_mark(value, mask)
                } else {
                    b.mark(value, mask)
                }
            }
            _ => b.random("0.5"),
        };
    }
    if in_nat {
        if rng.chance(50) {
            return b.dnat(rng.pick(&["10.1.2.3", "192.168.7.7:8080"])).done();
        }
    } else if rng.chance(35) {
        b = b.set_xmark(
            rng.pick(&[0x1u32, 0x10, 0x0]),
            rng.pick(&[0x1u32, 0x11, 0xff]),
        );
    }
    let jumpable = !users.is_empty();
    match rng.below(10) {
        0 | 1 => b.done(),
        2 | 3 => b.accept(),
        4 | 5 => b.drop(),
        6 => b.ret(),
        7 | 8 if jumpable => b.jump(rng.pick_ref(users).as_str()),
        9 if jumpable => b.goto(rng.pick_ref(users).as_str()),
        _ => b.accept(),
    }
}

/// Sometimes makes a chain long (past the tracer's skip-index threshold) with rules that
/// test exact interface names, Calico-dispatch style, mixed with the random ones.
fn lengthen(rng: &mut Rng, rules: &mut Vec<Rule>, users: &[String]) {
    if !rng.chance(30) {
        return;
    }
    for _ in 0..40 {
        let name = rng.pick(&["cali1", "cali12", "cali7", "eth0", "wg1", "pad0", "pad1"]);
        let b = if rng.chance(70) {
            r().iif(name)
        } else {
            r().oif(name)
        };
        let b = if rng.chance(30) { b.proto("udp") } else { b };
        let rule = match rng.below(4) {
            0 => b.accept(),
            1 => b.drop(),
            2 if !users.is_empty() => b.goto(rng.pick_ref(users).as_str()),
            _ => b.set_xmark(0x1, 0x1).done(),
        };
        let at = rng.below(rules.len() + 1);
        rules.insert(at, rule);
    }
}

fn gen_ruleset(rng: &mut Rng, g: &GenOpts) -> Ruleset {
    let mut tables = Vec::new();
    // Often put every base chain on the forward hook at priority 0, where orders matter.
    let crowded = rng.chance(40);
    for t in 0..1 + rng.below(4) {
        let backend = if rng.chance(50) {
            Backend::Legacy
        } else {
            Backend::Nft
        };
        let family = rng.pick(&[Family::Ip, Family::Ip, Family::Inet, Family::Ip6]);
        let n_user = rng.below(4);
        let user_names: Vec<String> = (0..n_user).map(|i| format!("u{i}")).collect();
        let mut chains = Vec::new();
        for bi in 0..1 + rng.below(2) {
            let hook = rng
                .pick_ref(&[
                    Hook::Prerouting,
                    Hook::Forward,
                    Hook::Forward,
                    Hook::Postrouting,
                    Hook::Input,
                    Hook::Output,
                ])
                .clone();
            let prio = if crowded {
                0
            } else {
                rng.pick(&[-10, 0, 0, 10])
            };
            let hook = if crowded { Hook::Forward } else { hook };
            let policy = if rng.chance(20) {
                Policy::Drop
            } else {
                Policy::Accept
            };
            let mut rules: Vec<Rule> = (0..rng.below(5))
                .map(|_| gen_rule(rng, &user_names, false, g))
                .collect();
            lengthen(rng, &mut rules, &user_names);
            // In a crowded hook, make a mark writer and a mark reader meet half of the time.
            if crowded && bi == 0 && rng.chance(50) {
                let rule = match t {
                    0 => r().set_xmark(0x10, 0x10).done(),
                    _ if rng.chance(50) => r().mark(0x10, 0x10).drop(),
                    _ => r().not_mark(0x10, 0x10).drop(),
                };
                rules.insert(0, rule);
            }
            chains.push(base(
                &format!("b{bi}"),
                ChainType::Filter,
                hook,
                prio,
                policy,
                rules,
            ));
        }
        if rng.chance(25) {
            let rules = (0..1 + rng.below(3))
                .map(|_| gen_rule(rng, &[], true, g))
                .collect();
            chains.push(base(
                "nat",
                ChainType::Nat,
                Hook::Prerouting,
                -100,
                Policy::Accept,
                rules,
            ));
        }
        for i in 0..n_user {
            // Jumps only forward (a DAG), unless cycles are wanted.
            let targets: Vec<String> = if g.cycles {
                user_names.clone()
            } else {
                user_names[i + 1..].to_vec()
            };
            let rules = (0..rng.below(4))
                .map(|_| gen_rule(rng, &targets, false, g))
                .collect();
            chains.push(user(&user_names[i], rules));
        }
        tables.push(table(backend, family, &format!("t{t}"), chains));
    }
    ruleset(tables)
}

fn gen_packet(rng: &mut Rng) -> Packet {
    let src: IpAddr = rng
        .pick(&["10.1.2.3", "10.2.0.1", "192.168.1.1"])
        .parse()
        .unwrap();
    let dst: IpAddr = rng
        .pick(&["10.1.2.3", "8.8.8.8", "192.168.1.1"])
        .parse()
        .unwrap();
    let mut p = Packet::new(src, dst);
    p.path = rng.pick(&[
        TracePath::Forward,
        TracePath::Forward,
        TracePath::Input,
        TracePath::Output,
    ]);
    p.iif = Some(
        rng.pick(&["cali1", "cali12", "cali7", "eth0", "wg0", "lo"])
            .to_string(),
    );
    p.oif = Some(rng.pick(&["cali1", "eth0", "wg1"]).to_string());
    p.proto = Some(rng.pick(&[Protocol::TCP, Protocol::UDP]));
    p.sport = Some(40000);
    p.dport = Some(rng.pick(PORTS));
    p.ct_state = CtStateSet(if rng.chance(70) {
        CtStateSet::NEW
    } else {
        CtStateSet::ESTABLISHED
    });
    p.mark = rng.pick(&[0u32, 1, 0x10]);
    p
}

// ---------------------------------------------------------------------------------------
// The reference evaluator: recursive, straightforward, independent of the library's code.

/// (table, chain, 1-based index or None for the policy)
type Key = (String, String, Option<usize>);

/// A hook and its equal-priority base chains as (table, chain) indexes, in run order.
type Group = (Hook, Vec<(usize, usize)>);

#[derive(Clone, Debug)]
struct St {
    dst: IpAddr,
    dport: Option<u16>,
    mark: u32,
    /// Whether a nat statement mapped the connection.
    mapped: bool,
    dnat: bool,
}

/// The destination after DNAT of an accepted packet.
type RefNat = Option<(IpAddr, Option<u16>)>;

enum Res {
    Continue,
    Accept(Key, bool),
    Drop(Key),
}

struct Ref<'a> {
    rs: &'a Ruleset,
    pkt: &'a Packet,
}

fn pattern_ok(p: &IfacePattern, name: &str) -> bool {
    match p {
        IfacePattern::Exact(e) => e == name,
        IfacePattern::Prefix(x) => name.starts_with(x.as_str()),
        other => panic!("the generator makes no {other:?}"),
    }
}

impl Ref<'_> {
    fn names(&self, hook: &Hook) -> (String, String) {
        let iif = match hook {
            // A forwarded packet keeps its input interface at postrouting.
            Hook::Prerouting | Hook::Input | Hook::Forward | Hook::Postrouting
                if self.pkt.path != TracePath::Output =>
            {
                self.pkt.iif.clone().unwrap()
            }
            _ => String::new(),
        };
        let oif = match hook {
            Hook::Forward | Hook::Output | Hook::Postrouting
                if self.pkt.path != TracePath::Input =>
            {
                self.pkt.oif.clone().unwrap()
            }
            _ => String::new(),
        };
        (iif, oif)
    }

    fn rule_matches(&self, rule: &Rule, st: &St, iif: &str, oif: &str) -> bool {
        rule.matches.iter().all(|m| {
            let (applies, hit) = match &m.kind {
                MatchKind::Interface { dir, names } => {
                    let n = if *dir == Direction::Src { iif } else { oif };
                    (true, names.iter().any(|p| pattern_ok(p, n)))
                }
                MatchKind::Address { dir, addrs } => {
                    let a = if *dir == Direction::Src {
                        self.pkt.src
                    } else {
                        st.dst
                    };
                    (true, addrs.iter().any(|s| s.contains(&a)))
                }
                MatchKind::Protocol { protos } => (true, protos.contains(&self.pkt.proto.unwrap())),
                MatchKind::Port { proto, ports, .. } => {
                    if *proto != self.pkt.proto {
                        (false, false)
                    } else {
                        let p = st.dport.unwrap();
                        (true, ports.iter().any(|r| r.first <= p && p <= r.last))
                    }
                }
                MatchKind::CtState { states } => (true, states.0 & self.pkt.ct_state.0 != 0),
                MatchKind::Mark { value, mask } => (true, st.mark & mask == *value),
                other => panic!("reference evaluator does not know {other:?}"),
            };
            applies && (hit != m.negated)
        })
    }

    /// Runs a chain; `Continue` means it returned (or fell off its end).
    fn run_chain(&self, t: &Table, ci: usize, st: &mut St, hook: &Hook, nat: bool) -> Res {
        let (iif, oif) = self.names(hook);
        let c = &t.chains[ci];
        for (ri, rule) in c.rules.iter().enumerate() {
            if !self.rule_matches(rule, st, &iif, &oif) {
                continue;
            }
            let key = (t.name.clone(), c.name.clone(), Some(ri + 1));
            for s in &rule.statements {
                match s {
                    Statement::SetMark { and, xor } => st.mark = (st.mark & and) ^ xor,
                    Statement::Nat { addr: Some(a), .. } => {
                        let (ip, port) = match a.split_once(':') {
                            Some((ip, p)) => (ip, Some(p.parse().unwrap())),
                            None => (a.as_str(), None),
                        };
                        st.dst = ip.parse().unwrap();
                        st.mapped = true;
                        st.dnat = true;
                        if port.is_some() {
                            st.dport = port;
                        }
                        return Res::Accept(key, true);
                    }
                    other => panic!("reference evaluator does not know {other:?}"),
                }
            }
            let find = |n: &str| t.chains.iter().position(|c| c.name == n).unwrap();
            match &rule.verdict {
                None => {}
                Some(Verdict::Accept) => return Res::Accept(key, nat),
                Some(Verdict::Drop) => return Res::Drop(key),
                Some(Verdict::Return) => return Res::Continue,
                Some(Verdict::Jump(n)) => match self.run_chain(t, find(n), st, hook, nat) {
                    Res::Continue => {}
                    other => return other,
                },
                Some(Verdict::Goto(n)) => return self.run_chain(t, find(n), st, hook, nat),
                Some(other) => panic!("reference evaluator does not know {other:?}"),
            }
        }
        Res::Continue
    }

    /// The equal-priority groups of every hook of the path, listing order within a group.
    fn groups(&self) -> Vec<Group> {
        let mut out = Vec::new();
        for hook in self.pkt.path.hooks() {
            let mut base: Vec<(i32, (usize, usize))> = Vec::new();
            for (ti, t) in self.rs.tables.iter().enumerate() {
                let sees = if self.pkt.src.is_ipv6() {
                    t.family.sees_ipv6()
                } else {
                    t.family.sees_ipv4()
                };
                if !sees {
                    continue;
                }
                for (ci, c) in t.chains.iter().enumerate() {
                    if let Some(b) = &c.base {
                        if &b.hook == hook {
                            base.push((b.priority, (ti, ci)));
                        }
                    }
                }
            }
            base.sort_by_key(|x| x.0);
            let mut i = 0;
            while i < base.len() {
                let mut g = vec![base[i].1];
                let mut j = i + 1;
                while j < base.len() && base[j].0 == base[i].0 {
                    g.push(base[j].1);
                    j += 1;
                }
                out.push((hook.clone(), g));
                i = j;
            }
        }
        out
    }

    /// The verdict and deciding rule when the groups run in these orders.
    fn eval(&self, groups: &[Group]) -> (FinalVerdict, Option<Key>, RefNat) {
        let mut st = St {
            dst: self.pkt.dst,
            dport: self.pkt.dport,
            mark: self.pkt.mark,
            mapped: false,
            dnat: false,
        };
        // key, policy, nat chain
        let mut accepts: Vec<(Key, bool, bool)> = Vec::new();
        // The hook where a nat chain mapped the connection: the nat core runs no further
        // nat chain there (the generator's nat chains are all on prerouting).
        let mut mapped: Option<Hook> = None;
        for (hook, g) in groups {
            for &(ti, ci) in g {
                let t = &self.rs.tables[ti];
                let b = t.chains[ci].base.as_ref().unwrap();
                let nat = b.chain_type == ChainType::Nat;
                if nat && (self.pkt.ct_state != CtStateSet::NEW || mapped.as_ref() == Some(hook)) {
                    continue;
                }
                let res = self.run_chain(t, ci, &mut st, hook, nat);
                if std::mem::take(&mut st.mapped) {
                    mapped = Some(hook.clone());
                }
                match res {
                    Res::Drop(k) => return (FinalVerdict::Drop, Some(k), None),
                    Res::Accept(k, n) => accepts.push((k, false, n)),
                    Res::Continue => {
                        let k = (t.name.clone(), t.chains[ci].name.clone(), None);
                        if b.policy == Policy::Drop {
                            return (FinalVerdict::Drop, Some(k), None);
                        }
                        accepts.push((k, true, nat));
                    }
                }
            }
        }
        let d = accepts
            .iter()
            .rev()
            .find(|a| !a.1 && !a.2)
            .or_else(|| accepts.iter().rev().find(|a| !a.1))
            .or_else(|| accepts.last())
            .map(|a| a.0.clone());
        (
            FinalVerdict::Accept,
            d,
            st.dnat.then_some((st.dst, st.dport)),
        )
    }
}

fn permutations<T: Clone>(items: &[T]) -> Vec<Vec<T>> {
    if items.len() <= 1 {
        return vec![items.to_vec()];
    }
    let mut out = Vec::new();
    for i in 0..items.len() {
        let mut rest = items.to_vec();
        let x = rest.remove(i);
        for mut p in permutations(&rest) {
            p.insert(0, x.clone());
            out.push(p);
        }
    }
    out
}

/// Every combination of orders of every group (None when there are too many).
fn all_orders(groups: &[Group]) -> Option<Vec<Vec<Group>>> {
    let mut combos: Vec<Vec<Group>> = vec![Vec::new()];
    for (h, g) in groups {
        let perms = permutations(g);
        if combos.len() * perms.len() > 5000 {
            return None;
        }
        let mut next = Vec::new();
        for c in &combos {
            for p in &perms {
                let mut c2 = c.clone();
                c2.push((h.clone(), p.clone()));
                next.push(c2);
            }
        }
        combos = next;
    }
    Some(combos)
}

fn key_of(r: &netfilter_model::trace::RuleRef) -> Key {
    (r.table.clone(), r.chain.clone(), r.index)
}

fn cases() -> (u64, u64) {
    if let Some(s) = std::env::var("NFDIFF_TRACE_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
    {
        return (s, 1);
    }
    let n = std::env::var("NFDIFF_TRACE_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(400);
    (0x6e66_6469_6666_0000, n)
}

/// The library's NAT result in the reference evaluator's terms.
fn lib_nat(n: &netfilter_model::trace::NatResult) -> RefNat {
    n.dnat
        .map(|e| (e.addr.expect("no redirect in generated rulesets"), e.port))
}

/// Runs `f` for each seed; on failure, names the seed that reproduces it.
fn for_each_seed(name: &str, f: impl Fn(u64) + std::panic::RefUnwindSafe) {
    let (base, n) = cases();
    for i in 0..n {
        let seed = base + i;
        if let Err(e) = std::panic::catch_unwind(|| f(seed)) {
            let msg = e
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            panic!("{name}: case failed: {msg}\nreproduce with: NFDIFF_TRACE_SEED={seed} cargo test -p netfilter-model --test all {name}");
        }
    }
}

/// What the random cases covered, so a generator change that stops exercising something fails.
#[derive(Default, Debug)]
struct Coverage {
    traces: usize,
    drops: usize,
    accepts: usize,
    order_dependent: usize,
    order_alternatives: usize,
    nat: usize,
    marks: usize,
    gotos: usize,
    returns: usize,
}

#[test]
fn random_rulesets_agree_with_reference_evaluator() {
    let cov = std::sync::Mutex::new(Coverage::default());
    for_each_seed("random_rulesets_agree_with_reference_evaluator", |seed| {
        let mut rng = Rng(seed);
        let rs = gen_ruleset(
            &mut rng,
            &GenOpts {
                maybe: false,
                cycles: false,
            },
        );
        let idx = TraceIndex::new(&rs);
        for _ in 0..4 {
            let pkt = gen_packet(&mut rng);
            let ctx = format!("seed {seed}\npacket {pkt:?}\nruleset {rs:#?}");
            let rep = idx.trace(&pkt, &TraceOptions::default()).unwrap();
            assert_eq!(
                rep,
                idx.trace(&pkt, &TraceOptions::default()).unwrap(),
                "not deterministic\n{ctx}"
            );
            {
                use netfilter_model::trace::StepEvent as E;
                let mut c = cov.lock().unwrap();
                c.traces += 1;
                match rep.verdict {
                    FinalVerdict::Drop => c.drops += 1,
                    FinalVerdict::Accept => c.accepts += 1,
                }
                c.order_dependent += usize::from(rep.order_dependent);
                c.order_alternatives +=
                    usize::from(rep.alternatives.iter().any(|a| !a.order.is_empty()));
                c.nat += usize::from(rep.steps.iter().any(|s| s.event == E::Nat));
                c.marks += usize::from(rep.steps.iter().any(|s| s.event == E::Mark));
                c.gotos += usize::from(rep.steps.iter().any(|s| s.event == E::Goto));
                c.returns += usize::from(rep.steps.iter().any(|s| s.event == E::Return));
            }
            assert!(!rep.uncertain, "{rep:#?}\n{ctx}");
            let reference = Ref { rs: &rs, pkt: &pkt };
            let groups = reference.groups();
            let (v, d, n) = reference.eval(&groups);
            assert_eq!(lib_nat(&rep.nat), n, "nat\n{rep:#?}\n{ctx}");
            assert_eq!(rep.verdict, v, "verdict\n{rep:#?}\n{ctx}");
            assert_eq!(
                rep.decided_by.as_ref().map(key_of),
                d,
                "decided_by\n{rep:#?}\n{ctx}"
            );
            let Some(combos) = all_orders(&groups) else {
                continue;
            };
            let outcomes: Vec<(FinalVerdict, Option<Key>, RefNat)> =
                combos.iter().map(|c| reference.eval(c)).collect();
            // NAT results count: another endpoint is another outcome (issue 21, item 12).
            let dependent = outcomes.iter().any(|o| o.0 != v || o.2 != n);
            // Groups larger than MAX_FULL_PERMUTATION get a documented subset of orders:
            // then what the tracer reports must be reachable, but it may miss some.
            let exhaustive = groups.iter().all(|(_, g)| g.len() <= MAX_FULL_PERMUTATION);
            if exhaustive {
                assert_eq!(
                    rep.order_dependent, dependent,
                    "order_dependent\n{rep:#?}\n{ctx}"
                );
            } else {
                assert!(
                    !rep.order_dependent || dependent,
                    "order_dependent\n{rep:#?}\n{ctx}"
                );
            }
            let all: BTreeSet<(FinalVerdict, Option<Key>, RefNat)> =
                outcomes.iter().cloned().collect();
            for a in &rep.alternatives {
                let k = (
                    a.verdict,
                    a.decided_by.as_ref().map(key_of),
                    lib_nat(&a.nat),
                );
                assert!(all.contains(&k), "alternative {k:?} not reachable\n{ctx}");
            }
            let ref_drops: BTreeSet<Option<Key>> = all
                .iter()
                .filter(|o| o.0 == FinalVerdict::Drop)
                .map(|o| o.1.clone())
                .collect();
            let mut lib_drops: BTreeSet<Option<Key>> = rep
                .alternatives
                .iter()
                .filter(|a| a.verdict == FinalVerdict::Drop)
                .map(|a| a.decided_by.as_ref().map(key_of))
                .collect();
            if rep.verdict == FinalVerdict::Drop {
                lib_drops.insert(rep.decided_by.as_ref().map(key_of));
            }
            if exhaustive {
                assert_eq!(
                    lib_drops, ref_drops,
                    "dropping rules under some order\n{rep:#?}\n{ctx}"
                );
            } else {
                assert!(
                    lib_drops.is_subset(&ref_drops),
                    "dropping rules\n{rep:#?}\n{ctx}"
                );
            }
        }
    });
    let c = cov.into_inner().unwrap();
    eprintln!("coverage: {c:?}");
    if cases().1 >= 200 {
        assert!(c.traces >= 800, "{c:?}");
        for (what, n) in [
            ("drops", c.drops),
            ("accepts", c.accepts),
            ("order-dependent verdicts", c.order_dependent),
            ("order alternatives", c.order_alternatives),
            ("nat", c.nat),
            ("marks", c.marks),
            ("gotos", c.gotos),
            ("returns", c.returns),
        ] {
            assert!(n >= 5, "too few random cases with {what}: {c:?}");
        }
    }
}

#[test]
fn interface_classes_are_treated_alike() {
    for_each_seed("interface_classes_are_treated_alike", |seed| {
        let mut rng = Rng(seed ^ 0x5555);
        let rs = gen_ruleset(
            &mut rng,
            &GenOpts {
                maybe: false,
                cycles: false,
            },
        );
        let idx = TraceIndex::new(&rs);
        let mut pkt = gen_packet(&mut rng);
        if pkt.path == TracePath::Output {
            pkt.path = TracePath::Forward;
        }
        let prefix = rng.pick(&["cali", "", "cali1"]).to_string();
        let classes = iface_classes(&idx, &IfacePattern::Prefix(prefix.clone()));
        let verdict_of = |name: &str| {
            let mut p = pkt.clone();
            p.iif = Some(name.to_string());
            let r = Ref { rs: &rs, pkt: &p };
            r.eval(&r.groups())
        };
        // Every name of a class is treated like the class's witness.
        for probe in [
            "cali1", "cali12", "cali123", "cali7", "calix9", "eth0", "eth01", "wg0", "cali1x", "x",
        ] {
            if !probe.starts_with(&prefix) {
                continue;
            }
            // The class of the probe: its exact name, else the longest listed prefix.
            let class = classes
                .iter()
                .find(|c| c.prefix.is_none() && c.example == probe)
                .or_else(|| {
                    classes
                        .iter()
                        .filter(|c| c.prefix.as_deref().is_some_and(|q| probe.starts_with(q)))
                        .max_by_key(|c| c.prefix.as_ref().map_or(0, String::len))
                })
                .unwrap_or_else(|| panic!("no class for {probe}: {classes:?}"));
            assert!(
                !class.excluded.iter().any(|x| x.matches(probe)),
                "{probe} in {class:?}"
            );
            assert_eq!(
                verdict_of(probe),
                verdict_of(&class.example),
                "{probe} vs witness {} of {}\nseed {seed}",
                class.example,
                class.description
            );
        }
        for c in &classes {
            assert!(c.example.starts_with(&prefix) && c.example.len() <= 15);
        }
    });
}

#[test]
fn undecidable_matches_and_cycles_never_panic() {
    for_each_seed("undecidable_matches_and_cycles_never_panic", |seed| {
        let mut rng = Rng(seed ^ 0xaaaa);
        let rs = gen_ruleset(
            &mut rng,
            &GenOpts {
                maybe: true,
                cycles: true,
            },
        );
        let idx = TraceIndex::new(&rs);
        for _ in 0..3 {
            let mut pkt = gen_packet(&mut rng);
            if rng.chance(30) {
                pkt.proto = None;
                pkt.dport = None;
            }
            let a = idx.trace(&pkt, &TraceOptions::default());
            let b = idx.trace(&pkt, &TraceOptions::default());
            assert_eq!(a, b, "not deterministic, seed {seed}");
            match a {
                Ok(rep) => {
                    if rep.uncertain {
                        assert!(
                            !rep.alternatives.is_empty()
                                || rep.notes.iter().any(|n| n.contains("courses")),
                            "uncertain without alternatives, seed {seed}"
                        );
                    }
                    for s in &rep.steps {
                        assert!(s.index.is_none_or(|i| i >= 1));
                    }
                }
                Err(TraceError::JumpCycle { path }) => assert!(path.len() >= 2),
                Err(e) => panic!("unexpected error {e}, seed {seed}"),
            }
        }
    });
}
