#!/usr/bin/env bash
# Fuzzes Sidecar's HTTP interface with Schemathesis, from its own OpenAPI
# document (`/api/v1/openapi.json`: the REST API and each tenant's
# authorization server), once for each kind of caller: anonymous, a
# developer, a reviewer, a tenant admin and a tenant API key. Each caller
# gets a freshly seeded server of its own (a caller may revoke its own
# key) and a fixed time budget; the five run side by side.
#
# Fails on any 5xx, any answer that does not match the document, a
# request the document calls invalid that is accepted, any request not
# answered within 5 s, and a server that does not answer `/healthz` and a
# catalog page within 10 s after the run.
#
#   scripts/fuzz-api.sh [--seconds N] [--binary PATH]
#
# The binary defaults to the release build (target/release/sidecar).
# Schemathesis' working files stay in a temporary folder.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BIN="$ROOT/target/release/sidecar"
BUDGET=120
while (($#)); do
  case "$1" in
    --seconds) BUDGET="$2"; shift 2 ;;
    --binary) BIN="$2"; shift 2 ;;
    *) echo "fuzz-api: unknown option $1" >&2; exit 2 ;;
  esac
done
CALLERS=(anonymous developer reviewer tenant-admin tenant-key)

say() { printf '\033[1;34m[fuzz]\033[0m %s\n' "$*"; }
fail() { printf '\033[1;31m[fuzz] FAILED: %s\033[0m\n' "$*" >&2; exit 1; }

[[ -x "$BIN" ]] || fail "no server binary at $BIN (build it first)"
if ! python3 -c 'import schemathesis' 2>/dev/null; then
  say "installing Schemathesis"
  python3 -m pip install --quiet --disable-pip-version-check 'schemathesis>=4.3,<5'
fi

WORK="$(mktemp -d)"
PIDS=()
stop_servers() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  PIDS=()
}
trap 'stop_servers; rm -rf "$WORK"' EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# One seeded data dir, copied for each caller.
say "seeding the demo data"
(
  export SIDECAR_DATA_DIR="$WORK/template"
  unset DATABASE_URL REDIS_URL SMTP_URL
  "$BIN" seed-demo >/dev/null
)

# The personal token of a demo account (on the last line the CLI prints).
token_of() {
  "$BIN" token create --email "$1" --scope "$2" --name fuzz 2>/dev/null | tail -n 1
}

# Starts the caller's server and writes its URL and bearer token (empty
# for the anonymous caller) to $WORK/$caller.env.
start() {
  local caller="$1" data="$WORK/$1" port token=""
  cp -r "$WORK/template" "$data"
  port="$(free_port)"
  export SIDECAR_DATA_DIR="$data" SIDECAR_ADDR="127.0.0.1:$port" PUBLIC_URL="http://127.0.0.1:$port"
  unset DATABASE_URL REDIS_URL SMTP_URL
  case "$caller" in
    developer) token="$(token_of developer@sidecar.test publisher)" ;;
    reviewer) token="$(token_of reviewer@sidecar.test review)" ;;
    tenant-admin | tenant-key) token="$(token_of tenant-admin@sidecar.test tenant-admin)" ;;
  esac
  "$BIN" serve >"$WORK/$caller.log" 2>&1 &
  PIDS+=($!)
  for _ in $(seq 1 100); do
    curl -fsS "$PUBLIC_URL/healthz" >/dev/null 2>&1 && break
    sleep 0.1
  done
  if [[ "$caller" == tenant-key ]]; then
    token="$(curl -fsS -X POST "$PUBLIC_URL/api/v1/tenants/demo-health/keys" \
      -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
      -d '{"name": "fuzz", "scopes": ["registrations:read", "launch:write", "introspect", "installs:write"]}' |
      python3 -c 'import json, sys; print(json.load(sys.stdin)["key"])')"
  fi
  printf '%s\n%s\n' "$PUBLIC_URL" "$token" >"$WORK/$caller.env"
}

fuzz() {
  local caller="$1" url token
  { read -r url; read -r token; } <"$WORK/$caller.env"
  local auth=()
  [[ -n "$token" ]] && auth=(-H "Authorization: Bearer $token")
  cd "$WORK"
  st --config-file "$ROOT/scripts/fuzz/schemathesis.toml" run "$url/api/v1/openapi.json" \
    --checks all \
    --exclude-checks positive_data_acceptance \
    --workers 1 \
    --request-timeout 5 \
    --max-response-time 5 \
    --max-time "$BUDGET" \
    --warnings off \
    --no-color \
    "${auth[@]}"
}

for caller in "${CALLERS[@]}"; do start "$caller"; done
say "${BUDGET}s of generated requests for each of: ${CALLERS[*]}"
RUNS=()
for caller in "${CALLERS[@]}"; do
  fuzz "$caller" >"$WORK/$caller.st.log" 2>&1 &
  RUNS+=($!)
done

FAILED=()
for i in "${!CALLERS[@]}"; do
  caller="${CALLERS[$i]}"
  status=0
  wait "${RUNS[$i]}" || status=$?
  { read -r url; read -r _; } <"$WORK/$caller.env"
  # A hang, not a timing: generous bounds.
  alive=1
  curl -fsS -m 10 "$url/healthz" >/dev/null 2>&1 || alive=0
  curl -fsS -m 10 "$url/api/v1/catalog/apps?q=chart" >/dev/null 2>&1 || alive=0
  say "$caller: $(grep -E '^ *[0-9]+ generated' "$WORK/$caller.st.log" | head -n 1 | sed 's/^ *//')"
  if ((status != 0)); then
    FAILED+=("$caller: Schemathesis found failures (exit $status)")
    sed -n '/FAILURES/,$p' "$WORK/$caller.st.log" | cut -c1-400 | head -n 150
  fi
  if ((!alive)); then
    FAILED+=("$caller: the server did not answer /healthz and a catalog page within 10 s after the run")
    tail -n 30 "$WORK/$caller.log"
  fi
done
stop_servers

if ((${#FAILED[@]})); then
  printf '  - %s\n' "${FAILED[@]}" >&2
  fail "the API fuzz run"
fi
say "no failures for: ${CALLERS[*]}"
