//! The named scenarios of the tracer tests: the incident, its mirror image, the fixed node,
//! native nft with vmap dispatch beside stale legacy rules, and kube-proxy DNAT.
//!
//! Also included by the CLI crate's renderer tests (`#[path]`), so it uses only public API.
#![allow(dead_code)]

use netfilter_model::model::{Backend, ChainType, Family, Hook, Policy, Protocol, Ruleset, Table};
use netfilter_model::trace::{Packet, TracePath};

use super::builder::*;

/// The workload endpoint that existed before the rollout.
pub const OLD_POD: &str = "cali1a2b3c4d5e6";
/// The new pod's interface, missing from the stale rules.
pub const NEW_POD: &str = "cali9f8e7d6c5b4";

/// A Calico-shaped `filter` table whose dispatch chains know these endpoints.
pub fn calico_filter(backend: Backend, endpoints: &[&str]) -> Table {
    let mut dispatch = Vec::new();
    let mut chains = Vec::new();
    for ep in endpoints {
        let fw = format!("cali-fw-{ep}");
        dispatch.push(r().iif(ep).comment("cali:dispatch").goto(&fw));
        chains.push(user(
            &fw,
            vec![
                r().ct("RELATED,ESTABLISHED").accept(),
                r().ct("INVALID").drop(),
                r().set_xmark(0x0, 0x10000).done(),
                r().proto("udp")
                    .dports("udp", &[67])
                    .comment("Drop DHCP requests")
                    .drop(),
                r().set_xmark(0x10000, 0x10000)
                    .comment("Profile kns.default")
                    .done(),
                r().mark(0x10000, 0x10000).ret(),
                r().comment("Drop if no profiles matched").drop(),
            ],
        ));
    }
    dispatch.push(r().comment("Unknown interface").drop());
    let mut all = vec![
        builtin("filter", "INPUT", Policy::Accept, vec![]),
        builtin(
            "filter",
            "FORWARD",
            Policy::Accept,
            vec![r().comment("cali:wUHhoiAYhphO9Mso").jump("cali-FORWARD")],
        ),
        builtin("filter", "OUTPUT", Policy::Accept, vec![]),
        user(
            "cali-FORWARD",
            vec![
                r().set_xmark(0x0, 0xe0000)
                    .comment("cali:vjrMJCRpqwy5oRoX")
                    .done(),
                r().iif("cali+").jump("cali-from-wl-dispatch"),
                r().oif("cali+").jump("cali-to-wl-dispatch"),
                r().mark(0x10000, 0x10000)
                    .comment("Policy explicitly accepted packet.")
                    .accept(),
            ],
        ),
        user("cali-from-wl-dispatch", dispatch),
        user(
            "cali-to-wl-dispatch",
            vec![r().comment("Unknown interface").drop()],
        ),
    ];
    all.extend(chains);
    table(backend, Family::Ip, "filter", all)
}

/// Calico's `nat` table: masquerade pod traffic leaving the pod network.
pub fn calico_nat(backend: Backend) -> Table {
    table(
        backend,
        Family::Ip,
        "nat",
        vec![
            builtin("nat", "PREROUTING", Policy::Accept, vec![]),
            builtin(
                "nat",
                "POSTROUTING",
                Policy::Accept,
                vec![r().jump("cali-nat-outgoing")],
            ),
            user(
                "cali-nat-outgoing",
                vec![r()
                    .src("10.65.0.0/16")
                    .not_dst("10.65.0.0/16")
                    .comment("cali:flqWnvo8yq4ULQLa")
                    .masquerade()
                    .done()],
            ),
        ],
    )
}

/// A DNS query from the new pod to an outside resolver.
pub fn pod_packet() -> Packet {
    let mut p = Packet::new("10.65.0.7".parse().unwrap(), "8.8.8.8".parse().unwrap());
    p.iif = Some(NEW_POD.into());
    p.oif = Some("eth0".into());
    p.proto = Some(Protocol::UDP);
    p.sport = Some(40000);
    p.dport = Some(53);
    p
}

/// The incident: legacy holds the current rules, nf_tables a stale subset.
pub fn incident() -> Ruleset {
    ruleset(vec![
        calico_filter(Backend::Legacy, &[OLD_POD, NEW_POD]),
        calico_nat(Backend::Legacy),
        calico_filter(Backend::Nft, &[OLD_POD]),
        calico_nat(Backend::Nft),
    ])
}

/// The mirror image: nf_tables current, legacy stale.
pub fn mirror() -> Ruleset {
    ruleset(vec![
        calico_filter(Backend::Legacy, &[OLD_POD]),
        calico_filter(Backend::Nft, &[OLD_POD, NEW_POD]),
        calico_nat(Backend::Nft),
    ])
}

/// The fixed node: only nf_tables, with current rules.
pub fn fixed() -> Ruleset {
    ruleset(vec![
        calico_filter(Backend::Nft, &[OLD_POD, NEW_POD]),
        calico_nat(Backend::Nft),
    ])
}

