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
use std::sync::mpsc::{sync_channel, Receiver};
use std::sync::Mutex;

use anyhow::{bail, Context, Result};
use netfilter_model::fleet::{
    fingerprint_snapshot, is_fingerprint, parse_fingerprints, FingerprintOptions, Fleet,
    NodeFingerprint,
};
use netfilter_model::parse::{sniff_format, Format, ParseOptions};

use crate::args::FleetFormat;
use crate::exit::{self, Status};
use crate::fleet_input::{for_each_input, Event, Item};
use crate::render;

/// What one document gave: its nodes, or why it was skipped.
type Outcome = std::result::Result<Vec<NodeFingerprint>, String>;

/// Fingerprints one document's bytes.
fn process(name: &str, bytes: Vec<u8>) -> Outcome {
    let text = match String::from_utf8(bytes) {
        Ok(s) => s,
        Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
    };
    let opts = ParseOptions::new(name);
    if is_fingerprint(&text) {
        return parse_fingerprints(&text, &opts).map_err(|e| e.to_string());
    }
    if sniff_format(&text) == Some(Format::Snapshot) {
        return fingerprint_snapshot(&text, &opts, &FingerprintOptions::default())
            .map(|fp| vec![fp])
            .map_err(|e| e.to_string());
    }
    Err("not an nfdiff snapshot or fingerprint (make one with `nfdiff snapshot -o FILE`)".into())
}

/// Reads and fingerprints one item, a panic included as an error (one bad node never stops
/// the run).
fn process_item(item: Item) -> (String, Outcome) {
    let name = item.name.clone();
    let outcome = match item.read() {
        Ok((name, bytes)) => match catch_unwind(AssertUnwindSafe(|| process(&name, bytes))) {
            Ok(o) => o,
            Err(_) => {
                Err("internal error while reading it (a bug in nfdiff; please report it)".into())
            }
        },
        Err(e) => Err(format!("{e:#}")),
    };
    (name, outcome)
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

/// Reads every input into a [`Fleet`], in input order, on `workers` threads; each node's
/// fingerprint is also written to `save` (one JSON object per line) when given.
pub fn collect(
    sources: &[String],
    workers: usize,
    mut save: Option<&mut dyn Write>,
) -> Result<Fleet> {
    let (item_tx, item_rx) = sync_channel::<(usize, Event)>(workers * 2);
    let (done_tx, done_rx) = sync_channel::<(usize, String, Outcome)>(workers * 2);
    let item_rx = Mutex::new(item_rx);
    let mut fleet = Fleet::new();
    let mut save_error: Option<std::io::Error> = None;
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
        // Documents finish out of order; they are added in input order.
        let mut pending: BTreeMap<usize, (String, Outcome)> = BTreeMap::new();
        let mut next = 0;
        for (seq, name, outcome) in done_rx {
            pending.insert(seq, (name, outcome));
            while let Some((name, outcome)) = pending.remove(&next) {
                match outcome {
                    Ok(fps) => {
                        for fp in fps {
                            if let (Some(w), None) = (save.as_mut(), &save_error) {
                                let line = serde_json::to_string(&fp).map_err(std::io::Error::from);
                                if let Err(e) = line.and_then(|l| writeln!(w, "{l}")) {
                                    save_error = Some(e);
                                }
                            }
                            fleet.add(&name, fp);
                        }
                    }
                    Err(e) => fleet.skip(&name, e),
                }
                next += 1;
            }
        }
    });
    match save_error {
        Some(e) => Err(anyhow::Error::from(e).context("cannot write the fingerprints")),
        None => Ok(fleet),
    }
}

fn worker(
    items: &Mutex<Receiver<(usize, Event)>>,
    done: &std::sync::mpsc::SyncSender<(usize, String, Outcome)>,
) {
    loop {
        let next = match items.lock() {
            Ok(rx) => rx.recv(),
            Err(_) => return,
        };
        let Ok((seq, ev)) = next else { return };
        let (name, outcome) = match ev {
            Event::Item(item) => process_item(item),
            Event::Failed(name, e) => (name, Err(e)),
        };
        if done.send((seq, name, outcome)).is_err() {
            return;
        }
    }
}

/// `nfdiff fleet`.
pub fn fleet(
    out: &mut impl Write,
    sources: &[String],
    format: FleetFormat,
    jobs: Option<usize>,
    save_fingerprints: Option<&Path>,
) -> Result<Status> {
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
