#!/usr/bin/env bash
# Idle capacity: `plprobe bench connect --hold` opens N connections (default
# 10,000) to `plprobe serve` on loopback and holds them for 5 s; prints the
# connections held and the peak resident memory of both processes (the goal
# is under 200 MiB for the client).
#
#   bench/bench_idle.sh [N]
set -euo pipefail
cd "$(dirname "$0")/.."
n="${1:-10000}"
plprobe=${BUILD_DIR:-build}/cli/plprobe
ulimit -n "$(ulimit -Hn)"
work=$(mktemp -d /tmp/plprobe-bench-idle.XXXXXX)
serve_pid=
cleanup() { [ -n "$serve_pid" ] && kill "$serve_pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$plprobe" serve --listen "127.0.0.1:$port" --max-connections "$((n + 100))" >"$work/serve.log" 2>&1 &
serve_pid=$!
sleep 0.5
/usr/bin/time -f "%M" -o "$work/client.rss" "$plprobe" bench connect "127.0.0.1:$port" --hold --concurrency "$n" \
  --duration 5s --warmup 0 --json --progress off --timeout 10s >"$work/client.json"
serve_rss=$(awk '/VmHWM/ {print $2}' "/proc/$serve_pid/status")
held=$(tail -n 1 "$work/client.json" | python3 -c 'import json,sys; s=json.load(sys.stdin); print(s["held_connections"], s["errors"])')
printf 'held (and errors): %s\n' "$held"
printf 'client peak RSS: %.1f MiB\n' "$(echo "$(cat "$work/client.rss") / 1024" | bc -l)"
printf 'serve peak RSS:  %.1f MiB\n' "$(echo "$serve_rss / 1024" | bc -l)"
echo "(load: $(uptime | sed 's/.*load average: //'))"
