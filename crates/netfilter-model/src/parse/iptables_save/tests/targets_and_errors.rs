//! Targets, positioned errors, and inputs the fuzzers found.

use super::*;

#[test]
fn targets() {
    assert_eq!(rule("-j RETURN").verdict, Some(Verdict::Return));
    assert_eq!(
        rule("-j REJECT").verdict,
        Some(Verdict::Reject { with: None })
    );
    assert_eq!(
        rule("-j REJECT --reject-with icmp-port-unreachable").verdict,
        Some(Verdict::Reject { with: None })
    );
    assert_eq!(
        rule("-j REJECT --reject-with tcp-reset").verdict,
        Some(Verdict::Reject {
            with: Some("tcp-reset".into())
        })
    );
    assert_eq!(rule("-j user").verdict, Some(Verdict::Jump("user".into())));
    assert_eq!(rule("-g user").verdict, Some(Verdict::Goto("user".into())));
    let log = rule(r#"-j LOG --log-prefix "IN: " --log-level 7 --log-uid"#);
    assert_eq!(
        log.statements,
        vec![Statement::Log {
            prefix: Some("IN: ".into()),
            level: Some("debug".into()),
            group: None,
            // nft's word for it, so the same rule read from nft compares equal.
            extra: vec!["flags skuid".into()]
        }]
    );
    assert_eq!(
        rule("-j LOG --log-level warning").statements,
        rule("-j LOG").statements
    );
    assert_eq!(
        rule("-j NFLOG --nflog-group 5").statements,
        vec![Statement::Log {
            prefix: None,
            level: None,
            group: Some(5),
            extra: vec![]
        }]
    );
    assert_eq!(
        rule("-j MARK --set-xmark 0x1/0xffffffff").statements,
        vec![Statement::SetMark { and: 0, xor: 1 }]
    );
    assert_eq!(
        rule("-j MARK --set-mark 0x1").statements,
        rule("-j MARK --set-xmark 0x1/0xffffffff").statements
    );
    assert_eq!(
        rule("-j MARK --or-mark 0x4").statements,
        vec![Statement::SetMark { and: !4, xor: 4 }]
    );
    assert_eq!(
        rule("-j MARK --and-mark 0xff").statements,
        vec![Statement::SetMark { and: 0xff, xor: 0 }]
    );
    assert_eq!(
        rule("-j MARK --xor-mark 0x2").statements,
        vec![Statement::SetMark {
            and: u32::MAX,
            xor: 2
        }]
    );
    assert_eq!(
        rule("-j CONNMARK --set-xmark 0x1/0x1").statements,
        vec![Statement::SetCtMark { and: !1, xor: 1 }]
    );
    assert_eq!(
        rule("-j CONNMARK --save-mark").statements,
        vec![Statement::SaveMark {
            nfmask: u32::MAX,
            ctmask: u32::MAX
        }]
    );
    assert_eq!(
        rule("-j CONNMARK --restore-mark --nfmask 0xff --ctmask 0xf").statements,
        vec![Statement::RestoreMark {
            nfmask: 0xff,
            ctmask: 0xf
        }]
    );
    assert_eq!(
        rule("-j DNAT --to-destination 10.0.0.1:8080 --random").statements,
        vec![Statement::Nat {
            kind: NatKind::Dnat,
            addr: Some("10.0.0.1".into()),
            port: Some("8080".into()),
            flags: vec!["random".into()]
        }]
    );
    assert_eq!(
        rule("-j MASQUERADE --to-ports 1000-2000 --random-fully").statements,
        vec![Statement::Nat {
            kind: NatKind::Masquerade,
            addr: None,
            port: Some("1000-2000".into()),
            flags: vec!["fully-random".into()]
        }]
    );
    assert_eq!(
        rule("-j CT --notrack").statements,
        rule("-j NOTRACK").statements
    );
    assert_eq!(
        rule("-j CT --helper ftp").statements,
        vec![Statement::Ct {
            args: "--helper ftp".into()
        }]
    );
    assert_eq!(
        rule("-p tcp -j TCPMSS --clamp-mss-to-pmtu").statements,
        vec![Statement::TcpMss { mss: None }]
    );
    assert_eq!(
        rule("-j NFQUEUE --queue-num 3").verdict,
        Some(Verdict::Queue("to 3".into()))
    );
    let other = rule("-j CHECKSUM --checksum-fill");
    assert_eq!(
        other.statements,
        vec![Statement::Other {
            target: "CHECKSUM".into(),
            args: "--checksum-fill".into(),
            lossy: false
        }]
    );
    assert_eq!(other.verdict, None);
}

#[test]
fn positioned_errors() {
    // Rule outside a table.
    let (l, c, msg, _) = err("\n-A INPUT -j ACCEPT\n");
    assert_eq!((l, c), (2, 1));
    assert!(msg.contains("outside a table"), "{msg}");
    // Unknown table names the accepted ones.
    let (l, c, msg, _) = err("*filtre\n");
    assert_eq!((l, c), (1, 2));
    assert!(msg.contains("filter, nat, mangle, raw, security"), "{msg}");
    // Missing COMMIT at EOF and before a new table.
    let (l, c, msg, _) = err("*filter\n:INPUT ACCEPT [0:0]\n");
    assert_eq!((l, c), (3, 1));
    assert!(msg.contains("missing COMMIT"), "{msg}");
    let (l, _, msg, _) = err("*filter\n:INPUT ACCEPT [0:0]\n*nat\nCOMMIT\n");
    assert_eq!(l, 3);
    assert!(msg.contains("missing COMMIT"), "{msg}");
    // A table twice in the same family.
    let (l, c, msg, _) = err("*filter\nCOMMIT\n*filter\nCOMMIT\n");
    assert_eq!((l, c), (3, 1));
    assert!(msg.contains("appears twice"), "{msg}");
    // Chain not declared: in -A, and as a jump target (checked at COMMIT).
    let (l, c, msg, ctx) = err("*filter\n:INPUT ACCEPT [0:0]\n-A nope -j ACCEPT\nCOMMIT\n");
    assert_eq!((l, c), (3, 4));
    assert!(msg.contains("`nope` is not declared"), "{msg}");
    assert_eq!(ctx.as_deref(), Some("table filter"));
    let (l, c, msg, ctx) = err("*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -j ACCEPT\n-A INPUT -j later\n:later - [0:0]\nCOMMIT\n");
    assert_eq!((l, c), (4, 13));
    assert!(msg.contains("used before it is declared"), "{msg}");
    assert_eq!(ctx.as_deref(), Some("table filter, chain INPUT, rule 2"));
    let (l, c, msg, _) = err("*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -g missing\nCOMMIT\n");
    assert_eq!((l, c), (3, 13));
    assert!(msg.contains("not declared"), "{msg}");
    // Unknown option, invalid address and port, unbalanced quote.
    let (_, c, msg) = rule_err("-p tcp --bogus 1 -j ACCEPT");
    assert_eq!(c, 17);
    assert!(msg.contains("unknown option `--bogus`"), "{msg}");
    let (_, c, msg) = rule_err("-s 10.0.0.256 -j ACCEPT");
    assert_eq!(c, 13);
    assert!(msg.contains("invalid address"), "{msg}");
    let (_, c, msg) = rule_err("-p tcp -m tcp --dport 99999 -j ACCEPT");
    assert_eq!(c, 32);
    assert!(msg.contains("invalid port"), "{msg}");
    let (_, c, msg) = rule_err(r#"-m comment --comment "open -j ACCEPT"#);
    assert_eq!(c, 31);
    assert!(msg.contains("unbalanced quote"), "{msg}");
    let (_, c, msg) = rule_err("-x");
    assert_eq!(c, 10);
    assert!(msg.contains("unknown option `-x`"), "{msg}");
    // Columns count characters, not bytes.
    let (_, c, _) = rule_err("-m comment --comment \"é\" --x");
    assert_eq!(c, 35);
    // Policies.
    let (l, c, msg, _) = err("*filter\n:INPUT - [0:0]\nCOMMIT\n");
    assert_eq!((l, c), (2, 8));
    assert!(msg.contains("needs a policy"), "{msg}");
}

#[test]
fn builtin_chains_need_no_declaration() {
    let rs = parse("*nat\n-A POSTROUTING -o eth0 -j MASQUERADE\nCOMMIT\n");
    let c = rs.tables[0].chain("POSTROUTING").unwrap();
    assert_eq!(c.base.as_ref().unwrap().policy, Policy::Accept);
    assert_eq!(c.rules.len(), 1);
}

#[test]
fn extension_targets_versus_chains() {
    // An undeclared upper-case name is an extension target, kept verbatim.
    let r = rule("-j CHECKSUM --checksum-fill");
    assert_eq!(
        r.statements,
        vec![Statement::Other {
            target: "CHECKSUM".into(),
            args: "--checksum-fill".into(),
            lossy: false
        }]
    );
    // TRACE is what iptables-nft stores: nft's `meta nftrace set 1`.
    assert_eq!(rule("-j TRACE").to_string(), "meta nftrace set 1");
    // A declared upper-case name is a chain.
    let rs = parse("*filter\n:INPUT ACCEPT [0:0]\n:TCP - [0:0]\n-A INPUT -p tcp -j TCP\nCOMMIT\n");
    assert_eq!(
        rs.tables[0].chain("INPUT").unwrap().rules[0].verdict,
        Some(Verdict::Jump("TCP".into()))
    );
}

#[test]
fn never_panics_on_mangled_input() {
    let sample = include_str!("../../../../../../testdata/basic/basic.rules");
    // Every truncation.
    for (i, _) in sample.char_indices().step_by(7) {
        let _ = parse_iptables_save(&sample[..i], &ParseOptions::new("cut"));
    }
    // Each word of each line dropped, doubled, or replaced by awkward tokens.
    let awkward = [
        "!", "\"", "-m", "-j", "--dport", "[1:2]", "-A", "0x", "/", ":", "é", "--", "-",
    ];
    let lines: Vec<&str> = sample.lines().collect();
    for (li, line) in lines.iter().enumerate() {
        let words: Vec<&str> = line.split(' ').collect();
        for wi in 0..words.len() {
            let mut variants: Vec<Vec<&str>> = Vec::new();
            let mut dropped = words.clone();
            dropped.remove(wi);
            variants.push(dropped);
            let mut doubled = words.clone();
            doubled.insert(wi, words[wi]);
            variants.push(doubled);
            for a in awkward {
                let mut v = words.clone();
                v[wi] = a;
                variants.push(v);
            }
            for v in variants {
                let mut text = lines[..li].join("\n");
                text.push('\n');
                text.push_str(&v.join(" "));
                text.push('\n');
                text.push_str(&lines[li + 1..].join("\n"));
                if let Err(Error::Parse(e)) = parse_iptables_save(&text, &ParseOptions::new("m")) {
                    assert!(e.position.line >= 1 && e.position.column >= 1);
                }
            }
        }
    }
}

/// Fuzzing (`roundtrip_iptables_save`) found a rule with `-p tcp ... -p udp`: it parsed, but
/// exported and parsed back into a different model. iptables refuses a second `-p` (and `-s`,
/// `-d`, `-i`, `-o`, `-f`), and so does the parser now, at the second one.
#[test]
fn fuzz_roundtrip_two_protocol_options_in_one_rule() {
    for (r, col) in [
        ("-p tcp -m multiport --dports 80 -p udp -j ACCEPT", 42),
        ("-s 10.0.0.1 -s 10.0.0.2 -j ACCEPT", 22),
        ("-i eth0 --in-interface eth1 -j ACCEPT", 18),
        ("-f -f -j ACCEPT", 13),
    ] {
        let text = format!("*filter\n:INPUT ACCEPT [0:0]\n-A INPUT {r}\nCOMMIT\n");
        match parse_iptables_save(&text, &ParseOptions::new("t")) {
            Err(Error::Parse(e)) => {
                assert_eq!((e.position.line, e.position.column), (3, col), "{r}: {e}");
                assert!(e.message.contains("given twice in one rule"), "{r}: {e}");
            }
            other => panic!("{r}: expected an error, got {other:?}"),
        }
    }
    // One of each is fine.
    let r = rule("-s 10.0.0.1 -d 10.0.0.2 -i eth0 -o eth1 -p tcp -f -j ACCEPT");
    assert_eq!(r.matches.len(), 6);
}

/// Fuzzing (`roundtrip_iptables_save`) found `-N -A OUTPUT -j X`: the whole rest of the line
/// became a chain name with spaces, which the exporter then wrote as a `:` line that does not
/// parse. `-N` takes one name; anything else is a positioned error.
#[test]
fn fuzz_roundtrip_dash_n_with_a_whole_rule_as_chain_name() {
    let text = "*raw\n:OUTPUT ACCEPT [0:0]\n-N -A OUTPUT -j cali-OUTPUT\nCOMMIT\n";
    match parse_iptables_save(text, &ParseOptions::new("t")) {
        Err(Error::Parse(e)) => {
            assert_eq!((e.position.line, e.position.column), (3, 4), "{e}");
            assert!(e.message.starts_with("`-N` takes one chain name"), "{e}");
        }
        other => panic!("expected an error, got {other:?}"),
    }
    let rs = parse("*raw\n:OUTPUT ACCEPT [0:0]\n-N cali-OUTPUT\nCOMMIT\n");
    assert!(rs.tables[0].chain("cali-OUTPUT").is_some());
}

/// Fuzzing (`roundtrip_iptables_save`) found `-p tcp ... -m udp --dport 53` (and then
/// `-p tcp -m icmp --icmp-type 8`): it parsed, and the exporter then wrote `-p tcp -p udp`,
/// which does not parse back. The kernel refuses a port
/// match of another protocol than `-p`, and so does the parser now, in either order.
#[test]
fn fuzz_roundtrip_udp_port_match_on_a_tcp_rule() {
    for (r, col, what) in [
        (
            "-p tcp -m udp --dport 53 -j ACCEPT",
            32,
            "`-m udp` reads udp headers",
        ),
        (
            "-m udp --dport 53 -p tcp -j ACCEPT",
            28,
            "`-p tcp` after a `-m udp` match",
        ),
        (
            "-p tcp -m icmp --icmp-type 8 -j ACCEPT",
            37,
            "`-m icmp` reads icmp headers",
        ),
        (
            "-m icmp --icmp-type 8 -p tcp -j ACCEPT",
            32,
            "`-p tcp` after a `-m icmp` match",
        ),
    ] {
        let text = format!("*filter\n:INPUT ACCEPT [0:0]\n-A INPUT {r}\nCOMMIT\n");
        match parse_iptables_save(&text, &ParseOptions::new("t")) {
            Err(Error::Parse(e)) => {
                assert_eq!((e.position.line, e.position.column), (3, col), "{r}: {e}");
                assert!(e.message.starts_with(what), "{r}: {e}");
            }
            other => panic!("{r}: expected an error, got {other:?}"),
        }
    }
    // The matching protocol, or none given, is fine.
    rule("-p udp -m udp --dport 53 -j ACCEPT");
    rule("-p tcp --dport 22 -j ACCEPT");
    rule("-p icmp -m icmp --icmp-type 8 -j ACCEPT");
}

/// Fuzzing (`roundtrip_iptables_save`) found `--comment "--dstcali:..."`: the exporter wrote the
/// comment bare, and it read back as an unknown option. Words starting with `-`, and a bare
/// `!`, are quoted now.
#[test]
fn fuzz_roundtrip_comment_that_looks_like_an_option() {
    let text = "*filter\n:INPUT ACCEPT [0:0]\n\
                -A INPUT -m comment --comment \"--dstcali:qFlslcKV7UYRFY2m\" -j ACCEPT\n\
                -A INPUT -m comment --comment \"!\" -j ACCEPT\n\
                -A INPUT -m comment --comment \"-\" -j ACCEPT\nCOMMIT\n";
    let first = parse(text);
    let exported = crate::export::to_iptables_save(&first).expect("exports");
    assert!(
        exported.contains("--comment \"--dstcali:qFlslcKV7UYRFY2m\""),
        "{exported}"
    );
    assert_eq!(parse(&exported), first, "{exported}");
}

#[test]
fn ipv6_nat_ranges_with_ports_keep_both_ends_and_the_ports() {
    let text = "# Generated by ip6tables-save v1.8.9\n*nat\n:PREROUTING ACCEPT [0:0]\n\
        -A PREROUTING -d fd00::3/128 -p tcp -m tcp --dport 443 -j DNAT --to-destination [fd00::2-fd00::5]:6443-6450\n\
        -A PREROUTING -d fd00::1/128 -p tcp -m tcp --dport 443 -j DNAT --to-destination [fd00::2]:6443\n\
        COMMIT\n";
    let rs =
        crate::parse::parse_iptables_save(text, &crate::parse::ParseOptions::new("t")).unwrap();
    let rules: Vec<String> = rs.tables[0].chains[0]
        .rules
        .iter()
        .map(|r| r.to_string())
        .collect();
    assert_eq!(
        rules,
        [
            "ip6 daddr fd00::3 tcp dport 443 dnat to [fd00::2]-[fd00::5]:6443-6450",
            "ip6 daddr fd00::1 tcp dport 443 dnat to [fd00::2]:6443",
        ]
    );
    // And back out in iptables-save's own spelling.
    let out = crate::export::to_iptables_save(&rs).unwrap();
    assert!(
        out.contains("--to-destination [fd00::2-fd00::5]:6443-6450"),
        "{out}"
    );
    assert!(out.contains("--to-destination [fd00::2]:6443"), "{out}");
}

/// Found by the `roundtrip_iptables_save` fuzz target (issue 9): `-m T --{-}` (an unknown
/// match whose option holds braces) was normalized as if it were an nft anonymous set, to
/// `--{ - }`, which exported and read back as option `--{` with the values `-` and `}`.
/// Braces in iptables match arguments are left as written now, and a brace glued to a word
/// opens no set anywhere (unknown targets).
#[test]
fn fuzz_roundtrip_braces_in_an_unknown_match_option() {
    let text = "*filter\n:INPUT ACCEPT [0:0]\n\
                -A INPUT -m T --{-}\n\
                -A INPUT -j T --{-}\n\
                -A INPUT -m hashlimit --hashlimit-name {b,a} -j ACCEPT\nCOMMIT\n";
    let first = parse(text);
    let exported = crate::export::to_iptables_save(&first).expect("exports");
    assert!(exported.contains("-m T --{-}\n"), "{exported}");
    assert!(exported.contains("-j T --{-}\n"), "{exported}");
    assert!(exported.contains("--hashlimit-name {b,a} "), "{exported}");
    assert_eq!(parse(&exported), first, "{exported}");
}

/// Found by the `roundtrip_iptables_save` fuzz target (issue 9): `-m nft --4 == == {` parsed
/// as a match of module `nft`, which the model reserves for nft expressions, so normalization
/// rewrote it as nft text (`== {` -> `{`) once per round trip. iptables has no `nft` match:
/// it is refused, with its position.
#[test]
fn fuzz_roundtrip_match_named_nft() {
    let text = "*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -m nft --4 == == {\nCOMMIT\n";
    let err = parse_iptables_save(text, &ParseOptions::new("t")).unwrap_err();
    let e = err.to_string();
    assert!(
        e.starts_with("t:3:13: no iptables match is named `nft`"),
        "{e}"
    );
}
