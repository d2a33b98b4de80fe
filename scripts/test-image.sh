#!/usr/bin/env bash
# Runs the image of scripts/build-image.sh the way deploy/daemonset.yaml runs it, with runc
# (OCI runtime): in the network namespace of a scratch netns (standing in for the node's host
# network), with only CAP_NET_ADMIN, a read-only root, the host's /sys/fs/cgroup read-only, and
# its default command but listening on the netns loopback. Then scrapes it from inside that
# netns. Needs root, umoci and runc; never touches the host's ruleset.
#
#   bash scripts/test-image.sh [LAYOUT]     default target/image/nfdiff
set -euo pipefail
cd "$(dirname "$0")/.."
layout=$(realpath "${1:-target/image/nfdiff}")
for t in umoci runc python3; do
  command -v $t >/dev/null || { echo "test-image: FAILED: $t missing (scripts/setup.sh)" >&2; exit 1; }
done
work=$(mktemp -d)
ns=""
cleanup() {
  runc --root "$work/state" delete -f nfdiff-test >/dev/null 2>&1 || true
  [ -n "$ns" ] && kill "$ns" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
umoci unpack --image "$layout:0.1.0" "$work/bundle" >/dev/null

# The scratch "node" network namespace, held open by a sleeping process; a rule in it.
unshare -n sh -c 'ip link set lo up && nft add table ip node && exec sleep 600' &
ns=$!
for _ in $(seq 100); do
  [ "$(readlink /proc/$ns/ns/net)" != "$(readlink /proc/self/ns/net)" ] && break; sleep 0.05
done

python3 - "$work/bundle/config.json" "/proc/$ns/ns/net" <<'PY'
import json, sys
path, netns = sys.argv[1], sys.argv[2]
c = json.load(open(path))
p = c["process"]
p["terminal"] = False
p["args"] = ["/nfdiff", "serve", "--listen", "127.0.0.1:9431"]
p["user"] = {"uid": 0, "gid": 0}
p["noNewPrivileges"] = True
caps = ["CAP_NET_ADMIN"]
p["capabilities"] = {k: caps for k in ["bounding", "effective", "permitted"]}
p["capabilities"]["inheritable"] = []
p["capabilities"]["ambient"] = []
c["root"]["readonly"] = True
# This machine's cgroups are a v1/v2 hybrid (crun refuses it): no cgroup mount or namespace
# and no resources for the container (the DaemonSet's limits are the kubelet's business).
c["mounts"] = [m for m in c["mounts"] if m["type"] != "cgroup"]
c["linux"].pop("resources", None)
c["linux"].pop("cgroupsPath", None)
c["linux"]["namespaces"] = [n for n in c["linux"]["namespaces"] if n["type"] != "cgroup"]
# The host's cgroup tree read-only where the DaemonSet mounts it (the doctor's pids files).
c["mounts"].append({"destination": "/sys/fs/cgroup", "type": "bind",
                    "source": "/sys/fs/cgroup", "options": ["rbind", "ro"]})
ls = c["linux"]
ls["namespaces"] = [n for n in ls["namespaces"] if n["type"] != "network"]
ls["namespaces"].append({"type": "network", "path": netns})
json.dump(c, open(path, "w"), indent=1)
PY

runc --root "$work/state" run --bundle "$work/bundle" --detach nfdiff-test 2>"$work/server.err"
echo "test-image: running $(runc --root "$work/state" state nfdiff-test | python3 -c 'import json,sys; s=json.load(sys.stdin); print(s["status"], "pid", s["pid"])')"
pid=$(runc --root "$work/state" state nfdiff-test | python3 -c 'import json,sys; print(json.load(sys.stdin)["pid"])')
echo "test-image: capabilities of the server: $(grep -E '^Cap(Eff|Bnd)' /proc/$pid/status | tr '\t\n' '  ')"
[ "$(awk '/^CapEff/ {print $2}' /proc/$pid/status)" = "0000000000001000" ] \
  || { echo "test-image: FAILED: effective capabilities are not CAP_NET_ADMIN alone" >&2; exit 1; }

nsenter --net=/proc/$ns/ns/net python3 - <<'PY'
import sys, time, urllib.request, urllib.error
def get(path, method="GET"):
    req = urllib.request.Request("http://127.0.0.1:9431" + path, method=method)
    try:
        with urllib.request.urlopen(req, timeout=5) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()
for _ in range(100):
    try:
        status, metrics = get("/metrics")
        if "nfdiff_reads_total" in metrics and "nfdiff_reads_total 0" not in metrics:
            break
    except OSError:
        pass
    time.sleep(0.1)
else:
    sys.exit("test-image: FAILED: no read published on /metrics within 10 s")
health = get("/healthz")
print("test-image: /metrics", status, [l for l in metrics.splitlines() if l.startswith(("nfdiff_up", "nfdiff_reads_total", "nfdiff_read_errors_total", "nfdiff_nftables_subscribed"))])
print("test-image: /healthz", health[0], health[1].strip()[:300])
assert get("/nope")[0] == 404 and get("/metrics", "POST")[0] == 405
assert "nfdiff_nftables_subscribed 1" in metrics, metrics
# Without the netlink reader (no libmnl.a) and without *-save binaries in a scratch image, a
# read cannot list nf_tables: that must be said on /healthz and in nfdiff_up, not hidden.
if "nfdiff_up 1" not in metrics.splitlines():
    assert health[0] == 503 and "netlink" in health[1], health
    print("test-image: NOTE: reads fail in this image (no nf_tables reader in the static binary)")
else:
    assert health[0] == 200, health
    assert 'nfdiff_rules{backend="nft",family="ip",table="node"} 0' in metrics, metrics
    # A change in the "node" namespace reaches the container's reader (NFNLGRP_NFTABLES).
    import subprocess
    subprocess.run(["nft", "add chain ip node c; add rule ip node c tcp dport 22 accept"], check=True)
    t0 = time.time()
    while time.time() - t0 < 5:
        if 'nfdiff_rules{backend="nft",family="ip",table="node"} 1' in get("/metrics")[1]:
            print(f"test-image: nf_tables change seen in /metrics after {time.time() - t0:.3f} s")
            break
        time.sleep(0.02)
    else:
        sys.exit("test-image: FAILED: the change did not reach /metrics within 5 s")
PY
echo "test-image: ok"
