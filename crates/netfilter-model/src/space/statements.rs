//! Statements over flows: marks and connection marks bit by bit, NAT to constants (later
//! hooks see the new address), notrack; what is not modelled makes its field unknown.

use std::net::IpAddr;

use crate::model::{NatKind, Statement, Verdict};
use crate::trace::{xt_effect, XtEffect};

use super::state::FlowState;
use super::universe::{Bit, Field, Universe};

/// What a statement does to the rest of the rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum StmtEffect {
    /// Go on with the next statement.
    Next,
    /// Address translation: the nat chain ends with an accept.
    NatDone,
    /// The rule ends with this verdict (an xt target whose options were lost).
    Verdict(Verdict),
    /// Changed state nfdiff cannot follow exactly; the reason is recorded.
    Unmodelled(String),
}

fn and_xor(bits: &[Bit], and: u32, xor: u32) -> Vec<Bit> {
    bits.iter()
        .enumerate()
        .map(|(i, b)| {
            let s = 31 - i;
            let keep = (and >> s) & 1 == 1;
            let flip = (xor >> s) & 1 == 1;
            match (keep, *b) {
                (false, _) => Bit::Const(flip),
                (true, Bit::Const(c)) => Bit::Const(c != flip),
                (true, Bit::Var(v, n)) => Bit::Var(v, n != flip),
                (true, Bit::Unknown) => Bit::Unknown,
            }
        })
        .collect()
}

fn bit_or(a: Bit, b: Bit) -> Bit {
    match (a, b) {
        (Bit::Const(true), _) | (_, Bit::Const(true)) => Bit::Const(true),
        (Bit::Const(false), x) | (x, Bit::Const(false)) => x,
        _ => Bit::Unknown,
    }
}

/// `dst = (dst & !dmask) | (src & smask)`, bit by bit.
fn copy_masked(dst: &[Bit], src: &[Bit], dmask: u32, smask: u32) -> Vec<Bit> {
    dst.iter()
        .zip(src)
        .enumerate()
        .map(|(i, (d, s))| {
            let sh = 31 - i;
            let kept = if (dmask >> sh) & 1 == 1 {
                Bit::Const(false)
            } else {
                *d
            };
            let taken = if (smask >> sh) & 1 == 1 {
                *s
            } else {
                Bit::Const(false)
            };
            bit_or(kept, taken)
        })
        .collect()
}

fn unknown(w: usize) -> Vec<Bit> {
    vec![Bit::Unknown; w]
}

/// Parses a NAT target address (`10.0.0.1`, `10.0.0.1:8080`, `[fd00::1]:80`); `Err` when it
/// is a range, a map or anything else that is not one address.
fn nat_addr(s: &str) -> Result<(IpAddr, Option<u16>), ()> {
    let s = s.trim();
    if let Ok(a) = s.parse::<IpAddr>() {
        return Ok((a, None));
    }
    if let Some(rest) = s.strip_prefix('[') {
        let (a, tail) = rest.split_once(']').ok_or(())?;
        let a = a.parse().map_err(|_| ())?;
        return match tail.strip_prefix(':') {
            Some(p) => Ok((a, Some(p.parse().map_err(|_| ())?))),
            None if tail.is_empty() => Ok((a, None)),
            None => Err(()),
        };
    }
    let (a, p) = s.rsplit_once(':').ok_or(())?;
    Ok((a.parse().map_err(|_| ())?, Some(p.parse().map_err(|_| ())?)))
}

fn addr_bits(a: IpAddr) -> Vec<Bit> {
    match a {
        IpAddr::V4(x) => Universe::const_bits(u128::from(u32::from(x)), 32),
        IpAddr::V6(x) => Universe::const_bits(u128::from(x), 128),
    }
}

fn set_addr(st: &mut FlowState, f: Field, w: usize, v6: bool, a: Result<Option<IpAddr>, ()>) {
    match a {
        Ok(Some(a)) if a.is_ipv6() == v6 => {
            st.fields.insert(f, addr_bits(a));
        }
        Ok(_) => {}
        Err(()) => {
            st.fields.insert(f, unknown(w));
        }
    }
}

fn set_port(st: &mut FlowState, f: Field, p: Result<Option<u16>, ()>) {
    match p {
        Ok(Some(p)) => {
            st.fields.insert(f, Universe::const_bits(u128::from(p), 16));
        }
        Ok(None) => {}
        Err(()) => {
            st.fields.insert(f, unknown(16));
        }
    }
}

fn apply_nat(st: &mut FlowState, kind: NatKind, addr: Option<&str>, port: Option<&str>, v6: bool) {
    let parsed: Result<Option<(IpAddr, Option<u16>)>, ()> = match addr {
        None => Ok(None),
        Some(s) => nat_addr(s).map(Some),
    };
    let port: Result<Option<u16>, ()> = match port {
        Some(p) => p.trim().parse().map(Some).map_err(|_| ()),
        None => match &parsed {
            Ok(Some((_, p))) => Ok(*p),
            Ok(None) => Ok(None),
            Err(()) => Err(()),
        },
    };
    let a = parsed.map(|x| x.map(|(a, _)| a));
    let (s_f, d_f, w) = if v6 {
        (Field::Src6, Field::Dst6, 128)
    } else {
        (Field::Src4, Field::Dst4, 32)
    };
    match kind {
        NatKind::Dnat => {
            st.dnat = true;
            set_addr(st, d_f, w, v6, a);
            set_port(st, Field::Dport, port);
        }
        NatKind::Redirect => {
            st.dnat = true;
            st.fields.insert(d_f, unknown(w));
            set_port(st, Field::Dport, port);
        }
        NatKind::Snat => {
            st.snat = true;
            set_addr(st, s_f, w, v6, a);
            set_port(st, Field::Sport, port);
        }
        NatKind::Masquerade => {
            st.snat = true;
            st.fields.insert(s_f, unknown(w));
            set_port(st, Field::Sport, port);
        }
    }
}

