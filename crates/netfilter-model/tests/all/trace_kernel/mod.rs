//! Differential tests of the tracer against the Linux kernel, in fresh network namespaces.

pub mod compare;
pub mod node;

pub mod gen;
mod gen21;
mod issue21;
mod nat_flows;
mod randomized;
mod registration;
mod scenarios;
