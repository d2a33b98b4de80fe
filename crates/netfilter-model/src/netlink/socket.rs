//! The netfilter netlink socket: the one place that sends requests, and only GET requests.

#[cfg(feature = "netlink")]
use std::io;

use crate::error::{Error, Result};

/// `NFNL_SUBSYS_NFTABLES`: the nf_tables subsystem of nfnetlink.
pub const NFNL_SUBSYS_NFTABLES: u16 = 10;
/// `NFT_MSG_GETTABLE`.
pub const NFT_MSG_GETTABLE: u16 = 1;
/// `NFT_MSG_GETCHAIN`.
pub const NFT_MSG_GETCHAIN: u16 = 4;
/// `NFT_MSG_GETRULE`.
pub const NFT_MSG_GETRULE: u16 = 7;
/// `NFT_MSG_GETSET`.
pub const NFT_MSG_GETSET: u16 = 10;
/// `NFT_MSG_GETSETELEM`.
pub const NFT_MSG_GETSETELEM: u16 = 13;
/// `NFT_MSG_GETGEN`.
pub const NFT_MSG_GETGEN: u16 = 16;
/// `NFT_MSG_GETOBJ`.
pub const NFT_MSG_GETOBJ: u16 = 19;
/// `NFT_MSG_GETFLOWTABLE`.
pub const NFT_MSG_GETFLOWTABLE: u16 = 23;

/// The only nf_tables message types nfdiff ever sends: reads, none of which change state.
/// (`GETOBJ_RESET` and `GETRULE_RESET` are deliberately absent: they reset counters.)
pub const ALLOWED_GET_TYPES: [u16; 8] = [
    NFT_MSG_GETGEN,
    NFT_MSG_GETTABLE,
    NFT_MSG_GETCHAIN,
    NFT_MSG_GETRULE,
    NFT_MSG_GETSET,
    NFT_MSG_GETSETELEM,
    NFT_MSG_GETOBJ,
    NFT_MSG_GETFLOWTABLE,
];

/// Length of `struct nlmsghdr`.
const NLMSG_HDRLEN: usize = 16;

/// Checks that `msg` is exactly one well-formed nf_tables GET request; refuses anything else
/// (any other subsystem, any NEW/DEL/reset type, batches, trailing bytes).
pub fn check_get_request(msg: &[u8]) -> Result<()> {
    let refuse = |reason: String| Error::Unsupported {
        what: "netlink request".to_string(),
        reason: format!("refused to send: {reason}; nfdiff only sends nf_tables GET requests"),
    };
    if msg.len() < NLMSG_HDRLEN {
        return Err(refuse(format!(
            "message of {} bytes is too short",
            msg.len()
        )));
    }
    let len = u32::from_ne_bytes([msg[0], msg[1], msg[2], msg[3]]) as usize;
    if len != msg.len() {
        return Err(refuse(format!(
            "header length {len} does not equal the message length {}",
            msg.len()
        )));
    }
    let ty = u16::from_ne_bytes([msg[4], msg[5]]);
    let subsys = ty >> 8;
    let op = ty & 0xff;
    if subsys != NFNL_SUBSYS_NFTABLES {
        return Err(refuse(format!(
            "message type 0x{ty:04x} is not an nf_tables message"
        )));
    }
    if !ALLOWED_GET_TYPES.contains(&op) {
        return Err(refuse(format!(
            "nf_tables message type {op} is not a GET request"
        )));
    }
    Ok(())
}

/// Seconds a receive may wait for the kernel before the dump is retried.
#[cfg(feature = "netlink")]
const RECV_TIMEOUT_SECS: libc::time_t = 10;

/// A netfilter netlink socket (libmnl), closed on drop.
#[cfg(feature = "netlink")]
pub struct NlSocket {
    sock: *mut mnl_sys::mnl_socket,
    portid: u32,
}

#[cfg(feature = "netlink")]
impl NlSocket {
    /// Opens and binds a `NETLINK_NETFILTER` socket.
    pub fn open() -> Result<NlSocket> {
        const NETLINK_NETFILTER: i32 = 12;
        // SAFETY: plain FFI calls; the pointer is checked before use and owned by the result.
        unsafe {
            let sock = mnl_sys::mnl_socket_open(NETLINK_NETFILTER);
            if sock.is_null() {
                return Err(netlink_error("opening a netfilter netlink socket"));
            }
            if mnl_sys::mnl_socket_bind(sock, 0, mnl_sys::MNL_SOCKET_AUTOPID) < 0 {
                let e = netlink_error("binding the netfilter netlink socket");
                mnl_sys::mnl_socket_close(sock);
                return Err(e);
            }
            // A reply that never comes (lost under memory pressure) must not hang nfdiff:
            // after RECV_TIMEOUT_SECS the receive fails with EAGAIN and the dump starts over.
            let tv = libc::timeval {
                tv_sec: RECV_TIMEOUT_SECS,
                tv_usec: 0,
            };
            libc::setsockopt(
                mnl_sys::mnl_socket_get_fd(sock),
                libc::SOL_SOCKET,
                libc::SO_RCVTIMEO,
                (&tv as *const libc::timeval).cast(),
                std::mem::size_of::<libc::timeval>() as libc::socklen_t,
            );
            let portid = mnl_sys::mnl_socket_get_portid(sock);
            Ok(NlSocket { sock, portid })
        }
    }

