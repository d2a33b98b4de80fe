//! Live nf_tables reading over netlink: consistent dump, expression decoding, delinearization.
//!
//! The kernel-facing parts (`socket`'s socket, `dump`, `read`) need feature `netlink`
//! (libnftnl + libmnl); the register-level expression form, delinearization and xt compat
//! decoding are plain Rust and always built, so tests and fuzz targets use them without a kernel.
//! `notify` (the receive-only change subscription) needs only libc and is always built, so
//! `serve` and `watch` re-read on change in builds without libnftnl too.

mod assemble;
mod datatype;
#[cfg(any(test, feature = "test-support"))]
mod debug_text;
mod delinearize;
#[cfg(feature = "netlink")]
mod dump;
mod elements;
mod expr;
mod hdr_fields;
#[cfg(feature = "netlink")]
mod ipset;
mod keys;
mod notify;
mod object;
mod raw;
#[cfg(feature = "netlink")]
mod read;
mod settypeof;
mod socket;
mod xt;

// The decoding stages below are public for the fuzz targets and the golden tests, not as API:
// they follow libnftnl's wire structures and change with them. Importers read a live ruleset
// with `read_live_nft` and get the model.
#[doc(hidden)]
pub use assemble::assemble;
#[cfg(feature = "test-support")]
#[doc(hidden)]
pub use debug_text::{parse_debug_exprs, parse_debug_text, DebugRule};
#[doc(hidden)]
pub use delinearize::{delinearize, SetInfo, SetLookupContext};
#[cfg(feature = "netlink")]
#[cfg_attr(docsrs, doc(cfg(feature = "netlink")))]
pub use dump::{dump_ruleset, MAX_ATTEMPTS};
#[doc(hidden)]
pub use expr::{reg32, Expr, ImmData};
pub use notify::{ChangeBatch, NftablesEvents, NFNLGRP_NFTABLES};
#[doc(hidden)]
pub use raw::{
    udata_string, udata_u32, RawChain, RawElem, RawFlowtable, RawObject, RawRule, RawRuleset,
    RawSet, RawTable,
};
#[cfg(feature = "netlink")]
#[cfg_attr(docsrs, doc(cfg(feature = "netlink")))]
pub use read::read_live_nft;
#[cfg(feature = "netlink")]
#[cfg_attr(docsrs, doc(cfg(feature = "netlink")))]
pub use socket::NlSocket;
pub use socket::{check_get_request, ALLOWED_GET_TYPES};
#[doc(hidden)]
pub use xt::{decode_xt_match, decode_xt_target, XtContext, XtMatch, XtTarget};
