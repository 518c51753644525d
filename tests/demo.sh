#!/usr/bin/env bash
# The demo: installs what is missing, builds kubectl-mlgitops and kubesim, runs render, plan,
# lint and health on the example ML platform (manifests/examples/ml-platform), then syncs it from
# a Git repository into kubesim, the local API server (no cluster needed).
set -euo pipefail
cd "$(dirname "$0")/.."
bash tests/install-deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$(nproc)" --target kubectl-mlgitops kubesim
export PATH="$PWD/build/bin:$PATH"
ex=manifests/examples/ml-platform
step() { printf '\n\033[1m$ %s\033[0m\n' "$*"; "$@" || echo "(exit code $?)"; }
if command -v kubectl >/dev/null; then k="kubectl mlgitops"; else k="kubectl-mlgitops"; fi
step $k version
step $k render -f $ex/app.yaml --local $ex/manifests
step $k plan -f $ex/app.yaml --local $ex/manifests --offline
step $k lint $ex/manifests
step $k lint manifests/examples/lint-failures
step $k health -f $ex/snapshots/cluster-state.yaml --at 2026-11-26T12:00:00Z

# GitOps against kubesim: a Git repository holding the platform, synced wave by wave.
work=$(mktemp -d)
kubesim_pid=""
cleanup() {
  if [ -n "$kubesim_pid" ]; then kill "$kubesim_pid" 2>/dev/null; wait "$kubesim_pid" 2>/dev/null; fi
  rm -rf "$work"
}
trap cleanup EXIT
mkdir -p "$work/repo/platform"
cp $ex/manifests/*.yaml "$work/repo/platform/"
git -C "$work/repo" init -q -b main
git -C "$work/repo" add .
git -C "$work/repo" -c user.name=demo -c user.email=demo@example.com commit -qm "ML platform"
cat >"$work/app.yaml" <<EOF
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata: {name: ml-platform, namespace: default}
spec:
  project: default
  source: {repoURL: "file://$work/repo", targetRevision: main, path: platform}
  destination: {server: "https://kubernetes.default.svc", namespace: ml-platform}
  syncPolicy:
    syncOptions: [CreateNamespace=true]
EOF
./build/bin/kubesim --port 0 --kubeconfig "$work/kubeconfig" 2>"$work/kubesim.log" &
kubesim_pid=$!
for _ in $(seq 100); do [ -s "$work/kubeconfig" ] && break; sleep 0.1; done
export KUBECONFIG="$work/kubeconfig"
# The ML operators' CRDs (Kubeflow, KServe, Prometheus) a real cluster would have installed.
kubectl apply --server-side -f tests/fixtures/kubesim/ml-crds.yaml >/dev/null
step $k sync -f "$work/app.yaml" --cache-dir "$work/cache"
step kubectl -n ml-platform scale deployment ranker --replicas=5
step $k diff -f "$work/app.yaml" --cache-dir "$work/cache"
step $k sync -f "$work/app.yaml" --cache-dir "$work/cache" --resource apps/Deployment/ranker
step $k get -f "$work/app.yaml" --cache-dir "$work/cache"
step $k history -f "$work/app.yaml"
