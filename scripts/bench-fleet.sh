#!/usr/bin/env bash
# Fleet benchmark (issue 18): `nfdiff fleet` on FLEET_NODES Calico-shaped node snapshots of
# FLEET_RULES rules each, side by side with merely reading them, and on their fingerprints.
#
#   bash scripts/bench-fleet.sh                 # 1000 x 10k rules; writes the "## Fleet" section
#                                               # of BENCHMARKS.md (scripts/bench.sh calls it too)
#   FLEET_NODES=100 bash scripts/bench-fleet.sh # smaller
#   FLEET_RUNS=1                                # timed runs per row (default 3, median)
#
# The snapshots are generated once (`nfdiff-gen --fleet`, seed 1) into FLEET_DIR (default
# /tmp/nfdiff-fleet-NxR, about 1.3 GB for 1000 x 10k) and kept for later runs. No root needed.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
N=${FLEET_NODES:-1000}
R=${FLEET_RULES:-10000}
RUNS=${FLEET_RUNS:-3}
DIR=${FLEET_DIR:-/tmp/nfdiff-fleet-${N}x${R}}
BIN=$ROOT/target/release
WORK=$ROOT/target/bench-data/fleet
mkdir -p "$WORK"
command -v /usr/bin/time >/dev/null || { echo "bench-fleet: /usr/bin/time missing; run scripts/setup.sh" >&2; exit 1; }
[ "${FLEET_NO_BUILD:-0}" = 1 ] || cargo build --release -q -p nfdiff-cli -p rulegen

GEN_NOTE="generated earlier"
if [ ! -e "$DIR/.complete" ] || [ "$BIN/nfdiff-gen" -nt "$DIR/.complete" ]; then
  echo "== generating $N node snapshots of ~$R rules into $DIR" >&2
  rm -rf "$DIR"
  t0=$(date +%s%N)
  "$BIN/nfdiff-gen" --shape calico --fleet "$N" --rules "$R" --seed 1 -o "$DIR" --manifest "$DIR/.manifest"
  t1=$(date +%s%N)
  GEN_NOTE="generated in $(awk -v n=$((t1 - t0)) 'BEGIN { printf "%.1f", n / 1e9 }') s"
  touch "$DIR/.complete"
fi
SIZE=$(du -sm --exclude=.manifest "$DIR" | cut -f1)
RULES=$(cat "$DIR"/node-*.json | grep -o '\\n-A ' | wc -l)

# timed KEY CMD... : median wall (s) and CPU (s) of RUNS runs, largest peak RSS (MB), into $WORK/KEY.
timed() {
  local key=$1; shift
  local walls=() cpus=() rss=0 i w c m
  for ((i = 0; i < RUNS; i++)); do
    /usr/bin/time -f '%e %U %S %M' -o "$WORK/$key.time" "$@" >/dev/null 2>"$WORK/$key.err" || true
    read -r w u s m < <(tail -1 "$WORK/$key.time")
    walls+=("$w")
    cpus+=("$(awk -v u="$u" -v s="$s" 'BEGIN { printf "%.2f", u + s }')")
    [ "$m" -gt "$rss" ] && rss=$m
  done
  w=$(printf '%s\n' "${walls[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
  c=$(printf '%s\n' "${cpus[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
  printf '%s s (CPU %s s) | %s MB' "$w" "$c" "$((rss / 1024))" >"$WORK/$key"
  echo "  $key: $(cat "$WORK/$key")" >&2
}
row() { cat "$WORK/$1"; }

echo "== measuring ($RUNS runs each)" >&2
timed read_cat bash -c "cat '$DIR'/node-*.json"
timed fleet2 "$BIN/nfdiff" fleet "$DIR"
timed fleet1 "$BIN/nfdiff" fleet --jobs 1 "$DIR"
timed tar_cat bash -c "tar cf - -C '$DIR' . | cat"
timed tar_fleet bash -c "tar cf - -C '$DIR' . | '$BIN/nfdiff' fleet -"
"$BIN/nfdiff" fleet "$DIR" --save-fingerprints "$WORK/fingerprints.jsonl" >"$WORK/report.txt" || true
for i in 0 1 2 3 4 5 6 7 8 9; do
  sed "s/\"node\":\"node-/\"node\":\"copy$i-node-/" "$WORK/fingerprints.jsonl"
done >"$WORK/fingerprints-x10.jsonl"
timed fp1 "$BIN/nfdiff" fleet "$WORK/fingerprints.jsonl"
timed fp10 "$BIN/nfdiff" fleet "$WORK/fingerprints-x10.jsonl"
FP_KB=$(($(stat -c %s "$WORK/fingerprints.jsonl") / 1024))
FP10_KB=$(($(stat -c %s "$WORK/fingerprints-x10.jsonl") / 1024))
SUMMARY="$(head -1 "$WORK/report.txt") $(sed -n 2p "$WORK/report.txt" | cut -d: -f1,2)."

SECTION=$WORK/section.md
{
  echo "## Fleet (\`nfdiff fleet\`, issue 18)"
  echo
  echo "Written by \`scripts/bench-fleet.sh\` (\`scripts/bench.sh\` runs it): median of $RUNS runs, peak RSS the"
  echo "largest of them (for a pipeline, of its largest process). $N Calico-shaped node snapshots from"
  echo "\`nfdiff-gen --shape calico --fleet $N --rules $R --seed 1\` in \`$DIR\` ($GEN_NOTE):"
  echo "$SIZE MB, $RULES rules in all (stale nodes hold two copies). The page cache holds them (warm)."
  echo
  echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC'); machine: $(nproc) CPUs, load average at the end: $(uptime | sed 's/.*load average: //')"
  echo "- nfdiff $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?'); its verdict: $SUMMARY"
  echo
  echo "| task | input | wall (CPU) | peak RSS |"
  echo "|---|---|---|---|"
  echo "| read them, nothing more (\`cat\` of every file) | $N snapshots, $SIZE MB | $(row read_cat) |"
  echo "| \`nfdiff fleet DIR\` (2 workers: parse, fingerprint, doctor per node) | same | $(row fleet2) |"
  echo "| \`nfdiff fleet --jobs 1 DIR\` | same | $(row fleet1) |"
  echo "| \`tar cf - \| cat\` (the stream alone) | same, as one tar stream | $(row tar_cat) |"
  echo "| \`tar cf - \| nfdiff fleet -\` | same | $(row tar_fleet) |"
  echo "| \`nfdiff fleet FILE\` on fingerprints (\`--save-fingerprints\`) | $N nodes, $FP_KB KB of JSON Lines | $(row fp1) |"
  echo "| \`nfdiff fleet FILE\` on fingerprints | 10x the same nodes renamed: $((N * 10)) nodes, $FP10_KB KB | $(row fp10) |"
  echo
  echo "Goal (issue 18): 1,000 Calico-shaped node snapshots of 10k rules each in < 30 s and < 1 GB peak"
  echo "on this 2-core machine."
} >"$SECTION"

if [ -n "${FLEET_SECTION_ONLY:-}" ]; then
  exit 0
fi
# Standalone: replace the Fleet section of BENCHMARKS.md (it is the file's last section).
B=$ROOT/BENCHMARKS.md
if [ -f "$B" ]; then
  awk '/^## Fleet/ { exit } { print }' "$B" >"$WORK/benchmarks.head"
  { cat "$WORK/benchmarks.head"; cat "$SECTION"; } >"$B"
else
  cp "$SECTION" "$B"
fi
cat "$SECTION"
