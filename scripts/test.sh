#!/usr/bin/env bash
# The test command of the README. Against SQLite by default; set HARVESTER_TEST_PG_URL to a
# PostgreSQL server URL (scripts/pg-test-server.sh starts one) to run it against PostgreSQL.
set -euo pipefail
cd "$(dirname "$0")/.."
exec python3 -m pytest -q -p no:cacheprovider --durations=15 "$@"
