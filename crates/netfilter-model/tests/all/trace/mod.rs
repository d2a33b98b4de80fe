//! Tracer tests on rulesets built with the model types (the parsers land separately).

pub mod builder;
pub mod scenarios;

mod consistency;
mod fidelity;
pub mod kube_flows;
mod limits;
mod perf;
mod randomized;
mod scenario_tests;
mod semantics;
