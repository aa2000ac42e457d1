#!/usr/bin/env bash
# Lints openapi.yaml with Redocly CLI's recommended rules (pinned in tools/redocly).
# Fails on any error and on any warning.
set -euo pipefail
cd "$(dirname "$0")/.."
npm ci --prefix tools/redocly --no-audit --no-fund --loglevel=error >/dev/null
out=$(NO_UPDATE_NOTIFIER=1 tools/redocly/node_modules/.bin/redocly lint openapi.yaml --format=stylish 2>&1) && rc=0 || rc=$?
# Drop Redocly's boxed Node.js version notice; keep the findings.
echo "$out" | grep -v -e '[╔╚║]' -e '^\s*$' || true
if [ "$rc" -ne 0 ] || echo "$out" | grep -Eq '(^|[[:space:]])(warning|error)[[:space:]]'; then
  echo "spec lint failed: fix the findings above" >&2
  exit 1
fi
echo "spec lint: 0 errors, 0 warnings"
