//! ipset index-to-name lookups (getsockopt `SO_IP_SET`), for xt `set` matches and `SET`
//! targets.

use std::collections::HashMap;

use super::expr::Expr;
use super::raw::RawRuleset;

const SO_IP_SET: libc::c_int = 83;
const IP_SET_OP_VERSION: u32 = 0x100;
const IP_SET_OP_GET_BYINDEX: u32 = 0x7;

#[repr(C)]
struct ReqVersion {
    op: u32,
    version: u32,
}

#[repr(C)]
struct ReqGetSet {
    op: u32,
    version: u32,
    name: [u8; 32],
}

/// Every ipset index referenced by an xt `set` match or `SET` target (add, del and map
/// sets, 4 bytes apart) of the dump.
fn referenced(raw: &RawRuleset) -> Vec<u16> {
    let index = |info: &[u8], at: usize| {
        info.get(at..at + 2)
            .map(|b| u16::from_ne_bytes([b[0], b[1]]))
            .filter(|i| *i != u16::MAX)
    };
    let mut v: Vec<u16> = raw
        .rules
        .iter()
        .flat_map(|r| &r.exprs)
        .flat_map(|e| match e {
            Expr::Match { name, info, .. } if name == "set" => vec![index(info, 0)],
            Expr::Target { name, info, .. } if name == "SET" => {
                vec![index(info, 0), index(info, 4), index(info, 8)]
            }
            _ => Vec::new(),
        })
        .flatten()
        .collect();
    v.sort_unstable();
    v.dedup();
    v
}

/// Resolves the ipset names the dump's xt `set` matches refer to. Sets that cannot be
/// resolved (no ipset module, no privilege) are left out; the match then shows `#index`.
pub(crate) fn ipset_names(raw: &RawRuleset) -> HashMap<u16, String> {
    let mut out = HashMap::new();
    let wanted = referenced(raw);
    if wanted.is_empty() {
        return out;
    }
    // SAFETY: plain socket/getsockopt calls on buffers of the declared sizes; fd closed below.
    unsafe {
        let fd = libc::socket(libc::AF_INET, libc::SOCK_RAW, libc::IPPROTO_RAW);
        if fd < 0 {
            return out;
        }
        let mut ver = ReqVersion {
            op: IP_SET_OP_VERSION,
            version: 0,
        };
        let mut len = std::mem::size_of::<ReqVersion>() as libc::socklen_t;
        if libc::getsockopt(
            fd,
            libc::SOL_IP,
            SO_IP_SET,
            (&mut ver as *mut ReqVersion).cast(),
            &mut len,
        ) == 0
        {
            for idx in wanted {
                let mut req = ReqGetSet {
                    op: IP_SET_OP_GET_BYINDEX,
                    version: ver.version,
                    name: [0; 32],
                };
                req.name[..2].copy_from_slice(&idx.to_ne_bytes());
                let mut len = std::mem::size_of::<ReqGetSet>() as libc::socklen_t;
                if libc::getsockopt(
                    fd,
                    libc::SOL_IP,
                    SO_IP_SET,
                    (&mut req as *mut ReqGetSet).cast(),
                    &mut len,
                ) == 0
                {
                    let end = req.name.iter().position(|b| *b == 0).unwrap_or(32);
                    if end > 0 {
                        out.insert(idx, String::from_utf8_lossy(&req.name[..end]).into_owned());
                    }
                }
            }
        }
        libc::close(fd);
    }
    out
}
