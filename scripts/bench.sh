#!/usr/bin/env bash
# Benchmarks nfdiff side by side with the stock tools and writes BENCHMARKS.md.
#
#   bash scripts/bench.sh            # RUNS=5 timed runs per row (median), one more for peak RSS
#   RUNS=3 bash scripts/bench.sh     # quicker
#   SKIP_LIVE=1 bash scripts/bench.sh  # no kernel rows (they need root and `unshare -n`)
#   LIVE_NFT_RUNS=1                  # runs of `nft [-j] list ruleset` (each takes ~1-2 min at 100k)
#   SKIP_SPACE=1 bash scripts/bench.sh # without the packet-space rows (scripts/bench-space.sh:
#                                      # classes / diff --semantic, once nfdiff has them)
#   SKIP_FLEET=1 bash scripts/bench.sh # without the fleet rows (scripts/bench-fleet.sh: 1000 x 10k
#                                      # Calico snapshots, generated once into /tmp, ~1.3 GB)
#
# Inputs are generated into target/bench-data/ by nfdiff-gen (deterministic, seed 1). The live
# rows restore 100k rules into a FRESH network namespace (`unshare -n`); the host's ruleset is
# never read or changed. Not part of scripts/test.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
RUNS=${RUNS:-5}
LIVE_NFT_RUNS=${LIVE_NFT_RUNS:-1}
D=$ROOT/target/bench-data
BIN=$ROOT/target/release
RESULTS=$D/results.tsv

