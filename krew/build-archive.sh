#!/usr/bin/env bash
# Builds the linux/amd64 release archive for krew (binary + LICENSE + README) and writes the
# plugin manifest with its sha256. Usage: krew/build-archive.sh [BASE_URL]
# Test the result locally with:
#   kubectl krew install --manifest=build/krew/mlgitops.yaml --archive=build/krew/<archive>
set -euo pipefail
cd "$(dirname "$0")/.."
base_url=${1:-https://github.com/mlgitops/kubectl-mlgitops/releases/download}
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build --target kubectl-mlgitops -j"$(nproc)"
version="v$(./build/bin/kubectl-mlgitops version -o json | sed -n 's/.*"version":"\([^"]*\)".*/\1/p')"
out=build/krew
stage=$out/stage
rm -rf "$stage" && mkdir -p "$stage"
cp build/bin/kubectl-mlgitops "$stage/"
cp /usr/share/common-licenses/Apache-2.0 "$stage/LICENSE"
cp README.md "$stage/"
archive="kubectl-mlgitops_${version}_linux_amd64.tar.gz"
tar -C "$stage" -czf "$out/$archive" kubectl-mlgitops LICENSE README.md
sha=$(sha256sum "$out/$archive" | cut -d' ' -f1)
sed -e "s|@VERSION@|$version|" -e "s|@URI@|$base_url/$version/$archive|" -e "s|@SHA256@|$sha|" \
  krew/mlgitops.yaml.in > "$out/mlgitops.yaml"
echo "archive:  $out/$archive"
echo "manifest: $out/mlgitops.yaml (sha256 $sha)"