    /// The socket's netlink port id.
    pub fn portid(&self) -> u32 {
        self.portid
    }

    /// Sends one request. This is the only function in nfdiff that sends anything to the
    /// kernel, and it refuses every message that is not an nf_tables GET request.
    pub fn send_get(&self, msg: &[u8]) -> Result<()> {
        check_get_request(msg)?;
        // SAFETY: `msg` is a valid buffer of `msg.len()` bytes for the duration of the call.
        let n = unsafe { mnl_sys::mnl_socket_sendto(self.sock, msg.as_ptr().cast(), msg.len()) };
        if n < 0 {
            return Err(netlink_error("sending a netlink request"));
        }
        Ok(())
    }

    /// Receives one datagram into `buf`, returning its length.
    pub fn recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        // SAFETY: `buf` is a valid writable buffer of `buf.len()` bytes.
        let n =
            unsafe { mnl_sys::mnl_socket_recvfrom(self.sock, buf.as_mut_ptr().cast(), buf.len()) };
        if n < 0 {
            Err(io::Error::last_os_error())
        } else {
            Ok(n as usize)
        }
    }
}

#[cfg(feature = "netlink")]
impl Drop for NlSocket {
    fn drop(&mut self) {
        // SAFETY: the socket was opened by `open` and is closed exactly once.
        unsafe {
            mnl_sys::mnl_socket_close(self.sock);
        }
    }
}

/// Turns the last OS error into the library error, naming the missing privilege on EPERM.
#[cfg(feature = "netlink")]
pub(crate) fn netlink_error(what: &str) -> Error {
    os_error(what, io::Error::last_os_error())
}

/// Maps an OS error of a netlink operation; EPERM/EACCES become a clear privilege message.
#[cfg(feature = "netlink")]
pub(crate) fn os_error(what: &str, error: io::Error) -> Error {
    match error.raw_os_error() {
        Some(code) if code == libc::EPERM || code == libc::EACCES => Error::Unsupported {
            what: "live:nft".to_string(),
            reason: "reading nf_tables needs CAP_NET_ADMIN (run as root)".to_string(),
        },
        _ => Error::Netlink {
            what: what.to_string(),
            error,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(ty: u16) -> Vec<u8> {
        let mut m = Vec::new();
        m.extend_from_slice(&20u32.to_ne_bytes());
        m.extend_from_slice(&ty.to_ne_bytes());
        m.extend_from_slice(&(1u16 | 0x300).to_ne_bytes()); // NLM_F_REQUEST | NLM_F_DUMP
        m.extend_from_slice(&1u32.to_ne_bytes());
        m.extend_from_slice(&0u32.to_ne_bytes());
        m.extend_from_slice(&[2, 0, 0, 0]); // nfgenmsg
        m
    }

    #[test]
    fn accepts_every_get_type() {
        for op in ALLOWED_GET_TYPES {
            assert!(check_get_request(&header((NFNL_SUBSYS_NFTABLES << 8) | op)).is_ok());
        }
    }

    #[test]
    fn refuses_every_other_type() {
        for op in 0u16..=0xff {
            if ALLOWED_GET_TYPES.contains(&op) {
                continue;
            }
            let e = check_get_request(&header((NFNL_SUBSYS_NFTABLES << 8) | op))
                .expect_err("non-GET type must be refused");
            assert!(e.to_string().contains("not a GET request"), "{e}");
        }
        // Batch begin/end (NFNL_MSG_BATCH_BEGIN = 0x10, subsystem 0) and other subsystems.
        assert!(check_get_request(&header(0x10)).is_err());
        assert!(check_get_request(&header((1 << 8) | NFT_MSG_GETTABLE)).is_err());
        // Truncated or padded messages.
        assert!(check_get_request(&header(NFT_MSG_GETGEN)[..10]).is_err());
        let mut long = header((NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_GETGEN);
        long.push(0);
        assert!(check_get_request(&long).is_err());
    }

    #[cfg(feature = "netlink")]
    #[test]
    fn socket_refuses_new_table_before_sending() {
        // Opening a netlink socket needs no privilege; the refusal happens before sendto.
        let Ok(sock) = NlSocket::open() else {
            eprintln!("skipping: cannot open a netfilter netlink socket here");
            return;
        };
        const NFT_MSG_NEWTABLE: u16 = 0;
        const NFT_MSG_DELTABLE: u16 = 2;
        for op in [
            NFT_MSG_NEWTABLE,
            NFT_MSG_DELTABLE,
            6, /* NEWRULE */
            8, /* DELRULE */
        ] {
            let e = sock
                .send_get(&header((NFNL_SUBSYS_NFTABLES << 8) | op))
                .expect_err("must refuse");
            assert!(e.to_string().contains("refused to send"), "{e}");
        }
    }
}
