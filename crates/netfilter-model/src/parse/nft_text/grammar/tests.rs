//! Unit tests of `grammar`.

use super::*;
use crate::model::{Statement, Verdict};

fn parse(s: &str) -> Result<Ruleset> {
    parse_nft_text(s, &ParseOptions::new("src"))
}

fn perr(s: &str) -> ParseError {
    match parse(s) {
        Err(Error::Parse(e)) => e,
        other => panic!("expected a parse error, got {other:?}"),
    }
}

#[test]
fn tables_chains_and_handles() {
    let rs = parse(
            "table ip filter { # handle 4\n\tflags dormant\n\tcomment \"t\"\n\tchain INPUT { # handle 1\n\t\ttype filter hook input priority filter + 10; policy drop;\n\t\tcomment \"c\"\n\t\ttcp dport 22 accept # handle 9\n\t}\n}\n",
        )
        .unwrap();
    let t = &rs.tables[0];
    assert_eq!(
        (t.family, t.name.as_str(), t.backend),
        (Family::Ip, "filter", Backend::Nft)
    );
    assert_eq!(t.origin.handle, Some(4));
    assert_eq!(t.flags, ["dormant"]);
    assert_eq!(t.comment.as_deref(), Some("t"));
    let c = &t.chains[0];
    assert_eq!(c.origin.handle, Some(1));
    assert_eq!(c.comment.as_deref(), Some("c"));
    let b = c.base.as_ref().unwrap();
    assert_eq!((b.priority, b.policy), (10, Policy::Drop));
    assert_eq!(c.rules[0].origin.handle, Some(9));
    assert_eq!(c.rules[0].origin.line, Some(7));
    assert_eq!(c.rules[0].to_string(), "tcp dport 22 accept");
}

#[test]
fn backend_override_and_families() {
    let opts = ParseOptions::new("x").with_backend(Some(Backend::Legacy));
    let rs = parse_nft_text("table bridge b {\n chain f {\n type filter hook forward priority out; policy accept;\n }\n}\ntable netdev n {\n chain i {\n type filter hook ingress devices = { \"eth0\", \"eth1\" } priority -5; policy accept;\n }\n chain j {\n type filter hook ingress device \"lo\" priority filter; policy accept;\n }\n}\ntable arp a {\n}\n", &opts).unwrap();
    assert!(rs.tables.iter().all(|t| t.backend == Backend::Legacy));
    assert_eq!(rs.tables[0].chains[0].base.as_ref().unwrap().priority, 100);
    let i = rs.tables[1].chains[0].base.as_ref().unwrap();
    assert_eq!(
        (i.priority, i.devices.clone()),
        (-5, vec!["eth0".to_string(), "eth1".to_string()])
    );
    assert_eq!(
        rs.tables[1].chains[1].base.as_ref().unwrap().devices,
        ["lo"]
    );
    assert_eq!(rs.tables[2].family, Family::Arp);
}

#[test]
fn sets_maps_objects() {
    let rs = parse(
            "table inet t {\n\tset s {\n\t\ttype ipv4_addr . inet_service\n\t\tsize 65535\n\t\tflags timeout,interval\n\t\tcounter\n\t\ttimeout 1h\n\t\telements = { 1.1.1.1 . 80 timeout 1h expires 59m counter packets 3 bytes 9,\n\t\t\t     2.2.2.2 . 443 }\n\t}\n\tmap m {\n\t\ttypeof iifname : verdict\n\t\telements = { \"lo\" : accept }\n\t}\n\tcounter c {\n\t\tpackets 5 bytes 10\n\t}\n\tquota q {\n\t\tover 10 mbytes used 3 mbytes\n\t}\n\tct helper h {\n\t\ttype \"ftp\" protocol tcp\n\t\tl3proto ip\n\t}\n\tflowtable f {\n\t\thook ingress priority filter\n\t\tdevices = { lo }\n\t}\n}\n",
        )
        .unwrap();
    let t = &rs.tables[0];
    let s = t.set("s").unwrap();
    assert_eq!(s.key_type, "ipv4_addr . inet_service");
    assert_eq!(s.flags, ["interval", "timeout"]);
    assert_eq!(s.extra, ["counter", "size 65535", "timeout 1h"]);
    assert_eq!(
        s.elements,
        ["1.1.1.1 . 80 timeout 1h counter", "2.2.2.2 . 443"]
    );
    let m = t.set("m").unwrap();
    assert_eq!(
        (m.key_type.as_str(), m.data_type.as_deref()),
        ("typeof iifname", Some("verdict"))
    );
    assert_eq!(m.elements, ["\"lo\" : accept"]);
    let bodies: Vec<(String, String, String)> = t
        .objects
        .iter()
        .map(|o| (o.kind.clone(), o.name.clone(), o.body.clone()))
        .collect();
    assert_eq!(
        bodies,
        [
            ("counter".into(), "c".into(), "".into()),
            ("quota".into(), "q".into(), "over 10 mbytes".into()),
            (
                "ct helper".into(),
                "h".into(),
                "type \"ftp\" protocol tcp; l3proto ip".into()
            ),
            (
                "flowtable".into(),
                "f".into(),
                "hook ingress priority filter; devices = { lo }".into()
            ),
        ]
    );
}

