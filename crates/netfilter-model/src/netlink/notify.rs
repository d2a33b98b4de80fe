//! nf_tables change notifications: a receive-only subscription to `NFNLGRP_NFTABLES`.
//!
//! The kernel multicasts every committed nf_tables change (new/deleted table, chain, rule, set,
//! element, object) to this group, each transaction ending with a `NEWGEN` message carrying the
//! new generation id. The socket here joins the group and only ever receives: it sends nothing,
//! so it needs no request filter. It uses plain `libc` calls (no libnftnl or libmnl), so it is
//! built with or without feature `netlink`. Joining the group needs CAP_NET_ADMIN.

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::time::{Duration, Instant};

use crate::error::{Error, Result};

/// `NFNLGRP_NFTABLES`: the nfnetlink multicast group of nf_tables changes.
pub const NFNLGRP_NFTABLES: u32 = 7;
/// `NFT_MSG_NEWGEN`: the message that closes every committed transaction.
const NFT_MSG_NEWGEN: u16 = 15;
/// `NFTA_GEN_ID`: the generation id attribute of `NEWGEN`.
const NFTA_GEN_ID: u16 = 1;
const NETLINK_NETFILTER: i32 = 12;
const NLMSG_HDRLEN: usize = 16;
/// `struct nfgenmsg`.
const NFGENMSG_LEN: usize = 4;

/// What one [`NftablesEvents::wait`] saw.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ChangeBatch {
    /// nf_tables notification messages received (0: the wait timed out).
    pub messages: usize,
    /// Committed transactions seen (`NEWGEN` messages).
    pub transactions: usize,
    /// The last generation id announced, if any.
    pub generation: Option<u32>,
    /// The socket's receive buffer overflowed (`ENOBUFS`): notifications were lost, so the
    /// ruleset must be re-read even if no message arrived.
    pub overflowed: bool,
}

impl ChangeBatch {
    /// Whether anything (a message, or lost messages) says nf_tables changed.
    pub fn changed(&self) -> bool {
        self.messages > 0 || self.overflowed
    }
}

/// A receive-only subscription to nf_tables change notifications, closed on drop.
#[derive(Debug)]
pub struct NftablesEvents {
    fd: OwnedFd,
    buf: Vec<u8>,
}

fn subscribe_error(what: &str, error: io::Error) -> Error {
    match error.raw_os_error() {
        Some(code) if code == libc::EPERM || code == libc::EACCES => Error::Unsupported {
            what: "nf_tables notifications".to_string(),
            reason: "joining NFNLGRP_NFTABLES needs CAP_NET_ADMIN (run as root)".to_string(),
        },
        _ => Error::Netlink {
            what: what.to_string(),
            error,
        },
    }
}

impl NftablesEvents {
    /// Opens a `NETLINK_NETFILTER` socket and joins `NFNLGRP_NFTABLES`.
    pub fn subscribe() -> Result<NftablesEvents> {
        // SAFETY: plain syscalls; the descriptor is owned by `OwnedFd` right after the check.
        let fd = unsafe {
            let raw = libc::socket(
                libc::AF_NETLINK,
                libc::SOCK_RAW | libc::SOCK_CLOEXEC,
                NETLINK_NETFILTER,
            );
            if raw < 0 {
                return Err(subscribe_error(
                    "opening a netfilter netlink socket",
                    io::Error::last_os_error(),
                ));
            }
            OwnedFd::from_raw_fd(raw)
        };
        // SAFETY: `addr` is a zeroed, correctly sized sockaddr_nl; `group` outlives the call.
        unsafe {
            let mut addr: libc::sockaddr_nl = std::mem::zeroed();
            addr.nl_family = libc::AF_NETLINK as libc::sa_family_t;
            if libc::bind(
                fd.as_raw_fd(),
                (&addr as *const libc::sockaddr_nl).cast(),
                std::mem::size_of::<libc::sockaddr_nl>() as libc::socklen_t,
            ) < 0
            {
                return Err(subscribe_error(
                    "binding the netfilter netlink socket",
                    io::Error::last_os_error(),
                ));
            }
            let group = NFNLGRP_NFTABLES;
            if libc::setsockopt(
                fd.as_raw_fd(),
                libc::SOL_NETLINK,
                libc::NETLINK_ADD_MEMBERSHIP,
                (&group as *const u32).cast(),
                std::mem::size_of::<u32>() as libc::socklen_t,
            ) < 0
            {
                return Err(subscribe_error(
                    "joining NFNLGRP_NFTABLES",
                    io::Error::last_os_error(),
                ));
            }
        }
        Ok(NftablesEvents {
            fd,
            buf: vec![0; 64 * 1024],
        })
    }

    /// Waits up to `timeout` (`None`: forever) for notifications, then drains every message
    /// already queued (without waiting again) and says what arrived.
    pub fn wait(&mut self, timeout: Option<Duration>) -> Result<ChangeBatch> {
        let mut batch = ChangeBatch::default();
        let deadline = timeout.map(|t| Instant::now() + t);
        loop {
            let left = deadline.map(|d| d.saturating_duration_since(Instant::now()));
            if !self.poll(left)? {
                return Ok(batch);
            }
            if self.drain(&mut batch)? {
                return Ok(batch);
            }
        }
    }

