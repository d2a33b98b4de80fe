//! Integration tests of `netfilter_model`, one binary with a submodule per area.

mod all {
    mod iptables_save;
    mod kernel_roundtrip;
}
