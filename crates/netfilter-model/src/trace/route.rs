//! The way a course takes through the host, leg by leg: locally generated traffic goes
//! output -> postrouting (and, to a local destination, loops back over `lo` through
//! prerouting -> input); arriving traffic goes prerouting, then input when the destination
//! (after DNAT) is local, else forward -> postrouting.

use std::net::IpAddr;

use crate::model::Hook;

use super::matching::PktState;
use super::packet::Packet;
use super::path::{hook_has_iif, hook_has_oif, TracePath};

/// Where a course is on its way.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum Leg {
    /// Sent by a local socket: output, then postrouting.
    LocalOut,
    /// Arrived on an interface: prerouting, then routing decides.
    Arriving,
    /// To a local socket: input.
    Delivering,
    /// Routed through the host: forward, then postrouting.
    Forwarding,
    /// Sent to a local address and looped back over `lo`: prerouting on `lo` (nat chains
    /// do not run again: the connection's mappings were set up on the way out).
    LoopArriving,
    /// Looped back and delivered: input on `lo`.
    LoopDelivering,
    /// Off the host, or delivered.
    Done,
}

impl Leg {
    /// Whether the course is on its way back over `lo` (nat chains are not run there).
    pub(crate) fn is_loop(self) -> bool {
        matches!(self, Leg::LoopArriving | Leg::LoopDelivering)
    }
}

/// One point where netfilter hooks run, in the order every trace goes through them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stage {
    Output,
    PostroutingOut,
    Prerouting,
    Input,
    Forward,
    PostroutingFwd,
}

/// Every stage, in order: each course visits those of its legs.
pub(crate) const STAGES: [Stage; 6] = [
    Stage::Output,
    Stage::PostroutingOut,
    Stage::Prerouting,
    Stage::Input,
    Stage::Forward,
    Stage::PostroutingFwd,
];

impl Stage {
    /// The hook run at this stage.
    pub(crate) fn hook(self) -> Hook {
        match self {
            Stage::Output => Hook::Output,
            Stage::PostroutingOut | Stage::PostroutingFwd => Hook::Postrouting,
            Stage::Prerouting => Hook::Prerouting,
            Stage::Input => Hook::Input,
            Stage::Forward => Hook::Forward,
        }
    }

    /// Whether a course on `leg` goes through this stage.
    pub(crate) fn visits(self, leg: Leg) -> bool {
        match self {
            Stage::Output | Stage::PostroutingOut => leg == Leg::LocalOut,
            Stage::Prerouting => matches!(leg, Leg::Arriving | Leg::LoopArriving),
            Stage::Input => matches!(leg, Leg::Delivering | Leg::LoopDelivering),
            Stage::Forward | Stage::PostroutingFwd => leg == Leg::Forwarding,
        }
    }
}

/// How the routing decisions of one trace are made.
#[derive(Debug, Clone)]
pub(crate) struct RoutePlan<'p> {
    pkt: &'p Packet,
    /// The path the query forces, or `None` to decide from the node's addresses.
    forced: Option<TracePath>,
    /// The first leg.
    pub(crate) start: Leg,
}

impl<'p> RoutePlan<'p> {
    /// The plan for a packet. `TracePath::Auto` without local addresses is the forward path
    /// (the note says so).
    pub(crate) fn new(pkt: &'p Packet) -> (RoutePlan<'p>, Option<String>) {
        let mut note = None;
        let forced = match pkt.path {
            TracePath::Auto if pkt.local_addrs.is_some() => None,
            TracePath::Auto => {
                note = Some(
                    "the node's local addresses are not known (--local-addr): the forward path was assumed"
                        .to_string(),
                );
                Some(TracePath::Forward)
            }
            p => Some(p),
        };
        let plan = RoutePlan {
            pkt,
            forced,
            start: Leg::Arriving,
        };
        let start = match forced {
            Some(TracePath::Output) => Leg::LocalOut,
            Some(_) => Leg::Arriving,
            None if plan.is_local(pkt.src) => Leg::LocalOut,
            None => Leg::Arriving,
        };
        (RoutePlan { start, ..plan }, note)
    }

    /// Whether the trace decides the path (`TracePath::Auto` with local addresses).
    pub(crate) fn is_auto(&self) -> bool {
        self.forced.is_none()
    }

