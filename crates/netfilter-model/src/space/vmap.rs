//! Verdict maps over flows: a flow split by the map's elements, each part taking its
//! element's verdict and the rest going on, as the tracer's lookup ([`VmapSpec`]) decides.
//!
//! An element holds the packets its key fields' atoms hold (interface names and prefixes,
//! address prefixes and ranges, port and mark intervals, protocols, conntrack states); the
//! first element in the map's order that holds a packet decides it, the catch-all `*` takes
//! the packets no other element holds. A key the engine cannot express (a number generator,
//! a hash, an element it does not understand) leaves every element's verdict and no element
//! possible (*may*), as the tracer's options; a named map missing from the dump may accept,
//! drop or go on.

use crate::model::{CtStateSet, Match, MatchKind, SetKey, Verdict};
use crate::trace::{parse_verdict, Atom, ParsedSet, VKey, VmapSpec};

use super::bdd::Bdd;
use super::predicate::{atom_pred, has_ports, match_pred, proto_is, HookCx};
use super::state::{Flow, FlowState};
use super::universe::{Bit, Field, Universe};

/// The parts of a flow a verdict map sends on, each with the verdict it meets (`None`: no
/// element, on to the next rule). `spec` is the tracer's parse of the map (`None` when the
/// tracer has none for the rule), `text` the map as written (for reasons).
pub(crate) fn vmap_parts(
    u: &Universe,
    cx: &HookCx<'_>,
    spec: Option<&VmapSpec>,
    text: &str,
    f: Flow,
) -> Vec<(Flow, Option<Verdict>)> {
    let Some(spec) = spec else {
        return unknown_map(
            f,
            format!("verdict map `{text}` is not understood: it may accept, drop or go on"),
        );
    };
    let set = match spec.elements(cx.sets) {
        Ok(s) => s,
        Err(why) => return unknown_map(f, format!("{why}: it may accept, drop or go on")),
    };
    let keys = match spec.keys() {
        Ok(k) => k,
        Err(why) => return options(f, spec.undecided_options(set), why),
    };
    let preds = if let [k] = keys {
        if k.is_ct_state() {
            ct_state_preds(u, set, &f.st, cx)
        } else {
            field_preds(u, keys, set, &f.st, cx, |_| false)
        }
    } else {
        field_preds(u, keys, set, &f.st, cx, |_| false)
    };
    let preds = match preds {
        Ok(p) => p,
        Err(why) => return options(f, spec.undecided_options(set), &why),
    };
    let (dep, undecided) = key_dependency(u, keys, cx);
    let mut out: Vec<(Flow, Option<Verdict>)> = Vec::new();
    let open = f.region.and(&undecided);
    if !open.is_false() {
        out.extend(portless_parts(u, keys, set, f.with_region(open), cx, spec));
    }
    let mut rest = f.region.and(&dep).and_not(&undecided);
    let miss = f.region.and_not(&dep).and_not(&undecided);
    // Parts merged by verdict: every element with the same verdict is one flow.
    let mut parts: Vec<(Option<Verdict>, Bdd, Option<String>)> = Vec::new();
    let mut add = |v: Option<Verdict>, r: Bdd, why: Option<String>| {
        if r.is_false() {
            return;
        }
        match parts.iter_mut().find(|(pv, _, pw)| *pv == v && *pw == why) {
            Some((_, acc, _)) => *acc = acc.or(&r),
            None => parts.push((v, r, why)),
        }
    };
    add(None, miss, None);
    let mut catch_all: Option<usize> = None;
    for (i, pred) in preds.iter().enumerate() {
        let Some(pred) = pred else {
            catch_all.get_or_insert(i);
            continue;
        };
        if rest.is_false() {
            break;
        }
        let hit = rest.and(pred);
        if hit.is_false() {
            continue;
        }
        rest = rest.and_not(pred);
        let (v, why) = element_verdict(set, i);
        add(v, hit, why);
    }
    match catch_all {
        Some(i) => {
            let (v, why) = element_verdict(set, i);
            add(v, rest, why);
        }
        None => add(None, rest, None),
    }
    for (v, r, why) in parts {
        let mut part = f.with_region(r);
        part.reasons.extend(why);
        out.push((part, v));
    }
    out
}

/// An element's verdict, or (when its data is not a verdict) no element and why.
fn element_verdict(set: &ParsedSet, i: usize) -> (Option<Verdict>, Option<String>) {
    let data = set.elements[i].data.as_deref();
    match data.and_then(parse_verdict) {
        Some(v) => (Some(v), None),
        None => (
            None,
            Some(format!(
                "verdict of element `{}` is not understood; assumed no element",
                set.raw[i]
            )),
        ),
    }
}

/// Where the lookup happens at all (`tcp dport` needs TCP, `ip6 saddr` IPv6), and where its
/// key is undecidable (a `th` port key on a packet without ports).
fn key_dependency(u: &Universe, keys: &[VKey], cx: &HookCx<'_>) -> (Bdd, Bdd) {
    let mut dep = u.t();
    let mut undecided = u.f();
    for k in keys {
        if k.v6.is_some_and(|v6| v6 != cx.v6) {
            dep = u.f();
        }
        match k.proto {
            Some(p) => dep = dep.and(&proto_is(u, p.0)),
            None if matches!(k.key, SetKey::Sport | SetKey::Dport) => {
                undecided = undecided.or(&has_ports(u).not());
            }
            None => {}
        }
    }
    let undecided = undecided.and(&dep);
    (dep, undecided)
}