/// Calico's native nftables dataplane (vmap dispatch from a named map) beside stale legacy
/// rules that do not know the new pod.
pub fn native_vmap() -> Ruleset {
    let fw = |ep: &str| {
        user(
            &format!("filter-cali-fw-{ep}"),
            vec![
                r().ct("ESTABLISHED,RELATED").accept(),
                r().ct("INVALID").drop(),
                r().proto("udp")
                    .dports("udp", &[53])
                    .comment("Allow DNS")
                    .accept(),
                r().comment("Drop if no policies passed packet").drop(),
            ],
        )
    };
    let mut calico = table(
        Backend::Nft,
        Family::Ip,
        "calico",
        vec![
            base(
                "filter-FORWARD",
                ChainType::Filter,
                Hook::Forward,
                0,
                Policy::Accept,
                vec![r().iif("cali+").jump("filter-cali-from-wl-dispatch")],
            ),
            user(
                "filter-cali-from-wl-dispatch",
                vec![
                    r().comment("cali:Lui9n9_J-BlSLUtk;")
                        .vmap("iifname vmap @filter-cali-from-wl-dispatch"),
                    r().comment("Unknown interface").drop(),
                ],
            ),
            fw(OLD_POD),
            fw(NEW_POD),
        ],
    );
    calico.sets.push(named_set(
        "filter-cali-from-wl-dispatch",
        "ifname",
        Some("verdict"),
        &[
            &format!("\"{OLD_POD}\" : goto filter-cali-fw-{OLD_POD}"),
            &format!("\"{NEW_POD}\" : goto filter-cali-fw-{NEW_POD}"),
        ],
    ));
    ruleset(vec![calico_filter(Backend::Legacy, &[OLD_POD]), calico])
}

/// kube-proxy (iptables mode, legacy): a ClusterIP service with two endpoints chosen by
/// `statistic`, DNAT in prerouting, and a filter FORWARD that only lets node-local pods in.
pub fn kube_proxy() -> Ruleset {
    let nat = table(
        Backend::Legacy,
        Family::Ip,
        "nat",
        vec![
            builtin(
                "nat",
                "PREROUTING",
                Policy::Accept,
                vec![r()
                    .comment("kubernetes service portals")
                    .jump("KUBE-SERVICES")],
            ),
            builtin(
                "nat",
                "POSTROUTING",
                Policy::Accept,
                vec![r()
                    .comment("kubernetes postrouting rules")
                    .jump("KUBE-POSTROUTING")],
            ),
            user(
                "KUBE-SERVICES",
                vec![
                    r().dst("10.96.0.10/32")
                        .dports("udp", &[53])
                        .comment("kube-system/kube-dns:dns cluster IP")
                        .jump("KUBE-SVC-TCOU7JCQXEZGVUNU"),
                    r().dst_type("LOCAL")
                        .comment("kubernetes service nodeports")
                        .jump("KUBE-NODEPORTS"),
                ],
            ),
            user("KUBE-NODEPORTS", vec![]),
            user(
                "KUBE-SVC-TCOU7JCQXEZGVUNU",
                vec![
                    r().random("0.50000000000")
                        .comment("kube-system/kube-dns:dns -> 10.244.1.5:53")
                        .jump("KUBE-SEP-A"),
                    r().comment("kube-system/kube-dns:dns -> 10.244.2.7:53")
                        .jump("KUBE-SEP-B"),
                ],
            ),
            user(
                "KUBE-SEP-A",
                vec![
                    r().src("10.244.1.5/32").jump("KUBE-MARK-MASQ"),
                    r().proto("udp").dnat("10.244.1.5:53").done(),
                ],
            ),
            user(
                "KUBE-SEP-B",
                vec![
                    r().src("10.244.2.7/32").jump("KUBE-MARK-MASQ"),
                    r().proto("udp").dnat("10.244.2.7:53").done(),
                ],
            ),
            user("KUBE-MARK-MASQ", vec![r().set_xmark(0x4000, 0x4000).done()]),
            user(
                "KUBE-POSTROUTING",
                vec![
                    r().not_mark(0x4000, 0x4000).ret(),
                    r().set_xmark(0x0, 0x4000).done(),
                    r().comment("kubernetes service traffic requiring SNAT")
                        .masquerade()
                        .done(),
                ],
            ),
        ],
    );
    let filter = table(
        Backend::Legacy,
        Family::Ip,
        "filter",
        vec![
            builtin("filter", "INPUT", Policy::Accept, vec![]),
            builtin(
                "filter",
                "FORWARD",
                Policy::Drop,
                vec![
                    r().ct("RELATED,ESTABLISHED").accept(),
                    r().dst("10.244.1.0/24")
                        .comment("pods on this node")
                        .accept(),
                ],
            ),
            builtin("filter", "OUTPUT", Policy::Accept, vec![]),
        ],
    );
    ruleset(vec![nat, filter])
}

/// A client outside the cluster asks the DNS service's ClusterIP.
pub fn service_packet() -> Packet {
    let mut p = Packet::new(
        "192.168.1.20".parse().unwrap(),
        "10.96.0.10".parse().unwrap(),
    );
    p.iif = Some("eth0".into());
    p.oif = Some("cni0".into());
    p.proto = Some(Protocol::UDP);
    p.sport = Some(33000);
    p.dport = Some(53);
    p.path = TracePath::Forward;
    p
}

/// Two backends at the same priority: legacy mangle marks the packet, an nft chain at the
/// same hook and priority drops marked packets. Which runs first decides.
pub fn order_dependent() -> Ruleset {
    ruleset(vec![
        table(
            Backend::Legacy,
            Family::Ip,
            "mangle",
            vec![base(
                "FORWARD",
                ChainType::Filter,
                Hook::Forward,
                -150,
                Policy::Accept,
                vec![r()
                    .iif("cali+")
                    .set_xmark(0x40000, 0x40000)
                    .comment("mark pod traffic")
                    .done()],
            )],
        ),
        table(
            Backend::Nft,
            Family::Inet,
            "guard",
            vec![base(
                "forward",
                ChainType::Filter,
                Hook::Forward,
                -150,
                Policy::Accept,
                vec![r()
                    .mark(0x40000, 0x40000)
                    .comment("no marked pod traffic")
                    .drop()],
            )],
        ),
    ])
}
