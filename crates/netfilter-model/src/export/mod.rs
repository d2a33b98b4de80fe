//! Rendering a model back to the text formats of the netfilter tools.

mod iptables_save;
mod rule_args;

pub use iptables_save::{to_iptables_save, write_iptables_table};
