//! Targets (`-j TARGET --options`) mapped onto [`Statement`]s and [`Verdict`]s.

use crate::model::{NatKind, Statement, Verdict};

use super::group::{render, LineError, Opt};
use super::values::{parse_u32, parse_value_mask};

/// What a target adds to a rule.
#[derive(Debug, Default)]
pub(crate) struct TargetOut {
    /// Non-terminal effects.
    pub statements: Vec<Statement>,
    /// The verdict, if the target has one.
    pub verdict: Option<Verdict>,
}

/// Whether `name` is a target this module knows (everything else is a chain or verbatim).
pub(crate) fn is_known(name: &str) -> bool {
    matches!(
        name,
        "ACCEPT"
            | "DROP"
            | "RETURN"
            | "REJECT"
            | "QUEUE"
            | "NFQUEUE"
            | "LOG"
            | "NFLOG"
            | "MARK"
            | "CONNMARK"
            | "DNAT"
            | "SNAT"
            | "MASQUERADE"
            | "REDIRECT"
            | "CT"
            | "NOTRACK"
            | "TCPMSS"
    )
}

fn no_options(name: &str, opts: &[Opt<'_, '_>]) -> Result<(), LineError> {
    match opts.first() {
        None => Ok(()),
        Some(o) => Err(LineError::at(
            o.name,
            format!("target `{name}` takes no options, found `{}`", o.name()),
        )),
    }
}

fn unknown(target: &str, o: &Opt<'_, '_>) -> LineError {
    LineError::at(
        o.name,
        format!("unknown option `{}` of target `{target}`", o.name()),
    )
}

fn not_negated(target: &str, o: &Opt<'_, '_>) -> Result<(), LineError> {
    if o.negated {
        Err(LineError::at(
            o.name,
            format!(
                "option `{}` of target `{target}` cannot be negated",
                o.name()
            ),
        ))
    } else {
        Ok(())
    }
}

/// The full name of a `--reject-with` type; the default port-unreachable is `None`.
fn reject_with(s: &str) -> Option<String> {
    let full = match s {
        "icmp-port-unreachable" | "icmp6-port-unreachable" | "port-unreach" => return None,
        "net-unreach" => "icmp-net-unreachable",
        "host-unreach" => "icmp-host-unreachable",
        "proto-unreach" => "icmp-proto-unreachable",
        "net-prohib" => "icmp-net-prohibited",
        "host-prohib" => "icmp-host-prohibited",
        "admin-prohib" => "icmp-admin-prohibited",
        "tcp-rst" => "tcp-reset",
        "no-route" => "icmp6-no-route",
        "adm-prohibited" => "icmp6-adm-prohibited",
        "addr-unreach" => "icmp6-addr-unreachable",
        "policy-fail" => "icmp6-policy-fail",
        "reject-route" => "icmp6-reject-route",
        other => other,
    };
    Some(full.to_string())
}

/// nft's name of a syslog level given by name or number; the default `warn` is `None`.
fn log_level(s: &str) -> Result<Option<String>, ()> {
    let n = match s.to_ascii_lowercase().as_str() {
        "0" | "emerg" | "panic" => "emerg",
        "1" | "alert" => "alert",
        "2" | "crit" => "crit",
        "3" | "err" | "error" => "err",
        "4" | "warn" | "warning" => return Ok(None),
        "5" | "notice" => "notice",
        "6" | "info" => "info",
        "7" | "debug" => "debug",
        _ => return Err(()),
    };
    Ok(Some(n.to_string()))
}

fn u32_opt(o: &Opt<'_, '_>) -> Result<u32, LineError> {
    parse_u32(o.one()?.as_str()).map_err(|m| o.err(m))
}

