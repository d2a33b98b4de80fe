//! Packet paths through the stack and the netfilter hooks each visits, in kernel order.

use std::fmt;
use std::str::FromStr;

use crate::model::Hook;

/// Which way a packet goes through the host.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TracePath {
    /// Routed through the host: prerouting, forward, postrouting.
    Forward,
    /// Delivered to a local socket: prerouting, input.
    Input,
    /// Sent by a local socket: output, postrouting.
    Output,
    /// Decided from the node's local addresses ([`Packet::local_addrs`](super::Packet)):
    /// traffic from a local address is sent by the node (output, postrouting, and to a
    /// local destination back over `lo` through prerouting and input); other traffic
    /// arrives (prerouting, then input when the destination after DNAT is local, else
    /// forward and postrouting). Without local addresses, the forward path.
    Auto,
}

impl TracePath {
    /// The hooks the packet visits, in the order the kernel runs them (for `Auto`, those of
    /// the forward path; the trace reports the hooks each course went through).
    pub fn hooks(self) -> &'static [Hook] {
        match self {
            TracePath::Forward | TracePath::Auto => {
                &[Hook::Prerouting, Hook::Forward, Hook::Postrouting]
            }
            TracePath::Input => &[Hook::Prerouting, Hook::Input],
            TracePath::Output => &[Hook::Output, Hook::Postrouting],
        }
    }

    /// The lowercase name (`forward`, `input`, `output`, `auto`).
    pub fn as_str(self) -> &'static str {
        match self {
            TracePath::Forward => "forward",
            TracePath::Input => "input",
            TracePath::Output => "output",
            TracePath::Auto => "auto",
        }
    }

    /// Whether the packet has an input interface on this path.
    pub fn has_iif(self) -> bool {
        !matches!(self, TracePath::Output)
    }

    /// Whether the packet has an output interface on this path.
    pub fn has_oif(self) -> bool {
        !matches!(self, TracePath::Input)
    }
}

/// Whether the input interface is known to the kernel at this hook on a path that has one
/// (not at output: `in` is NULL there; at postrouting a forwarded packet keeps the device
/// it came in on, `ip_output` passes `skb->dev` as `in`).
pub(crate) fn hook_has_iif(hook: &Hook) -> bool {
    matches!(
        hook,
        Hook::Prerouting | Hook::Input | Hook::Forward | Hook::Postrouting
    )
}

/// Whether the output interface is known at this hook (not before routing, nor at input).
pub(crate) fn hook_has_oif(hook: &Hook) -> bool {
    matches!(hook, Hook::Forward | Hook::Output | Hook::Postrouting)
}

impl fmt::Display for TracePath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for TracePath {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "forward" => Ok(TracePath::Forward),
            "input" => Ok(TracePath::Input),
            "output" => Ok(TracePath::Output),
            "auto" => Ok(TracePath::Auto),
            other => Err(format!(
                "unknown path `{other}`; expected auto, forward, input or output"
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hooks_in_kernel_order() {
        assert_eq!(
            TracePath::Forward.hooks(),
            &[Hook::Prerouting, Hook::Forward, Hook::Postrouting]
        );
        assert_eq!(TracePath::Input.hooks(), &[Hook::Prerouting, Hook::Input]);
        assert_eq!(
            TracePath::Output.hooks(),
            &[Hook::Output, Hook::Postrouting]
        );
        assert_eq!("INPUT".parse::<TracePath>(), Ok(TracePath::Input));
        assert!("sideways".parse::<TracePath>().is_err());
        assert!(hook_has_iif(&Hook::Postrouting));
        assert!(!hook_has_iif(&Hook::Output));
        assert!(!hook_has_oif(&Hook::Prerouting));
    }
}
