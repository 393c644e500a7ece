#!/usr/bin/env bash
# Kafka produce rate: `plprobe bench kafka` next to plprobe_kafka_perf_peer
# (bench/kafka_perf_peer.cc: rdkafka_performance's produce loop, which
# Debian does not package), against the same librdkafka mock cluster, in
# interleaved rounds; the median of each.
#
#   bench/kafka_produce.sh [ROUNDS] [SECONDS] [MSG_SIZE]
#
# Both run closed loop (as fast as librdkafka's queue takes messages) with
# acks=all. The peer runs twice per round: with rdkafka_performance's own
# producer settings (linger.ms=1000, 3 retries, 500 ms backoff) and with
# librdkafka's defaults, which plprobe uses (linger.ms=5). BUILD_DIR
# (default build/) must hold cli/plprobe, bench/plprobe_kafka_perf_peer and
# tests/peers/plprobe_kafka_mock_cluster. Everything stays on 127.0.0.1.
# Prints a Markdown table for bench/RESULTS.md.
set -euo pipefail
cd "$(dirname "$0")/.."

rounds="${1:-3}"
seconds="${2:-5}"
size="${3:-100}"
build="${BUILD_DIR:-build}"
plprobe="$build/cli/plprobe"
peer="$build/bench/plprobe_kafka_perf_peer"
mock="$build/tests/peers/plprobe_kafka_mock_cluster"
for binary in "$plprobe" "$peer" "$mock"; do
  [[ -x "$binary" ]] || { echo "missing $binary: build it first" >&2; exit 2; }
done

work="$(mktemp -d)"
mock_pid=""
cleanup() {
  [[ -n "$mock_pid" ]] && kill "$mock_pid" 2>/dev/null && wait "$mock_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

# Three brokers and three replicas, so acks=all waits for the replicas as
# on a real cluster (the mock replicates in memory).
"$mock" --brokers 3 --topic bench:6:3 --lifetime 1800 >"$work/mock.out" 2>"$work/mock.err" &
mock_pid=$!
for _ in $(seq 100); do grep -q bootstrap "$work/mock.out" 2>/dev/null && break; sleep 0.05; done
bootstrap="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["bootstrap"])' "$work/mock.out")"
first="${bootstrap%%,*}"

median() { python3 -c 'import statistics,sys; print(f"{statistics.median(float(x) for x in sys.argv[1:]):.0f}")' "$@"; }
field() { python3 -c 'import json,sys; print(json.loads(sys.stdin.read().strip().splitlines()[-1])[sys.argv[1]])' "$1"; }

run_plprobe() {
  local out
  # No warm-up: the peer counts from its start too (connecting takes
  # milliseconds on loopback).
  out="$("$plprobe" bench kafka "kafka://$first" --topic bench --msg-size "$size" --acks all \
    --duration "${seconds}s" --warmup 0 --json --progress off)"
  plprobe_rates+=("$(echo "$out" | field requests_per_s)")
  p99s+=("$(echo "$out" | python3 -c 'import json,sys; print(json.loads(sys.stdin.read().splitlines()[-1])["latency_us"]["p99"])')")
}
run_peer() { peer_rates+=("$("$peer" -b "$bootstrap" -t bench -s "$size" -a all -d "$seconds" | field msgs_per_s)"); }
run_peer_defaults() {
  peer_default_rates+=("$("$peer" -b "$bootstrap" -t bench -s "$size" -a all -d "$seconds" \
    -X linger.ms=5 -X message.send.max.retries=2147483647 -X retry.backoff.ms=100 | field msgs_per_s)")
}
plprobe_rates=(); peer_rates=(); peer_default_rates=(); p99s=()
for round in $(seq "$rounds"); do
  # The order rotates, so no tool always runs first (or last) in a round.
  case $(( round % 3 )) in
    1) run_plprobe; run_peer; run_peer_defaults ;;
    2) run_peer; run_peer_defaults; run_plprobe ;;
    0) run_peer_defaults; run_plprobe; run_peer ;;
  esac
  echo "round $round: plprobe ${plprobe_rates[-1]}  peer ${peer_rates[-1]}  peer(defaults) ${peer_default_rates[-1]}" >&2
done

p="$(median "${plprobe_rates[@]}")"
q="$(median "${peer_rates[@]}")"
d="$(median "${peer_default_rates[@]}")"
ratio() { python3 -c "import sys; print(f'{float(sys.argv[1])/float(sys.argv[2]):.2f}x')" "$1" "$2"; }
echo "Kafka produce, ${size}-byte messages, acks=all, 3 mock brokers (topic 6 partitions x 3 replicas), median of $rounds rounds of ${seconds}s; load: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| tool | msgs/s | MB/s | vs plprobe |"
echo "|---|---:|---:|---:|"
mb() { python3 -c "import sys; print(f'{float(sys.argv[1])*int(sys.argv[2])/1e6:.1f}')" "$1" "$size"; }
echo "| plprobe bench kafka (p99 delivery $(median "${p99s[@]}") us) | $p | $(mb "$p") | 1.00x |"
echo "| perf peer, rdkafka_performance settings | $q | $(mb "$q") | plprobe is $(ratio "$p" "$q") |"
echo "| perf peer, librdkafka defaults (as plprobe) | $d | $(mb "$d") | plprobe is $(ratio "$p" "$d") |"
