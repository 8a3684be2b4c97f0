#!/usr/bin/env bash
# Installs Temporal's time-skipping test server once into a per-user cache keyed by version, for the workflow
# tests (TestWorkflowEnvironment.createTimeSkipping). The SDK would download a native build of it at run time
# from outside the package registries; this installs the same server as the Maven Central artifact
# io.temporal:temporal-test-server (with its dependencies, resolved by Maven) and a wrapper that runs it with
# Java. Needs Java 17+ (`openjdk-17-jre-headless`, installed here when missing and running as root); Maven is
# taken from PATH, else downloaded from Maven Central (sha512-pinned) into the cache.
# Standard output: TEMPORAL_TEST_SERVER=<wrapper path>; progress goes to stderr. Safe to run concurrently
# (a lock serialises installs); instant once cached.
set -euo pipefail

TEST_SERVER_VERSION="${TEMPORAL_TEST_SERVER_VERSION:-1.38.0}"
MAVEN_VERSION=3.9.9
SLF4J_VERSION=1.7.36 # the SLF4J API version the test server uses
INSTALL_REVISION=1 # bump when what this script installs changes for the same server version
MAVEN_SHA512=a555254d6b53d267965a3404ecb14e53c3827c09c3b94b5678835887ab404556bfaf78dcfe03ba76fa2508649dca8531c74bca4d5846513522404d48e8c4ac8b
CACHE="${FG_TOOLS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/family-guy-bots/tools}"
dir="$CACHE/temporal-test-server-$TEST_SERVER_VERSION-x$INSTALL_REVISION"
wrapper="$dir/bin/temporal-test-server"

if [ ! -x "$wrapper" ]; then
  mkdir -p "$CACHE"
  exec 9>"$CACHE/.temporal-test-server.lock"
  flock 9 # another test file may be installing it right now: wait for it, then find it installed
fi
if [ ! -x "$wrapper" ]; then
  started=$SECONDS
  if ! command -v java >/dev/null; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
      echo "installing Java 17 (Debian openjdk-17-jre-headless) for the Temporal test server" >&2
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openjdk-17-jre-headless >&2 ||
        { apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openjdk-17-jre-headless >&2; }
    else
      echo "the Temporal test server needs Java 17+: sudo apt-get install openjdk-17-jre-headless" >&2
      exit 1
    fi
  fi
  echo "installing the Temporal test server (Maven Central io.temporal:temporal-test-server:$TEST_SERVER_VERSION) into $dir" >&2
  work=$(mktemp -d "$CACHE/temporal-test-server.XXXXXX")
  trap 'rm -rf "$work"' EXIT

  mvn_bin=$(command -v mvn || true)
  if [ -z "$mvn_bin" ]; then
    maven_dir="$CACHE/apache-maven-$MAVEN_VERSION"
    if [ ! -x "$maven_dir/bin/mvn" ]; then
      echo "downloading Maven $MAVEN_VERSION from Maven Central" >&2
      archive="$work/maven.tar.gz"
      curl -fsSL -o "$archive" \
        "https://repo1.maven.org/maven2/org/apache/maven/apache-maven/$MAVEN_VERSION/apache-maven-$MAVEN_VERSION-bin.tar.gz"
      echo "$MAVEN_SHA512  $archive" | sha512sum -c --quiet - >&2
      mkdir -p "$work/maven" && tar -xzf "$archive" -C "$work/maven" --strip-components=1
      rm -rf "$maven_dir" && mv "$work/maven" "$maven_dir"
    fi
    mvn_bin="$maven_dir/bin/mvn"
  fi

  cat >"$work/pom.xml" <<EOF
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>local</groupId>
  <artifactId>temporal-test-server-install</artifactId>
  <version>1</version>
  <dependencies>
    <dependency>
      <groupId>io.temporal</groupId>
      <artifactId>temporal-test-server</artifactId>
      <version>$TEST_SERVER_VERSION</version>
    </dependency>
    <dependency><!-- no "SLF4J: Failed to load class" lines at every start -->
      <groupId>org.slf4j</groupId>
      <artifactId>slf4j-nop</artifactId>
      <version>$SLF4J_VERSION</version>
    </dependency>
  </dependencies>
</project>
EOF
  mkdir -p "$work/out/lib" "$work/out/bin"
  # A private local repository, removed afterwards: only the jars are kept.
  (cd "$work" && "$mvn_bin" -q -B -Dstyle.color=never -Dmaven.repo.local="$work/repo" dependency:copy-dependencies \
    -DincludeScope=runtime -DoutputDirectory="$work/out/lib") >&2
  cat >"$work/out/bin/temporal-test-server" <<'EOF'
#!/bin/sh
# Temporal's test server: temporal-test-server <port> [--enable-time-skipping]
lib="$(cd "$(dirname "$0")/../lib" && pwd)"
exec java -Xmx512m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -cp "$lib/*" io.temporal.testserver.TestServer "$@"
EOF
  chmod +x "$work/out/bin/temporal-test-server"
  rm -rf "$dir" && mv "$work/out" "$dir"
  echo "Temporal test server installed in $((SECONDS - started)) s" >&2
fi
echo "TEMPORAL_TEST_SERVER=$wrapper"
