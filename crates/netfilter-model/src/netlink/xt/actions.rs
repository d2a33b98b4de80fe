//! Other targets: `REJECT`, `LOG`, `NFLOG`, `TCPMSS`.

use super::*;

/// The targets this file decodes, by extension name.
pub(super) const TARGETS: &[(&str, TargetDecoder)] = &[
    ("REJECT", target_reject),
    ("LOG", target_log),
    ("NFLOG", target_nflog),
    ("TCPMSS", target_tcpmss),
];

fn target_reject(_name: &str, rev: u32, b: &[u8], cx: &XtContext<'_>) -> Option<XtTarget> {
    let v6 = cx.family == Family::Ip6;
    Some(match rev {
        0 => {
            let with = u32_at(b, 0)?;
            let names: &[&str] = if v6 {
                &[
                    "icmp6-no-route",
                    "icmp6-adm-prohibited",
                    "icmp6-not-neighbour",
                    "icmp6-addr-unreachable",
                    "icmp6-port-unreachable",
                    "icmp6-echo-reply",
                    "tcp-reset",
                    "icmp6-policy-fail",
                    "icmp6-reject-route",
                ]
            } else {
                &[
                    "icmp-net-unreachable",
                    "icmp-host-unreachable",
                    "icmp-proto-unreachable",
                    "icmp-port-unreachable",
                    "icmp-echo-reply",
                    "icmp-net-prohibited",
                    "icmp-host-prohibited",
                    "tcp-reset",
                    "icmp-admin-prohibited",
                ]
            };
            XtTarget {
                statements: Vec::new(),
                verdict: Some(Verdict::Reject {
                    with: Some(names.get(with as usize)?.to_string()),
                }),
            }
        }
        _ => return None,
    })
}

fn target_log(_name: &str, rev: u32, b: &[u8], _cx: &XtContext<'_>) -> Option<XtTarget> {
    Some(match rev {
        0 => {
            let level = u8_at(b, 0)?;
            let flags = u8_at(b, 1)?;
            let prefix = cstr_at(b, 2, 30)?;
            let mut extra = Vec::new();
            for (bit, opt) in [
                (0x01u8, "--log-tcp-sequence"),
                (0x02, "--log-tcp-options"),
                (0x04, "--log-ip-options"),
                (0x08, "--log-uid"),
                (0x20, "--log-macdecode"),
            ] {
                if flags & bit != 0 {
                    extra.push(opt.to_string());
                }
            }
            st(Statement::Log {
                prefix: (!prefix.is_empty()).then_some(prefix),
                level: (level != 4).then(|| level.to_string()),
                group: None,
                extra,
            })
        }
        _ => return None,
    })
}

fn target_nflog(_name: &str, rev: u32, b: &[u8], _cx: &XtContext<'_>) -> Option<XtTarget> {
    Some(match rev {
        0 => {
            let len = u32_at(b, 0)?;
            let group = u16_at(b, 4)?;
            let threshold = u16_at(b, 6)?;
            let flags = u16_at(b, 8)?;
            let prefix = cstr_at(b, 12, 64)?;
            let mut extra = Vec::new();
            if flags & 1 != 0 {
                extra.push(format!("--nflog-size {len}"));
            }
            if threshold > 1 {
                extra.push(format!("--nflog-threshold {threshold}"));
            }
            st(Statement::Log {
                prefix: (!prefix.is_empty()).then_some(prefix),
                level: None,
                group: Some(group),
                extra,
            })
        }
        _ => return None,
    })
}

fn target_tcpmss(_name: &str, rev: u32, b: &[u8], _cx: &XtContext<'_>) -> Option<XtTarget> {
    Some(match rev {
        0 => {
            let mss = u16_at(b, 0)?;
            st(Statement::TcpMss {
                mss: (mss != 0xffff).then_some(mss),
            })
        }
        _ => return None,
    })
}
