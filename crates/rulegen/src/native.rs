//! Native nft shaped rulesets in the style of Calico's nftables dataplane: verdict-map
//! dispatch on interface names, named interval sets and concatenation sets.

use std::fmt::Write as _;

use crate::rng::Rng;

const HEX: &[u8] = b"0123456789abcdef";

/// Generates `nft list ruleset`-style text with `endpoints` endpoints (about 5 rules each).
pub fn generate(rng: &mut Rng, endpoints: usize) -> String {
    let mut names: Vec<String> = (0..endpoints)
        .map(|_| format!("cali{}", rng.word(HEX, 11)))
        .collect();
    names.sort();
    names.dedup();
    let mut s = String::with_capacity(endpoints * 400);
    s.push_str("table inet nfdiff-native {\n");
    s.push_str("\tset pods4 {\n\t\ttype ipv4_addr\n\t\tflags interval\n\t\telements = { ");
    let blocks = endpoints.div_ceil(250).max(1);
    for b in 0..blocks {
        if b > 0 {
            s.push_str(", ");
        }
        let _ = write!(s, "10.{}.{}.0/24", 64 + b / 250, b % 250);
    }
    s.push_str(" }\n\t}\n");
    s.push_str("\tset services {\n\t\ttype ipv4_addr . inet_service\n\t\telements = { ");
    for i in 0..(endpoints / 4).max(1) {
        if i > 0 {
            s.push_str(", ");
        }
        let _ = write!(
            s,
            "10.96.{}.{} . {}",
            i / 250,
            i % 250 + 1,
            80 + rng.below(1000)
        );
    }
    s.push_str(" }\n\t}\n");
    s.push_str("\tmap from-wl-dispatch {\n\t\ttype ifname : verdict\n\t\telements = { ");
    for (i, n) in names.iter().enumerate() {
        if i > 0 {
            s.push_str(",\n\t\t\t     ");
        }
        let _ = write!(s, "\"{n}\" : goto fw-{n}");
    }
    s.push_str(" }\n\t}\n");
    s.push_str(
        "\tchain forward {\n\t\ttype filter hook forward priority filter; policy accept;\n\
         \t\tct state established,related accept\n\
         \t\tct state invalid drop\n\
         \t\tiifname \"cali*\" iifname vmap @from-wl-dispatch\n\
         \t\tiifname \"cali*\" counter packets 0 bytes 0 drop comment \"Unknown interface\"\n\t}\n",
    );
    for n in &names {
        let _ = write!(
            s,
            "\tchain fw-{n} {{\n\
             \t\tmeta mark set mark and 0xfffeffff\n\
             \t\tip saddr != @pods4 drop\n\
             \t\tip daddr . tcp dport @services accept\n\
             \t\tudp dport 4789 drop\n\
             \t\tcounter packets 0 bytes 0 accept\n\t}}\n"
        );
    }
    s.push_str("}\n");
    s
}
