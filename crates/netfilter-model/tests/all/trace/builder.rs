//! Test-only builder of model rulesets: tables, base and user chains, rules.
//!
//! Also included by the CLI crate's renderer tests (`#[path]`), so it uses only public API.
#![allow(dead_code)]

use netfilter_model::model::{
    iptables_builtin, AddrSpec, Backend, BaseChain, Chain, ChainType, CtStateSet, Direction,
    Family, Hook, IfacePattern, Match, MatchKind, NamedSet, NatKind, Origin, Policy, PortRange,
    Protocol, Rule, Ruleset, SetKey, Statement, Table, Verdict, VerdictMap,
};

/// A rule under construction.
#[derive(Default, Clone)]
pub struct R(pub Rule);

/// Starts a rule.
pub fn r() -> R {
    R::default()
}

fn iface(s: &str) -> IfacePattern {
    IfacePattern::from_iptables(s)
}

impl R {
    fn m(mut self, negated: bool, kind: MatchKind) -> R {
        self.0.matches.push(Match::with_negation(kind, negated));
        self
    }
    /// `-i NAME` (`cali+` is a prefix).
    pub fn iif(self, n: &str) -> R {
        self.m(
            false,
            MatchKind::Interface {
                dir: Direction::Src,
                names: vec![iface(n)],
            },
        )
    }
    /// `! -i NAME`.
    pub fn not_iif(self, n: &str) -> R {
        self.m(
            true,
            MatchKind::Interface {
                dir: Direction::Src,
                names: vec![iface(n)],
            },
        )
    }
    /// `-o NAME`.
    pub fn oif(self, n: &str) -> R {
        self.m(
            false,
            MatchKind::Interface {
                dir: Direction::Dst,
                names: vec![iface(n)],
            },
        )
    }
    /// `-s NET`.
    pub fn src(self, n: &str) -> R {
        self.m(
            false,
            MatchKind::Address {
                dir: Direction::Src,
                addrs: vec![AddrSpec::net(n.parse().unwrap())],
            },
        )
    }
    /// `! -s NET`.
    pub fn not_src(self, n: &str) -> R {
        self.m(
            true,
            MatchKind::Address {
                dir: Direction::Src,
                addrs: vec![AddrSpec::net(n.parse().unwrap())],
            },
        )
    }
    /// `-d NET`.
    pub fn dst(self, n: &str) -> R {
        self.m(
            false,
            MatchKind::Address {
                dir: Direction::Dst,
                addrs: vec![AddrSpec::net(n.parse().unwrap())],
            },
        )
    }
    /// `! -d NET`.
    pub fn not_dst(self, n: &str) -> R {
        self.m(
            true,
            MatchKind::Address {
                dir: Direction::Dst,
                addrs: vec![AddrSpec::net(n.parse().unwrap())],
            },
        )
    }
    /// `-p PROTO`.
    pub fn proto(self, p: &str) -> R {
        self.m(
            false,
            MatchKind::Protocol {
                protos: vec![Protocol::parse(p).unwrap()],
            },
        )
    }
    /// `-p PROTO --dport N` (or a multiport list).
    pub fn dports(self, p: &str, ports: &[u16]) -> R {
        let proto = Protocol::parse(p).unwrap();
        self.m(
            false,
            MatchKind::Port {
                dir: Direction::Dst,
                proto: Some(proto),
                ports: ports.iter().map(|&x| PortRange::single(x)).collect(),
            },
        )
    }
    /// `-p PROTO ! --dport N`.
    pub fn not_dport(self, p: &str, port: u16) -> R {
        let proto = Protocol::parse(p).unwrap();
        self.m(
            true,
            MatchKind::Port {
                dir: Direction::Dst,
                proto: Some(proto),
                ports: vec![PortRange::single(port)],
            },
        )
    }
    /// `-m conntrack --ctstate LIST`.
    pub fn ct(self, states: &str) -> R {
        self.m(
            false,
            MatchKind::CtState {
                states: CtStateSet::parse_list(states).unwrap(),
            },
        )
    }
    /// `-m mark --mark V/M`.
    pub fn mark(self, value: u32, mask: u32) -> R {
        self.m(
            false,
            MatchKind::Mark {
                value: value & mask,
                mask,
            },
        )
    }
    /// `-m mark ! --mark V/M`.
    pub fn not_mark(self, value: u32, mask: u32) -> R {
        self.m(
            true,
            MatchKind::Mark {
                value: value & mask,
                mask,
            },
        )
    }
    /// `-m set --match-set NAME dst` / nft `ip daddr @NAME`.
    pub fn set(self, name: &str, keys: Vec<SetKey>) -> R {
        self.m(
            false,
            MatchKind::SetLookup {
                set: name.into(),
                keys,
            },
        )
    }
    /// `-m statistic --mode random --probability P`.
    pub fn random(self, p: &str) -> R {
        self.m(
            false,
            MatchKind::Statistic {
                mode: netfilter_model::model::StatisticMode::Random,
                probability: Some(p.into()),
                every: None,
                packet: None,
            },
        )
    }
    /// `-m addrtype --dst-type T`.
    pub fn dst_type(self, t: &str) -> R {
        self.m(
            false,
            MatchKind::AddrType {
                dir: Direction::Dst,
                types: vec![t.into()],
                limit_iface: None,
            },
        )
    }
    /// Any other match, verbatim.
    pub fn other(self, module: &str, args: &str) -> R {
        self.m(
            false,
            MatchKind::Other {
                module: module.into(),
                args: args.into(),
                lossy: false,
            },
        )
    }
    /// `-m comment --comment C`.
    pub fn comment(mut self, c: &str) -> R {
        self.0.comment = Some(c.into());
        self
    }
    /// `-j MARK --set-xmark V/M`.
    pub fn set_xmark(mut self, value: u32, mask: u32) -> R {
        self.0.statements.push(Statement::SetMark {
            and: !mask,
            xor: value,
        });
        self
    }
    /// `-j DNAT --to-destination A`.
    pub fn dnat(mut self, to: &str) -> R {
        self.0.statements.push(Statement::Nat {
            kind: NatKind::Dnat,
            addr: Some(to.into()),
            port: None,
            flags: vec![],
        });
        self
    }
    /// `-j NOTRACK` / `-j CT --notrack`.
    pub fn notrack(mut self) -> R {
        self.0.statements.push(Statement::Notrack);
        self
    }
    /// `-j MASQUERADE`.
    pub fn masquerade(mut self) -> R {
        self.0.statements.push(Statement::Nat {
            kind: NatKind::Masquerade,
            addr: None,
            port: None,
            flags: vec![],
        });
        self
    }
    /// Ends with a verdict.
    pub fn v(mut self, v: Verdict) -> Rule {
        self.0.verdict = Some(v);
        self.done()
    }
    /// `-j ACCEPT`.
    pub fn accept(self) -> Rule {
        self.v(Verdict::Accept)
    }
    /// `-j DROP`.
    pub fn drop(self) -> Rule {
        self.v(Verdict::Drop)
    }
    /// `-j RETURN`.
    pub fn ret(self) -> Rule {
        self.v(Verdict::Return)
    }
    /// `-j CHAIN`.
    pub fn jump(self, c: &str) -> Rule {
        self.v(Verdict::Jump(c.into()))
    }
    /// `-g CHAIN`.
    pub fn goto(self, c: &str) -> Rule {
        self.v(Verdict::Goto(c.into()))
    }
    /// An nft verdict map.
    pub fn vmap(self, text: &str) -> Rule {
        self.v(Verdict::Vmap(VerdictMap::parse(text)))
    }
    /// No verdict.
    pub fn done(mut self) -> Rule {
        self.0.origin = Origin::default();
        self.0.normalize();
        self.0
    }
}

