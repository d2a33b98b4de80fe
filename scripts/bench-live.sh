#!/usr/bin/env bash
# Benchmark (not a test): a kube-proxy-shaped ruleset of about 100k rules is restored with
# iptables-nft-restore inside a fresh network namespace, then `nfdiff show live:nft --format
# json`, `iptables-nft-save`, `nft -j list ruleset` and `nft list ruleset` are timed there
# (wall time and peak RSS from /usr/bin/time -v). Never touches the host's ruleset.
# Usage: sudo scripts/bench-live.sh [SERVICES]   (10 rules per service; default 10000)
set -euo pipefail
cd "$(dirname "$0")/.."

services=${1:-10000}
nfdiff=${NFDIFF:-target/release/nfdiff}
[ -x "$nfdiff" ] || { echo "build first: cargo build --release -p nfdiff-cli" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# kube-proxy (iptables mode) shape: per service one KUBE-SERVICES rule, a KUBE-SVC chain with
# three endpoint rules (statistic), and three KUBE-SEP chains of two rules each.
python3 - "$services" > "$work/rules" <<'PY'
import sys
n = int(sys.argv[1])
print("*nat")
for c in ("PREROUTING", "INPUT", "OUTPUT", "POSTROUTING"):
    print(f":{c} ACCEPT [0:0]")
for c in ("KUBE-SERVICES", "KUBE-MARK-MASQ", "KUBE-POSTROUTING"):
    print(f":{c} - [0:0]")
for i in range(n):
    print(f":KUBE-SVC-{i:012X} - [0:0]")
    for e in range(3):
        print(f":KUBE-SEP-{i:010X}{e:02X} - [0:0]")
print('-A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES')
print('-A OUTPUT -m comment --comment "kubernetes service portals" -j KUBE-SERVICES')
print('-A POSTROUTING -m comment --comment "kubernetes postrouting rules" -j KUBE-POSTROUTING')
print("-A KUBE-MARK-MASQ -j MARK --set-xmark 0x4000/0x4000")
print("-A KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN")
print("-A KUBE-POSTROUTING -j MASQUERADE --random-fully")
for i in range(n):
    ip = f"10.{96 + i // 65536}.{(i // 256) % 256}.{i % 256}"
    svc = f"KUBE-SVC-{i:012X}"
    print(f'-A KUBE-SERVICES -d {ip}/32 -p tcp -m comment --comment "ns{i}/svc{i}:http cluster IP" -m tcp --dport 80 -j {svc}')
    for e in range(3):
        sep = f"KUBE-SEP-{i:010X}{e:02X}"
        ep = f"10.{128 + e}.{(i // 256) % 256}.{i % 256}"
        if e == 0:
            print(f'-A {svc} -m comment --comment "ns{i}/svc{i}:http" -m statistic --mode random --probability 0.33333333349 -j {sep}')
        elif e == 1:
            print(f'-A {svc} -m comment --comment "ns{i}/svc{i}:http" -m statistic --mode random --probability 0.50000000000 -j {sep}')
        else:
            print(f'-A {svc} -m comment --comment "ns{i}/svc{i}:http" -j {sep}')
        print(f'-A {sep} -s {ep}/32 -m comment --comment "ns{i}/svc{i}:http" -j KUBE-MARK-MASQ')
        print(f'-A {sep} -p tcp -m comment --comment "ns{i}/svc{i}:http" -m tcp -j DNAT --to-destination {ep}:8080')
print("COMMIT")
PY
echo "generated $(grep -c '^-A' "$work/rules") rules in $(grep -c '^:' "$work/rules") chains"

unshare -n bash -s "$work" "$nfdiff" <<'SH'
set -euo pipefail
work=$1; nfdiff=$2
t0=$(date +%s.%N)
iptables-nft-restore < "$work/rules"
echo "restore: $(echo "$(date +%s.%N) - $t0" | bc) s"
run() {
    local name=$1; shift
    /usr/bin/time -v "$@" > "$work/out" 2> "$work/time"
    local wall rss
    wall=$(grep 'Elapsed (wall clock)' "$work/time" | awk '{print $NF}')
    rss=$(grep 'Maximum resident set size' "$work/time" | awk '{print $NF}')
    printf '%-36s wall %10s  peak RSS %8s KiB  output %10s bytes\n' "$name" "$wall" "$rss" "$(wc -c < "$work/out")"
}
run "nfdiff show live:nft --format json" "$nfdiff" show live:nft --format json
run "nfdiff show live:nft (text)" "$nfdiff" show live:nft
run "iptables-nft-save" iptables-nft-save
run "nft -j list ruleset" nft -j list ruleset
run "nft list ruleset" nft list ruleset
# The dump alone (no model, no output): examples/live_bench, if built
# (cargo build --release -p netfilter-model --features netlink --example live_bench).
bench=$(dirname "$nfdiff")/examples/live_bench
if [ -x "$bench" ]; then
    NFDIFF_NETLINK_WORKERS=1 run "per-chain dump+assemble, 1 socket" "$bench"; cat "$work/out"
    run "per-chain dump+assemble, default" "$bench"; cat "$work/out"
fi
SH
