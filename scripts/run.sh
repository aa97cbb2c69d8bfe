#!/usr/bin/env bash
# Runs Sidecar on its embedded defaults: SQLite under data/, mail to the log
# and data/mail/, the built-in authorization server and demo data.
# Installs what is missing, builds the release binary, seeds, serves.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

"$ROOT/scripts/install-tools.sh"

echo "[run] building Sidecar (release)"
cargo leptos build --release
scripts/precompress.sh

echo "[run] preparing the demo data"
target/release/sidecar seed-demo

echo "[run] serving on ${PUBLIC_URL:-http://127.0.0.1:3000} (Ctrl-C stops)"
exec target/release/sidecar serve
