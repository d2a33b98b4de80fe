//! Packet-space analysis: the tracer's semantics over *sets* of packets.
//!
//! A ruleset is evaluated symbolically over a binary decision diagram (BDD,
//! `biodivine-lib-bdd`) whose variables are the bits of the packet header in field order,
//! most significant bit first: IP version, input and output interface class (the
//! interface-name alphabet of every ruleset analysed together and the query, as `reach`
//! builds it), IPv4 source and destination, IPv6 source and destination, layer-4 protocol,
//! ports, ICMP type and code, TCP flags, conntrack state, mark, connection mark. Prefixes and
//! port ranges are small BDDs in that order.
//!
//! Each rule splits the packets entering it into those it matches and the rest; jumps
//! recurse, returns come back, accepts end only the base chain, drops are final, hooks and
//! base chains run in kernel order for both backends (equal priorities in every order the
//! tracer tries), nat chains see only first packets. Statements rewrite fields bit by bit
//! (marks, connection marks, NAT to a constant), so later matches see the new values.
//! Matches the engine cannot express (rate limits, random draws, unknown extensions, sets
//! whose members are not in the dump) follow both ways: the packets whose fate depends on
//! them are *may*, every other class is *must* — sound by construction, and checked: a
//! *must* class's witness traced by the concrete tracer gets the class's verdict
//! ([`self_check`]).

mod analysis;
mod classes;
mod cube;
mod diff;
mod engine;
mod error;
mod predicate;
mod query;
mod selfcheck;
mod state;
mod statements;
mod universe;
mod walk;
mod witness;

pub use analysis::partition;
pub use classes::{Certainty, PacketClass, Partition};
pub use cube::{Constraint, Cube};
pub use diff::{semantic_diff, ClassDiff, Fate, SemanticDiff};
pub use error::SpaceError;
pub use query::SpaceQuery;
pub use selfcheck::{self_check, SelfCheckFailure};

#[cfg(test)]
mod tests;
