#!/usr/bin/env bash
# Feeds the local control plane that `make run` started with sample results
# from the shared fixtures, then shows the events zen-watcher made of them.
# Run it in a second terminal while `make run` is running.
set -euo pipefail
cd "$(dirname "$0")/.."

kubeconfig=${KUBECONFIG:-.run/kubeconfig}
fixtures=${FIXTURES:-../shared/fixtures}
kubectl=(bin/k8s/kubectl --kubeconfig "$kubeconfig")

if [[ ! -f $kubeconfig ]]; then
  echo "demo: no $kubeconfig; start the local control plane with 'make run' first" >&2
  exit 1
fi
if [[ ! -d $fixtures ]]; then
  echo "demo: no fixtures at $fixtures; set FIXTURES to the shared fixtures folder" >&2
  exit 1
fi

# apply_results NAMESPACE NAME LABEL FILE [ANNOTATION]: a results ConfigMap as the tool's Job leaves
# it, labelled and annotated in the same write, so zen-watcher never sees it half-made.
apply_results() {
  local ns=$1 name=$2 label=$3 file=$4 annotation=${5:-zen.kube-zen.io/demo=true}
  "${kubectl[@]}" create namespace "$ns" --dry-run=client -o yaml | "${kubectl[@]}" apply -f - >/dev/null
  "${kubectl[@]}" -n "$ns" create configmap "$name" --from-file=results.json="$file" --dry-run=client -o yaml |
    "${kubectl[@]}" label --local -f - "$label" -o yaml |
    "${kubectl[@]}" annotate --local -f - "$annotation" -o yaml |
    "${kubectl[@]}" apply -f - >/dev/null
  echo "demo: applied $ns/$name from $file"
}

apply_results kube-bench kube-bench-node-a app=kube-bench "$fixtures/kube-bench/full_run_cis-1.6_wg-policy-sample.json" zen.kube-zen.io/node=node-a
apply_results checkov checkov-shop app=checkov "$fixtures/checkov/kubernetes_single_framework.json"
apply_results checkov checkov-repo app=checkov "$fixtures/checkov/multi_framework_list.json"

echo "demo: waiting for events"
sleep 5
"${kubectl[@]}" get zae -A --sort-by=.spec.severity
