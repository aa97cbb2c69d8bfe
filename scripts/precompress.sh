#!/usr/bin/env bash
# Writes a gzip copy beside each script, stylesheet and wasm module of the
# built site (target/site/pkg), which the server sends with
# `Content-Encoding: gzip` to browsers that accept it, so that nothing is
# compressed per request. Copies whose original is gone are removed.
set -euo pipefail

PKG="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/target/site/pkg"
[[ -d "$PKG" ]] || { echo "precompress: no site at $PKG (build it first)" >&2; exit 1; }
shopt -s nullglob
for copy in "$PKG"/*.gz; do
  [[ -e "${copy%.gz}" ]] || rm -f "$copy"
done
for file in "$PKG"/*.wasm "$PKG"/*.js "$PKG"/*.css; do
  if [[ ! -e "$file.gz" || "$file" -nt "$file.gz" ]]; then
    gzip -9 -k -f "$file"
  fi
done
