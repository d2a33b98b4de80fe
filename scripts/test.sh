#!/usr/bin/env bash
# The whole test suite, as README.md documents it and CI runs it.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh
cargo fmt --all -- --check
(cd fuzz && cargo fmt -- --check)
cargo clippy --workspace --all-targets -- -D warnings
RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps --quiet
log=$(mktemp)
trap 'rm -f "$log"' EXIT
cargo test --workspace 2>&1 | tee "$log"

# The static binary (glibc static-pie), run in an empty root inside a fresh namespace.
bash scripts/build-static.sh
bash scripts/test-static.sh
# Its FROM scratch image, run with only CAP_NET_ADMIN and a read-only root in a scratch netns.
bash scripts/build-image.sh
bash scripts/test-image.sh

# deploy/ against the Kubernetes schemas (offline) and its cross-references.
bash scripts/test-deploy.sh

# Fuzz smoke test: build every fuzz target (fuzz/, its own workspace) and run each briefly.
command -v cargo-fuzz >/dev/null 2>&1 || {
  echo "test: FAILED: cargo-fuzz is not installed (scripts/setup.sh installs it)" >&2
  exit 1
}
bash fuzz/run.sh "${FUZZ_SMOKE_SECONDS:-30}"

# One closing line for the whole run (every cargo test binary's counts added up).
awk '/^test result:/ { p += $4; f += $6 } END { printf "tests: %d passed, %d failed\n", p, f }' "$log"
