#!/usr/bin/env bash
# Makes sure a Chromium is there for the browser tests (test/browser), the screenshots and the
# dashboard load bench, which drive it with playwright-core (Playwright's own browser downloads are
# never used). Debian's `chromium` package, installed with apt when it is missing and this runs as
# root; otherwise install it first (sudo apt-get install chromium) or point CHROMIUM_PATH at one.
# Standard output: CHROMIUM_PATH=<path> only; progress goes to stderr.
set -euo pipefail

chromium="${CHROMIUM_PATH:-/usr/bin/chromium}"
if [ ! -x "$chromium" ]; then
  if [ -n "${CHROMIUM_PATH:-}" ]; then
    echo "CHROMIUM_PATH=$CHROMIUM_PATH is not an executable file" >&2
    exit 1
  fi
  if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null; then
    echo "the browser tests need Chromium: install it (sudo apt-get install chromium) or set CHROMIUM_PATH" >&2
    exit 1
  fi
  echo "installing Debian's chromium package (for the browser tests; first time only, about a minute)" >&2
  # The package lists are refreshed only when the install fails without it (none yet, or stale).
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >&2 ||
    { apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >&2; }
  [ -x "$chromium" ] || { echo "the chromium package did not install $chromium" >&2 && exit 1; }
fi
"$chromium" --version >&2

echo "CHROMIUM_PATH=$chromium"
