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

#[test]
fn conntrack_rev3_options_print_like_iptables_save() {
    // `xt_conntrack_mtinfo3`: --ctproto 6 --ctorigsrc 10.0.0.0/8 --ctreplsrcport 1000:2000
    // ! --ctexpire 5.
    let mut b = vec![0u8; 168];
    b[0..4].copy_from_slice(&[10, 0, 0, 0]);
    b[16..20].copy_from_slice(&[255, 0, 0, 0]);
    b[128..132].copy_from_slice(&5u32.to_ne_bytes());
    b[132..136].copy_from_slice(&5u32.to_ne_bytes());
    b[136..138].copy_from_slice(&6u16.to_ne_bytes());
    b[142..144].copy_from_slice(&1000u16.to_ne_bytes());
    b[158..160].copy_from_slice(&2000u16.to_ne_bytes());
    let flags: u16 = 2 | 4 | 1024 | 128;
    b[146..148].copy_from_slice(&flags.to_ne_bytes());
    b[148..150].copy_from_slice(&128u16.to_ne_bytes());
    let m = decode_xt_match("conntrack", 3, &b, &cx());
    assert_eq!(
        m.matches[0].to_string(),
        "conntrack --ctproto 6 --ctorigsrc 10.0.0.0/8 --ctreplsrcport 1000:2000 ! --ctexpire 5"
    );
}

#[test]
fn nfqueue_and_connbytes_print_like_iptables_save() {
    // `xt_NFQ_info_v3`: queue 0, 7 queues, bypass and cpu fanout.
    let mut q = vec![0u8; 8];
    q[2..4].copy_from_slice(&7u16.to_ne_bytes());
    q[4..6].copy_from_slice(&3u16.to_ne_bytes());
    let t = decode_xt_target("NFQUEUE", 3, &q, &cx());
    assert_eq!(
        t.verdict,
        Some(Verdict::Queue("flags bypass,fanout to 0-6".into()))
    );
    // `! --connbytes 5:10` is stored as from 10 to 5.
    let mut c = vec![0u8; 24];
    c[0..8].copy_from_slice(&10u64.to_ne_bytes());
    c[8..16].copy_from_slice(&5u64.to_ne_bytes());
    c[16] = 2;
    c[17] = 1;
    let m = decode_xt_match("connbytes", 0, &c, &cx());
    assert_eq!(
        m.matches[0].to_string(),
        "connbytes ! --connbytes 5:10 --connbytes-mode avgpkt --connbytes-dir reply"
    );
}
