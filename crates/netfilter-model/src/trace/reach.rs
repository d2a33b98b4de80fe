//! `reach`: trace a packet once per interface-name class of an input-interface pattern.

use crate::model::IfacePattern;

use super::error::TraceError;
use super::ifclass::iface_classes;
use super::options::TraceOptions;
use super::packet::Packet;
use super::path::TracePath;
use super::report::{ClassTrace, ReachReport};
use super::schedule::TraceIndex;

impl TraceIndex<'_> {
    /// Traces `base` once per class of input-interface names matching `pattern`.
    pub fn reach(
        &self,
        pattern: &IfacePattern,
        base: &Packet,
        opts: &TraceOptions,
    ) -> Result<ReachReport, TraceError> {
        let local_source = base.path == TracePath::Auto
            && base
                .local_addrs
                .as_ref()
                .is_some_and(|n| n.is_local(base.src));
        if base.path == TracePath::Output {
            return Err(TraceError::InvalidPacket(
                "reach classifies input interfaces, and the output path has none; use forward or input"
                    .into(),
            ));
        }
        if local_source {
            return Err(TraceError::InvalidPacket(format!(
                "reach classifies input interfaces, but {} is an address of this node: its packets are sent by the node (output path) and have none",
                base.src
            )));
        }
        let mut classes = Vec::new();
        let mut pkt = base.clone();
        for c in iface_classes(self, pattern) {
            pkt.iif = Some(c.example.clone());
            let trace = self.trace(&pkt, opts)?;
            classes.push(ClassTrace {
                description: c.description,
                example: c.example,
                trace,
            });
        }
        Ok(ReachReport { classes })
    }
}