    /// Waits until the socket is readable or `timeout` passes; true when readable.
    fn poll(&self, timeout: Option<Duration>) -> Result<bool> {
        let ms = match timeout {
            None => -1,
            Some(t) => i32::try_from(t.as_millis()).unwrap_or(i32::MAX),
        };
        let mut pfd = libc::pollfd {
            fd: self.fd.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        loop {
            // SAFETY: one valid pollfd for the duration of the call.
            let n = unsafe { libc::poll(&mut pfd, 1, ms) };
            if n >= 0 {
                return Ok(n > 0);
            }
            let e = io::Error::last_os_error();
            if e.kind() != io::ErrorKind::Interrupted {
                return Err(subscribe_error("waiting for nf_tables notifications", e));
            }
        }
    }

    /// Receives every queued datagram without blocking; true when something was seen.
    fn drain(&mut self, batch: &mut ChangeBatch) -> Result<bool> {
        let mut seen = false;
        loop {
            // SAFETY: `buf` is a valid writable buffer of its length.
            let n = unsafe {
                libc::recv(
                    self.fd.as_raw_fd(),
                    self.buf.as_mut_ptr().cast(),
                    self.buf.len(),
                    libc::MSG_DONTWAIT,
                )
            };
            if n < 0 {
                let e = io::Error::last_os_error();
                match e.raw_os_error() {
                    Some(libc::EAGAIN) => return Ok(seen),
                    Some(libc::EINTR) => continue,
                    Some(libc::ENOBUFS) => {
                        batch.overflowed = true;
                        seen = true;
                        continue;
                    }
                    _ => return Err(subscribe_error("receiving nf_tables notifications", e)),
                }
            }
            seen = true;
            count_messages(&self.buf[..n as usize], batch);
        }
    }
}

/// Counts the nf_tables messages of one datagram into `batch`, noting `NEWGEN` generation ids.
/// Malformed tails are ignored (the kernel never sends them; the count is only a hint).
fn count_messages(mut data: &[u8], batch: &mut ChangeBatch) {
    while data.len() >= NLMSG_HDRLEN {
        let len = u32::from_ne_bytes([data[0], data[1], data[2], data[3]]) as usize;
        if len < NLMSG_HDRLEN || len > data.len() {
            return;
        }
        let ty = u16::from_ne_bytes([data[4], data[5]]);
        if ty >> 8 == super::socket::NFNL_SUBSYS_NFTABLES {
            batch.messages += 1;
            if ty & 0xff == NFT_MSG_NEWGEN {
                batch.transactions += 1;
                if let Some(id) = generation_id(&data[NLMSG_HDRLEN..len]) {
                    batch.generation = Some(id);
                }
            }
        }
        let aligned = (len + 3) & !3;
        data = &data[aligned.min(data.len())..];
    }
}

/// `NFTA_GEN_ID` (big-endian u32) of a `NEWGEN` payload.
fn generation_id(payload: &[u8]) -> Option<u32> {
    let mut attrs = payload.get(NFGENMSG_LEN..)?;
    while attrs.len() >= 4 {
        let len = u16::from_ne_bytes([attrs[0], attrs[1]]) as usize;
        let ty = u16::from_ne_bytes([attrs[2], attrs[3]]) & 0x3fff;
        if len < 4 || len > attrs.len() {
            return None;
        }
        if ty == NFTA_GEN_ID && len >= 8 {
            return Some(u32::from_be_bytes([attrs[4], attrs[5], attrs[6], attrs[7]]));
        }
        attrs = &attrs[((len + 3) & !3).min(attrs.len())..];
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(op: u16, payload: &[u8]) -> Vec<u8> {
        let len = NLMSG_HDRLEN + payload.len();
        let mut m = Vec::new();
        m.extend_from_slice(&(len as u32).to_ne_bytes());
        m.extend_from_slice(&((10u16 << 8) | op).to_ne_bytes());
        m.extend_from_slice(&[0; 10]); // flags, seq, pid
        m.extend_from_slice(payload);
        while m.len() % 4 != 0 {
            m.push(0);
        }
        m
    }

    #[test]
    fn counts_messages_and_reads_the_generation() {
        let mut newgen = vec![2, 0, 0, 0]; // nfgenmsg
        newgen.extend_from_slice(&8u16.to_ne_bytes());
        newgen.extend_from_slice(&NFTA_GEN_ID.to_ne_bytes());
        newgen.extend_from_slice(&42u32.to_be_bytes());
        let mut data = msg(6, &[2, 0, 0, 0]); // NEWRULE
        data.extend(msg(NFT_MSG_NEWGEN, &newgen));
        let mut batch = ChangeBatch::default();
        count_messages(&data, &mut batch);
        assert_eq!(batch.messages, 2);
        assert_eq!(batch.transactions, 1);
        assert_eq!(batch.generation, Some(42));
        assert!(batch.changed());
    }

    #[test]
    fn malformed_datagrams_count_nothing() {
        let mut batch = ChangeBatch::default();
        count_messages(&[0xff; 10], &mut batch);
        let mut bad = msg(6, &[]);
        bad[0] = 200; // length past the datagram
        count_messages(&bad, &mut batch);
        assert_eq!(batch, ChangeBatch::default());
        assert!(!batch.changed());
        assert_eq!(generation_id(&[2, 0, 0, 0, 3, 0]), None);
    }
}
