"""Structural checks of deploy/ that the Kubernetes schemas cannot make.

kubernetes-validate has no schemas for the Prometheus Operator's CRDs (ServiceMonitor,
PrometheusRule) nor for kustomize; this checks their shape by hand, and the cross-references
between the manifests: selectors match labels, the scrape port exists, alert expressions name
metrics `nfdiff serve` exports, and the DaemonSet's security settings are the ones promised.
Usage: python check-deploy.py DEPLOY_DIR SOURCE_FILE...  (sources: where metric names are written).
"""
import re
import sys

import yaml

deploy, sources = sys.argv[1], sys.argv[2:]
docs = {}
for name in ["namespace", "daemonset", "service", "servicemonitor", "prometheusrule", "kustomization"]:
    with open(f"{deploy}/{name}.yaml") as f:
        docs[name] = yaml.safe_load(f)
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)


ds, svc, sm, pr, kz = (docs[k] for k in ["daemonset", "service", "servicemonitor", "prometheusrule", "kustomization"])
pod = ds["spec"]["template"]
spec = pod["spec"]
(c,) = spec["containers"]
sc = c["securityContext"]
check(spec.get("hostNetwork") is True, "DaemonSet: hostNetwork")
check(sc["capabilities"] == {"drop": ["ALL"], "add": ["NET_ADMIN"]}, "DaemonSet: only NET_ADMIN added, ALL dropped")
check(sc.get("readOnlyRootFilesystem") is True, "DaemonSet: readOnlyRootFilesystem")
check(sc.get("privileged") is False and sc.get("allowPrivilegeEscalation") is False, "DaemonSet: not privileged")
check({"operator": "Exists"} in spec.get("tolerations", []), "DaemonSet: tolerates every taint")
check(set(c["resources"]) == {"requests", "limits"}, "DaemonSet: requests and limits")
mounts = {m["name"]: m for m in c["volumeMounts"]}
check(mounts.get("cgroup", {}).get("readOnly") is True and mounts["cgroup"]["mountPath"] == "/sys/fs/cgroup",
      "DaemonSet: cgroup (pids files) mounted read-only")
check(c["args"][:1] == ["serve"], "DaemonSet: runs nfdiff serve")
check(ds["spec"]["selector"]["matchLabels"].items() <= pod["metadata"]["labels"].items(), "DaemonSet: selector")
check(svc["spec"]["selector"].items() <= pod["metadata"]["labels"].items(), "Service selects the pods")
ports = {p["name"]: p for p in c["ports"]}
check(all(p["targetPort"] in ports for p in svc["spec"]["ports"]), "Service targetPort is a container port")

check(sm["apiVersion"] == "monitoring.coreos.com/v1" and sm["kind"] == "ServiceMonitor", "ServiceMonitor kind")
check(sm["spec"]["selector"]["matchLabels"].items() <= svc["metadata"]["labels"].items(), "ServiceMonitor selects the Service")
check(svc["metadata"]["namespace"] in sm["spec"]["namespaceSelector"]["matchNames"], "ServiceMonitor namespace")
svc_ports = {p["name"] for p in svc["spec"]["ports"]}
for ep in sm["spec"]["endpoints"]:
    check(ep["port"] in svc_ports, f"ServiceMonitor port {ep['port']} is a Service port")
    check(ep.get("path") == "/metrics", "ServiceMonitor path")
    check(set(ep) <= {"port", "path", "interval", "relabelings", "scheme", "scrapeTimeout"}, f"ServiceMonitor endpoint keys {set(ep)}")

check(pr["apiVersion"] == "monitoring.coreos.com/v1" and pr["kind"] == "PrometheusRule", "PrometheusRule kind")
known = set()
for path in sources:
    with open(path) as f:
        known |= set(re.findall(r"\bnfdiff_[a-z_]+", f.read()))
exprs = []
for g in pr["spec"]["groups"]:
    check(set(g) <= {"name", "rules", "interval"} and g["name"], "PrometheusRule group keys")
    for r in g["rules"]:
        check(set(r) <= {"alert", "expr", "for", "labels", "annotations"}, f"rule keys {set(r)}")
        check(bool(r.get("alert")) and bool(r.get("expr")), "rule has alert and expr")
        check(r["labels"]["severity"] in {"critical", "warning", "info"}, "rule severity")
        for m in re.findall(r"\bnfdiff_[a-z_]+", r["expr"]):
            check(m in known, f"alert {r['alert']}: metric {m} is exported by nfdiff serve")
        exprs.append(r["expr"])
check(any("nfdiff_doctor_finding_severity == 3" in e for e in exprs), "an alert on a critical doctor finding")
files = {f"{k}.yaml" for k in docs if k != "kustomization"}
check(set(kz["resources"]) == files, "kustomization lists every manifest")

if failures:
    for f in failures:
        print(f"check-deploy: FAILED: {f}")
    sys.exit(1)
print(f"check-deploy: ok ({len(docs)} manifests, {len(exprs)} alert rules, {len(known)} metric names known)")
