//! Integration tests of `netfilter_model`, one test binary with a submodule per area.

#[path = "all/diff.rs"]
mod diff;
#[path = "all/diff_fixtures.rs"]
mod diff_fixtures;
