//! The JSON wire formats of the reports, one definition for the `nfdiff` command line and for
//! importers: what `--format json` prints is `serde_json` of these types.
//!
//! ```
//! use netfilter_model::parse::{parse_text, ParseOptions};
//! use netfilter_model::trace::{trace, Packet, TraceOptions};
//! use netfilter_model::wire::TraceJson;
//!
//! let rs = parse_text("*filter\n:FORWARD DROP [0:0]\nCOMMIT\n", &ParseOptions::new("x"))?;
//! let mut p = Packet::new("10.0.0.1".parse().unwrap(), "10.0.0.2".parse().unwrap());
//! p.iif = Some("eth0".into());
//! p.oif = Some("eth1".into());
//! let rep = trace(&rs, &p, &TraceOptions::default())?;
//! let json = serde_json::to_value(TraceJson::new(&rep)).unwrap();
//! assert_eq!(json["schema_version"], 1);
//! assert_eq!(json["verdict"], "drop");
//! # Ok::<(), netfilter_model::Error>(())
//! ```

mod diff;
mod doctor;
mod rule;
mod trace;

pub use diff::DiffJson;
pub use doctor::DoctorJson;
pub use rule::RuleJson;
pub use trace::{ReachJson, TraceJson};

/// The version of every wire document, its first field `schema_version`. It grows when a
/// field changes meaning or goes away; new fields may appear without it.
pub const SCHEMA_VERSION: u32 = 1;
