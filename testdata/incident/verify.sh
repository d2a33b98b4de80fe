#!/bin/bash
# Verify the incident against the kernel.
#
# In a fresh network + mount namespace (unshare -n -m) that plays the Kubernetes node, build:
#   podold  --veth-- cali5c4d3e2f1a0 (node)   pod IP 10.244.1.5/32  (endpoint known to both copies)
#   podnew  --veth-- cali9f8e7d6c5b4 (node)   pod IP 10.244.1.9/32  (endpoint only in the legacy copy)
#   remote  --veth-- eth1 (node)              192.168.50.2/24, node side 192.168.50.1/24
# The host side of each cali veth has no address, proxy_arp=1 and a /32 route to the pod, as Calico
# sets it up; the pods use 169.254.1.1 as their default gateway.
# Load legacy.rules into iptables-legacy and nft-stale.rules into nf_tables (iptables-nft), send
# UDP datagrams from each pod to the remote host, count arrivals in the remote namespace, and
# dump the node's counters. Runs twice: once loading legacy first, once loading nf_tables first,
# because base chains of equal priority run in an order that depends on registration.
#
# Usage: sudo testdata/incident/verify.sh [OUTFILE]     (default: print to stdout)
#   With OUTFILE, the full report goes there, the RESULT lines are printed, and the raw counter
#   dumps of each run are written next to OUTFILE as verify-<run>.legacy-counters.save,
#   verify-<run>.nft.txt and verify-<run>.nft.json.
# Needs root, iproute2, iptables (legacy + nft), nftables, ipset, bash. Leaves nothing behind:
# every namespace lives inside the unshare'd mount namespace (tmpfs on /run/netns).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
export LC_ALL=C

N_PKTS=3
PORT_OLD=5005
PORT_NEW=5009

