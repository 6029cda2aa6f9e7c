#!/usr/bin/env bash
# System packages the kit needs (Debian/Ubuntu). Installs what is missing when run as root;
# otherwise prints the command to run. Safe to run again.
set -euo pipefail
need=()
dpkg -s fonts-noto-cjk >/dev/null 2>&1 || need+=(fonts-noto-cjk)
if [ ${#need[@]} -eq 0 ]; then
  echo "system packages: all present"
  exit 0
fi
if ! command -v apt-get >/dev/null; then
  echo "Missing system packages: ${need[*]} — install them with your system's package manager." >&2
  exit 1
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "Missing system packages: ${need[*]}. Run: sudo apt-get install -y ${need[*]}" >&2
  exit 1
fi
echo "installing system packages: ${need[*]}"
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
