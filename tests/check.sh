#!/usr/bin/env bash
# The test command: installs what is missing, builds everything with AddressSanitizer and
# UndefinedBehaviorSanitizer, checks formatting, runs every test, then fuzzes the admission
# handler for a bounded time. Run from anywhere.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tests/install-deps.sh

# Formatting is part of the build contract (.clang-format, Google base).
mapfile -t sources < <(git ls-files '*.cc' '*.h' 2>/dev/null || find shared plugin webhook tests -name '*.cc' -o -name '*.h')
clang-format --dry-run --Werror "${sources[@]}"

build=${MLGITOPS_CHECK_BUILD:-build-check}
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Debug -DMLGITOPS_SANITIZE=ON >/dev/null
cmake --build "$build" -j"$(nproc)"
cmake --build "$build" --target mlgitops_bench -j"$(nproc)"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
cd "$build"
ctest --output-on-failure -j"$(nproc)" --timeout 300
cd ..
# A bounded fuzzing run of the AdmissionReview handler (clang, libFuzzer + AddressSanitizer).
bash tests/fuzz/run.sh "${MLGITOPS_FUZZ_SECONDS:-30}"
