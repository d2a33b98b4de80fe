//! Emulation of Calico Felix's and the kubernetes-sigs iptables-wrappers' backend auto-detection,
//! and the `felix-backend-detection` finding.
//!
//! Sources (read for this emulation):
//! * Felix v3.12–v3.25: `DetectBackend` in projectcalico/calico `felix/iptables/feature_detect.go`
//!   — sum of lines starting with `-` in `iptables-legacy-save` and `ip6tables-legacy-save`;
//!   `>= 10` gives legacy; otherwise the same count of the `*-nft-save` outputs, and
//!   `legacy >= nft` gives legacy, else nft. Errors are ignored (`out, _ := cmd.Output()`), so a
//!   failing save command counts as 0 lines.
//! * Felix v3.25.2 and later: `DetectBackend` in `felix/environment/feature_detect_linux.go` —
//!   first `{ip6,ip}tables-nft-save -t mangle`: `KUBE-IPTABLES-HINT` or `KUBE-KUBELET-CANARY`
//!   gives nft; then the same in `*-legacy-save -t mangle` gives legacy; otherwise
//!   `legacy lines >= nft lines` gives legacy (no `>= 10` shortcut), else nft.
//! * kubernetes-sigs/iptables-wrappers `iptables-wrapper-installer.sh`, generation 1 (2019,
//!   "Copyright 2019 Red Hat"): `wc -l` of all save lines; `legacy > nft` gives legacy, else nft.
//! * generation 2 (2020, the k8s debian-iptables wrapper with the nft timeout): `grep '^-'`
//!   counts; legacy `>= 10` gives legacy; else `legacy >= nft` gives legacy, else nft.
//! * generation 3 (2022): `^:(KUBE-IPTABLES-HINT|KUBE-KUBELET-CANARY)` in `*-nft-save -t mangle`
//!   gives nft; in the full `*-legacy-save` output gives legacy; else rule lines
//!   `legacy > nft` gives legacy, else nft.
//! * generation 4 (2023, the Go `iptables-wrapper`, `internal/iptables/detect.go` `DetectMode`):
//!   hints in nft mangle give nft; hints in the full legacy output give legacy; else nft.

use crate::model::{Backend, Family, Ruleset};

use super::finding::{Finding, Severity};
use super::node::{save_command_name, NodeFacts, SaveCounts};

/// One detection implementation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Detector {
    /// Calico Felix v3.12 to v3.25 (`felix/iptables/feature_detect.go`).
    FelixV312,
    /// Calico Felix v3.25.2 and later (`felix/environment/feature_detect_linux.go`).
    FelixV3252,
    /// iptables-wrappers generation 1 (2019 shell script, all lines, `>`).
    WrappersGen1,
    /// iptables-wrappers generation 2 (2020 shell script, `^-` lines, `>= 10`, `>=`).
    WrappersGen2,
    /// iptables-wrappers generation 3 (2022 shell script, kubelet hints, then `>`).
    WrappersGen3,
    /// iptables-wrappers generation 4 (2023 Go wrapper, kubelet hints only, default nft).
    WrappersGen4,
}

impl Detector {
    /// Every detector, Felix first.
    pub const ALL: [Detector; 6] = [
        Detector::FelixV312,
        Detector::FelixV3252,
        Detector::WrappersGen1,
        Detector::WrappersGen2,
        Detector::WrappersGen3,
        Detector::WrappersGen4,
    ];

    /// A label for people.
    pub fn label(self) -> &'static str {
        match self {
            Detector::FelixV312 => "Felix v3.12-v3.25",
            Detector::FelixV3252 => "Felix v3.25.2+",
            Detector::WrappersGen1 => "iptables-wrappers 2019 (wc -l)",
            Detector::WrappersGen2 => "iptables-wrappers 2020 (>= 10 rule lines)",
            Detector::WrappersGen3 => "iptables-wrappers 2022 (kubelet hints, then counts)",
            Detector::WrappersGen4 => "iptables-wrappers 2023 Go (kubelet hints, else nft)",
        }
    }
}

