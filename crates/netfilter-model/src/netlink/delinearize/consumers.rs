//! Map data types from what the rule does with the data, for maps whose data type nothing
//! gives (nft's debug text prints an anonymous map's elements without it).

use super::*;

/// `inet_service`, `ipv4_addr`, `ipv6_addr`, `iface_index` and nft's concatenation shift.
const SERVICE: u32 = 13;
const IPV4: u32 = 7;
const IPV6: u32 = 8;
const IFACE_INDEX: u32 = 20;
const TYPE_BITS: u32 = 6;

/// The data type of each map looked up into a register (`lookup ... dreg N`) whose data
/// type is unknown, from the first expression after it that reads the register: a NAT
/// address (with its port: a concatenation), a port, a device; `None` entries are left out.
pub(super) fn implied_data_types(exprs: &[Expr], sets: &SetLookupContext) -> HashMap<String, u32> {
    let mut out = HashMap::new();
    for (i, e) in exprs.iter().enumerate() {
        let Expr::Lookup {
            set, dreg: Some(d), ..
        } = e
        else {
            continue;
        };
        if *d == 0 || sets.sets.get(set).is_some_and(|s| s.data_type.is_some()) {
            continue;
        }
        let Some(dr) = reg32(*d) else {
            continue;
        };
        let reads = |r: Option<u32>| r.and_then(reg32) == Some(dr);
        let t = exprs[i + 1..].iter().find_map(|x| match x {
            Expr::Nat {
                family,
                reg_addr_min,
                reg_proto_min,
                ..
            } if reads(*reg_addr_min) => {
                let (addr, words) = if *family == 10 { (IPV6, 4) } else { (IPV4, 1) };
                let port_follows = reg_proto_min.and_then(reg32) == Some(dr.saturating_add(words));
                Some(if port_follows {
                    (addr << TYPE_BITS) | SERVICE
                } else {
                    addr
                })
            }
            Expr::Nat { reg_proto_min, .. }
            | Expr::Masq { reg_proto_min, .. }
            | Expr::Redir { reg_proto_min, .. }
                if reads(*reg_proto_min) =>
            {
                Some(SERVICE)
            }
            Expr::Unknown { name, raw } if name == "dup" || name == "fwd" => {
                let w: Vec<&str> = raw.split_whitespace().collect();
                let reg_of = |k: &str| {
                    w.iter()
                        .position(|x| *x == k)
                        .and_then(|p| w.get(p + 1))
                        .and_then(|v| v.parse::<u32>().ok())
                };
                if reads(reg_of("sreg_dev")) {
                    Some(IFACE_INDEX)
                } else if reads(reg_of("sreg_addr")) {
                    // The address family: `fwd ... nfproto 10`, else by the table (the
                    // caller's family decides when it is ip6).
                    Some(if reg_of("nfproto") == Some(10) {
                        IPV6
                    } else {
                        IPV4
                    })
                } else {
                    None
                }
            }
            _ => None,
        });
        if let Some(t) = t {
            out.insert(set.clone(), t);
        }
    }
    out
}
