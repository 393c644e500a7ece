#!/usr/bin/env bash
# The one-minute tour: sets up plprobe (scripts/setup.sh), starts local
# servers on loopback -- a DNS server (unbound) with a demo zone of
# endpoint-like names, TLS servers with a good, a wrong-name, an expired and
# a self-signed certificate, a closed port, and a sandbox of data sources
# (PostgreSQL, MariaDB, librdkafka's mock Kafka cluster, one broker of it
# advertising a name that does not resolve) -- and runs plprobe against them
# so every kind of result shows up once. Then `plprobe doctor` checks one
# healthy reverse private endpoint and two broken ones (subnets without a
# free /28, a TLS name mismatch through the endpoint name, a broker that
# advertises an unresolvable name) and writes their HTML reports to
# build/demo-reports/. Everything stays on 127.0.0.0/8; everything started
# here is stopped on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

[ "${PLPROBE_DEMO_SKIP_SETUP:-}" = 1 ] || scripts/setup.sh
plprobe="$root/build/cli/plprobe"
tls_peer="$root/build/tests/peers/plprobe_tls_peer"
sandbox="$root/build/tests/peers/plprobe_doctor_sandbox"
fixtures="$root/tests/fixtures/validator"
reports="$root/build/demo-reports"

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

# --- doctor sandbox: PostgreSQL, MariaDB, mock Kafka cluster ------------------
# Started now because PostgreSQL and MariaDB take a few seconds to set up;
# the doctor section at the end waits for them. The password exists only
# in this shell's environment, never on a command line.
broken_broker=b-2.events.xuy0sb.c5.kafka.us-east-1.amazonaws.com
demo_password="demo-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
mkdir -p "$work/sandbox"
mkfifo "$work/sandbox.in"
PLPROBE_PASSWORD="$demo_password" "$sandbox" --dir "$work/sandbox" --broken-broker "$broken_broker" \
  <"$work/sandbox.in" >"$work/sandbox.json" 2>"$work/sandbox.log" &
pids+=($!)
exec 4>"$work/sandbox.in"

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
vpce-0abed31004e618123-4gq1ukpt.vpce-svc-0e7555fb6441987e1.us-east-1 60 IN A 127.0.0.1
ZONE
# VPC Lattice names of VPC_RESOURCE endpoints, and an MSK cluster's own
# broker names, which exist only inside the cluster's VPC (NXDOMAIN here).
cat >"$work/on-aws.zone" <<ZONE
\$ORIGIN on.aws.
@ 300 IN SOA ns.demo.internal. admin.demo.internal. 1 3600 600 86400 300
@ 300 IN NS  ns.demo.internal.
vpce-0d9e8f7a6b5c4d3e2-snra-4bd2a1c9.rcfg-07129f3acded87625.4232ccc.vpc-lattice-rsc.us-east-1 60 IN A 127.0.0.1
ZONE
cat >"$work/msk.zone" <<ZONE
\$ORIGIN kafka.us-east-1.amazonaws.com.
@ 300 IN SOA ns.demo.internal. admin.demo.internal. 1 3600 600 86400 300
@ 300 IN NS  ns.demo.internal.
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
auth-zone:
  name: "on.aws."
  zonefile: "$work/on-aws.zone"
  for-downstream: yes
auth-zone:
  name: "kafka.us-east-1.amazonaws.com."
  zonefile: "$work/msk.zone"
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

# --- plprobe doctor ------------------------------------------------------------
for _ in $(seq 600); do [ -s "$work/sandbox.json" ] && break; sleep 0.1; done
if [ ! -s "$work/sandbox.json" ]; then
  echo "demo: the doctor sandbox did not start:" >&2
  cat "$work/sandbox.log" >&2
  exit 1
fi
sandbox_field() { sed -E "s/.*\"$1\":([0-9]+).*/\1/" "$work/sandbox.json"; }
pg=$(sandbox_field postgres); my=$(sandbox_field mariadb)
kafka_broken=$(sandbox_field kafka_broken)
sandbox_ca="$work/sandbox/ca.crt"

