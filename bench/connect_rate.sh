#!/usr/bin/env bash
# Connect rate on loopback: plprobe vs nmap -sT vs a bare non-blocking
# connect loop (the ceiling), on the same 20,000 ports: 10,000 open
# (127.0.0.1:12000-21999, listening, never accepting) and 10,000 closed
# (22000-31999). Ports stay below 32768, where the kernel's ephemeral
# ports begin. plprobe writes every result as JSON Lines to a file.
#
#   bench/connect_rate.sh [ROUNDS]     (default 5; the median is reported)
#
# Needs a build (scripts/setup.sh) and nmap (installed by setup.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
rounds="${1:-5}"
plprobe=build/cli/plprobe
bench=build/bench/plprobe_connect_bench
low=12000; split=22000; high=31999
ulimit -n "$(ulimit -Hn)"
work=$(mktemp -d /tmp/plprobe-bench.XXXXXX)
trap 'exec 3>&-; wait 2>/dev/null; rm -rf "$work"' EXIT

if ss -Hltn | awk '{print $4}' | grep -qE ":(1[2-9][0-9]{3}|2[0-9]{4}|3[01][0-9]{3})$"; then
  echo "something already listens in $low-$high; stop it first" >&2
  exit 1
fi
mkfifo "$work/listener.in"
"$bench" listen "$low" "$((split - 1))" <"$work/listener.in" >"$work/listener.out" &
exec 3>"$work/listener.in"
for _ in $(seq 100); do grep -q ready "$work/listener.out" 2>/dev/null && break; sleep 0.1; done
seq "$low" "$high" | sed 's|^|tcp://127.0.0.1:|' >"$work/targets.txt"
total=$((high - low + 1))

# Lets TIME_WAIT and the accept queues drain between runs (all three
# close with RST, so there should be little to drain).
settle() { sleep 1; }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

run_plprobe() {
  /usr/bin/time -f "%e %M" -o "$work/time" "$plprobe" probe --targets "$work/targets.txt" --json \
    --timeout 5s >"$work/results.jsonl" || true
  read -r seconds rss_kb < <(tail -n 1 "$work/time")
  local ok refused
  ok=$(grep -c '"outcome":"ok"' "$work/results.jsonl" || true)
  refused=$(grep -c '"outcome":"tcp_refused"' "$work/results.jsonl" || true)
  [ "$ok" = 10000 ] && [ "$refused" = 10000 ] || echo "plprobe: unexpected counts ok=$ok refused=$refused" >&2
  echo "$seconds $rss_kb"
}
run_nmap() {
  /usr/bin/time -f "%e %M" -o "$work/time" nmap -sT -n -Pn -T5 --max-retries 0 -p "$low-$high" 127.0.0.1 \
    -oN "$work/nmap.txt" >/dev/null
  read -r seconds rss_kb < <(tail -n 1 "$work/time")
  local open
  open=$(grep -c "/tcp open" "$work/nmap.txt" || true)
  [ "$open" = 10000 ] || echo "nmap: unexpected open count $open" >&2
  echo "$seconds $rss_kb"
}
run_ceiling() {
  /usr/bin/time -f "%e %M" -o "$work/time" "$bench" connect "$low" "$high" 512 >"$work/ceiling.json"
  read -r seconds rss_kb < <(tail -n 1 "$work/time")
  echo "$seconds $rss_kb"
}

for tool in ceiling nmap plprobe; do : >"$work/$tool.runs"; done
for round in $(seq "$rounds"); do
  for tool in ceiling nmap plprobe; do
    settle
    "run_$tool" >>"$work/$tool.runs"
  done
done

printf '%-22s %10s %14s %12s\n' tool seconds connects/s max_rss_MiB
for tool in ceiling nmap plprobe; do
  seconds=$(awk '{print $1}' "$work/$tool.runs" | median)
  rss=$(awk '{print $2}' "$work/$tool.runs" | median)
  printf '%-22s %10s %14.0f %12.1f\n' "$tool" "$seconds" "$(echo "$total / $seconds" | bc -l)" "$(echo "$rss / 1024" | bc -l)"
done
echo "($rounds rounds, median; $total ports: 10,000 open, 10,000 closed; plprobe at its defaults (2 threads, concurrency 256), --json to a file)"