/// A user chain.
pub fn user(name: &str, rules: Vec<Rule>) -> Chain {
    let mut c = Chain::new(name, None);
    c.rules = rules;
    c
}

/// A base chain.
pub fn base(
    name: &str,
    ty: ChainType,
    hook: Hook,
    priority: i32,
    policy: Policy,
    rules: Vec<Rule>,
) -> Chain {
    let mut c = Chain::new(
        name,
        Some(BaseChain {
            chain_type: ty,
            hook,
            priority,
            policy,
            devices: vec![],
        }),
    );
    c.rules = rules;
    c
}

/// An iptables built-in chain (`FORWARD` of `filter`, `PREROUTING` of `nat`, ...).
pub fn builtin(table: &str, name: &str, policy: Policy, rules: Vec<Rule>) -> Chain {
    let (hook, prio, ty) = iptables_builtin(table, name).expect("built-in chain");
    base(name, ty, hook, prio, policy, rules)
}

/// A table.
pub fn table(backend: Backend, family: Family, name: &str, chains: Vec<Chain>) -> Table {
    let mut t = Table::new(backend, family, name);
    t.chains = chains;
    t
}

/// A named set or map.
pub fn named_set(
    name: &str,
    key_type: &str,
    data_type: Option<&str>,
    elements: &[&str],
) -> NamedSet {
    NamedSet {
        name: name.into(),
        key_type: key_type.into(),
        data_type: data_type.map(Into::into),
        flags: vec![],
        elements: elements.iter().map(|s| s.to_string()).collect(),
        extra: vec![],
        comment: None,
        origin: Origin::default(),
    }
}

/// A ruleset of these tables.
pub fn ruleset(tables: Vec<Table>) -> Ruleset {
    Ruleset {
        tables,
        warnings: vec![],
    }
}
