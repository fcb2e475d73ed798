#!/usr/bin/env bash
# Installs what the integration tests need besides node_modules: a real etcd server, and openssl
# (the TLS test makes its certificates with it).
# Debian's etcd-server package provides /usr/bin/etcd. Nothing is done when both are on PATH.
set -euo pipefail

missing=()
command -v etcd >/dev/null 2>&1 || missing+=(etcd-server)
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-test-deps: etcd found at $(command -v etcd), openssl at $(command -v openssl)"
  exit 0
fi

fail() {
  echo "install-test-deps: ERROR: $*" >&2
  echo "install-test-deps: install an etcd server (Debian/Ubuntu: 'apt-get install etcd-server') and put 'etcd' on PATH." >&2
  exit 1
}

command -v apt-get >/dev/null 2>&1 || fail "etcd is not on PATH and apt-get is not available on this system"

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null 2>&1 || fail "etcd is not on PATH; installing it needs root (or sudo)"
  SUDO="sudo"
fi

echo "install-test-deps: etcd not found, installing Debian's etcd-server"
$SUDO apt-get update || fail "apt-get update failed"
# On a host with systemd the package also starts a system etcd on 2379; the tests do not use it
# (each test file starts its own etcd on free loopback ports).
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y etcd-server || fail "apt-get install -y etcd-server failed"
command -v etcd >/dev/null 2>&1 || fail "etcd-server was installed but 'etcd' is still not on PATH"
echo "install-test-deps: etcd installed at $(command -v etcd) ($(etcd --version | head -1))"
