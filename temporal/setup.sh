#!/bin/sh
# Registers what the app needs in Temporal: its namespace and its custom search
# attributes. Idempotent: run it on every `docker compose up` (service temporal-setup)
# or by hand against any cluster:
#
#   TEMPORAL_ADDRESS=127.0.0.1:7233 TEMPORAL_NAMESPACE=default sh temporal/setup.sh
#
# Needs the `temporal` CLI (it is in the temporalio/admin-tools image).
#
# Environment:
#   TEMPORAL_ADDRESS     frontend host:port            (default temporal:7233)
#   TEMPORAL_NAMESPACE   namespace of the app          (default default)
#   TEMPORAL_RETENTION   history kept for closed runs  (default 168h; used only when creating)
#   SETUP_ATTEMPTS       tries per step, 5 s apart      (default 60)
#   SEARCH_ATTRIBUTES_FILE  the list of search attributes (default search-attributes.txt beside this script)
#
# Custom search attributes: the list is temporal/search-attributes.txt (next to this
# script; the local dev server reads the same file). Filter crawls in the Temporal UI
# with e.g. `CrawlStatus = "PAUSED"`. Upserting an unregistered attribute fails the
# workflow task, which is why crawls set theirs only where they are registered.
set -eu

TEMPORAL_ADDRESS=${TEMPORAL_ADDRESS:-temporal:7233}
TEMPORAL_NAMESPACE=${TEMPORAL_NAMESPACE:-default}
TEMPORAL_RETENTION=${TEMPORAL_RETENTION:-168h}
SETUP_ATTEMPTS=${SETUP_ATTEMPTS:-60}
export TEMPORAL_ADDRESS TEMPORAL_NAMESPACE

# NAME=TYPE pairs from search-attributes.txt (comments and blank lines left out).
SEARCH_ATTRIBUTES_FILE=${SEARCH_ATTRIBUTES_FILE:-$(dirname "$0")/search-attributes.txt}
SEARCH_ATTRIBUTES=
while read -r name type _; do
  case $name in '' | '#'*) continue ;; esac
  SEARCH_ATTRIBUTES="$SEARCH_ATTRIBUTES${SEARCH_ATTRIBUTES:+ }$name=$type"
done <"$SEARCH_ATTRIBUTES_FILE"
if [ -z "$SEARCH_ATTRIBUTES" ]; then
  echo "temporal-setup: no search attributes in $SEARCH_ATTRIBUTES_FILE" >&2
  exit 1
fi

# retry <description> <command...>: runs the command until it succeeds or the attempts run out.
retry() {
  what=$1
  shift
  attempt=1
  until "$@"; do
    if [ "$attempt" -ge "$SETUP_ATTEMPTS" ]; then
      echo "temporal-setup: giving up: $what" >&2
      exit 1
    fi
    echo "temporal-setup: waiting: $what (attempt $attempt/$SETUP_ATTEMPTS)"
    attempt=$((attempt + 1))
    sleep 5
  done
}

namespace_exists() {
  temporal operator namespace describe --namespace "$TEMPORAL_NAMESPACE" >/dev/null 2>&1
}

ensure_namespace() {
  namespace_exists && return 0
  temporal operator namespace create --namespace "$TEMPORAL_NAMESPACE" --retention "$TEMPORAL_RETENTION" ||
    namespace_exists # created meanwhile by someone else: fine
}

# Adding an attribute that already exists with the same type is a no-op; with another
# type the CLI fails, and so does this script (fix it by hand, data may depend on it).
ensure_search_attributes() {
  set --
  for pair in $SEARCH_ATTRIBUTES; do
    set -- "$@" --name "${pair%%=*}" --type "${pair#*=}"
  done
  if output=$(temporal operator search-attribute create --namespace "$TEMPORAL_NAMESPACE" "$@" 2>&1); then
    return 0
  fi
  echo "$output" >&2
  case $output in
    *"different type"*) exit 1 ;; # retrying cannot help
  esac
  return 1
}

retry "Temporal at $TEMPORAL_ADDRESS to be healthy" temporal operator cluster health
retry "namespace $TEMPORAL_NAMESPACE" ensure_namespace
echo "temporal-setup: namespace $TEMPORAL_NAMESPACE is registered"
# A namespace created a moment ago may not be in every cache yet: retry.
retry "search attributes in $TEMPORAL_NAMESPACE" ensure_search_attributes
echo "temporal-setup: search attributes registered: $SEARCH_ATTRIBUTES"
