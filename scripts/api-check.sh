#!/usr/bin/env bash
# Fails when openapi.yaml has a breaking change against the released spec without a
# new major info.version. The released spec is the one at the git ref in .api-base
# (or the file given as $1, for tests); the new one is ./openapi.yaml (or $2).
set -euo pipefail
cd "$(dirname "$0")/.."
new=${2:-openapi.yaml}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
if [ -n "${1:-}" ]; then
  base=$1
else
  ref=$(tr -d '[:space:]' <.api-base)
  if ! git cat-file -e "$ref:openapi.yaml" 2>/dev/null; then
    echo "api-check: .api-base names $ref, which this clone does not have" >&2
    exit 1
  fi
  git show "$ref:openapi.yaml" >"$tmp/base.yaml"
  base=$tmp/base.yaml
fi
major() { sed -n 's/^  version: *["'\'']\{0,1\}\([0-9]*\)\..*/\1/p' "$1" | head -1; }
base_major=$(major "$base")
new_major=$(major "$new")
if go tool oasdiff breaking "$base" "$new" --fail-on ERR >"$tmp/breaking.txt" 2>&1; then
  echo "api-check: no breaking change (info.version major $base_major → $new_major)"
  exit 0
fi
cat "$tmp/breaking.txt"
if [ "$new_major" -gt "$base_major" ]; then
  echo "api-check: breaking changes, and info.version's major went up ($base_major → $new_major): allowed"
  exit 0
fi
echo "api-check: breaking changes without a new major info.version ($base_major → $new_major)." >&2
echo "Make the change compatible, or raise info.version's major and say so in CHANGELOG.md." >&2
exit 1
