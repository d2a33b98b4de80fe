//! Verdict maps: parsing `KEY vmap { ... }` / `KEY vmap @name` and choosing the element.

use std::collections::HashMap;

pub(crate) use crate::model::parse_verdict;
use crate::model::{
    CtStateSet, Direction, Protocol, SetKey, Verdict, VerdictMap, VmapElements, VmapEntry,
};

use super::matching::{key_val, Ctx};
use super::sets::{KeyVal, Lookup, ParsedSet};

/// One field of a verdict-map key, with the protocol or family it depends on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct VKey {
    pub(crate) key: SetKey,
    /// `tcp dport` needs TCP.
    pub(crate) proto: Option<Protocol>,
    /// `ip saddr` needs IPv4 (`Some(false)`), `ip6 saddr` IPv6 (`Some(true)`).
    pub(crate) v6: Option<bool>,
}

impl VKey {
    /// Whether this is the `ct state` key (a connection is in one state; elements list states).
    pub(crate) fn is_ct_state(&self) -> bool {
        matches!(&self.key, SetKey::Other(k) if k == CT_STATE)
    }
}

/// Where the elements live.
#[derive(Debug, Clone)]
enum Elements {
    /// An anonymous map `{ ... }`, parsed.
    Inline(ParsedSet),
    /// A named map of the table.
    Named(String),
}

/// A verdict map parsed from its nft text.
#[derive(Debug, Clone)]
pub(crate) struct VmapSpec {
    keys: Result<Vec<VKey>, String>,
    elements: Elements,
    /// Every value the key can take, when it is a number generator or hash
    /// (`numgen random mod 3` takes 0, 1 and 2): a map covering all of them always hits.
    domain: Option<(u64, u64)>,
}

/// The values of `numgen random|inc mod N [offset K]`, `jhash … mod N [seed S] [offset K]`,
/// `symhash mod N [offset K]`: `K ..= K + N - 1`.
fn key_domain(key_text: &str) -> Option<(u64, u64)> {
    let words: Vec<&str> = key_text.split_whitespace().collect();
    if !matches!(words.first(), Some(&("numgen" | "jhash" | "symhash"))) {
        return None;
    }
    let after = |name: &str| {
        words
            .iter()
            .position(|w| *w == name)
            .and_then(|i| words.get(i + 1))
            .and_then(|v| v.parse::<u64>().ok())
    };
    let n = after("mod").filter(|n| *n > 0)?;
    let offset = after("offset").unwrap_or(0);
    Some((offset, offset.checked_add(n - 1)?))
}

/// What a verdict-map lookup gives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum VmapOutcome {
    /// This element matched; its verdict and its text.
    Hit(Verdict, String),
    /// No element matched: the rule does nothing.
    Miss,
    /// Undecidable: the possible outcomes (`None` = no element), and why.
    Maybe(Vec<(Option<Verdict>, String)>, String),
}

/// The key text of `ct state vmap { ... }`.
const CT_STATE: &str = "ct state";

/// `ct state vmap`: a connection is in one state, so the first element naming it decides.
fn ct_state_lookup(
    set: &ParsedSet,
    ctx: &Ctx<'_>,
    verdict_of: impl Fn(usize) -> Option<Verdict>,
) -> VmapOutcome {
    let state_bits = CtStateSet::INVALID
        | CtStateSet::ESTABLISHED
        | CtStateSet::RELATED
        | CtStateSet::NEW
        | CtStateSet::UNTRACKED;
    let bits = if ctx.before_conntrack && !ctx.st.untracked {
        CtStateSet::INVALID
    } else {
        ctx.st.ct_bits(ctx.pkt) & state_bits
    };
    for (i, raw) in set.raw.iter().enumerate() {
        let key = raw.split(" : ").next().unwrap_or("").replace(' ', "");
        let Some(states) = CtStateSet::parse_list(&key) else {
            return VmapOutcome::Maybe(
                vec![(verdict_of(i), raw.clone()), (None, String::new())],
                format!("ct state element `{raw}` is not understood"),
            );
        };
        if states.0 & bits != 0 {
            return match verdict_of(i) {
                Some(v) => VmapOutcome::Hit(v, raw.clone()),
                None => VmapOutcome::Maybe(
                    vec![(None, raw.clone())],
                    format!("the verdict of `{raw}` is not understood"),
                ),
            };
        }
    }
    VmapOutcome::Miss
}

