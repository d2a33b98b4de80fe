//! Builds the normalized model from one consistent raw dump (tables, chains, rules, sets).

use std::collections::HashMap;
use std::sync::Arc;

use super::datatype::{format_concat, format_value, key_type_text, split_concat, type_name};
use super::delinearize::{delinearize, SetInfo, SetLookupContext, DATA_VERDICT};
use super::raw::{udata_string, RawChain, RawRuleset, RawSet};
use crate::model::{
    Backend, BaseChain, Chain, ChainType, Counters, Family, Hook, NamedObject, NamedSet, Origin,
    Policy, Ruleset, Table,
};

/// `NFTNL_UDATA_RULE_COMMENT`, `..._TABLE_COMMENT`, `..._CHAIN_COMMENT`.
const UDATA_COMMENT: u8 = 0;
/// `NFTNL_UDATA_SET_COMMENT`.
const UDATA_SET_COMMENT: u8 = 7;

/// The model family of an `NFPROTO_*` number.
pub(crate) fn family_of(nfproto: u32) -> Option<Family> {
    Some(match nfproto {
        1 => Family::Inet,
        2 => Family::Ip,
        3 => Family::Arp,
        5 => Family::Netdev,
        7 => Family::Bridge,
        10 => Family::Ip6,
        _ => return None,
    })
}

fn hook_of(family: Family, hooknum: u32) -> Hook {
    match family {
        Family::Netdev => match hooknum {
            0 => Hook::Ingress,
            1 => Hook::Egress,
            n => Hook::Other(n.to_string()),
        },
        Family::Arp => match hooknum {
            0 => Hook::Input,
            1 => Hook::Output,
            2 => Hook::Forward,
            n => Hook::Other(n.to_string()),
        },
        _ => match hooknum {
            0 => Hook::Prerouting,
            1 => Hook::Input,
            2 => Hook::Forward,
            3 => Hook::Output,
            4 => Hook::Postrouting,
            5 => Hook::Ingress,
            n => Hook::Other(n.to_string()),
        },
    }
}

fn set_flags(flags: u32) -> Vec<String> {
    let mut v = Vec::new();
    for (bit, name) in [
        (0x2u32, "constant"),
        (0x4, "interval"),
        (0x10, "timeout"),
        (0x20, "dynamic"),
    ] {
        if flags & bit != 0 {
            v.push(name.to_string());
        }
    }
    v
}

fn render_key(set: &RawSet, b: &[u8]) -> String {
    let types = split_concat(set.key_type, set.key_len);
    if types.len() > 1 {
        format_concat(&types, b)
    } else {
        format_value(set.key_type, b)
    }
}

/// nft-like element strings of a named set or map.
fn set_elements(set: &RawSet) -> Vec<String> {
    let info = SetInfo {
        flags: set.flags,
        key_type: set.key_type,
        key_len: set.key_len,
        data_type: set.data_type,
        elems: set.elems.clone(),
    };
    let mut out: Vec<(Vec<u8>, String)> = Vec::new();
    let interval = set.flags & 0x4 != 0;
    let is_map = set.flags & 0x8 != 0 || set.flags & 0x40 != 0;
    if interval && !is_map {
        for (first, last) in super::delinearize::interval_pairs(&info) {
            let t = if first == last {
                render_key(set, &first)
            } else if matches!(set.key_type, 7 | 8) {
                super::delinearize::addr_text(&first, &last, set.key_type == 8)
            } else {
                format!("{}-{}", render_key(set, &first), render_key(set, &last))
            };
            out.push((first, t));
        }
    } else {
        for e in set.elems.iter().filter(|e| e.flags & 1 == 0) {
            let mut t = render_key(set, &e.key);
            if let Some(end) = &e.key_end {
                t = format!("{t}-{}", render_key(set, end));
            }
            if is_map {
                t = format!("{t} : {}", super::delinearize::elem_value(&info, e));
            }
            out.push((e.key.clone(), t));
        }
    }
    out.sort();
    out.into_iter().map(|(_, t)| t).collect()
}

fn data_type_text(set: &RawSet) -> Option<String> {
    if let Some(t) = set.obj_type {
        if set.flags & 0x40 != 0 {
            return Some(format!("object type {t}"));
        }
    }
    match set.data_type {
        Some(DATA_VERDICT) => Some("verdict".into()),
        Some(t) if set.flags & 0x8 != 0 => {
            let types = split_concat(t, set.data_len);
            Some(
                types
                    .iter()
                    .map(|x| type_name(*x))
                    .collect::<Vec<_>>()
                    .join(" . "),
            )
        }
        _ => None,
    }
}

