//! The text forms of a NAT target (`10.0.0.1:80`, `[fd00::1]-[fd00::9]:80-90`), read and written alike by every source.
//!
//! An IPv6 target with a port is written in brackets, since the colons of the address would
//! otherwise run into the port's: iptables puts a range in one pair (`[a-b]:p`), nft each end
//! in its own (`[a]-[b]:p`). The model keeps the address (`a` or `a-b`) and the port apart,
//! without brackets.

/// Splits a NAT target into address (a range as `a-b`) and port (or port range):
/// `10.0.0.1:80`, `10.0.0.1-10.0.0.9:1000-2000`, `[fe80::1]:80`, `[fd00::1-fd00::9]:80`
/// (iptables), `[fd00::1]-[fd00::9]:80` (nft),
/// `fe80::1`, `fd00::1-fd00::9`, `:8080`. The range `a-a` is the address `a`. Text that
/// fits none of these is kept whole as the address.
pub fn split_nat_target(s: &str) -> (Option<String>, Option<String>) {
    let (addr, port) = if let Some(p) = s.strip_prefix(':') {
        (String::new(), Some(p.to_string()))
    } else if s.starts_with('[') {
        bracketed(s).unwrap_or_else(|| (s.to_string(), None))
    } else if s.matches(':').count() == 1 {
        match s.split_once(':') {
            Some((a, p)) => (a.to_string(), Some(p.to_string())),
            None => (s.to_string(), None),
        }
    } else {
        // An address or range without a port (IPv6 when it has colons).
        (s.to_string(), None)
    };
    let addr = match addr.split_once('-') {
        Some((a, b)) if a == b => a.to_string(),
        _ => addr,
    };
    (
        (!addr.is_empty()).then_some(addr),
        port.filter(|p| !p.is_empty()),
    )
}

/// `[a]`, `[a]:p`, `[a-b]:p`, `[a]-[b]`, `[a]-[b]:p`.
fn bracketed(s: &str) -> Option<(String, Option<String>)> {
    let (first, rest) = s.strip_prefix('[')?.split_once(']')?;
    let (addr, rest) = match rest.strip_prefix("-[") {
        Some(r) => {
            let (second, rest) = r.split_once(']')?;
            (format!("{first}-{second}"), rest)
        }
        None => (first.to_string(), rest),
    };
    match rest {
        "" => Some((addr, None)),
        r => Some((addr, Some(r.strip_prefix(':')?.to_string()))),
    }
}

/// Writes a NAT target the way nft prints it: an IPv6 address with a port in brackets
/// (`[a]:p`, `[a]-[b]:p`), a port alone as `:p`.
pub fn nat_target_text(addr: Option<&str>, port: Option<&str>) -> String {
    match (addr, port) {
        (Some(a), Some(p)) if a.contains(':') => match a.split_once('-') {
            Some((x, y)) => format!("[{x}]-[{y}]:{p}"),
            None => format!("[{a}]:{p}"),
        },
        (Some(a), Some(p)) => format!("{a}:{p}"),
        (Some(a), None) => a.to_string(),
        (None, Some(p)) => format!(":{p}"),
        (None, None) => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(s: &str) -> (Option<&str>, Option<&str>) {
        let (a, p) = split_nat_target(s);
        (
            a.map(|a| &*Box::leak(a.into_boxed_str())),
            p.map(|p| &*Box::leak(p.into_boxed_str())),
        )
    }

    #[test]
    fn every_written_form_splits_into_address_and_port() {
        let cases = [
            ("10.0.0.1", (Some("10.0.0.1"), None)),
            ("10.0.0.1:8080", (Some("10.0.0.1"), Some("8080"))),
            (
                "10.0.0.1-10.0.0.9:1000-2000",
                (Some("10.0.0.1-10.0.0.9"), Some("1000-2000")),
            ),
            ("10.0.0.1-10.0.0.1", (Some("10.0.0.1"), None)),
            ("[fe80::1]:80", (Some("fe80::1"), Some("80"))),
            ("[fe80::1]", (Some("fe80::1"), None)),
            (
                "[fd00::2]-[fd00::5]:6443-6450",
                (Some("fd00::2-fd00::5"), Some("6443-6450")),
            ),
            ("[fd00::2]-[fd00::5]", (Some("fd00::2-fd00::5"), None)),
            (
                "[fd00::2-fd00::5]:6443-6450",
                (Some("fd00::2-fd00::5"), Some("6443-6450")),
            ),
            ("fe80::1", (Some("fe80::1"), None)),
            ("fd00::1-fd00::9", (Some("fd00::1-fd00::9"), None)),
            (":80", (None, Some("80"))),
            // Malformed: kept whole rather than cut.
            ("[fe80::1", (Some("[fe80::1"), None)),
            ("[fe80::1]x", (Some("[fe80::1]x"), None)),
        ];
        for (text, want) in cases {
            assert_eq!(split(text), want, "{text}");
        }
    }

    #[test]
    fn written_forms_read_back_to_the_same_parts() {
        for text in [
            "10.0.0.1",
            "10.0.0.1:8080",
            "10.0.0.1-10.0.0.9:1000-2000",
            "[fe80::1]:80",
            "[fd00::2]-[fd00::5]:6443-6450",
            "fd00::1-fd00::9",
            ":80",
        ] {
            let (a, p) = split_nat_target(text);
            assert_eq!(nat_target_text(a.as_deref(), p.as_deref()), text);
        }
    }
}
