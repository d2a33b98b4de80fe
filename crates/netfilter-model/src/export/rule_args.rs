//! `Rule::to_iptables`: one rule as the arguments iptables takes after `-A CHAIN`.

use crate::error::{Error, Result};
use crate::model::{Family, Rule};

impl Rule {
    /// The rule as iptables arguments (`-i cali+ -p tcp -m multiport --dports 80,443 -j ACCEPT`),
    /// the way `iptables-save` writes it after `-A CHAIN`, for `family` (`ip` or `ip6`). Parts
    /// with no iptables form (an nft-only expression) are an [`Error::Unsupported`] naming them.
    pub fn to_iptables(&self, family: Family) -> Result<String> {
        let mut out = String::new();
        super::iptables_save::write_rule(self, family, &mut out).map_err(|reason| {
            Error::Unsupported {
                what: format!("rule `{self}` in iptables form"),
                reason,
            }
        })?;
        Ok(out.trim_start().to_string())
    }
}

#[cfg(test)]
mod tests {
    use crate::model::Family;
    use crate::parse::{parse_text, ParseOptions};

    #[test]
    fn rules_round_trip_through_iptables_arguments() {
        let save = "*filter\n:FORWARD ACCEPT [0:0]\n\
            -A FORWARD -i cali+ -p tcp -m multiport --dports 80,443 -m comment --comment \"web\" -j ACCEPT\n\
            -A FORWARD -s 10.0.0.0/8 -j DROP\nCOMMIT\n";
        let rs = parse_text(save, &ParseOptions::new("t")).unwrap();
        let got: Vec<String> = rs
            .rules()
            .map(|(t, c, i, r)| {
                format!(
                    "{} {} {i}: {}",
                    t.name,
                    c.name,
                    r.to_iptables(Family::Ip).unwrap()
                )
            })
            .collect();
        assert_eq!(
            got,
            vec![
                "filter FORWARD 0: -i cali+ -p tcp -m multiport --dports 80,443 -m comment --comment web -j ACCEPT",
                "filter FORWARD 1: -s 10.0.0.0/8 -j DROP",
            ]
        );
        let nft =
            "table ip t {\n\tchain c {\n\t\tip saddr . tcp dport { 10.0.0.1 . 80 } drop\n\t}\n}\n";
        let rs = parse_text(nft, &ParseOptions::new("t")).unwrap();
        let (_, _, _, r) = rs.rules().next().unwrap();
        let e = r.to_iptables(Family::Ip);
        assert!(e.is_err(), "{e:?}");
    }
}
