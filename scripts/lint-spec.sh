#!/usr/bin/env bash
# Lints openapi.yaml (or the spec given as $1, for tests) with Redocly CLI's
# recommended rules and the project's own rules in redocly.yaml (pinned in
# tools/redocly). Fails on any error and on any warning.
set -euo pipefail
cd "$(dirname "$0")/.."
spec=${1:-openapi.yaml}
# npm writes node_modules/.package-lock.json on install: reinstall only when the pinned
# lock file is newer than the installed tree (the tests lint many specs in a row).
if [ ! tools/redocly/node_modules/.package-lock.json -nt tools/redocly/package-lock.json ]; then
  npm ci --prefix tools/redocly --no-audit --no-fund --loglevel=error >/dev/null
fi
out=$(NO_UPDATE_NOTIFIER=1 tools/redocly/node_modules/.bin/redocly lint "$spec" --config redocly.yaml --format=stylish 2>&1) && rc=0 || rc=$?
# Drop Redocly's boxed Node.js version notice; keep the findings.
echo "$out" | grep -v -e '[╔╚║]' -e '^\s*$' || true
if [ "$rc" -ne 0 ] || echo "$out" | grep -Eq '(^|[[:space:]])(warning|error)[[:space:]]'; then
  echo "spec lint failed: fix the findings above" >&2
  exit 1
fi
echo "spec lint: 0 errors, 0 warnings"
