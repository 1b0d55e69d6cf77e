#!/usr/bin/env bash
# Installs Debian's chromium and chromium-driver for the real-browser tests when missing.
# Best effort: without root or apt the browser tests skip (or fail under REQUIRE_SERVICES=1).
set -u
if command -v chromium >/dev/null 2>&1 && command -v chromedriver >/dev/null 2>&1; then
  exit 0
fi
if [ "$(id -u)" != "0" ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "ensure_chromium: chromium missing and cannot apt-get install it here; browser tests will not run" >&2
  exit 0
fi
echo "ensure_chromium: installing Debian's chromium and chromium-driver" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null 2>&1 || true
apt-get install -y -qq --no-install-recommends chromium chromium-driver fonts-dejavu-core >/dev/null 2>&1 \
  || echo "ensure_chromium: apt-get install failed; browser tests will not run" >&2
exit 0
