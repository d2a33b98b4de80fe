//! The network interfaces of the calling process's network namespace, as the kernel lists them.
//!
//! `/sys/class/net` is not the answer inside `unshare -n` or `ip netns exec` without a fresh
//! sysfs mount: sysfs shows the interfaces of the namespace that mounted it, so a doctor run
//! in a pod's or a test's namespace would see the host's interfaces. `if_nameindex(3)` asks
//! the kernel (over rtnetlink) for those of the caller's own namespace.

use std::ffi::CStr;
use std::io;

/// Names of the interfaces in this process's network namespace, sorted.
pub fn interface_names() -> io::Result<Vec<String>> {
    // SAFETY: if_nameindex has no preconditions; it returns NULL (with errno set) or an
    // array ended by an entry with index 0 and a NULL name, which we free below.
    let list = unsafe { libc::if_nameindex() };
    if list.is_null() {
        return Err(io::Error::last_os_error());
    }
    let mut names = Vec::new();
    let mut i = 0;
    loop {
        // SAFETY: `list` is a valid array up to and including its terminating entry, and
        // we stop at that entry.
        let entry = unsafe { &*list.add(i) };
        if entry.if_index == 0 || entry.if_name.is_null() {
            break;
        }
        // SAFETY: the name is a NUL-terminated string owned by `list`, read before it is freed.
        let name = unsafe { CStr::from_ptr(entry.if_name) };
        names.push(name.to_string_lossy().into_owned());
        i += 1;
    }
    // SAFETY: `list` came from if_nameindex and is freed once.
    unsafe { libc::if_freenameindex(list) };
    names.sort();
    Ok(names)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_namespace_has_loopback() {
        let names = interface_names().unwrap();
        assert!(names.iter().any(|n| n == "lo"), "{names:?}");
        assert!(names.windows(2).all(|w| w[0] <= w[1]), "{names:?}");
    }
}
