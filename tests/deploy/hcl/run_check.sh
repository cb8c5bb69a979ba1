#!/usr/bin/env bash
# run_check.sh <repository root> <nbs-mcpd>: installs the HCL parser from the checked-in lock file when
# needed, then runs check_hcl.mjs. Fails loudly when node or npm is missing.
set -euo pipefail
root=$(realpath "$1")
mcpd=$(realpath "$2")
here=$(cd "$(dirname "$0")" && pwd)
command -v node >/dev/null || { echo "FAIL: node is not installed" >&2; exit 1; }
command -v npm >/dev/null || { echo "FAIL: npm is not installed" >&2; exit 1; }
cd "$here"
if [ ! -d node_modules/@cdktf/hcl2json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-fund --no-audit >&2
fi
exec node check_hcl.mjs "$root" "$mcpd"
