#!/usr/bin/env bash
# Installs the tools Sidecar's build and tests need, each only when missing:
# the wasm target, cargo-leptos, wasm-bindgen-cli (same version as the library),
# npm packages (wasm-opt from binaryen, Playwright, the oidc-provider the
# tests start) and Debian's Chromium.
# Safe to run again: every step checks first and returns at once when done.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CARGO_LEPTOS_VERSION="0.3.11"
WASM_BINDGEN_VERSION="0.2.130"
WITH_BROWSER=0
for arg in "$@"; do
  case "$arg" in
    --with-browser) WITH_BROWSER=1 ;;
    *) echo "install-tools: unknown option $arg" >&2; exit 2 ;;
  esac
done

log() { printf '\033[1;34m[setup]\033[0m %s\n' "$*"; }

# Builds a crate from its published source with a few lock-file pins. Some
# published lock files pin dependencies that need a newer rustc or that the
# registry no longer serves; the pins move those back one patch release.
install_from_source() {
  local name="$1" version="$2"; shift 2
  local work
  work="$(mktemp -d)"
  # `cargo install` downloads the source into the registry cache even when the
  # build then fails; the cache is where we take it from.
  cargo install "$name" --version "$version" --locked --root "$work/discard" >/dev/null 2>&1 || true
  local crate
  crate="$(ls "${CARGO_HOME:-$HOME/.cargo}"/registry/cache/*/"$name-$version.crate" 2>/dev/null | head -n1 || true)"
  if [[ -z "$crate" ]]; then
    echo "install-tools: could not obtain the source of $name $version" >&2
    exit 1
  fi
  tar -xzf "$crate" -C "$work"
  (
    cd "$work/$name-$version"
    rm -f rust-toolchain.toml rust-toolchain
    while (($#)); do
      cargo update -p "$1" --precise "$2"
      shift 2
    done
    cargo install --path . --locked
  )
  rm -rf "$work"
}

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  log "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

if ! cargo leptos --version 2>/dev/null | grep -q "$CARGO_LEPTOS_VERSION"; then
  log "installing cargo-leptos $CARGO_LEPTOS_VERSION (about 11 minutes, once)"
  install_from_source cargo-leptos "$CARGO_LEPTOS_VERSION" cargo-util-schemas 0.14.1
fi

if ! wasm-bindgen --version 2>/dev/null | grep -q "$WASM_BINDGEN_VERSION"; then
  log "installing wasm-bindgen-cli $WASM_BINDGEN_VERSION"
  install_from_source wasm-bindgen-cli "$WASM_BINDGEN_VERSION" webpki-roots@1.0.11 1.0.10
fi

if [[ ! -x "$ROOT/node_modules/.bin/wasm-opt" ]]; then
  log "installing npm packages (wasm-opt)"
  (cd "$ROOT" && npm ci --no-audit --no-fund)
fi

if ((WITH_BROWSER)); then
  # Every package the browser tests list, not only Playwright: a checkout
  # may have gained one since node_modules was made.
  if ! (cd "$ROOT/end2end" && node -e '
      const fs = require("fs");
      const deps = Object.keys(require("./package.json").devDependencies);
      process.exit(deps.every((d) => fs.existsSync(`node_modules/${d}/package.json`)) ? 0 : 1);
    '); then
    log "installing Playwright (using Debian's Chromium) and the client libraries the tests use"
    (cd "$ROOT/end2end" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund)
  fi
  if [[ ! -d "$ROOT/server/tests/peers/oidc-provider/node_modules/oidc-provider" ]]; then
    log "installing oidc-provider (the authorization server the provisioning tests start)"
    (cd "$ROOT/server/tests/peers/oidc-provider" && npm ci --no-audit --no-fund)
  fi
  if ! command -v chromium >/dev/null 2>&1; then
    log "installing Chromium"
    if [[ $(id -u) -eq 0 ]]; then
      apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
    else
      sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
    fi
  fi
fi
