//! `show --format json` of a dump read chain by chain: parsed on one thread, written on another.
//!
//! The bytes are those of [`show_json::write`](super::show_json::write) on the parsed
//! ruleset: the same view types and formatter, with the tables, chains and warnings pulled
//! from the parser as the serializer reaches them. Parsing and formatting each take about
//! half the time, so a second thread parses ahead while this one writes; chains cross in
//! batches (a channel message per chain cost more than it saved on 10^4 two-rule chains).

use std::cell::RefCell;
use std::collections::VecDeque;
use std::io::Write;
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};

use netfilter_model::model::{Chain, Table, Warning};
use netfilter_model::parse::IptablesSaveStream;
use serde::ser::{Error as _, SerializeSeq};
use serde::Serialize;

use super::show_json::{ChainView, WarningView, SCHEMA_VERSION};

/// What the parsing thread hands over, in order.
enum Event {
    Table(Table),
    Chain(Chain),
    EndOfTable,
    End(Vec<Warning>),
}

/// A batch is sent once it holds this many rules (or this many events).
const BATCH_RULES: usize = 512;
const BATCH_EVENTS: usize = 128;
/// Batches in flight: enough to keep both threads busy, bounded so memory stays a few chains.
const BATCHES_IN_FLIGHT: usize = 4;

/// Drives the parser and sends its events in batches; stops when the writer hangs up.
fn produce(
    mut stream: IptablesSaveStream<'_, '_>,
    tx: &SyncSender<netfilter_model::Result<Vec<Event>>>,
) {
    let mut batch = Vec::with_capacity(BATCH_EVENTS);
    let mut rules = 0;
    let mut push = |e: Event, batch: &mut Vec<Event>, flush: bool| -> bool {
        if let Event::Chain(c) = &e {
            rules += c.rules.len();
        }
        batch.push(e);
        if flush || rules >= BATCH_RULES || batch.len() >= BATCH_EVENTS {
            rules = 0;
            let full = std::mem::replace(batch, Vec::with_capacity(BATCH_EVENTS));
            return tx.send(Ok(full)).is_ok();
        }
        true
    };
    let result = (|| -> netfilter_model::Result<()> {
        while let Some(t) = stream.next_table()? {
            if !push(Event::Table(t), &mut batch, false) {
                return Ok(());
            }
            while let Some(c) = stream.next_chain()? {
                if !push(Event::Chain(c), &mut batch, false) {
                    return Ok(());
                }
            }
            if !push(Event::EndOfTable, &mut batch, false) {
                return Ok(());
            }
        }
        let warnings = stream.finish()?;
        push(Event::End(warnings), &mut batch, true);
        Ok(())
    })();
    if let Err(e) = result {
        // Events read before the error go first, so the output stops where the error is.
        if !batch.is_empty() && tx.send(Ok(std::mem::take(&mut batch))).is_err() {
            return;
        }
        let _ = tx.send(Err(e));
    }
}

/// The writer's side: events pulled one at a time from the batches, and the parse error
/// that stopped the output, if one did.
struct Pull {
    /// Taken (dropped) when writing ends, which stops the parser if it is still sending.
    rx: RefCell<Option<Receiver<netfilter_model::Result<Vec<Event>>>>>,
    pending: RefCell<VecDeque<Event>>,
    warnings: RefCell<Vec<Warning>>,
    error: RefCell<Option<netfilter_model::Error>>,
}

impl Pull {
    fn next_event(&self) -> Result<Event, String> {
        loop {
            if let Some(e) = self.pending.borrow_mut().pop_front() {
                return Ok(e);
            }
            let received = match self.rx.borrow().as_ref() {
                Some(rx) => rx.recv(),
                None => return Err("the output was closed".to_string()),
            };
            match received {
                Ok(Ok(batch)) => self.pending.borrow_mut().extend(batch),
                Ok(Err(e)) => {
                    let msg = e.to_string();
                    *self.error.borrow_mut() = Some(e);
                    return Err(msg);
                }
                Err(_) => return Err("the parsing thread stopped".to_string()),
            }
        }
    }

