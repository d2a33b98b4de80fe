//! Non-terminal statements: nat, dup, tproxy, log, reject and their flags.

use super::*;

/// Log flags (`NF_LOG_*`) as nft lists them, one `flags ...` group each.
pub(super) fn log_flags(f: u32) -> Vec<String> {
    const ALL: u32 = 0x2f;
    if f & ALL == ALL {
        let mut v = vec!["flags all".to_string()];
        if f & !ALL != 0 {
            v.push(format!("flags 0x{:x}", f & !ALL));
        }
        return v;
    }
    let mut v = Vec::new();
    match f & 0x3 {
        0x1 => v.push("flags tcp sequence".to_string()),
        0x2 => v.push("flags tcp options".to_string()),
        0x3 => v.push("flags tcp sequence,options".to_string()),
        _ => {}
    }
    if f & 0x4 != 0 {
        v.push("flags ip options".into());
    }
    if f & 0x8 != 0 {
        v.push("flags skuid".into());
    }
    if f & 0x20 != 0 {
        v.push("flags ether".into());
    }
    if f & !ALL != 0 {
        v.push(format!("flags 0x{:x}", f & !ALL));
    }
    v
}

pub(super) fn m_same(a: Option<u32>, b: Option<u32>) -> bool {
    a.is_some() && a == b
}

pub(super) fn reg_text(r: &Reg) -> String {
    match r {
        Reg::Load {
            field, mask, xor, ..
        } => {
            let mut s = field.text();
            if let Some(m) = mask {
                s.push_str(&format!(" & {}", hex(m)));
            }
            if let Some(x) = xor.as_ref().filter(|x| x.iter().any(|b| *b != 0)) {
                s.push_str(&format!(" ^ {}", hex(x)));
            }
            s
        }
        // nft prints 32-bit immediates (marks, integers) as host-order numbers.
        Reg::Imm(v) if v.len() == 4 => format!("0x{:08x}", u32_ne(v)),
        Reg::Imm(v) => hex(v),
        Reg::Text(t) => t.clone(),
        Reg::MapPart => String::new(),
    }
}

pub(super) fn nat_flags(flags: u32) -> Vec<String> {
    let mut v = Vec::new();
    if flags & 0x4 != 0 {
        v.push("random".to_string());
    }
    if flags & 0x8 != 0 {
        v.push("persistent".to_string());
    }
    if flags & 0x10 != 0 {
        v.push("fully-random".to_string());
    }
    // NF_NAT_RANGE_NETMAP: `snat ip prefix to ...`.
    if flags & 0x40 != 0 {
        v.push("prefix".to_string());
    }
    v
}

/// The reject type as iptables' `--reject-with` names it (how every parser keeps it), `None`
/// for the default (port unreachable). `v6`: the packet is IPv6 (family or dependency).
pub(super) fn reject_text(v6: bool, ty: u32, code: u8) -> Option<String> {
    let name = match (ty, v6, code) {
        (1, _, _) => "tcp-reset",
        (0, false, 0) => "icmp-net-unreachable",
        (0, false, 1) => "icmp-host-unreachable",
        (0, false, 2) => "icmp-proto-unreachable",
        (0, false, 3) | (0, true, 4) | (2, _, 1) => return None,
        (0, false, 9) => "icmp-net-prohibited",
        (0, false, 10) => "icmp-host-prohibited",
        (0, false, 13) => "icmp-admin-prohibited",
        (0, true, 0) => "icmp6-no-route",
        (0, true, 1) => "icmp6-adm-prohibited",
        (0, true, 3) => "icmp6-addr-unreachable",
        (0, true, 5) => "icmp6-policy-fail",
        (0, true, 6) => "icmp6-reject-route",
        (2, _, 0) => "icmpx-no-route",
        (2, _, 2) => "icmpx-host-unreachable",
        (2, _, 3) => "icmpx-admin-prohibited",
        _ => return Some(format!("type {ty} code {code}")),
    };
    Some(name.to_string())
}

pub(super) fn log_level_name(l: u32) -> String {
    match l {
        0 => "emerg",
        1 => "alert",
        2 => "crit",
        3 => "err",
        4 => "warn",
        5 => "notice",
        6 => "info",
        7 => "debug",
        8 => "audit",
        _ => return l.to_string(),
    }
    .to_string()
}

pub(super) fn obj_type_name(t: u32) -> &'static str {
    match t {
        1 => "counter",
        2 => "quota",
        3 => "ct helper",
        4 => "limit",
        5 => "connlimit",
        6 => "tunnel",
        7 => "ct timeout",
        8 => "secmark",
        9 => "ct expectation",
        10 => "synproxy",
        _ => "object",
    }
}