/// A `th` port key (no protocol of its own): a packet without ports has no value for it.
fn transport_port(k: &VKey) -> bool {
    k.proto.is_none() && matches!(k.key, SetKey::Sport | SetKey::Dport)
}

/// Packets without ports under a map keyed by `th` ports: an element whose other key fields
/// hold the packet may hold it (what the kernel reads as the port is not known), one whose
/// other fields do not cannot, as the tracer's lookup decides.
fn portless_parts(
    u: &Universe,
    keys: &[VKey],
    set: &ParsedSet,
    f: Flow,
    cx: &HookCx<'_>,
    spec: &VmapSpec,
) -> Vec<(Flow, Option<Verdict>)> {
    let why = "the packet has no ports for the map's `th` port key";
    let Ok(partial) = field_preds(u, keys, set, &f.st, cx, transport_port) else {
        return options(f, spec.undecided_options(set), why);
    };
    let mut any = u.f();
    let mut opts: Vec<(Option<Verdict>, String)> = Vec::new();
    for (i, p) in partial.iter().enumerate() {
        let p = p.clone().unwrap_or_else(|| u.t());
        if f.region.and(&p).is_false() {
            continue;
        }
        any = any.or(&p);
        let v = element_verdict(set, i).0;
        if v.is_some() && !opts.iter().any(|(o, _)| *o == v) {
            opts.push((v, set.raw[i].clone()));
        }
    }
    opts.push((None, String::new()));
    let mut out = Vec::new();
    let miss = f.region.and_not(&any);
    if !miss.is_false() {
        out.push((f.with_region(miss), None));
    }
    let open = f.region.and(&any);
    if !open.is_false() {
        out.extend(options(f.with_region(open), opts, why));
    }
    out
}

/// Each element's packets (`None` for the catch-all `*`), over the key fields but those
/// `skip` leaves out.
fn field_preds(
    u: &Universe,
    keys: &[VKey],
    set: &ParsedSet,
    st: &FlowState,
    cx: &HookCx<'_>,
    skip: impl Fn(&VKey) -> bool,
) -> Result<Vec<Option<Bdd>>, String> {
    let mut out = Vec::with_capacity(set.elements.len());
    for (e, raw) in set.elements.iter().zip(&set.raw) {
        if matches!(e.key.as_slice(), [Atom::Word(w)] if w == "*") {
            out.push(None);
            continue;
        }
        if e.key.len() != keys.len() {
            return Err(format!(
                "element `{raw}` has {} key field(s), the map's key has {}",
                e.key.len(),
                keys.len()
            ));
        }
        let mut el = u.t();
        for (k, a) in keys.iter().zip(&e.key) {
            if skip(k) {
                continue;
            }
            let b = atom_pred(u, &k.key, a, st, cx).ok_or_else(|| {
                format!(
                    "element `{raw}`: key `{}` is not analysed by the packet-space engine",
                    k.key
                )
            })?;
            el = el.and(&b);
            if el.is_false() {
                break;
            }
        }
        out.push(Some(el));
    }
    Ok(out)
}

/// Each element's packets for a `ct state` key: the states it lists, as `ct state` matches.
fn ct_state_preds(
    u: &Universe,
    set: &ParsedSet,
    st: &FlowState,
    cx: &HookCx<'_>,
) -> Result<Vec<Option<Bdd>>, String> {
    let state_bits = CtStateSet::INVALID
        | CtStateSet::ESTABLISHED
        | CtStateSet::RELATED
        | CtStateSet::NEW
        | CtStateSet::UNTRACKED;
    set.raw
        .iter()
        .map(|raw| {
            let key = raw.split(" : ").next().unwrap_or("").replace(' ', "");
            let states = CtStateSet::parse_list(&key)
                .ok_or_else(|| format!("ct state element `{raw}` is not understood"))?;
            let m = Match::new(MatchKind::CtState {
                states: CtStateSet(states.0 & state_bits),
            });
            Ok(Some(match_pred(u, &m, st, cx).yes))
        })
        .collect()
}

/// The whole flow on each outcome of an undecidable lookup, with why.
fn options(
    f: Flow,
    opts: Vec<(Option<Verdict>, String)>,
    why: &str,
) -> Vec<(Flow, Option<Verdict>)> {
    opts.into_iter()
        .map(|(v, el)| {
            let what = match &v {
                Some(_) => format!("element `{el}`"),
                None => "no element".to_string(),
            };
            let mut part = f.clone();
            part.reasons.insert(format!("{why}; assumed {what}"));
            (part, v)
        })
        .collect()
}

/// A map whose elements are not known: it may accept, drop, or go on (with any mark, as a
/// chain it jumps to may set one).
fn unknown_map(mut f: Flow, why: String) -> Vec<(Flow, Option<Verdict>)> {
    f.reasons.insert(why);
    let mut on = f.clone();
    on.st.fields.insert(Field::Mark, vec![Bit::Unknown; 32]);
    on.st.fields.insert(Field::CtMark, vec![Bit::Unknown; 32]);
    vec![
        (f.clone(), Some(Verdict::Accept)),
        (f, Some(Verdict::Drop)),
        (on, None),
    ]
}

#[cfg(test)]
mod tests;
