//! One rule line -> a model `Rule`: matches, statements, verdict, comment, counters, handle.

use crate::model::{Family, Match, MatchKind, Rule, Verdict, VerdictMap};

use super::expr::{is_boundary, parse_expr, skip_group, Parsed};
use super::lexer::{join, TokKind, Token};
use super::stmt::{parse_statement, set_statement};

/// The `N` of a `# handle N` comment.
pub(crate) fn handle_of(comment: &str) -> Option<u64> {
    comment
        .trim_start_matches('#')
        .trim()
        .strip_prefix("handle ")
        .and_then(|h| h.trim().parse().ok())
}

/// Parses the tokens of one rule. On error, returns the index of the offending token
/// and what was expected.
pub(crate) fn parse_rule(toks: &[Token<'_>], family: Family) -> Result<Rule, (usize, String)> {
    let mut rule = Rule::default();
    let mut i = 0;
    while i < toks.len() {
        let t = &toks[i];
        match t.kind {
            TokKind::Comment => {
                if let Some(h) = handle_of(t.text) {
                    rule.origin.handle = Some(h);
                }
                i += 1;
                continue;
            }
            TokKind::Newline | TokKind::Semi => {
                i += 1;
                continue;
            }
            _ => {}
        }
        if rule.verdict.is_some() && !t.is_word("comment") {
            // Nothing but a comment may follow a verdict in nft's listing.
            if !matches!(t.kind, TokKind::Word) {
                return Err((i, "expected the end of the rule after its verdict".into()));
            }
        }
        // `icmp type X icmp code Y` -> one ICMP match with a code.
        if let (Some(fam), Some("code")) = (
            (t.kind == TokKind::Word).then_some(t.text),
            toks.get(i + 1).map(|t| t.text),
        ) {
            let v6 = fam == "icmpv6";
            if fam == "icmp" || v6 {
                if let Some(code) = toks.get(i + 2).and_then(|c| c.text.parse::<u8>().ok()) {
                    if let Some(Match {
                        negated: false,
                        kind:
                            MatchKind::Icmp {
                                v6: pv6,
                                icmp_type: Some(_),
                                code: c @ None,
                            },
                    }) = rule.matches.last_mut()
                    {
                        if *pv6 == v6 {
                            *c = Some(code);
                            i += 3;
                            continue;
                        }
                    }
                }
            }
        }
        match parse_statement(toks, i, family, &mut rule) {
            Ok(Some(end)) => {
                i = end;
                continue;
            }
            Ok(None) => {}
            Err(msg) => return Err((i, msg)),
        }
        match parse_expr(toks, i) {
            Some((Parsed::Match(m), end)) => {
                rule.matches.push(m);
                i = end;
            }
            Some((Parsed::Vmap(text), end)) => {
                if rule.verdict.is_some() {
                    return Err((i, "a verdict map after the rule's verdict".into()));
                }
                rule.verdict = Some(Verdict::Vmap(VerdictMap::parse(&text)));
                i = end;
            }
            Some((Parsed::Set { field, lhs, value }, _)) => {
                let (st, end) = set_statement(toks, &field, lhs, value).map_err(|m| (i, m))?;
                rule.statements.push(st);
                i = end;
            }
            None => {
                // Unknown expression: keep it verbatim up to the next rule element.
                let mut end = match t.kind {
                    TokKind::LBrace | TokKind::LParen => skip_group(toks, i),
                    TokKind::RBrace | TokKind::RParen | TokKind::Comma => {
                        return Err((i, format!("unexpected `{}` in a rule", t.text)))
                    }
                    _ => i + 1,
                };
                while end < toks.len() && !is_boundary(toks, end) {
                    end = match toks[end].kind {
                        TokKind::LBrace | TokKind::LParen => skip_group(toks, end),
                        _ => end + 1,
                    };
                }
                rule.matches.push(Match::new(MatchKind::Other {
                    module: "nft".into(),
                    args: join(&toks[i..end]),
                    lossy: false,
                }));
                i = end;
            }
        }
    }
    Ok(rule)
}

#[cfg(test)]
mod tests {
    use super::super::lexer::tokenize;
    use super::*;
    use crate::model::Statement;

    fn rule(s: &str) -> Rule {
        let t = tokenize(s, "t").unwrap();
        let mut r = parse_rule(&t, Family::Ip).unwrap();
        r.normalize();
        r
    }

    #[test]
    fn iptables_nft_shapes() {
        let r = rule("meta l4proto udp udp dport 53 counter packets 1 bytes 2 accept # handle 7");
        assert_eq!(r.to_string(), "udp dport 53 accept");
        assert_eq!(r.origin.handle, Some(7));
        assert_eq!(r.counters.unwrap().bytes, 2);
        assert_eq!(r, rule("udp dport 53 accept"));
        let r = rule("counter packets 0 bytes 0 meta mark set mark and 0xffe4ffff xor 0x80000");
        assert_eq!(
            r.statements,
            vec![Statement::SetMark {
                and: 0xffe4ffff,
                xor: 0x80000
            }]
        );
        let r = rule(r#"iifname "cali*" meta mark & 0x00010000 == 0x00010000 counter jump x"#);
        assert_eq!(
            r.to_string(),
            r#"iifname "cali*" meta mark & 0x00010000 == 0x00010000 jump x"#
        );
    }

    #[test]
    fn icmp_code_merges() {
        assert_eq!(
            rule("icmp type destination-unreachable icmp code 3 drop").to_string(),
            "icmp type destination-unreachable icmp code 3 drop"
        );
    }

    #[test]
    fn unknown_kept_verbatim() {
        let r = rule("vlan id 10 ip saddr 1.2.3.4 ether type ip6 counter accept comment \"c\"");
        assert_eq!(
            r.to_string(),
            "ip saddr 1.2.3.4 nft vlan id 10 nft ether type ip6 accept comment \"c\""
        );
        let r = rule("jhash ip saddr mod 2 seed 0xfeedcafe 0 accept");
        assert!(r.to_string().starts_with("nft jhash"));
    }

    #[test]
    fn fields_of_several_words_stay_one_match() {
        // Each of these is one verbatim match, not one per word group.
        for text in [
            "ct original ip saddr 192.168.0.1",
            "ct reply ip6 daddr ::1",
            "arp saddr ip 1.2.3.4",
            "arp daddr ether aa:bb:cc:aa:bb:cc",
            "ipsec in ip6 daddr dead::beef",
            "ipsec in spnum 2 ip saddr 1.2.3.4",
            "exthdr hbh exists",
            "rt ip nexthop 192.168.0.1",
            "osf ttl skip name \"Linux\"",
        ] {
            let r = rule(text);
            assert_eq!(r.matches.len(), 1, "{text}: {:?}", r.matches);
            assert_eq!(r.to_string(), format!("nft {text}"));
        }
    }

    #[test]
    fn dup_fwd_targets_are_expressions_and_ranges_lose_their_blanks() {
        let r = rule(r#"dup to ip saddr map { 192.168.2.120 : 192.168.2.1 } device "lo""#);
        assert_eq!(r.matches.len(), 0);
        assert_eq!(
            r.to_string(),
            r#"dup to ip saddr map { 192.168.2.120 : 192.168.2.1 } device "lo""#
        );
        let r = rule(r#"fwd ip to 192.168.2.200 device "lo""#);
        assert_eq!(r.to_string(), r#"fwd ip to 192.168.2.200 device "lo""#);
        let r = rule("dnat to ip saddr . tcp dport map { 1.2.3.4 . 80 : 10.0.0.1 . 8888 - 8999 }");
        assert_eq!(
            r.to_string(),
            "dnat to ip saddr . tcp dport map { 1.2.3.4 . 80 : 10.0.0.1 . 8888-8999 }"
        );
    }

    #[test]
    fn explicit_flag_equality_and_glued_vmap_colons() {
        // `==` compares every flag; a lone flag tests that one.
        assert_eq!(
            rule("tcp flags == syn").to_string(),
            "tcp flags & (fin|syn|rst|psh|ack|urg|ecn|cwr) == syn"
        );
        assert_eq!(
            rule("tcp flags != 0x80").to_string(),
            "tcp flags & (fin|syn|rst|psh|ack|urg|ecn|cwr) != cwr"
        );
        assert_eq!(
            rule("tcp flags syn").to_string(),
            "tcp flags & (syn) == syn"
        );
        assert_eq!(
            rule("tcp dport vmap { 25:accept, 28:drop }").to_string(),
            "tcp dport vmap { 25 : accept, 28 : drop }"
        );
    }

    #[test]
    fn reset_takes_its_tcp_option() {
        let r = rule("reset tcp option mptcp");
        assert!(r.matches.is_empty());
        assert_eq!(r.to_string(), "reset tcp option mptcp");
    }

    #[test]
    fn vmap_and_set_statements() {
        let r = rule(r#"iifname vmap { "lo" : accept, "eth0" : jump in }"#);
        assert_eq!(
            r.verdict,
            Some(Verdict::Vmap(VerdictMap::parse(
                r#"iifname vmap { "eth0" : jump in, "lo" : accept }"#
            )))
        );
        let r = rule("meta nftrace set 1 ct helper set \"ftp\" update @s { ip saddr timeout 1s }");
        assert_eq!(
            r.to_string(),
            "meta nftrace set 1 ct helper set \"ftp\" update @s { ip saddr timeout 1s }"
        );
    }

    #[test]
    fn errors() {
        let t = tokenize("accept accept", "t").unwrap();
        assert_eq!(parse_rule(&t, Family::Ip).unwrap_err().0, 1);
        let t = tokenize("jump", "t").unwrap();
        assert!(parse_rule(&t, Family::Ip).is_err());
    }
}
