#!/usr/bin/env bash
# Unauthenticated handshakes per second: plprobe against the tools people
# script for "is the database up?", run the same number of times against the
# same local servers.
#
#   PostgreSQL: plprobe probe postgres://127.0.0.1:PORT (N targets, one run)
#               vs pg_isready -h 127.0.0.1 -p PORT, N times
#   MariaDB:    plprobe probe mysql://127.0.0.1:PORT (N targets, one run)
#               vs mysqladmin ping -h 127.0.0.1 -P PORT, N times
#
# Both sides do the same protocol work without credentials: PostgreSQL
# SSLRequest, StartupMessage and the server's authentication request (or
# error); MariaDB greeting, a login attempt and the server's refusal (plprobe
# logs in as a placeholder user with an empty password, mysqladmin ping as
# the OS user: "Access denied" means "alive" to it). The PostgreSQL servers
# run once without TLS and once with TLS (both sides then use it: libpq's
# default sslmode is prefer, as is plprobe's --tls); the peers run
# sequentially (as a shell loop runs them) and with xargs -P (one per core).
#
# Usage: bench/handshakes.sh [N]      (default N=2000; BUILD_DIR default build)
# Needs: a built plprobe (cmake --build build --target plprobe), PostgreSQL
# and MariaDB server packages (scripts/setup.sh), root (servers run as the
# postgres and mysql users). Everything binds 127.0.0.1; nothing else is
# touched. Prints a Markdown table for bench/RESULTS.md.
set -euo pipefail
cd "$(dirname "$0")/.."

n="${1:-2000}"
build_dir="${BUILD_DIR:-build}"
plprobe="$build_dir/cli/plprobe"
[ -x "$plprobe" ] || { echo "handshakes: build plprobe first ($plprobe)" >&2; exit 2; }
pg_bin="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)"
cores="$(nproc)"

work="$(mktemp -d /tmp/plprobe-bench-XXXXXX)"
chmod 755 "$work"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for dir in "$work"/pg-*; do
    [ -f "$dir/data/postmaster.pid" ] && runuser -u postgres -- "$pg_bin/pg_ctl" -D "$dir/data" stop -m immediate >/dev/null 2>&1 || true
  done
  [ -S "$work/my/run/mysqld.sock" ] && mariadb-admin --no-defaults -S "$work/my/run/mysqld.sock" -u root shutdown 2>/dev/null || true
  sleep 1
  rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# PostgreSQL: initdb once, copy for the TLS instance.
start_postgres() {  # name tls(0|1) -> sets pg_port
  local dir="$work/pg-$1"
  mkdir -p "$dir/data" "$dir/run"
  chown postgres:postgres "$dir/data" "$dir/run"
  chmod 700 "$dir/data"
  if [ -d "$work/pg-template" ]; then
    cp -a "$work/pg-template/." "$dir/data/"
  else
    runuser -u postgres -- "$pg_bin/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 --locale=C \
      --no-sync --no-instructions >"$dir/initdb.log" 2>&1
    mkdir -p "$work/pg-template" && cp -a "$dir/data/." "$work/pg-template/"
  fi
  pg_port="$(free_port)"
  {
    echo "listen_addresses = '127.0.0.1'"
    echo "port = $pg_port"
    echo "unix_socket_directories = '$dir/run'"
    echo "max_connections = 300"
    echo "fsync = off"
    echo "synchronous_commit = off"
  } >>"$dir/data/postgresql.conf"
  printf 'local all all trust\nhost all all 127.0.0.1/32 scram-sha-256\n' >"$dir/data/pg_hba.conf"
  if [ "$2" = 1 ]; then
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=127.0.0.1 \
      -addext subjectAltName=IP:127.0.0.1 -keyout "$dir/server.key" -out "$dir/server.crt" >/dev/null 2>&1
    chown postgres:postgres "$dir/server.key" "$dir/server.crt"
    chmod 600 "$dir/server.key"
    printf "ssl = on\nssl_cert_file = '%s'\nssl_key_file = '%s'\n" "$dir/server.crt" "$dir/server.key" \
      >>"$dir/data/postgresql.conf"
  fi
  runuser -u postgres -- "$pg_bin/pg_ctl" -D "$dir/data" -l "$dir/run/server.log" -w -t 60 start >/dev/null
}

start_mariadb() {  # -> sets my_port
  local dir="$work/my"
  mkdir -p "$dir/data" "$dir/run"
  chown mysql:mysql "$dir/data" "$dir/run"
  mariadb-install-db --no-defaults --datadir="$dir/data" --user=mysql --auth-root-authentication-method=normal \
    --skip-test-db --skip-name-resolve --innodb-log-file-size=8M >"$dir/install.log" 2>&1
  my_port="$(free_port)"
  mariadbd --no-defaults --user=mysql --datadir="$dir/data" --port="$my_port" --bind-address=127.0.0.1 \
    --socket="$dir/run/mysqld.sock" --skip-name-resolve --innodb-log-file-size=8M --innodb-buffer-pool-size=32M \
    --max-connections=300 --skip-ssl --skip-log-bin >"$dir/server.log" 2>&1 &
  pids+=("$!")
  for _ in $(seq 1 300); do grep -q "ready for connections" "$dir/server.log" && return 0; sleep 0.1; done
  echo "handshakes: MariaDB did not start" >&2; cat "$dir/server.log" >&2; exit 1
}

