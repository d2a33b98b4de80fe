//! Connection tracking: `state`, `conntrack`, the `CT` and `NOTRACK` targets.

use super::*;

/// The matches this file decodes, by extension name.
pub(super) const MATCHES: &[(&str, MatchDecoder)] =
    &[("state", match_state), ("conntrack", match_conntrack)];

/// The targets this file decodes, by extension name.
pub(super) const TARGETS: &[(&str, TargetDecoder)] =
    &[("NOTRACK", target_notrack), ("CT", target_ct)];

fn match_state(_name: &str, _rev: u32, b: &[u8], _cx: &XtContext<'_>) -> Option<XtMatch> {
    Some(one(
        false,
        MatchKind::CtState {
            states: xt_states(u32_at(b, 0)?),
        },
    ))
}

fn match_conntrack(name: &str, rev: u32, b: &[u8], _cx: &XtContext<'_>) -> Option<XtMatch> {
    Some(match rev {
        1..=3 => {
            let match_flags = u16_at(b, 146)?;
            let invert = u16_at(b, 148)?;
            let (state, status) = if rev == 1 {
                (u32::from(u8_at(b, 150)?), u32::from(u8_at(b, 151)?))
            } else {
                (u32::from(u16_at(b, 150)?), u32::from(u16_at(b, 152)?))
            };
            let mut ms = Vec::new();
            if match_flags & 1 != 0 {
                ms.push(Match::with_negation(
                    MatchKind::CtState {
                        states: xt_states(state),
                    },
                    invert & 1 != 0,
                ));
            }
            if match_flags & (1 << 6) != 0 {
                let mut names = Vec::new();
                for (bit, n) in [
                    (1u32 << 0, "expected"),
                    (1 << 1, "seen-reply"),
                    (1 << 2, "assured"),
                    (1 << 3, "confirmed"),
                ] {
                    if status & bit != 0 {
                        names.push(n.to_string());
                    }
                }
                ms.push(Match::with_negation(
                    MatchKind::CtStatus { statuses: names },
                    invert & (1 << 6) != 0,
                ));
            }
            if match_flags & (1 << 12) != 0 {
                ms.push(Match::new(MatchKind::CtDirection {
                    original: invert & (1 << 12) == 0,
                }));
            }
            // Anything else conntrack can test is kept verbatim.
            if match_flags & !(1 | (1 << 6) | (1 << 12) | (1 << 13)) != 0 {
                ms.push(Match::new(other_match(name, rev, b)));
            }
            XtMatch {
                matches: ms,
                comment: None,
            }
        }
        _ => return None,
    })
}

fn target_notrack(_name: &str, _rev: u32, _b: &[u8], _cx: &XtContext<'_>) -> Option<XtTarget> {
    Some(st(Statement::Notrack))
}

fn target_ct(_name: &str, rev: u32, b: &[u8], _cx: &XtContext<'_>) -> Option<XtTarget> {
    Some(match rev {
        0..=2 => {
            let flags = u16_at(b, 0)?;
            if flags & 1 != 0 {
                st(Statement::Notrack)
            } else {
                let mut args = Vec::new();
                let zone = u16_at(b, 2)?;
                if zone != 0 {
                    args.push(format!("--zone {zone}"));
                }
                let helper = cstr_at(b, 12, 16)?;
                if !helper.is_empty() {
                    args.push(format!("--helper {helper}"));
                }
                if rev >= 1 {
                    let timeout = cstr_at(b, 28, 32)?;
                    if !timeout.is_empty() {
                        args.push(format!("--timeout {timeout}"));
                    }
                }
                let (ct_events, exp_events) = (u32_at(b, 4)?, u32_at(b, 8)?);
                if ct_events != 0 || exp_events != 0 {
                    args.push(format!(
                        "--ctevents 0x{ct_events:x} --expevents 0x{exp_events:x}"
                    ));
                }
                st(Statement::Ct {
                    args: args.join(" "),
                })
            }
        }
        _ => return None,
    })
}
