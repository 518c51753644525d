#!/usr/bin/env bash
# Builds the AdmissionReview fuzzer with clang (libFuzzer + AddressSanitizer) in its own build
# directory and runs it for a bounded time over seeds written here, at run time.
#   tests/fuzz/run.sh [SECONDS]      (default 60; FUZZ_BUILD_DIR overrides build-fuzz)
set -euo pipefail

seconds="${1:-60}"
repo="$(cd "$(dirname "$0")/../.." && pwd)"
build="${FUZZ_BUILD_DIR:-$repo/build-fuzz}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

command -v clang++ >/dev/null || { echo "clang++ is missing: run tests/install-deps.sh" >&2; exit 2; }

cmake -S "$repo" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ \
  -DCMAKE_CXX_FLAGS="-fsanitize=fuzzer-no-link,address -fno-omit-frame-pointer" \
  -DMLGITOPS_FUZZ=ON -DMLGITOPS_TESTS=ON -DMLGITOPS_BENCHMARKS=OFF >/dev/null
cmake --build "$build" --target fuzz_admission -j2
fuzzer="$(find "$build" -type f -name fuzz_admission -perm -u+x | head -n1)"

# Seeds: reviews of each shape the handler branches on, in both versions.
mkdir -p "$work/corpus"
review() {  # version operation object [extra request fields]
  printf '{"apiVersion":"admission.k8s.io/%s","kind":"AdmissionReview","request":{"uid":"u-1","kind":{"group":"","version":"v1","kind":"X"},"operation":"%s","namespace":"ml","object":%s%s}}' \
    "$1" "$2" "$3" "${4:-}"
}
objects=(
  '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c"}}'
  '{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"ml","labels":{"team":"x"}}}'
  '{"apiVersion":"batch/v1","kind":"Job","metadata":{"name":"t","annotations":{"argocd.argoproj.io/sync-wave":"x"}},"spec":{"backoffLimit":1}}'
  '{"apiVersion":"batch/v1","kind":"CronJob","metadata":{"name":"f","annotations":{"mlgitops.io/sla":"6h"}}}'
  '{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"r","labels":{"app.kubernetes.io/component":"model-server"}},"spec":{"template":{"spec":{"containers":[{"name":"s","ports":[{"containerPort":80}],"resources":{"requests":{"nvidia.com/gpu":1},"limits":{"nvidia.com/gpu":2}}}]}}}}'
  '{"apiVersion":"serving.kserve.io/v1beta1","kind":"InferenceService","metadata":{"name":"i"},"spec":{"predictor":{"model":{"storageUri":"s3://m"}}}}'
  '{"apiVersion":"argoproj.io/v1alpha1","kind":"Application","metadata":{"name":"a","annotations":{"mlgitops.io/create-namespace":"false"}},"spec":{"source":{"path":"../x"},"sources":[{"path":"/abs"}],"destination":{"namespace":"ml"},"syncPolicy":{"syncOptions":["PruneLast=true"],"managedNamespaceMetadata":{"labels":{}}}}}'
  '{"apiVersion":"mlgitops.io/v1alpha1","kind":"Application","metadata":{"name":"a","labels":{"mlgitops.io/role":"nope"}},"spec":{"syncPolicy":null}}'
)
n=0
for version in v1 v1beta1; do
  for object in "${objects[@]}"; do
    for operation in CREATE UPDATE; do
      review "$version" "$operation" "$object" > "$work/corpus/seed-$((n++))"
    done
  done
  review "$version" DELETE null ',"oldObject":{}' > "$work/corpus/seed-$((n++))"
  review "$version" CREATE "${objects[0]}" ',"dryRun":true,"subResource":"status"' > "$work/corpus/seed-$((n++))"
done

cat > "$work/admission.dict" <<'DICT'
"apiVersion"
"admission.k8s.io/v1"
"admission.k8s.io/v1beta1"
"AdmissionReview"
"request"
"uid"
"operation"
"CREATE"
"UPDATE"
"DELETE"
"CONNECT"
"dryRun"
"subResource"
"namespace"
"object"
"oldObject"
"metadata"
"labels"
"annotations"
"argocd.argoproj.io/sync-wave"
"argocd.argoproj.io/hook"
"helm.sh/hook-weight"
"mlgitops.io/role"
"mlgitops.io/sla"
"spec"
"syncPolicy"
"syncOptions"
"CreateNamespace=true"
"managedNamespaceMetadata"
"destination"
"source"
"sources"
"path"
"predictor"
"storageUri"
"containers"
"readinessProbe"
"resources"
"requests"
"limits"
"nvidia.com/gpu"
DICT

echo "fuzzing $fuzzer for ${seconds}s over $n seeds"
"$fuzzer" -max_total_time="$seconds" -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
  -dict="$work/admission.dict" -artifact_prefix="$build/" "$work/corpus" 2>&1 | tee "$work/log" | \
  grep -E "^#[0-9]+.*(INITED|DONE|pulse)|ERROR|SUMMARY|Done [0-9]+ runs" || true
if grep -qE "ERROR: (AddressSanitizer|libFuzzer)|SUMMARY: |deadly signal" "$work/log"; then
  echo "the fuzzer found a problem (artifact in $build/)" >&2
  exit 1
fi