/// Builds the effect of target `name` with its options.
pub(crate) fn build(name: &str, opts: &[Opt<'_, '_>]) -> Result<TargetOut, LineError> {
    let mut out = TargetOut::default();
    for o in opts {
        not_negated(name, o)?;
    }
    match name {
        "ACCEPT" | "DROP" | "RETURN" => {
            no_options(name, opts)?;
            out.verdict = Some(match name {
                "ACCEPT" => Verdict::Accept,
                "DROP" => Verdict::Drop,
                _ => Verdict::Return,
            });
        }
        "REJECT" => {
            let mut with = None;
            for o in opts {
                match o.name() {
                    "--reject-with" => with = reject_with(o.one()?.as_str()),
                    _ => return Err(unknown(name, o)),
                }
            }
            out.verdict = Some(Verdict::Reject { with });
        }
        "QUEUE" => {
            no_options(name, opts)?;
            out.verdict = Some(Verdict::queue("--queue-num 0"));
        }
        "NFQUEUE" => {
            let args = render(opts);
            out.verdict = Some(Verdict::queue(&args));
        }
        "LOG" | "NFLOG" => {
            let mut prefix = None;
            let mut level = None;
            let mut group = if name == "NFLOG" { Some(0) } else { None };
            let mut extra = Vec::new();
            for o in opts {
                match (name, o.name()) {
                    ("LOG", "--log-prefix") | ("NFLOG", "--nflog-prefix") => {
                        let p = o.one()?.as_str();
                        prefix = (!p.is_empty()).then(|| p.to_string());
                    }
                    ("LOG", "--log-level") => {
                        level = log_level(o.one()?.as_str()).map_err(|_| {
                            o.err("invalid log level: expected 0-7 or a name such as info")
                        })?;
                    }
                    ("NFLOG", "--nflog-group") => {
                        let g = u32_opt(o)?;
                        group = Some(
                            u16::try_from(g).map_err(|_| o.err("NFLOG group must be 0-65535"))?,
                        );
                    }
                    (
                        "LOG",
                        "--log-tcp-sequence" | "--log-tcp-options" | "--log-ip-options"
                        | "--log-uid" | "--log-macdecode",
                    ) => {
                        o.flag()?;
                        extra.push(o.name().to_string());
                    }
                    ("NFLOG", "--nflog-range" | "--nflog-size" | "--nflog-threshold") => {
                        extra.push(render(std::slice::from_ref(o)));
                    }
                    _ => return Err(unknown(name, o)),
                }
            }
            out.statements.push(Statement::Log {
                prefix,
                level,
                group,
                extra,
            });
        }
        "MARK" | "CONNMARK" => build_mark(name, opts, &mut out)?,
        "DNAT" | "SNAT" | "MASQUERADE" | "REDIRECT" => {
            let kind = match name {
                "DNAT" => NatKind::Dnat,
                "SNAT" => NatKind::Snat,
                "MASQUERADE" => NatKind::Masquerade,
                _ => NatKind::Redirect,
            };
            let mut addr = None;
            let mut port = None;
            let mut flags = Vec::new();
            let mut seen_to = false;
            for o in opts {
                match (kind, o.name()) {
                    (NatKind::Dnat, "--to-destination") | (NatKind::Snat, "--to-source") => {
                        if seen_to {
                            // Several ranges (old kernels): not typed.
                            out.statements.push(Statement::Other {
                                target: name.to_string(),
                                args: render(opts),
                                lossy: false,
                            });
                            return Ok(out);
                        }
                        seen_to = true;
                        (addr, port) = crate::model::split_nat_target(o.one()?.as_str());
                    }
                    (NatKind::Masquerade | NatKind::Redirect, "--to-ports" | "--to-port") => {
                        let p = o.one()?.as_str();
                        port = Some(p.to_string());
                    }
                    (_, "--random") => flags.push("random".to_string()),
                    (_, "--random-fully") => flags.push("fully-random".to_string()),
                    (NatKind::Dnat | NatKind::Snat, "--persistent") => {
                        flags.push("persistent".to_string())
                    }
                    _ => return Err(unknown(name, o)),
                }
            }
            out.statements.push(Statement::Nat {
                kind,
                addr,
                port,
                flags,
            });
        }
        "NOTRACK" => {
            no_options(name, opts)?;
            out.statements.push(Statement::Notrack);
        }
        "CT" => {
            if opts.len() == 1 && opts[0].name() == "--notrack" {
                opts[0].flag()?;
                out.statements.push(Statement::Notrack);
            } else {
                out.statements.push(Statement::Ct { args: render(opts) });
            }
        }
        "TCPMSS" => {
            let [o] = opts else {
                return Err(LineError {
                    offset: opts.get(1).map_or(0, |o| o.name.offset),
                    message:
                        "target `TCPMSS` expects one of `--set-mss N` or `--clamp-mss-to-pmtu`"
                            .into(),
                });
            };
            let mss = match o.name() {
                "--set-mss" => {
                    let v = u32_opt(o)?;
                    Some(u16::try_from(v).map_err(|_| o.err("MSS must be 0-65535"))?)
                }
                "--clamp-mss-to-pmtu" => {
                    o.flag()?;
                    None
                }
                _ => return Err(unknown(name, o)),
            };
            out.statements.push(Statement::TcpMss { mss });
        }
        // iptables-nft stores `-j TRACE` as nft's `meta nftrace set 1`; so does the model.
        "TRACE" if opts.is_empty() => {
            out.statements.push(Statement::Other {
                target: "meta".into(),
                args: "nftrace set 1".into(),
                lossy: false,
            });
        }
        _ => {
            out.statements.push(Statement::Other {
                target: name.to_string(),
                args: render(opts),
                lossy: false,
            });
        }
    }
    Ok(out)
}

