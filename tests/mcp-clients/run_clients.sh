#!/usr/bin/env bash
# Runs the official MCP TypeScript SDK clients (v1 and v2) against nbs-mcpd-fake over Streamable HTTP
# and stdio. Usage: run_clients.sh <path to nbs-mcpd-fake>. Installs the npm packages from the
# checked-in lock file when needed. Fails loudly when node or npm is missing.
set -euo pipefail
daemon=$1
here=$(cd "$(dirname "$0")" && pwd)
command -v node >/dev/null || { echo "FAIL: node is not installed" >&2; exit 1; }
command -v npm >/dev/null || { echo "FAIL: npm is not installed" >&2; exit 1; }
cd "$here"
if [ ! -d node_modules/@modelcontextprotocol/sdk ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-fund --no-audit >&2
fi

work=$(mktemp -d)
pid=""
cleanup() {
  if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

"$daemon" --listen 127.0.0.1:0 --log-level info 2>"$work/daemon.log" &
pid=$!
port=""
for _ in $(seq 1 100); do
  port=$(sed -n 's|.*listening on http://127.0.0.1:\([0-9]*\).*|\1|p' "$work/daemon.log" | head -1)
  [ -n "$port" ] && break
  sleep 0.1
done
[ -n "$port" ] || { echo "FAIL: nbs-mcpd-fake did not start" >&2; cat "$work/daemon.log" >&2; exit 1; }
url="http://127.0.0.1:$port/mcp"

status=0
run() {
  echo "--- $*"
  if ! timeout 120 node "$@"; then status=1; fi
}
run sdk_v1_client.mjs http "$url"
run sdk_v1_client.mjs stdio "$daemon" --stdio
run sdk_v2_client.mjs auto http "$url"
run sdk_v2_client.mjs modern http "$url"
run sdk_v2_client.mjs legacy http "$url"
run sdk_v2_client.mjs auto stdio "$daemon" --stdio
# The daemon must still be healthy and shut down cleanly on SIGTERM.
curl -sf "http://127.0.0.1:$port/health" >/dev/null || { echo "FAIL: /health" >&2; status=1; }
kill -TERM "$pid"
if ! wait "$pid"; then echo "FAIL: nbs-mcpd-fake exited non-zero after SIGTERM" >&2; status=1; fi
pid=""
exit $status
