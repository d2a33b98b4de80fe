//! Log statement options in one spelling (nft's), whichever source wrote them.
//!
//! The same `-j LOG --log-level 7 --log-tcp-options` reads as `level debug flags tcp options`
//! in nft text, `"flags": ["tcp options"]` in nft JSON, and as level `7` and flag bits `0x2`
//! from the kernel's xt or native log expression. Normalization maps all of them to nft's
//! words so equal rules compare equal; the iptables exporter maps them back.

/// Kernel log flag bits (`NF_LOG_*`, the same values as xt_LOG's `XT_LOG_*`).
const NF_LOG_TCPSEQ: u32 = 0x01;
const NF_LOG_TCPOPT: u32 = 0x02;
const NF_LOG_IPOPT: u32 = 0x04;
const NF_LOG_UID: u32 = 0x08;
const NF_LOG_MACDECODE: u32 = 0x20;
/// `NF_LOG_MASK`: every flag nft can print, `flags all`.
const NF_LOG_MASK: u32 = 0x2f;

/// iptables LOG options and their flag bits.
const IPTABLES_FLAGS: [(&str, u32); 5] = [
    ("--log-tcp-sequence", NF_LOG_TCPSEQ),
    ("--log-tcp-options", NF_LOG_TCPOPT),
    ("--log-ip-options", NF_LOG_IPOPT),
    ("--log-uid", NF_LOG_UID),
    ("--log-macdecode", NF_LOG_MACDECODE),
];

/// A syslog level in nft's words; `None` for the default (`warn`, 4), which no source prints.
/// Unknown words (nft's `audit`) are kept as written.
pub(crate) fn canonical_log_level(level: &str) -> Option<String> {
    let name = match level.trim().to_ascii_lowercase().as_str() {
        "0" | "emerg" | "panic" => "emerg",
        "1" | "alert" => "alert",
        "2" | "crit" => "crit",
        "3" | "err" | "error" => "err",
        "4" | "warn" | "warning" => return None,
        "5" | "notice" => "notice",
        "6" | "info" => "info",
        "7" | "debug" => "debug",
        _ => return Some(level.to_string()),
    };
    Some(name.to_string())
}

/// The flag bits one option names, if it names flags: `--log-uid`, `flags tcp sequence,options`,
/// `flags all`, `flags 0x3`.
fn flag_bits(option: &str) -> Option<u32> {
    if let Some(&(_, bit)) = IPTABLES_FLAGS.iter().find(|(o, _)| *o == option) {
        return Some(bit);
    }
    let words = option.strip_prefix("flags")?;
    if let Some(hex) = words.trim().strip_prefix("0x") {
        return u32::from_str_radix(hex, 16).ok();
    }
    let mut bits = 0;
    let mut group = "";
    for w in words.split([' ', ',']).filter(|w| !w.is_empty()) {
        match (group, w) {
            (_, "all") => bits |= NF_LOG_MASK,
            (_, "skuid") => bits |= NF_LOG_UID,
            (_, "ether") => bits |= NF_LOG_MACDECODE,
            (_, "tcp" | "ip") => group = w,
            ("tcp", "sequence") => bits |= NF_LOG_TCPSEQ,
            ("tcp", "options") => bits |= NF_LOG_TCPOPT,
            ("ip", "options") => bits |= NF_LOG_IPOPT,
            _ => return None,
        }
    }
    Some(bits)
}

/// nft's words for flag bits, as `nft list ruleset` prints them.
fn flag_words(bits: u32) -> Vec<String> {
    if bits & NF_LOG_MASK == NF_LOG_MASK {
        return vec!["flags all".to_string()];
    }
    let mut out = Vec::new();
    match (bits & NF_LOG_TCPSEQ != 0, bits & NF_LOG_TCPOPT != 0) {
        (true, true) => out.push("flags tcp sequence,options".to_string()),
        (true, false) => out.push("flags tcp sequence".to_string()),
        (false, true) => out.push("flags tcp options".to_string()),
        (false, false) => {}
    }
    if bits & NF_LOG_IPOPT != 0 {
        out.push("flags ip options".to_string());
    }
    if bits & NF_LOG_UID != 0 {
        out.push("flags skuid".to_string());
    }
    if bits & NF_LOG_MACDECODE != 0 {
        out.push("flags ether".to_string());
    }
    out
}

