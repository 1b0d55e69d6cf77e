#!/usr/bin/env bash
# Installs Debian's gettext (msgfmt, for `manage.py compilemessages`) when missing.
exec bash "$(dirname "$0")/ensure_debian_packages.sh" ensure_gettext "msgfmt" "gettext" \
  "translations will not be compiled and the pages stay in English"
