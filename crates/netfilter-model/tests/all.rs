//! The single integration-test binary of `netfilter_model`; each submodule covers one area.

mod all {
    mod cross_format;
    mod diff;
    mod diff_fixtures;
    mod doctor;
    mod fleet;
    mod interfaces;
    mod iptables_save;
    mod kernel_roundtrip;
    mod legacy;
    #[cfg(feature = "netlink")]
    mod live;
    mod netlink_payload;
    mod netns;
    mod nft_json_corpus;
    mod nft_json_kernel;
    mod nft_text;
    mod nft_twins;
    mod space_equivalence;
    mod space_kernel;
    mod space_selfcheck;
    mod space_serialize;
    mod trace;
    mod trace_kernel;
    #[cfg(feature = "netlink")]
    mod xt_extensions;
}
