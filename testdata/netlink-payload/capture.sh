#!/usr/bin/env bash
# Captures nft's register-level debug text for rules.nft, in a fresh network namespace (the
# host's ruleset is never read or changed). Run as root from anywhere:
#   sudo testdata/netlink-payload/capture.sh
# Writes rules.payload (`nft --debug=netlink -f rules.nft`: every netlink message nft sends,
# as libnftnl prints it), listed.nft (`nft list ruleset` right after, nft's own reading of
# what it loaded) and VERSIONS.txt.
set -euo pipefail
cd "$(dirname "$0")"
if [ "$(id -u)" -ne 0 ]; then
  echo "capture: needs root (unshare -n, nft)" >&2
  exit 1
fi
unshare -n bash -c '
  set -euo pipefail
  nft --debug=netlink -f rules.nft > rules.payload
  nft list ruleset > listed.nft
'
{
  echo "nft --version: $(nft --version)"
  echo "libnftnl: $(dpkg-query -W -f='${Version}' libnftnl11 2>/dev/null || echo unknown)"
  echo "uname -r: $(uname -r)"
  echo "arch: $(uname -m) (data words are printed in this host's byte order)"
  echo "captured: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
} > VERSIONS.txt
echo "capture: $(grep -c '^  \[' rules.payload) expression lines in rules.payload"
