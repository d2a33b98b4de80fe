//! An inline SVG of a packet's way through the hooks, laid out by nfdiff itself (no Graphviz
//! at run time): every base chain the packet entered, hook by hook in kernel order, then the
//! deciding rule, in rows of boxes joined by arrows.

use std::io::{self, Write};

use netfilter_model::trace::{FinalVerdict, StepEvent, TraceReport};

use super::dot::clip;
use super::html::escape;

const BOX_W: u32 = 210;
const BOX_H: u32 = 62;
const GAP_X: u32 = 40;
const GAP_Y: u32 = 36;
const PER_ROW: u32 = 4;
const MARGIN: u32 = 12;

/// One box: its lines of text and how it is drawn.
struct Node {
    lines: Vec<String>,
    fill: &'static str,
    stroke: &'static str,
}

/// The boxes of the drop path: base chains entered, then the verdict.
fn nodes(rep: &TraceReport) -> Vec<Node> {
    let mut out: Vec<Node> = Vec::new();
    for s in &rep.steps {
        if s.index.is_some() || s.event != StepEvent::Enter {
            continue;
        }
        out.push(Node {
            lines: vec![
                s.hook.as_str().to_string(),
                format!("{} {} {}", s.backend, s.family, s.table),
                clip(&s.chain, 28),
            ],
            fill: "#eef4fc",
            stroke: "#1f5fbf",
        });
    }
    let (word, fill, stroke) = match rep.verdict {
        FinalVerdict::Drop => ("DROP", "#ffebe9", "#cf222e"),
        FinalVerdict::Accept => ("ACCEPT", "#dafbe1", "#1a7f37"),
    };
    let mut lines = vec![word.to_string()];
    match &rep.decided_by {
        Some(d) => {
            lines.push(format!("{} {} {}", d.backend, d.family, d.table));
            lines.push(clip(
                &match d.index {
                    Some(i) => format!("{} rule {i}", d.chain),
                    None => format!("{} policy", d.chain),
                },
                28,
            ));
        }
        None => lines.push("no rule decided".into()),
    }
    out.push(Node {
        lines,
        fill,
        stroke,
    });
    out
}

/// Writes the SVG element (no XML prolog: it is inlined in HTML).
pub fn write(out: &mut impl Write, rep: &TraceReport) -> io::Result<()> {
    let nodes = nodes(rep);
    let n = nodes.len() as u32;
    let cols = n.clamp(1, PER_ROW);
    let rows = n.div_ceil(PER_ROW).max(1);
    let width = 2 * MARGIN + cols * BOX_W + (cols - 1) * GAP_X;
    let height = 2 * MARGIN + rows * BOX_H + (rows - 1) * GAP_Y;
    let title = format!(
        "The packet's way: {} base chains entered, then {}",
        n - 1,
        rep.verdict.as_str().to_uppercase()
    );
    writeln!(
        out,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" role=\"img\" aria-label=\"{}\">",
        escape(&title)
    )?;
    writeln!(out, "<title>{}</title>", escape(&title))?;
    writeln!(
        out,
        "<defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"7\" markerHeight=\"7\" orient=\"auto\"><path d=\"M0,0 L10,5 L0,10 z\" fill=\"#1f5fbf\"/></marker></defs>"
    )?;
    let pos = |i: u32| {
        let (r, c) = (i / PER_ROW, i % PER_ROW);
        (MARGIN + c * (BOX_W + GAP_X), MARGIN + r * (BOX_H + GAP_Y))
    };
    // Arrows first, under the boxes: along a row, or from a row's end down to the next row.
    for i in 1..n {
        let (x0, y0) = pos(i - 1);
        let (x1, y1) = pos(i);
        let d = if y0 == y1 {
            format!(
                "M{} {} L{} {}",
                x0 + BOX_W,
                y0 + BOX_H / 2,
                x1,
                y1 + BOX_H / 2
            )
        } else {
            let mid = y0 + BOX_H + GAP_Y / 2;
            format!(
                "M{} {} L{} {mid} L{} {mid} L{} {}",
                x0 + BOX_W / 2,
                y0 + BOX_H,
                x0 + BOX_W / 2,
                x1 + BOX_W / 2,
                x1 + BOX_W / 2,
                y1
            )
        };
        writeln!(
            out,
            "<path d=\"{d}\" fill=\"none\" stroke=\"#1f5fbf\" stroke-width=\"2\" marker-end=\"url(#arrow)\"/>"
        )?;
    }
    for (i, node) in nodes.iter().enumerate() {
        let (x, y) = pos(i as u32);
        let last = i + 1 == nodes.len();
        writeln!(
            out,
            "<rect x=\"{x}\" y=\"{y}\" width=\"{BOX_W}\" height=\"{BOX_H}\" rx=\"8\" fill=\"{}\" stroke=\"{}\" stroke-width=\"{}\"/>",
            node.fill,
            node.stroke,
            if last { 3 } else { 1 }
        )?;
        for (k, line) in node.lines.iter().enumerate() {
            let weight = if k == 0 { " font-weight=\"700\"" } else { "" };
            writeln!(
                out,
                "<text x=\"{}\" y=\"{}\" font-family=\"Helvetica, Arial, sans-serif\" font-size=\"12\" text-anchor=\"middle\"{weight}>{}</text>",
                x + BOX_W / 2,
                y + 18 + 17 * k as u32,
                escape(line)
            )?;
        }
    }
    writeln!(out, "</svg>")
}
