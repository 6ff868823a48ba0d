#!/usr/bin/env bash
# Runs the whole Yingpan test suite: unit and property tests, API integration tests on SQLite
# and on a throw-away PostgreSQL server, CLI tests, end-to-end tests in headless Chromium, and
# Schemathesis against the API's OpenAPI document on both backends.
# Installs what it needs on a bare Debian machine (apt-get) and is safe to run repeatedly.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need_apt+=(postgresql)
command -v chromium >/dev/null 2>&1 || need_apt+=(chromium)
command -v chromedriver >/dev/null 2>&1 || need_apt+=(chromium-driver)
[ -x /usr/sbin/nginx ] || need_apt+=(nginx-light)
# Chinese text in the browser tests' screenshots, and npm for axe-core (accessibility checks).
[ -f /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc ] || need_apt+=(fonts-noto-cjk)
command -v npm >/dev/null 2>&1 || need_apt+=(npm)
# Schemathesis (PyPI) runs in a virtual environment beside the build.
python3 -c 'import venv, ensurepip' >/dev/null 2>&1 || need_apt+=(python3-venv)
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "== installing ${need_apt[*]}"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_apt[@]}" >/dev/null
  # The package starts a default site on port 80; the scale-out test runs its own nginx.
  $SUDO service nginx stop >/dev/null 2>&1 || true
fi

# A private PostgreSQL cluster on a loopback port, removed on exit. pg_stat_statements records
# every statement the suite sends, for the check that each names its organization (last step).
PG_BIN=$(dirname "$(ls /usr/lib/postgresql/*/bin/initdb | sort -V | tail -n 1)")
PG_PORT=${YINGPAN_TEST_PG_PORT:-5439}
PG_DIR=$(mktemp -d /tmp/yingpan-pg.XXXXXX)
RUN_AS=()
if [ "$(id -u)" -eq 0 ]; then
  # PostgreSQL refuses to run as root.
  chown postgres:postgres "$PG_DIR"
  RUN_AS=(runuser -u postgres --)
fi
cleanup() {
  "${RUN_AS[@]}" "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$PG_DIR"
}
trap cleanup EXIT
"${RUN_AS[@]}" "$PG_BIN/initdb" -D "$PG_DIR/data" -U yingpan --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
"${RUN_AS[@]}" "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/log" -w \
  -o "-c listen_addresses=127.0.0.1 -p $PG_PORT -k $PG_DIR -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=400 -c shared_preload_libraries=pg_stat_statements -c pg_stat_statements.max=50000 -c pg_stat_statements.track_utility=off" start >/dev/null
echo "== PostgreSQL $("$PG_BIN/postgres" --version | awk '{print $3}') on 127.0.0.1:$PG_PORT"

export YINGPAN_TEST_PG_URL="postgres://yingpan@127.0.0.1:$PG_PORT"
# The app under test connects as its own role, so that the statements it sends are told apart
# from the tests' own checks in pg_stat_statements.
"$PG_BIN/psql" -h 127.0.0.1 -p "$PG_PORT" -U yingpan -d postgres -qc "CREATE ROLE yingpan_app LOGIN SUPERUSER" >/dev/null
export YINGPAN_TEST_PG_APP_URL="postgres://yingpan_app@127.0.0.1:$PG_PORT"
export YINGPAN_REQUIRE_PG=1
export YINGPAN_REQUIRE_E2E=1
export YINGPAN_REQUIRE_NGINX=1
export CHROMEDRIVER=${CHROMEDRIVER:-$(command -v chromedriver)}
# axe-core, pinned to a major version, kept beside the build so a second run needs no network.
AXE_DIR=target/axe
if [ ! -f "$AXE_DIR/node_modules/axe-core/axe.min.js" ]; then
  echo "== npm install axe-core"
  mkdir -p "$AXE_DIR"
  npm install --prefix "$AXE_DIR" --silent --no-audit --no-fund axe-core@4 >/dev/null
fi
export YINGPAN_AXE="$PWD/$AXE_DIR/node_modules/axe-core/axe.min.js"
# Screenshots of the main pages (desktop and phone) are kept as test artifacts.
export YINGPAN_E2E_SCREENSHOTS=${YINGPAN_E2E_SCREENSHOTS:-$PWD/target/screenshots}
export CHROMIUM=${CHROMIUM:-$(command -v chromium)}

echo "== cargo fmt --check"
cargo fmt --all -- --check
echo "== cargo clippy"
cargo clippy --workspace --all-targets --quiet -- -D warnings
echo "== cargo test"
cargo test --workspace
# The API against its OpenAPI document, on the binary the tests just built, on both backends.
bash scripts/schemathesis.sh target/debug/yingpan
# Every statement the suite and Schemathesis sent to PostgreSQL names its organization (Citus).
cargo test -p yingpan-store --test tenancy -- --ignored