fn obj_kind(t: u32) -> &'static str {
    match t {
        1 => "counter",
        2 => "quota",
        3 => "ct helper",
        4 => "limit",
        5 => "connlimit",
        6 => "tunnel",
        7 => "ct timeout",
        8 => "secmark",
        9 => "ct expectation",
        10 => "synproxy",
        _ => "object",
    }
}

/// `NFT_CHAIN_BINDING`.
const CHAIN_BINDING: u32 = 0x4;

/// Anonymous chains of `jump { ... }` / `goto { ... }` (chain bindings) are shown inline, as
/// nft shows them: the verdict becomes `jump { rule; rule }` and the chain leaves the table.
fn inline_bindings(rs: &mut Ruleset, chains: &[RawChain]) {
    use crate::model::{Rule, Verdict};
    let bindings: std::collections::HashSet<(Option<Family>, &str, &str)> = chains
        .iter()
        .filter(|c| c.flags & CHAIN_BINDING != 0)
        .map(|c| (family_of(c.family), c.table.as_str(), c.name.as_str()))
        .collect();
    if bindings.is_empty() {
        return;
    }
    fn replace(r: &mut Rule, bodies: &HashMap<String, String>) {
        let (kw, name) = match &r.verdict {
            Some(Verdict::Jump(n)) => ("jump", n),
            Some(Verdict::Goto(n)) => ("goto", n),
            _ => return,
        };
        if let Some(body) = bodies.get(name) {
            r.verdict = Some(Verdict::Other(format!("{kw} {{ {body} }}")));
        }
    }
    for t in &mut rs.tables {
        let bound: Vec<usize> = (0..t.chains.len())
            .filter(|&i| {
                bindings.contains(&(Some(t.family), t.name.as_str(), t.chains[i].name.as_str()))
            })
            .collect();
        if bound.is_empty() {
            continue;
        }
        // Innermost bindings were created last: render from the end, so a binding's body
        // already shows the bindings it jumps to.
        let mut bodies: HashMap<String, String> = HashMap::new();
        for &i in bound.iter().rev() {
            let chain = &mut t.chains[i];
            for r in &mut chain.rules {
                replace(r, &bodies);
            }
            let body = chain
                .rules
                .iter()
                .map(|r| r.canonical())
                .collect::<Vec<_>>()
                .join("; ");
            bodies.insert(chain.name.clone(), body);
        }
        t.chains.retain(|c| !bodies.contains_key(&c.name));
        for c in &mut t.chains {
            for r in &mut c.rules {
                replace(r, &bodies);
            }
        }
    }
}

