#!/usr/bin/env bash
# Postgres request rate: `plprobe bench postgres` next to pgbench (Debian's
# PostgreSQL packages), same server, same connection count, in interleaved
# rounds; the median of each.
#
#   bench/pgbench.sh [ROUNDS] [SECONDS] [CONNECTIONS...]
#
# Per connection count C (default: 1 and 8), threads min(C, cores) for both:
#   pgbench -S            its built-in select-only script (SELECT abalance FROM pgbench_accounts
#                         WHERE aid = :aid, simple protocol), scale 1
#   pgbench -f SELECT 1   a script of SELECT 1 (the same statement plprobe runs)
#   plprobe SELECT 1      bench postgres --connections C (closed loop)
#   plprobe pipeline 16   the same with --pipeline 16
# BUILD_DIR (default build/) must hold cli/plprobe. Runs as root (initdb
# runs as the postgres user). The server binds 127.0.0.1 only.
# Prints a Markdown table for bench/RESULTS.md.
set -euo pipefail
cd "$(dirname "$0")/.."

rounds="${1:-3}"
seconds="${2:-5}"
shift 2 || true
connections=("$@")
[ ${#connections[@]} -gt 0 ] || connections=(1 8)
build="${BUILD_DIR:-build}"
plprobe="$build/cli/plprobe"
[ -x "$plprobe" ] || { echo "pgbench.sh: build plprobe first ($plprobe)" >&2; exit 2; }
pg_bin="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)"
cores="$(nproc)"

work="$(mktemp -d /tmp/plprobe-pgbench-XXXXXX)"
chmod 755 "$work"
cleanup() {
  [ -f "$work/data/postmaster.pid" ] && runuser -u postgres -- "$pg_bin/pg_ctl" -D "$work/data" stop -m immediate >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

mkdir -p "$work/data" "$work/run"
chown postgres:postgres "$work/data" "$work/run"
chmod 700 "$work/data"
runuser -u postgres -- "$pg_bin/initdb" -D "$work/data" -U postgres --auth=trust -E UTF8 --locale=C \
  --no-sync --no-instructions >"$work/initdb.log" 2>&1
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
{
  echo "listen_addresses = '127.0.0.1'"
  echo "port = $port"
  echo "unix_socket_directories = '$work/run'"
  echo "max_connections = 300"
  echo "fsync = off"
  echo "synchronous_commit = off"
} >>"$work/data/postgresql.conf"
printf 'local all all trust\nhost all all 127.0.0.1/32 trust\n' >"$work/data/pg_hba.conf"
runuser -u postgres -- "$pg_bin/pg_ctl" -D "$work/data" -l "$work/run/server.log" -w -t 60 start >/dev/null
"$pg_bin/pgbench" -h 127.0.0.1 -p "$port" -U postgres -i -s 1 -q postgres >"$work/init.log" 2>&1
echo "SELECT 1;" >"$work/select1.sql"

median() { python3 -c 'import statistics,sys; print(f"{statistics.median(float(x) for x in sys.argv[1:]):.0f}")' "$@"; }
ratio() { python3 -c "import sys; print(f'{float(sys.argv[1])/float(sys.argv[2]):.2f}x')" "$1" "$2"; }
pgbench_tps() {  # clients threads extra-args... -> tps without connection time
  local c="$1" j="$2"; shift 2
  "$pg_bin/pgbench" -h 127.0.0.1 -p "$port" -U postgres -n -c "$c" -j "$j" -T "$seconds" "$@" postgres 2>/dev/null |
    sed -n 's/^tps = \([0-9.]*\) (without initial connection time)/\1/p'
}
plprobe_rate() {  # connections threads extra-args...
  local c="$1" j="$2"; shift 2
  "$plprobe" bench postgres "postgres://postgres@127.0.0.1:$port/postgres" --tls disable --connections "$c" \
    --threads "$j" --duration "${seconds}s" --warmup 1s --json --progress off "$@" |
    python3 -c 'import json,sys; s=json.loads(sys.stdin.read().splitlines()[-1]); assert not s["errors"], s["errors"]; print(s["requests_per_s"])'
}

echo "Postgres $("$pg_bin/postgres" --version | awk '{print $3}') on 127.0.0.1, median of $rounds rounds of ${seconds}s, $cores cores shared by server and client"
for c in "${connections[@]}"; do
  j=$(( c < cores ? c : cores ))
  s=(); f=(); p=(); q=()
  for round in $(seq "$rounds"); do
    s+=("$(pgbench_tps "$c" "$j" -S)")
    f+=("$(pgbench_tps "$c" "$j" -f "$work/select1.sql")")
    p+=("$(plprobe_rate "$c" "$j")")
    q+=("$(plprobe_rate "$c" "$j" --pipeline 16)")
    echo "connections $c round $round: pgbench -S ${s[-1]}  pgbench SELECT 1 ${f[-1]}  plprobe ${p[-1]}  pipeline ${q[-1]}" >&2
  done
  ms="$(median "${s[@]}")"; mf="$(median "${f[@]}")"; mp="$(median "${p[@]}")"; mq="$(median "${q[@]}")"
  echo
  echo "$c connection(s), $j thread(s); load: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo
  echo "| tool | requests/s | plprobe SELECT 1 vs this |"
  echo "|---|---:|---:|"
  echo "| pgbench -S (built-in select-only) | $ms | $(ratio "$mp" "$ms") |"
  echo "| pgbench -f (SELECT 1) | $mf | $(ratio "$mp" "$mf") |"
  echo "| plprobe bench postgres (SELECT 1) | $mp | 1.00x |"
  echo "| plprobe bench postgres --pipeline 16 | $mq | pipeline is $(ratio "$mq" "$ms") of pgbench -S |"
done
