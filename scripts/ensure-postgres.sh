#!/usr/bin/env bash
# Make sure the PostgreSQL server binaries the test suite starts its throwaway cluster with are here
# (tests/pg.py looks in the same places). Installs PostgreSQL 15 with apt-get when they are not.
set -euo pipefail

have_initdb() {
    local dir
    for dir in "${JOURNEYSTACK_PG_BINDIR:-}" /usr/lib/postgresql/15/bin /usr/lib/postgresql/*/bin; do
        if [ -n "$dir" ] && [ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ] && [ -x "$dir/postgres" ]; then
            return 0
        fi
    done
    command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1
}

if [ -n "${JOURNEYSTACK_TEST_DATABASE_URL:-}" ] || have_initdb; then
    exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
    as_root=()
elif command -v sudo >/dev/null 2>&1; then
    as_root=(sudo)
else
    echo "ensure-postgres: PostgreSQL server binaries (initdb, pg_ctl) are missing and this user cannot" >&2
    echo "install them: install postgresql-15, or set JOURNEYSTACK_TEST_DATABASE_URL." >&2
    exit 1
fi
if ! command -v apt-get >/dev/null 2>&1; then
    echo "ensure-postgres: no apt-get here: install PostgreSQL 15 (initdb, pg_ctl), or set JOURNEYSTACK_PG_BINDIR" >&2
    echo "or JOURNEYSTACK_TEST_DATABASE_URL." >&2
    exit 1
fi

echo "ensure-postgres: installing the PostgreSQL server with apt-get" >&2
export DEBIAN_FRONTEND=noninteractive
"${as_root[@]}" apt-get update -qq
# The tests make their own clusters: the package's default cluster would only take memory and a port.
"${as_root[@]}" mkdir -p /etc/postgresql-common/createcluster.d
echo "create_main_cluster = false" | "${as_root[@]}" tee /etc/postgresql-common/createcluster.d/journeystack.conf >/dev/null
package=postgresql-15
if ! apt-cache policy "$package" | grep -q 'Candidate: [0-9]'; then
    package=postgresql  # the distribution's own version, where 15 is not packaged
fi
"${as_root[@]}" apt-get install -y -qq --no-install-recommends "$package" >/dev/null
have_initdb || { echo "ensure-postgres: $package installed, but initdb is still not found" >&2; exit 1; }