/// The other options of a log statement in nft's words, sorted: flags merged into nft's
/// `flags ...` forms, NFLOG's `--nflog-size`/`--nflog-threshold` as `snaplen`/`queue-threshold`.
/// Options it does not know are kept as written.
pub(crate) fn canonical_log_extras(extra: &[String]) -> Vec<String> {
    let mut bits = 0;
    let mut out = Vec::new();
    for e in extra {
        if let Some(b) = flag_bits(e) {
            bits |= b;
        } else if let Some(n) = e.strip_prefix("--nflog-size ") {
            out.push(format!("snaplen {}", n.trim()));
        } else if let Some(n) = e.strip_prefix("--nflog-threshold ") {
            out.push(format!("queue-threshold {}", n.trim()));
        } else {
            out.push(e.clone());
        }
    }
    out.extend(flag_words(bits));
    out.sort();
    out.dedup();
    out
}

/// The options of a log statement as iptables writes them (the exporter's mapping back).
pub(crate) fn iptables_log_extras(extra: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    for e in extra {
        if let Some(bits) = flag_bits(e) {
            out.extend(
                IPTABLES_FLAGS
                    .iter()
                    .filter(|(_, b)| bits & b != 0)
                    .map(|(o, _)| o.to_string()),
            );
        } else if let Some(n) = e.strip_prefix("snaplen ") {
            out.push(format!("--nflog-size {n}"));
        } else if let Some(n) = e.strip_prefix("queue-threshold ") {
            out.push(format!("--nflog-threshold {n}"));
        } else {
            out.push(e.clone());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn extras(list: &[&str]) -> Vec<String> {
        canonical_log_extras(&list.iter().map(|s| s.to_string()).collect::<Vec<_>>())
    }

    #[test]
    fn every_spelling_of_a_flag_reads_the_same() {
        let want = ["flags tcp sequence,options"];
        assert_eq!(extras(&["--log-tcp-sequence", "--log-tcp-options"]), want);
        assert_eq!(extras(&["flags tcp sequence,options"]), want);
        assert_eq!(extras(&["flags tcp sequence , options"]), want);
        assert_eq!(extras(&["flags tcp sequence", "flags tcp options"]), want);
        assert_eq!(extras(&["flags 0x3"]), want);
        assert_eq!(extras(&["--log-uid"]), ["flags skuid"]);
        assert_eq!(extras(&["flags 0x2f"]), ["flags all"]);
        assert_eq!(
            extras(&["--log-ip-options", "--log-macdecode"]),
            ["flags ether", "flags ip options"]
        );
        assert_eq!(
            extras(&[
                "--nflog-size 128",
                "--nflog-threshold 10",
                "--nflog-range 5"
            ]),
            ["--nflog-range 5", "queue-threshold 10", "snaplen 128"]
        );
        assert_eq!(extras(&["flags bogus"]), ["flags bogus"]);
    }

    #[test]
    fn levels_read_as_names() {
        assert_eq!(canonical_log_level("7").as_deref(), Some("debug"));
        assert_eq!(canonical_log_level("debug").as_deref(), Some("debug"));
        assert_eq!(canonical_log_level("4"), None);
        assert_eq!(canonical_log_level("warn"), None);
        assert_eq!(canonical_log_level("error").as_deref(), Some("err"));
        assert_eq!(canonical_log_level("audit").as_deref(), Some("audit"));
    }

    #[test]
    fn the_exporter_gets_iptables_options_back() {
        let canon = extras(&["--log-tcp-options", "--log-uid", "--nflog-size 64"]);
        let mut back = iptables_log_extras(&canon);
        back.sort();
        assert_eq!(back, ["--log-tcp-options", "--log-uid", "--nflog-size 64"]);
    }
}
