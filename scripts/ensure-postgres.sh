#!/usr/bin/env bash
# Makes sure the PostgreSQL server programs (initdb, pg_ctl) are installed, because
# `make run` and `make test` start a private cluster with them when no DATABASE_URL /
# TEST_DATABASE_URL is given. On Debian/Ubuntu it installs them with apt; elsewhere it
# says exactly what to install.
set -euo pipefail

have_initdb() {
  command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1 && return 0
  for d in /usr/lib/postgresql/*/bin /usr/pgsql-*/bin /usr/local/pgsql/bin /opt/homebrew/bin; do
    [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ] && return 0
  done
  return 1
}

if have_initdb; then
  exit 0
fi

if command -v apt-get >/dev/null 2>&1; then
  echo "PostgreSQL server programs not found; installing Debian's 'postgresql' package" >&2
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -q
  $SUDO apt-get install -y -q --no-install-recommends postgresql
  # The Debian package starts a system cluster on 5432; Shopfloor does not need it,
  # but leaves it alone.
  have_initdb && exit 0
fi

cat >&2 <<'MSG'
PostgreSQL's server programs (initdb and pg_ctl) are not installed.
Install them, then run the command again:
  Debian/Ubuntu:  sudo apt-get install postgresql
  Fedora/RHEL:    sudo dnf install postgresql-server
  macOS:          brew install postgresql@15
  Alpine:         apk add postgresql
Or point Shopfloor at an existing server with DATABASE_URL (make run) or
TEST_DATABASE_URL (make test).
MSG
exit 1