/// The inputs every detector looks at, summed over IPv4 and IPv6.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DetectorInputs {
    /// `*-legacy-save` outputs.
    pub legacy: SaveCounts,
    /// `*-nft-save` outputs.
    pub nft: SaveCounts,
}

fn add(a: SaveCounts, b: SaveCounts) -> SaveCounts {
    SaveCounts {
        lines: a.lines + b.lines,
        rule_lines: a.rule_lines + b.rule_lines,
        mangle_hint: a.mangle_hint || b.mangle_hint,
        hint: a.hint || b.hint,
    }
}

/// The detector inputs from node facts (missing or failed saves count as empty output);
/// `failed` names one save command to treat as failed.
pub fn felix_inputs(facts: &NodeFacts, failed: Option<(Backend, Family)>) -> DetectorInputs {
    let get = |b: Backend, f: Family| {
        if failed == Some((b, f)) {
            return SaveCounts::default();
        }
        facts.save(b, f).map(|s| s.counts()).unwrap_or_default()
    };
    DetectorInputs {
        legacy: add(
            get(Backend::Legacy, Family::Ip),
            get(Backend::Legacy, Family::Ip6),
        ),
        nft: add(
            get(Backend::Nft, Family::Ip),
            get(Backend::Nft, Family::Ip6),
        ),
    }
}

/// What `det` would choose, and why (one clause).
pub fn detect(det: Detector, i: &DetectorInputs) -> (Backend, String) {
    let (l, n) = (i.legacy.rule_lines, i.nft.rule_lines);
    let counts = |op: &str, legacy_wins: bool| {
        let b = if legacy_wins {
            Backend::Legacy
        } else {
            Backend::Nft
        };
        (
            b,
            format!(
                "legacy {l} rule lines {} nft {n}",
                if legacy_wins {
                    op.to_string()
                } else {
                    format!("not {op}")
                }
            ),
        )
    };
    match det {
        Detector::FelixV312 | Detector::WrappersGen2 => {
            if l >= 10 {
                (
                    Backend::Legacy,
                    format!("legacy has {l} rule lines, at least 10"),
                )
            } else {
                counts(">=", l >= n)
            }
        }
        Detector::FelixV3252 => {
            if i.nft.mangle_hint {
                (Backend::Nft, "kubelet hint chain in nft mangle".into())
            } else if i.legacy.mangle_hint {
                (
                    Backend::Legacy,
                    "kubelet hint chain in legacy mangle".into(),
                )
            } else {
                counts(">=", l >= n)
            }
        }
        Detector::WrappersGen1 => {
            let (la, na) = (i.legacy.lines, i.nft.lines);
            if la > na {
                (Backend::Legacy, format!("legacy {la} lines > nft {na}"))
            } else {
                (Backend::Nft, format!("legacy {la} lines not > nft {na}"))
            }
        }
        Detector::WrappersGen3 => {
            if i.nft.mangle_hint {
                (Backend::Nft, "kubelet hint chain in nft mangle".into())
            } else if i.legacy.hint {
                (Backend::Legacy, "kubelet hint chain in legacy".into())
            } else {
                counts(">", l > n)
            }
        }
        Detector::WrappersGen4 => {
            if i.nft.mangle_hint {
                (Backend::Nft, "kubelet hint chain in nft mangle".into())
            } else if i.legacy.hint {
                (Backend::Legacy, "kubelet hint chain in legacy".into())
            } else {
                (Backend::Nft, "no kubelet hint chain, default nft".into())
            }
        }
    }
}

/// Felix's answer on this node under both rule generations, and what would flip it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FelixDetection {
    /// Felix v3.12-v3.25's choice (the incident's version).
    pub v312: Backend,
    /// Felix v3.25.2+'s choice.
    pub v3252: Backend,
    /// Save commands whose failure alone would change a Felix answer: (command, version, new answer).
    pub flips: Vec<(String, Detector, Backend)>,
    /// The backend to pin Felix to, and why.
    pub recommended: (Backend, String),
    /// Backends that hold Calico (`cali-`) chains.
    pub calico_backends: Vec<Backend>,
}

