//! `nfdiff fleet SOURCE...`: fingerprint every node (snapshots are parsed and diagnosed one at a
//! time on each worker thread, fingerprint files are taken as they are), group, render.
//!
//! Memory stays bounded whatever the fleet's size: one thread lists the inputs (and reads a tar
//! stream) into a channel of a few documents; each worker holds one node's model at a time and
//! keeps only its fingerprint; the collector keeps one chain list per configuration.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::sync::Mutex;

use anyhow::{bail, Context, Result};
use netfilter_model::fleet::{
    fingerprint_snapshot, is_fingerprint, FingerprintOptions, FingerprintStream, Fleet,
    NodeFingerprint,
};
use netfilter_model::parse::{sniff_format, Format, ParseOptions};

use crate::args::FleetFormat;
use crate::exit::{self, Status};
use crate::fleet_input::{for_each_input, Event, Item};
use crate::render;

/// What a worker reports about a document: each node as it is read, then the end (with the
/// error that made it skip the rest, if any).
enum Msg {
    /// One node.
    Node(Box<NodeFingerprint>),
    /// The document is done; `Some` says why it was (partly) skipped.
    End(Option<String>),
}

/// Fingerprints one document's bytes, sending each node as it is read. Fingerprint files are
/// streamed: 10,000 nodes in one file are never held as 10,000 structs.
fn process(name: &str, bytes: Vec<u8>, send: &mut dyn FnMut(Msg) -> bool) -> Option<String> {
    let text = match String::from_utf8(bytes) {
        Ok(s) => s,
        Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
    };
    let opts = ParseOptions::new(name);
    if is_fingerprint(&text) {
        for fp in FingerprintStream::new(&text, &opts) {
            match fp {
                Ok(fp) => {
                    if !send(Msg::Node(Box::new(fp))) {
                        return None;
                    }
                }
                Err(e) => return Some(e.to_string()),
            }
        }
        return None;
    }
    if sniff_format(&text) == Some(Format::Snapshot) {
        return match fingerprint_snapshot(&text, &opts, &FingerprintOptions::default()) {
            Ok(fp) => {
                send(Msg::Node(Box::new(fp)));
                None
            }
            Err(e) => Some(e.to_string()),
        };
    }
    Some("not an nfdiff snapshot or fingerprint (make one with `nfdiff snapshot -o FILE`)".into())
}

/// Reads and fingerprints one item, a panic included as an error (one bad node never stops
/// the run).
fn process_item(item: Item, send: &mut dyn FnMut(Msg) -> bool) -> Option<String> {
    match item.read() {
        Ok((name, bytes)) => {
            match catch_unwind(AssertUnwindSafe(|| process(&name, bytes, &mut *send))) {
                Ok(o) => o,
                Err(_) => Some(
                    "internal error while reading it (a bug in nfdiff; please report it)".into(),
                ),
            }
        }
        Err(e) => Some(format!("{e:#}")),
    }
}

/// Worker threads: `--jobs`, else the available cores (at most 8).
fn worker_count(jobs: Option<usize>) -> usize {
    jobs.unwrap_or_else(|| {
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
            .min(8)
    })
    .max(1)
}

/// Adds worker messages to the fleet in input order (documents finish out of order).
struct Collector<'w> {
    fleet: Fleet,
    save: Option<&'w mut dyn Write>,
    save_error: Option<std::io::Error>,
    pending: BTreeMap<usize, Vec<(String, Msg)>>,
    next: usize,
}

impl Collector<'_> {
    fn apply(&mut self, name: &str, msg: Msg) {
        match msg {
            Msg::Node(fp) => {
                if let (Some(w), None) = (self.save.as_mut(), &self.save_error) {
                    let line = serde_json::to_string(&fp).map_err(std::io::Error::from);
                    if let Err(e) = line.and_then(|l| writeln!(w, "{l}")) {
                        self.save_error = Some(e);
                    }
                }
                self.fleet.add(name, *fp);
            }
            Msg::End(Some(e)) => self.fleet.skip(name, e),
            Msg::End(None) => {}
        }
    }

    fn receive(&mut self, seq: usize, name: String, msg: Msg) {
        if seq != self.next {
            self.pending.entry(seq).or_default().push((name, msg));
            return;
        }
        let ended = matches!(msg, Msg::End(_));
        self.apply(&name, msg);
        if !ended {
            return;
        }
        self.next += 1;
        // Catch up with documents that went ahead.
        while let Some(msgs) = self.pending.remove(&self.next) {
            let mut ended = false;
            for (name, msg) in msgs {
                ended |= matches!(msg, Msg::End(_));
                self.apply(&name, msg);
            }
            if !ended {
                break;
            }
            self.next += 1;
        }
    }
}