# ---------------------------------------------------------------------------------------------
# measure KEY CMD... : median wall time (ms) of RUNS runs, each under /usr/bin/time -v, and the
# largest peak RSS (KB) among them. Standard output goes to /dev/null; exit status 1 (diff) is
# fine. Appends "KEY<TAB>median_ms<TAB>rss_kb<TAB>runs" to $RESULTS.
measure() {
  local key=$1; shift
  local times=() cpus=() t0 t1 st=0 i rss=0 r
  # One untimed warm-up run when several are timed: the first run after a build or another
  # task pays for page cache and fresh memory (on this VM, first touches of memory cost
  # tenths of a second of system time now and then).
  if [ "$RUNS" -gt 1 ]; then "$@" >/dev/null 2>&1 || true; fi
  for ((i = 0; i < RUNS; i++)); do
    t0=$(date +%s%N)
    /usr/bin/time -v -o "$D/$key.time" "$@" >/dev/null 2>"$D/$key.err" || st=$?
    t1=$(date +%s%N)
    times+=($(((t1 - t0) / 1000)))
    if [ "$st" -gt 1 ]; then break; fi
    r=$(awk -F: '/Maximum resident/ {gsub(/ /,"",$2); print $2}' "$D/$key.time")
    [ "${r:-0}" -gt "$rss" ] && rss=$r
    cpus+=("$(awk -F': ' '/User time|System time/ { s += $2 } END { printf "%.0f", s * 1000 }' "$D/$key.time")")
  done
  if [ "$st" -gt 1 ]; then
    printf '%s\tfail\tfail\t%s\n' "$key" "$st" >>"$RESULTS"
    echo "  $key: failed (status $st): $(head -c 200 "$D/$key.err")" >&2
    return 0
  fi
  local med
  med=$(printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {printf "%.1f", a[int((NR+1)/2)]/1000}')
  local cpu
  cpu=$(printf '%s\n' "${cpus[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
  printf '%s\t%s\t%s\t%s\t%s\n' "$key" "$med" "$rss" "${#times[@]}" "$cpu" >>"$RESULTS"
  echo "  $key: median ${med} ms wall, ${cpu} ms CPU, of ${#times[@]}, peak RSS ${rss} KB" >&2
}

# Runs inside `unshare -n`: restores the 100k ruleset into this namespace's kernel tables and
# times the readers. $1 = nft | legacy.
inside_netns() {
  local which=$1
  if [ "$which" = nft ]; then
    iptables-nft-restore <"$D/kp100k.save"
    measure live_nfdiff_nft "$BIN/nfdiff" show live:nft --format json
    measure live_ipt_nft_save iptables-nft-save
    # nft 1.0.x lists 10^5 rules in many chains slowly (minutes on a loaded machine): one run
    # each, and the JSON run's output is kept for the nft JSON parser rows.
    RUNS=$LIVE_NFT_RUNS
    local t0 t1
    t0=$(date +%s%N)
    /usr/bin/time -v -o "$D/live_nft_json.time" nft -j list ruleset >"$D/kp100k.nft.json" 2>/dev/null || true
    t1=$(date +%s%N)
    printf 'live_nft_json\t%s\t%s\t1\t%s\n' "$(awk -v n=$((t1 - t0)) 'BEGIN { printf "%.1f", n / 1e6 }')" \
      "$(awk -F: '/Maximum resident/ {gsub(/ /,"",$2); print $2}' "$D/live_nft_json.time")" \
      "$(awk -F': ' '/User time|System time/ { s += $2 } END { printf "%.0f", s * 1000 }' "$D/live_nft_json.time")" >>"$RESULTS"
    measure live_nft_text nft list ruleset
  else
    iptables-legacy-restore <"$D/kp100k.save"
    measure live_nfdiff_legacy "$BIN/nfdiff" show live:legacy --format json
    measure live_ipt_legacy_save iptables-legacy-save
  fi
}

if [ "${1:-}" = --inside-netns ]; then
  inside_netns "$2"
  exit 0
fi

START=$(date +%s)
command -v /usr/bin/time >/dev/null || { echo "bench: /usr/bin/time missing; run scripts/setup.sh" >&2; exit 1; }
echo "== build (release)" >&2
cargo build --release -q -p nfdiff-cli -p rulegen
cargo build --release -q -p netfilter-model --example trace_throughput
mkdir -p "$D"
: >"$RESULTS"

echo "== generate inputs into $D" >&2
# Inputs older than the generator binary are made again.
gen() { [ -s "$D/$1" ] && [ "$D/$1" -nt "$BIN/nfdiff-gen" ] || "$BIN/nfdiff-gen" "${@:2}" --seed 1 -o "$D/$1"; }
gen kp1k.save --shape kube-proxy --rules 1000
gen kp10k.save --shape kube-proxy --rules 10000
gen kp100k.save --shape kube-proxy --rules 100000
gen kp1m.save --shape kube-proxy --rules 1000000
gen kp100k.nft --shape kube-proxy --rules 100000 --format nft
gen calico10k.save --shape calico --endpoints 10000
# 1% of the rules changed: every 100th rule gets another comment.
[ -s "$D/kp100k-b.save" ] && [ "$D/kp100k-b.save" -nt "$D/kp100k.save" ] || awk '/^-A/ { n++; if (n % 100 == 0) sub(/--comment "/, "--comment \"x") } { print }' \
  "$D/kp100k.save" >"$D/kp100k-b.save"

echo "== files" >&2
measure wc_100k wc -l "$D/kp100k.save"
measure show_json_100k "$BIN/nfdiff" show --format json "$D/kp100k.save"
measure show_text_100k "$BIN/nfdiff" show "$D/kp100k.save"
measure show_json_nft_100k "$BIN/nfdiff" show --format json "$D/kp100k.nft"
measure show_json_10k "$BIN/nfdiff" show --format json "$D/kp10k.save"
measure show_json_1k "$BIN/nfdiff" show --format json "$D/kp1k.save"
measure gnu_diff_100k diff -u "$D/kp100k.save" "$D/kp100k-b.save"
measure nfdiff_diff_100k "$BIN/nfdiff" diff --color never "$D/kp100k.save" "$D/kp100k-b.save"
measure trace_cli_100k "$BIN/nfdiff" trace "$D/kp100k.save" --iif eth0 --oif eth1 \
  --src 10.244.1.2 --dst 10.96.1.88 --proto tcp --dport 5787
measure reach_cli_calico10k "$BIN/nfdiff" reach "$D/calico10k.save" --iif 'cali+' --oif eth0 \
  --src 10.65.0.5 --dst 10.96.1.7 --proto tcp --dport 443
OLD_RUNS=$RUNS; RUNS=1
measure wc_1m wc -l "$D/kp1m.save"
measure show_json_1m "$BIN/nfdiff" show --format json "$D/kp1m.save"
measure diff_1m "$BIN/nfdiff" diff --color never "$D/kp1m.save" "$D/kp1m.save"
measure trace_cli_1m "$BIN/nfdiff" trace "$D/kp1m.save" --iif eth0 --oif eth1 \
  --src 10.244.1.2 --dst 10.96.1.88 --proto tcp --dport 5787
measure reach_cli_1m "$BIN/nfdiff" reach "$D/kp1m.save" --iif 'eth+' --oif eth1 \
  --src 10.244.1.2 --dst 10.96.1.88 --proto tcp --dport 5787
measure doctor_1m "$BIN/nfdiff" doctor "$D/kp1m.save"
RUNS=$OLD_RUNS

TRACE_LINE=$("$BIN/examples/trace_throughput" trace "$D/kp100k.save" 2000 2>&1 || echo "failed")
REACH_LINE=$("$BIN/examples/trace_throughput" reach "$D/calico10k.save" 'cali+' 5 2>&1 || echo "failed")
echo "  trace library: $TRACE_LINE" >&2
echo "  reach library: $REACH_LINE" >&2

# The public corpus sits next to the repository (../shared/corpus); in a git worktree two levels
# down it is ../../shared/corpus. CORPUS overrides.
CORPUS=${CORPUS:-$ROOT/../shared/corpus}
[ -d "$CORPUS" ] || CORPUS=$ROOT/../../shared/corpus
FFFUU_FILE=$CORPUS/net-network/configs_chair_for_Network_Architectures_and_Services/iptables-save-2016-06-27_16-29-01
if [ -r "$FFFUU_FILE" ]; then
  measure reach_fffuu_forward "$BIN/nfdiff" reach "$FFFUU_FILE" --iif '+' --oif '+' \
    --src 10.0.0.1 --dst 10.0.0.2 --proto tcp --dport 22
  FFFUU_CLASSES=$("$BIN/nfdiff" reach "$FFFUU_FILE" --iif '+' --oif '+' --src 10.0.0.1 --dst 10.0.0.2 \
    --proto tcp --dport 22 2>/dev/null | sed -n 2p || true)
fi

LIVE_NOTE=""
if [ "${SKIP_LIVE:-0}" = 1 ]; then
  LIVE_NOTE="skipped (SKIP_LIVE=1)"
elif [ "$(id -u)" -ne 0 ] || ! unshare -n true 2>/dev/null; then
  LIVE_NOTE="skipped: needs root and \`unshare -n\`"
else
  echo "== live (fresh network namespaces)" >&2
  unshare -n bash "$0" --inside-netns nft || LIVE_NOTE="nft namespace run failed"
  unshare -n bash "$0" --inside-netns legacy || LIVE_NOTE="$LIVE_NOTE legacy namespace run failed"
fi
if [ -s "$D/kp100k.nft.json" ]; then
  measure show_json_nftjson_100k "$BIN/nfdiff" show --format json "$D/kp100k.nft.json"
fi
# The fleet rows (issue 18): 1000 x 10k-rule Calico snapshots, generated once into /tmp.
if [ "${SKIP_FLEET:-0}" != 1 ]; then
  echo "== fleet" >&2
  FLEET_NO_BUILD=1 FLEET_SECTION_ONLY=1 bash scripts/bench-fleet.sh || echo "  fleet: failed" >&2
fi
# The packet-space rows (issue 15): classes and diff --semantic, when this nfdiff has them.
if [ "${SKIP_SPACE:-0}" != 1 ]; then
  echo "== packet space" >&2
  SPACE_NO_BUILD=1 SPACE_SECTION_ONLY=1 CORPUS=$CORPUS bash scripts/bench-space.sh || echo "  space: failed" >&2
fi
ELAPSED=$(($(date +%s) - START))

# ---------------------------------------------------------------------------------------------
# The table.
get() { awk -F'\t' -v k="$1" -v c="$2" '$1 == k { v = $c } END { print v }' "$RESULTS"; }
ms() {
  local v n; v=$(get "$1" 2); n=$(get "$1" 4)
  local c; c=$(get "$1" 5)
  if [ -z "$v" ] || [ "$v" = fail ]; then echo "n/a"; return; fi
  local out="$v ms"
  # /usr/bin/time counts CPU time in 10 ms steps.
  if [ "$c" = 0 ]; then out="$out (CPU < 10 ms)"; elif [ -n "$c" ]; then out="$out (CPU $c ms)"; fi
  [ "$n" = 1 ] && out="$out, 1 run"
  echo "$out"
}
mb() { local v; v=$(get "$1" 3); [[ "$v" =~ ^[0-9]+$ ]] && awk -v k="$v" 'BEGIN { printf "%.0f MB", k / 1024 }' || echo "n/a"; }
ratio() { # nfdiff / stock
  local a b; a=$(get "$1" 2); b=$(get "$2" 2)
  if [[ "$a" =~ ^[0-9.]+$ && "$b" =~ ^[0-9.]+$ ]]; then awk -v a="$a" -v b="$b" 'BEGIN { printf "%.2fx", a / b }'; else echo "n/a"; fi
}
live() { # nfdiff live row: a number, or the missing-reader note
  local v; v=$(get "$1" 2)
  if [[ "$v" =~ ^[0-9.]+$ ]]; then ms "$1"; else echo "n/a (this build has no live reader)"; fi
}
size_mb() { awk -v b="$(stat -c %s "$1")" 'BEGIN { printf "%.1f MB", b / 1048576 }'; }
kv() { echo "$1" | tr ' ' '\n' | awk -F= -v k="$2" '$1 == k { print $2 }'; }

CPU=$(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)
MEM=$(free -h | awk '/^Mem:/ { print $2 }')
LOAD=$(uptime | sed 's/.*load average: //')
{
  echo "# Benchmarks"
  echo
  echo "Written by \`scripts/bench.sh\`. Each figure is the median wall time of $RUNS runs (after one"
  echo "untimed warm-up run when there are several), with the"
  echo "median CPU time (user + system, from \`/usr/bin/time -v\`) in brackets: the machine is shared,"
  echo "and under load the wall time carries the wait for a CPU. Peak RSS is the largest"
  echo "\"Maximum resident set size\" of those runs. Ratios are of wall times. Inputs: \`nfdiff-gen --seed 1\`"
  echo "into \`target/bench-data/\`."
  echo
  echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo "- machine: $(nproc) CPUs ($CPU), $MEM RAM, kernel $(uname -r)"
  echo "- load average at the end (the machine is shared; wall times carry it): $LOAD"
  echo "- command: \`RUNS=$RUNS bash scripts/bench.sh\` (took ${ELAPSED} s)"
  echo "- nfdiff $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?'), $("$BIN/nfdiff" --version 2>/dev/null || true)"
  echo
  echo "| task | input | nfdiff | stock tool | stock | ratio (nfdiff/stock) | nfdiff peak RSS | stock peak RSS |"
  echo "|---|---|---|---|---|---|---|---|"
  echo "| parse + normalize + JSON (\`show --format json\`) | kube-proxy 100k, iptables-save, $(size_mb "$D/kp100k.save") | $(ms show_json_100k) | \`wc -l\` (floor) | $(ms wc_100k) | $(ratio show_json_100k wc_100k) | $(mb show_json_100k) | $(mb wc_100k) |"
  echo "| parse + normalize + text (\`show\`) | same | $(ms show_text_100k) | \`wc -l\` | $(ms wc_100k) | $(ratio show_text_100k wc_100k) | $(mb show_text_100k) | |"
  echo "| \`show --format json\` | kube-proxy 100k, nft text, $(size_mb "$D/kp100k.nft") | $(ms show_json_nft_100k) | | | | $(mb show_json_nft_100k) | |"
  if [ -s "$D/kp100k.nft.json" ]; then
    echo "| \`show --format json\` | kube-proxy 100k, \`nft -j\` JSON, $(size_mb "$D/kp100k.nft.json") | $(ms show_json_nftjson_100k) | | | | $(mb show_json_nftjson_100k) | |"
  fi
  echo "| \`show --format json\` | kube-proxy 10k / 1k | $(ms show_json_10k) / $(ms show_json_1k) | | | | $(mb show_json_10k) / $(mb show_json_1k) | |"
  echo "| \`diff\` end to end, 1% of rules changed | 2 x kube-proxy 100k | $(ms nfdiff_diff_100k) | GNU \`diff -u\` | $(ms gnu_diff_100k) | $(ratio nfdiff_diff_100k gnu_diff_100k) | $(mb nfdiff_diff_100k) | $(mb gnu_diff_100k) |"
  echo "| live read, nf_tables | 100k rules (iptables-nft-restore) in \`unshare -n\` | $(live live_nfdiff_nft) | \`nft -j list ruleset\` | $(ms live_nft_json) | $(ratio live_nfdiff_nft live_nft_json) | $(mb live_nfdiff_nft) | $(mb live_nft_json) |"
  echo "| live read, nf_tables | same | | \`nft list ruleset\` | $(ms live_nft_text) | $(ratio live_nfdiff_nft live_nft_text) | | $(mb live_nft_text) |"
  echo "| live read, nf_tables | same | | \`iptables-nft-save\` | $(ms live_ipt_nft_save) | $(ratio live_nfdiff_nft live_ipt_nft_save) | | $(mb live_ipt_nft_save) |"
  echo "| live read, legacy | 100k rules (iptables-legacy-restore) in \`unshare -n\` | $(live live_nfdiff_legacy) | \`iptables-legacy-save\` | $(ms live_ipt_legacy_save) | $(ratio live_nfdiff_legacy live_ipt_legacy_save) | $(mb live_nfdiff_legacy) | $(mb live_ipt_legacy_save) |"
  echo "| trace, per packet (one \`TraceIndex\`, 2000 packets) | kube-proxy 100k | median $(kv "$TRACE_LINE" median_ms_per_packet) ms, mean $(kv "$TRACE_LINE" mean_ms_per_packet) ms, max $(kv "$TRACE_LINE" max_ms) ms ($(kv "$TRACE_LINE" packets_per_s) packets/s) | | | | | |"
  echo "| \`nfdiff trace\` end to end (parse + index + 1 packet) | kube-proxy 100k | $(ms trace_cli_100k) | | | | $(mb trace_cli_100k) | |"
  echo "| reach over all \`cali+\` classes (library, index built) | Calico 10k endpoints ($(size_mb "$D/calico10k.save")) | $(kv "$REACH_LINE" median_reach_ms) ms, $(kv "$REACH_LINE" classes) classes | | | | | |"
  echo "| \`nfdiff reach --iif 'cali+'\` end to end | same | $(ms reach_cli_calico10k) | | | | $(mb reach_cli_calico10k) | |"
  if [ -n "$(get reach_fffuu_forward 2)" ]; then
    echo "| \`nfdiff reach --iif '+' --oif '+'\` FORWARD, end to end | fffuu's 5,556-rule ruleset (corpus) | $(ms reach_fffuu_forward) (${FFFUU_CLASSES:-?}) | fffuu | not run (see below) | | $(mb reach_fffuu_forward) | |"
  fi
  echo "| \`show --format json\` | kube-proxy 1M, $(size_mb "$D/kp1m.save") | $(ms show_json_1m) | \`wc -l\` | $(ms wc_1m) | $(ratio show_json_1m wc_1m) | $(mb show_json_1m) | $(mb wc_1m) |"
  echo "| \`diff\` of 1M with itself | kube-proxy 1M | $(ms diff_1m) | | | | $(mb diff_1m) | |"
  echo "| \`nfdiff trace\` end to end | kube-proxy 1M | $(ms trace_cli_1m) | | | | $(mb trace_cli_1m) | |"
  echo "| \`nfdiff reach --iif 'eth+'\` end to end | kube-proxy 1M | $(ms reach_cli_1m) | | | | $(mb reach_cli_1m) | |"
  echo "| \`nfdiff doctor\` (offline, one dump) | kube-proxy 1M | $(ms doctor_1m) | | | | $(mb doctor_1m) | |"
  echo
  [ -n "$LIVE_NOTE" ] && { echo "Live rows: $LIVE_NOTE."; echo; }
  echo "Library figures: trace \`$TRACE_LINE\`; reach \`$REACH_LINE\`."
  echo
  echo "fffuu (the Haskell tool of the Iptables_Semantics project) is not run: it needs GHC and"
  echo "Hackage packages, and this machine has no Haskell toolchain and no route to Hackage. The"
  echo "fffuu figure quoted in issue 8 (~223 s for one FORWARD service matrix) is the issue's, not"
  if [ -r "$FFFUU_FILE" ]; then
    echo "measured here; the row above is nfdiff alone on the same ruleset."
  else
    echo "measured here. The corpus ($CORPUS) is absent, so nfdiff's row on that ruleset is missing too."
  fi
  echo
  echo "Goals (issue 8): parse + normalize + JSON of 100k <= 150 ms and peak RSS <= 3x input;"
  echo "diff within 4x of \`diff -u\`; trace < 1 ms/packet on 100k; reach of 10k-endpoint Calico < 1 s;"
  echo "live read >= 8x faster than \`iptables-nft-save\`."
  if [ "${SKIP_SPACE:-0}" != 1 ] && [ -s "$D/space/section.md" ]; then
    echo
    cat "$D/space/section.md"
  fi
  if [ "${SKIP_FLEET:-0}" != 1 ] && [ -s "$D/fleet/section.md" ]; then
    echo
    cat "$D/fleet/section.md"
  fi
} >"$ROOT/BENCHMARKS.md"
cat "$ROOT/BENCHMARKS.md"
