#!/bin/bash
# Regenerates the kernel listings of testdata/space-equivalence/ from its *.rules inputs.
# Every load runs in its own fresh network namespace (unshare -n): the host's ruleset is never
# read or changed. Needs root, util-linux (unshare), iptables 1.8.x (legacy and nft) and nftables.
#
# Usage: sudo testdata/space-equivalence/capture.sh
#
# For each NAME.rules:
#   NAME.legacy.save  iptables-legacy-restore < NAME.rules; iptables-legacy-save
#   NAME.nft.save     (new namespace) iptables-nft-restore < NAME.rules; iptables-nft-save
#   NAME.nft.txt      same namespace: nft list ruleset
#   NAME.nft.json     same namespace: nft -j list ruleset
# Anything the tools print on stderr goes to stderr.txt under "== NAME: command" headings.
set -euo pipefail
cd "$(dirname "$0")"
export LC_ALL=C
if [ "$(id -u)" != 0 ]; then echo "capture.sh: must run as root" >&2; exit 2; fi
: > stderr.txt
for rules in *.rules; do
    n=${rules%.rules}
    unshare -n bash -euo pipefail -c "
        iptables-legacy-restore < '$rules'
        echo '== $n: iptables-legacy-save' >> stderr.txt
        iptables-legacy-save > '$n.legacy.save' 2>> stderr.txt
    "
    unshare -n bash -euo pipefail -c "
        iptables-nft-restore < '$rules'
        echo '== $n: iptables-nft-save' >> stderr.txt
        iptables-nft-save > '$n.nft.save' 2>> stderr.txt
        echo '== $n: nft list ruleset' >> stderr.txt
        nft list ruleset > '$n.nft.txt' 2>> stderr.txt
        echo '== $n: nft -j list ruleset' >> stderr.txt
        nft -j list ruleset > '$n.nft.json' 2>> stderr.txt
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
echo "captured $(ls *.rules | wc -l) rulesets; versions in VERSIONS.txt"
