//! Test-only builders of rulesets for the diff tests (also included by the CLI's renderer tests).
#![allow(dead_code)]

use netfilter_model::model::{
    legacy_priority, Backend, BaseChain, Chain, ChainType, CtStateSet, Direction, Family, Hook,
    IfacePattern, Match, MatchKind, NamedObject, NamedSet, Origin, Policy, Rule, Ruleset,
    Statement, Table, Verdict,
};

/// A rule under construction.
#[derive(Debug, Clone, Default)]
pub struct R(Rule);

/// Starts a rule.
pub fn r() -> R {
    R::default()
}

impl R {
    fn m(mut self, kind: MatchKind) -> R {
        self.0.matches.push(Match::new(kind));
        self
    }

    /// `iifname "name"`; a trailing `*` makes a prefix.
    pub fn iif(self, name: &str) -> R {
        self.m(MatchKind::Interface {
            dir: Direction::Src,
            names: vec![IfacePattern::from_nft(name)],
        })
    }

    /// `oifname "name"`; a trailing `*` makes a prefix.
    pub fn oif(self, name: &str) -> R {
        self.m(MatchKind::Interface {
            dir: Direction::Dst,
            names: vec![IfacePattern::from_nft(name)],
        })
    }

    /// `ct state ...` from bits.
    pub fn ct(self, bits: u8) -> R {
        self.m(MatchKind::CtState {
            states: CtStateSet(bits),
        })
    }

    /// `meta mark & mask == value`.
    pub fn mark(self, value: u32, mask: u32) -> R {
        self.m(MatchKind::Mark { value, mask })
    }

    /// A verbatim match (`lossy` as nft JSON's `xt` would set it).
    pub fn other(self, module: &str, args: &str, lossy: bool) -> R {
        self.m(MatchKind::Other {
            module: module.into(),
            args: args.into(),
            lossy,
        })
    }

    /// `meta mark set mark and AND xor XOR`.
    pub fn set_mark(mut self, and: u32, xor: u32) -> R {
        self.0.statements.push(Statement::SetMark { and, xor });
        self
    }

    fn v(mut self, v: Verdict) -> R {
        self.0.verdict = Some(v);
        self
    }

    /// `accept`.
    pub fn accept(self) -> R {
        self.v(Verdict::Accept)
    }

    /// `drop`.
    pub fn drop(self) -> R {
        self.v(Verdict::Drop)
    }

    /// `return`.
    pub fn ret(self) -> R {
        self.v(Verdict::Return)
    }

    /// `jump chain`.
    pub fn jump(self, chain: &str) -> R {
        self.v(Verdict::Jump(chain.into()))
    }

    /// `goto chain`.
    pub fn goto(self, chain: &str) -> R {
        self.v(Verdict::Goto(chain.into()))
    }

    /// `comment "text"`.
    pub fn comment(mut self, c: &str) -> R {
        self.0.comment = Some(c.into());
        self
    }

    /// Marks the rule lossy with a note (e.g. nft text dropped its comment).
    pub fn lossy(mut self, note: &str) -> R {
        self.0.lossy.push(note.into());
        self
    }

    /// Counters and a handle, which the diff must ignore.
    pub fn counted(mut self, packets: u64, handle: u64) -> R {
        self.0.counters = Some(netfilter_model::model::Counters {
            packets,
            bytes: packets * 60,
        });
        self.0.origin.handle = Some(handle);
        self
    }

    /// The normalized rule.
    pub fn build(mut self) -> Rule {
        self.0.normalize();
        self.0
    }
}

/// A base chain of an iptables-shaped filter table.
pub fn base(name: &str, hook: Hook, policy: Policy, rules: Vec<R>) -> Chain {
    let mut c = Chain::new(
        name,
        Some(BaseChain {
            chain_type: ChainType::Filter,
            hook,
            priority: legacy_priority::FILTER,
            policy,
            devices: Vec::new(),
        }),
    );
    c.rules = rules.into_iter().map(R::build).collect();
    c
}

/// A user chain.
pub fn user(name: &str, rules: Vec<R>) -> Chain {
    let mut c = Chain::new(name, None);
    c.rules = rules.into_iter().map(R::build).collect();
    c
}

/// A ruleset of one table.
pub fn one_table(backend: Backend, family: Family, name: &str, chains: Vec<Chain>) -> Ruleset {
    let mut t = Table::new(backend, family, name);
    t.chains = chains;
    Ruleset {
        tables: vec![t],
        warnings: Vec::new(),
    }
}

const EST_REL: u8 = CtStateSet::ESTABLISHED | CtStateSet::RELATED;

