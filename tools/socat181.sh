#!/usr/bin/env bash
# Builds socat 1.8.1.3 (the reference for socat 1.8.1's STALL and TEXT addresses and its tiocswinsz
# option, beside socat 1.8.0.3 and the installed 1.7.4) from Debian sid's source package and prints
# the binary's path. apt reads sid's source index into a state directory of its own, so the
# machine's apt sources are left as they are. About a minute the first time, then the build in
# $SOCAT181_DIR (default artifacts/socat181) is reused.
set -eu
cd "$(dirname "$0")/.."
dir=${SOCAT181_DIR:-$PWD/artifacts/socat181}
bin=$dir/socat-1.8.1.3/socat
[ -x "$bin" ] && { echo "$bin"; exit 0; }
mkdir -p "$dir/apt/lists/partial" "$dir/apt/cache" && cd "$dir"
if [ ! -f socat_1.8.1.3.orig.tar.bz2 ]; then
  uri=$(awk '/^URIs:/{print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
  key=$(awk '/^Signed-By:/{print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
  echo "deb-src [signed-by=${key:-/usr/share/keyrings/debian-archive-keyring.gpg}] ${uri:-http://deb.debian.org/debian} sid main" > apt/sid.list
  apt=(-o Dir::Etc::SourceList="$dir/apt/sid.list" -o Dir::Etc::SourceParts=/dev/null
       -o Dir::State::Lists="$dir/apt/lists" -o Dir::Cache="$dir/apt/cache")
  apt-get "${apt[@]}" update -qq >/dev/null
  # the .dsc may be refused; the original tarball is all the build needs
  apt-get "${apt[@]}" source -qq --download-only socat=1.8.1.3-2 >/dev/null 2>&1 || true
fi
[ -f socat_1.8.1.3.orig.tar.bz2 ] || { echo "socat181.sh: could not download socat 1.8.1.3's source" >&2; exit 1; }
rm -rf socat-1.8.1.3 && tar xjf socat_1.8.1.3.orig.tar.bz2
dpkg -s libssl-dev >/dev/null 2>&1 || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libssl-dev >/dev/null
cd socat-1.8.1.3 && ./configure --quiet >/dev/null && make -j2 >/dev/null 2>&1
echo "$bin"
