//! The interface list comes from the caller's network namespace, not from sysfs.

use netfilter_model::interfaces::interface_names;

use super::netns::{assert_fresh_namespace, assert_inner_passes, in_child, sh};

#[test]
fn interfaces_are_those_of_the_namespace_without_a_sysfs_remount() {
    // `unshare -n` alone: /sys/class/net still shows the namespace that mounted sysfs.
    assert_inner_passes("all::interfaces::inner_interfaces", &[], &[]);
}

#[test]
#[ignore = "inner test: runs only inside the namespace its outer test creates"]
fn inner_interfaces() {
    if !in_child() {
        return;
    }
    assert_fresh_namespace();
    sh("ip link add cali9f8e7d6c5b4 type veth peer name eth9");
    assert_eq!(
        interface_names().unwrap(),
        ["cali9f8e7d6c5b4", "eth9", "lo"],
        "the interfaces created in this namespace, and no others"
    );
}
