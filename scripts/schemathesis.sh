#!/usr/bin/env bash
# Tests the JSON API against its OpenAPI document with Schemathesis (PyPI): the real binary on
# the demo company, on SQLite and, when YINGPAN_TEST_PG_URL is set, on PostgreSQL; a bounded
# number of generated requests per operation; no 5xx, and every status code, content type,
# header and documented body as the document says. Requests the API refuses although the
# document allows them (its constraints are prose, not schema) are not counted.
# Usage: scripts/schemathesis.sh [path-to-yingpan-binary]   (default: target/debug/yingpan)
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${1:-target/debug/yingpan}
ST=${SCHEMATHESIS:-target/st-venv/bin/st}
if [ ! -x "$ST" ]; then
  echo "== pip install schemathesis"
  python3 -m venv target/st-venv
  target/st-venv/bin/pip install --quiet --disable-pip-version-check 'schemathesis>=4,<5'
fi
[ -x "$BIN" ] || cargo build -q -p yingpan
WORK=$(mktemp -d /tmp/yingpan-st.XXXXXX)
SERVER=""
stop() { [ -n "$SERVER" ] && kill "$SERVER" 2>/dev/null; wait 2>/dev/null || true; }
trap 'stop; rm -rf "$WORK"' EXIT

run_against() {
  local db=$1 name=$2 port
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  "$BIN" demo --db "$db" --listen "127.0.0.1:$port" >"$WORK/$name.log" 2>&1 &
  SERVER=$!
  for _ in $(seq 1 300); do
    curl -fs "http://127.0.0.1:$port/api/v1/openapi.json" >/dev/null 2>&1 && break
    sleep 0.2
  done
  local token user
  # The director reaches most of the API; the admin the settings, people and webhooks too.
  for user in director admin; do
    token=$(curl -fs -X POST "http://127.0.0.1:$port/api/v1/auth/login" -H 'content-type: application/json' \
      -d "{\"username\":\"$user\",\"password\":\"yingpan2026\"}" | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
    echo "== schemathesis on $name as $user"
    # Logging out or deactivating people would end the run's own session.
    "$ST" run "http://127.0.0.1:$port/api/v1/openapi.json" \
      -H "Authorization: Bearer $token" \
      --checks not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,response_schema_conformance \
      --exclude-path-regex '/auth/logout|/users/\{id\}/deactivate' \
      --max-examples "${YINGPAN_ST_EXAMPLES:-10}" --seed "${YINGPAN_ST_SEED:-20261128}" \
      --no-color >"$WORK/$name-$user-st.log" 2>&1 || { cat "$WORK/$name-$user-st.log"; echo "server log:"; tail -50 "$WORK/$name.log"; exit 1; }
    grep -E "Test cases|generated" "$WORK/$name-$user-st.log" | tail -1
  done
  stop
  SERVER=""
}

run_against "sqlite://$WORK/st.db" sqlite
if [ -n "${YINGPAN_TEST_PG_URL:-}" ]; then
  DBNAME="yp_st_$$"
  psql "${YINGPAN_TEST_PG_URL%/}/postgres" -qc "CREATE DATABASE $DBNAME" >/dev/null
  # The server works as the app role when the test script made one (see the tenancy check).
  APP_SERVER=${YINGPAN_TEST_PG_APP_URL:-$YINGPAN_TEST_PG_URL}
  run_against "${APP_SERVER%/}/$DBNAME" postgres
  psql "${YINGPAN_TEST_PG_URL%/}/postgres" -qc "DROP DATABASE $DBNAME" >/dev/null || true
fi
echo "== schemathesis: no failures"