#[test]
fn stateless_and_handles_compare_equal() {
    let full = "table ip t {\n\tchain c {\n\t\tip saddr 1.2.3.4 counter packets 7 bytes 99 drop # handle 3\n\t}\n}\n";
    let stateless = "table ip t {\n\tchain c {\n\t\tip saddr 1.2.3.4 counter drop\n\t}\n}\n";
    assert_eq!(parse(full).unwrap(), parse(stateless).unwrap());
}

#[test]
fn warnings_and_comment_gap() {
    let rs = parse(
            "# Warning: table ip filter is managed by iptables-nft, do not touch!\ntable ip filter {\n\tchain INPUT {\n\t\ttype filter hook input priority filter; policy accept;\n\t\tmeta l4proto tcp  tcp dport 80 counter packets 0 bytes 0 accept\n\t\t counter packets 0 bytes 0 drop\n\t\tcomment \"a  b\" drop\n\t\txt match \"recent\" counter packets 0 bytes 0 drop\n\t}\n}\n# Warning: iptables-legacy tables present, use iptables-legacy-save to see them\n",
        )
        .unwrap();
    let kinds: Vec<&str> = rs.warnings.iter().map(|w| w.kind.as_str()).collect();
    assert_eq!(kinds, ["managed-by-iptables-nft", "legacy-tables-present"]);
    let rules = &rs.tables[0].chains[0].rules;
    assert_eq!(rules[0].lossy, [LossNote::CommentDroppedByNftText]);
    assert_eq!(rules[0].to_string(), "tcp dport 80 accept");
    assert_eq!(rules[1].lossy, [LossNote::CommentDroppedByNftText]);
    assert!(
        rules[2].lossy.is_empty(),
        "double space inside a string is not a gap"
    );
    assert_eq!(rules[3].lossy.len(), 1);
    // A native table never gets the note.
    let rs = parse("table inet x {\n\tchain c {\n\t\ttcp dport 80  accept\n\t}\n}\n").unwrap();
    assert!(rs.tables[0].chains[0].rules[0].lossy.is_empty());
}

#[test]
fn command_forms() {
    let rs = parse(
            "flush ruleset\nadd table inet t\nadd chain inet t c { type filter hook input priority 0; policy accept; }\nadd chain t u\nadd rule inet t c tcp dport 1 accept\ninsert rule inet t c udp dport 2 drop\nadd set inet t s { type ipv4_addr; }\nadd element inet t s { 1.1.1.1, 2.2.2.2 }\nadd rule t u jump x\n",
        )
        .unwrap();
    let t = rs.table(Backend::Nft, Family::Inet, "t").unwrap();
    let c = t.chain("c").unwrap();
    assert!(c.base.is_some());
    assert_eq!(c.rules[0].verdict, Some(Verdict::Drop));
    assert_eq!(t.set("s").unwrap().elements, ["1.1.1.1", "2.2.2.2"]);
    let ip = rs.table(Backend::Nft, Family::Ip, "t").unwrap();
    assert_eq!(ip.chain("u").unwrap().rules.len(), 1);
    assert!(rs.warnings.is_empty());
    let rs = parse("add rule ip filter INPUT accept\n").unwrap();
    assert_eq!(rs.warnings[0].kind, "implicit-chain");
    assert_eq!(rs.warnings[0].line, Some(1));
}

#[test]
fn errors_have_position_and_context() {
    let e = perr("table ip f {\n\tchain c {\n\t\ttcp dport 1 accept\n\t\tjump\n\t}\n}\n");
    assert_eq!((e.position.line, e.position.column), (4, 3));
    assert_eq!(e.context.as_deref(), Some("table ip f, chain c, rule 2"));
    assert!(e.message.contains("chain name"), "{}", e.message);
    let e = perr("table ip f {\n\tchain c {\n\t\taccept\n}\n");
    assert_eq!((e.position.line, e.position.column), (1, 12));
    let e = perr("define x = 1\n");
    assert!(e.message.contains("nft script"));
    let e = perr("include \"x\"\n");
    assert!(e.message.contains("include"));
    let e = perr("table ip f {\n\tchain c {\n\t\ttype filter hook input priority bogus; policy accept;\n\t}\n}\n");
    assert!(e.message.contains("priority"));
    assert_eq!(e.position.line, 3);
    let e = perr("table ip f {\n\tfoo bar\n}\n");
    assert_eq!(e.context.as_deref(), Some("table ip f"));
    let e = perr("flush table ip f\n");
    assert_eq!(e.position.line, 1);
    let e = perr("add counter ip f c\n");
    assert!(e.message.contains("not supported"));
    let e = perr("hello\n");
    assert!(e.message.contains("expected `table`"));
    assert_eq!(e.source_name, "src");
}

#[test]
fn statements_in_context() {
    let rs = parse("table ip nat {\n\tchain p {\n\t\ttype nat hook prerouting priority dstnat; policy accept;\n\t\tiifname \"eth0\" tcp dport 80 dnat to 10.0.0.1:8080\n\t\tct mark set 0x1 meta mark set ct mark\n\t}\n}\n").unwrap();
    let r = &rs.tables[0].chains[0].rules;
    assert_eq!(
        r[0].to_string(),
        "iifname \"eth0\" tcp dport 80 dnat to 10.0.0.1:8080"
    );
    assert_eq!(r[1].statements[0], Statement::SetCtMark { and: 0, xor: 1 });
    assert_eq!(
        r[1].statements[1],
        Statement::RestoreMark {
            nfmask: u32::MAX,
            ctmask: u32::MAX
        }
    );
    assert_eq!(rs.tables[0].chains[0].base.as_ref().unwrap().priority, -100);
}