/// The filter table of a Calico + kube-proxy + Docker node whose workload
/// endpoints are `endpoints`, as Felix writes it (iptables-shaped names).
/// `lossy_dispatch` drops the dispatch chains' comments as nft 1.0.x text does.
pub fn calico_node(backend: Backend, endpoints: &[&str], lossy_dispatch: bool) -> Ruleset {
    let mut chains = vec![
        base(
            "INPUT",
            Hook::Input,
            Policy::Accept,
            vec![
                r().jump("cali-INPUT").comment("cali:Cz_u1IQiXIMmKD4c"),
                r().jump("KUBE-FIREWALL"),
            ],
        ),
        base(
            "FORWARD",
            Hook::Forward,
            Policy::Drop,
            vec![
                r().jump("cali-FORWARD")
                    .comment("cali:wUHhoiAYhphO9Mso")
                    .counted(1234, 7),
                r().jump("KUBE-FORWARD")
                    .comment("kubernetes forwarding rules"),
                r().jump("DOCKER-USER"),
            ],
        ),
        base(
            "OUTPUT",
            Hook::Output,
            Policy::Accept,
            vec![r().jump("cali-OUTPUT").comment("cali:tVnHkvAo15HuiPy0")],
        ),
        user(
            "cali-FORWARD",
            vec![
                r().iif("cali*")
                    .jump("cali-from-wl-dispatch")
                    .comment("cali:8ZoYfO5HKXWbB3pk"),
                r().oif("cali*")
                    .jump("cali-to-wl-dispatch")
                    .comment("cali:jdEuaPBe14V2hutn"),
                r().mark(0x10000, 0x10000)
                    .accept()
                    .comment("cali:MH9kMp5aNICL-Olv"),
            ],
        ),
        user(
            "cali-INPUT",
            vec![r()
                .iif("cali*")
                .goto("cali-wl-to-host")
                .comment("cali:FewJpBykm9iJ-YNH")],
        ),
        user(
            "cali-OUTPUT",
            vec![r()
                .mark(0x10000, 0x10000)
                .accept()
                .comment("cali:Mq1_rAdXXH3YkrzW")],
        ),
        user(
            "cali-wl-to-host",
            vec![
                r().jump("cali-from-wl-dispatch")
                    .comment("cali:Ee9Sbo10IpVujdIY"),
                r().accept()
                    .comment("Configured DefaultEndpointToHostAction"),
            ],
        ),
    ];
    for (dispatch, dir, per) in [
        ("cali-from-wl-dispatch", Direction::Src, "cali-fw-"),
        ("cali-to-wl-dispatch", Direction::Dst, "cali-tw-"),
    ] {
        let mut rules: Vec<R> = endpoints
            .iter()
            .map(|e| {
                let rr = match dir {
                    Direction::Src => r().iif(e),
                    Direction::Dst => r().oif(e),
                };
                rr.goto(&format!("{per}{e}"))
            })
            .collect();
        rules.push(if lossy_dispatch {
            r().drop().lossy("comment not shown by nft 1.0.x text")
        } else {
            r().drop().comment("Unknown interface")
        });
        chains.push(user(dispatch, rules));
    }
    for e in endpoints {
        for per in ["cali-fw-", "cali-tw-"] {
            chains.push(user(
                &format!("{per}{e}"),
                vec![
                    r().ct(EST_REL).accept().comment("cali:ct-est"),
                    r().ct(CtStateSet::INVALID).drop().comment("cali:ct-inv"),
                    r().set_mark(0xfffeffff, 0).comment("cali:clear-mark"),
                    r().jump("cali-pro-kns.default"),
                    r().mark(0x10000, 0x10000).ret(),
                    r().drop().comment("Drop if no profiles matched"),
                ],
            ));
        }
    }
    chains.push(user(
        "cali-pro-kns.default",
        vec![r().set_mark(0xfffeffff, 0x10000)],
    ));
    chains.push(user(
        "KUBE-FORWARD",
        vec![
            r().ct(CtStateSet::INVALID).drop(),
            r().mark(0x4000, 0x4000)
                .accept()
                .comment("kubernetes forwarding rules"),
            r().ct(EST_REL).accept(),
        ],
    ));
    chains.push(user(
        "KUBE-FIREWALL",
        vec![r()
            .mark(0x8000, 0x8000)
            .drop()
            .comment("kubernetes firewall for dropping marked packets")],
    ));
    chains.push(user("DOCKER-USER", vec![r().ret()]));
    one_table(backend, Family::Ip, "filter", chains)
}

/// Endpoints Felix currently manages (written to legacy after the mis-detection).
pub const CURRENT_ENDPOINTS: &[&str] = &["caliA1", "caliA2", "caliB1", "caliNEW1234"];

/// The stale subset left in nf_tables.
pub const STALE_ENDPOINTS: &[&str] = &["caliA1", "caliA2", "caliB1"];

/// The incident: OLD is legacy with the current endpoints, NEW is nf_tables with
/// a stale subset (its dispatch chains read through lossy nft text).
pub fn calico_incident() -> (Ruleset, Ruleset) {
    (
        calico_node(Backend::Legacy, CURRENT_ENDPOINTS, false),
        calico_node(Backend::Nft, STALE_ENDPOINTS, true),
    )
}

/// An nf_tables inet table with sets, a map and objects.
pub fn nft_sets(elements: &[&str], quota: &str, extra_iface: Option<&str>) -> Ruleset {
    let mut rs = one_table(
        Backend::Nft,
        Family::Inet,
        "fw",
        vec![user(
            "input",
            vec![r().other("ip saddr", "@allowed", false).accept()],
        )],
    );
    let t = &mut rs.tables[0];
    t.sets.push(NamedSet {
        name: "allowed".into(),
        key_type: "ipv4_addr".into(),
        data_type: None,
        flags: vec!["interval".into()],
        elements: elements.iter().map(|s| s.to_string()).collect(),
        extra: Vec::new(),
        comment: None,
        origin: Origin::default(),
    });
    let mut ifaces = vec!["\"eth0\" : accept".to_string()];
    if let Some(i) = extra_iface {
        ifaces.push(format!("\"{i}\" : goto cali-fw-{i}"));
    }
    t.sets.push(NamedSet {
        name: "dispatch".into(),
        key_type: "ifname".into(),
        data_type: Some("verdict".into()),
        flags: Vec::new(),
        elements: ifaces,
        extra: Vec::new(),
        comment: None,
        origin: Origin::default(),
    });
    t.objects.push(NamedObject {
        kind: "quota".into(),
        name: "q".into(),
        body: quota.into(),
        origin: Origin::default(),
    });
    rs
}
