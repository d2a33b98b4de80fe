//! JSON rendering of `reach` on the packet-space engine through dedicated view types:
//! `{"classes": [{"iif", "example", "space": [{"verdict", "certainty", "decided_by",
//! "packets", "cubes_truncated", "reasons", "witness"}], "notes"}]}`.

use std::io::{self, Write};

use netfilter_model::space::{Certainty, PacketClass};
use netfilter_model::trace::Packet;
use netfilter_model::wire::RuleJson;
use serde::Serialize;

use crate::reach_space::ReachSpaceClass;

/// A witness packet.
#[derive(Serialize)]
struct PacketView<'a> {
    src: String,
    dst: String,
    proto: Option<u8>,
    sport: Option<u16>,
    dport: Option<u16>,
    icmp_type: Option<u8>,
    icmp_code: Option<u8>,
    ct_state: String,
    mark: u32,
    ct_mark: u32,
    iif: Option<&'a str>,
    oif: Option<&'a str>,
}

impl<'a> From<&'a Packet> for PacketView<'a> {
    fn from(p: &'a Packet) -> Self {
        PacketView {
            src: p.src.to_string(),
            dst: p.dst.to_string(),
            proto: p.proto.map(|x| x.0),
            sport: p.sport,
            dport: p.dport,
            icmp_type: p.icmp_type,
            icmp_code: p.icmp_code,
            ct_state: p.ct_state.to_string(),
            mark: p.mark,
            ct_mark: p.ct_mark,
            iif: p.iif.as_deref(),
            oif: p.oif.as_deref(),
        }
    }
}

/// One class of packets.
#[derive(Serialize)]
struct SpaceClassView<'a> {
    verdict: &'static str,
    certainty: &'static str,
    decided_by: Vec<RuleJson<'a>>,
    packets: Vec<String>,
    /// Whether more cubes than listed make up the class.
    cubes_truncated: bool,
    reasons: &'a [String],
    witness: PacketView<'a>,
}

impl<'a> From<&'a PacketClass> for SpaceClassView<'a> {
    fn from(k: &'a PacketClass) -> Self {
        SpaceClassView {
            verdict: k.verdict.as_str(),
            certainty: match k.certainty {
                Certainty::Must => "must",
                _ => "may",
            },
            decided_by: k.deciding.iter().map(RuleJson::from).collect(),
            packets: k.cubes.iter().map(ToString::to_string).collect(),
            cubes_truncated: k.cubes_truncated,
            reasons: &k.reasons,
            witness: (&k.witness).into(),
        }
    }
}

/// One interface class.
#[derive(Serialize)]
struct IfaceClassView<'a> {
    iif: &'a str,
    example: &'a str,
    space: Vec<SpaceClassView<'a>>,
    notes: &'a [String],
}

#[derive(Serialize)]
struct ReachSpaceView<'a> {
    classes: Vec<IfaceClassView<'a>>,
}

/// Writes the report as one JSON object and a newline.
pub fn write(out: &mut impl Write, classes: &[ReachSpaceClass]) -> io::Result<()> {
    let view = ReachSpaceView {
        classes: classes
            .iter()
            .map(|c| IfaceClassView {
                iif: &c.description,
                example: &c.example,
                space: c
                    .partition
                    .classes
                    .iter()
                    .map(SpaceClassView::from)
                    .collect(),
                notes: &c.partition.notes,
            })
            .collect(),
    };
    serde_json::to_writer_pretty(&mut *out, &view)?;
    writeln!(out)
}
