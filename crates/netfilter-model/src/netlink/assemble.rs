//! Builds the normalized model from one consistent raw dump (tables, chains, rules, sets).

use std::collections::HashMap;
use std::sync::Arc;

use super::datatype::{key_type_text, nft_time, split_concat, type_name};
use super::delinearize::{delinearize, SetInfo, SetLookupContext, DATA_VERDICT};
use super::elements::{data_is_interval, set_elements, set_statements, stateful_text};
use super::object::object_body;
use super::raw::{udata_string, udata_u32, RawChain, RawRuleset, RawSet};
use super::settypeof::{typeof_text, UDATA_SET_DATA_TYPEOF, UDATA_SET_KEY_TYPEOF};
use crate::model::{
    Backend, BaseChain, Chain, ChainType, Counters, Family, Hook, MatchKind, NamedObject, NamedSet,
    Origin, Policy, Ruleset, Table,
};

/// `NFTNL_UDATA_RULE_COMMENT`, `..._TABLE_COMMENT`, `..._CHAIN_COMMENT`.
const UDATA_COMMENT: u8 = 0;
/// `NFTNL_UDATA_SET_COMMENT`.
const UDATA_SET_COMMENT: u8 = 7;
/// `NFTNL_UDATA_SET_MERGE_ELEMENTS` (nft's `auto-merge`).
const UDATA_SET_MERGE_ELEMENTS: u8 = 2;
/// `NFT_SET_CONSTANT`.
const SET_CONSTANT: u32 = 0x2;

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

