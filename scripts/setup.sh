#!/usr/bin/env bash
# Installs everything plprobe needs from Debian 12 packages (idempotent: only
# missing packages are installed) and builds it into build/.
#
#   scripts/setup.sh              install + configure + build
#   scripts/setup.sh --deps-only  install only
#
# Environment: BUILD_DIR (default build), CMAKE_ARGS (extra configure flags).
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  # toolchain
  build-essential cmake ninja-build pkg-config git
  # libraries (find_package / pkg-config)
  libboost-dev libc-ares-dev libssl-dev librdkafka-dev libpq-dev libmariadb-dev libbson-dev
  libcli11-dev nlohmann-json3-dev libfmt-dev libgtest-dev libgmock-dev libbenchmark-dev
  # real peers for tests and the demo
  unbound openssl postgresql mariadb-server
  # network namespaces and firewall rules for the blackhole tests
  iproute2 nftables procps util-linux
  # headless browser for the doctor HTML report test (run in its own network namespace)
  chromium
  # comparison peers for bench/
  nmap kcat iperf3 socat time bc
)

missing=()
for package in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$package")
  fi
done
# Node.js for the MongoDB test peer: any installed node and npm will do (some
# machines carry a newer Node.js whose npm conflicts with Debian's package).
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  missing+=(nodejs npm)
fi
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -q
  # Debian's server packages try to start their service after install; there
  # is no init system here, and tests start their own servers anyway.
  $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# The MongoDB test peer (Node.js, from the npm lockfile; a no-op when installed).
tests/peers/mongodb/install.sh

if [ "${1:-}" = "--deps-only" ]; then exit 0; fi

build_dir="${BUILD_DIR:-build}"
# shellcheck disable=SC2086
# -O2 without debug info: what the tests and benchmarks were tuned with, and
# quicker to compile than RelWithDebInfo on a 2-core machine. For profiling:
# CMAKE_ARGS=-DCMAKE_BUILD_TYPE=RelWithDebInfo scripts/setup.sh
cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_FLAGS_RELEASE="-O2 -DNDEBUG" \
  -DPLPROBE_WERROR=ON ${CMAKE_ARGS:-}
cmake --build "$build_dir"