# Endpoint objects as the ClickHouse Cloud API returns them, and AWS CLI
# evidence (the validator's fixtures) with the resource configuration
# opened on the sandbox PostgreSQL's port.
ep="$work/endpoints"
mkdir -p "$ep/healthy/evidence" "$ep/exhausted/evidence" "$ep/kafka" "$reports"
cp "$fixtures/vpc_resource/healthy/rpe.json" "$ep/healthy/rpe.json"
for file in "$fixtures"/vpc_resource/healthy/*.json; do
  name=$(basename "$file")
  [ "$name" = rpe.json ] && continue
  sed "s/\"5432\"/\"$pg\"/" "$file" >"$ep/healthy/evidence/$name"
  cp "$ep/healthy/evidence/$name" "$ep/exhausted/evidence/$name"
done
# The same gateway after other network interfaces fragmented its subnets.
cp "$fixtures/vpc_resource/cases/network-interfaces-fragmented.json" "$ep/exhausted/evidence/network-interfaces.json"
cat >"$ep/kafka/rpe.json" <<JSON
{"status": 200, "requestId": "c0ffee00-1234-4abc-9def-0123456789ab",
 "result": {"id": "6a5b4c3d-2e1f-4a0b-9c8d-7e6f5a4b3c2d", "serviceId": "9c2f1e0d-8b7a-4c6d-9e5f-1a2b3c4d5e6f",
  "description": "self-managed Kafka behind NLB", "type": "VPC_ENDPOINT_SERVICE",
  "vpcEndpointServiceName": "com.amazonaws.vpce.us-east-1.vpce-svc-0e7555fb6441987e1",
  "endpointId": "vpce-0abed31004e618123",
  "dnsNames": ["vpce-0abed31004e618123-4gq1ukpt.vpce-svc-0e7555fb6441987e1.us-east-1.vpce.amazonaws.com"],
  "privateDnsNames": [], "customPrivateDnsMappings": [], "status": "Ready"}}
JSON
doctor=("$plprobe" doctor "${dns[@]}" --samples 10 --interval 20ms --timeout 3s)
export PLPROBE_PASSWORD="$demo_password"

section "doctor, healthy: a VPC_RESOURCE endpoint to PostgreSQL, evidence and CDC checked (exit 0)"
"${doctor[@]}" --endpoint "$ep/healthy/rpe.json" --evidence "$ep/healthy/evidence" --source postgres --port "$pg" \
  --user clickpipes --database postgres --credentials-from-env --report "$reports/healthy.html" || true

section "doctor, broken: full subnets, and ClickPipes verifying a certificate that does not name the endpoint (exit 1)"
"${doctor[@]}" --endpoint "$ep/healthy/rpe.json" --evidence "$ep/exhausted/evidence" --source postgres --port "$pg" \
  --user clickpipes --database postgres --credentials-from-env --tls verify-full --ca "$sandbox_ca" \
  --report "$reports/broken-postgres.html" || true

section "doctor, broken: a Kafka broker advertises a name that does not resolve through the endpoint (exit 1)"
"${doctor[@]}" --endpoint "$ep/kafka/rpe.json" --source kafka --port "$kafka_broken" \
  --report "$reports/broken-kafka.html" || true

section "doctor without an endpoint object: MariaDB path and binlog CDC readiness, as JSON (summary line)"
"${doctor[@]}" "mysql://clickpipes@127.0.0.1:$my" --credentials-from-env --json | tail -n 1 || true
unset PLPROBE_PASSWORD

printf '\nHTML reports (self-contained, open them in any browser): %s\n' "$reports"
printf 'Exit codes: 0 all ok, 1 a failure (as above), 2 bad input. Try: %s probe --help, %s doctor --help\n' \
  "$plprobe" "$plprobe"
