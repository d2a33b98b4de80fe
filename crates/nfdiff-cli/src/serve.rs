//! `nfdiff serve --listen ADDR`: a read-only exporter of this node (`/metrics`, `/healthz`,
//! `/snapshot`, `/doctor`, `/fingerprint`). One reader thread re-reads the node when nf_tables announces a
//! change or the legacy counts move; HTTP workers only copy out the last published bodies, so a
//! scrape never triggers a read, reads never overlap, and memory holds one node read at a time.

use std::io::Cursor;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{anyhow, Result};
use netfilter_model::doctor::{diagnose, DoctorOptions};
use netfilter_model::fleet::{fingerprint_of_snapshot, FingerprintOptions};
use netfilter_model::parse::ParseOptions;
use netfilter_model::snapshot::{facts_from_snapshot, snapshot_ruleset};

use crate::exit::Status;
use crate::live_node::capture_live;
use crate::node_changes::{ChangeStream, Wake};
use crate::render;
use crate::serve_metrics::{ReadStats, ServeMetrics};

/// HTTP worker threads: scrapes are copies of ready bodies, two suffice.
const WORKERS: usize = 2;

/// What one successful read of the node publishes.
struct NodeBodies {
    snapshot: Arc<[u8]>,
    doctor: Arc<[u8]>,
    /// The node's per-chain fingerprint (`nfdiff fleet` input), one JSON object.
    fingerprint: Arc<[u8]>,
    doctor_metrics: String,
}

/// Everything the HTTP side serves, replaced whole after every read.
#[derive(Default)]
struct Published {
    metrics: Arc<[u8]>,
    node: Option<Arc<NodeBodies>>,
    last_error: Option<String>,
}

/// An HTTP answer: status, content type, body.
#[derive(Debug)]
pub struct Reply {
    /// Status code.
    pub status: u16,
    /// `Content-Type`.
    pub content_type: &'static str,
    /// The body (shared with the published state, never copied per request).
    pub body: Arc<[u8]>,
    /// `Allow` header of a 405.
    pub allow: bool,
}

fn text(status: u16, s: &str) -> Reply {
    Reply {
        status,
        content_type: "text/plain; charset=utf-8",
        body: Arc::from(s.as_bytes()),
        allow: false,
    }
}

/// The answer to `method url`: GET (or HEAD) of the five paths; 405 for other methods on them;
/// 404 for every other path.
fn route(method: &str, url: &str, p: &Published) -> Reply {
    let path = url.split('?').next().unwrap_or("");
    let known = matches!(
        path,
        "/metrics" | "/healthz" | "/snapshot" | "/doctor" | "/fingerprint"
    );
    if !known {
        return text(
            404,
            "not found: nfdiff serves /metrics /healthz /snapshot /doctor /fingerprint\n",
        );
    }
    if method != "GET" && method != "HEAD" {
        let mut r = text(405, "method not allowed: only GET and HEAD\n");
        r.allow = true;
        return r;
    }
    let not_read = || {
        text(
            503,
            &format!(
                "no successful read of the node yet{}\n",
                p.last_error
                    .as_deref()
                    .map(|e| format!(": {e}"))
                    .unwrap_or_default()
            ),
        )
    };
    match path {
        "/metrics" => Reply {
            status: 200,
            content_type: "text/plain; version=0.0.4; charset=utf-8",
            body: p.metrics.clone(),
            allow: false,
        },
        "/healthz" => match (&p.node, &p.last_error) {
            (Some(_), None) => text(200, "ok\n"),
            (_, Some(e)) => text(503, &format!("last read failed: {e}\n")),
            (None, None) => not_read(),
        },
        "/snapshot" | "/doctor" | "/fingerprint" => match &p.node {
            Some(n) => Reply {
                status: 200,
                content_type: "application/json",
                body: match path {
                    "/snapshot" => n.snapshot.clone(),
                    "/doctor" => n.doctor.clone(),
                    _ => n.fingerprint.clone(),
                },
                allow: false,
            },
            None => not_read(),
        },
        _ => text(404, "not found\n"),
    }
}

/// One read of the node: the live snapshot, its model, the doctor's report, rendered.
fn read_node() -> Result<NodeBodies> {
    let snap = capture_live()?;
    let rs = snapshot_ruleset(&snap, &ParseOptions::new("live"))?;
    let facts = facts_from_snapshot(&snap);
    let report = diagnose(&rs, &facts, &DoctorOptions::default());
    let mut doctor = Vec::new();
    render::doctor_json::write(&mut doctor, &report)?;
    let mut doctor_metrics = Vec::new();
    render::doctor_prometheus::write(&mut doctor_metrics, &report)?;
    let fingerprint = fingerprint_of_snapshot(
        &snap,
        &ParseOptions::new("live"),
        &FingerprintOptions::default(),
    )?
    .to_json();
    Ok(NodeBodies {
        fingerprint: Arc::from(fingerprint.into_bytes()),
        snapshot: Arc::from(serde_json::to_vec(&snap)?),
        doctor: Arc::from(doctor),
        doctor_metrics: String::from_utf8(doctor_metrics)?,
    })
}

fn unix_now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