fn build_mark(name: &str, opts: &[Opt<'_, '_>], out: &mut TargetOut) -> Result<(), LineError> {
    let conn = name == "CONNMARK";
    let mut xmark: Option<(u32, u32)> = None; // (and, xor)
    let mut save: Option<bool> = None; // Some(true) save, Some(false) restore
    let mut nfmask = u32::MAX;
    let mut ctmask = u32::MAX;
    let mut untyped = false;
    for o in opts {
        let vm = |o: &Opt<'_, '_>| parse_value_mask(o.one()?.as_str()).map_err(|m| o.err(m));
        match o.name() {
            "--set-xmark" => {
                let (v, m) = vm(o)?;
                xmark = Some((!m, v));
            }
            "--set-mark" => {
                let (v, m) = vm(o)?;
                xmark = Some((!(v | m), v));
            }
            "--and-mark" => xmark = Some((u32_opt(o)?, 0)),
            "--or-mark" => {
                let v = u32_opt(o)?;
                xmark = Some((!v, v));
            }
            "--xor-mark" => xmark = Some((u32::MAX, u32_opt(o)?)),
            "--save-mark" | "--restore-mark" if conn => {
                o.flag()?;
                save = Some(o.name() == "--save-mark");
            }
            "--nfmask" if conn => nfmask = u32_opt(o)?,
            "--ctmask" if conn => ctmask = u32_opt(o)?,
            "--mask" if conn => {
                let m = u32_opt(o)?;
                nfmask = m;
                ctmask = m;
            }
            "--left-shift-mark" | "--right-shift-mark" if conn => untyped = true,
            _ => return Err(unknown(name, o)),
        }
    }
    if untyped {
        out.statements.push(Statement::Other {
            target: name.to_string(),
            args: render(opts),
            lossy: false,
        });
        return Ok(());
    }
    match (xmark, save) {
        (Some((and, xor)), None) => out.statements.push(if conn {
            Statement::SetCtMark { and, xor }
        } else {
            Statement::SetMark { and, xor }
        }),
        (None, Some(true)) => out.statements.push(Statement::SaveMark { nfmask, ctmask }),
        (None, Some(false)) => out
            .statements
            .push(Statement::RestoreMark { nfmask, ctmask }),
        _ => {
            return Err(LineError {
                offset: opts.first().map_or(0, |o| o.name.offset),
                message: format!(
                    "target `{name}` expects exactly one of --set-xmark, --set-mark, --and-mark, \
                     --or-mark, --xor-mark{}",
                    if conn {
                        ", --save-mark, --restore-mark"
                    } else {
                        ""
                    }
                ),
            })
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes_reject_and_log_level() {
        assert_eq!(reject_with("icmp-port-unreachable"), None);
        assert_eq!(reject_with("tcp-rst").as_deref(), Some("tcp-reset"));
        assert_eq!(log_level("4"), Ok(None));
        assert_eq!(log_level("7"), Ok(Some("debug".into())));
        assert_eq!(log_level("info"), Ok(Some("info".into())));
        assert!(log_level("loud").is_err());
    }
}
