//! Socket and connection-group matches: `socket`, `cgroup`, `cluster`, `connlabel`,
//! `connlimit`, `string`, and the `IDLETIMER`, `CONNSECMARK`, `CLASSIFY`, `CHECKSUM`,
//! `TCPOPTSTRIP`, `ECN` and `SYNPROXY` targets.

use super::*;
use crate::parse::iptables_save_support::quote_word;

/// The matches this file decodes, by extension name.
pub(super) const MATCHES: &[(&str, MatchDecoder)] = &[
    ("socket", match_socket),
    ("cgroup", match_cgroup),
    ("cluster", match_cluster),
    ("connlabel", match_connlabel),
    ("connlimit", match_connlimit),
    ("string", match_string),
];

/// The targets this file decodes, by extension name.
pub(super) const TARGETS: &[(&str, TargetDecoder)] = &[
    ("IDLETIMER", target_idletimer),
    ("CONNSECMARK", target_connsecmark),
    ("CLASSIFY", target_classify),
    ("CHECKSUM", target_checksum),
    ("TCPOPTSTRIP", target_tcpoptstrip),
    ("ECN", target_ecn),
    ("SYNPROXY", target_synproxy),
];

/// A value as the iptables-save parser renders it (quoted when it must be).
fn word(s: &str) -> String {
    let mut out = String::new();
    quote_word(&mut out, s);
    out
}

fn match_socket(name: &str, rev: u32, b: &[u8], _cx: &XtContext<'_>) -> Option<XtMatch> {
    let flags = if rev == 0 { 0 } else { u8_at(b, 0)? };
    let a = [
        (1u8, "--transparent"),
        (2, "--nowildcard"),
        (4, "--restore-skmark"),
    ]
    .into_iter()
    .filter(|(bit, _)| flags & bit != 0)
    .map(|(_, o)| o.to_string())
    .collect();
    Some(verbatim(name, a))
}

fn match_cgroup(name: &str, rev: u32, b: &[u8], _cx: &XtContext<'_>) -> Option<XtMatch> {
    // `xt_cgroup_info_v1/v2`: has_path, has_classid, invert_path, invert_classid, then
    // path[4096 or 512] and classid.
    let path_len = match rev {
        1 => 4096,
        2 => 512,
        _ => return None,
    };
    let (has_path, has_classid) = (u8_at(b, 0)? != 0, u8_at(b, 1)? != 0);
    let (inv_path, inv_classid) = (u8_at(b, 2)? != 0, u8_at(b, 3)? != 0);
    let mut a = Vec::new();
    if has_path {
        let p = cstr_at(b, 4, path_len)?;
        a.push(format!("{}--path {}", bang(inv_path), word(&p)));
    }
    if has_classid {
        // v2 keeps the classid in a union with the path.
        let at = if rev == 2 { 4 } else { 4 + path_len };
        a.push(format!("{}--cgroup {}", bang(inv_classid), u32_at(b, at)?));
    }
    Some(verbatim(name, a))
}

fn match_cluster(name: &str, rev: u32, b: &[u8], _cx: &XtContext<'_>) -> Option<XtMatch> {
    if rev != 0 {
        return None;
    }
    // `struct xt_cluster_match_info`: total_nodes, node_mask, hash_seed, flags.
    let (total, mask, seed, flags) = (u32_at(b, 0)?, u32_at(b, 4)?, u32_at(b, 8)?, u32_at(b, 12)?);
    Some(verbatim(
        name,
        vec![format!(
            "{}--cluster-local-nodemask 0x{mask:08x} --cluster-total-nodes {total} \
             --cluster-hash-seed 0x{seed:08x}",
            bang(flags & 1 != 0)
        )],
    ))
}

fn match_connlabel(name: &str, rev: u32, b: &[u8], _cx: &XtContext<'_>) -> Option<XtMatch> {
    if rev != 0 {
        return None;
    }
    let (bit, opts) = (u16_at(b, 0)?, u16_at(b, 2)?);
    let mut a = vec![format!("{}--label {bit}", bang(opts & 1 != 0))];
    if opts & 2 != 0 {
        a.push("--set".into());
    }
    Some(verbatim(name, a))
}

fn match_connlimit(name: &str, rev: u32, b: &[u8], cx: &XtContext<'_>) -> Option<XtMatch> {
    if rev != 1 {
        return None;
    }
    // `struct xt_connlimit_info`: mask (nf_inet_addr), limit, flags.
    let plen = if cx.family == Family::Ip6 {
        u128::from(addr_v6(b, 0)?).leading_ones()
    } else {
        u32::from(addr_v4(b, 0)?).leading_ones()
    };
    let (limit, flags) = (u32_at(b, 16)?, u32_at(b, 20)?);
    // XT_CONNLIMIT_INVERT: at most `limit` (`--connlimit-upto`).
    let kind = if flags & 1 != 0 { "upto" } else { "above" };
    let side = if flags & 2 != 0 { "daddr" } else { "saddr" };
    Some(verbatim(
        name,
        vec![format!(
            "--connlimit-{kind} {limit} --connlimit-mask {plen} --connlimit-{side}"
        )],
    ))
}

