#!/usr/bin/env bash
# Installs the MongoDB test peer's npm packages (package-lock.json) into
# node_modules/ beside this file. Idempotent and offline-safe:
#   - nothing to do when node_modules/ already matches the lockfile (a stamp
#     holds the lockfile's checksum), so a machine without the npm registry
#     keeps working once installed;
#   - otherwise `npm ci --ignore-scripts`, first from npm's cache alone
#     (--offline), then from the registry;
#   - --ignore-scripts: no package runs install scripts (the mock server's
#     `snappy` would try to download or build a native module; peer.js never
#     needs it, see "loadMockServer" there).
# Exit status 0 when node_modules/ is usable, non-zero with a message otherwise.
set -euo pipefail
cd "$(dirname "$0")"

if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  echo "tests/peers/mongodb/install.sh: node and npm are needed (Debian packages nodejs npm)" >&2
  exit 1
fi

stamp=node_modules/.plprobe-lock.sha256
want="$(sha256sum package-lock.json | cut -d' ' -f1)"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && [ -d node_modules/mongodb-mock-server ]; then
  exit 0
fi

npm_flags=(ci --ignore-scripts --no-audit --no-fund --loglevel=error)
if ! npm "${npm_flags[@]}" --offline >/dev/null 2>&1; then
  npm "${npm_flags[@]}"
fi
echo "$want" > "$stamp"
echo "tests/peers/mongodb: npm packages installed"
