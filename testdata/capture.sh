#!/bin/bash
# Regenerate every captured output in testdata/ from the hand-written inputs.
#
# Each capture runs in its own fresh network namespace (unshare -n), so the host's
# own ruleset is never read or changed. Needs root, util-linux (unshare), iptables (legacy and
# nft variants), nftables and ipset.
#
# Usage: sudo testdata/capture.sh            (all fixtures)
#        sudo testdata/capture.sh calico ... (only the named fixtures)
set -euo pipefail

TD=$(cd "$(dirname "$0")" && pwd)
export LC_ALL=C

if [ "$(id -u)" != 0 ]; then echo "capture.sh: must run as root" >&2; exit 2; fi
for t in unshare ipset nft iptables-legacy-restore iptables-legacy-save iptables-nft-restore \
         iptables-nft-save ip6tables-legacy-restore ip6tables-legacy-save ip6tables-nft-restore \
         ip6tables-nft-save; do
    command -v "$t" >/dev/null || { echo "capture.sh: missing tool $t" >&2; exit 2; }
done

# ipset sets the Calico rules reference; they must exist before a restore that uses -m set.
# Sets are per network namespace, so they are created inside each scratch namespace.
IPSETS4='
ipset create cali40all-ipam-pools hash:net family inet
ipset add cali40all-ipam-pools 10.244.0.0/16
ipset create cali40masq-ipam-pools hash:net family inet
ipset add cali40masq-ipam-pools 10.244.0.0/16
ipset create cali40all-hosts-net hash:net family inet
ipset add cali40all-hosts-net 192.168.50.10
ipset add cali40all-hosts-net 192.168.50.11
ipset add cali40all-hosts-net 192.168.50.12
ipset create cali40s:y-uVl4bAoAfdydOS8SL9Rv9 hash:ip family inet
ipset add cali40s:y-uVl4bAoAfdydOS8SL9Rv9 10.244.2.15
'
IPSETS6='
ipset create cali60all-ipam-pools hash:net family inet6
ipset add cali60all-ipam-pools fd00:10:244::/48
ipset create cali60masq-ipam-pools hash:net family inet6
ipset add cali60masq-ipam-pools fd00:10:244::/48
ipset create cali60s:y-uVl4bAoAfdydOS8SL9Rv9 hash:ip family inet6
ipset add cali60s:y-uVl4bAoAfdydOS8SL9Rv9 fd00:10:244:2::f
'

# capture_xt DIR INPUT ip|ip6 IPSETS
#   namespace 1: <x>tables-legacy-restore, then legacy.save and legacy-counters.save
#   namespace 2: <x>tables-nft-restore, then nft.save, nft.txt, nft-handles.txt, nft.json
# Anything the tools print on stderr goes to DIR/stderr.txt (nft 1.0.x prints
# "# Warning: table ip filter is managed by iptables-nft, do not touch!" there).
capture_xt() {
    local dir=$TD/$1 input=$2 fam=$3 sets=$4 x
    if [ "$fam" = ip6 ]; then x=ip6tables; else x=iptables; fi
    : > "$dir/stderr.txt"
    unshare -n bash -euo pipefail -c "
        cd '$dir'
        $sets
        $x-legacy-restore < '$input'
        echo '== $x-legacy-save' >> stderr.txt
        $x-legacy-save > legacy.save 2>> stderr.txt
        echo '== $x-legacy-save -c' >> stderr.txt
        $x-legacy-save -c > legacy-counters.save 2>> stderr.txt
    "
    unshare -n bash -euo pipefail -c "
        cd '$dir'
        $sets
        $x-nft-restore < '$input'
        echo '== $x-nft-save' >> stderr.txt
        $x-nft-save > nft.save 2>> stderr.txt
        echo '== nft list ruleset' >> stderr.txt
        nft list ruleset > nft.txt 2>> stderr.txt
        echo '== nft -a list ruleset' >> stderr.txt
        nft -a list ruleset > nft-handles.txt 2>> stderr.txt
        echo '== nft -j list ruleset' >> stderr.txt
        nft -j list ruleset > nft.json 2>> stderr.txt
    "
}

capture_native() {
    local dir=$TD/native-nft
    : > "$dir/stderr.txt"
    unshare -n bash -euo pipefail -c "
        cd '$dir'
        nft -f ruleset.nft
        echo '== nft list ruleset' >> stderr.txt
        nft list ruleset > nft.txt 2>> stderr.txt
        echo '== nft -j list ruleset' >> stderr.txt
        nft -j list ruleset > nft.json 2>> stderr.txt
        echo '== nft -a list ruleset' >> stderr.txt
        nft -a list ruleset > nft-handles.txt 2>> stderr.txt
    "
}

# The incident: current Calico rules in legacy, a stale older copy in nf_tables, one namespace.
capture_incident() {
    local dir=$TD/incident
    : > "$dir/stderr.txt"
    unshare -n bash -euo pipefail -c "
        cd '$dir'
        $IPSETS4
        iptables-legacy-restore < legacy.rules
        iptables-nft-restore < nft-stale.rules
        echo '== iptables-legacy-save' >> stderr.txt
        iptables-legacy-save > legacy.save 2>> stderr.txt
        # iptables-nft-save prints '# Warning: iptables-legacy tables present, use
        # iptables-legacy-save to see them' on stderr after the dump; keep it at the end of
        # nft.save, where it appears on a terminal.
        iptables-nft-save > nft.save 2> nft-save.stderr
        cat nft-save.stderr >> nft.save
        rm -f nft-save.stderr
        echo '== nft list ruleset' >> stderr.txt
        nft list ruleset > nft.txt 2>> stderr.txt
        echo '== nft -a list ruleset' >> stderr.txt
        nft -a list ruleset > nft-handles.txt 2>> stderr.txt
        echo '== nft -j list ruleset' >> stderr.txt
        nft -j list ruleset > nft.json 2>> stderr.txt
    "
}

versions() {
    {
        echo "captured: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
        echo "iptables: $(iptables --version)"
        echo "iptables-legacy: $(iptables-legacy --version)"
        echo "nft: $(nft --version)"
        echo "ipset: $(ipset --version | head -1)"
        echo "kernel: $(uname -r)"
        if [ -r /etc/os-release ]; then echo "os: $(. /etc/os-release; echo "$PRETTY_NAME")"; fi
    } > "$TD/VERSIONS.txt"
}

ALL="calico kube-proxy calico6 native-nft incident"
SELECTED=" ${*:-$ALL} "
for a in $SELECTED; do
    case " $ALL " in *" $a "*) ;; *) echo "capture.sh: unknown fixture $a (known: $ALL)" >&2; exit 2;; esac
done
sel() { case "$SELECTED" in *" $1 "*) return 0;; *) return 1;; esac; }

if sel calico; then capture_xt calico     calico.rules     ip  "$IPSETS4"; echo "captured calico"; fi
if sel kube-proxy; then capture_xt kube-proxy kube-proxy.rules ip  ""        ; echo "captured kube-proxy"; fi
if sel calico6; then capture_xt calico6    calico6.rules    ip6 "$IPSETS6"; echo "captured calico6"; fi
if sel native-nft; then capture_native; echo "captured native-nft"; fi
if sel incident; then capture_incident; echo "captured incident"; fi
versions
echo "done; versions in $TD/VERSIONS.txt"
