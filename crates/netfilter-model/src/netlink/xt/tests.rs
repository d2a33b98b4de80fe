//! Unit tests of the xt decoders on hand-built blobs.

use super::*;

fn cx() -> XtContext<'static> {
    XtContext {
        family: Family::Ip,
        l4: Some(Protocol::TCP),
        ipset_name: &|i| (i == 3).then(|| "cali40all-ipam-pools".to_string()),
    }
}

#[test]
fn comment_and_conntrack() {
    let mut c = vec![0u8; 256];
    c[..5].copy_from_slice(b"hello");
    let m = decode_xt_match("comment", 0, &c, &cx());
    assert_eq!(m.comment.as_deref(), Some("hello"));
    let mut ct = vec![0u8; 160];
    ct[146..148].copy_from_slice(&1u16.to_ne_bytes());
    ct[150..152].copy_from_slice(&6u16.to_ne_bytes());
    let m = decode_xt_match("conntrack", 3, &ct, &cx());
    assert_eq!(m.matches[0].to_string(), "ct state established,related");
}

#[test]
fn multiport_set_and_targets() {
    let mut mp = vec![0u8; 48];
    mp[0] = 1;
    mp[1] = 3;
    for (i, p) in [80u16, 8000, 8080].iter().enumerate() {
        mp[2 + 2 * i..4 + 2 * i].copy_from_slice(&p.to_ne_bytes());
    }
    mp[32 + 1] = 1;
    let m = decode_xt_match("multiport", 1, &mp, &cx());
    assert_eq!(m.matches[0].to_string(), "tcp dport { 80, 8000-8080 }");
    let set = [3u8, 0, 2, 0b010, 0, 0, 0, 0];
    let m = decode_xt_match("set", 1, &set, &cx());
    assert_eq!(m.matches[0].to_string(), "src . dst @cali40all-ipam-pools");
    let mut mark = Vec::new();
    mark.extend_from_slice(&0x40000u32.to_ne_bytes());
    mark.extend_from_slice(&0x40000u32.to_ne_bytes());
    let t = decode_xt_target("MARK", 2, &mark, &cx());
    assert_eq!(
        t.statements[0].to_string(),
        "meta mark set mark or 0x00040000"
    );
    let t = decode_xt_target("REJECT", 0, &3u32.to_ne_bytes(), &cx());
    assert_eq!(
        t.verdict.map(|v| v.to_string()).as_deref(),
        Some("reject with icmp-port-unreachable")
    );
    // Short blobs are kept as bytes, not decoded or panicked on.
    let m = decode_xt_match("conntrack", 3, &[1, 2], &cx());
    assert!(matches!(m.matches[0].kind, MatchKind::Other { .. }));
}

#[test]
fn recent_prints_like_iptables_save() {
    let mut b = vec![0u8; 228];
    b[0..4].copy_from_slice(&10800u32.to_ne_bytes());
    b[8] = 0x21;
    b[10..14].copy_from_slice(b"SEP1");
    b[212..216].copy_from_slice(&[255, 255, 255, 255]);
    let m = decode_xt_match("recent", 1, &b, &cx());
    assert_eq!(
        m.matches[0].to_string(),
        "recent --rcheck --seconds 10800 --reap --name SEP1 --mask 255.255.255.255 --rsource"
    );
}

#[test]
fn limit_rates_print_like_iptables() {
    assert_eq!(limit_rate(10000 / 5), "5/second");
    assert_eq!(limit_rate(60 * 10000 / 3), "3/minute");
    assert_eq!(limit_rate(3600 * 10000), "1/hour");
}
