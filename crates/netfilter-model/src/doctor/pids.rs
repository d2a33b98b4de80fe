//! `pids-headroom`: a kubepods cgroup within 10% of `pids.max` (fork failures began the incident).

use super::finding::{Finding, Severity};
use super::node::PidsFigures;

/// The finding, when some kubepods cgroup uses 90% or more of its pids limit.
pub fn finding(pids: &[PidsFigures]) -> Option<Finding> {
    let mut evidence = Vec::new();
    let mut full = false;
    for p in pids {
        let Some(max) = p.max else { continue };
        if max == 0 {
            continue;
        }
        // current >= 90% of max, in integers
        if p.current.saturating_mul(10) >= max.saturating_mul(9) {
            full |= p.current >= max;
            evidence.push(format!(
                "{}: pids.current {} of pids.max {} ({}%)",
                p.path,
                p.current,
                max,
                p.current.saturating_mul(100) / max
            ));
        }
    }
    if evidence.is_empty() {
        return None;
    }
    Some(Finding {
        id: super::finding::FindingId::PidsHeadroom,
        severity: if full {
            Severity::Critical
        } else {
            Severity::Warning
        },
        summary: "the kubepods cgroup is within 10% of its pids limit".into(),
        evidence,
        advice: "Raise the pod pids limit (kubelet --pod-max-pids / podPidsLimit, or the \
                 kubepods cgroup pids.max) or find the pods that leak processes; when it is \
                 reached, fork fails and tools such as iptables-save fail with it."
            .into(),
        explanation: "Processes in the kubepods cgroup are close to pids.max. When the limit \
                      is reached every fork fails, including the save commands Calico Felix \
                      runs to detect the iptables backend, which is how the incident started."
            .into(),
        dispatch_drops: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ninety_percent_is_a_finding() {
        let p = |current, max| PidsFigures {
            path: "/sys/fs/cgroup/kubepods.slice".into(),
            current,
            max,
        };
        assert!(finding(&[p(89, Some(100))]).is_none());
        assert_eq!(
            finding(&[p(90, Some(100))]).map(|f| f.severity),
            Some(Severity::Warning)
        );
        assert_eq!(
            finding(&[p(100, Some(100))]).map(|f| f.severity),
            Some(Severity::Critical)
        );
        assert!(finding(&[p(5000, None)]).is_none());
    }
}
