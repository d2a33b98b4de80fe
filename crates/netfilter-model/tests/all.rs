//! The one integration test binary of `netfilter-model`; each source's tests are a submodule
//! in `tests/all/`.

mod all {
    mod nft_json_corpus;
    mod nft_json_kernel;
}