/// Builds the normalized model (backend nft) from a raw dump. `source` names the origin
/// (`live:nft`); `ipset_names` maps kernel ipset indexes to names for xt `set` matches.
pub fn assemble(raw: RawRuleset, source: &str, ipset_names: &HashMap<u16, String>) -> Ruleset {
    let source: Arc<str> = Arc::from(source);
    let origin = |handle: u64| Origin {
        source: source.clone(),
        line: None,
        handle: Some(handle),
    };
    let mut rs = Ruleset::default();
    let mut index: HashMap<(u32, String), usize> = HashMap::new();
    let mut contexts: HashMap<(u32, String), SetLookupContext> = HashMap::new();

    for t in &raw.tables {
        let Some(family) = family_of(t.family) else {
            continue;
        };
        let mut table = Table::new(Backend::Nft, family, t.name.clone());
        if t.flags & 1 != 0 {
            table.flags.push("dormant".into());
        }
        if t.flags & 2 != 0 {
            table.flags.push("owner".into());
        }
        table.comment = udata_string(&t.userdata, UDATA_COMMENT);
        table.origin = origin(t.handle);
        index.insert((t.family, t.name.clone()), rs.tables.len());
        rs.tables.push(table);
    }

    for s in &raw.sets {
        let ctx = contexts
            .entry((s.family, s.table.clone()))
            .or_insert_with(|| SetLookupContext {
                sets: HashMap::new(),
                ipset_names: ipset_names.clone(),
            });
        ctx.sets.insert(
            s.name.clone(),
            SetInfo {
                flags: s.flags,
                key_type: s.key_type,
                key_len: s.key_len,
                data_type: s.data_type,
                elems: s.elems.clone(),
            },
        );
        if s.flags & 0x1 != 0 {
            continue; // anonymous: inlined into the rules that use it
        }
        let Some(&ti) = index.get(&(s.family, s.table.clone())) else {
            continue;
        };
        let mut extra = Vec::new();
        if let Some(t) = s.timeout {
            extra.push(format!("timeout {t}ms"));
        }
        if let Some(n) = s.size {
            extra.push(format!("size {n}"));
        }
        rs.tables[ti].sets.push(NamedSet {
            name: s.name.clone(),
            key_type: key_type_text(s.key_type, s.key_len),
            data_type: data_type_text(s),
            flags: set_flags(s.flags),
            elements: set_elements(s),
            extra,
            comment: udata_string(&s.userdata, UDATA_SET_COMMENT),
            origin: Origin {
                source: source.clone(),
                line: None,
                handle: None,
            },
        });
    }

    let empty = SetLookupContext {
        sets: HashMap::new(),
        ipset_names: ipset_names.clone(),
    };
    let mut chain_index: HashMap<(u32, String, String), (usize, usize)> = HashMap::new();
    for c in &raw.chains {
        let (Some(family), Some(&ti)) =
            (family_of(c.family), index.get(&(c.family, c.table.clone())))
        else {
            continue;
        };
        let base = c.hooknum.map(|h| BaseChain {
            chain_type: ChainType::from_nft(c.chain_type.as_deref().unwrap_or("filter")),
            hook: hook_of(family, h),
            priority: c.prio,
            policy: if c.policy == Some(0) {
                Policy::Drop
            } else {
                Policy::Accept
            },
            devices: c.devices.clone(),
        });
        let mut chain = Chain::new(c.name.clone(), base);
        if c.hooknum.is_some() {
            chain.counters = Some(Counters {
                packets: c.packets,
                bytes: c.bytes,
            });
        }
        chain.comment = udata_string(&c.userdata, UDATA_COMMENT);
        chain.origin = origin(c.handle);
        let table = &mut rs.tables[ti];
        chain_index.insert(
            (c.family, c.table.clone(), c.name.clone()),
            (ti, table.chains.len()),
        );
        table.chains.push(chain);
    }

    // Rules come chain by chain: look the chain up once per run of rules.
    // Each rule's expressions are dropped as soon as it is delinearized (lower peak memory).
    type Found<'a> = Option<(usize, usize, &'a SetLookupContext)>;
    let mut last: Option<(u32, String, String, Found<'_>)> = None;
    for r in raw.rules {
        let found = match &last {
            Some((f, t, c, found)) if *f == r.family && *t == r.table && *c == r.chain => *found,
            _ => {
                let found = chain_index
                    .get(&(r.family, r.table.clone(), r.chain.clone()))
                    .map(|&(ti, ci)| {
                        let ctx = contexts.get(&(r.family, r.table.clone())).unwrap_or(&empty);
                        (ti, ci, ctx)
                    });
                last = Some((r.family, r.table.clone(), r.chain.clone(), found));
                found
            }
        };
        let Some((ti, ci, ctx)) = found else {
            continue;
        };
        let family = rs.tables[ti].family;
        let mut rule = delinearize(family, &r.exprs, ctx);
        if let Some(c) = udata_string(&r.userdata, UDATA_COMMENT) {
            rule.comment = Some(match rule.comment.take() {
                Some(xt) if xt != c => format!("{xt}; {c}"),
                _ => c,
            });
        }
        rule.origin = origin(r.handle);
        rs.tables[ti].chains[ci].rules.push(rule);
    }

    inline_bindings(&mut rs, &raw.chains);

    for o in &raw.objects {
        let Some(&ti) = index.get(&(o.family, o.table.clone())) else {
            continue;
        };
        let body = if o.obj_type == 1 {
            String::new()
        } else {
            o.text.trim().to_string()
        };
        rs.tables[ti].objects.push(NamedObject {
            kind: obj_kind(o.obj_type).to_string(),
            name: o.name.clone(),
            body,
            origin: Origin {
                source: source.clone(),
                line: None,
                handle: None,
            },
        });
    }
    for f in &raw.flowtables {
        let Some(&ti) = index.get(&(f.family, f.table.clone())) else {
            continue;
        };
        let body = format!(
            "hook {} priority {} devices = {{ {} }}",
            hook_of(Family::Netdev, f.hooknum),
            f.prio,
            f.devices.join(", ")
        );
        rs.tables[ti].objects.push(NamedObject {
            kind: "flowtable".into(),
            name: f.name.clone(),
            body,
            origin: Origin {
                source: source.clone(),
                line: None,
                handle: None,
            },
        });
    }
    rs.normalize();
    rs
}
