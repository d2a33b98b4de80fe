//! Packets without a conntrack entry: before connection tracking, untracked, or invalid.
//! nft's `ct` expressions other than `ct state` then break the rule (`NFT_BREAK`).

use crate::model::{CtStateSet, Statement};

use super::matching::PktState;
use super::packet::Packet;

/// Whether the packet has no conntrack entry at this point: its base chain runs before
/// connection tracking, `notrack` untracked it, or the query says it is invalid or untracked.
pub(crate) fn no_conntrack(before_conntrack: bool, st: &PktState, pkt: &Packet) -> bool {
    before_conntrack
        || st.untracked
        || (pkt.ct_state.0 != 0
            && pkt.ct_state.0 & !(CtStateSet::INVALID | CtStateSet::UNTRACKED) == 0)
}

/// Whether a statement loads a conntrack field (`meta mark set ct mark`, `ct mark set ct mark
/// and ...`): in an nf_tables rule, with no entry, that load breaks the rule, so neither
/// later statements nor the verdict run. (`ct mark set 0x1` only stores: it does nothing.)
pub(crate) fn reads_conntrack(s: &Statement) -> bool {
    match s {
        Statement::RestoreMark { .. } => true,
        Statement::SetCtMark { and, .. } => *and != 0,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn which_statements_load_conntrack() {
        assert!(reads_conntrack(&Statement::RestoreMark {
            nfmask: u32::MAX,
            ctmask: u32::MAX
        }));
        assert!(!reads_conntrack(&Statement::SetCtMark { and: 0, xor: 1 }));
        assert!(reads_conntrack(&Statement::SetCtMark { and: 0xff, xor: 1 }));
        assert!(!reads_conntrack(&Statement::SaveMark {
            nfmask: u32::MAX,
            ctmask: u32::MAX
        }));
    }

    #[test]
    fn invalid_and_untracked_packets_have_no_entry() {
        let mut p = Packet::new("10.0.0.1".parse().unwrap(), "10.0.0.2".parse().unwrap());
        let st = PktState::from_packet(&p);
        p.ct_state = CtStateSet(CtStateSet::NEW);
        assert!(!no_conntrack(false, &st, &p));
        assert!(no_conntrack(true, &st, &p));
        p.ct_state = CtStateSet(CtStateSet::INVALID);
        assert!(no_conntrack(false, &st, &p));
    }
}