/// The tracer's view of one key part of a typed verdict map.
fn vkey(key: &SetKey) -> Result<VKey, String> {
    let k = |key, proto, v6| Ok(VKey { key, proto, v6 });
    match key {
        SetKey::IifName | SetKey::OifName | SetKey::Mark | SetKey::L4Proto => {
            k(key.clone(), None, None)
        }
        SetKey::Saddr => k(SetKey::Saddr, None, Some(false)),
        SetKey::Daddr => k(SetKey::Daddr, None, Some(false)),
        SetKey::Saddr6 => k(SetKey::Saddr, None, Some(true)),
        SetKey::Daddr6 => k(SetKey::Daddr, None, Some(true)),
        SetKey::Sport | SetKey::Dport => k(key.clone(), None, None),
        SetKey::TransportPort { proto, dir } => k(
            if *dir == Direction::Src {
                SetKey::Sport
            } else {
                SetKey::Dport
            },
            Some(*proto),
            None,
        ),
        SetKey::Other(s) if s == CT_STATE => k(SetKey::Other(CT_STATE.into()), None, None),
        SetKey::Other(s) if s == "ip protocol" || s == "ip6 nexthdr" => {
            k(SetKey::L4Proto, None, None)
        }
        other => Err(format!("verdict-map key `{other}` is not evaluated")),
    }
}

impl VmapSpec {
    /// Parses the whole verdict-map expression, e.g. `iifname vmap { "a" : jump b }`
    /// (through the typed [`VerdictMap`]). Kept for callers holding only the text.
    #[allow(dead_code)]
    pub(crate) fn parse(text: &str) -> VmapSpec {
        VmapSpec::from_map(&VerdictMap::parse(text))
    }

    /// The tracer's form of a typed verdict map.
    pub(crate) fn from_map(map: &VerdictMap) -> VmapSpec {
        if !map.is_well_formed() {
            return VmapSpec {
                keys: Err(format!("`{map}` is not a verdict map")),
                elements: Elements::Inline(ParsedSet::default()),
                domain: None,
            };
        }
        let key_text = map.key_text();
        let keys: Result<Vec<VKey>, String> = map.key.iter().map(vkey).collect();
        let elements = match &map.elements {
            VmapElements::Named(name) => Elements::Named(name.clone()),
            VmapElements::Anonymous(entries) => {
                Elements::Inline(ParsedSet::parse(entries.iter().map(VmapEntry::text)))
            }
            #[allow(unreachable_patterns)]
            _ => Elements::Inline(ParsedSet::default()),
        };
        let domain = key_domain(key_text);
        let keys = match (keys, domain) {
            (Err(_), Some((lo, hi))) => Err(format!(
                "`{key_text}` is a random or hashed number from {lo} to {hi}"
            )),
            (k, _) => k,
        };
        VmapSpec {
            keys,
            elements,
            domain,
        }
    }

    /// The elements' set: inline, or the named map of the table.
    fn set<'s>(&'s self, sets: &'s HashMap<String, ParsedSet>) -> Option<&'s ParsedSet> {
        match &self.elements {
            Elements::Inline(s) => Some(s),
            Elements::Named(n) => sets.get(n),
        }
    }

    /// The key fields, or why the key is not evaluated (a number generator or hash, an
    /// unknown key expression).
    pub(crate) fn keys(&self) -> Result<&[VKey], &str> {
        self.keys.as_deref().map_err(String::as_str)
    }

