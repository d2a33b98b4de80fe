#!/usr/bin/env bash
# Validates deploy/ offline: the core manifests (Namespace, DaemonSet, Service) against the
# Kubernetes OpenAPI schemas of kubernetes-validate (strict: unknown fields are errors), for the
# oldest and newest Kubernetes it ships schemas for; the Prometheus Operator CRDs and kustomize,
# which it has no schemas for, structurally with scripts/check-deploy.py.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=target/deploy-venv
[ -x "$venv/bin/kubernetes-validate" ] || { echo "test-deploy: FAILED: $venv missing (bash scripts/setup.sh)" >&2; exit 1; }
for k in 1.25 1.37; do
  "$venv/bin/kubernetes-validate" --strict -k "$k" deploy/namespace.yaml deploy/daemonset.yaml deploy/service.yaml
done
"$venv/bin/python" scripts/check-deploy.py deploy \
  crates/nfdiff-cli/src/serve_metrics.rs crates/nfdiff-cli/src/render/doctor_prometheus.rs
echo "test-deploy: ok"