impl FelixDetection {
    /// Runs both Felix detectors on the facts.
    pub fn compute(rs: &Ruleset, facts: &NodeFacts) -> FelixDetection {
        let base = felix_inputs(facts, None);
        let v312 = detect(Detector::FelixV312, &base).0;
        let v3252 = detect(Detector::FelixV3252, &base).0;
        let mut flips = Vec::new();
        for b in [Backend::Legacy, Backend::Nft] {
            for f in [Family::Ip, Family::Ip6] {
                let i = felix_inputs(facts, Some((b, f)));
                for (det, was) in [(Detector::FelixV312, v312), (Detector::FelixV3252, v3252)] {
                    let now = detect(det, &i).0;
                    if now != was {
                        flips.push((save_command_name(b, f), det, now));
                    }
                }
            }
        }
        let mut calico_backends: Vec<Backend> = rs
            .tables
            .iter()
            .filter(|t| t.chains.iter().any(|c| is_calico(&c.name)))
            .map(|t| t.backend)
            .collect();
        calico_backends.sort();
        calico_backends.dedup();
        let recommended = if let Some(b) = facts.iptables_alternative {
            (b, format!("the node's `iptables` alternative is {b}"))
        } else if base.nft.hint {
            (
                Backend::Nft,
                "kubelet's hint chains are in nf_tables".into(),
            )
        } else if base.legacy.hint {
            (
                Backend::Legacy,
                "kubelet's hint chains are in legacy".into(),
            )
        } else {
            (
                Backend::Nft,
                "nf_tables is the default of current distributions and of iptables 1.8+".into(),
            )
        };
        FelixDetection {
            v312,
            v3252,
            flips,
            recommended,
            calico_backends,
        }
    }

    /// A sentence: what Felix would choose.
    pub fn choice_sentence(&self) -> String {
        if self.v312 == self.v3252 {
            format!(
                "Felix's auto-detection (v3.12-v3.25 and v3.25.2+) would choose {}",
                self.v312
            )
        } else {
            format!(
                "Felix's auto-detection would choose {} (v3.12-v3.25) or {} (v3.25.2+)",
                self.v312, self.v3252
            )
        }
    }
}

/// Whether a chain name is Calico's (`cali-`, also behind an nftables table prefix).
pub(crate) fn is_calico(name: &str) -> bool {
    crate::diff::owner_of(name) == "cali-"
}

/// FELIX_IPTABLESBACKEND's spelling of a backend.
pub(crate) fn felix_value(b: Backend) -> &'static str {
    match b {
        Backend::Legacy => "Legacy",
        Backend::Nft => "NFT",
    }
}

