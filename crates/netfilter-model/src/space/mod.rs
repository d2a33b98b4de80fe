//! The packet-space engine: evaluates rulesets over *sets* of packets with the tracer's
//! semantics, and partitions the asked-for space into classes with their fate, deciding
//! rules and a witness each.
//!
//! # Representation
//!
//! A packet set is a BDD ([`biodivine_lib_bdd`]) over the header bits, variables in field
//! order, most significant bit first, so prefixes and port ranges stay small: family,
//! input and output interface-name class (an index into the classes every interface
//! literal of the analysed rulesets and the query splits the name space into), IPv4
//! source/destination (32 bits each), IPv6 source/destination (128 bits each, separate
//! variables), layer-4 protocol, ports, ICMP type and code, TCP flags, ct state on arrival
//! (an index), mark and ct mark. After those come *oracle* variables: one per rule with a
//! match the engine cannot express (and one per rule with an undecidable verdict). A
//! packet's fate is a function of its header and the oracles; a class is *must* when the
//! fate holds for every value of the oracles, else *may*, with the reasons.
//!
//! State a statement changes (marks, ct marks, NAT to a constant, notrack) is kept as one
//! BDD per bit: a function of the header saying what each packet's field holds now
//! (`ite(matched, new, old)`), so later hooks see the rewritten address and mark without
//! forking. Effects the engine does not model mark the affected packets as *may*.
//!
//! Equal-priority base chains are run in every order the tracer's schedule keeps; packets
//! whose outcome differs between orders are *may*.
//!
//! The choice of representation and its measurements are in BENCHMARKS.md.

mod analysis;
mod bitvec;
mod compile;
mod cube;
mod diff;
mod engine;
mod error;
mod exec;
mod partition;
mod query;
mod selfcheck;
mod state;
mod statements;
mod vars;
mod witness;

#[cfg(test)]
mod engine_tests;

pub use cube::{Cube, CubePart, SpaceField};
pub use diff::{semantic_diff, ClassDiff, SemanticDiff, Side};
pub use error::SpaceError;
pub use partition::{partition, Certainty, PacketClass, Partition};
pub use query::SpaceQuery;
pub use selfcheck::{self_check, SelfCheckFailure};
