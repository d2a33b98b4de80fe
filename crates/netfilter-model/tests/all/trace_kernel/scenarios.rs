//! The named scenarios in the kernel: the incident, its mirror image, the fixed node, native
//! nft with vmap dispatch beside stale legacy rules, and kube-proxy DNAT.
//!
//! `NFDIFF_TRACE_KERNEL_WRITE=1` rewrites `testdata/trace-kernel/captures/` from this run;
//! otherwise the captures there must read as the same model as the kernel's dumps now (the CLI
//! snapshots of `nfdiff trace` are taken on them).

use netfilter_model::model::Backend;
use netfilter_model::trace::FinalVerdict;

use super::compare::{compare, packet_of, show, RuleKey};
use super::node::{combine, fixtures, testdata, Load, Node, Probe, POD1, POD2, POD3, REMOTE};

const IPSETS: &str = "\
ipset create -exist cali40all-ipam-pools hash:net family inet
ipset add -exist cali40all-ipam-pools 10.244.0.0/16
ipset create -exist cali40masq-ipam-pools hash:net family inet
ipset add -exist cali40masq-ipam-pools 10.244.0.0/16
ipset create -exist cali40all-hosts-net hash:net family inet
ipset add -exist cali40all-hosts-net 192.168.50.10
ipset create -exist cali40s:y-uVl4bAoAfdydOS8SL9Rv9 hash:ip family inet
";

