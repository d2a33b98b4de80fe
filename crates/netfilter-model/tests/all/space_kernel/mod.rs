//! Witness packets of the packet-space analysis (issue 15) checked against the Linux kernel.

pub mod harness;

mod incident_certainty;
mod partition_witnesses;
mod tracer_witnesses;
mod vmap_witnesses;
