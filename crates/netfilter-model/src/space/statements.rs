//! Statements on the matched packets: marks and connection marks (full arithmetic),
//! NAT to a constant (later hooks see the new address and port), notrack; effects the
//! engine does not model mark the packets' fate as not claimable.

use std::net::IpAddr;

use biodivine_lib_bdd::Bdd;

use crate::model::{NatKind, Rule, Statement, Verdict};
use crate::trace::{reads_conntrack, xt_effect, ChainId, XtEffect};

use super::bitvec::constant;
use super::compile::{addr_value, MatchCtx};
use super::engine::{Engine, HookCtx};
use super::exec::Exec;
use super::state::SymState;

/// What a rule's statements did to its matched packets.
pub(crate) struct Effects {
    /// Packets for which a ct expression without a conntrack entry ended the rule.
    pub(crate) broke: Bdd,
    /// Packets a NAT statement mapped (the chain ends for them with an accept).
    pub(crate) nat_done: Bdd,
    /// Packets that go on to the rule's verdict.
    pub(crate) rest: Bdd,
    /// A verdict an xt target gives instead of the rule's.
    pub(crate) verdict: Option<Verdict>,
}

/// `(old & and) ^ xor`, bit by bit.
fn and_xor(old: &[Bdd], and: u32, xor: u32) -> Vec<Bdd> {
    old.iter()
        .enumerate()
        .map(|(i, b)| {
            let bit = 31 - i;
            let keep = (and >> bit) & 1 == 1;
            let flip = (xor >> bit) & 1 == 1;
            match (keep, flip) {
                (true, false) => b.clone(),
                (true, true) => b.not(),
                (false, f) => {
                    if f {
                        b.or(&b.not())
                    } else {
                        b.and(&b.not())
                    }
                }
            }
        })
        .collect()
}

/// `(a & !amask) | (b & bmask)`, bit by bit.
fn merge_bits(a: &[Bdd], amask_clear: u32, b: &[Bdd], bmask: u32) -> Vec<Bdd> {
    a.iter()
        .zip(b)
        .enumerate()
        .map(|(i, (x, y))| {
            let bit = 31 - i;
            let keep_a = (amask_clear >> bit) & 1 == 0;
            let take_b = (bmask >> bit) & 1 == 1;
            let xa = if keep_a { x.clone() } else { x.and(&x.not()) };
            if take_b {
                xa.or(y)
            } else {
                xa
            }
        })
        .collect()
}

/// The first address and port of a NAT target (`10.0.0.1`, `10.0.0.1-10.0.0.9`,
/// `[fd00::1]:80`, `10.0.0.1:8080`), and whether it is a single address.
fn nat_target(addr: Option<&str>, port: Option<&str>) -> (Option<IpAddr>, Option<u16>, bool) {
    let first_port = |s: &str| s.trim().split('-').next()?.trim().parse::<u16>().ok();
    let mut single = true;
    let mut out_port = port.and_then(first_port);
    if port.is_some_and(|p| p.contains('-')) {
        single = false;
    }
    let Some(a) = addr.map(str::trim) else {
        return (None, out_port, single);
    };
    let (first, ranged) = match a.split_once('-') {
        Some((x, _)) if x.trim().parse::<IpAddr>().is_ok() => (x.trim(), true),
        _ => (a, false),
    };
    if ranged {
        single = false;
    }
    if let Ok(ip) = first.parse::<IpAddr>() {
        return (Some(ip), out_port, single);
    }
    let parsed = if let Some(rest) = first.strip_prefix('[') {
        rest.split_once(']')
            .and_then(|(x, tail)| Some((x.parse::<IpAddr>().ok()?, tail.strip_prefix(':'))))
    } else {
        first
            .rsplit_once(':')
            .and_then(|(x, p)| Some((x.parse::<IpAddr>().ok()?, Some(p))))
    };
    match parsed {
        Some((ip, p)) => {
            if out_port.is_none() {
                out_port = p.and_then(first_port);
                if p.is_some_and(|p| p.contains('-')) {
                    single = false;
                }
            }
            (Some(ip), out_port, single)
        }
        None => (None, out_port, false),
    }
}

