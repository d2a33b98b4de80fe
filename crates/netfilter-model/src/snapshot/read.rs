//! Reading a snapshot back: its rulesets merged into one, and its node facts.

use crate::doctor::{
    NodeFacts, NodeRoute, PidsFigures, SaveCounts, SaveOutput, SaveResult, ToolVersion,
};
use crate::error::{Error, ParseError, Position, Result};
use crate::model::Ruleset;
use crate::parse::{parse_text, sniff_format, Format, ParseOptions};

use super::format::{Snapshot, MODEL_SCHEMA, SNAPSHOT_VERSION};

/// Deserializes a snapshot file, checking its version.
pub fn parse_snapshot(text: &str, opts: &ParseOptions) -> Result<Snapshot> {
    let snap: Snapshot = serde_json::from_str(text).map_err(|e| {
        Error::Parse(ParseError {
            source_name: opts.source_name.to_string(),
            position: Position {
                line: u32::try_from(e.line()).unwrap_or(u32::MAX),
                column: u32::try_from(e.column()).unwrap_or(u32::MAX),
            },
            message: format!("expected an nfdiff snapshot: {e}"),
            context: None,
        })
    })?;
    if snap.nfdiff_snapshot != SNAPSHOT_VERSION {
        return Err(Error::Unsupported {
            what: format!(
                "{}: nfdiff snapshot version {}",
                opts.source_name, snap.nfdiff_snapshot
            ),
            reason: format!("this nfdiff reads version {SNAPSHOT_VERSION}"),
        });
    }
    Ok(snap)
}

/// The node facts a snapshot records.
pub fn facts_from_snapshot(snap: &Snapshot) -> NodeFacts {
    NodeFacts {
        saves: snap
            .saves
            .iter()
            .map(|s| SaveOutput {
                backend: s.backend,
                family: s.family,
                result: if s.ok {
                    SaveResult::Output(SaveCounts {
                        lines: s.lines,
                        rule_lines: s.rule_lines,
                        mangle_hint: s.mangle_hint,
                        hint: s.hint,
                    })
                } else {
                    SaveResult::Failed(s.error.clone().unwrap_or_else(|| "failed".into()))
                },
                derived: s.derived,
            })
            .collect(),
        interfaces: snap.interfaces.clone(),
        routes: snap.routes.as_ref().map(|rs| {
            rs.iter()
                .filter_map(|r| {
                    let (dst, dev) = r.split_once(" dev ")?;
                    Some(NodeRoute {
                        dst: dst.trim().parse().ok()?,
                        dev: dev.trim().to_string(),
                    })
                })
                .collect()
        }),
        pids: snap
            .pids
            .iter()
            .map(|p| PidsFigures {
                path: p.path.clone(),
                current: p.current,
                max: p.max,
            })
            .collect(),
        iptables_alternative: snap.iptables_alternative,
        versions: snap
            .versions
            .iter()
            .map(|v| ToolVersion {
                tool: v.tool.clone(),
                version: v.version.clone(),
            })
            .collect(),
    }
}

/// Reads a snapshot file: its rulesets merged in order, and its node facts.
pub fn read_snapshot(text: &str, opts: &ParseOptions) -> Result<(Ruleset, NodeFacts)> {
    let snap = parse_snapshot(text, opts)?;
    Ok((snapshot_ruleset(&snap, opts)?, facts_from_snapshot(&snap)))
}

/// A snapshot's rulesets merged in order (texts parsed, models taken as they are).
pub fn snapshot_ruleset(snap: &Snapshot, opts: &ParseOptions) -> Result<Ruleset> {
    let mut all = Ruleset::default();
    for (i, r) in snap.rulesets.iter().enumerate() {
        let name = format!("{}#{} ({})", opts.source_name, i + 1, r.source);
        match (r.format.as_str(), &r.text, &r.model) {
            ("text", Some(t), _) => {
                if sniff_format(t) == Some(Format::Snapshot) {
                    return Err(Error::Unsupported {
                        what: name,
                        reason: "a snapshot inside a snapshot".into(),
                    });
                }
                let o = ParseOptions::new(name).with_backend(r.backend);
                all.extend(parse_text(t, &o)?);
            }
            ("model", _, Some(m)) => {
                if r.model_schema != Some(MODEL_SCHEMA) {
                    return Err(Error::Unsupported {
                        what: name,
                        reason: format!(
                            "model schema {:?}; this nfdiff reads {MODEL_SCHEMA}",
                            r.model_schema
                        ),
                    });
                }
                all.extend(m.clone());
            }
            (f, _, _) => {
                return Err(Error::Unsupported {
                    what: name,
                    reason: format!("ruleset format `{f}` without its content"),
                })
            }
        }
    }
    Ok(all)
}