fn match_string(name: &str, rev: u32, b: &[u8], _cx: &XtContext<'_>) -> Option<XtMatch> {
    // `struct xt_string_info`: from_offset, to_offset, algo[16], pattern[128], patlen,
    // then invert (rev 0) or flags (rev 1: invert 1, icase 2).
    let (from, to) = (u16_at(b, 0)?, u16_at(b, 2)?);
    let algo = cstr_at(b, 4, 16)?;
    let len = usize::from(u8_at(b, 148)?);
    let pat = b.get(20..20 + len)?;
    let flags = match rev {
        0 => u8_at(b, 149)? & 1,
        1 => u8_at(b, 149)?,
        _ => return None,
    };
    // iptables prints a pattern with a byte that is not printable ASCII (or a quote or
    // backslash) as a hex string.
    let hex = pat
        .iter()
        .any(|c| !(0x20..0x7f).contains(c) || *c == b'"' || *c == b'\\');
    let pattern = if hex {
        let h: String = pat.iter().map(|c| format!("{c:02x}")).collect();
        format!("--hex-string {}", word(&format!("|{h}|")))
    } else {
        format!("--string {}", word(&String::from_utf8_lossy(pat)))
    };
    let mut a = vec![format!("{}{pattern}", bang(flags & 1 != 0))];
    a.push(format!("--algo {algo}"));
    if from != 0 {
        a.push(format!("--from {from}"));
    }
    if to != u16::MAX {
        a.push(format!("--to {to}"));
    }
    if flags & 2 != 0 {
        a.push("--icase".into());
    }
    Some(verbatim(name, a))
}

fn target_idletimer(name: &str, rev: u32, b: &[u8], _cx: &XtContext<'_>) -> Option<XtTarget> {
    // `idletimer_tg_info{,_v1}`: timeout, label[28], then (v1) send_nl_msg, timer_type.
    let timeout = u32_at(b, 0)?;
    let label = cstr_at(b, 4, 28)?;
    let mut a = format!("--timeout {timeout} --label {}", word(&label));
    match rev {
        0 => {}
        1 => {
            if u8_at(b, 33)? & 1 != 0 {
                a.push_str(" --alarm");
            }
        }
        _ => return None,
    }
    Some(verbatim_target(name, a))
}

fn target_connsecmark(name: &str, rev: u32, b: &[u8], _cx: &XtContext<'_>) -> Option<XtTarget> {
    if rev != 0 {
        return None;
    }
    let mode = match u8_at(b, 0)? {
        1 => "--save",
        2 => "--restore",
        _ => return None,
    };
    Some(verbatim_target(name, mode.into()))
}

fn target_classify(name: &str, rev: u32, b: &[u8], _cx: &XtContext<'_>) -> Option<XtTarget> {
    if rev != 0 {
        return None;
    }
    let p = u32_at(b, 0)?;
    Some(verbatim_target(
        name,
        format!("--set-class {:04x}:{:04x}", p >> 16, p & 0xffff),
    ))
}

fn target_checksum(name: &str, rev: u32, b: &[u8], _cx: &XtContext<'_>) -> Option<XtTarget> {
    if rev != 0 || u8_at(b, 0)? & 1 == 0 {
        return None;
    }
    Some(verbatim_target(name, "--checksum-fill".into()))
}

fn target_tcpoptstrip(name: &str, rev: u32, b: &[u8], _cx: &XtContext<'_>) -> Option<XtTarget> {
    if rev != 0 {
        return None;
    }
    let mut opts = Vec::new();
    for o in 0..=255u32 {
        let word = u32_at(b, 4 * (o as usize / 32))?;
        if word & (1 << (o % 32)) != 0 {
            opts.push(o.to_string());
        }
    }
    Some(verbatim_target(
        name,
        format!("--strip-options {}", opts.join(",")),
    ))
}

fn target_ecn(name: &str, rev: u32, b: &[u8], _cx: &XtContext<'_>) -> Option<XtTarget> {
    if rev != 0 {
        return None;
    }
    // `struct ipt_ECN_info`: operation, ip_ect, tcp {ece:1, cwr:1}.
    let (op, ect, tcp) = (u8_at(b, 0)?, u8_at(b, 1)?, u8_at(b, 2)?);
    let (ece, cwr) = (tcp & 1 != 0, tcp & 2 != 0);
    let mut a = Vec::new();
    if op & 0x30 == 0x30 && !ece && !cwr {
        a.push("--ecn-tcp-remove".to_string());
    } else {
        if op & 0x10 != 0 {
            a.push(format!("--ecn-tcp-ece {}", u8::from(ece)));
        }
        if op & 0x20 != 0 {
            a.push(format!("--ecn-tcp-cwr {}", u8::from(cwr)));
        }
    }
    if op & 0x01 != 0 {
        a.push(format!("--ecn-ip-ect {ect}"));
    }
    Some(verbatim_target(name, a.join(" ")))
}

fn target_synproxy(name: &str, rev: u32, b: &[u8], _cx: &XtContext<'_>) -> Option<XtTarget> {
    if rev != 0 {
        return None;
    }
    // `struct xt_synproxy_info`: options, wscale, mss.
    let (opts, wscale, mss) = (u8_at(b, 0)?, u8_at(b, 1)?, u16_at(b, 2)?);
    let mut a = Vec::new();
    if opts & 4 != 0 {
        a.push("--sack-perm".to_string());
    }
    if opts & 8 != 0 {
        a.push("--timestamp".to_string());
    }
    if opts & 2 != 0 {
        a.push(format!("--wscale {wscale}"));
    }
    if opts & 1 != 0 {
        a.push(format!("--mss {mss}"));
    }
    if opts & 16 != 0 {
        a.push("--ecn".to_string());
    }
    Some(verbatim_target(name, a.join(" ")))
}