fn data_type_text(set: &RawSet) -> Option<String> {
    if let Some(t) = set.obj_type {
        if set.flags & 0x40 != 0 {
            return Some(match obj_kind(t) {
                "object" => format!("object type {t}"),
                k => k.to_string(),
            });
        }
    }
    match set.data_type {
        Some(DATA_VERDICT) => Some("verdict".into()),
        Some(t) if set.flags & 0x8 != 0 => {
            // A `typeof` map names its data by expression (normalization maps known ones
            // to their datatype, as it does for the text parser's).
            let names = typeof_text(&set.userdata, UDATA_SET_DATA_TYPEOF).unwrap_or_else(|| {
                split_concat(t, set.data_len)
                    .iter()
                    .map(|x| type_name(*x))
                    .collect::<Vec<_>>()
                    .join(" . ")
            });
            Some(if data_is_interval(set) {
                format!("interval {names}")
            } else {
                names
            })
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

/// Modules of verbatim matches that name an iptables extension (as the iptables-save parser
/// keeps them), not the head of an nft expression.
fn is_xt_module(module: &str) -> bool {
    module.starts_with("xt:") || super::xt::is_extension_name(module)
}

/// Spells a verbatim nft match as the nft text and JSON parsers do: module `nft`, the whole
/// expression as arguments (delinearization splits off the first word, as for statements,
/// which normalization joins the other way).
fn verbatim_as_parsers_spell_it(rule: &mut crate::model::Rule) {
    for m in &mut rule.matches {
        if let MatchKind::Other {
            module,
            args,
            lossy: false,
        } = &mut m.kind
        {
            if module != "nft" && !is_xt_module(module) {
                let whole = if args.is_empty() {
                    std::mem::take(module)
                } else {
                    format!("{module} {args}")
                };
                *module = "nft".to_string();
                *args = whole;
            }
        }
    }
}

/// Adds the statements nested in dynset expressions to the `add/update @set { .. }` texts
/// delinearization made of them: after the key (and its timeout), before ` : data`, as nft
/// lists them (`update @s { ip saddr timeout 10m counter }`).
fn dynset_statements(
    rule: &mut crate::model::Rule,
    exprs: &[super::expr::Expr],
    nested: &[(usize, Vec<super::expr::Expr>)],
) {
    use super::expr::Expr;
    use crate::model::Statement;
    for (idx, inner) in nested {
        let texts: Vec<String> = inner.iter().filter_map(stateful_text).collect();
        if texts.is_empty() {
            continue;
        }
        let Some(Expr::Dynset { set, sreg_data, .. }) = exprs.get(*idx) else {
            continue;
        };
        // The n-th dynset of the rule made the n-th statement on the same set.
        let nth = exprs[..*idx]
            .iter()
            .filter(|e| matches!(e, Expr::Dynset { set: s, .. } if s == set))
            .count();
        let prefix = format!("@{set} {{ ");
        let Some(Statement::Other { args, .. }) = rule
            .statements
            .iter_mut()
            .filter(|s| {
                matches!(s, Statement::Other { target, args, .. }
                    if matches!(target.as_str(), "add" | "update" | "delete")
                        && args.starts_with(&prefix))
            })
            .nth(nth)
        else {
            continue;
        };
        let at = if sreg_data.is_some() {
            args.rfind(" : ")
        } else {
            args.rfind(" }")
        };
        if let Some(at) = at {
            args.insert_str(at, &format!(" {}", texts.join(" ")));
        }
    }
}

/// Names the object type of object maps and inlines anonymous ones: delinearization leaves
/// `object name KEY map @SET` (the object type is the set's); nft lists `counter name KEY map
/// { k : "obj", .. }` (or `@SET`), and `ct helper set KEY map { .. }` for conntrack objects.
fn inline_object_maps<'a>(
    rule: &mut crate::model::Rule,
    lookup: impl Fn(&str) -> Option<&'a RawSet>,
) {
    use crate::model::Statement;
    for st in &mut rule.statements {
        let Statement::Other { target, args, .. } = st else {
            continue;
        };
        let Some(rest) = args.strip_prefix("name ") else {
            continue;
        };
        let Some((key, set_name)) = rest.rsplit_once(" map @") else {
            continue;
        };
        let Some(set) = lookup(set_name) else {
            continue;
        };
        let kind = set.obj_type.map_or("object", obj_kind);
        let body = if set.flags & 0x1 != 0 {
            format!("{{ {} }}", set_elements(set).join(", "))
        } else {
            format!("@{set_name}")
        };
        let (t, a) = match kind.strip_prefix("ct ") {
            Some(ct) => ("ct".to_string(), format!("{ct} set {key} map {body}")),
            None => (kind.to_string(), format!("name {key} map {body}")),
        };
        *target = t;
        *args = a;
    }
}

/// `NFT_CHAIN_BINDING`.
const CHAIN_BINDING: u32 = 0x4;

/// A rule of a chain binding as nft lists it inside `jump { .. }`: the canonical text, with
/// `counter` (values left out, as the text parser leaves them out of the verbatim body) where
/// nft usually has it, first among the statements.
fn binding_rule_text(r: &crate::model::Rule) -> String {
    use crate::model::Statement;
    if r.counters.is_none() {
        return r.canonical();
    }
    let mut shown = r.clone();
    shown.statements.insert(
        0,
        Statement::Other {
            target: "counter".into(),
            args: String::new(),
            lossy: false,
        },
    );
    shown.canonical()
}

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
                .map(binding_rule_text)
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
            extra.push(format!("timeout {}", nft_time(t)));
        }
        // nft does not list the size of a constant set (it sizes it to its elements).
        if let Some(n) = s.size.filter(|_| s.flags & SET_CONSTANT == 0) {
            extra.push(format!("size {n}"));
        }
        if udata_u32(&s.userdata, UDATA_SET_MERGE_ELEMENTS).is_some_and(|v| v != 0) {
            extra.push("auto-merge".into());
        }
        extra.extend(set_statements(s));
        rs.tables[ti].sets.push(NamedSet {
            name: s.name.clone(),
            key_type: typeof_text(&s.userdata, UDATA_SET_KEY_TYPEOF).map_or_else(
                || key_type_text(s.key_type, s.key_len),
                |t| format!("typeof {t}"),
            ),
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

    // Object maps (`counter name ip saddr map @m`): their object type, and the elements of
    // anonymous ones, inlined into their rules.
    let objmaps: HashMap<(u32, &str, &str), &RawSet> = raw
        .sets
        .iter()
        .filter(|s| s.flags & 0x40 != 0)
        .map(|s| ((s.family, s.table.as_str(), s.name.as_str()), s))
        .collect();
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
        verbatim_as_parsers_spell_it(&mut rule);
        dynset_statements(&mut rule, &r.exprs, &r.dynset_exprs);
        inline_object_maps(&mut rule, |name| {
            objmaps.get(&(r.family, r.table.as_str(), name)).copied()
        });
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
        let body = object_body(o).unwrap_or_else(|| o.text.trim().to_string());
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

#[cfg(test)]
mod tests;