fn read(rel: &str) -> String {
    let p = testdata().join(rel);
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// What a probe must come to, besides agreeing with the kernel.
struct Expect {
    verdict: FinalVerdict,
    /// backend, table, chain, index (`None`: policy) of the deciding rule.
    decided_by: Option<(Backend, &'static str, &'static str, Option<usize>)>,
}

fn drop_at(b: Backend, table: &'static str, chain: &'static str, i: usize) -> Expect {
    Expect {
        verdict: FinalVerdict::Drop,
        decided_by: Some((b, table, chain, Some(i))),
    }
}

fn accept_at(b: Backend, table: &'static str, chain: &'static str, i: usize) -> Expect {
    Expect {
        verdict: FinalVerdict::Accept,
        decided_by: Some((b, table, chain, Some(i))),
    }
}

struct Scenario {
    name: &'static str,
    load: Load,
    /// Whether both backends hold rules (then both load orders run).
    both: bool,
    /// The probes; the first one's capture is the committed one.
    probes: Vec<(Probe, Expect)>,
}

fn probe(
    proto: &'static str,
    from: super::node::Endpoint,
    to: super::node::Endpoint,
    dport: u16,
) -> Probe {
    Probe {
        proto,
        from,
        to,
        dst: to.ip.to_string(),
        sport: 0,
        dport,
    }
}

fn scenarios() -> Vec<Scenario> {
    let current = read("incident/legacy.rules");
    let stale = read("incident/nft-stale.rules");
    let native = read("trace-kernel/native-current.nft");
    let kube = read("trace-kernel/kube-proxy-dnat.rules");
    use Backend::{Legacy, Nft};
    let calico_accept = |b| accept_at(b, "filter", "FORWARD", 2);
    vec![
        Scenario {
            name: "incident",
            load: Load {
                prelude: IPSETS.into(),
                legacy: Some(current.clone()),
                iptables_nft: Some(stale.clone()),
                ..Load::default()
            },
            both: true,
            probes: vec![
                (
                    probe("udp", POD2, REMOTE, 5009),
                    drop_at(Nft, "filter", "cali-from-wl-dispatch", 3),
                ),
                (
                    probe("tcp", POD2, REMOTE, 80),
                    drop_at(Nft, "filter", "cali-from-wl-dispatch", 3),
                ),
                (
                    probe("icmp", POD2, REMOTE, 1),
                    drop_at(Nft, "filter", "cali-from-wl-dispatch", 3),
                ),
                (probe("udp", POD1, REMOTE, 5005), calico_accept(Nft)),
                (
                    probe("udp", POD3, REMOTE, 5009),
                    drop_at(Legacy, "filter", "cali-fw-cali1a2b3c4d5e6", 9),
                ),
            ],
        },
        // Both backends drop pod3's packet at equal priority: as the namespace's first
        // packet, the kernel shows which backend it ran first (the one loaded last).
        Scenario {
            name: "incident-both-drop",
            load: Load {
                prelude: IPSETS.into(),
                legacy: Some(current.clone()),
                iptables_nft: Some(stale.clone()),
                ..Load::default()
            },
            both: true,
            probes: vec![(
                probe("udp", POD3, REMOTE, 5009),
                drop_at(Legacy, "filter", "cali-fw-cali1a2b3c4d5e6", 9),
            )],
        },
        Scenario {
            name: "mirror",
            load: Load {
                prelude: IPSETS.into(),
                legacy: Some(stale.clone()),
                iptables_nft: Some(current.clone()),
                ..Load::default()
            },
            both: true,
            probes: vec![
                (
                    probe("udp", POD2, REMOTE, 5009),
                    drop_at(Legacy, "filter", "cali-from-wl-dispatch", 3),
                ),
                (
                    probe("tcp", POD2, REMOTE, 443),
                    drop_at(Legacy, "filter", "cali-from-wl-dispatch", 3),
                ),
                (probe("udp", POD1, REMOTE, 5005), calico_accept(Nft)),
            ],
        },
        Scenario {
            name: "fixed",
            load: Load {
                prelude: IPSETS.into(),
                iptables_nft: Some(current.clone()),
                ..Load::default()
            },
            both: false,
            probes: vec![
                (probe("udp", POD2, REMOTE, 5009), calico_accept(Nft)),
                (probe("tcp", POD2, REMOTE, 80), calico_accept(Nft)),
                (probe("icmp", POD2, REMOTE, 7), calico_accept(Nft)),
                (
                    probe("udp", POD3, REMOTE, 5009),
                    drop_at(Nft, "filter", "cali-fw-cali1a2b3c4d5e6", 9),
                ),
                (probe("udp", POD3, REMOTE, 53), calico_accept(Nft)),
                (probe("udp", REMOTE, POD2, 8080), calico_accept(Nft)),
            ],
        },
        Scenario {
            name: "native-vmap",
            load: Load {
                prelude: IPSETS.into(),
                legacy: Some(stale.clone()),
                nft: Some(native.clone()),
                ..Load::default()
            },
            both: true,
            probes: vec![
                (
                    probe("udp", POD2, REMOTE, 5009),
                    drop_at(Legacy, "filter", "cali-from-wl-dispatch", 3),
                ),
                (
                    probe("icmp", POD2, REMOTE, 3),
                    drop_at(Legacy, "filter", "cali-from-wl-dispatch", 3),
                ),
                (
                    probe("udp", POD1, REMOTE, 5005),
                    accept_at(Nft, "calico", "filter-FORWARD", 2),
                ),
                // Both backends drop it; the tracer names the first in listing order.
                (
                    probe("udp", POD3, REMOTE, 5009),
                    drop_at(Legacy, "filter", "cali-fw-cali1a2b3c4d5e6", 9),
                ),
            ],
        },
        Scenario {
            name: "kube-proxy-dnat",
            load: Load {
                legacy: Some(kube.clone()),
                ..Load::default()
            },
            both: false,
            probes: vec![
                (
                    Probe {
                        dst: "10.96.0.10".into(),
                        ..probe("udp", REMOTE, POD1, 53)
                    },
                    accept_at(Legacy, "filter", "KUBE-FORWARD", 2),
                ),
                (
                    Probe {
                        dst: "10.96.0.20".into(),
                        ..probe("tcp", REMOTE, POD3, 80)
                    },
                    accept_at(Legacy, "filter", "KUBE-FORWARD", 2),
                ),
                (
                    Probe {
                        dst: "10.96.0.30".into(),
                        ..probe("tcp", REMOTE, REMOTE, 80)
                    },
                    drop_at(Legacy, "filter", "KUBE-SERVICES", 1),
                ),
                (
                    probe("udp", POD2, REMOTE, 9),
                    Expect {
                        verdict: FinalVerdict::Drop,
                        decided_by: Some((Legacy, "filter", "FORWARD", None)),
                    },
                ),
            ],
        },
    ]
}

fn key_matches(k: &RuleKey, e: &(Backend, &str, &str, Option<usize>)) -> bool {
    k.0 == e.0 && k.2 == e.1 && k.3 == e.2 && k.4 == e.3
}

#[test]
fn kernel_scenarios_agree_with_the_tracer() {
    if let Err(why) = Node::start() {
        println!("kernel trace scenarios skipped: {why}");
        return;
    }
    let write = std::env::var_os("NFDIFF_TRACE_KERNEL_WRITE").is_some();
    let mut failures = Vec::new();
    let mut checked = 0;
    for sc in scenarios() {
        let orders: &[bool] = if sc.both { &[false, true] } else { &[false] };
        for &nft_first in orders {
            // A fresh namespace per load order: legacy tables stay registered once used, so
            // only the first load of a namespace decides which backend's base chains were
            // registered first (and run last at equal priority).
            let mut node = Node::start().unwrap_or_else(|e| panic!("{}: {e}", sc.name));
            let load = Load {
                nft_first,
                ..sc.load.clone()
            };
            for (pi, (p, exp)) in sc.probes.iter().enumerate() {
                let mut p = p.clone();
                p.sport = node.fresh_port();
                node.load(&load)
                    .unwrap_or_else(|e| panic!("{}: load: {e}", sc.name));
                let cap = node
                    .send(&p, true)
                    .unwrap_or_else(|e| panic!("{}: send: {e}", sc.name));
                let what = format!(
                    "{} ({} first), {} {} -> {} dport {}",
                    sc.name,
                    if nft_first { "nf_tables" } else { "legacy" },
                    p.proto,
                    p.from.ns,
                    p.dst,
                    p.dport
                );
                let pkt = packet_of(&p);
                let rs = cap.ruleset();
                checked += 1;
                let rep = match compare(&cap, &rs, &pkt) {
                    Ok(r) => r,
                    Err(e) => {
                        failures.push(format!("{what}: {e}"));
                        continue;
                    }
                };
                // The JSON dump must tell the same story.
                if let Some(rj) = cap.ruleset_json() {
                    if let Err(e) = compare(&cap, &rj, &pkt) {
                        failures.push(format!("{what} (nft JSON dump): {e}"));
                    }
                }
                let got = rep.decided_by.as_ref().map(|d| {
                    (
                        d.backend,
                        d.family,
                        d.table.clone(),
                        d.chain.clone(),
                        d.index,
                    )
                });
                let ok = rep.verdict == exp.verdict
                    && match (&got, &exp.decided_by) {
                        (Some(g), Some(e)) => key_matches(g, e),
                        (None, None) => true,
                        _ => false,
                    };
                if !ok {
                    failures.push(format!(
                        "{what}: expected {} by {:?}, the tracer says {} by {}",
                        exp.verdict,
                        exp.decided_by,
                        rep.verdict,
                        got.as_ref().map_or("nothing".into(), show)
                    ));
                }
                let kd = super::compare::kernel_outcome(&cap, &rs).dropped_by;
                if sc.name == "incident-both-drop" {
                    // The backend loaded last registered last and ran first.
                    let last = if nft_first {
                        Backend::Legacy
                    } else {
                        Backend::Nft
                    };
                    if kd.as_ref().map(|k| k.0) != Some(last) {
                        failures.push(format!(
                            "{what}: expected the {last} backend, loaded last, to drop first; the kernel's drop counter: {}",
                            kd.as_ref().map_or("none".into(), show)
                        ));
                    }
                }
                println!(
                    "{what}: kernel delivered {} (drop counter: {}), tracer {} by {}",
                    cap.delivered,
                    kd.as_ref().map_or("none".into(), show),
                    rep.verdict,
                    got.as_ref().map_or("nothing".into(), show)
                );
                if pi == 0 && !nft_first && sc.name != "incident-both-drop" {
                    keep_capture(sc.name, &cap, write, &mut failures);
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {checked} kernel scenario probes disagree:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Writes the capture (with `NFDIFF_TRACE_KERNEL_WRITE`) or checks the committed one still
/// reads as the same model.
fn keep_capture(name: &str, cap: &super::node::Capture, write: bool, failures: &mut Vec<String>) {
    let dir = fixtures().join("captures").join(name);
    if write {
        std::fs::create_dir_all(&dir).expect("create the capture directory");
        std::fs::write(dir.join("legacy.save"), &cap.legacy_save).expect("write legacy.save");
        std::fs::write(dir.join("nft.txt"), &cap.nft_text).expect("write nft.txt");
        if let Some(j) = &cap.nft_json {
            std::fs::write(dir.join("nft.json"), j).expect("write nft.json");
        }
        return;
    }
    let (Ok(l), Ok(n)) = (
        std::fs::read_to_string(dir.join("legacy.save")),
        std::fs::read_to_string(dir.join("nft.txt")),
    ) else {
        failures.push(format!(
            "{name}: no committed capture in {} (run with NFDIFF_TRACE_KERNEL_WRITE=1)",
            dir.display()
        ));
        return;
    };
    if combine(&l, &n, false) != cap.ruleset() {
        failures.push(format!(
            "{name}: the committed capture in {} no longer matches the kernel's dumps (rerun with NFDIFF_TRACE_KERNEL_WRITE=1)",
            dir.display()
        ));
    }
}
