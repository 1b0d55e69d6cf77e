#!/usr/bin/env bash
# Installs Debian packages when a command they provide is missing. Best effort: without root or
# apt it says what will not work and exits 0 (the callers' tests fail under REQUIRE_SERVICES=1).
#   scripts/ensure_debian_packages.sh NAME "cmd1 cmd2" "pkg1 pkg2" "what will not work without them"
set -u
name=$1 commands=$2 packages=$3 consequence=$4
missing=0
for c in $commands; do command -v "$c" >/dev/null 2>&1 || missing=1; done
[ "$missing" = 0 ] && exit 0
if [ "$(id -u)" != "0" ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "$name: $commands missing and cannot apt-get install $packages here; $consequence" >&2
  exit 0
fi
echo "$name: installing Debian's $packages" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null 2>&1 || true
# shellcheck disable=SC2086 - the package list is words
apt-get install -y -qq --no-install-recommends $packages >/dev/null 2>&1 \
  || echo "$name: apt-get install failed; $consequence" >&2
exit 0
