#!/usr/bin/env bash
# Serves a mock of the API from openapi.yaml and its examples with Stoplight Prism
# (pinned in tools/prism), so that a frontend can be built with no backend running.
# MOCK_HOST (127.0.0.1) and MOCK_PORT (4010) say where; further arguments go to
# `prism mock` (e.g. --dynamic for generated rather than example data).
set -euo pipefail
cd "$(dirname "$0")/.."
npm ci --prefix tools/prism --no-audit --no-fund --loglevel=error >/dev/null
exec tools/prism/node_modules/.bin/prism mock openapi.yaml \
  --host "${MOCK_HOST:-127.0.0.1}" --port "${MOCK_PORT:-4010}" "$@"
