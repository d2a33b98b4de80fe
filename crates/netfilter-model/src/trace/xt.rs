//! iptables-nft rules whose xt target nft JSON shows without its options (`{"xt": {"type":
//! "target", "name": "REJECT"}}`): what the target can do, so it is never silently ignored.

use crate::model::{NatKind, Statement, Verdict};

/// What an xt target with unknown options does to the packet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum XtEffect {
    /// No effect on the packet's fate or on what later rules see (`LOG`, `NFLOG`, `TCPMSS`).
    Harmless,
    /// It ends the rule with this verdict whatever its options (`REJECT`).
    Verdict(Verdict),
    /// Address translation to an unknown address: the chain ends and the connection is mapped.
    Nat(NatKind),
    /// A non-terminal target whose effect (a mark, a conntrack setting) depends on the lost
    /// options (`MARK`, `CONNMARK`, `CT`): the rule goes on, assumed to change nothing.
    Mutates(String),
    /// A target nfdiff does not know (it may end the chain): a *maybe*, as a target it does
    /// not know.
    Unknown(String),
}

/// Targets that change neither the verdict nor what later rules match.
const HARMLESS: &[&str] = &[
    "LOG",
    "NFLOG",
    "ULOG",
    "TCPMSS",
    "TTL",
    "HL",
    "TOS",
    "DSCP",
    "CHECKSUM",
    "CLASSIFY",
    "AUDIT",
    "TRACE",
    "IDLETIMER",
    "LED",
    "SECMARK",
    "CONNSECMARK",
    "TEE",
    "RATEEST",
];

/// The effect of a statement, when it is an xt target whose options are lost.
pub(crate) fn xt_effect(s: &Statement) -> Option<XtEffect> {
    let Statement::Other {
        target,
        lossy: true,
        ..
    } = s
    else {
        return None;
    };
    let name = target.strip_prefix("xt:")?;
    Some(match name {
        n if HARMLESS.contains(&n) => XtEffect::Harmless,
        "REJECT" => XtEffect::Verdict(Verdict::Reject { with: None }),
        "DNAT" | "NETMAP" => XtEffect::Nat(NatKind::Dnat),
        "REDIRECT" => XtEffect::Nat(NatKind::Redirect),
        "SNAT" => XtEffect::Nat(NatKind::Snat),
        "MARK" | "CONNMARK" | "CT" | "NOTRACK" | "SET" | "CONNLIMIT" | "HMARK" => {
            XtEffect::Mutates(format!(
                "xt target {name}: its options are not in the nft JSON dump; assumed to change nothing later rules test"
            ))
        }
        "MASQUERADE" => XtEffect::Nat(NatKind::Masquerade),
        _ => XtEffect::Unknown(format!(
            "xt target {name} (its options are not in the nft JSON dump)"
        )),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn xt(name: &str) -> Statement {
        Statement::Other {
            target: format!("xt:{name}"),
            args: String::new(),
            lossy: true,
        }
    }

    #[test]
    fn effects_of_targets_without_options() {
        assert_eq!(xt_effect(&xt("LOG")), Some(XtEffect::Harmless));
        assert_eq!(
            xt_effect(&xt("REJECT")),
            Some(XtEffect::Verdict(Verdict::Reject { with: None }))
        );
        assert_eq!(xt_effect(&xt("DNAT")), Some(XtEffect::Nat(NatKind::Dnat)));
        assert!(matches!(xt_effect(&xt("MARK")), Some(XtEffect::Mutates(_))));
        assert!(matches!(xt_effect(&xt("FOO")), Some(XtEffect::Unknown(_))));
        assert_eq!(xt_effect(&Statement::Notrack), None);
        let kept = Statement::Other {
            target: "TTL".into(),
            args: "--ttl-set 5".into(),
            lossy: false,
        };
        assert_eq!(xt_effect(&kept), None);
    }
}
