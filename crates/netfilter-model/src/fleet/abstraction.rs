//! Per-node parts of rule and chain texts replaced by placeholders, so that healthy nodes of a
//! fleet, whose pods (and so interface names, endpoint chains and addresses) differ, compare equal.
//!
//! Version 1 of the abstraction (part of [`super::FINGERPRINT_VERSION`]) replaces, wherever they
//! stand as whole words:
//!
//! | per-node part | example | placeholder |
//! |---|---|---|
//! | Calico workload interface (`cali` + 11 hex digits) | `cali9f8e7d6c5b4` | `cali<if>` |
//! | Calico interface-name prefix (`cali` + 1-10 hex digits, then `*`) | `"cali1*"` | `"cali<p>*"` |
//! | Calico dispatch sub-chain suffix (`cali-{from,to}-wl-dispatch-`, `cali-set-endpoint-mark-`, `cali-from-endpoint-mark-`) | `cali-from-wl-dispatch-1` | `cali-from-wl-dispatch-<p>` |
//! | Calico rule id (`cali:` + 16 id characters) | `cali:WuW-v0hFU6WR8AOY` | `cali:<id>` |
//! | generic CNI veth (`veth` + 6 or more hex digits) | `veth1a2b3c4d` | `veth<if>` |
//! | Cilium endpoint interface (`lxc` + 6 or more hex digits) | `lxc0a1b2c3d4e5f` | `lxc<if>` |
//! | kube-proxy endpoint chain (`KUBE-SEP-` + 16 characters) | `KUBE-SEP-ABCDEFGHIJKLMNOP` | `KUBE-SEP-<ep>` |
//! | endpoint addresses: any IP address in a rule or set element that also names one of the above, or in a chain whose name does | `10.244.1.9`, `10.244.1.9/32` | `<addr>` |

/// Calico chains split by interface-name prefix when a node has many endpoints (Felix's
/// dispatch chains), and the placeholder of their per-node suffix.
const SPLIT_CHAINS: [(&str, &str); 4] = [
    ("cali-from-wl-dispatch-", "cali-from-wl-dispatch-<p>"),
    ("cali-to-wl-dispatch-", "cali-to-wl-dispatch-<p>"),
    ("cali-set-endpoint-mark-", "cali-set-endpoint-mark-<p>"),
    ("cali-from-endpoint-mark-", "cali-from-endpoint-mark-<p>"),
];

/// A text with its per-node parts replaced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Abstracted {
    /// The text with placeholders.
    pub text: String,
    /// Whether anything was replaced.
    pub changed: bool,
}

/// Concrete per-node interface names found while abstracting (to count a node's endpoints).
pub type InterfaceSink<'a> = Option<&'a mut Vec<String>>;

fn is_hex(b: u8) -> bool {
    b.is_ascii_digit() || (b'a'..=b'f').contains(&b)
}

