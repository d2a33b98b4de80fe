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
# (libnftnl-dev) but NOT libmnl.a (libmnl-dev has only libmnl.so), and no libmnl source can be
# fetched on these machines; so this script compiles scripts/static/mnl-subset.c (our own code:
# the libmnl functions libnftnl and nfdiff call, against Debian's <libmnl/libmnl.h>) into
# target/static/mnl/libmnl.a. LIBMNL_STATIC_DIR=/dir/with/libmnl.a uses a real libmnl.a instead.
# NFDIFF_STATIC_NETLINK=0 builds without the netlink reader (`live:nft` then refused).
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-target/static/nfdiff}
target=x86_64-unknown-linux-gnu

[ -f /usr/lib/x86_64-linux-gnu/libnftnl.a ] || { echo "build-static: libnftnl.a missing (apt-get install libnftnl-dev)" >&2; exit 2; }
features=()
if [ "${NFDIFF_STATIC_NETLINK:-1}" = 0 ]; then
  features=(--no-default-features)
else
  mnl_dir=${LIBMNL_STATIC_DIR:-}
  if [ -z "$mnl_dir" ]; then
    mnl_dir=$PWD/target/static/mnl
    mkdir -p "$mnl_dir"
    cc -O2 -fPIE -Wall -Wextra -Werror -c scripts/static/mnl-subset.c -o "$mnl_dir/mnl-subset.o"
    rm -f "$mnl_dir/libmnl.a"
    ar rcs "$mnl_dir/libmnl.a" "$mnl_dir/mnl-subset.o"
  fi
  [ -f "$mnl_dir/libmnl.a" ] || { echo "build-static: no libmnl.a in $mnl_dir" >&2; exit 2; }
  nftnl_dir=$PWD/target/static/nftnl
  mkdir -p "$nftnl_dir"
  cp /usr/lib/x86_64-linux-gnu/libnftnl.a "$nftnl_dir/"
  # Directories holding only the .a files: the sys crates link them without pkg-config.
  export LIBNFTNL_LIB_DIR="$nftnl_dir" LIBMNL_LIB_DIR="$mnl_dir"
fi

# --target keeps +crt-static away from build scripts and proc macros (they stay dynamic).
# No debug info (the release profile has some): the binary is stripped anyway, and CI links faster.
CARGO_PROFILE_RELEASE_DEBUG=0 RUSTFLAGS="${RUSTFLAGS:-} -C target-feature=+crt-static" \
  cargo build --release --locked -p nfdiff-cli --target "$target" "${features[@]}"
mkdir -p "$(dirname "$out")"
cp "target/$target/release/nfdiff" "$out"
strip "$out"
if file "$out" | grep -q 'dynamically linked' && ! file "$out" | grep -q 'static-pie'; then
  echo "build-static: $out is dynamically linked" >&2; exit 1
fi
echo "build-static: $out ($(stat -c %s "$out") bytes): $(file -b "$out" | cut -d, -f1-4)"
