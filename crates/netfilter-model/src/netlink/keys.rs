//! The kernel's meta and conntrack keys (`NFT_META_*`, `NFT_CT_*`): libnftnl's and nft's
//! names of each, in one table that the debug-text reader, the delinearizer and the set
//! `typeof` decoder share.

/// The names of one key: the kernel constant, libnftnl's debug-text name and nft's name.
pub(crate) struct KeyNames {
    /// The kernel's constant (`NFT_META_IIFNAME`), for reading the table.
    #[allow(dead_code)]
    pub(crate) kernel: &'static str,
    /// How libnftnl prints the key in `nft --debug=netlink` (`bri_iifname`); read by the
    /// debug-text parser only (tests and fuzzing).
    #[cfg_attr(not(any(test, feature = "test-support")), allow(dead_code))]
    pub(crate) libnftnl: &'static str,
    /// How nft names it in a rule (`ibrname`).
    pub(crate) nft: &'static str,
}

const fn k(kernel: &'static str, libnftnl: &'static str, nft: &'static str) -> KeyNames {
    KeyNames {
        kernel,
        libnftnl,
        nft,
    }
}

/// `NFT_META_*`, indexed by the key's number.
pub(crate) const META_KEYS: &[KeyNames] = &[
    k("NFT_META_LEN", "len", "length"),
    k("NFT_META_PROTOCOL", "protocol", "protocol"),
    k("NFT_META_PRIORITY", "priority", "priority"),
    k("NFT_META_MARK", "mark", "mark"),
    k("NFT_META_IIF", "iif", "iif"),
    k("NFT_META_OIF", "oif", "oif"),
    k("NFT_META_IIFNAME", "iifname", "iifname"),
    k("NFT_META_OIFNAME", "oifname", "oifname"),
    k("NFT_META_IIFTYPE", "iiftype", "iiftype"),
    k("NFT_META_OIFTYPE", "oiftype", "oiftype"),
    k("NFT_META_SKUID", "skuid", "skuid"),
    k("NFT_META_SKGID", "skgid", "skgid"),
    k("NFT_META_NFTRACE", "nftrace", "nftrace"),
    k("NFT_META_RTCLASSID", "rtclassid", "rtclassid"),
    k("NFT_META_SECMARK", "secmark", "secmark"),
    k("NFT_META_NFPROTO", "nfproto", "nfproto"),
    k("NFT_META_L4PROTO", "l4proto", "l4proto"),
    k("NFT_META_BRI_IIFNAME", "bri_iifname", "ibrname"),
    k("NFT_META_BRI_OIFNAME", "bri_oifname", "obrname"),
    k("NFT_META_PKTTYPE", "pkttype", "pkttype"),
    k("NFT_META_CPU", "cpu", "cpu"),
    k("NFT_META_IIFGROUP", "iifgroup", "iifgroup"),
    k("NFT_META_OIFGROUP", "oifgroup", "oifgroup"),
    k("NFT_META_CGROUP", "cgroup", "cgroup"),
    k("NFT_META_PRANDOM", "prandom", "random"),
    // nft lists `meta secpath` as `meta ipsec` (its newer name).
    k("NFT_META_SECPATH", "secpath", "ipsec"),
    k("NFT_META_IIFKIND", "iifkind", "iifkind"),
    k("NFT_META_OIFKIND", "oifkind", "oifkind"),
    k("NFT_META_BRI_IIFPVID", "bri_iifpvid", "ibrpvid"),
    k("NFT_META_BRI_IIFVPROTO", "bri_iifvproto", "ibrvproto"),
    k("NFT_META_TIME_NS", "time", "time"),
    k("NFT_META_TIME_DAY", "day", "day"),
    k("NFT_META_TIME_HOUR", "hour", "hour"),
    k("NFT_META_SDIF", "sdif", "sdif"),
    k("NFT_META_SDIFNAME", "sdifname", "sdifname"),
    k("NFT_META_BRI_BROUTE", "broute", "broute"),
];

/// `NFT_CT_*`, indexed by the key's number.
pub(crate) const CT_KEYS: &[KeyNames] = &[
    k("NFT_CT_STATE", "state", "state"),
    k("NFT_CT_DIRECTION", "direction", "direction"),
    k("NFT_CT_STATUS", "status", "status"),
    k("NFT_CT_MARK", "mark", "mark"),
    k("NFT_CT_SECMARK", "secmark", "secmark"),
    k("NFT_CT_EXPIRATION", "expiration", "expiration"),
    k("NFT_CT_HELPER", "helper", "helper"),
    k("NFT_CT_L3PROTOCOL", "l3protocol", "l3proto"),
    k("NFT_CT_SRC", "src", "saddr"),
    k("NFT_CT_DST", "dst", "daddr"),
    k("NFT_CT_PROTOCOL", "protocol", "protocol"),
    k("NFT_CT_PROTO_SRC", "proto_src", "proto-src"),
    k("NFT_CT_PROTO_DST", "proto_dst", "proto-dst"),
    k("NFT_CT_LABELS", "label", "label"),
    k("NFT_CT_PKTS", "packets", "packets"),
    k("NFT_CT_BYTES", "bytes", "bytes"),
    k("NFT_CT_AVGPKT", "avgpkt", "avgpkt"),
    k("NFT_CT_ZONE", "zone", "zone"),
    k("NFT_CT_EVENTMASK", "event", "event"),
    k("NFT_CT_SRC_IP", "src_ip", "ip saddr"),
    k("NFT_CT_DST_IP", "dst_ip", "ip daddr"),
    k("NFT_CT_SRC_IP6", "src_ip6", "ip6 saddr"),
    k("NFT_CT_DST_IP6", "dst_ip6", "ip6 daddr"),
    k("NFT_CT_ID", "id", "id"),
];

/// The number of the key libnftnl prints as `name`.
#[cfg_attr(not(any(test, feature = "test-support")), allow(dead_code))]
pub(crate) fn key_by_libnftnl(table: &[KeyNames], name: &str) -> Option<u32> {
    let i = table.iter().position(|k| k.libnftnl == name)?;
    u32::try_from(i).ok()
}

/// nft's name of key `key`, `None` for a key this table does not know.
pub(crate) fn nft_name(table: &[KeyNames], key: u32) -> Option<&'static str> {
    Some(table.get(usize::try_from(key).ok()?)?.nft)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kernel_numbers_of_some_keys() {
        // include/uapi/linux/netfilter/nf_tables.h
        assert_eq!(key_by_libnftnl(META_KEYS, "iifname"), Some(6));
        assert_eq!(key_by_libnftnl(META_KEYS, "prandom"), Some(24));
        assert_eq!(key_by_libnftnl(META_KEYS, "sdifname"), Some(34));
        assert_eq!(nft_name(META_KEYS, 17), Some("ibrname"));
        assert_eq!(nft_name(META_KEYS, 25), Some("ipsec"));
        assert_eq!(key_by_libnftnl(CT_KEYS, "proto_dst"), Some(12));
        assert_eq!(nft_name(CT_KEYS, 23), Some("id"));
        assert_eq!(nft_name(CT_KEYS, 24), None);
        assert_eq!(META_KEYS[34].kernel, "NFT_META_SDIFNAME");
    }
}
