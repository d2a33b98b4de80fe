#!/usr/bin/env bash
# Builds one static `nfdiff` binary (no shared library, no dynamic loader): glibc static-pie.
#
#   bash scripts/build-static.sh [OUT]      default OUT: target/static/nfdiff
#
# Choice of C runtime: the only Rust target installed here (and in CI) is
# x86_64-unknown-linux-gnu; no rustup target (musl) can be downloaded on these machines, so the
# C runtime is glibc linked statically (`-C target-feature=+crt-static`, static-pie). nfdiff
# resolves no host names and loads no NSS modules, which are glibc's only dlopen paths.
#
# nf_tables over netlink (`live:nft`) needs libnftnl and libmnl. Debian 12 ships libnftnl.a
# (libnftnl-dev) but NOT libmnl.a (libmnl-dev has only libmnl.so), and its source package cannot
# be fetched here; so by default the static binary is built without the `netlink` feature:
# `live:nft` is refused with a clear message (exit 2), `live:legacy`, `live` (legacy half),
# dumps, snapshots, diff, trace, doctor and serve work. Where a libmnl.a exists, set
# LIBMNL_STATIC_DIR=/dir/with/libmnl.a to build the netlink reader in as well (libnftnl.a and
# libmnl.a linked statically through pkg-config's static mode).
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-target/static/nfdiff}
target=x86_64-unknown-linux-gnu

features=(--no-default-features)
if [ -n "${LIBMNL_STATIC_DIR:-}" ]; then
  [ -f "$LIBMNL_STATIC_DIR/libmnl.a" ] || { echo "build-static: no libmnl.a in $LIBMNL_STATIC_DIR" >&2; exit 2; }
  [ -f /usr/lib/x86_64-linux-gnu/libnftnl.a ] || { echo "build-static: libnftnl.a missing (apt-get install libnftnl-dev)" >&2; exit 2; }
  features=()
  export PKG_CONFIG_ALL_STATIC=1 LIBMNL_LIB_DIR="$LIBMNL_STATIC_DIR"
fi

# --target keeps +crt-static away from build scripts and proc macros (they stay dynamic).
RUSTFLAGS="${RUSTFLAGS:-} -C target-feature=+crt-static" \
  cargo build --release --locked -p nfdiff-cli --target "$target" "${features[@]}"
mkdir -p "$(dirname "$out")"
cp "target/$target/release/nfdiff" "$out"
strip "$out"
if file "$out" | grep -q 'dynamically linked' && ! file "$out" | grep -q 'static-pie'; then
  echo "build-static: $out is dynamically linked" >&2; exit 1
fi
echo "build-static: $out ($(stat -c %s "$out") bytes): $(file -b "$out" | cut -d, -f1-4)"
