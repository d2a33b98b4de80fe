//! What `diff --semantic` prints: the engine's differing classes with the two labels, each
//! witness's trace command, and what the concrete tracer says about the witness on each side.

use netfilter_model::model::{CtStateSet, Protocol};
use netfilter_model::trace::{FinalVerdict, Packet, RuleRef, TracePath};

/// The result of one semantic diff, ready to render.
#[derive(Debug, Clone)]
pub struct SemanticDiffReport {
    /// OLD as the user wrote it.
    pub old_label: String,
    /// NEW as the user wrote it.
    pub new_label: String,
    /// Whether deciding rules count (`--by-rule`), not only verdicts.
    pub by_rule: bool,
    /// The packet space compared, in words (`forward path, any packet`).
    pub space: String,
    /// Whether some packets' fate depends on matches nfdiff cannot decide (on either side).
    pub uncertain: bool,
    /// The classes whose fate differs, in the engine's order.
    pub differences: Vec<Difference>,
    /// What the analysis did not look at or assumed.
    pub notes: Vec<String>,
}

impl SemanticDiffReport {
    /// Whether no packet's fate differs.
    pub fn equivalent(&self) -> bool {
        self.differences.is_empty()
    }

    /// How many differences hold for certain (*must* on both sides).
    pub fn certain(&self) -> usize {
        self.differences.iter().filter(|d| d.certain()).count()
    }
}

/// One class of packets whose fate differs.
#[derive(Debug, Clone)]
pub struct Difference {
    /// The packets of the class, one nft-like description per cube.
    pub packets: Vec<String>,
    /// How many more cubes make up the class than are listed.
    pub more_packets: bool,
    /// One packet of the class.
    pub witness: Packet,
    /// Its fate in OLD.
    pub old: SideFate,
    /// Its fate in NEW.
    pub new: SideFate,
}

impl Difference {
    /// Whether the difference holds whatever the undecidable matches do.
    pub fn certain(&self) -> bool {
        self.old.certain && self.new.certain
    }
}

/// A class's fate on one side, and the concrete tracer's verdicts for its witness there.
#[derive(Debug, Clone)]
pub struct SideFate {
    /// The verdict.
    pub verdict: FinalVerdict,
    /// *must*: the verdict holds for every packet of the class whatever the undecidable
    /// matches do; otherwise *may*.
    pub certain: bool,
    /// The deciding rules (a policy has no index).
    pub deciding: Vec<RuleRef>,
    /// For a *may* fate: why the engine cannot claim it for every packet.
    pub reasons: Vec<String>,
    /// The verdicts the concrete tracer holds possible for the witness on this side (its main
    /// verdict first).
    pub traced: Vec<FinalVerdict>,
}

impl SideFate {
    /// Whether the tracer confirms the claimed verdict: its only verdict for a *must* class,
    /// one of its verdicts for a *may* class.
    pub fn confirmed(&self) -> bool {
        if self.certain {
            self.traced.iter().all(|v| *v == self.verdict)
        } else {
            self.traced.contains(&self.verdict)
        }
    }
}

/// The `nfdiff trace` arguments (after the source) that send `p` the way the engine did.
pub fn trace_args(p: &Packet) -> String {
    let mut s = Vec::new();
    if p.path != TracePath::Output {
        if let Some(i) = &p.iif {
            s.push(format!("--iif {}", shell_word(i)));
        }
    }
    if p.path != TracePath::Input {
        if let Some(o) = &p.oif {
            s.push(format!("--oif {}", shell_word(o)));
        }
    }
    s.push(format!("--src {} --dst {}", p.src, p.dst));
    if let Some(pr) = p.proto {
        s.push(format!("--proto {}", proto_word(pr)));
    }
    if let Some(v) = p.sport {
        s.push(format!("--sport {v}"));
    }
    if let Some(v) = p.dport {
        s.push(format!("--dport {v}"));
    }
    if let Some(t) = p.icmp_type {
        s.push(format!("--icmp-type {t}"));
    }
    if p.ct_state != CtStateSet::NEW {
        s.push(format!("--ct-state {}", p.ct_state));
    }
    if p.mark != 0 {
        s.push(format!("--mark {:#x}", p.mark));
    }
    if p.ct_mark != 0 {
        s.push(format!("--ct-mark {:#x}", p.ct_mark));
    }
    s.push(format!("--path {}", p.path));
    s.join(" ")
}

/// A protocol as `--proto` takes it.
pub fn proto_word(p: Protocol) -> String {
    match p {
        Protocol::TCP => "tcp".into(),
        Protocol::UDP => "udp".into(),
        Protocol::ICMP => "icmp".into(),
        Protocol::ICMPV6 => "icmpv6".into(),
        other => other.0.to_string(),
    }
}

/// A word quoted for a POSIX shell when it needs to be.
pub fn shell_word(s: &str) -> String {
    if !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "/._-:+=@,".contains(c))
    {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trace_args_reproduce_every_field_the_trace_command_takes() {
        let mut p = Packet::new("10.0.0.1".parse().unwrap(), "10.0.0.2".parse().unwrap());
        p.iif = Some("cali x".into());
        p.oif = Some("eth1".into());
        p.proto = Some(Protocol::TCP);
        p.sport = Some(1);
        p.dport = Some(8080);
        p.ct_state = CtStateSet(CtStateSet::ESTABLISHED);
        p.mark = 0x4000;
        assert_eq!(
            trace_args(&p),
            "--iif 'cali x' --oif eth1 --src 10.0.0.1 --dst 10.0.0.2 --proto tcp --sport 1 \
             --dport 8080 --ct-state established --mark 0x4000 --path forward"
        );
    }

    #[test]
    fn a_may_side_is_confirmed_by_any_traced_verdict_a_must_side_only_by_all() {
        let side = |certain, traced: Vec<FinalVerdict>| SideFate {
            verdict: FinalVerdict::Drop,
            certain,
            deciding: Vec::new(),
            reasons: Vec::new(),
            traced,
        };
        use FinalVerdict::{Accept, Drop};
        assert!(side(true, vec![Drop]).confirmed());
        assert!(!side(true, vec![Drop, Accept]).confirmed());
        assert!(side(false, vec![Accept, Drop]).confirmed());
        assert!(!side(false, vec![Accept]).confirmed());
    }
}
