//! Packet-space analysis: the tracer's semantics over *sets* of packets.
//!
//! A ruleset is evaluated symbolically over a binary decision diagram (BDD, `oxidd`, one
//! shared-node manager per analysis; `space/bdd.rs`) whose variables are the bits of the
//! packet header in field order, most significant bit first: IP version, input and output interface class (the
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
//!
//! # Representation (measured)
//!
//! Fields a packet does not carry (the other IP version's addresses, ports of a protocol
//! without them, ICMP fields of other protocols) are left free rather than pinned to zero:
//! pinned, every BDD repeated a 256-variable chain under each distinct address prefix above
//! it and the TUM ruleset's FORWARD partition (5,556 rules) did not finish in 300 s; free, 20 s.
//! Class regions are united by halves (a running union grew large early: 21.6 s -> 9.0 s).
//!
//! The BDD library was measured: `biodivine-lib-bdd` (used first) keeps each BDD as its own
//! node vector and copies it on every operation, so a region shrinking rule by rule (the
//! miss side of a long dispatch chain) costs its whole size per rule — removing 13,000
//! service cubes one by one took 78.7 s; `oxidd` shares nodes between all BDDs of an
//! analysis, so the same took 0.36 s (the same 154,323-node result; `scripts/bdd-compare`).
//! On small BDDs the two are level (TUM 5.5 s with biodivine, 5.0 s with oxidd), once
//! emptiness and inclusion tests walk both BDDs without building a node (`Bdd::intersects`,
//! `is_subset`). Per-field interval cubes were not measured.
//!
//! The TUM partition: overlapping fates are told apart after the literals every packet of a
//! fate or piece shares rule out disjoint pairs (bit sets, `Bdd::implied_literals`: all but
//! 33,565 of 1.58 million tests), witnesses and cubes are read by walks that build nothing,
//! and the apply cache is small (2^16 entries; 2^20 and 2^22 were slower): 1.6 s
//! (`nfdiff classes`, 2 CPUs), from 5.5 s.
//!
//! Kube-proxy shapes (`nfdiff-gen --shape kube-proxy`; every endpoint's DNAT is its own flow
//! state, 49,040 of them at 100k rules): protocol and ports come first in the variable order
//! when a chain dispatches on ports alone (`space/order.rs`, for `KUBE-NODEPORTS`: each such
//! rule otherwise rebuilt the address structure of the rest of `KUBE-SERVICES`); a rule is
//! compiled once per value of what it reads of the state (`space/reads.rs`), and states
//! whose rewritten destination its literals exclude are skipped without compiling; a flow
//! set updates in place the few flows a rule meets; [`semantic_diff`] walks the two
//! rulesets on two threads, each in its own manager (one shared manager spent as long in
//! contention as it saved), moves what it compares into one, derives each verdict's packets
//! from the verdict with fewer flows and the rest of the query, and works out classes only
//! where the verdicts differ. Semantic diff of 1% changed rulesets (`examples/space_bench
//! diff`, 2 CPUs): 10k 9.0 s -> under 1 s; 100k from not finishing to 9.0 s wall with
//! parsing, 1.6 GB peak.

//! # Known limits
//!
//! Verdict maps split a flow by their elements, each part taking its element's verdict: a
//! key the engine cannot express (`numgen`, `jhash`, an element it does not understand)
//! leaves each element's verdict and no element possible (*may*), and a named map missing
//! from the dump may accept, drop or go on. Address types are decided with the query's node
//! addresses ([`SpaceQuery::local_addrs`]); without them only `0.0.0.0/8`,
//! `255.255.255.255` and multicast are, and IPv6 types other than `LOCAL`, `MULTICAST`,
//! `UNICAST` and `UNSPEC`, and `--limit-iface-*` on a local or broadcast address, stay
//! *may* as in the tracer. `--path auto` needs the node addresses (without them it is the
//! forward path). Conntrack status and direction are not fields of the tracer's packet, so
//! not of the universe: a connection's first packet (`ct state new`) is in the original
//! direction and has the `dnat`/`snat` status its NAT so far gave it; other statuses and
//! packets of existing connections are *may*. NAT to a range, masquerade and redirect make
//! the rewritten address unknown to later matches; the reverse-path check is assumed to
//! pass, as the tracer assumes by default ([`SpaceQuery::rpf_valid`]).

mod analysis;
mod auto_path;
mod bdd;
mod classes;
mod ct_history;
mod cube;
mod diff;
mod engine;
mod error;
mod node_facts;
mod order;
mod predicate;
mod prefilter;
mod query;
mod reads;
mod selfcheck;
mod state;
mod statements;
mod universe;
mod vmap;
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
mod test_support;
#[cfg(test)]
mod tests;
