#!/usr/bin/env bash
# Connect rate and TLS handshakes on loopback: plprobe bench connect side
# by side with its peers, in one run.
#
#   1. plain connects to 10,000 open ports (127.0.0.1:20000-29999 by default, LOW and HIGH to move them;
#      listening, never accepting): the bare non-blocking connect loop
#      (bench/connect_bench.cc, one thread, 3 passes over the ports),
#      nmap -sT (one pass) and `plprobe bench connect 127.0.0.1:20000-29999`
#      for 2 s with 1 and 2 threads. Everyone closes with RST.
#   2. TLS handshakes/s against one `openssl s_server` (EC P-256 certificate
#      made here with openssl req): `openssl s_time -new` (one handshake at a
#      time, no resumption) vs `plprobe bench connect --tls` at concurrency 1
#      and 4 (certificate verified).
#
#   bench/bench_connect.sh [ROUNDS]   (default 3; medians)
# Needs a build (scripts/setup.sh) and nmap.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds="${1:-3}"
plprobe=${BUILD_DIR:-build}/cli/plprobe
bench=${BUILD_DIR:-build}/bench/plprobe_connect_bench
low=${LOW:-20000}; high=${HIGH:-29999}
ulimit -n "$(ulimit -Hn)"
work=$(mktemp -d /tmp/plprobe-bench-connect.XXXXXX)
cleanup() { exec 3>&- 2>/dev/null || true; [ -n "${server_pid:-}" ] && kill "$server_pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

if ss -Hltn | awk '{print $4}' | awk -F: -v lo="$low" -v hi="$high" '$NF >= lo && $NF <= hi {found=1} END {exit !found}'; then
  echo "something already listens in $low-$high; stop it first" >&2
  exit 1
fi
mkfifo "$work/listener.in"
"$bench" listen "$low" "$high" <"$work/listener.in" >"$work/listener.out" &
exec 3>"$work/listener.in"
for _ in $(seq 100); do grep -q ready "$work/listener.out" 2>/dev/null && break; sleep 0.1; done

for tool in ceiling nmap plprobe1 plprobe2; do : >"$work/$tool.rates"; done
for round in $(seq "$rounds"); do
  sleep 1
  # A bound on the ceiling: one run on a loaded machine once stalled in it.
  timeout 60 "$bench" connect "$low" "$high" 256 3 | python3 -c 'import json,sys; print(json.load(sys.stdin)["connects_per_s"])' >>"$work/ceiling.rates"
  sleep 1
  start=$(date +%s.%N)
  nmap -sT -n -Pn -T5 --max-retries 0 -p "$low-$high" 127.0.0.1 -oN "$work/nmap.txt" >/dev/null
  end=$(date +%s.%N)
  open=$(grep -c "/tcp open" "$work/nmap.txt" || true)
  echo "$open / ($end - $start)" | bc -l >>"$work/nmap.rates"
  for threads in 1 2; do
    sleep 1
    "$plprobe" bench connect "127.0.0.1:$low-$high" --concurrency 256 --threads "$threads" --duration 2s \
      --warmup 0 --json --progress off | tail -n 1 |
      python3 -c 'import json,sys; s=json.load(sys.stdin); assert not s["errors"], s; print(s["connections_per_s"])' \
      >>"$work/plprobe$threads.rates"
  done
done
exec 3>&-

# TLS: one openssl s_server, certificate made now.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$work/key.pem" -out "$work/cert.pem" \
  -subj /CN=bench -addext subjectAltName=IP:127.0.0.1 -days 1 2>/dev/null
tls_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
openssl s_server -quiet -accept "127.0.0.1:$tls_port" -cert "$work/cert.pem" -key "$work/key.pem" -naccept 100000000 \
  </dev/null >/dev/null 2>&1 &
server_pid=$!
sleep 0.5
for tool in s_time plprobe_tls1 plprobe_tls4; do : >"$work/$tool.rates"; done
for round in $(seq "$rounds"); do
  sleep 1
  openssl s_time -connect "127.0.0.1:$tls_port" -new -time 3 2>/dev/null |
    awk '/real seconds/ {print $1 / $4}' \
    >>"$work/s_time.rates" || true
  for concurrency in 1 4; do
    sleep 1
    "$plprobe" bench connect "127.0.0.1:$tls_port" --tls --ca "$work/cert.pem" --concurrency "$concurrency" \
      --threads 1 --duration 3s --warmup 0 --json --progress off | tail -n 1 |
      python3 -c 'import json,sys; s=json.load(sys.stdin); print(s["connections_per_s"])' \
      >>"$work/plprobe_tls$concurrency.rates"
  done
done

ceiling=$(median <"$work/ceiling.rates")
stime=$(median <"$work/s_time.rates")
printf '%-44s %14s %10s\n' tool connects/s vs_ceiling
for tool in ceiling nmap plprobe1 plprobe2; do
  rate=$(median <"$work/$tool.rates")
  printf '%-44s %14.0f %10.2f\n' "$tool" "$rate" "$(echo "$rate / $ceiling" | bc -l)"
done
printf '%-44s %14s %10s\n' tool handshakes/s vs_s_time
for tool in s_time plprobe_tls1 plprobe_tls4; do
  rate=$(median <"$work/$tool.rates")
  printf '%-44s %14.0f %10.2f\n' "$tool" "$rate" "$(echo "$rate / $stime" | bc -l)"
done
echo "($rounds rounds, median; load: $(uptime | sed 's/.*load average: //'))"
