#!/usr/bin/env bash
# Builds socat 1.8.0.3 (the reference for socat 1.8's additions, beside the installed socat 1.7.4)
# from Debian trixie's source package and prints the binary's path. Needs root for apt; about a minute
# the first time, then the build in $SOCAT18_DIR (default artifacts/socat18) is reused.
set -eu
cd "$(dirname "$0")/.."
dir=${SOCAT18_DIR:-$PWD/artifacts/socat18}
bin=$dir/socat-1.8.0.3/socat
[ -x "$bin" ] && { echo "$bin"; exit 0; }
src=/etc/apt/sources.list.d/trixie-src.sources
if [ ! -f "$src" ]; then
  # deb822, the same mirror and keyring as the machine's own sources (a one-line deb-src without
  # Signed-By breaks apt here)
  uri=$(awk '/^URIs:/{print $2; exit}' /etc/apt/sources.list.d/debian.sources)
  key=$(awk '/^Signed-By:/{print $2; exit}' /etc/apt/sources.list.d/debian.sources)
  printf 'Types: deb-src\nURIs: %s\nSuites: trixie\nComponents: main\nSigned-By: %s\n' \
    "$uri" "${key:-/usr/share/keyrings/debian-archive-keyring.gpg}" > "$src"
  apt-get update -qq >/dev/null
fi
mkdir -p "$dir" && cd "$dir"
# the .dsc may be refused; the original tarball is all the build needs
[ -f socat_1.8.0.3.orig.tar.bz2 ] || apt-get source -qq --download-only socat/trixie >/dev/null 2>&1 || true
[ -f socat_1.8.0.3.orig.tar.bz2 ] || { echo "socat18.sh: could not download socat 1.8.0.3's source" >&2; exit 1; }
rm -rf socat-1.8.0.3 && tar xjf socat_1.8.0.3.orig.tar.bz2
dpkg -s libssl-dev >/dev/null 2>&1 || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libssl-dev >/dev/null
cd socat-1.8.0.3 && ./configure --quiet >/dev/null && make -j2 >/dev/null
echo "$bin"
