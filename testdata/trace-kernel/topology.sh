# Sourced by the nfdiff kernel trace tests (crates/netfilter-model/tests/all/trace_kernel/)
# INSIDE `unshare -n -m`: it rebuilds the current network namespace into a Calico-shaped node.
# Never source it on a host; it changes the namespace it runs in.
#
#   pod1   --veth-- cali5c4d3e2f1a0 (node)   10.244.1.5/32   (endpoint in every Calico copy)
#   pod2   --veth-- cali9f8e7d6c5b4 (node)   10.244.1.9/32   (the new pod of the incident)
#   pod3   --veth-- cali1a2b3c4d5e6 (node)   10.244.1.12/32  (endpoint with an allow-dns policy)
#   remote --veth-- eth1 (node)              192.168.50.2/24, node side 192.168.50.1/24
# Node: IP forwarding on, IPv6 off everywhere (no neighbour discovery noise in the counters),
# rp_filter off; cali links without addresses, proxy ARP and /32 routes as Calico sets them up.
export LC_ALL=C
export PATH=/usr/sbin:/usr/bin:/sbin:/bin

tk_topology() {
    mkdir -p /run/netns
    mount -t tmpfs tmpfs /run/netns
    for f in all default; do
        echo 1 > /proc/sys/net/ipv6/conf/$f/disable_ipv6
        echo 0 > /proc/sys/net/ipv4/conf/$f/rp_filter
    done
    ip link set lo up
    local ns
    for ns in pod1 pod2 pod3 remote; do
        ip netns add $ns
        ip netns exec $ns sh -c 'echo 1 > /proc/sys/net/ipv6/conf/all/disable_ipv6; echo 1 > /proc/sys/net/ipv6/conf/default/disable_ipv6'
        ip -n $ns link set lo up
    done
    ip link add cali5c4d3e2f1a0 type veth peer name eth0 netns pod1
    ip link add cali9f8e7d6c5b4 type veth peer name eth0 netns pod2
    ip link add cali1a2b3c4d5e6 type veth peer name eth0 netns pod3
    ip link add eth1 type veth peer name eth0 netns remote
    echo 1 > /proc/sys/net/ipv4/ip_forward
    local spec ifc ip
    for spec in "pod1 cali5c4d3e2f1a0 10.244.1.5" "pod2 cali9f8e7d6c5b4 10.244.1.9" "pod3 cali1a2b3c4d5e6 10.244.1.12"; do
        set -- $spec
        ns=$1 ifc=$2 ip=$3
        ip link set "$ifc" up
        echo 1 > /proc/sys/net/ipv4/conf/$ifc/proxy_arp
        echo 0 > /proc/sys/net/ipv4/neigh/$ifc/proxy_delay
        ip route add "$ip/32" dev "$ifc" scope link
        ip -n $ns addr add "$ip/32" dev eth0
        ip -n $ns link set eth0 up
        ip -n $ns route add 169.254.1.1 dev eth0 scope link
        ip -n $ns route add default via 169.254.1.1 dev eth0
    done
    ip addr add 192.168.50.1/24 dev eth1
    ip link set eth1 up
    ip -n remote addr add 192.168.50.2/24 dev eth0
    ip -n remote link set eth0 up
    ip -n remote route add 10.244.0.0/16 via 192.168.50.1
    ip -n remote route add 10.96.0.0/12 via 192.168.50.1
    # proxy ARP answers for 169.254.1.1 only when the node has a route for it off the cali link
    ip route add default via 192.168.50.2 dev eth1
    # warm the neighbour caches so the first probe of a case is not queued behind ARP
    for ns in pod1 pod2 pod3; do ip netns exec $ns ip neigh replace 169.254.1.1 lladdr "$(ip -br link show dev "$(tk_nodeif $ns)" | awk '{print $3}')" dev eth0; done
}

tk_nodeif() {
    case $1 in
        pod1) echo cali5c4d3e2f1a0 ;;
        pod2) echo cali9f8e7d6c5b4 ;;
        pod3) echo cali1a2b3c4d5e6 ;;
        remote) echo eth1 ;;
    esac
}

# Empties every legacy table that exists (registered tables cannot be removed from a namespace):
# no rules, no user chains, policies ACCEPT, counters zero.
tk_legacy_reset() {
    local t input=""
    # read the policies first: iptables-legacy-restore holds the xtables lock while it runs
    for t in $(cat /proc/net/ip_tables_names 2>/dev/null); do
        input="$input*$t
$(iptables-legacy -w -t "$t" -S | sed -n 's/^-P \([A-Z]*\) .*/:\1 ACCEPT [0:0]/p')
COMMIT
"
    done
    if [ -n "$input" ]; then printf '%s' "$input" | iptables-legacy-restore -w; fi
}

# tk_probe NS SRC PROTO: in NS, count and drop every IPv4 packet with protocol PROTO (from any
# source: SRC is informative only, since the node may masquerade)
# before anything else sees it (no replies, no conntrack), and drop all other IPv4 input.
tk_probe() {
    ip netns exec "$1" nft -f - <<NFT
table ip probe
delete table ip probe
table ip probe {
	chain pre {
		type filter hook prerouting priority -400; policy drop;
		meta l4proto $3 counter comment "from $2"
	}
}
NFT
}

# tk_delivered NS: packets the probe of NS counted.
tk_delivered() {
    ip netns exec "$1" nft list table ip probe | sed -n 's/.*counter packets \([0-9]*\).*/\1/p'
}
