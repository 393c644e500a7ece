#!/usr/bin/env bash
# Kafka handshakes per second (TCP connect + ApiVersions + Metadata) with
# `plprobe probe kafka://...` against librdkafka's mock cluster, next to
# `kcat -L` run the same number of times against the same cluster.
#
#   bench/kafka_handshake.sh [BUILD_DIR] [COUNT] [CONCURRENCY]
#
# BUILD_DIR (default build/) must hold cli/plprobe and
# tests/peers/plprobe_kafka_mock_cluster. Everything stays on 127.0.0.1:
# the cluster binds loopback, plprobe is given IP literals and a DNS server
# on a closed loopback port so it never reads the system resolver.
# Prints a Markdown table for bench/RESULTS.md.
set -euo pipefail
cd "$(dirname "$0")/.."

build="${1:-build}"
count="${2:-500}"
# librdkafka's mock broker listens with a backlog of 5 (listen(s, 5) in
# rdkafka_mock.c) and serves every broker from one thread: more connects in
# flight than that get their SYNs dropped and retried a second later, which
# measures the peer, not the client. 4 stays under it.
concurrency="${3:-4}"
plprobe="$build/cli/plprobe"
mock="$build/tests/peers/plprobe_kafka_mock_cluster"
for binary in "$plprobe" "$mock"; do
  [[ -x "$binary" ]] || { echo "missing $binary: build it first (cmake --build $build --target plprobe plprobe_kafka_mock_cluster)" >&2; exit 2; }
done
command -v kcat >/dev/null || { echo "kcat is not installed (apt-get install kcat)" >&2; exit 2; }

work="$(mktemp -d)"
mock_pid=""
cleanup() {
  [[ -n "$mock_pid" ]] && kill "$mock_pid" 2>/dev/null && wait "$mock_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

"$mock" --brokers 3 --topic events:6:3 --topic orders:3:3 --lifetime 1800 >"$work/mock.out" 2>"$work/mock.err" &
mock_pid=$!
for _ in $(seq 100); do grep -q bootstrap "$work/mock.out" 2>/dev/null && break; sleep 0.05; done
port="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["brokers"][0]["port"])' "$work/mock.out")"
target="kafka://127.0.0.1:$port"
no_dns="127.0.0.1:1"  # closed: literals never need it

now() { date +%s.%N; }
rate() { python3 -c "import sys; n,t=int(sys.argv[1]),float(sys.argv[2]); print(f'{n/t:.1f}')" "$1" "$2"; }
elapsed() { python3 -c "import sys; print(f'{float(sys.argv[2])-float(sys.argv[1]):.3f}')" "$1" "$2"; }

for _ in $(seq "$count"); do echo "$target"; done >"$work/targets.txt"

# Every handshake must succeed, or the figure means nothing.
check_ok() {
  local ok
  ok="$(grep -c '"outcome":"ok"' "$1" || true)"
  [[ "$ok" == "$2" ]] || { echo "only $ok of $2 probes were ok; see $1" >&2; head -c 2000 "$1" >&2; exit 1; }
}

run_plprobe_batch() {  # concurrency, walk flag, output
  local start end
  start="$(now)"
  "$plprobe" probe --targets "$work/targets.txt" --json --concurrency "$1" --threads 1 --dns-server "$no_dns" $2 >"$3"
  end="$(now)"
  check_ok "$3" "$count"
  elapsed "$start" "$end"
}

t_batch="$(run_plprobe_batch "$concurrency" --no-walk-brokers "$work/batch.jsonl")"
t_serial="$(run_plprobe_batch 1 --no-walk-brokers "$work/serial.jsonl")"
t_walk="$(run_plprobe_batch "$concurrency" --walk-brokers "$work/walk.jsonl")"

start="$(now)"
: >"$work/processes.jsonl"
for _ in $(seq "$count"); do
  "$plprobe" probe "$target" --json --no-walk-brokers --dns-server "$no_dns" >>"$work/processes.jsonl"
done
end="$(now)"
check_ok "$work/processes.jsonl" "$count"
t_processes="$(elapsed "$start" "$end")"

start="$(now)"
for _ in $(seq "$count"); do
  kcat -L -b "127.0.0.1:$port" >"$work/kcat.out" 2>"$work/kcat.err" || { echo "kcat failed:" >&2; cat "$work/kcat.err" >&2; exit 1; }
done
end="$(now)"
grep -q "3 brokers" "$work/kcat.out" || { echo "kcat did not list 3 brokers" >&2; cat "$work/kcat.out" >&2; exit 1; }
t_kcat="$(elapsed "$start" "$end")"

r_kcat="$(rate "$count" "$t_kcat")"
ratio() { python3 -c "import sys; print(f'{float(sys.argv[1])/float(sys.argv[2]):.1f}x')" "$1" "$r_kcat"; }
r_batch="$(rate "$count" "$t_batch")"
r_serial="$(rate "$count" "$t_serial")"
r_processes="$(rate "$count" "$t_processes")"
r_walk="$(rate "$count" "$t_walk")"

echo "Kafka handshakes, $count each, librdkafka $(dpkg-query -W -f='${Version}' librdkafka1 2>/dev/null || echo '?') mock cluster (3 brokers) on 127.0.0.1, $(nproc) cores"
echo
echo "| client | how | seconds | handshakes/s | vs kcat -L |"
echo "|---|---|---:|---:|---:|"
echo "| plprobe | one process, --concurrency $concurrency, --no-walk-brokers | $t_batch | $r_batch | $(ratio "$r_batch") |"
echo "| plprobe | one process, --concurrency 1, --no-walk-brokers | $t_serial | $r_serial | $(ratio "$r_serial") |"
echo "| plprobe | one process per handshake (as kcat), --no-walk-brokers | $t_processes | $r_processes | $(ratio "$r_processes") |"
echo "| plprobe | one process, --concurrency $concurrency, walking all 3 brokers | $t_walk | $r_walk | $(ratio "$r_walk") |"
echo "| kcat -L | one process per handshake | $t_kcat | $r_kcat | 1.0x |"