/// The reader loop: read, publish, wait for the next change; forever.
fn reader(state: Arc<Mutex<Arc<Published>>>, mut changes: ChangeStream) -> Result<()> {
    let mut stats = ReadStats::default();
    let mut node: Option<Arc<NodeBodies>> = None;
    loop {
        let started = Instant::now();
        let result = read_node();
        stats.reads += 1;
        stats.last_duration = started.elapsed().as_secs_f64();
        stats.last_timestamp = unix_now();
        let last_error = match result {
            Ok(bodies) => {
                node = Some(Arc::new(bodies));
                None
            }
            Err(e) => {
                stats.errors += 1;
                Some(format!("{e:#}"))
            }
        };
        stats.notifications = changes.notifications;
        stats.generation = changes.generation;
        stats.subscribed = changes.subscribed();
        let metrics = ServeMetrics {
            stats: &stats,
            up: last_error.is_none(),
            doctor: node.as_ref().map(|n| n.doctor_metrics.as_str()),
        }
        .render();
        let published = Arc::new(Published {
            metrics: Arc::from(metrics.into_bytes()),
            node: node.clone(),
            last_error,
        });
        *state.lock().map_err(|_| anyhow!("state lock poisoned"))? = published;
        match changes.next()? {
            Wake::Nftables => stats.nftables_wakes += 1,
            Wake::Legacy => stats.legacy_wakes += 1,
            Wake::Poll => stats.poll_wakes += 1,
        }
    }
}

/// Answers requests until the server fails.
fn worker(server: Arc<tiny_http::Server>, state: Arc<Mutex<Arc<Published>>>) {
    while let Ok(request) = server.recv() {
        let published = match state.lock() {
            Ok(g) => Arc::clone(&g),
            Err(_) => return,
        };
        let method = request.method().as_str().to_string();
        let reply = route(&method, request.url(), &published);
        drop(published);
        let mut headers = vec![
            tiny_http::Header::from_bytes("Content-Type", reply.content_type)
                .expect("static header is valid"),
        ];
        if reply.allow {
            headers
                .push(tiny_http::Header::from_bytes("Allow", "GET, HEAD").expect("static header"));
        }
        let len = reply.body.len();
        let response = tiny_http::Response::new(
            tiny_http::StatusCode(reply.status),
            headers,
            Cursor::new(reply.body),
            Some(len),
            None,
        );
        // A client that went away is not an error of the exporter.
        let _ = request.respond(response);
    }
}

/// `nfdiff serve`: binds, starts the reader, serves until the reader fails.
pub fn serve(listen: &str, legacy_poll: Duration) -> Result<Status> {
    let server =
        tiny_http::Server::http(listen).map_err(|e| anyhow!("cannot listen on {listen}: {e}"))?;
    let server = Arc::new(server);
    // Subscribe before the first read so that no change between the two is missed.
    let changes = ChangeStream::new(legacy_poll);
    if let Some(e) = &changes.subscribe_error {
        eprintln!(
            "nfdiff serve: no nf_tables notifications ({e}); re-reading every {}s",
            legacy_poll.as_secs_f64()
        );
    }
    eprintln!("nfdiff serve: listening on {listen}");
    let state = Arc::new(Mutex::new(Arc::new(Published {
        metrics: Arc::from(&b"# no read of the node yet\n"[..]),
        ..Published::default()
    })));
    for _ in 0..WORKERS {
        let (server, state) = (Arc::clone(&server), Arc::clone(&state));
        std::thread::spawn(move || worker(server, state));
    }
    reader(state, changes)?;
    Ok(crate::exit::ERROR)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn published(read: bool, error: Option<&str>) -> Published {
        Published {
            metrics: Arc::from(&b"nfdiff_up 1\n"[..]),
            node: read.then(|| {
                Arc::new(NodeBodies {
                    snapshot: Arc::from(&b"{\"nfdiff_snapshot\":1}"[..]),
                    doctor: Arc::from(&b"{\"findings\":[]}"[..]),
                    fingerprint: Arc::from(&b"{\"nfdiff_fingerprint\":1}"[..]),
                    doctor_metrics: String::new(),
                })
            }),
            last_error: error.map(String::from),
        }
    }

    fn answer(method: &str, url: &str, p: &Published) -> (u16, String) {
        let r = route(method, url, p);
        (r.status, String::from_utf8_lossy(&r.body).into_owned())
    }

    #[test]
    fn routes_the_five_paths_and_refuses_the_rest() {
        let p = published(true, None);
        assert_eq!(answer("GET", "/metrics", &p), (200, "nfdiff_up 1\n".into()));
        assert_eq!(answer("GET", "/healthz", &p), (200, "ok\n".into()));
        assert_eq!(answer("HEAD", "/healthz?x=1", &p).0, 200);
        assert_eq!(
            answer("GET", "/snapshot", &p),
            (200, "{\"nfdiff_snapshot\":1}".into())
        );
        assert_eq!(
            answer("GET", "/doctor", &p),
            (200, "{\"findings\":[]}".into())
        );
        assert_eq!(
            answer("GET", "/fingerprint", &p),
            (200, "{\"nfdiff_fingerprint\":1}".into())
        );
        assert_eq!(answer("POST", "/fingerprint", &p).0, 405);
        let r = route("POST", "/metrics", &p);
        assert_eq!((r.status, r.allow), (405, true));
        assert_eq!(answer("DELETE", "/doctor", &p).0, 405);
        assert_eq!(answer("GET", "/", &p).0, 404);
        assert_eq!(answer("GET", "/metrics/x", &p).0, 404);
        assert_eq!(answer("POST", "/nope", &p).0, 404);
    }

    #[test]
    fn before_a_read_and_after_a_failed_one() {
        let p = published(false, None);
        assert_eq!(answer("GET", "/snapshot", &p).0, 503);
        assert_eq!(answer("GET", "/healthz", &p).0, 503);
        assert_eq!(answer("GET", "/metrics", &p).0, 200);
        let p = published(true, Some("boom"));
        assert_eq!(
            answer("GET", "/healthz", &p),
            (503, "last read failed: boom\n".into())
        );
        assert_eq!(answer("GET", "/doctor", &p).0, 200, "last good read stays");
    }
}
