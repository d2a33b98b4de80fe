#!/usr/bin/env bash
# Seeds fuzz/corpus/<target>/ from testdata/ and ../shared/corpus/ (read at run time; the corpus
# directory is gitignored, so nothing copied here is ever committed). Safe to run again: files are
# named by their content's hash, so a re-run adds nothing twice.
#
# Usage: bash fuzz/seed.sh            # all targets
#        bash fuzz/seed.sh nft_text   # one target
set -euo pipefail
cd "$(dirname "$0")"
repo=..
# NFDIFF_CORPUS is what the tests read (a worktree is not next to shared/).
shared=${NFDIFF_SHARED_CORPUS:-${NFDIFF_CORPUS:-$repo/../shared/corpus}}
max_bytes=${SEED_MAX_BYTES:-262144}   # larger files slow every run and add little

# kind FILE -> netlink_payload | iptables | nft_text | nft_json | none, from the file's content.
kind() {
  local f=$1
  if LC_ALL=C grep -qE '^  \[ (payload|meta|cmp|immediate) ' "$f"; then
    echo netlink_payload
  elif head -c 4096 "$f" | LC_ALL=C grep -qE '^[[:space:]]*[{[]'; then
    echo nft_json
  elif LC_ALL=C grep -qE '^(\*(filter|nat|mangle|raw|security)|:[A-Za-z0-9_-]+ |-A |COMMIT)' "$f"; then
    echo iptables
  elif LC_ALL=C grep -qE '^[[:space:]]*(table|add table|flush ruleset)[[:space:]]' "$f"; then
    echo nft_text
  else
    echo none
  fi
}

add() { # add TARGET FILE
  local dir=corpus/$1 f=$2
  mkdir -p "$dir"
  cp "$f" "$dir/$(sha1sum "$f" | cut -c1-40)"
}

targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=(iptables_save nft_text nft_json roundtrip_iptables_save trace_and_diff netlink_delinearize)
wants() { local t; for t in "${targets[@]}"; do [ "$t" = "$1" ] && return 0; done; return 1; }

sources=("$repo/testdata")
if [ -d "$shared" ]; then sources+=("$shared"); else
  echo "seed: $shared not found; seeding from testdata/ only" >&2
fi

declare -A count=()
seed_to() { # seed_to FILE TARGET... : adds FILE to each wanted TARGET
  local f=$1 t; shift
  for t in "$@"; do
    if wants "$t"; then add "$t" "$f"; count[$t]=$(( ${count[$t]:-0} + 1 )); fi
  done
}
while IFS= read -r -d '' f; do
  [ "$(stat -c %s "$f")" -le "$max_bytes" ] || continue
  case "$(kind "$f")" in
    iptables) seed_to "$f" iptables_save roundtrip_iptables_save trace_and_diff ;;
    nft_text) seed_to "$f" nft_text trace_and_diff ;;
    nft_json) seed_to "$f" nft_json trace_and_diff ;;
    netlink_payload)
      seed_to "$f" netlink_delinearize
      # Each rule (a blank-line separated block, with the sets before it) as a seed too.
      if wants netlink_delinearize; then
        tmp=$(mktemp -d)
        awk -v dir="$tmp" 'BEGIN { n = 0 } /^$/ { n++; next } { print > (dir "/" n) }' "$f"
        for b in "$tmp"/*; do
          [ -f "$b" ] && seed_to "$b" netlink_delinearize
        done
        rm -rf "$tmp"
      fi
      ;;
    none) ;;
  esac
done < <(find "${sources[@]}" -type f ! -name '*.md' ! -name '*.py' ! -name '*.sh' ! -name '*.snap' -print0)

for t in "${targets[@]}"; do
  echo "seed: $t: ${count[$t]:-0} files -> fuzz/corpus/$t/"
done
