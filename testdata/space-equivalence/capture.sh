#!/bin/bash
# Regenerates the captured outputs of testdata/space-equivalence/ from the hand-written inputs
# (issue 15). Every load runs in its own fresh network namespace (unshare -n): the host's
# ruleset is never read or changed. Needs root, util-linux (unshare), iptables 1.8 (legacy and
# nft variants) and nftables.
#
# Usage: sudo testdata/space-equivalence/capture.sh
#
#   NAME.rules  -> NAME.legacy.save   iptables-legacy-restore < NAME.rules; iptables-legacy-save
#               and, in a second namespace:
#               -> NAME.nft.save      iptables-nft-restore < NAME.rules; iptables-nft-save
#                  NAME.nft.txt       nft list ruleset
#                  NAME.nft.json      nft -j list ruleset
#   NAME.nft (native nft syntax: base-native.nft, multiport-b-native.nft), a namespace each:
#               -> NAME.txt           nft -f NAME.nft; nft list ruleset
#                  NAME.json          nft -j list ruleset
# Everything the tools print on stderr goes to stderr.txt under "== NAME: command" headings;
# the tool versions go to VERSIONS.txt.
set -euo pipefail

D=$(cd "$(dirname "$0")" && pwd)
export LC_ALL=C

if [ "$(id -u)" != 0 ]; then echo "capture.sh: must run as root" >&2; exit 2; fi
for t in unshare nft iptables-legacy-restore iptables-legacy-save iptables-nft-restore iptables-nft-save; do
    command -v "$t" >/dev/null || { echo "capture.sh: missing tool $t" >&2; exit 2; }
done

cd "$D"
: > stderr.txt
for input in *.rules; do
    name=${input%.rules}
    unshare -n bash -euo pipefail -c "
        iptables-legacy-restore < '$input'
        echo '== $name: iptables-legacy-save' >> stderr.txt
        iptables-legacy-save > '$name.legacy.save' 2>> stderr.txt
    "
    unshare -n bash -euo pipefail -c "
        iptables-nft-restore < '$input'
        echo '== $name: iptables-nft-save' >> stderr.txt
        iptables-nft-save > '$name.nft.save' 2>> stderr.txt
        echo '== $name: nft list ruleset' >> stderr.txt
        nft list ruleset > '$name.nft.txt' 2>> stderr.txt
        echo '== $name: nft -j list ruleset' >> stderr.txt
        nft -j list ruleset > '$name.nft.json' 2>> stderr.txt
    "
done
for input in *.nft; do
    name=${input%.nft}
    unshare -n bash -euo pipefail -c "
        nft -f '$input'
        echo '== $name: nft list ruleset' >> stderr.txt
        nft list ruleset > '$name.txt' 2>> stderr.txt
        echo '== $name: nft -j list ruleset' >> stderr.txt
        nft -j list ruleset > '$name.json' 2>> stderr.txt
    "
done
{
    echo "captured: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
    echo "iptables: $(iptables --version)"
    echo "iptables-legacy: $(iptables-legacy --version)"
    echo "nft: $(nft --version)"
    echo "kernel: $(uname -r)"
    if [ -r /etc/os-release ]; then echo "os: $(. /etc/os-release; echo "$PRETTY_NAME")"; fi
} > VERSIONS.txt
echo "captured testdata/space-equivalence; versions in VERSIONS.txt"