fn is_word(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

fn is_calico_id(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'-'
}

/// Length of the run of bytes satisfying `f` starting at `i`.
fn run(bytes: &[u8], i: usize, f: impl Fn(u8) -> bool) -> usize {
    bytes[i..].iter().take_while(|b| f(**b)).count()
}

/// What replaces the word starting at `i`, and how many bytes it covers.
fn token_at(bytes: &[u8], i: usize) -> Option<(&'static str, usize, bool)> {
    let rest = &bytes[i..];
    let word_end = |n: usize| bytes.get(i + n).is_none_or(|b| !is_word(*b));
    if rest.starts_with(b"cali:") {
        let n = run(bytes, i + 5, is_calico_id);
        if n == 16 {
            return Some(("cali:<id>", 21, false));
        }
    }
    if rest.starts_with(b"cali") {
        let n = run(bytes, i + 4, is_hex);
        if n == 11 && word_end(15) {
            return Some(("cali<if>", 15, true));
        }
        if (1..=10).contains(&n) && bytes.get(i + 4 + n) == Some(&b'*') {
            return Some(("cali<p>", 4 + n, false));
        }
    }
    for (prefix, placeholder) in SPLIT_CHAINS {
        if rest.starts_with(prefix.as_bytes()) {
            let n = run(bytes, i + prefix.len(), is_hex);
            if n > 0 && word_end(prefix.len() + n) && bytes.get(i + prefix.len() + n) != Some(&b'-')
            {
                return Some((placeholder, prefix.len() + n, false));
            }
        }
    }
    for (prefix, placeholder) in [(&b"veth"[..], "veth<if>"), (&b"lxc"[..], "lxc<if>")] {
        if rest.starts_with(prefix) {
            let n = run(bytes, i + prefix.len(), is_hex);
            if n >= 6 && word_end(prefix.len() + n) {
                return Some((placeholder, prefix.len() + n, true));
            }
        }
    }
    if rest.starts_with(b"KUBE-SEP-") {
        let n = run(bytes, i + 9, |b| {
            b.is_ascii_uppercase() || b.is_ascii_digit()
        });
        if n == 16 && word_end(25) {
            return Some(("KUBE-SEP-<ep>", 25, false));
        }
    }
    None
}

/// Replaces the per-node names in `text` (not addresses: see [`abstract_rule`]). Concrete
/// interface names found are pushed to `found`.
pub fn abstract_names(text: &str, found: InterfaceSink<'_>) -> Abstracted {
    let mut out = String::new();
    let changed = abstract_names_into(text, found, &mut out);
    Abstracted { text: out, changed }
}

/// [`abstract_names`] into `out` (cleared first); returns whether anything was replaced.
pub fn abstract_names_into(text: &str, mut found: InterfaceSink<'_>, out: &mut String) -> bool {
    out.clear();
    let bytes = text.as_bytes();
    let mut copied = 0;
    let mut i = 0;
    while i < bytes.len() {
        // Every placeholder's word starts with one of these letters.
        let candidate = matches!(bytes[i], b'c' | b'v' | b'l' | b'K');
        if candidate && (i == 0 || !is_word(bytes[i - 1])) {
            if let Some((placeholder, len, is_iface)) = token_at(bytes, i) {
                out.push_str(&text[copied..i]);
                out.push_str(placeholder);
                if is_iface {
                    if let Some(f) = found.as_deref_mut() {
                        f.push(text[i..i + len].to_string());
                    }
                }
                i += len;
                copied = i;
                continue;
            }
        }
        i += 1;
    }
    out.push_str(&text[copied..]);
    copied > 0
}

/// Whether `token` (with a `/len` prefix length or a `:port` after an IPv4 address allowed, and
/// trailing `,` or `;` ignored) is an IP address.
fn is_address(token: &str) -> bool {
    let t = token.trim_end_matches([',', ';']).trim_matches('"');
    // Cheap rejection first: most words of a rule are keywords.
    let b = t.as_bytes();
    if b.is_empty()
        || !(b[0].is_ascii_hexdigit() || b[0] == b':')
        || !b.iter().any(|c| *c == b'.' || *c == b':')
        || !b.iter().any(u8::is_ascii_digit)
    {
        return false;
    }
    let t = t.split('/').next().unwrap_or(t);
    if t.parse::<std::net::IpAddr>().is_ok() {
        return true;
    }
    match t.rsplit_once(':') {
        Some((a, port)) => {
            a.parse::<std::net::Ipv4Addr>().is_ok() && port.bytes().all(|b| b.is_ascii_digit())
        }
        None => false,
    }
}

/// Replaces every IP address word of `text` with `<addr>` (keeping a trailing `,`); returns
/// whether there was one.
fn abstract_addresses(text: &mut String) -> bool {
    if !text.split(' ').any(is_address) {
        return false;
    }
    let mut out = String::with_capacity(text.len());
    for (n, w) in text.split(' ').enumerate() {
        if n > 0 {
            out.push(' ');
        }
        if is_address(w) {
            out.push_str("<addr>");
            out.push_str(&w[w.trim_end_matches([',', ';']).len()..]);
        } else {
            out.push_str(w);
        }
    }
    *text = out;
    true
}

/// Abstracts one rule's canonical text (or one set element). `per_endpoint` says that its
/// chain's or set's own name was abstracted: then its addresses are endpoint addresses too.
pub fn abstract_rule(text: &str, per_endpoint: bool, found: InterfaceSink<'_>) -> Abstracted {
    let mut out = String::new();
    let changed = abstract_rule_into(text, per_endpoint, found, &mut out);
    Abstracted { text: out, changed }
}

/// [`abstract_rule`] into `out` (cleared first); returns whether anything was replaced (or,
/// for a per-endpoint rule, always true: it stands for every endpoint's copy).
pub fn abstract_rule_into(
    text: &str,
    per_endpoint: bool,
    found: InterfaceSink<'_>,
    out: &mut String,
) -> bool {
    let named = abstract_names_into(text, found, out);
    if named || per_endpoint {
        abstract_addresses(out);
        true
    } else {
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(s: &str) -> String {
        abstract_names(s, None).text
    }

    #[test]
    fn calico_names_ids_and_prefixes() {
        assert_eq!(
            names(
                r#"iifname "cali9f8e7d6c5b4" goto cali-fw-cali9f8e7d6c5b4 comment "cali:WuW-v0hFU6WR8AOY""#
            ),
            r#"iifname "cali<if>" goto cali-fw-cali<if> comment "cali:<id>""#
        );
        assert_eq!(
            names(r#"iifname "cali1*" goto cali-from-wl-dispatch-1"#),
            r#"iifname "cali<p>*" goto cali-from-wl-dispatch-<p>"#
        );
        assert_eq!(
            names("goto cali-set-endpoint-mark-a3"),
            "goto cali-set-endpoint-mark-<p>"
        );
        assert_eq!(
            names(r#"comment "cali:q2nAnOXfBjJjM0UP; Unknown interface""#),
            r#"comment "cali:<id>; Unknown interface""#
        );
        // Fixed parts stay: the `cali*` wildcard, chain names without a per-node part.
        for kept in [
            r#"iifname "cali*" jump cali-from-wl-dispatch"#,
            "jump cali-pro-kns.default",
            "goto cali-from-wl-dispatch-x",
            "jump calico-0123456789a",
            "jump cali0123456789ab",
        ] {
            assert_eq!(names(kept), kept);
        }
    }

    #[test]
    fn other_cni_and_kube_proxy_endpoints() {
        let mut found = Vec::new();
        let a = abstract_names(
            r#"iifname "veth1a2b3c4d" oifname "lxc0a1b2c3d4e5f" jump KUBE-SEP-ABCDEFGHIJKLMNOP"#,
            Some(&mut found),
        );
        assert_eq!(
            a.text,
            r#"iifname "veth<if>" oifname "lxc<if>" jump KUBE-SEP-<ep>"#
        );
        assert_eq!(found, ["veth1a2b3c4d", "lxc0a1b2c3d4e5f"]);
        assert_eq!(
            names("jump KUBE-SVC-ABCDEFGHIJKLMNOP"),
            "jump KUBE-SVC-ABCDEFGHIJKLMNOP"
        );
        assert_eq!(names(r#"iifname "lxc_health""#), r#"iifname "lxc_health""#);
    }

    #[test]
    fn addresses_only_next_to_per_node_names() {
        let r = abstract_rule(
            r#"iifname "cali9f8e7d6c5b4" ip saddr 10.244.1.9 accept"#,
            false,
            None,
        );
        assert_eq!(r.text, r#"iifname "cali<if>" ip saddr <addr> accept"#);
        let r = abstract_rule("ip saddr 10.244.1.9/32 dnat to 10.244.1.9:8080", true, None);
        assert_eq!(r.text, "ip saddr <addr> dnat to <addr>");
        let r = abstract_rule("ip daddr { 10.0.0.1, fd00::1 } accept", true, None);
        assert_eq!(r.text, "ip daddr { <addr>, <addr> } accept");
        let kept = "ip saddr 10.0.0.0/8 accept";
        let r = abstract_rule(kept, false, None);
        assert!(!r.changed);
        assert_eq!(r.text, kept);
    }
}