impl Engine<'_> {
    /// Applies a rule's statements to the packets of `m`, in order.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn statements(
        &self,
        ex: &mut Exec,
        m: &Bdd,
        rule: &Rule,
        id: ChainId,
        ri: usize,
        h: &HookCtx,
        before_ct: bool,
        nft: bool,
    ) -> Effects {
        let vars = &self.u.vars;
        let mut eff = Effects {
            broke: vars.mk_false(),
            nat_done: vars.mk_false(),
            rest: m.clone(),
            verdict: None,
        };
        let rule_text = || format!("`{rule}`");
        let _ = (id, ri);
        for s in &rule.statements {
            let cur = eff.rest.clone();
            if cur.is_false() {
                break;
            }
            let no_ct = {
                let ctx = MatchCtx {
                    u: self.u,
                    fx: &self.fx,
                    st: &ex.st,
                    v6: h.v6,
                    iif: &h.iif,
                    oif: &h.oif,
                    before_ct,
                    sets: &self.idx.tables[id.0].sets,
                };
                ctx.no_conntrack()
            };
            if nft && reads_conntrack(s) {
                let broke = cur.and(&no_ct);
                eff.broke = eff.broke.or(&broke);
                eff.rest = cur.and_not(&no_ct);
                if eff.rest.is_false() {
                    break;
                }
            }
            let cur = eff.rest.clone();
            // Connection-mark statements do nothing without a conntrack entry (before
            // conntrack, or untracked).
            let tracked = if before_ct {
                vars.mk_false()
            } else {
                cur.and_not(&ex.st.untracked)
            };
            let st: &mut SymState = &mut ex.st;
            match s {
                Statement::SetMark { and, xor } => {
                    let new = and_xor(&st.mark, *and, *xor);
                    SymState::assign(&mut st.mark, &cur, &new);
                }
                Statement::SetCtMark { and, xor } => {
                    let new = and_xor(&st.ct_mark, *and, *xor);
                    SymState::assign(&mut st.ct_mark, &tracked, &new);
                }
                Statement::SaveMark { nfmask, ctmask } => {
                    let new = merge_bits(&st.ct_mark, *ctmask, &st.mark, *nfmask);
                    SymState::assign(&mut st.ct_mark, &tracked, &new);
                }
                Statement::RestoreMark { nfmask, ctmask } => {
                    let new = merge_bits(&st.mark, *nfmask, &st.ct_mark, *ctmask);
                    SymState::assign(&mut st.mark, &tracked, &new);
                }
                Statement::Notrack if before_ct => {
                    st.untracked = st.untracked.or(&cur);
                }
                Statement::Nat {
                    kind, addr, port, ..
                } => {
                    self.nat(
                        ex,
                        &cur,
                        *kind,
                        addr.as_deref(),
                        port.as_deref(),
                        h.v6,
                        &rule_text(),
                    );
                    eff.nat_done = cur;
                    eff.rest = vars.mk_false();
                    break;
                }
                Statement::Other { .. } => match xt_effect(s) {
                    None | Some(XtEffect::Harmless) => {}
                    Some(XtEffect::Verdict(v)) => {
                        eff.verdict = Some(v);
                        break;
                    }
                    Some(XtEffect::Mutates(what)) => ex.taint(&cur, what),
                    Some(XtEffect::Unknown(what)) => {
                        eff.verdict = Some(Verdict::Other(what));
                        break;
                    }
                    Some(XtEffect::Nat(kind)) => {
                        self.nat(ex, &cur, kind, None, None, h.v6, &rule_text());
                        ex.taint(
                            &cur,
                            "the xt NAT target's address is not in the nft JSON dump; assumed unchanged",
                        );
                        eff.nat_done = cur;
                        eff.rest = vars.mk_false();
                        break;
                    }
                },
                _ => {}
            }
        }
        eff
    }

    /// A NAT statement on the packets of `cur`.
    #[allow(clippy::too_many_arguments)]
    fn nat(
        &self,
        ex: &mut Exec,
        cur: &Bdd,
        kind: NatKind,
        addr: Option<&str>,
        port: Option<&str>,
        v6: bool,
        rule: &str,
    ) {
        let vars = &self.u.vars;
        let (ip, port_num, single) = nat_target(addr, port);
        let unparsed = addr.is_some() && ip.is_none();
        if unparsed {
            let st = &mut ex.st;
            match kind {
                NatKind::Dnat | NatKind::Redirect => st.dst_unknown = st.dst_unknown.or(cur),
                NatKind::Snat | NatKind::Masquerade => st.src_unknown = st.src_unknown.or(cur),
            }
        } else if !single {
            ex.taint(
                cur,
                format!("{rule}: NAT to a range picks any member; the first was assumed"),
            );
        }
        let ip = ip.filter(|a| a.is_ipv6() == v6);
        let st = &mut ex.st;
        match kind {
            NatKind::Dnat | NatKind::Redirect => {
                st.dnat = st.dnat.or(cur);
                if let (Some(a), NatKind::Dnat) = (ip, kind) {
                    let bits = constant(vars, if v6 { 128 } else { 32 }, addr_value(a));
                    let field = if v6 { &mut st.dst6 } else { &mut st.dst4 };
                    SymState::assign(field, cur, &bits);
                }
                if let Some(p) = port_num {
                    SymState::assign(&mut st.dport, cur, &constant(vars, 16, u128::from(p)));
                }
                if kind == NatKind::Redirect {
                    st.dst_unknown = st.dst_unknown.or(cur);
                }
            }
            NatKind::Snat | NatKind::Masquerade => {
                st.snat = st.snat.or(cur);
                if let (Some(a), NatKind::Snat) = (ip, kind) {
                    let bits = constant(vars, if v6 { 128 } else { 32 }, addr_value(a));
                    let field = if v6 { &mut st.src6 } else { &mut st.src4 };
                    SymState::assign(field, cur, &bits);
                }
                if let Some(p) = port_num {
                    SymState::assign(&mut st.sport, cur, &constant(vars, 16, u128::from(p)));
                }
                if kind == NatKind::Masquerade {
                    st.src_unknown = st.src_unknown.or(cur);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nat_targets() {
        let ip = |s: &str| s.parse::<IpAddr>().ok();
        assert_eq!(
            nat_target(Some("10.0.0.1"), None),
            (ip("10.0.0.1"), None, true)
        );
        assert_eq!(
            nat_target(Some("10.244.1.5:8080"), None),
            (ip("10.244.1.5"), Some(8080), true)
        );
        assert_eq!(
            nat_target(Some("[fd00::1]:80"), None),
            (ip("fd00::1"), Some(80), true)
        );
        assert_eq!(
            nat_target(Some("10.0.0.1-10.0.0.9"), Some("1024-2000")),
            (ip("10.0.0.1"), Some(1024), false)
        );
        assert_eq!(nat_target(Some("ip daddr map @x"), None).0, None);
    }
}