    /// The next table's header; `None` after the last (the warnings are then kept).
    fn next_table(&self) -> Result<Option<Table>, String> {
        match self.next_event()? {
            Event::Table(t) => Ok(Some(t)),
            Event::End(w) => {
                *self.warnings.borrow_mut() = w;
                Ok(None)
            }
            _ => Err("parser events out of order: expected a table".to_string()),
        }
    }

    /// The current table's next chain; `None` after its last.
    fn next_chain(&self) -> Result<Option<Chain>, String> {
        match self.next_event()? {
            Event::Chain(c) => Ok(Some(c)),
            Event::EndOfTable => Ok(None),
            _ => Err("parser events out of order: expected a chain".to_string()),
        }
    }
}

/// `RulesetView` with its tables and warnings pulled from the parser as they are written.
#[derive(Serialize)]
struct StreamedRulesetView<'p> {
    schema_version: u32,
    tables: StreamedTables<'p>,
    warnings: StreamedWarnings<'p>,
}

struct StreamedTables<'p>(&'p Pull);

impl Serialize for StreamedTables<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(None)?;
        while let Some(t) = self.0.next_table().map_err(S::Error::custom)? {
            seq.serialize_element(&StreamedTableView::new(&t, self.0))?;
        }
        seq.end()
    }
}

/// `TableView` of a table whose chains are pulled from the parser. An iptables-save table
/// has no sets or objects, so those (skipped when empty) never appear.
#[derive(Serialize)]
struct StreamedTableView<'a, 'p> {
    backend: &'static str,
    family: &'static str,
    name: &'a str,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    flags: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    comment: Option<&'a str>,
    chains: StreamedChains<'p>,
}

impl<'a, 'p> StreamedTableView<'a, 'p> {
    fn new(t: &'a Table, pull: &'p Pull) -> Self {
        StreamedTableView {
            backend: t.backend.as_str(),
            family: t.family.as_str(),
            name: &t.name,
            flags: &t.flags,
            comment: t.comment.as_deref(),
            chains: StreamedChains(pull),
        }
    }
}

struct StreamedChains<'p>(&'p Pull);

impl Serialize for StreamedChains<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(None)?;
        // Each chain is dropped once written: only a few chains' rules are held at a time.
        while let Some(c) = self.0.next_chain().map_err(S::Error::custom)? {
            seq.serialize_element(&ChainView::new(&c))?;
        }
        seq.end()
    }
}

struct StreamedWarnings<'p>(&'p Pull);

impl Serialize for StreamedWarnings<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.0.warnings.borrow().iter().map(WarningView::new))
    }
}

/// Writes a dump read chain by chain: the same bytes as
/// [`show_json::write`](super::show_json::write) on the parsed ruleset, holding a few chains'
/// rules at a time. A parse error stops the output where it is found and is returned.
pub fn write_stream(
    out: &mut impl Write,
    stream: IptablesSaveStream<'_, '_>,
) -> anyhow::Result<()> {
    let (tx, rx) = sync_channel(BATCHES_IN_FLIGHT);
    let pull = Pull {
        rx: RefCell::new(Some(rx)),
        pending: RefCell::new(VecDeque::new()),
        warnings: RefCell::new(Vec::new()),
        error: RefCell::new(None),
    };
    let written = std::thread::scope(|scope| {
        scope.spawn(move || produce(stream, &tx));
        let view = StreamedRulesetView {
            schema_version: SCHEMA_VERSION,
            tables: StreamedTables(&pull),
            warnings: StreamedWarnings(&pull),
        };
        let written = super::pretty::to_writer_pretty(&mut *out, &view);
        // Hanging up stops the parser if the output failed part-way (a closed pipe).
        drop(pull.rx.borrow_mut().take());
        written
    });
    if let Some(e) = pull.error.into_inner() {
        return Err(e.into());
    }
    written?;
    writeln!(out)?;
    Ok(())
}
