#!/usr/bin/env bash
# Installs what building and testing mlgitops needs on Debian 12, only when missing.
# kubectl is expected on PATH already (v1.32 here); Debian's own kubectl (1.20) is never installed.
set -euo pipefail

packages=(g++ cmake ninja-build pkg-config clang-format
          libcpp-httplib-dev libssl-dev libyaml-cpp-dev rapidjson-dev libgit2-dev
          libluajit-5.1-dev googletest libgtest-dev zlib1g-dev libbrotli-dev
          git openssh-server wrk tzdata
          clang libclang-rt-14-dev)  # the fuzzer (tests/fuzz/run.sh): libFuzzer + ASan runtimes
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
if ! command -v kubectl >/dev/null; then
  echo "note: kubectl is not on PATH; the plugin still builds, but 'kubectl mlgitops' and the" \
       "kustomize comparison in the benchmark need it" >&2
fi
