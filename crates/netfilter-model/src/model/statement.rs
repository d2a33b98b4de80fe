//! Statements: non-terminal effects of a rule (log, mark, nat, ...).

use serde::{Deserialize, Serialize};

/// A non-verdict effect of a rule.
///
/// NAT statements are terminal in the kernel (they end with an accept); the tracer
/// knows that, the model keeps them here so iptables `-j DNAT` and nft `dnat to`
/// compare equal.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Statement {
    /// Log the packet (`-j LOG`, `-j NFLOG`, nft `log`).
    Log {
        /// Log prefix.
        prefix: Option<String>,
        /// Syslog level (LOG), as written.
        level: Option<String>,
        /// NFLOG group; `None` for syslog logging.
        group: Option<u16>,
        /// Other options verbatim (`--log-uid`, `--nflog-range`, ...), sorted.
        extra: Vec<String>,
    },
    /// Packet mark arithmetic: `mark = (mark & and) ^ xor`
    /// (`MARK --set-xmark V/M` is `and = !M, xor = V`; nft `meta mark set mark and A xor X`).
    SetMark {
        /// Bits kept.
        and: u32,
        /// Bits flipped afterwards.
        xor: u32,
    },
    /// Connection mark arithmetic: `ct mark = (ct mark & and) ^ xor` (`CONNMARK --set-xmark`).
    SetCtMark {
        /// Bits kept.
        and: u32,
        /// Bits flipped afterwards.
        xor: u32,
    },
    /// `CONNMARK --save-mark`: `ct mark = (ct mark & !ctmask) | (mark & nfmask)`.
    SaveMark {
        /// `--nfmask`.
        nfmask: u32,
        /// `--ctmask`.
        ctmask: u32,
    },
    /// `CONNMARK --restore-mark`: `mark = (mark & !nfmask) | (ct mark & ctmask)`.
    RestoreMark {
        /// `--nfmask`.
        nfmask: u32,
        /// `--ctmask`.
        ctmask: u32,
    },
    /// Address translation: SNAT, DNAT, MASQUERADE, REDIRECT.
    Nat {
        /// Which translation.
        kind: NatKind,
        /// Target address or range (`10.0.0.1`, `10.0.0.1-10.0.0.9`), as written.
        addr: Option<String>,
        /// Target port or range, as written.
        port: Option<String>,
        /// Flags in lowercase nft spelling, sorted (`random`, `fully-random`, `persistent`).
        flags: Vec<String>,
    },
    /// Do not track the connection (`-j NOTRACK`, `-j CT --notrack`, nft `notrack`).
    Notrack,
    /// Other `CT` target options (`--zone`, `--helper`, ...), verbatim.
    Ct {
        /// Options as written.
        args: String,
    },
    /// Clamp or set the TCP MSS.
    TcpMss {
        /// `Some(n)` for `--set-mss n`, `None` for `--clamp-mss-to-pmtu`.
        mss: Option<u16>,
    },
    /// A named counter, quota or limit object referenced by the rule.
    ObjectRef {
        /// `counter`, `quota`, `limit`, ...
        kind: String,
        /// Object name.
        name: String,
    },
    /// Anything else, verbatim: the iptables target or nft statement head and its options.
    Other {
        /// Target or statement kind (`TTL`, `xt:TTL`, `set`).
        target: String,
        /// Options as written.
        args: String,
        /// Set when the source dropped part of this statement (nft JSON's `xt`).
        lossy: bool,
    },
}

/// The kinds of address translation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum NatKind {
    /// Source NAT to a given address.
    Snat,
    /// Destination NAT to a given address.
    Dnat,
    /// Source NAT to the outgoing interface's address.
    Masquerade,
    /// Destination NAT to the local machine.
    Redirect,
}

impl NatKind {
    /// nft's keyword.
    pub fn as_str(self) -> &'static str {
        match self {
            NatKind::Snat => "snat",
            NatKind::Dnat => "dnat",
            NatKind::Masquerade => "masquerade",
            NatKind::Redirect => "redirect",
        }
    }
}
