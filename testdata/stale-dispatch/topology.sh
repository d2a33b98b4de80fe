# Sourced by the doctor's stale-dispatch CLI test (crates/nfdiff-cli/tests/cli/doctor_stale.rs)
# INSIDE `unshare -n -m`: it turns the current network namespace into a Calico-shaped node.
# Never source it on a host; it changes the namespace it runs in.
#
#   pod1   --veth-- $SD_IF1 (node)   the old pod (every copy of the rules lists it)
#   pod2   --veth-- $SD_IF2 (node)   the new pod
#   remote --veth-- eth1 (node)      a host beyond the node's default route
# IPv4 (sd_topology 4): pods 10.244.1.5/32 and 10.244.1.9/32 behind proxy ARP and /32 routes,
# gateway 169.254.1.1 as Calico sets them up; eth1 192.168.50.1/24, remote 192.168.50.2/24.
# IPv6 (sd_topology 6): pods fd00:10:244:1::c/128 and ::d/128 behind /128 routes, gateway
# fe80::1 on the node side of each veth; eth1 fd00:50::1/64, remote fd00:50::2/64.
export LC_ALL=C
export PATH=/usr/sbin:/usr/bin:/sbin:/bin

sd_topology() {
    local fam=$1 ns
    mkdir -p /run/netns
    mount -t tmpfs tmpfs /run/netns
    mount -t sysfs sysfs /sys
    ip link set lo up
    for ns in pod1 pod2 remote; do
        ip netns add $ns
        ip -n $ns link set lo up
    done
    if [ "$fam" = 6 ]; then
        # no duplicate address detection: addresses (also link-local) are usable at once
        for ns in "" pod1 pod2 remote; do
            ${ns:+ip netns exec $ns} sh -c 'echo 0 > /proc/sys/net/ipv6/conf/all/accept_dad; echo 0 > /proc/sys/net/ipv6/conf/default/accept_dad'
        done
    fi
    ip link add "$SD_IF1" type veth peer name eth0 netns pod1
    ip link add "$SD_IF2" type veth peer name eth0 netns pod2
    ip link add eth1 type veth peer name eth0 netns remote
    local spec ifc addr
    if [ "$fam" = 4 ]; then
        echo 1 > /proc/sys/net/ipv4/ip_forward
        for f in all default; do echo 0 > /proc/sys/net/ipv4/conf/$f/rp_filter; done
        for spec in "pod1 $SD_IF1 10.244.1.5" "pod2 $SD_IF2 10.244.1.9"; do
            set -- $spec
            ns=$1 ifc=$2 addr=$3
            ip link set "$ifc" up
            echo 1 > /proc/sys/net/ipv4/conf/$ifc/proxy_arp
            echo 0 > /proc/sys/net/ipv4/neigh/$ifc/proxy_delay
            ip route add "$addr/32" dev "$ifc" scope link
            ip -n $ns addr add "$addr/32" dev eth0
            ip -n $ns link set eth0 up
            ip -n $ns route add 169.254.1.1 dev eth0 scope link
            ip -n $ns route add default via 169.254.1.1 dev eth0
        done
        ip addr add 192.168.50.1/24 dev eth1
        ip link set eth1 up
        ip -n remote addr add 192.168.50.2/24 dev eth0
        ip -n remote link set eth0 up
        ip -n remote route add 10.244.0.0/16 via 192.168.50.1
        ip route add default via 192.168.50.2 dev eth1
    else
        echo 1 > /proc/sys/net/ipv6/conf/all/forwarding
        for spec in "pod1 $SD_IF1 fd00:10:244:1::c" "pod2 $SD_IF2 fd00:10:244:1::d"; do
            set -- $spec
            ns=$1 ifc=$2 addr=$3
            ip link set "$ifc" up
            ip -6 addr add fe80::1/64 dev "$ifc" nodad
            ip -6 route add "$addr/128" dev "$ifc"
            ip -n $ns -6 addr add "$addr/128" dev eth0 nodad
            ip -n $ns link set eth0 up
            ip -n $ns -6 route add default via fe80::1 dev eth0
        done
        ip -6 addr add fd00:50::1/64 dev eth1 nodad
        ip link set eth1 up
        ip -n remote -6 addr add fd00:50::2/64 dev eth0 nodad
        ip -n remote link set eth0 up
        ip -n remote -6 route add fd00:10:244::/48 via fd00:50::1
        ip -6 route add default via fd00:50::2 dev eth1
        # static neighbours, so no probe waits behind neighbour discovery
        ip -6 neigh replace fd00:50::2 lladdr "$(sd_mac remote eth0)" dev eth1
        ip -n remote -6 neigh replace fd00:50::1 lladdr "$(sd_mac "" eth1)" dev eth0
        for spec in "pod1 $SD_IF1 fd00:10:244:1::c" "pod2 $SD_IF2 fd00:10:244:1::d"; do
            set -- $spec
            ip -6 neigh replace "$3" lladdr "$(sd_mac "$1" eth0)" dev "$2"
            ip -n "$1" -6 neigh replace fe80::1 lladdr "$(sd_mac "" "$2")" dev eth0 router
        done
    fi
}

# sd_mac NS IF: the MAC address of IF in namespace NS ("" for the node).
sd_mac() {
    ip ${1:+-n "$1"} -br link show dev "$2" | awk '{print $3}'
}


# sd_probe NS PROTO: in NS, count and drop (before anything else sees them) the probe packets:
# PROTO tcp or udp, or icmp/icmpv6 echo requests. Everything else (ARP, NDP) passes.
sd_probe() {
    local m
    case $2 in
        icmp) m="icmp type echo-request" ;;
        icmpv6) m="icmpv6 type echo-request" ;;
        *) m="meta l4proto $2" ;;
    esac
    ip netns exec "$1" nft -f - <<NFT
table inet probe
delete table inet probe
table inet probe {
	chain pre {
		type filter hook prerouting priority -400; policy accept;
		$m counter drop
	}
}
NFT
}

# sd_delivered NS: packets the probe of NS counted.
sd_delivered() {
    ip netns exec "$1" nft list table inet probe | sed -n 's/.*counter packets \([0-9]*\).*/\1/p'
}
