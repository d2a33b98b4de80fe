#!/usr/bin/env bash
# Packet-space benchmark (issue 15): `nfdiff classes` and `nfdiff diff --semantic`.
#
#   bash scripts/bench-space.sh      # writes the "## Packet space" section into BENCHMARKS.md
#                                    # (scripts/bench.sh calls it with SPACE_SECTION_ONLY=1 and
#                                    # includes the section in the file it writes)
#   SPACE_RUNS=1                     # timed runs per row (default 3, median)
#   CORPUS=DIR                       # the public corpus (default ../shared/corpus)
#   SPACE_TIMEOUT=S                  # limit per library run (TUM, each semantic diff; default 120)
#   SPACE_FILE_TIMEOUT=S             # limit per corpus file in the sweep (default 10)
#
# Library rows (the engine through `examples/space_bench.rs`: parse + analysis, one run each,
# with a time limit) are measured whenever the engine builds;
# CLI rows, each only when this nfdiff has the command (`nfdiff help` lists `classes`, `nfdiff diff
# --help` lists `--semantic`), so the script works before and after the engine exists:
#   - the whole FORWARD class partition of the TUM 5,556-rule ruleset (corpus net-network);
#   - every iptables-save dump of the corpus (files with a `*filter` line): successes, total
#     and median time;
#   - a semantic diff of two kube-proxy-shaped 100k-rule rulesets, the second the same with 1%
#     of its rules changed (`nfdiff-gen --change-percent 1`), wall time and peak RSS.
# fffuu (Iptables_Semantics) is not run here (no Haskell toolchain); its published figures are
# quoted. No root needed.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
RUNS=${SPACE_RUNS:-3}
BIN=${SPACE_BIN:-$ROOT/target/release}
D=$ROOT/target/bench-data
WORK=$D/space
mkdir -p "$WORK"
command -v /usr/bin/time >/dev/null || { echo "bench-space: /usr/bin/time missing; run scripts/setup.sh" >&2; exit 1; }
[ "${SPACE_NO_BUILD:-0}" = 1 ] || cargo build --release -q -p nfdiff-cli -p rulegen
SPACE_TIMEOUT=${SPACE_TIMEOUT:-120}
SPACE_FILE_TIMEOUT=${SPACE_FILE_TIMEOUT:-10}
EX=$ROOT/target/release/examples/space_bench
HAVE_ENGINE=0
if cargo build --release -q -p netfilter-model --example space_bench 2>/dev/null; then HAVE_ENGINE=1; fi

CORPUS=${CORPUS:-$ROOT/../shared/corpus}
[ -d "$CORPUS" ] || CORPUS=$ROOT/../../shared/corpus
TUM=$CORPUS/net-network/configs_chair_for_Network_Architectures_and_Services/iptables-save-2016-06-27_16-29-01

HAVE_CLASSES=0
HAVE_SEMANTIC=0
"$BIN/nfdiff" help 2>/dev/null | grep -qE '^ +classes' && HAVE_CLASSES=1
"$BIN/nfdiff" diff --help 2>/dev/null | grep -q -- '--semantic' && HAVE_SEMANTIC=1

