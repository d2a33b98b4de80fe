//! The single integration-test binary of the crate; each submodule covers one area.

mod all {
    mod nft_text;
}
