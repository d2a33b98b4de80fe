//! The change stream of this node for `serve` and `watch`: block until nf_tables announces a
//! change (`NFNLGRP_NFTABLES`) or the legacy rule counts (getsockopt) differ from the last poll.

use std::time::Duration;

use netfilter_model::legacy::{legacy_tables, LegacyTable};
use netfilter_model::netlink::NftablesEvents;

/// Why the node is read again.
#[derive(Debug)]
pub enum Wake {
    /// nf_tables announced changes (or lost some to a full buffer).
    Nftables,
    /// The legacy tables or their rule counts differ from the last poll.
    Legacy,
    /// No subscription could be made: re-read at every poll.
    Poll,
}

/// Waits for the next change of the node's netfilter state. One caller, one thread: the reads
/// it triggers never overlap.
pub struct ChangeStream {
    events: Option<NftablesEvents>,
    /// Why there is no subscription, when there is none.
    pub subscribe_error: Option<String>,
    legacy_poll: Duration,
    last_legacy: Vec<LegacyTable>,
    /// nf_tables messages received so far.
    pub notifications: u64,
    /// The last nf_tables generation announced.
    pub generation: Option<u32>,
}

impl ChangeStream {
    /// Subscribes to nf_tables changes (before the first read, so nothing is missed) and
    /// remembers the legacy counts.
    pub fn new(legacy_poll: Duration) -> ChangeStream {
        let (events, subscribe_error) = match NftablesEvents::subscribe() {
            Ok(e) => (Some(e), None),
            Err(e) => (None, Some(e.to_string())),
        };
        ChangeStream {
            events,
            subscribe_error,
            legacy_poll,
            last_legacy: legacy_tables(),
            notifications: 0,
            generation: None,
        }
    }

    /// Whether nf_tables notifications are received.
    pub fn subscribed(&self) -> bool {
        self.events.is_some()
    }

    /// Blocks until something changed.
    pub fn next(&mut self) -> anyhow::Result<Wake> {
        loop {
            let Some(events) = self.events.as_mut() else {
                std::thread::sleep(self.legacy_poll);
                self.last_legacy = legacy_tables();
                return Ok(Wake::Poll);
            };
            let batch = events.wait(Some(self.legacy_poll))?;
            if batch.changed() {
                self.notifications += batch.messages as u64;
                if batch.generation.is_some() {
                    self.generation = batch.generation;
                }
                // A change of the legacy counts in the meantime is covered by this read too.
                self.last_legacy = legacy_tables();
                return Ok(Wake::Nftables);
            }
            let now = legacy_tables();
            if now != self.last_legacy {
                self.last_legacy = now;
                return Ok(Wake::Legacy);
            }
        }
    }
}
