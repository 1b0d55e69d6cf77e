#!/usr/bin/env bash
# Installs Debian's chromium and chromium-driver for the real-browser tests when missing.
exec bash "$(dirname "$0")/ensure_debian_packages.sh" ensure_chromium "chromium chromedriver" \
  "chromium chromium-driver fonts-dejavu-core" "browser tests will not run"
