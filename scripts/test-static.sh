#!/usr/bin/env bash
# Runs the static binary inside a fresh network + mount namespace, chrooted into an empty tmpfs
# that holds only the binary, a dump file and a /proc mount point (no /usr/lib, no /etc, no
# loader, no iptables binaries). Reads live:legacy counts, live:nft and a dump; prints size and
# start-up time. Needs root; never touches the host's ruleset (rules are made in the namespace).
#
#   bash scripts/test-static.sh [BINARY]     default: target/static/nfdiff
set -euo pipefail
cd "$(dirname "$0")/.."
bin=$(realpath "${1:-target/static/nfdiff}")
[ -x "$bin" ] || { echo "test-static: FAILED: $bin missing (bash scripts/build-static.sh)" >&2; exit 1; }
dump=$(realpath testdata/incident/legacy.save)
fixtures=$(realpath testdata)

dyn=$(realpath -q target/debug/nfdiff || true)

exec unshare -n -m bash -s "$bin" "$dump" "$fixtures" "$dyn" <<'INNER'
set -euo pipefail
bin=$1 dump=$2 fixtures=$3 dyn=${4:-}
fail() { echo "test-static: FAILED: $*" >&2; exit 1; }
mount --make-rprivate /
# Rules of this namespace only: one nf_tables chain, one legacy rule.
nft -f - <<'NFT'
table ip t {
  chain c { type filter hook input priority 0; policy accept; tcp dport 22 accept comment "ssh"; }
}
NFT
iptables-legacy -A INPUT -p tcp --dport 80 -j ACCEPT
# And two of our fixtures: native nft (sets, maps, verdict maps) and kube-proxy through
# iptables-nft (xt compat matches, comments).
nft -f "$fixtures/native-nft/ruleset.nft"
iptables-nft-restore < "$fixtures/kube-proxy/kube-proxy.rules"
root=$(mktemp -d)
mount -t tmpfs -o size=64m,mode=0755 nfdiff-static-root "$root"
cp "$bin" "$root/nfdiff"
cp "$dump" "$root/legacy.save"
mkdir "$root/proc"
mount -t proc proc "$root/proc"
echo "root holds: $(cd "$root" && ls -A | tr '\n' ' ')(proc is the kernel's)"
run() { chroot "$root" /nfdiff "$@"; }

# A dump file.
out=$(run show /legacy.save) || fail "show dump"
grep -q 'cali-from-wl-dispatch' <<<"$out" || fail "dump read: $out"
echo "dump: $(grep -c '' <<<"$out") lines of output"

# live:legacy: tables and rule counts by getsockopt (no iptables-legacy-save in this root).
set +e; out=$(run show live:legacy --format json 2>"$root/err"); rc=$?; set -e
err=$(cat "$root/err")
[ $rc -eq 0 ] || fail "live:legacy exit $rc: $err"
grep -q 'filter (1 rules)' <<<"$out$err" || fail "live:legacy did not count the namespace's 1 rule: $out $err"
echo "live:legacy: exit 0; $(grep -o '[^"]*rule[^"]*count[^"]*' <<<"$out$err" | head -1)"

# live:nft: the netlink reader (libnftnl.a + the libmnl subset), unless built without it.
set +e; out=$(run show live:nft --format json 2>"$root/err"); rc=$?; set -e
err=$(cat "$root/err")
if [ "${NFDIFF_STATIC_NETLINK:-1}" = 0 ]; then
  [ $rc -eq 2 ] && grep -q 'netlink' <<<"$err" || fail "live:nft exit $rc: $err"
  echo "live:nft: refused with exit 2 (built with NFDIFF_STATIC_NETLINK=0): $err"
else
  [ $rc -eq 0 ] || fail "live:nft exit $rc: $err"
  grep -q 'tcp dport 22 accept' <<<"$out" || fail "live:nft: $out"
  grep -q 'KUBE-SERVICES' <<<"$out" || fail "live:nft: no kube-proxy chains: $out"
  echo "live:nft: read the namespace's rules ($(grep -o '"rule":' <<<"$out" | wc -l) rules)"
  # The same namespace read by the dynamic build (Debian's libmnl.so), when there is one.
  if [ -x "$dyn" ]; then
    want=$("$dyn" show live:nft --format json) || fail "dynamic nfdiff show live:nft"
    [ "$out" = "$want" ] || fail "static and dynamic live:nft differ: $(diff <(echo "$want") <(echo "$out") | head -20)"
    echo "live:nft: identical to the dynamic build's reading ($(wc -c <<<"$out") bytes of JSON)"
  fi
  out=$(run show live --format json) || fail "show live"
  grep -q 'tcp dport 22 accept' <<<"$out" || fail "show live: $out"
fi

# Start-up time: 20 runs of `nfdiff --version`, and one of `show live:legacy`.
t0=$(date +%s%N); for _ in $(seq 20); do run --version >/dev/null; done; t1=$(date +%s%N)
echo "size: $(stat -c %s "$bin") bytes; start-up (--version): $(( (t1 - t0) / 20000 )) us per run"
t0=$(date +%s%N); run show live:legacy >/dev/null 2>&1; t1=$(date +%s%N)
echo "show live:legacy in the empty root: $(( (t1 - t0) / 1000 )) us"
echo "test-static: ok"
INNER
