//! Removes N kube-proxy-like service cubes (destination /32, protocol, destination port) one
//! by one from a region, as the engine's walk does down a long dispatch chain, in
//! biodivine-lib-bdd or oxidd over the engine's 470-variable layout; prints the time and the
//! size of the final region (the same in both).

use std::time::Instant;

use oxidd::{BooleanFunction, Function, Manager, ManagerRef};

/// Variables of the engine's universe and where the fields used here start.
const VARS: u32 = 470;
const DST4: u32 = 41;
const PROTO: u32 = 329;
const DPORT: u32 = 353;

/// N services: consecutive cluster IPs from 10.96.0.0, TCP (1 in 16 UDP), pseudo-random ports.
fn services(n: usize) -> Vec<(u32, u8, u16)> {
    let mut x: u64 = 12345;
    (0..n)
        .map(|i| {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let proto = if x >> 60 == 0 { 17 } else { 6 };
            (0x0a60_0000 + i as u32, proto, (x >> 20) as u16)
        })
        .collect()
}

fn bits(at: u32, width: u32, v: u64) -> Vec<(u32, bool)> {
    (0..width)
        .map(|i| (at + i, (v >> (width - 1 - i)) & 1 == 1))
        .collect()
}

fn literals(s: &(u32, u8, u16)) -> Vec<(u32, bool)> {
    let mut l = bits(DST4, 32, u64::from(s.0));
    l.extend(bits(PROTO, 8, u64::from(s.1)));
    l.extend(bits(DPORT, 16, u64::from(s.2)));
    l
}

fn biodivine(n: usize) -> (usize, usize) {
    use biodivine_lib_bdd::{BddPartialValuation, BddVariable, BddVariableSet};
    let vs = BddVariableSet::new_anonymous(VARS as u16);
    let vars = vs.variables();
    let mut region = vs.mk_literal(vars[0], false);
    let mut hits = 0;
    for s in services(n) {
        let lits: Vec<(BddVariable, bool)> = literals(&s)
            .into_iter()
            .map(|(v, b)| (vars[v as usize], b))
            .collect();
        let p = vs.mk_conjunctive_clause(&BddPartialValuation::from_values(&lits));
        if !region.and(&p).is_false() {
            hits += 1;
        }
        region = region.and_not(&p);
    }
    (hits, region.size() - 2)
}

fn oxidd_shared(n: usize) -> (usize, usize) {
    use oxidd::bdd::BDDFunction;
    let mref = oxidd::bdd::new_manager(1 << 24, 1 << 20, 1);
    let (pos, neg, t) = mref.with_manager_exclusive(|m| {
        m.add_vars(VARS);
        let pos: Vec<BDDFunction> = (0..VARS).map(|v| BDDFunction::var(m, v).unwrap()).collect();
        let neg: Vec<BDDFunction> = (0..VARS)
            .map(|v| BDDFunction::not_var(m, v).unwrap())
            .collect();
        (pos, neg, BDDFunction::t(m))
    });
    let mut region = neg[0].clone();
    let mut hits = 0;
    for s in services(n) {
        let p = literals(&s)
            .into_iter()
            .rev()
            .fold(t.clone(), |acc, (v, b)| {
                let lit = if b {
                    &pos[v as usize]
                } else {
                    &neg[v as usize]
                };
                lit.and(&acc).unwrap()
            });
        if region.and(&p).unwrap().satisfiable() {
            hits += 1;
        }
        region = p.imp_strict(&region).unwrap();
    }
    (hits, region.node_count() - 2)
}

fn main() {
    let usage = "usage: bdd-compare N biodivine|oxidd";
    let args: Vec<String> = std::env::args().skip(1).collect();
    let n: usize = args.first().and_then(|a| a.parse().ok()).expect(usage);
    let t0 = Instant::now();
    let (hits, nodes) = match args.get(1).map(String::as_str) {
        Some("biodivine") => biodivine(n),
        Some("oxidd") => oxidd_shared(n),
        _ => panic!("{usage}"),
    };
    println!(
        "{} services={n} matched={hits} final_nodes={nodes} time_s={:.3}",
        args[1],
        t0.elapsed().as_secs_f64()
    );
}
