//! The addresses of the calling process's network namespace (`getifaddrs(3)`), as the node
//! facts the tracer decides address types and paths with.

use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::trace::LocalAddrs;

fn prefix_of(mask: IpAddr) -> u8 {
    let ones = match mask {
        IpAddr::V4(m) => u32::from(m).count_ones(),
        IpAddr::V6(m) => u128::from(m).count_ones(),
    };
    u8::try_from(ones).unwrap_or(0)
}

/// # Safety
/// `sa` is NULL or points to a `sockaddr` of its family's full size, as getifaddrs gives.
unsafe fn sockaddr_ip(sa: *const libc::sockaddr) -> Option<IpAddr> {
    if sa.is_null() {
        return None;
    }
    // SAFETY: checked non-null; the family field is valid for every sockaddr.
    match i32::from(unsafe { (*sa).sa_family }) {
        libc::AF_INET => {
            // SAFETY: an AF_INET sockaddr is a sockaddr_in.
            let s = unsafe { &*(sa.cast::<libc::sockaddr_in>()) };
            Some(IpAddr::V4(Ipv4Addr::from(u32::from_be(s.sin_addr.s_addr))))
        }
        libc::AF_INET6 => {
            // SAFETY: an AF_INET6 sockaddr is a sockaddr_in6.
            let s = unsafe { &*(sa.cast::<libc::sockaddr_in6>()) };
            Some(IpAddr::V6(Ipv6Addr::from(s.sin6_addr.s6_addr)))
        }
        _ => None,
    }
}

/// The addresses of the interfaces that are up in this process's network namespace, as
/// `(address, prefix length, on the loopback device)`.
pub fn interface_addrs() -> io::Result<Vec<(IpAddr, u8, bool)>> {
    let mut list: *mut libc::ifaddrs = std::ptr::null_mut();
    // SAFETY: getifaddrs writes a list head into `list` or fails with errno.
    if unsafe { libc::getifaddrs(&mut list) } != 0 {
        return Err(io::Error::last_os_error());
    }
    let mut out = Vec::new();
    let mut cur = list;
    while !cur.is_null() {
        // SAFETY: `cur` is an element of the list getifaddrs returned, not yet freed.
        let ifa = unsafe { &*cur };
        cur = ifa.ifa_next;
        let flags = ifa.ifa_flags;
        if flags & libc::IFF_UP as u32 == 0 {
            continue;
        }
        // SAFETY: the address and netmask fields are NULL or valid sockaddrs of the list.
        let (addr, mask) = unsafe { (sockaddr_ip(ifa.ifa_addr), sockaddr_ip(ifa.ifa_netmask)) };
        let Some(addr) = addr else { continue };
        let prefix = mask.map_or(if addr.is_ipv6() { 128 } else { 32 }, prefix_of);
        out.push((addr, prefix, flags & libc::IFF_LOOPBACK as u32 != 0));
    }
    // SAFETY: `list` came from getifaddrs and is freed once.
    unsafe { libc::freeifaddrs(list) };
    out.sort();
    Ok(out)
}

/// The node facts of this process's network namespace: its local and broadcast addresses.
pub fn local_addrs() -> io::Result<LocalAddrs> {
    Ok(LocalAddrs::from_interface_addrs(&interface_addrs()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_this_namespace() {
        // Whatever the namespace, reading works; an address listed is local.
        let addrs = interface_addrs().unwrap();
        let facts = local_addrs().unwrap();
        for (a, _, _) in &addrs {
            assert!(facts.is_local(*a), "{a}");
        }
        assert_eq!(prefix_of("255.255.255.0".parse().unwrap()), 24);
    }
}
