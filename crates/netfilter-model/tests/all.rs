//! The single integration-test binary of `netfilter_model`; each submodule covers one area.

mod all {
    mod diff;
    mod diff_fixtures;
    mod iptables_save;
    mod kernel_roundtrip;
    mod nft_json_corpus;
    mod nft_json_kernel;
    mod nft_text;
    mod trace;
    mod trace_kernel;
}
