//! Integration tests of the `nfdiff` binary (one test binary; submodules in `tests/all/`).

#[path = "all/live.rs"]
mod live;