/// A byte count as nft prints it: in the largest of bytes, kbytes and mbytes that divides it.
pub(super) fn byte_units(mut n: u64) -> String {
    let mut unit = 0;
    while unit < 2 && n != 0 && n.is_multiple_of(1024) {
        n /= 1024;
        unit += 1;
    }
    format!("{n} {}", ["bytes", "kbytes", "mbytes"][unit])
}

/// A time in milliseconds as nft prints it (`1d2h3m4s5ms`).
pub(super) fn time_text(ms: u64) -> String {
    if ms == 0 {
        return "0s".into();
    }
    let mut out = String::new();
    let mut rest = ms;
    for (unit, size) in [
        ("d", 86_400_000u64),
        ("h", 3_600_000),
        ("m", 60_000),
        ("s", 1000),
        ("ms", 1),
    ] {
        let n = rest / size;
        rest %= size;
        if n != 0 {
            out.push_str(&format!("{n}{unit}"));
        }
    }
    out
}

impl State<'_> {
    /// `dup [sreg_addr A] [sreg_dev D]` and `fwd sreg_dev D [sreg_addr A nfproto F]`
    /// (libnftnl's text) as nft lists them: `dup to 192.168.2.1 device "lo"`, `fwd to "lo"`,
    /// `fwd ip to 192.168.2.200 device "lo"`. A device is an interface index, named as `iif`
    /// is (by the host); an address or device from a map keeps the map's text. `false` when
    /// it does not read so.
    pub(super) fn dup_fwd(&mut self, name: &str, raw: &str) -> bool {
        let w: Vec<&str> = raw.split_whitespace().collect();
        let word = |k: &str| {
            w.iter()
                .position(|x| *x == k)
                .and_then(|i| w.get(i + 1))
                .and_then(|v| v.parse::<u32>().ok())
        };
        let known = w.chunks(2).all(
            |c| matches!(c, ["sreg_addr" | "sreg_dev" | "nfproto", v] if v.parse::<u32>().is_ok()),
        );
        if !known {
            return false;
        }
        let addr = match word("sreg_addr").map(|r| self.reg(r).cloned()) {
            None => None,
            Some(Some(Reg::Imm(b))) => {
                let v6 = match b.len() {
                    4 => false,
                    16 => true,
                    _ => return false,
                };
                match ip_from(&b, v6) {
                    Some(ip) => Some(ip.to_string()),
                    None => return false,
                }
            }
            Some(Some(r @ Reg::Text(_))) => Some(reg_text(&r)),
            Some(_) => return false,
        };
        let dev = match word("sreg_dev").map(|r| self.reg(r).cloned()) {
            None => None,
            Some(Some(Reg::Imm(b))) if b.len() == 4 => Some(format_value(20, &b)),
            Some(Some(r @ Reg::Text(_))) => Some(reg_text(&r)),
            Some(_) => return false,
        };
        let family = match word("nfproto") {
            Some(2) => "ip ",
            Some(10) => "ip6 ",
            _ => "",
        };
        let args = match (addr, dev) {
            (Some(a), Some(d)) => format!("{family}to {a} device {d}"),
            (Some(a), None) => format!("{family}to {a}"),
            (None, Some(d)) => format!("to {d}"),
            (None, None) => return false,
        };
        self.rule.statements.push(Statement::Other {
            target: name.into(),
            args,
            lossy: false,
        });
        true
    }

    /// The field and the value of a payload write (`ip ttl set 23`): a constant by the
    /// field's type; a field smaller than the bytes written (nft loads them, replaces the
    /// field's bits with `& mask ^ value` and writes them back) by the bits the mask clears.
    pub(super) fn payload_write(
        &self,
        base: u32,
        offset: u32,
        len: u32,
        sreg: u32,
    ) -> (String, String) {
        let field = self.payload(base, offset, len);
        match self.reg(sreg) {
            Some(Reg::Imm(v)) if v.len() >= len as usize => {
                (field.text(), field.render(&v[..len as usize]))
            }
            Some(Reg::Load {
                mask: Some(m), xor, ..
            }) if m.len() == len as usize && len <= 8 => {
                let all = if len >= 8 {
                    u64::MAX
                } else {
                    (1u64 << (len * 8)) - 1
                };
                let be = |b: &[u8]| b.iter().fold(0u64, |v, x| (v << 8) | u64::from(*x));
                let cleared = !be(m) & all;
                let written = self
                    .hdr(base, offset)
                    .and_then(|h| hdr_fields::written_field(h, offset, len, cleared));
                match written {
                    Some(h) => {
                        let x = xor.clone().unwrap_or_else(|| vec![0; len as usize]);
                        // nft prints a written protocol as a number (`ip protocol set 1`).
                        let v = if h.kind == hdr_fields::Kind::InetProto {
                            hdr_fields::value(&h, &x).to_string()
                        } else {
                            hdr_fields::render(&h, &x)
                        };
                        (h.name.to_string(), v)
                    }
                    None => (
                        field.text(),
                        reg_text(self.reg(sreg).unwrap_or(&Reg::MapPart)),
                    ),
                }
            }
            Some(r) => (field.text(), reg_text(r)),
            None => (field.text(), String::new()),
        }
    }

    /// `rt load KEY => reg N` and `socket load KEY => reg N` (libnftnl's text): a routing or
    /// socket property into a register, named as nft lists it (`rt ip nexthop`, `socket
    /// transparent`); `false` for other expressions and keys.
    pub(super) fn keyed_load(&mut self, name: &str, raw: &str) -> bool {
        let w: Vec<&str> = raw.split_whitespace().collect();
        let ["load", key, "=>", "reg", dreg, ..] = w.as_slice() else {
            return false;
        };
        let Ok(dreg) = dreg.parse::<u32>() else {
            return false;
        };
        let (text, len) = match (name, *key) {
            ("rt", "classid") => ("rt classid", 4),
            ("rt", "nexthop4") => ("rt ip nexthop", 4),
            ("rt", "nexthop6") => ("rt ip6 nexthop", 16),
            ("rt", "tcpmss") => ("rt mtu", 2),
            ("rt", "ipsec") => ("rt ipsec", 1),
            ("socket", "transparent") => ("socket transparent", 1),
            ("socket", "mark") => ("socket mark", 4),
            ("socket", "wildcard") => ("socket wildcard", 1),
            _ => return false,
        };
        self.set_reg(
            dreg,
            Reg::Load {
                field: Field::Raw(text.to_string()),
                len,
                mask: None,
                xor: None,
            },
        );
        true
    }

    /// `reg D = jhash(reg S, LEN, SEED) % mod M [offset O]` and `reg D = symhash() % mod M
    /// [offset O]` (libnftnl's text of `hash`): the hash into a register, as nft lists it
    /// (`jhash ip saddr . ip daddr mod 2 seed 0xdeadbeef offset 100`; a zero seed, which
    /// nft sends when none is given, left out); `false` if it does not read so.
    pub(super) fn hash(&mut self, raw: &str) -> bool {
        let Some(rest) = raw.trim().strip_prefix("reg ") else {
            return false;
        };
        let Some((dreg, rest)) = rest.split_once(" = ") else {
            return false;
        };
        let Ok(dreg) = dreg.trim().parse::<u32>() else {
            return false;
        };
        let Some((call, tail)) = rest.split_once(" % mod ") else {
            return false;
        };
        let mut tail = tail.split_whitespace();
        let Some(Ok(modulus)) = tail.next().map(str::parse::<u32>) else {
            return false;
        };
        let offset = match (tail.next(), tail.next()) {
            (Some("offset"), Some(o)) => o.parse::<u32>().ok(),
            _ => None,
        };
        let text = if call == "symhash()" {
            format!("symhash mod {modulus}")
        } else {
            let Some(args) = call
                .strip_prefix("jhash(reg ")
                .and_then(|a| a.strip_suffix(')'))
            else {
                return false;
            };
            let parts: Vec<&str> = args.split(", ").collect();
            let [sreg, len, seed] = parts.as_slice() else {
                return false;
            };
            let (Ok(sreg), Ok(len)) = (sreg.parse::<u32>(), len.parse::<usize>()) else {
                return false;
            };
            let key = match self.concat_fields(sreg, len) {
                Some(f) => f
                    .iter()
                    .map(|(f, _)| f.text())
                    .collect::<Vec<_>>()
                    .join(" . "),
                None => return false,
            };
            let seed = if *seed == "0x0" {
                String::new()
            } else {
                format!(" seed {seed}")
            };
            format!("jhash {key} mod {modulus}{seed}")
        };
        let off = offset.map(|o| format!(" offset {o}")).unwrap_or_default();
        self.set_reg(dreg, Reg::Text(format!("{text}{off}")));
        true
    }

    /// `sreg_qnum N [bypass] [fanout]`: a queue whose number a register holds, as nft lists
    /// it (`queue flags bypass to numgen inc mod 65536`); `false` if it does not read so.
    pub(super) fn queue_from_reg(&mut self, raw: &str) -> bool {
        let w: Vec<&str> = raw.split_whitespace().collect();
        let ["sreg_qnum", r, flags @ ..] = w.as_slice() else {
            return false;
        };
        let Some(reg) = r.parse::<u32>().ok().and_then(|r| self.reg(r).cloned()) else {
            return false;
        };
        let flags: Vec<&str> = flags
            .iter()
            .copied()
            .filter(|f| matches!(*f, "bypass" | "fanout"))
            .collect();
        let mut s = format!("to {}", reg_text(&reg));
        if !flags.is_empty() {
            s = format!("flags {} {s}", flags.join(","));
        }
        self.rule.verdict = Some(Verdict::queue(&s));
        true
    }

    /// `count N flags F` (`connlimit`) as nft lists it, a condition among the matches:
    /// `ct count 3`, with flag `NFT_CONNLIMIT_F_INV` `ct count over 3`; `false` if it does
    /// not read so.
    pub(super) fn connlimit(&mut self, raw: &str) -> bool {
        let w: Vec<&str> = raw.split_whitespace().collect();
        let ["count", n, "flags", f] = w.as_slice() else {
            return false;
        };
        let (Ok(n), Ok(f)) = (
            n.parse::<u32>(),
            u32::from_str_radix(f.trim_start_matches("0x"), 16),
        ) else {
            return false;
        };
        let over = if f & 1 != 0 { "over " } else { "" };
        self.push_other(format!("ct count {over}{n}"));
        true
    }

    /// `mss M wscale W [flags F]` (`synproxy`) as nft lists it: `synproxy mss 1460 wscale 5
    /// timestamp sack-perm`, the options the flags select (`NF_SYNPROXY_OPT_*`); without
    /// flags (libnftnl's text), the non-zero values. `false` if it does not read so.
    pub(super) fn synproxy(&mut self, raw: &str) -> bool {
        let w: Vec<&str> = raw.split_whitespace().collect();
        let num = |k: &str| {
            w.iter()
                .position(|x| *x == k)
                .and_then(|i| w.get(i + 1))
                .and_then(|v| v.parse::<u32>().ok())
        };
        let (Some(mss), Some(wscale)) = (num("mss"), num("wscale")) else {
            return false;
        };
        let flags = num("flags");
        let on = |bit: u32, value: u32| flags.map_or(value != 0, |f| f & bit != 0);
        let mut parts = Vec::new();
        if on(0x1, mss) {
            parts.push(format!("mss {mss}"));
        }
        if on(0x2, wscale) {
            parts.push(format!("wscale {wscale}"));
        }
        if flags.is_some_and(|f| f & 0x8 != 0) {
            parts.push("timestamp".into());
        }
        if flags.is_some_and(|f| f & 0x4 != 0) {
            parts.push("sack-perm".into());
        }
        self.rule.statements.push(Statement::Other {
            target: "synproxy".into(),
            args: parts.join(" "),
            lossy: false,
        });
        true
    }

    /// `osf dreg N [ttl T] [flags F]`: the operating system fingerprint's name (or with
    /// flag `NFT_OSF_F_VERSION`, its version) into a register; `false` if it does not read so.
    pub(super) fn osf(&mut self, raw: &str) -> bool {
        let w: Vec<&str> = raw.split_whitespace().collect();
        let word = |k: &str| {
            w.iter()
                .position(|x| *x == k)
                .and_then(|i| w.get(i + 1))
                .and_then(|v| v.parse::<u32>().ok())
        };
        let Some(dreg) = word("dreg") else {
            return false;
        };
        let ttl = match word("ttl") {
            Some(1) => "ttl loose ",
            Some(2) => "ttl skip ",
            _ => "",
        };
        let what = if word("flags").is_some_and(|f| f & 1 != 0) {
            "version"
        } else {
            "name"
        };
        self.set_reg(
            dreg,
            Reg::Load {
                field: Field::Str(format!("osf {ttl}{what}")),
                len: 16,
                mask: None,
                xor: None,
            },
        );
        true
    }

    /// `load DIR SPNUM KEY => reg N` (libnftnl's text of `xfrm`): an IPsec state field into
    /// a register, named as nft lists it (`ipsec in spnum 2 ip saddr`); `false` if it does
    /// not read so.
    pub(super) fn xfrm(&mut self, raw: &str) -> bool {
        let w: Vec<&str> = raw.split_whitespace().collect();
        let ["load", dir @ ("in" | "out"), spnum, key, "=>", "reg", dreg] = w.as_slice() else {
            return false;
        };
        let (Ok(spnum), Ok(dreg)) = (spnum.parse::<u32>(), dreg.parse::<u32>()) else {
            return false;
        };
        let (key, token) = match *key {
            "daddr4" => (1, "ip daddr"),
            "daddr6" => (2, "ip6 daddr"),
            "saddr4" => (3, "ip saddr"),
            "saddr6" => (4, "ip6 saddr"),
            "reqid" => (5, "reqid"),
            "spi" => (6, "spi"),
            _ => return false,
        };
        let sp = if spnum != 0 {
            format!(" spnum {spnum}")
        } else {
            String::new()
        };
        self.set_reg(
            dreg,
            Reg::Load {
                field: Field::Xfrm {
                    name: format!("ipsec {dir}{sp} {token}"),
                    key,
                },
                len: if matches!(key, 2 | 4) { 16 } else { 4 },
                mask: None,
                xor: None,
            },
        );
        true
    }

    /// `tproxy [ip|ip6] [addr reg N] [port reg M]` as nft lists it (`tproxy ip to 1.2.3.4:80`,
    /// the family only in tables of several families); `false` if it does not read so.
    pub(super) fn tproxy(&mut self, raw: &str) -> bool {
        let w: Vec<&str> = raw.split_whitespace().collect();
        let (fam, rest) = match w.as_slice() {
            [f @ ("ip" | "ip6"), rest @ ..] => (Some(*f), rest),
            rest => (None, rest),
        };
        let (mut addr, mut port) = (None, None);
        let mut i = 0;
        while i < rest.len() {
            match (rest.get(i), rest.get(i + 1), rest.get(i + 2)) {
                (Some(&"addr"), Some(&"reg"), Some(r)) => addr = r.parse::<u32>().ok(),
                (Some(&"port"), Some(&"reg"), Some(r)) => port = r.parse::<u32>().ok(),
                _ => return false,
            }
            i += 3;
        }
        let v6 = fam == Some("ip6");
        let a = match addr.map(|r| self.reg(r).cloned()) {
            Some(Some(Reg::Imm(b))) => {
                let Some(ip) = ip_from(&b, v6) else {
                    return false;
                };
                if v6 {
                    format!("[{ip}]")
                } else {
                    ip.to_string()
                }
            }
            Some(_) => return false,
            None => String::new(),
        };
        let p = match port.map(|r| self.reg(r).cloned()) {
            Some(Some(Reg::Imm(b))) => format!(":{}", u16_be(&b)),
            Some(_) => return false,
            None => String::new(),
        };
        let f = match fam {
            Some(f) if !matches!(self.family, Family::Ip | Family::Ip6) => format!("{f} "),
            _ => String::new(),
        };
        self.rule.statements.push(Statement::Other {
            target: "tproxy".into(),
            args: format!("{f}to {a}{p}"),
            lossy: false,
        });
        true
    }

    pub(super) fn addr_regs(&self, min: Option<u32>, max: Option<u32>, v6: bool) -> Option<String> {
        let first = self.reg(min?)?;
        let text = |r: &Reg| match r {
            Reg::Imm(b) => ip_from(b, v6).map_or_else(|| hex(b), |a| a.to_string()),
            other => reg_text(other),
        };
        let a = text(first);
        match max.and_then(|m| self.reg(m)) {
            Some(last) if Some(m_same(min, max)) != Some(true) => {
                let b = text(last);
                if b == a {
                    Some(a)
                } else {
                    Some(format!("{a}-{b}"))
                }
            }
            _ => Some(a),
        }
    }

    pub(super) fn port_regs(&self, min: Option<u32>, max: Option<u32>) -> Option<String> {
        let text = |r: &Reg| match r {
            Reg::Imm(b) => u16_be(b).to_string(),
            other => reg_text(other),
        };
        let first = self.reg(min?)?;
        // The port half of a map's concatenated data (`dnat to ip saddr . tcp dport map @z`):
        // nft prints the map once, as the address.
        if matches!(first, Reg::MapPart) {
            return None;
        }
        let a = text(first);
        match max.and_then(|m| self.reg(m)) {
            Some(last) if !m_same(min, max) => {
                let b = text(last);
                if b == a {
                    Some(a)
                } else {
                    Some(format!("{a}-{b}"))
                }
            }
            _ => Some(a),
        }
    }
}