now() { date +%s.%N; }
# CPU seconds a server has used so far: its own and its reaped children's
# (PostgreSQL forks a backend per connection; MariaDB runs a thread).
server_cpu() { awk -v hz="$(getconf CLK_TCK)" '{ printf "%.3f", ($14 + $15 + $16 + $17) / hz }' "/proc/$1/stat"; }
per_ms() { python3 -c "print(f'{($2 - $1) * 1000 / $n:.2f}')"; }
rate() { python3 -c "import sys; print(f'{$1 / ($3 - $2):.0f}')"; }

# plprobe: N copies of one target in a file, one run; every result must be ok.
bench_plprobe() {  # server-pid target extra-args... -> sets rate_value, ok, client_ms, server_ms
  local pid="$1" target="$2"; shift 2
  awk -v target="$target" -v n="$n" 'BEGIN { for (i = 0; i < n; i++) print target }' >"$work/targets.txt"
  local start end cpu_before cpu_after
  cpu_before="$(server_cpu "$pid")"
  start="$(now)"
  /usr/bin/time -f "%U %S" -o "$work/time.txt" \
    "$plprobe" probe --targets "$work/targets.txt" --json --concurrency 128 --timeout 10s "$@" >"$work/out.jsonl" || true
  end="$(now)"
  cpu_after="$(server_cpu "$pid")"
  rate_value="$(rate "$n" "$start" "$end")"
  ok="$(grep -c '"outcome":"ok"' "$work/out.jsonl" || true)"
  client_ms="$(awk -v n="$n" '{ printf "%.3f", ($1 + $2) * 1000 / n }' "$work/time.txt")"
  server_ms="$(per_ms "$cpu_before" "$cpu_after")"
}

# A peer command N times: sequentially, and with xargs -P (one per core).
bench_peer() {  # server-pid command... -> sets seq_rate, par_rate, peer_ok, peer_server_ms
  local pid="$1"; shift
  local start end cpu_before cpu_after
  cpu_before="$(server_cpu "$pid")"
  start="$(now)"
  peer_ok=0
  for _ in $(seq 1 "$n"); do "$@" >/dev/null 2>&1 && peer_ok=$((peer_ok + 1)); done
  end="$(now)"
  cpu_after="$(server_cpu "$pid")"
  peer_server_ms="$(per_ms "$cpu_before" "$cpu_after")"
  seq_rate="$(rate "$n" "$start" "$end")"
  start="$(now)"
  seq 1 "$n" | xargs -P "$cores" -I{} "$@" >/dev/null 2>&1 || true
  end="$(now)"
  par_rate="$(rate "$n" "$start" "$end")"
}

echo "handshakes: starting servers (N=$n, $cores cores)" >&2
start_postgres plain 0; pg_plain="$pg_port"
start_postgres tls 1; pg_tls="$pg_port"
start_mariadb

pg_pid() { head -1 "$work/pg-$1/data/postmaster.pid"; }
my_pid="${pids[0]}"
rows=()
row() {  # label
  rows+=("| $1 | $rate_value/s ($ok/$n ok) | $seq_rate/s sequential, $par_rate/s xargs -P $cores ($peer_ok/$n ok) | $(python3 -c "print(f'{$rate_value/$seq_rate:.1f}x')") | $client_ms ms | $server_ms ms / $peer_server_ms ms |")
}

bench_plprobe "$(pg_pid plain)" "postgres://127.0.0.1:$pg_plain" --tls prefer
bench_peer "$(pg_pid plain)" "$pg_bin/pg_isready" -q -h 127.0.0.1 -p "$pg_plain" -d postgres -U plprobe
row "PostgreSQL 15, no TLS"

bench_plprobe "$(pg_pid tls)" "postgres://127.0.0.1:$pg_tls" --tls prefer
bench_peer "$(pg_pid tls)" "$pg_bin/pg_isready" -q -h 127.0.0.1 -p "$pg_tls" -d postgres -U plprobe
row "PostgreSQL 15, TLS (prefer)"

bench_plprobe "$my_pid" "mysql://127.0.0.1:$my_port" --tls prefer
bench_peer "$my_pid" mysqladmin --no-defaults -h 127.0.0.1 -P "$my_port" -u plprobe --connect-timeout=10 ping
row "MariaDB 10.11, no TLS"

echo
echo "N=$n handshakes each, $(date -u +%Y-%m-%d), $cores cores ($(uname -m)), load average $(cut -d' ' -f1-3 /proc/loadavg); plprobe --concurrency 128"
echo
echo "| server | plprobe | peer (pg_isready / mysqladmin ping) | plprobe / sequential peer | plprobe CPU per handshake | server CPU per handshake (plprobe / peer) |"
echo "|---|---|---|---|---|---|"
printf '%s\n' "${rows[@]}"
