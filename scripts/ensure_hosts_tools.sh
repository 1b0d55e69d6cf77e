#!/usr/bin/env bash
# Installs Debian's iproute2 (ip netns) and socat (the forwarders) for the two-host worker test
# (benchmarks/hosts.py); without them that test falls back to two plain worker processes.
exec bash "$(dirname "$0")/ensure_debian_packages.sh" ensure_hosts_tools "ip socat" "iproute2 socat" \
  "worker hosts run as plain processes instead of network namespaces"
