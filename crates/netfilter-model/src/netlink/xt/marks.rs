//! Packet and connection marks: `mark`, `connmark`, `MARK`, `CONNMARK`.

use super::*;

/// The matches this file decodes, by extension name.
pub(super) const MATCHES: &[(&str, MatchDecoder)] =
    &[("mark", match_mark), ("connmark", match_connmark)];

/// The targets this file decodes, by extension name.
pub(super) const TARGETS: &[(&str, TargetDecoder)] =
    &[("MARK", target_mark), ("CONNMARK", target_connmark)];

fn match_mark(_name: &str, rev: u32, b: &[u8], _cx: &XtContext<'_>) -> Option<XtMatch> {
    Some(match rev {
        1 => one(
            u8_at(b, 8)? != 0,
            MatchKind::Mark {
                value: u32_at(b, 0)?,
                mask: u32_at(b, 4)?,
            },
        ),
        _ => return None,
    })
}

fn match_connmark(_name: &str, rev: u32, b: &[u8], _cx: &XtContext<'_>) -> Option<XtMatch> {
    Some(match rev {
        1 => one(
            u8_at(b, 8)? != 0,
            MatchKind::CtMark {
                value: u32_at(b, 0)?,
                mask: u32_at(b, 4)?,
            },
        ),
        _ => return None,
    })
}

fn target_mark(_name: &str, rev: u32, b: &[u8], _cx: &XtContext<'_>) -> Option<XtTarget> {
    Some(match rev {
        2 => {
            let (mark, mask) = (u32_at(b, 0)?, u32_at(b, 4)?);
            st(Statement::SetMark {
                and: !mask,
                xor: mark,
            })
        }
        _ => return None,
    })
}

fn target_connmark(_name: &str, rev: u32, b: &[u8], _cx: &XtContext<'_>) -> Option<XtTarget> {
    Some(match rev {
        1..=2 => {
            let (ctmark, ctmask, nfmask) = (u32_at(b, 0)?, u32_at(b, 4)?, u32_at(b, 8)?);
            // rev 2 (`xt_connmark_tginfo2`) has shift_dir and shift_bits before mode.
            let mode = if rev == 2 {
                let (dir, bits, mode) = (u8_at(b, 12)?, u8_at(b, 13)?, u8_at(b, 14)?);
                if bits != 0 {
                    // Shifted marks are not modelled: verbatim, as iptables-save prints them.
                    let op = match mode {
                        0 => format!("--set-xmark 0x{ctmark:x}/0x{ctmask:x}"),
                        1 => format!("--save-mark --nfmask 0x{nfmask:x} --ctmask 0x{ctmask:x}"),
                        2 => format!("--restore-mark --nfmask 0x{nfmask:x} --ctmask 0x{ctmask:x}"),
                        _ => return None,
                    };
                    let side = if dir != 0 { "right" } else { "left" };
                    return Some(verbatim_target(
                        "CONNMARK",
                        format!("{op} --{side}-shift-mark {bits}"),
                    ));
                }
                mode
            } else {
                u8_at(b, 12)?
            };
            match mode {
                0 => st(Statement::SetCtMark {
                    and: !ctmask,
                    xor: ctmark,
                }),
                1 => st(Statement::SaveMark { nfmask, ctmask }),
                2 => st(Statement::RestoreMark { nfmask, ctmask }),
                _ => return None,
            }
        }
        _ => return None,
    })
}
