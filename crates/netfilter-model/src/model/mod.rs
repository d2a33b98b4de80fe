//! The normalized model shared by every source, diff, trace and report.

mod backend;
mod canonical;
mod chain;
mod family;
mod hook;
mod log_options;
mod matches;
mod nat_target;
mod normalize;
mod rule;
mod ruleset;
mod set;
mod statement;
mod table;
mod value;
mod verbatim;
mod verdict;
mod warning_kind;

pub use backend::Backend;
pub use canonical::{icmp_type_name, required_protocol};
pub use chain::{BaseChain, Chain, Policy};
pub use family::Family;
pub use hook::{iptables_builtin, legacy_priority, priority_name, ChainType, Hook};
pub(crate) use log_options::iptables_log_extras;
pub use matches::{Match, MatchKind, SetKey};
pub use nat_target::{nat_target_text, split_nat_target};
pub use rule::{Counters, Origin, Rule};
pub use ruleset::{Ruleset, Warning};
pub use set::{NamedObject, NamedSet};
pub use statement::{NatKind, Statement};
pub use table::Table;
pub use value::{AddrSpec, CtStateSet, Direction, IfacePattern, PortRange, Protocol, TcpFlags};
pub use verdict::Verdict;
pub use warning_kind::WarningKind;
