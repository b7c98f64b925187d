#!/usr/bin/env bash
# Installs the Debian packages Parley needs, and only those missing: running it
# again is cheap. Usage: scripts/deps.sh build|package|test|bench
set -euo pipefail

build_pkgs=(g++ cmake ninja-build ccache pkg-config make
  libboost1.81-dev libssl-dev libsodium-dev libjwt-dev libsqlite3-dev libpq-dev libhiredis-dev
  libspdlog-dev libfmt-dev libcli11-dev zlib1g-dev libjemalloc-dev libcurl4-openssl-dev libvips-dev libwebp-dev nodejs)
test_pkgs=(libgtest-dev libgmock-dev curl clang libclang-rt-14-dev sqlite3 redis-server postgresql nginx-light chromium fonts-noto-color-emoji prometheus)
bench_pkgs=(libbenchmark-dev wrk linux-perf valgrind)
package_pkgs=(dpkg-dev lintian curl systemd)  # make package: dpkg-shlibdeps; its test: lintian, curl, systemd-analyze

want=("${build_pkgs[@]}")
case "${1:-build}" in
  build) ;;
  package) want+=("${package_pkgs[@]}") ;;
  test) want+=("${test_pkgs[@]}" "${package_pkgs[@]}") ;;
  bench) want+=("${test_pkgs[@]}" "${package_pkgs[@]}" "${bench_pkgs[@]}") ;;
  *) echo "usage: $0 build|package|test|bench" >&2; exit 2 ;;
esac

missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# Debian ships npm as its own package; other nodejs builds bundle it.
command -v npm >/dev/null 2>&1 || missing+=(npm)
[ ${#missing[@]} -eq 0 ] && exit 0

echo "deps: installing ${missing[*]}"
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
