#!/usr/bin/env bash
# One-stream throughput on loopback, side by side in one run:
#   plain: `iperf3 -c` against `iperf3 -s` vs `plprobe bench throughput`
#          against `plprobe serve` (client sends, 5 s, 1 s warm-up for plprobe;
#          iperf3 reports its whole run);
#   TLS:   socat with OpenSSL (a 2 GiB stream from /dev/zero through
#          `socat -b 131072 - OPENSSL:...` into `socat OPENSSL-LISTEN:... /dev/null`,
#          timed) vs `plprobe bench throughput --tls` against `plprobe serve --tls`.
# The certificate is made here with openssl req (EC P-256, 1 day).
#
#   bench/bench_throughput.sh [ROUNDS]   (default 3; medians, Gbit/s)
set -euo pipefail
cd "$(dirname "$0")/.."
rounds="${1:-3}"
plprobe=${BUILD_DIR:-build}/cli/plprobe
work=$(mktemp -d /tmp/plprobe-bench-tp.XXXXXX)
pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; wait 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$work/key.pem" -out "$work/cert.pem" \
  -subj /CN=bench -addext subjectAltName=IP:127.0.0.1 -days 1 2>/dev/null

iperf_port=$(free_port); iperf3 -s -p "$iperf_port" >/dev/null 2>&1 & pids+=($!)
serve_port=$(free_port); "$plprobe" serve --listen "127.0.0.1:$serve_port" >/dev/null 2>&1 & pids+=($!)
tls_port=$(free_port)
"$plprobe" serve --listen "127.0.0.1:$tls_port" --tls --cert "$work/cert.pem" --key "$work/key.pem" >/dev/null 2>&1 & pids+=($!)
sleep 1

for tool in iperf3 plprobe socat plprobe_tls; do : >"$work/$tool"; done
for round in $(seq "$rounds"); do
  iperf3 -c 127.0.0.1 -p "$iperf_port" -t 5 -J >"$work/iperf.json"
  python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["end"]["sum_received"]["bits_per_second"]/1e9)' \
    "$work/iperf.json" >>"$work/iperf3"
  sleep 1
  "$plprobe" bench throughput "127.0.0.1:$serve_port" --duration 5s --warmup 1s --json --progress off | tail -n 1 |
    python3 -c 'import json,sys; s=json.load(sys.stdin); assert s["exact"], s; print(s["bytes_per_s"]*8/1e9)' >>"$work/plprobe"
  sleep 1
  socat_port=$(free_port)
  socat -b 131072 -u "OPENSSL-LISTEN:$socat_port,bind=127.0.0.1,reuseaddr,cert=$work/cert.pem,key=$work/key.pem,verify=0" \
    /dev/null & socat_pid=$!
  sleep 0.5
  start=$(date +%s.%N)
  head -c 2147483648 /dev/zero | socat -b 131072 -u - "OPENSSL:127.0.0.1:$socat_port,verify=0"
  wait "$socat_pid" || true
  end=$(date +%s.%N)
  echo "2147483648 * 8 / ($end - $start) / 1000000000" | bc -l >>"$work/socat"
  sleep 1
  "$plprobe" bench throughput "127.0.0.1:$tls_port" --tls --ca "$work/cert.pem" --duration 5s --warmup 1s --json \
    --progress off | tail -n 1 |
    python3 -c 'import json,sys; s=json.load(sys.stdin); assert s["exact"], s; print(s["bytes_per_s"]*8/1e9)' \
    >>"$work/plprobe_tls"
  sleep 1
done

iperf=$(median <"$work/iperf3"); socat=$(median <"$work/socat")
printf '%-40s %10s %8s\n' tool Gbit/s ratio
printf '%-40s %10.2f %8.2f\n' "iperf3 -c (plain)" "$iperf" 1
printf '%-40s %10.2f %8.2f\n' "plprobe bench throughput (plain)" "$(median <"$work/plprobe")" "$(echo "$(median <"$work/plprobe") / $iperf" | bc -l)"
printf '%-40s %10.2f %8.2f\n' "socat OpenSSL (TLS)" "$socat" 1
printf '%-40s %10.2f %8.2f\n' "plprobe bench throughput --tls" "$(median <"$work/plprobe_tls")" "$(echo "$(median <"$work/plprobe_tls") / $socat" | bc -l)"
echo "($rounds rounds, median; load: $(uptime | sed 's/.*load average: //'))"