# timed KEY CMD... : median wall (s) and CPU (s) of RUNS runs, largest peak RSS (MB), exit
# status of the last run, into $WORK/KEY as "wall cpu rss status". Exit 1 (differences) is
# a result, not a failure.
timed() {
  local key=$1; shift
  local walls=() cpus=() rss=0 i w u s m st
  for ((i = 0; i < RUNS; i++)); do
    st=0
    /usr/bin/time -f '%e %U %S %M' -o "$WORK/$key.time" "$@" >"$WORK/$key.out" 2>"$WORK/$key.err" || st=$?
    read -r w u s m < <(tail -1 "$WORK/$key.time")
    walls+=("$w")
    cpus+=("$(awk -v u="$u" -v s="$s" 'BEGIN { printf "%.2f", u + s }')")
    [ "$m" -gt "$rss" ] && rss=$m
    [ "$st" -gt 1 ] && break
  done
  w=$(printf '%s\n' "${walls[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
  local c
  c=$(printf '%s\n' "${cpus[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
  echo "$w $c $((rss / 1024)) $st" >"$WORK/$key"
  echo "  $key: ${w} s wall, CPU ${c} s, peak RSS $((rss / 1024)) MB, exit $st" >&2
}
field() { awk -v n="$2" '{ print $n }' "$WORK/$1"; }
cell() { # "W s (CPU C s), exit S" or the failure
  local st; st=$(field "$1" 4)
  if [ "$st" = 124 ]; then echo "did not finish within $SPACE_TIMEOUT s"; return; fi
  if [ "$st" -gt 1 ]; then echo "failed (exit $st: $(head -c 120 "$WORK/$1.err" | tr '\n|' '  '))"; return; fi
  echo "$(field "$1" 1) s (CPU $(field "$1" 2) s), exit $st"
}

SECTION=$WORK/section.md
{
  echo "## Packet space (issue 15)"
  echo
  echo "Written by \`scripts/bench-space.sh\` (median of $RUNS runs; \`/usr/bin/time\`). fffuu is not"
  echo "run here (no Haskell toolchain on this machine): its figures are the published ones the"
  echo "issue quotes, 223 s for the TUM ruleset and 110 of 158 corpus runs succeeding."
  echo
} >"$SECTION"

# lib KEY LIMIT CMD... : one run under `timeout LIMIT` and /usr/bin/time; "$WORK/KEY" holds
# "wall rss status" and "$WORK/KEY.out" the example's key=value line.
lib() {
  local key=$1 limit=$2; shift 2
  local st=0
  /usr/bin/time -f '%e %M' -o "$WORK/$key.time" timeout "$limit" "$@" >"$WORK/$key.out" 2>"$WORK/$key.err" || st=$?
  read -r w m < <(tail -1 "$WORK/$key.time")
  echo "$w $((m / 1024)) $st" >"$WORK/$key"
  echo "  $key: ${w} s, peak RSS $((m / 1024)) MB, exit $st: $(cat "$WORK/$key.out")" >&2
}
kvo() { tr ' ' '\n' <"$WORK/$1.out" | awk -F= -v k="$2" '$1 == k { print $2 }'; }
libcell() { # the result of a lib row in words
  local st; st=$(field "$1" 3)
  if [ "$st" = 124 ]; then echo "did not finish within $2 s"; return; fi
  if [ "$st" != 0 ]; then echo "failed (exit $st: $(head -c 120 "$WORK/$1.err" | tr '\n|' '  '))"; return; fi
  echo "$(field "$1" 1) s"
}

echo "| task | input | nfdiff | peak RSS | fffuu (published) | goal |" >>"$SECTION"
echo "|---|---|---|---|---|---|" >>"$SECTION"
if [ "$HAVE_ENGINE" = 1 ]; then
  if [ -r "$TUM" ]; then
    echo "== engine: TUM FORWARD partition (limit $SPACE_TIMEOUT s)" >&2
    lib lib_tum "$SPACE_TIMEOUT" "$EX" partition "$TUM" forward
    extra=""
    [ "$(field lib_tum 3)" = 0 ] && extra=" ($(kvo lib_tum classes) classes, $(kvo lib_tum must) must; parse $(kvo lib_tum parse_ms) ms, partition $(kvo lib_tum partition_ms) ms)"
    echo "| engine: whole FORWARD partition (library, \`examples/space_bench partition\`) | TUM ruleset, 5,556 rules | $(libcell lib_tum "$SPACE_TIMEOUT")$extra | $(field lib_tum 2) MB | 223 s | < 2 s |" >>"$SECTION"
  fi
  if [ -d "$CORPUS/net-network" ]; then
    echo "== engine: every iptables-save dump of the corpus (limit $SPACE_FILE_TIMEOUT s each)" >&2
    : >"$WORK/lib-corpus.tsv"
    while IFS= read -r f; do
      lib lib_corpus_one "$SPACE_FILE_TIMEOUT" "$EX" partition "$f" forward 2>/dev/null
      printf '%s\t%s\t%s\t%s\n' "$(field lib_corpus_one 1)" "$(field lib_corpus_one 3)" "${f#"$CORPUS"/}" \
        "$(head -1 "$WORK/lib_corpus_one.err" | sed "s|^space_bench: $CORPUS/||" | cut -c1-160 | tr '\t|' '  ')" >>"$WORK/lib-corpus.tsv"
    done < <(grep -rlE $'^\\*filter\r?$' "$CORPUS/net-network" | sort)
    total=$(wc -l <"$WORK/lib-corpus.tsv")
    ok=$(awk -F'\t' '$2 == 0' "$WORK/lib-corpus.tsv" | wc -l)
    timeouts=$(awk -F'\t' '$2 == 124' "$WORK/lib-corpus.tsv" | wc -l)
    sum=$(awk -F'\t' '$2 == 0 { s += $1 } END { printf "%.1f", s }' "$WORK/lib-corpus.tsv")
    med=$(awk -F'\t' '$2 == 0 { print $1 }' "$WORK/lib-corpus.tsv" | sort -n | awk '{a[NR]=$1} END { print (NR ? a[int((NR+1)/2)] : "n/a") }')
    echo "  engine corpus: $ok of $total within $SPACE_FILE_TIMEOUT s, $timeouts over, total $sum s, median $med s" >&2
    echo "| engine: FORWARD partition of every corpus file with a \`*filter\` table (library) | $total files (net-network) | $ok of $total finish within $SPACE_FILE_TIMEOUT s ($timeouts over the limit, $((total - ok - timeouts)) not readable as iptables-save: listed below); of those, total $sum s, median $med s | | 110 of 158 runs succeed | every dump analysed |" >>"$SECTION"
    awk -F'\t' '$2 != 0 { print "  - `" $3 "`: " ($2 == 124 ? "over the limit" : "exit " $2 ": " $4) }' "$WORK/lib-corpus.tsv" >"$WORK/corpus-failures.md"
  fi
  echo "== engine: semantic diff, kube-proxy with 1% of rules changed (limit $SPACE_TIMEOUT s)" >&2
  for n in 1k 10k 100k; do
    rules=${n%k}000
    A=$D/kp$n.save
    B=$D/kp$n-sem1.save
    [ -s "$A" ] && [ "$A" -nt "$BIN/nfdiff-gen" ] || "$BIN/nfdiff-gen" --shape kube-proxy --rules "$rules" --seed 1 -o "$A"
    [ -s "$B" ] && [ "$B" -nt "$BIN/nfdiff-gen" ] ||
      "$BIN/nfdiff-gen" --shape kube-proxy --rules "$rules" --seed 1 --change-percent 1 -o "$B" 2>"$WORK/gen-$n.err"
    lib "lib_sem_$n" "$SPACE_TIMEOUT" "$EX" diff "$A" "$B" forward
    extra=""
    [ "$(field "lib_sem_$n" 3)" = 0 ] && extra=" (equivalent: $(kvo "lib_sem_$n" equivalent), $(kvo "lib_sem_$n" differing_classes) differing classes; parse $(kvo "lib_sem_$n" parse_ms) ms, diff $(kvo "lib_sem_$n" diff_ms) ms)"
    goal=""
    [ "$n" = 100k ] && goal="< 10 s, < 2 GB"
    echo "| engine: semantic diff, forward path (library, \`examples/space_bench diff\`) | 2 x kube-proxy $n, 1% of rules changed (\`nfdiff-gen --change-percent 1\`) | $(libcell "lib_sem_$n" "$SPACE_TIMEOUT")$extra | $(field "lib_sem_$n" 2) MB | (no such feature) | $goal |" >>"$SECTION"
    # Larger sizes only when the smaller one finished.
    [ "$(field "lib_sem_$n" 3)" = 0 ] || break
  done
else
  echo "| engine rows | | the packet-space engine (netfilter_model::space) is not in this build | | | |" >>"$SECTION"
fi
if [ "$HAVE_CLASSES" = 0 ] && [ "$HAVE_SEMANTIC" = 0 ]; then
  echo "bench-space: nfdiff has no classes / diff --semantic yet; no CLI rows" >&2
fi

if [ "$HAVE_CLASSES" = 1 ]; then
  if [ -r "$TUM" ]; then
    echo "== classes: TUM FORWARD partition" >&2
    timed tum_forward timeout "$SPACE_TIMEOUT" "$BIN/nfdiff" classes "$TUM" --path forward
    n=$(grep -cE '^(class|Class) ' "$WORK/tum_forward.out" || true)
    echo "| \`nfdiff classes --path forward\` (whole partition, text) | TUM ruleset, 5,556 rules (\`net-network/.../iptables-save-2016-06-27_16-29-01\`) | $(cell tum_forward) | $(field tum_forward 3) MB | 223 s | < 2 s |" >>"$SECTION"
    timed tum_forward_json timeout "$SPACE_TIMEOUT" "$BIN/nfdiff" classes "$TUM" --path forward --format json
    classes=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(len(d.get("classes", [])))' "$WORK/tum_forward_json.out" 2>/dev/null || echo "?")
    echo "| same, \`--format json\` ($classes classes) | same | $(cell tum_forward_json) | $(field tum_forward_json 3) MB | | |" >>"$SECTION"
  else
    echo "| TUM FORWARD partition | corpus absent ($CORPUS) | skipped | | 223 s | < 2 s |" >>"$SECTION"
    echo "bench-space: corpus not found at $CORPUS; TUM and corpus rows skipped" >&2
  fi
  if [ -d "$CORPUS/net-network" ]; then
    echo "== classes: every iptables-save dump of the corpus" >&2
    : >"$WORK/corpus.tsv"
    while IFS= read -r f; do
      st=0
      /usr/bin/time -f '%e %M' -o "$WORK/corpus.time" timeout "$SPACE_FILE_TIMEOUT" "$BIN/nfdiff" classes "$f" --path forward \
        >/dev/null 2>"$WORK/corpus.err" || st=$?
      printf '%s\t%s\t%s\n' "$(tail -1 "$WORK/corpus.time" | cut -d' ' -f1)" "$st" "${f#"$CORPUS"/}" >>"$WORK/corpus.tsv"
    done < <(grep -rlE $'^\\*filter\r?$' "$CORPUS/net-network" | sort)
    total=$(wc -l <"$WORK/corpus.tsv")
    ok=$(awk -F'\t' '$2 == 0' "$WORK/corpus.tsv" | wc -l)
    sum=$(awk -F'\t' '{ s += $1 } END { printf "%.1f", s }' "$WORK/corpus.tsv")
    med=$(cut -f1 "$WORK/corpus.tsv" | sort -n | awk '{a[NR]=$1} END { print a[int((NR+1)/2)] }')
    max=$(sort -n "$WORK/corpus.tsv" | tail -1 | awk -F'\t' '{ print $1 " s (" $3 ")" }')
    echo "  corpus: $ok of $total succeeded, total $sum s, median $med s, max $max" >&2
    echo "| \`nfdiff classes --path forward\` on every corpus file with a \`*filter\` table | $total files (net-network) | $ok of $total succeed (exit 0); total $sum s, median $med s, max $max | | 110 of 158 runs succeed | every dump analysed |" >>"$SECTION"
    awk -F'\t' '$2 != 0 { print "  - `" $3 "`: exit " $2 }' "$WORK/corpus.tsv" >"$WORK/cli-corpus-failures.md"
  fi
fi

if [ "$HAVE_SEMANTIC" = 1 ]; then
  echo "== diff --semantic: kube-proxy 100k vs the same with 1% changed" >&2
  A=$D/kp100k.save
  B=$D/kp100k-sem1.save
  [ -s "$A" ] && [ "$A" -nt "$BIN/nfdiff-gen" ] || "$BIN/nfdiff-gen" --shape kube-proxy --rules 100000 --seed 1 -o "$A"
  [ -s "$B" ] && [ "$B" -nt "$BIN/nfdiff-gen" ] ||
    "$BIN/nfdiff-gen" --shape kube-proxy --rules 100000 --seed 1 --change-percent 1 -o "$B" 2>"$WORK/gen.err"
  changed=$(grep -o 'changed [0-9]* of [0-9]* rules' "$WORK/gen.err" 2>/dev/null || echo "1% changed")
  timed sem_100k timeout "$SPACE_TIMEOUT" "$BIN/nfdiff" diff --semantic "$A" "$B"
  timed sem_100k_by_rule timeout "$SPACE_TIMEOUT" "$BIN/nfdiff" diff --semantic --by-rule "$A" "$B"
  timed sem_100k_same timeout "$SPACE_TIMEOUT" "$BIN/nfdiff" diff --semantic "$A" "$A"
  echo "| \`nfdiff diff --semantic\` | 2 x kube-proxy 100k, $changed (\`nfdiff-gen --change-percent 1\`) | $(cell sem_100k) | $(field sem_100k 3) MB | (no such feature) | < 10 s, < 2 GB |" >>"$SECTION"
  echo "| \`nfdiff diff --semantic --by-rule\` | same | $(cell sem_100k_by_rule) | $(field sem_100k_by_rule 3) MB | | < 10 s, < 2 GB |" >>"$SECTION"
  echo "| \`nfdiff diff --semantic\` of a ruleset with itself | kube-proxy 100k | $(cell sem_100k_same) | $(field sem_100k_same 3) MB | | |" >>"$SECTION"
fi

if [ -s "$WORK/corpus-failures.md" ]; then
  { echo; echo "Corpus files the engine did not partition within $SPACE_FILE_TIMEOUT s (or failed on):"; cat "$WORK/corpus-failures.md"; } >>"$SECTION"
fi
if [ -s "$WORK/cli-corpus-failures.md" ]; then
  { echo; echo "Corpus files where \`nfdiff classes\` did not exit 0:"; cat "$WORK/cli-corpus-failures.md"; } >>"$SECTION"
fi
{
  echo
  echo "Command: \`SPACE_RUNS=$RUNS SPACE_TIMEOUT=$SPACE_TIMEOUT SPACE_FILE_TIMEOUT=$SPACE_FILE_TIMEOUT bash scripts/bench-space.sh\` (or \`scripts/bench.sh\`, which includes it); nfdiff $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?'), $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPUs, load $(uptime | sed 's/.*load average: //')."
} >>"$SECTION"

[ "${SPACE_SECTION_ONLY:-0}" = 1 ] && exit 0
# Standalone: put the section into BENCHMARKS.md, replacing an older one, before the Fleet
# section (which bench-fleet.sh keeps last).
B=$ROOT/BENCHMARKS.md
if [ -f "$B" ]; then
  awk -v sec="$SECTION" '
    /^## Packet space/ { skip = 1; next }
    /^## / && skip { skip = 0 }
    /^## Fleet/ && !done { while ((getline l < sec) > 0) print l; print ""; done = 1 }
    !skip { print }
    END { if (!done) { print ""; while ((getline l < sec) > 0) print l } }
  ' "$B" >"$WORK/benchmarks.new"
  mv "$WORK/benchmarks.new" "$B"
else
  cp "$SECTION" "$B"
fi
cat "$SECTION"