/// Reads every input into a [`Fleet`], in input order, on `workers` threads; each node's
/// fingerprint is also written to `save` (one JSON object per line) when given.
pub fn collect(sources: &[String], workers: usize, save: Option<&mut dyn Write>) -> Result<Fleet> {
    let (item_tx, item_rx) = sync_channel::<(usize, Event)>(workers * 2);
    let (done_tx, done_rx) = sync_channel::<(usize, String, Msg)>(workers * 4);
    let item_rx = Mutex::new(item_rx);
    let mut c = Collector {
        fleet: Fleet::new(),
        save,
        save_error: None,
        pending: BTreeMap::new(),
        next: 0,
    };
    std::thread::scope(|s| {
        s.spawn(move || {
            let mut seq = 0;
            for_each_input(sources, &mut |ev| {
                seq += 1;
                item_tx.send((seq - 1, ev)).is_ok()
            });
        });
        for _ in 0..workers {
            let done_tx = done_tx.clone();
            let item_rx = &item_rx;
            s.spawn(move || worker(item_rx, &done_tx));
        }
        drop(done_tx);
        for (seq, name, msg) in done_rx {
            c.receive(seq, name, msg);
        }
    });
    match c.save_error {
        Some(e) => Err(anyhow::Error::from(e).context("cannot write the fingerprints")),
        None => Ok(c.fleet),
    }
}

fn worker(items: &Mutex<Receiver<(usize, Event)>>, done: &SyncSender<(usize, String, Msg)>) {
    loop {
        let next = match items.lock() {
            Ok(rx) => rx.recv(),
            Err(_) => return,
        };
        let Ok((seq, ev)) = next else { return };
        let (name, error) = match ev {
            Event::Item(item) => {
                let name = item.name.clone();
                let mut send = |m: Msg| done.send((seq, name.clone(), m)).is_ok();
                let error = process_item(item, &mut send);
                (name, error)
            }
            Event::Failed(name, e) => (name, Some(e)),
        };
        if done.send((seq, name, Msg::End(error))).is_err() {
            return;
        }
    }
}

/// `mi_option_purge_delay` in mimalloc's `mi_option_e` (v2 and v3 alike): how long freed
/// memory stays with the process before it goes back to the kernel (default 10 ms).
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// Each worker builds and drops one node's model after another (tens of MB each); handing that
/// memory back to the kernel between nodes and faulting it in zeroed again cost a sixth of the
/// run. Keep it: peak memory is the same, the largest node's.
fn keep_freed_memory() {
    // SAFETY: sets one allocator option; mimalloc documents -1 as "no purging".
    unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, -1) };
}

/// `nfdiff fleet`.
pub fn fleet(
    out: &mut impl Write,
    sources: &[String],
    format: FleetFormat,
    jobs: Option<usize>,
    save_fingerprints: Option<&Path>,
) -> Result<Status> {
    keep_freed_memory();
    let mut save = match save_fingerprints {
        Some(p) => Some(BufWriter::new(
            File::create(p).with_context(|| format!("cannot write {}", p.display()))?,
        )),
        None => None,
    };
    let fleet = collect(
        sources,
        worker_count(jobs),
        save.as_mut().map(|w| w as &mut dyn Write),
    )?;
    if let Some(mut w) = save {
        w.flush().context("cannot write the fingerprints")?;
    }
    let report = fleet.report();
    for s in &report.skipped {
        eprintln!("nfdiff: skipped {}: {}", s.source, s.error);
    }
    if report.nodes == 0 {
        bail!("no node could be read from {}", sources.join(" "));
    }
    match format {
        FleetFormat::Text => render::fleet_text::write(out, &report)?,
        FleetFormat::Json => render::fleet_json::write(out, &report)?,
        FleetFormat::Markdown => render::fleet_markdown::write(out, &report)?,
    }
    Ok(if report.has_critical() {
        exit::DIFFERENT
    } else {
        exit::SUCCESS
    })
}
