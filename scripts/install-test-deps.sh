#!/usr/bin/env bash
# Installs what the integration tests need besides node_modules: a real etcd server, openssl
# (the TLS test makes its certificates with it) and Chromium (the dashboard's browser tests drive
# Debian's /usr/bin/chromium with playwright-core; no browser is downloaded).
# Debian's etcd-server package provides /usr/bin/etcd. Nothing is done when all are there.
set -euo pipefail

CHROMIUM_PATH="${CHROMIUM_PATH:-/usr/bin/chromium}"

missing=()
command -v etcd >/dev/null 2>&1 || missing+=(etcd-server)
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
[ -x "$CHROMIUM_PATH" ] || missing+=(chromium)
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-test-deps: etcd found at $(command -v etcd), openssl at $(command -v openssl), chromium at $CHROMIUM_PATH"
  exit 0
fi

fail() {
  echo "install-test-deps: ERROR: $*" >&2
  echo "install-test-deps: install them (Debian/Ubuntu: 'apt-get install ${missing[*]}'); the tests need etcd on PATH and Chromium at $CHROMIUM_PATH." >&2
  exit 1
}

command -v apt-get >/dev/null 2>&1 || fail "${missing[*]} missing and apt-get is not available on this system"

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null 2>&1 || fail "${missing[*]} missing; installing needs root (or sudo)"
  SUDO="sudo"
fi

echo "install-test-deps: installing Debian's ${missing[*]}"
$SUDO apt-get update || fail "apt-get update failed"
# On a host with systemd the etcd-server package also starts a system etcd on 2379; the tests do
# not use it (each test file starts its own etcd on free loopback ports).
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y "${missing[@]}" || fail "apt-get install -y ${missing[*]} failed"
command -v etcd >/dev/null 2>&1 || fail "etcd-server was installed but 'etcd' is still not on PATH"
[ -x "$CHROMIUM_PATH" ] || fail "chromium was installed but $CHROMIUM_PATH is still missing"
echo "install-test-deps: etcd at $(command -v etcd) ($(etcd --version | head -1)); chromium at $CHROMIUM_PATH ($("$CHROMIUM_PATH" --version 2>/dev/null | head -1))"
