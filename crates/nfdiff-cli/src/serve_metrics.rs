//! The `/metrics` body of `nfdiff serve`: the exporter's own read metrics, then the doctor's.

use std::fmt::Write;

/// Counters of the reader loop.
#[derive(Debug, Default, Clone)]
pub struct ReadStats {
    /// Reads of the node, successful or not.
    pub reads: u64,
    /// Reads that failed.
    pub errors: u64,
    /// Seconds the last read took.
    pub last_duration: f64,
    /// When the last read ended (Unix seconds).
    pub last_timestamp: f64,
    /// nf_tables notification messages received.
    pub notifications: u64,
    /// The last nf_tables generation announced.
    pub generation: Option<u32>,
    /// Whether nf_tables notifications are received.
    pub subscribed: bool,
    /// Re-reads caused by nf_tables notifications.
    pub nftables_wakes: u64,
    /// Re-reads caused by changed legacy counts.
    pub legacy_wakes: u64,
    /// Re-reads by plain polling (no subscription).
    pub poll_wakes: u64,
}

/// One `/metrics` body.
pub struct ServeMetrics<'a> {
    /// The reader's counters.
    pub stats: &'a ReadStats,
    /// Whether the last read succeeded.
    pub up: bool,
    /// The doctor's metrics of the last successful read (`doctor --format prometheus`).
    pub doctor: Option<&'a str>,
}

fn metric(out: &mut String, name: &str, kind: &str, help: &str, samples: &[(&str, String)]) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} {kind}");
    for (labels, value) in samples {
        let _ = writeln!(out, "{name}{labels} {value}");
    }
}

impl ServeMetrics<'_> {
    /// The Prometheus text exposition.
    pub fn render(&self) -> String {
        let s = self.stats;
        let mut out = String::new();
        metric(
            &mut out,
            "nfdiff_up",
            "gauge",
            "1 when the last read of the node succeeded.",
            &[("", u8::from(self.up).to_string())],
        );
        metric(
            &mut out,
            "nfdiff_reads_total",
            "counter",
            "Reads of the node's netfilter state.",
            &[("", s.reads.to_string())],
        );
        metric(
            &mut out,
            "nfdiff_read_errors_total",
            "counter",
            "Reads of the node that failed.",
            &[("", s.errors.to_string())],
        );
        metric(
            &mut out,
            "nfdiff_read_duration_seconds",
            "gauge",
            "Seconds the last read of the node took.",
            &[("", format!("{:.6}", s.last_duration))],
        );
        metric(
            &mut out,
            "nfdiff_last_read_timestamp_seconds",
            "gauge",
            "When the last read ended, in Unix seconds.",
            &[("", format!("{:.3}", s.last_timestamp))],
        );
        metric(
            &mut out,
            "nfdiff_rereads_total",
            "counter",
            "Re-reads by cause: nf_tables notification, legacy count change, plain poll.",
            &[
                ("{cause=\"nftables\"}", s.nftables_wakes.to_string()),
                ("{cause=\"legacy\"}", s.legacy_wakes.to_string()),
                ("{cause=\"poll\"}", s.poll_wakes.to_string()),
            ],
        );
        metric(
            &mut out,
            "nfdiff_nftables_subscribed",
            "gauge",
            "1 when nf_tables change notifications (NFNLGRP_NFTABLES) are received.",
            &[("", u8::from(s.subscribed).to_string())],
        );
        metric(
            &mut out,
            "nfdiff_nftables_notifications_total",
            "counter",
            "nf_tables change notification messages received.",
            &[("", s.notifications.to_string())],
        );
        if let Some(g) = s.generation {
            metric(
                &mut out,
                "nfdiff_nftables_generation",
                "gauge",
                "The last nf_tables generation id announced.",
                &[("", g.to_string())],
            );
        }
        if let Some(d) = self.doctor {
            out.push_str(d);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_read_metrics_then_the_doctors() {
        let stats = ReadStats {
            reads: 3,
            errors: 1,
            last_duration: 0.0125,
            last_timestamp: 1_700_000_000.5,
            notifications: 7,
            generation: Some(9),
            subscribed: true,
            nftables_wakes: 2,
            legacy_wakes: 0,
            poll_wakes: 0,
        };
        let m = ServeMetrics {
            stats: &stats,
            up: true,
            doctor: Some("nfdiff_doctor_healthy 1\n"),
        };
        insta::assert_snapshot!(m.render());
    }
}
