#!/usr/bin/env bash
# Sets up (scripts/setup.sh), builds, and runs every test: unit, integration
# (real servers on loopback and in test-made network namespaces) and the
# fuzz seed replays; then builds the unit tests with AddressSanitizer and
# UndefinedBehaviorSanitizer and runs them again.
set -euo pipefail
cd "$(dirname "$0")/.."

jobs="$(nproc)"
scripts/setup.sh

echo "== all tests (build/)"
ctest --test-dir build --output-on-failure --no-tests=error -j "$jobs" --timeout 300

echo "== unit tests under ASan+UBSan (build-asan/)"
# -O0 with line tables only: the cheapest build that still gives sanitizer
# reports with file:line.
cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=None -DCMAKE_CXX_FLAGS="-O0 -g1" -DPLPROBE_WERROR=ON \
  -DPLPROBE_SANITIZE=address,undefined -DPLPROBE_BUILD_BENCHMARKS=OFF
cmake --build build-asan --target plprobe_unit_tests
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir build-asan --output-on-failure --no-tests=error -L unit -j "$jobs" --timeout 300
