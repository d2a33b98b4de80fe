//! The one integration-test binary of `netfilter-model`; each area is a submodule in `all/`.

mod all {
    mod trace;
}
