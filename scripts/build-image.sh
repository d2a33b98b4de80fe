#!/usr/bin/env bash
# Builds the nfdiff container image FROM scratch: one layer holding only the static binary
# (/nfdiff), entrypoint /nfdiff, default command `serve --listen 0.0.0.0:9431`. Nothing is
# pulled. Built with Debian's umoci into an OCI image layout (no daemon, no storage driver).
#
#   bash scripts/build-image.sh [BINARY] [LAYOUT]
#     BINARY default target/static/nfdiff (bash scripts/build-static.sh)
#     LAYOUT default target/image/nfdiff (OCI layout; tag 0.1.0)
#
# Push or load it with any OCI tool, e.g. `skopeo copy oci:target/image/nfdiff:0.1.0
# docker://REGISTRY/nfdiff:0.1.0` or `podman pull oci:target/image/nfdiff:0.1.0`.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-target/static/nfdiff}
layout=${2:-target/image/nfdiff}
tag=0.1.0
command -v umoci >/dev/null || { echo "build-image: umoci missing (apt-get install umoci)" >&2; exit 2; }
[ -x "$bin" ] || { echo "build-image: $bin missing (bash scripts/build-static.sh)" >&2; exit 2; }
if file "$bin" | grep -q 'dynamically linked'; then
  echo "build-image: $bin is dynamically linked; a scratch image needs the static binary" >&2; exit 2
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
rm -rf "$layout"
mkdir -p "$(dirname "$layout")"
umoci init --layout "$layout"
umoci new --image "$layout:$tag"
umoci unpack --rootless --image "$layout:$tag" "$work/bundle" >/dev/null
install -m 0755 "$bin" "$work/bundle/rootfs/nfdiff"
umoci repack --image "$layout:$tag" "$work/bundle"
umoci config --image "$layout:$tag" \
  --author "nfdiff" --os linux --architecture amd64 \
  --config.entrypoint /nfdiff \
  --config.cmd serve --config.cmd --listen --config.cmd 0.0.0.0:9431 \
  --config.exposedports 9431/tcp
umoci gc --layout "$layout"
echo "build-image: $layout:$tag ($(du -sb "$layout" | cut -f1) bytes): $(umoci ls --layout "$layout" | tr '\n' ' ')"
