#!/usr/bin/env bash
# The demo: installs what is missing, builds kubectl-mlgitops, and runs render, plan, lint and
# health on the example ML platform in manifests/examples/ml-platform (no cluster needed).
set -euo pipefail
cd "$(dirname "$0")/.."
bash tests/install-deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$(nproc)" --target kubectl-mlgitops
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
