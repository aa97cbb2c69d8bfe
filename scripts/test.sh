#!/usr/bin/env bash
# Runs every test against one release build, the one scripts/run.sh makes:
# Rust tests on SQLite and on PostgreSQL, the Redis session and SMTP tests,
# the Playwright suite in Chromium (with axe-core) against the release
# binary, and a Schemathesis fuzz run of the API as each kind of caller.
#
#   scripts/test.sh         skips, loudly, suites whose service is missing
#   scripts/test.sh --ci    a missing PostgreSQL or Redis fails the run
#
# PostgreSQL: SIDECAR_TEST_POSTGRES_URL (default postgres://postgres@127.0.0.1:5432/postgres;
# each test creates its own database). Redis: SIDECAR_TEST_REDIS_URL
# (default redis://127.0.0.1:6379).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

STRICT=0
for arg in "$@"; do
  case "$arg" in
    --ci) STRICT=1 ;;
    *) echo "test: unknown option $arg" >&2; exit 2 ;;
  esac
done

export SIDECAR_TEST_POSTGRES_URL="${SIDECAR_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
export SIDECAR_TEST_REDIS_URL="${SIDECAR_TEST_REDIS_URL:-redis://127.0.0.1:6379}"
# The Rust tests build in the release profile with what cargo-leptos's
# release build sets (`LEPTOS_OUTPUT_NAME` is read at compile time), so
# they reuse that build instead of compiling the workspace a second time.
# Only on these lines: a server that finds it in its environment takes its
# whole configuration from the environment and links unhashed assets.
# Every cargo call selects the same packages (the default members), so
# that features resolve alike; a dev-dependency that turns on more
# features of a shared crate undoes the sharing (see the `getrandom` line in
# server/Cargo.toml).
rust_tests() { LEPTOS_OUTPUT_NAME=sidecar cargo test --release "$@"; }
# A failing test's message, without a page of backtrace.
export RUST_BACKTRACE=0
SKIPPED=()

SUITES=0
say() { printf '\033[1;34m[test]\033[0m %s\n' "$*"; }
skip() {
  if ((STRICT)); then
    printf '\033[1;31m[test] FAILED: %s\033[0m\n' "$1" >&2
    exit 1
  fi
  printf '\033[1;33m[test] SKIPPING: %s\033[0m\n' "$1" >&2
  SKIPPED+=("$1")
}

# host:port of a URL like scheme://user@host:port/db
host_port() { local rest="${1#*://}"; rest="${rest#*@}"; echo "${rest%%/*}"; }
reachable() {
  local hp; hp="$(host_port "$1")"
  timeout 2 bash -c "exec 3<>/dev/tcp/${hp%%:*}/${hp##*:}" 2>/dev/null
}

"$ROOT/scripts/install-tools.sh" --with-browser
if ! python3 -c 'import aiosmtpd' 2>/dev/null; then
  say "installing aiosmtpd (the SMTP sink the mail tests start)"
  python3 -m pip install --quiet --disable-pip-version-check aiosmtpd
fi
if ! python3 -c 'import authlib, flask' 2>/dev/null; then
  say "installing authlib and flask (the second registration server the provisioning tests start)"
  python3 -m pip install --quiet --disable-pip-version-check authlib flask
fi

say "building the release binary and site (as scripts/run.sh does)"
cargo leptos build --release
scripts/precompress.sh

say "Rust tests on SQLite"
SUITES=$((SUITES + 1))
rust_tests

# Tests that need a service are #[ignore]d for a plain `cargo test`; they
# are picked here by a word in their names. `--ignored` keeps the same
# targets as above, so nothing is rebuilt.
SERVICE_TESTS=(smtp oidc_provider authlib)
if reachable "$SIDECAR_TEST_POSTGRES_URL"; then
  # Databases of earlier runs.
  psql "$SIDECAR_TEST_POSTGRES_URL" -Atqc "SELECT datname FROM pg_database WHERE datname LIKE 'sidecar_t_%'" 2>/dev/null |
    while read -r db; do psql "$SIDECAR_TEST_POSTGRES_URL" -qc "DROP DATABASE IF EXISTS \"$db\"" >/dev/null 2>&1 || true; done
  say "Rust tests on PostgreSQL"
  SUITES=$((SUITES + 1))
  SIDECAR_TEST_DATABASE=postgres rust_tests
  SERVICE_TESTS+=(unreachable postgres_replicas)
else
  skip "PostgreSQL suite: nothing answers at $(host_port "$SIDECAR_TEST_POSTGRES_URL")"
fi
if reachable "$SIDECAR_TEST_REDIS_URL"; then
  SERVICE_TESTS+=(redis)
else
  skip "Redis session suite: nothing answers at $(host_port "$SIDECAR_TEST_REDIS_URL")"
fi
say "tests with real services: ${SERVICE_TESTS[*]}"
SUITES=$((SUITES + 1))
rust_tests -- --ignored "${SERVICE_TESTS[@]}"

say "Playwright in Chromium"
SUITES=$((SUITES + 1))
E2E_DIR="$(mktemp -d)"
E2E_PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
export SIDECAR_DATA_DIR="$E2E_DIR" SIDECAR_ADDR="127.0.0.1:$E2E_PORT" PUBLIC_URL="http://127.0.0.1:$E2E_PORT"
(
  unset DATABASE_URL REDIS_URL SMTP_URL
  target/release/sidecar seed-demo >/dev/null
  # The provisioning journey registers apps at an authorization server the
  # test starts on loopback.
  SIDECAR_ALLOW_PRIVATE_FETCH=true target/release/sidecar serve >"$E2E_DIR/server.log" 2>&1 &
  SERVER_PID=$!
  trap 'kill $SERVER_PID 2>/dev/null || true; wait $SERVER_PID 2>/dev/null || true' EXIT
  for _ in $(seq 1 100); do
    curl -fsS "$PUBLIC_URL/healthz" >/dev/null 2>&1 && break
    sleep 0.1
  done
  cd end2end
  if ! BASE_URL="$PUBLIC_URL" npx playwright test; then
    echo "--- server log ---" >&2
    tail -n 50 "$E2E_DIR/server.log" >&2
    exit 1
  fi
)
rm -rf "$E2E_DIR"

say "fuzzing the API with Schemathesis (each kind of caller)"
SUITES=$((SUITES + 1))
(unset SIDECAR_DATA_DIR SIDECAR_ADDR PUBLIC_URL; scripts/fuzz-api.sh --binary target/release/sidecar)

# The closing line CI reads: suites run, failed (a failure exits earlier).
if ((${#SKIPPED[@]})); then
  printf '\033[1;33m[test] passed, but these suites were SKIPPED:\033[0m\n' >&2
  printf '  - %s\n' "${SKIPPED[@]}" >&2
else
  say "all suites passed"
fi
echo "suites: ${SUITES} passed, 0 failed, ${#SKIPPED[@]} skipped"
