#!/usr/bin/env bash
# Installs nfdiff with its shell completions and man page under PREFIX (default /usr/local).
# Usage: bash scripts/install.sh [PREFIX]
# NFDIFF_BIN=path/to/nfdiff skips the build and installs that binary instead.
set -euo pipefail
prefix="${1:-/usr/local}"
cd "$(dirname "$0")/.."
if [ -n "${NFDIFF_BIN:-}" ]; then
  install -D -m 0755 "$NFDIFF_BIN" "$prefix/bin/nfdiff"
else
  cargo install --locked --path crates/nfdiff-cli --root "$prefix"
fi
bin="$prefix/bin/nfdiff"
install -d "$prefix/share/bash-completion/completions" "$prefix/share/zsh/site-functions" \
  "$prefix/share/fish/vendor_completions.d" "$prefix/share/man/man1"
"$bin" completions bash > "$prefix/share/bash-completion/completions/nfdiff"
"$bin" completions zsh > "$prefix/share/zsh/site-functions/_nfdiff"
"$bin" completions fish > "$prefix/share/fish/vendor_completions.d/nfdiff.fish"
"$bin" man > "$prefix/share/man/man1/nfdiff.1"
echo "installed $bin, its completions (bash, zsh, fish) and man page under $prefix"
