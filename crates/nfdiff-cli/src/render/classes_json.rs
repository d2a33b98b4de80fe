//! JSON rendering of a packet-space partition through dedicated view types:
//! `{"classes": [{"verdict", "certainty", "deciding": [...], "cubes": [...], "witness": {...}}]}`.

use std::io::{self, Write};

use netfilter_model::space::{PacketClass, Partition};
use netfilter_model::trace::Packet;
use netfilter_model::wire::RuleJson;
use serde::Serialize;

#[derive(Serialize)]
struct ConstraintView<'a> {
    field: &'a str,
    values: &'a str,
}

#[derive(Serialize)]
struct WitnessView<'a> {
    iif: Option<&'a str>,
    oif: Option<&'a str>,
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
    path: &'static str,
}

impl<'a> From<&'a Packet> for WitnessView<'a> {
    fn from(p: &'a Packet) -> Self {
        WitnessView {
            iif: p.iif.as_deref(),
            oif: p.oif.as_deref(),
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
            path: p.path.as_str(),
        }
    }
}

#[derive(Serialize)]
struct ClassView<'a> {
    verdict: &'static str,
    certainty: &'static str,
    deciding: Vec<RuleJson<'a>>,
    /// Each cube: its constraints in header order; the class is their union.
    cubes: Vec<Vec<ConstraintView<'a>>>,
    cubes_truncated: bool,
    reasons: &'a [String],
    witness: WitnessView<'a>,
}

impl<'a> From<&'a PacketClass> for ClassView<'a> {
    fn from(c: &'a PacketClass) -> Self {
        ClassView {
            verdict: c.verdict.as_str(),
            certainty: c.certainty.as_str(),
            deciding: c.deciding.iter().map(RuleJson::from).collect(),
            cubes: c
                .cubes
                .iter()
                .map(|cube| {
                    cube.constraints
                        .iter()
                        .map(|k| ConstraintView {
                            field: &k.field,
                            values: &k.values,
                        })
                        .collect()
                })
                .collect(),
            cubes_truncated: c.cubes_truncated,
            reasons: &c.reasons,
            witness: WitnessView::from(&c.witness),
        }
    }
}

#[derive(Serialize)]
struct PartitionView<'a> {
    classes: Vec<ClassView<'a>>,
    notes: &'a [String],
}

/// Writes the partition as one JSON object.
pub fn write(out: &mut impl Write, p: &Partition) -> io::Result<()> {
    let view = PartitionView {
        classes: p.classes.iter().map(ClassView::from).collect(),
        notes: &p.notes,
    };
    serde_json::to_writer_pretty(&mut *out, &view)?;
    writeln!(out)
}
