#!/usr/bin/env bash
# MongoDB handshakes per second against the loopback test peer
# (tests/peers/mongodb/peer.js, one "modern" member: OP_MSG, js-bson):
#
#   plprobe:  plprobe probe mongodb://127.0.0.1:PORT, N targets in one run
#             (TCP connect + OP_MSG hello + close; --tls disable,
#             --no-walk-members), at --concurrency 1 and 64
#   driver:   MongoDB's official Node.js driver (npm "mongodb", from the
#             peer's node_modules), N times connect (directConnection, its own
#             OP_QUERY-or-OP_MSG handshake) + close, sequentially and 64 at once
#
# The peer is single-threaded JavaScript: it, not the client, limits the
# rate, so the figures compare clients against the same slow server, not
# against a real mongod. Debian ships no MongoDB server or mongosh to compare
# with.
#
# Usage: bench/mongodb_handshake.sh [N]   (default N=2000; BUILD_DIR default build)
# Needs: a built plprobe, tests/peers/mongodb/install.sh done. Loopback only.
set -euo pipefail
cd "$(dirname "$0")/.."

n="${1:-2000}"
build_dir="${BUILD_DIR:-build}"
plprobe="$build_dir/cli/plprobe"
[ -x "$plprobe" ] || { echo "mongodb_handshake: build plprobe first ($plprobe)" >&2; exit 2; }
tests/peers/mongodb/install.sh >/dev/null

work="$(mktemp -d /tmp/plprobe-mongo-bench-XXXXXX)"
peer_pid=""
cleanup() {
  if [ -n "$peer_pid" ]; then kill "$peer_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

cat > "$work/config.json" <<JSON
{"set_name": "rs0", "max_seconds": 600,
 "members": [{"name": "m1", "host": "127.0.0.1", "role": "primary"}]}
JSON
node --no-deprecation tests/peers/mongodb/peer.js "$work/config.json" > "$work/peer.out" 2>&1 &
peer_pid=$!
for _ in $(seq 100); do grep -q '"ready"' "$work/peer.out" && break; sleep 0.1; done
port="$(sed -n 's/.*"port":\([0-9]*\).*/\1/p' "$work/peer.out" | head -1)"
[ -n "$port" ] || { echo "mongodb_handshake: the peer did not start"; cat "$work/peer.out"; exit 1; }

for _ in $(seq "$n"); do echo "mongodb://127.0.0.1:$port"; done > "$work/targets.txt"

rate() {  # rate LABEL SECONDS
  awk -v n="$n" -v s="$2" -v l="$1" 'BEGIN { printf "| %s | %d | %.2f s | %.0f/s |\n", l, n, s, n / s }'
}
seconds() { local start end; start=$(date +%s.%N); "$@" > "$work/out" 2>&1 || { cat "$work/out"; exit 1; }; end=$(date +%s.%N); awk -v a="$start" -v b="$end" 'BEGIN { print b - a }'; }

echo "| client | handshakes | wall time | rate |"
echo "|---|---:|---:|---:|"
for concurrency in 1 64; do
  s=$(seconds "$plprobe" probe --targets "$work/targets.txt" --tls disable --no-walk-members \
        --concurrency "$concurrency" --threads 1 --timeout 5s --json)
  ok=$(grep -c '"outcome":"ok"' "$work/out" || true)
  [ "$ok" = "$n" ] || { echo "plprobe: only $ok of $n ok"; exit 1; }
  rate "plprobe, concurrency $concurrency" "$s"
done
for parallel in 1 64; do
  s=$(seconds env NODE_PATH=tests/peers/mongodb/node_modules node -e '
    const {MongoClient} = require("mongodb");
    const [url, n, parallel] = [process.argv[1], +process.argv[2], +process.argv[3]];
    let next = 0;
    async function lane() {
      while (next < n) {
        next++;
        const client = new MongoClient(url, {directConnection: true, serverSelectionTimeoutMS: 5000});
        await client.connect();
        await client.close();
      }
    }
    Promise.all(Array.from({length: parallel}, lane)).then(() => process.exit(0), e => { console.error(e); process.exit(1); });
  ' "mongodb://127.0.0.1:$port/" "$n" "$parallel")
  rate "Node.js driver, $parallel at once" "$s"
done
