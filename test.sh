#!/usr/bin/env bash
# Runs the whole test suite against a real PostgreSQL.
# If no PostgreSQL answers on 127.0.0.1:5432, installs one from Debian packages and starts it.
# Ends with one line: "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")"

export SUPPLYCHAIN_TEST_PG="${SUPPLYCHAIN_TEST_PG:-Host=127.0.0.1;Port=5432;Username=postgres;Password=postgres}"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
as_postgres() { if [ "$(id -u)" = 0 ]; then (cd / && su postgres -c "$1"); else (cd / && sudo -u postgres sh -c "$1"); fi; }

pg_answers() { PGPASSWORD=postgres psql -h 127.0.0.1 -p 5432 -U postgres -d postgres -tAc 'SELECT 1' >/dev/null 2>&1; }

if ! pg_answers; then
  if ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
    echo "Installing PostgreSQL from Debian packages..."
    as_root apt-get update -qq
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq postgresql >/dev/null
  fi
  version=$(ls /usr/lib/postgresql | sort -n | tail -1)
  if ! pg_lsclusters 2>/dev/null | awk 'NR>1' | grep -q .; then
    as_root pg_createcluster "$version" main >/dev/null
  fi
  cluster=$(pg_lsclusters | awk 'NR>1 {print $1" "$2; exit}')
  as_root pg_ctlcluster $cluster start || true
  for _ in $(seq 1 60); do
    pg_isready -h 127.0.0.1 -p 5432 -q && break
    sleep 1
  done
  as_postgres "psql -q -c \"ALTER USER postgres PASSWORD 'postgres'\""
  as_postgres "psql -q -c 'ALTER SYSTEM SET max_connections = 300'" && as_root pg_ctlcluster $cluster restart
  for _ in $(seq 1 60); do pg_answers && break; sleep 1; done
fi
pg_answers || { echo "PostgreSQL does not answer on 127.0.0.1:5432"; echo "0 passed, 1 failed"; exit 1; }

# The risk console's tests drive a real browser: Debian's chromium (Playwright cannot download its own here).
if [ -z "${SUPPLYCHAIN_CHROMIUM:-}" ] && [ ! -x /usr/bin/chromium ]; then
  echo "Installing chromium from Debian packages..."
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq chromium >/dev/null
fi

rm -rf artifacts/silo-logs
mkdir -p artifacts
# Silo processes started by the fault tests write their whole output here (named in failure messages).
export SUPPLYCHAIN_TEST_ARTIFACTS="$PWD/artifacts"
log=artifacts/test.log
dotnet build SupplyChain.sln -c Debug -nologo -v q 2>&1 | tail -n 3
dotnet test tests/SupplyChain.Tests.csproj --no-build -c Debug --logger "console;verbosity=normal" "$@" 2>&1 | tee "$log" | grep -E -A4 "^\s+Failed |Error Message" | grep -vE "^\s+at |Stack Trace"
status=${PIPESTATUS[0]}

passed=$(grep -Eo "Passed: +[0-9]+" "$log" | tail -1 | grep -Eo "[0-9]+" || echo 0)
failed=$(grep -Eo "Failed: +[0-9]+" "$log" | tail -1 | grep -Eo "[0-9]+" || echo 0)
if [ -z "$passed$failed" ] || { [ "$passed" = 0 ] && [ "$failed" = 0 ]; }; then
  # The run never reached a summary (build or host failure): count it as one failure.
  failed=1
fi
[ "$status" -ne 0 ] && [ "$failed" = 0 ] && failed=1
echo "${passed:-0} passed, ${failed:-0} failed"
[ "$failed" = 0 ]