/// The `felix-backend-detection` finding, when Calico is present and the answer is fragile or
/// leaves Calico rules in a backend Felix would not write.
pub fn finding(facts: &NodeFacts, det: &FelixDetection) -> Option<Finding> {
    if det.calico_backends.is_empty() {
        return None;
    }
    let stale: Vec<Backend> = det
        .calico_backends
        .iter()
        .copied()
        .filter(|b| *b != det.v312 || *b != det.v3252)
        .collect();
    if det.flips.is_empty() && stale.is_empty() {
        return None;
    }
    let base = felix_inputs(facts, None);
    let mut evidence = Vec::new();
    for s in &facts.saves {
        let how = match &s.result {
            super::node::SaveResult::Output(c) => format!(
                "{} rule lines, {} lines{}{}",
                c.rule_lines,
                c.lines,
                if c.mangle_hint {
                    ", kubelet hint in mangle"
                } else {
                    ""
                },
                if s.derived {
                    " (derived from the dump: what the command would print)"
                } else {
                    ""
                }
            ),
            super::node::SaveResult::Failed(e) => format!("failed ({e}); counts as 0 lines"),
        };
        evidence.push(format!("{}: {how}", s.command()));
    }
    for d in Detector::ALL {
        let (b, why) = detect(d, &base);
        evidence.push(format!("{}: {b} ({why})", d.label()));
    }
    for (cmd, d, now) in &det.flips {
        evidence.push(format!(
            "if {cmd} failed, {} would choose {now} instead",
            d.label()
        ));
    }
    let calico: Vec<&str> = det.calico_backends.iter().map(|b| b.as_str()).collect();
    evidence.push(format!("Calico chains are in: {}", calico.join(", ")));
    let (rec, why) = &det.recommended;
    let mut summary = det.choice_sentence();
    if !det.flips.is_empty() {
        let cmds: Vec<&str> = det.flips.iter().map(|f| f.0.as_str()).collect();
        let mut cmds = cmds;
        cmds.dedup();
        summary.push_str(&format!("; one failed {} would flip it", cmds.join(" or ")));
    }
    if !stale.is_empty() {
        summary.push_str(&format!(
            "; Calico rules in {} would be left stale",
            stale
                .iter()
                .map(|b| b.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    let severity = if stale.is_empty() {
        Severity::Info
    } else {
        Severity::Warning
    };
    let advice = format!(
        "Pin the backend instead of auto-detection: set FELIX_IPTABLESBACKEND={} on calico-node \
         ({why}), so a save command that fails (for example on fork failures when pids run out) \
         can never switch Felix to the other backend.",
        felix_value(*rec)
    );
    let explanation = format!(
        "{}. Felix decides by counting the lines of `iptables-legacy-save` and \
         `iptables-nft-save` output and ignores errors: a save command that fails counts as \
         0 lines. {}",
        det.choice_sentence(),
        if det.flips.is_empty() {
            "No single failed save command would change the answer here.".to_string()
        } else {
            "Here one failed save command is enough to flip the answer. That is the trap of the \
             Calico incident this tool was built for: fork failures made a save command fail, \
             Felix switched backends and left its old rules behind in the other one."
                .to_string()
        }
    );
    Some(Finding {
        id: super::finding::FindingId::FelixBackendDetection,
        severity,
        summary,
        evidence,
        advice,
        explanation,
        dispatch_drops: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inputs(l: usize, n: usize) -> DetectorInputs {
        DetectorInputs {
            legacy: SaveCounts {
                lines: l,
                rule_lines: l,
                ..SaveCounts::default()
            },
            nft: SaveCounts {
                lines: n,
                rule_lines: n,
                ..SaveCounts::default()
            },
        }
    }

    #[test]
    fn felix_v312_rules() {
        let d = Detector::FelixV312;
        assert_eq!(detect(d, &inputs(10, 500)).0, Backend::Legacy);
        assert_eq!(detect(d, &inputs(9, 500)).0, Backend::Nft);
        assert_eq!(detect(d, &inputs(0, 0)).0, Backend::Legacy);
        assert_eq!(detect(d, &inputs(5, 5)).0, Backend::Legacy);
    }

    #[test]
    fn felix_v3252_and_wrappers_use_hints() {
        let mut i = inputs(100, 5);
        i.nft.mangle_hint = true;
        i.nft.hint = true;
        assert_eq!(detect(Detector::FelixV3252, &i).0, Backend::Nft);
        assert_eq!(detect(Detector::WrappersGen3, &i).0, Backend::Nft);
        assert_eq!(detect(Detector::WrappersGen4, &i).0, Backend::Nft);
        assert_eq!(detect(Detector::FelixV312, &i).0, Backend::Legacy);
        let i = inputs(5, 5);
        assert_eq!(detect(Detector::FelixV3252, &i).0, Backend::Legacy);
        assert_eq!(detect(Detector::WrappersGen3, &i).0, Backend::Nft);
        assert_eq!(detect(Detector::WrappersGen4, &i).0, Backend::Nft);
        assert_eq!(
            detect(Detector::WrappersGen1, &inputs(6, 5)).0,
            Backend::Legacy
        );
    }
}
