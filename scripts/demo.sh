#!/usr/bin/env bash
# The one-minute tour: sets up plprobe (scripts/setup.sh), starts local
# servers on loopback -- a DNS server (unbound) with a demo zone of
# endpoint-like names, TLS servers with a good, a wrong-name, an expired and
# a self-signed certificate, and a closed port -- and runs plprobe against
# them so every kind of result shows up once. Everything stays on
# 127.0.0.0/8; everything started here is stopped on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

[ "${PLPROBE_DEMO_SKIP_SETUP:-}" = 1 ] || scripts/setup.sh
plprobe="$root/build/cli/plprobe"
tls_peer="$root/build/tests/peers/plprobe_tls_peer"

work=$(mktemp -d /tmp/plprobe-demo.XXXXXX)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# A port nothing listens on (TCP and UDP), below the ephemeral range.
free_port() {
  local port
  for port in $(seq "$1" "$(($1 + 200))"); do
    if ! ss -Hltnu "sport = :$port" | grep -q .; then echo "$port"; return; fi
  done
  echo "no free port near $1" >&2; exit 1
}

section() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

# --- TLS servers -------------------------------------------------------------
mkfifo "$work/peer.in"
"$tls_peer" --dir "$work" --name db.demo.internal --name kafka.demo.internal <"$work/peer.in" >"$work/tls.json" &
pids+=($!)
exec 3>"$work/peer.in"  # holding the pipe open keeps the peer serving
for _ in $(seq 50); do [ -s "$work/tls.json" ] && break; sleep 0.1; done
json_field() { sed -E "s/.*\"$1\":([0-9]+|null).*/\1/" "$work/tls.json"; }
good=$(json_field good); wrong=$(json_field wrong_name); expired=$(json_field expired)
self_signed=$(json_field self_signed); tls10=$(json_field tls10)

# --- DNS server --------------------------------------------------------------
dns_port=$(free_port 20053)
cat >"$work/demo.zone" <<ZONE
\$ORIGIN demo.internal.
@        300 IN SOA ns admin 1 3600 600 86400 300
@        300 IN NS  ns
ns       300 IN A   127.0.0.1
db       300 IN A   127.0.0.1
db-alias  60 IN CNAME db
kafka    300 IN A   127.0.0.1
twoaddr  300 IN A   127.0.0.1
twoaddr  300 IN A   127.0.0.2
noaddr   300 IN TXT "no address here"
ZONE
cat >"$work/vpce.zone" <<ZONE
\$ORIGIN vpce.amazonaws.com.
@ 300 IN SOA ns.demo.internal. admin.demo.internal. 1 3600 600 86400 300
@ 300 IN NS  ns.demo.internal.
vpce-0a1b2c3d4e5f-good.vpce-svc-0123456789abcdef0.us-east-1   60 IN A 127.0.0.1
vpce-0a1b2c3d4e5f-public.vpce-svc-0123456789abcdef0.us-east-1 60 IN A 52.94.1.10
ZONE
cat >"$work/unbound.conf" <<CONF
server:
  interface: 127.0.0.1@$dns_port
  outgoing-interface: 127.0.0.2
  do-ip6: no
  username: ""
  chroot: ""
  directory: "$work"
  pidfile: ""
  use-syslog: no
  logfile: ""
  verbosity: 0
  num-threads: 1
  module-config: "iterator"
  do-not-query-localhost: no
  access-control: 127.0.0.1/32 allow
  access-control: 127.0.0.2/32 refuse
  local-zone: "demo.internal." nodefault
  local-zone: "refused.demo.internal." always_refuse
auth-zone:
  name: "demo.internal."
  zonefile: "$work/demo.zone"
  for-downstream: yes
auth-zone:
  name: "vpce.amazonaws.com."
  zonefile: "$work/vpce.zone"
  for-downstream: yes
# Anything else is forwarded to this server itself from an address it
# refuses: the answer is SERVFAIL and no packet leaves the machine.
forward-zone:
  name: "."
  forward-addr: 127.0.0.1@$dns_port
remote-control:
  control-enable: no
CONF
/usr/sbin/unbound -d -c "$work/unbound.conf" >"$work/unbound.log" 2>&1 &
pids+=($!)
for _ in $(seq 50); do
  "$plprobe" resolve ns.demo.internal --dns-server "127.0.0.1:$dns_port" --timeout 200ms >/dev/null 2>&1 && break
  sleep 0.1
done
dns=(--dns-server "127.0.0.1:$dns_port")
closed=$(free_port 21000)

cat <<INTRO
plprobe demo: a DNS server on 127.0.0.1:$dns_port serving demo.internal and
endpoint-style *.vpce.amazonaws.com names, TLS servers on ports $good (good
certificate), $wrong (wrong name), $expired (expired), $self_signed (self-signed),
and port $closed where nothing listens.
INTRO

section "resolve: names, CNAME chains, missing names, and a private endpoint name gone public"
"$plprobe" resolve db.demo.internal db-alias.demo.internal twoaddr.demo.internal missing.demo.internal \
  noaddr.demo.internal x.refused.demo.internal outside.example \
  vpce-0a1b2c3d4e5f-good.vpce-svc-0123456789abcdef0.us-east-1.vpce.amazonaws.com \
  vpce-0a1b2c3d4e5f-public.vpce-svc-0123456789abcdef0.us-east-1.vpce.amazonaws.com "${dns[@]}" || true

section "probe: TCP and TLS, every address of every name, one deadline each"
targets=(
  "tcp://db.demo.internal:$good"
  "tcp://twoaddr.demo.internal:$good"
  "tcp://127.0.0.1:$closed"
  "tls://db.demo.internal:$good"
  "tls://db-alias.demo.internal:$good"
  "tls://kafka.demo.internal:$wrong"
  "tls://db.demo.internal:$expired"
  "tls://db.demo.internal:$self_signed"
  "tls://vpce-0a1b2c3d4e5f-public.vpce-svc-0123456789abcdef0.us-east-1.vpce.amazonaws.com:$good"
  "tcp://missing.demo.internal:5432"
)
[ "$tls10" != "null" ] && targets+=("tls://db.demo.internal:$tls10")
"$plprobe" probe "${targets[@]}" "${dns[@]}" --ca "$work/ca.crt" --timeout 2s || true

section "the same alias with the certificate's name as SNI: fixed"
"$plprobe" probe "tls://db-alias.demo.internal:$good" --sni db.demo.internal "${dns[@]}" --ca "$work/ca.crt" || true

section "latency samples: 10 connects, 50 ms apart"
"$plprobe" probe "tcp://db.demo.internal:$good" --repeat 10 --interval 50ms "${dns[@]}" || true

section "JSON Lines for scripts (first result)"
"$plprobe" probe "tls://kafka.demo.internal:$wrong" "${dns[@]}" --ca "$work/ca.crt" --json | head -n 1 || true

printf '\nExit codes: 0 all ok, 1 a failure (as above), 2 bad input. Try: %s probe --help\n' "$plprobe"