    /// Whether `a` is known to be an address of this node (the loopback addresses always are).
    pub(crate) fn is_local(&self, a: IpAddr) -> bool {
        match &self.pkt.local_addrs {
            Some(n) => n.is_local(a),
            None => a.is_loopback(),
        }
    }

    /// The leg after `stage`, for a course that went through it.
    pub(crate) fn next(&self, stage: Stage, st: &PktState) -> Leg {
        match (stage, st.leg) {
            (Stage::Output, l) => l,
            (Stage::PostroutingOut, _) if self.is_local(st.dst) => Leg::LoopArriving,
            (Stage::PostroutingOut, _) => Leg::Done,
            (Stage::Prerouting, Leg::LoopArriving) => Leg::LoopDelivering,
            (Stage::Prerouting, _) => match self.forced {
                Some(TracePath::Input) => Leg::Delivering,
                Some(_) => Leg::Forwarding,
                None if self.is_local(st.dst) => Leg::Delivering,
                None => Leg::Forwarding,
            },
            (Stage::Forward, l) => l,
            (Stage::Input | Stage::PostroutingFwd, _) => Leg::Done,
        }
    }

    /// The input and output interface names a course on `st.leg` has at `stage` (`""` when
    /// the kernel knows none there).
    pub(crate) fn interfaces(&self, stage: Stage, st: &PktState) -> (String, String) {
        let (iif, oif) = self.interfaces_of_leg(stage, st);
        if hook_has_oif(&stage.hook()) {
            (iif, oif)
        } else {
            (iif, String::new())
        }
    }

    fn interfaces_of_leg(&self, stage: Stage, st: &PktState) -> (String, String) {
        let iif = self.pkt.iif.clone().unwrap_or_default();
        let oif = self.pkt.oif.clone().unwrap_or_default();
        let lo = || "lo".to_string();
        match stage {
            Stage::Output if self.is_local(self.pkt.dst) => (String::new(), lo()),
            Stage::Output => (String::new(), oif),
            Stage::PostroutingOut if self.is_local(st.dst) => (String::new(), lo()),
            Stage::PostroutingOut => (String::new(), oif),
            Stage::Prerouting | Stage::Input if st.leg.is_loop() => (lo(), String::new()),
            Stage::Prerouting | Stage::Input => (iif, String::new()),
            Stage::Forward => (iif, oif),
            Stage::PostroutingFwd if hook_has_iif(&Hook::Postrouting) => (iif, oif),
            Stage::PostroutingFwd => (String::new(), oif),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::LocalAddrs;

    #[test]
    fn auto_routes_by_local_addresses() {
        let mut p = Packet::new("10.0.0.1".parse().unwrap(), "10.0.0.9".parse().unwrap());
        p.path = TracePath::Auto;
        let (plan, note) = RoutePlan::new(&p);
        assert_eq!(plan.start, Leg::Arriving);
        assert!(note.is_some());
        p.local_addrs = Some(LocalAddrs::from_specs(&["10.0.0.1/24".parse().unwrap()]));
        let (plan, note) = RoutePlan::new(&p);
        assert!(note.is_none() && plan.is_auto());
        assert_eq!(plan.start, Leg::LocalOut);
        let mut st = PktState::from_packet(&p);
        st.leg = Leg::LocalOut;
        assert_eq!(plan.next(Stage::PostroutingOut, &st), Leg::Done);
        st.dst = "10.0.0.1".parse().unwrap();
        assert_eq!(plan.next(Stage::PostroutingOut, &st), Leg::LoopArriving);
        st.leg = Leg::LoopArriving;
        assert_eq!(plan.interfaces(Stage::Prerouting, &st).0, "lo");
        // Arriving traffic to a local address is delivered, other traffic forwarded.
        p.src = "192.168.0.7".parse().unwrap();
        let (plan, _) = RoutePlan::new(&p);
        assert_eq!(plan.start, Leg::Arriving);
        st.leg = Leg::Arriving;
        assert_eq!(plan.next(Stage::Prerouting, &st), Leg::Delivering);
        st.dst = "10.0.0.9".parse().unwrap();
        assert_eq!(plan.next(Stage::Prerouting, &st), Leg::Forwarding);
        assert!(STAGES.iter().all(|s| !s.visits(Leg::Done)));
    }
}