inner() {
    local order=$1
    set -euo pipefail
    cd "$HERE"
    mkdir -p /run/netns
    mount -t tmpfs tmpfs /run/netns
    ip link set lo up

    # ipsets referenced by the Calico rules (per network namespace)
    ipset create cali40all-ipam-pools hash:net family inet
    ipset add cali40all-ipam-pools 10.244.0.0/16
    ipset create cali40masq-ipam-pools hash:net family inet
    ipset add cali40masq-ipam-pools 10.244.0.0/16
    ipset create cali40all-hosts-net hash:net family inet
    ipset add cali40all-hosts-net 192.168.50.10
    ipset create cali40s:y-uVl4bAoAfdydOS8SL9Rv9 hash:ip family inet

    for ns in podold podnew remote; do ip netns add $ns; ip -n $ns link set lo up; done
    ip link add cali5c4d3e2f1a0 type veth peer name eth0 netns podold
    ip link add cali9f8e7d6c5b4 type veth peer name eth0 netns podnew
    ip link add eth1 type veth peer name eth0 netns remote

    echo 1 > /proc/sys/net/ipv4/ip_forward
    local pod ifc ip
    for pod in "podold cali5c4d3e2f1a0 10.244.1.5" "podnew cali9f8e7d6c5b4 10.244.1.9"; do
        set -- $pod; ns=$1 ifc=$2 ip=$3
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
    # the node needs a route covering 169.254.1.1 off the cali link for proxy ARP to answer
    ip route add default via 192.168.50.2 dev eth1

    # Arrival counters in the remote namespace (its own ruleset, not the node's).
    ip netns exec remote nft -f - <<NFT
table ip probe {
	chain in {
		type filter hook input priority 0; policy accept;
		udp dport $PORT_OLD counter comment "from podold (cali5c4d3e2f1a0)"
		udp dport $PORT_NEW counter comment "from podnew (cali9f8e7d6c5b4)"
	}
}
NFT

    if [ "$order" = legacy-first ]; then
        iptables-legacy-restore < legacy.rules
        iptables-nft-restore < nft-stale.rules
    else
        iptables-nft-restore < nft-stale.rules
        iptables-legacy-restore < legacy.rules
    fi

    local i
    for i in $(seq $N_PKTS); do
        ip netns exec podold bash -c "echo probe-old-$i > /dev/udp/192.168.50.2/$PORT_OLD" || true
        ip netns exec podnew bash -c "echo probe-new-$i > /dev/udp/192.168.50.2/$PORT_NEW" || true
        sleep 0.3
    done
    sleep 0.5

    local got_old got_new
    got_old=$(ip netns exec remote nft list chain ip probe in | sed -n "s/.*dport $PORT_OLD counter packets \([0-9]*\).*/\1/p")
    got_new=$(ip netns exec remote nft list chain ip probe in | sed -n "s/.*dport $PORT_NEW counter packets \([0-9]*\).*/\1/p")

    echo "### run: $order (load order: $( [ "$order" = legacy-first ] && echo 'legacy.rules, then nft-stale.rules' || echo 'nft-stale.rules, then legacy.rules'))"
    echo "sent: $N_PKTS UDP datagrams from podold (10.244.1.5 via cali5c4d3e2f1a0) to 192.168.50.2:$PORT_OLD"
    echo "sent: $N_PKTS UDP datagrams from podnew (10.244.1.9 via cali9f8e7d6c5b4) to 192.168.50.2:$PORT_NEW"
    echo "RESULT $order podold delivered=$got_old/$N_PKTS"
    echo "RESULT $order podnew delivered=$got_new/$N_PKTS"
    echo
    echo "#### iptables-legacy-save -c (filter table, FORWARD path chains)"
    iptables-legacy-save -c -t filter | grep -E -- '^(\[[0-9]+:[0-9]+\] )?-A (FORWARD|cali-FORWARD|cali-from-wl-dispatch|cali-fw-cali5c4d3e2f1a0|cali-fw-cali9f8e7d6c5b4) |^:FORWARD'
    echo
    echo "#### nft list ruleset (nf_tables: table ip filter, FORWARD path chains)"
    local c
    for c in FORWARD cali-FORWARD cali-from-wl-dispatch cali-fw-cali5c4d3e2f1a0; do
        nft list chain ip filter $c 2>/dev/null | sed -n '/chain/,/}/p'
    done
    echo
    echo "#### nft -a: the stale 'Unknown interface' rule"
    nft -a list chain ip filter cali-from-wl-dispatch 2>/dev/null | grep -E 'drop'
    echo
    if [ -n "${VERIFY_DUMPDIR:-}" ]; then
        iptables-legacy-save -c > "$VERIFY_DUMPDIR/verify-$order.legacy-counters.save"
        nft list ruleset > "$VERIFY_DUMPDIR/verify-$order.nft.txt" 2>/dev/null
        nft -j list ruleset > "$VERIFY_DUMPDIR/verify-$order.nft.json" 2>/dev/null
    fi
    echo "#### full counter dumps"
    echo "##### iptables-legacy-save -c"
    iptables-legacy-save -c | grep -v '^#'
    echo "##### nft list ruleset"
    nft list ruleset 2>/dev/null
    echo
}

if [ "${1:-}" = --inner ]; then
    inner "$2"
    exit 0
fi

if [ "$(id -u)" != 0 ]; then echo "verify.sh: must run as root" >&2; exit 2; fi
for t in unshare ip ipset nft iptables-legacy-restore iptables-nft-restore iptables-legacy-save; do
    command -v "$t" >/dev/null || { echo "verify.sh: missing tool $t" >&2; exit 2; }
done

run() {
    echo "## nfdiff incident verification, $(date -u +%Y-%m-%dT%H:%M:%SZ), kernel $(uname -r), $(iptables --version), $(nft --version)"
    echo
    for order in legacy-first nft-first; do
        unshare -n -m bash "$HERE/verify.sh" --inner "$order"
    done
}

if [ $# -ge 1 ]; then
    VERIFY_DUMPDIR=$(cd "$(dirname "$1")" && pwd)
    export VERIFY_DUMPDIR
    run > "$1"
    grep '^RESULT' "$1"
else
    run
fi
