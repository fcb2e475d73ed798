#!/usr/bin/env bash
# Installs what the integration tests need besides node_modules: a real etcd server, openssl
# (the TLS tests make their certificates with it), Prometheus (the metrics tests run its promtool
# on /metrics and scrape a real agent with it) and Chromium (the dashboard's browser tests drive
# Debian's /usr/bin/chromium with playwright-core; no browser is downloaded).
# Debian's etcd-server package provides /usr/bin/etcd, its prometheus package /usr/bin/prometheus
# and /usr/bin/promtool. Nothing is done when all of them are there.
set -euo pipefail

CHROMIUM_PATH="${CHROMIUM_PATH:-/usr/bin/chromium}"

missing=()
command -v etcd >/dev/null 2>&1 || missing+=(etcd-server)
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
if ! command -v promtool >/dev/null 2>&1 || ! command -v prometheus >/dev/null 2>&1; then missing+=(prometheus); fi
[ -x "$CHROMIUM_PATH" ] || missing+=(chromium)
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-test-deps: etcd at $(command -v etcd), openssl at $(command -v openssl), prometheus at $(command -v prometheus), chromium at $CHROMIUM_PATH"
  exit 0
fi

fail() {
  echo "install-test-deps: ERROR: $*" >&2
  echo "install-test-deps: install them (Debian/Ubuntu: 'apt-get install ${missing[*]}'); the tests need etcd, openssl, promtool and prometheus on PATH and Chromium at $CHROMIUM_PATH." >&2
  exit 1
}

command -v apt-get >/dev/null 2>&1 || fail "${missing[*]} missing and apt-get is not available on this system"

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null 2>&1 || fail "${missing[*]} missing; installing needs root (or sudo)"
  SUDO="sudo"
fi

echo "install-test-deps: installing Debian's ${missing[*]}"
# Another apt-get (an unattended upgrade) may hold the lock for a while: wait for it.
$SUDO apt-get -o DPkg::Lock::Timeout=300 update || fail "apt-get update failed"
# On a host with systemd the packages also start a system etcd on 2379 and a Prometheus on 9090;
# the tests use neither (each test starts its own on free loopback ports).
DEBIAN_FRONTEND=noninteractive $SUDO apt-get -o DPkg::Lock::Timeout=300 install -y "${missing[@]}" || fail "apt-get install -y ${missing[*]} failed"
for tool in etcd openssl promtool prometheus; do
  command -v "$tool" >/dev/null 2>&1 || fail "the packages were installed but '$tool' is still not on PATH"
done
[ -x "$CHROMIUM_PATH" ] || fail "chromium was installed but $CHROMIUM_PATH is still missing"
echo "install-test-deps: etcd at $(command -v etcd), openssl at $(command -v openssl), prometheus at $(command -v prometheus), chromium at $CHROMIUM_PATH"
