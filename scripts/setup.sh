#!/usr/bin/env bash
# Installs the system packages nfdiff builds and tests with (Debian/Ubuntu).
# Safe to run again; does nothing to the host's netfilter ruleset.
set -euo pipefail

packages=(
  pkg-config libmnl-dev libnftnl-dev   # live nf_tables reader (feature "netlink")
  iptables nftables ipset iproute2     # stock tools the kernel tests compare against
  util-linux mount                     # unshare, setpriv; mount (legacy test hides a binary)
  time                                 # /usr/bin/time -v: peak memory in scripts/bench.sh
  python3-minimal                      # sends probe packets in the kernel trace tests (stdlib only)
  python3-venv                         # venv of kubernetes-validate (deploy/ manifest checks)
  file umoci runc                      # static-binary check; scratch image built and run as the DaemonSet runs it
  graphviz                            # dot -Tsvg renders the --format dot outputs in the tests
  chromium                            # headless browser test of the --format html reports
  man-db groff-base                   # man -l renders the generated man page in the tests
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done

if [ ${#missing[@]} -gt 0 ]; then
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then sudo="sudo"; else
      echo "setup: need root to install: ${missing[*]}" >&2; exit 1
    fi
  fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

command -v cargo >/dev/null 2>&1 || { echo "setup: cargo not found; install Rust (rustup) first" >&2; exit 1; }

# cargo-fuzz builds and runs the fuzz targets (fuzz/, smoke-tested by scripts/test.sh). It comes
# from crates.io; it needs no nightly toolchain here (fuzz/run.sh sets RUSTC_BOOTSTRAP=1).
if ! command -v cargo-fuzz >/dev/null 2>&1; then
  echo "setup: installing cargo-fuzz (cargo install cargo-fuzz --locked)"
  cargo install cargo-fuzz --locked || {
    echo "setup: FAILED to install cargo-fuzz; the fuzz smoke test cannot run" >&2
    exit 1
  }
fi

# kubernetes-validate (PyPI) checks deploy/ against the Kubernetes schemas offline
# (scripts/test-deploy.sh); it lives in a venv inside target/, never in the system Python.
venv="$(dirname "$0")/../target/deploy-venv"
if [ ! -x "$venv/bin/kubernetes-validate" ]; then
  echo "setup: installing kubernetes-validate into target/deploy-venv"
  python3 -m venv "$venv" && "$venv/bin/pip" install -q kubernetes-validate || {
    echo "setup: FAILED to install kubernetes-validate; deploy/ cannot be validated" >&2
    exit 1
  }
fi