    /// The elements' set, or why it is not known (a named map missing from the dump).
    pub(crate) fn elements<'s>(
        &'s self,
        sets: &'s HashMap<String, ParsedSet>,
    ) -> Result<&'s ParsedSet, String> {
        self.set(sets).ok_or_else(|| match &self.elements {
            Elements::Named(n) => format!("verdict map `{n}` is not in the dump"),
            Elements::Inline(_) => "the verdict map has no elements".to_string(),
        })
    }

    /// The outcomes a lookup with an undecidable key may have: each element's verdict (of
    /// the values a number generator or hash can take), and no element unless such a
    /// generator's every value has one.
    pub(crate) fn undecided_options(&self, set: &ParsedSet) -> Vec<(Option<Verdict>, String)> {
        let verdict_of = |i: usize| -> Option<Verdict> {
            set.elements
                .get(i)
                .and_then(|e| e.data.as_deref())
                .and_then(parse_verdict)
        };
        let mut opts: Vec<(Option<Verdict>, String)> = Vec::new();
        for (i, raw) in set.raw.iter().enumerate() {
            let v = verdict_of(i);
            let in_domain = self
                .domain
                .is_none_or(|(lo, hi)| set.elements[i].overlaps_num(lo, hi));
            if in_domain && v.is_some() && !opts.iter().any(|(o, _)| *o == v) {
                opts.push((v, raw.clone()));
            }
        }
        let covered = self
            .domain
            .is_some_and(|(lo, hi)| (lo..=hi).all(|n| set.has_num_element(n, &verdict_of)));
        if !covered {
            opts.push((None, String::new()));
        }
        opts
    }

    /// Every literal element key of the map (for interface classes).
    pub(crate) fn inline_set(&self) -> Option<&ParsedSet> {
        match &self.elements {
            Elements::Inline(s) => Some(s),
            Elements::Named(_) => None,
        }
    }

    /// Looks the packet up.
    pub(crate) fn eval(&self, ctx: &Ctx<'_>) -> VmapOutcome {
        let Some(set) = self.set(ctx.sets) else {
            let name = match &self.elements {
                Elements::Named(n) => n.as_str(),
                Elements::Inline(_) => "",
            };
            return VmapOutcome::Maybe(
                vec![(None, String::new())],
                format!("verdict map `{name}` is not in the dump"),
            );
        };
        let verdict_of = |i: usize| -> Option<Verdict> {
            set.elements
                .get(i)
                .and_then(|e| e.data.as_deref())
                .and_then(parse_verdict)
        };
        let all_options = |reason: String| VmapOutcome::Maybe(self.undecided_options(set), reason);
        let keys = match &self.keys {
            Ok(k) => k,
            Err(r) => return all_options(r.clone()),
        };
        if let [VKey {
            key: SetKey::Other(k),
            ..
        }] = keys.as_slice()
        {
            if k == CT_STATE {
                return ct_state_lookup(set, ctx, verdict_of);
            }
        }
        let mut vals = Vec::with_capacity(keys.len());
        for k in keys {
            if let Some(want) = k.proto {
                match ctx.pkt.proto {
                    None => {
                        vals.push(KeyVal::Unknown(format!(
                            "the query gives no protocol (map key needs {want})"
                        )));
                        continue;
                    }
                    Some(p) if p != want => return VmapOutcome::Miss,
                    _ => {}
                }
            }
            if let Some(v6) = k.v6 {
                if v6 != ctx.pkt.is_ipv6() {
                    return VmapOutcome::Miss;
                }
            }
            vals.push(key_val(&k.key, ctx));
        }
        match set.lookup(&vals) {
            Lookup::Found(i) => match verdict_of(i) {
                Some(v) => VmapOutcome::Hit(v, set.raw[i].clone()),
                None => VmapOutcome::Maybe(
                    vec![(None, set.raw[i].clone())],
                    format!("verdict of element `{}` is not understood", set.raw[i]),
                ),
            },
            Lookup::NotFound => VmapOutcome::Miss,
            Lookup::Maybe(cands, reason) => {
                let mut opts: Vec<(Option<Verdict>, String)> = Vec::new();
                for i in cands {
                    let v = verdict_of(i);
                    if v.is_some() && !opts.iter().any(|(o, _)| *o == v) {
                        opts.push((v, set.raw[i].clone()));
                    }
                }
                opts.push((None, String::new()));
                VmapOutcome::Maybe(opts, reason)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::matching::PktState;
    use crate::trace::packet::Packet;

    #[test]
    fn parses_and_evaluates() {
        let v = VmapSpec::parse(
            "iifname vmap { \"cali1\" : jump cali-fw-cali1, \"cali2\" : goto x, \"eth*\" : drop }",
        );
        let mut p = Packet::new("10.0.0.1".parse().unwrap(), "10.0.0.2".parse().unwrap());
        p.iif = Some("cali2".into());
        let st = PktState::from_packet(&p);
        let sets = HashMap::new();
        let mk = |iif: &'static str| Ctx {
            pkt: &p,
            st: &st,
            iif,
            oif: "",
            sets: &sets,
            before_conntrack: false,
        };
        assert_eq!(
            v.eval(&mk("cali2")),
            VmapOutcome::Hit(Verdict::Goto("x".into()), "\"cali2\" : goto x".into())
        );
        assert!(matches!(
            v.eval(&mk("eth7")),
            VmapOutcome::Hit(Verdict::Drop, _)
        ));
        assert_eq!(v.eval(&mk("lo")), VmapOutcome::Miss);
        // A number generator whose every value has an element has no "no element" course.
        let ng = VmapSpec::parse("numgen random mod 3 vmap { 0 : jump a, 1 : jump b, 2 : jump c }");
        match ng.eval(&mk("lo")) {
            VmapOutcome::Maybe(opts, _) => {
                assert_eq!(opts.len(), 3, "{opts:?}");
                assert!(opts.iter().all(|(v, _)| v.is_some()));
            }
            other => panic!("{other:?}"),
        }
        let partial = VmapSpec::parse("numgen inc mod 3 offset 1 vmap { 1 : accept, 2 : drop }");
        match partial.eval(&mk("lo")) {
            VmapOutcome::Maybe(opts, _) => assert!(opts.iter().any(|(v, _)| v.is_none())),
            other => panic!("{other:?}"),
        }
        assert_eq!(parse_verdict("bogus"), None);
        let named = VmapSpec::parse("ip saddr . tcp dport vmap @m");
        assert!(matches!(named.eval(&mk("lo")), VmapOutcome::Maybe(..)));
        let mut sets2 = HashMap::new();
        sets2.insert(
            "m".to_string(),
            ParsedSet::parse(["10.0.0.0/8 . 22 : accept"]),
        );
        p.proto = Some(Protocol::TCP);
        p.dport = Some(22);
        let st2 = PktState::from_packet(&p);
        let c = Ctx {
            pkt: &p,
            st: &st2,
            iif: "",
            oif: "",
            sets: &sets2,
            before_conntrack: false,
        };
        assert!(matches!(
            named.eval(&c),
            VmapOutcome::Hit(Verdict::Accept, _)
        ));
        assert_eq!(parse_verdict("jump foo"), Some(Verdict::Jump("foo".into())));
    }
}

#[cfg(test)]
mod ct_state_tests {
    use super::*;
    use crate::trace::matching::PktState;
    use crate::trace::packet::Packet;

    #[test]
    fn ct_state_vmap_follows_the_query() {
        let spec = VmapSpec::parse(
            "ct state vmap { established : accept, invalid : drop, new : continue }",
        );
        let mut p = Packet::new("10.0.0.1".parse().unwrap(), "10.0.0.2".parse().unwrap());
        let sets = HashMap::new();
        let eval = |p: &Packet| {
            let st = PktState::from_packet(p);
            let ctx = Ctx {
                pkt: p,
                st: &st,
                iif: "",
                oif: "",
                sets: &sets,
                before_conntrack: false,
            };
            spec.eval(&ctx)
        };
        p.ct_state = CtStateSet(CtStateSet::INVALID);
        assert!(matches!(eval(&p), VmapOutcome::Hit(Verdict::Drop, _)));
        p.ct_state = CtStateSet(CtStateSet::ESTABLISHED);
        assert!(matches!(eval(&p), VmapOutcome::Hit(Verdict::Accept, _)));
        p.ct_state = CtStateSet(CtStateSet::RELATED);
        assert!(matches!(eval(&p), VmapOutcome::Miss));
    }
}