/// Applies one statement to a flow's state. `no_ct` says the packet has no conntrack entry
/// here (before conntrack or untracked), `before_ct` that conntrack has not run yet.
pub(crate) fn apply_statement(
    u: &Universe,
    s: &Statement,
    st: &mut FlowState,
    no_ct: bool,
    before_ct: bool,
    v6: bool,
) -> StmtEffect {
    match s {
        Statement::SetCtMark { .. }
        | Statement::SaveMark { .. }
        | Statement::RestoreMark { .. }
            if no_ct =>
        {
            StmtEffect::Next
        }
        Statement::Notrack if !before_ct => StmtEffect::Next,
        Statement::Notrack => {
            st.untracked = true;
            StmtEffect::Next
        }
        Statement::SetMark { and, xor } => {
            let b = and_xor(&st.bits(u, Field::Mark), *and, *xor);
            st.fields.insert(Field::Mark, b);
            StmtEffect::Next
        }
        Statement::SetCtMark { and, xor } => {
            let b = and_xor(&st.bits(u, Field::CtMark), *and, *xor);
            st.fields.insert(Field::CtMark, b);
            StmtEffect::Next
        }
        Statement::SaveMark { nfmask, ctmask } => {
            let b = copy_masked(
                &st.bits(u, Field::CtMark),
                &st.bits(u, Field::Mark),
                *ctmask,
                *nfmask,
            );
            st.fields.insert(Field::CtMark, b);
            StmtEffect::Next
        }
        Statement::RestoreMark { nfmask, ctmask } => {
            let b = copy_masked(
                &st.bits(u, Field::Mark),
                &st.bits(u, Field::CtMark),
                *nfmask,
                *ctmask,
            );
            st.fields.insert(Field::Mark, b);
            StmtEffect::Next
        }
        Statement::Nat {
            kind, addr, port, ..
        } => {
            apply_nat(st, *kind, addr.as_deref(), port.as_deref(), v6);
            StmtEffect::NatDone
        }
        Statement::Other { .. } => match xt_effect(s) {
            None | Some(XtEffect::Harmless) => StmtEffect::Next,
            Some(XtEffect::Verdict(v)) => StmtEffect::Verdict(v),
            Some(XtEffect::Unknown(what)) => StmtEffect::Verdict(Verdict::Other(what)),
            Some(XtEffect::Mutates(what)) => {
                st.fields.insert(Field::Mark, unknown(32));
                st.fields.insert(Field::CtMark, unknown(32));
                StmtEffect::Unmodelled(format!(
                    "{what}: the mark and connection mark are unknown afterwards"
                ))
            }
            Some(XtEffect::Nat(kind)) => {
                apply_nat(st, kind, Some("unknown"), None, v6);
                StmtEffect::NatDone
            }
        },
        _ => StmtEffect::Next,
    }
}

/// Whether a statement can change the packet's fate or what later rules see.
pub(crate) fn is_effective(s: &Statement) -> bool {
    match s {
        Statement::Log { .. }
        | Statement::TcpMss { .. }
        | Statement::ObjectRef { .. }
        | Statement::Ct { .. } => false,
        Statement::Other { .. } => !matches!(xt_effect(s), None | Some(XtEffect::Harmless)),
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn marks_are_followed_bit_by_bit() {
        let u = Universe::new(super::super::universe::alphabet(&BTreeSet::new()));
        let mut st = FlowState::default();
        // MARK --set-xmark 0x4000/0x4000: bit 14 set, the rest kept.
        let set = Statement::SetMark {
            and: !0x4000,
            xor: 0x4000,
        };
        apply_statement(&u, &set, &mut st, false, false, false);
        let m = st.bits(&u, Field::Mark);
        assert_eq!(m[31 - 14], Bit::Const(true));
        assert!(matches!(m[31], Bit::Var(_, false)));
        // Saved into the connection mark under a mask, then a full set.
        let save = Statement::SaveMark {
            nfmask: 0x4000,
            ctmask: 0x4000,
        };
        apply_statement(&u, &save, &mut st, false, false, false);
        assert_eq!(st.bits(&u, Field::CtMark)[31 - 14], Bit::Const(true));
        let full = Statement::SetMark { and: 0, xor: 7 };
        apply_statement(&u, &full, &mut st, false, false, false);
        assert!(u.eq(&st.bits(&u, Field::Mark), 7).unwrap().is_true());
    }

    #[test]
    fn nat_targets() {
        assert_eq!(
            nat_addr("10.0.0.1:8080"),
            Ok(("10.0.0.1".parse().unwrap(), Some(8080)))
        );
        assert_eq!(
            nat_addr("[fd00::1]:80"),
            Ok(("fd00::1".parse().unwrap(), Some(80)))
        );
        assert!(nat_addr("10.0.0.1-10.0.0.9").is_err());
        assert!(nat_addr("ip daddr map @m").is_err());
    }
}
