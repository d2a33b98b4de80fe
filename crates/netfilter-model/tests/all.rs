//! Integration tests of `netfilter_model` (one test binary; submodules in `tests/all/`).

#[path = "all/legacy.rs"]
mod legacy;
#[cfg(feature = "netlink")]
#[path = "all/live.rs"]
mod live;
#[path = "all/netns.rs"]
mod netns;
