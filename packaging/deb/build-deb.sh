#!/usr/bin/env bash
# Builds artifacts/packages/sharpcat_VERSION_amd64.deb from the NativeAOT binary that ./build.sh
# publishes (artifacts/sharpcat), the man page and shell completions of tools/gen-docs.sh, and the
# files beside this script (copyright, changelog). Called by ./package.sh; runs on its own too.
#
#   packaging/deb/build-deb.sh [OUTDIR]        (default artifacts/packages)
#
# SHARPCAT_BIN overrides the binary, SHARPCAT_GEN_DOCS the docs generator (for trying a
# generator kept outside the repository). dpkg-deb, dpkg-shlibdeps and gzip are Debian's own.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
cd "$root"

die() { echo "build-deb.sh: $*" >&2; exit 1; }

outdir=${1:-artifacts/packages}
bin=${SHARPCAT_BIN:-artifacts/sharpcat}
gen_docs=${SHARPCAT_GEN_DOCS:-tools/gen-docs.sh}

for tool in dpkg-deb dpkg-shlibdeps strip gzip; do
  command -v "$tool" >/dev/null || die "$tool is missing (apt-get install dpkg-dev binutils)"
done
[ -x "$bin" ] || die "$bin is missing: run ./build.sh first"
[ -x "$gen_docs" ] || die "$gen_docs is missing or not executable: the man page and completions come from it (it arrives with the docs generator work); nothing to package without them"

version=$(sed -n 's:.*<Version>\(.*\)</Version>.*:\1:p' Directory.Build.props | head -n 1)
[ -n "$version" ] || die "no <Version> in Directory.Build.props"
# The Debian revision lives in the changelog; its upstream part must be the project's version,
# so that a version bump without a changelog entry fails here rather than shipping a stale one.
deb_version=$(sed -n '1s/^sharpcat (\([^)]*\)).*/\1/p' "$here/changelog")
[ "${deb_version%-*}" = "$version" ] ||
  die "packaging/deb/changelog's first entry is $deb_version, Directory.Build.props says $version: add a changelog entry"

arch=$(dpkg --print-architecture)
[ "$arch" = amd64 ] || die "the binary is linux-x64, this machine's architecture is $arch"

work=$(mktemp -d "${TMPDIR:-/tmp}/sharpcat-deb.XXXXXX")
trap 'rm -rf "$work"' EXIT
pkg=$work/pkg
docs=$work/docs
mkdir -p "$docs"

"$gen_docs" "$docs" || die "$gen_docs $docs failed"
[ -s "$docs/sharpcat.1" ] || die "$gen_docs wrote no sharpcat.1"
[ -s "$docs/sharpcat.bash-completion" ] || die "$gen_docs wrote no sharpcat.bash-completion"

# Timestamps of the last commit: the same tree packs to the same bytes (dpkg-deb reads it too).
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || date +%s)}

umask 022
install -d "$pkg/DEBIAN" "$pkg/usr/bin" "$pkg/usr/share/man/man1" "$pkg/usr/share/doc/sharpcat" \
  "$pkg/usr/share/bash-completion/completions"
install -m 0755 "$bin" "$pkg/usr/bin/sharpcat"
# As dh_strip does: the published binary keeps its symbol table and notes.
strip --remove-section=.comment --remove-section=.note --strip-unneeded "$pkg/usr/bin/sharpcat"
"$pkg/usr/bin/sharpcat" -V >/dev/null || die "the stripped binary does not run"

install -m 0644 "$docs/sharpcat.1" "$pkg/usr/share/man/man1/sharpcat.1"
gzip -9n "$pkg/usr/share/man/man1/sharpcat.1"
install -m 0644 "$docs/sharpcat.bash-completion" "$pkg/usr/share/bash-completion/completions/sharpcat"
if [ -s "$docs/_sharpcat" ]; then
  install -D -m 0644 "$docs/_sharpcat" "$pkg/usr/share/zsh/vendor-completions/_sharpcat"
fi
if [ -s "$docs/sharpcat.fish" ]; then
  install -D -m 0644 "$docs/sharpcat.fish" "$pkg/usr/share/fish/vendor_completions.d/sharpcat.fish"
fi
install -m 0644 "$here/copyright" "$pkg/usr/share/doc/sharpcat/copyright"
gzip -9nc "$here/changelog" > "$pkg/usr/share/doc/sharpcat/changelog.Debian.gz"
chmod 0644 "$pkg/usr/share/doc/sharpcat/changelog.Debian.gz"
install -D -m 0644 "$here/lintian-overrides" "$pkg/usr/share/lintian/overrides/sharpcat"

# Depends from what the binary links (libc6); dpkg-shlibdeps wants a debian/control to stand in.
mkdir -p "$work/src/debian"
printf 'Source: sharpcat\n\nPackage: sharpcat\nArchitecture: %s\n' "$arch" > "$work/src/debian/control"
shlibs=$(cd "$work/src" && dpkg-shlibdeps -O -e"$pkg/usr/bin/sharpcat" 2>"$work/shlibdeps.err") ||
  die "dpkg-shlibdeps failed: $(cat "$work/shlibdeps.err")"
depends=$(printf '%s\n' "$shlibs" | sed -n 's/^shlibs:Depends=//p')
[ -n "$depends" ] || die "dpkg-shlibdeps found no dependencies for the binary: $(cat "$work/shlibdeps.err")"

# libssl and libwrap are dlopened, only when an address uses them: TLS addresses are a main use,
# so libssl is recommended; TCP wrappers' options are rare, so libwrap is only suggested.
libssl=$(dpkg -S 'libssl.so.3' 2>/dev/null | sed -n 's/^\(libssl3[^:]*\):.*/\1/p' | head -n 1)
libssl=${libssl:-libssl3}
installed_size=$(du -sk --apparent-size "$pkg/usr" | cut -f1)

cat > "$pkg/DEBIAN/control" <<EOF
Package: sharpcat
Version: $deb_version
Architecture: $arch
Maintainer: The SharpCat authors <sharpcat@example.org>
Installed-Size: $installed_size
Depends: $depends
Recommends: $libssl
Suggests: libwrap0
Section: net
Priority: optional
Homepage: https://github.com/sharpcat/sharpcat
Description: socat-compatible relay, a single native binary
 sharpcat opens two addresses and moves bytes between them in both
 directions, with socat's command line, address syntax, options and
 messages: TCP, UDP, UNIX sockets, files, pipes, programs, pseudo-terminals,
 TLS and DTLS, SOCKS and HTTP proxies, and more.
 .
 It is written in C# and compiled ahead of time; it needs no .NET runtime.
EOF

(cd "$pkg" && find usr -type f | LC_ALL=C sort | xargs md5sum) > "$pkg/DEBIAN/md5sums"
chmod 0644 "$pkg/DEBIAN/control" "$pkg/DEBIAN/md5sums"
find "$pkg" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +

mkdir -p "$outdir"
deb="$outdir/sharpcat_${deb_version}_${arch}.deb"
dpkg-deb --root-owner-group -Zxz --build "$pkg" "$deb.new" >/dev/null
mv -f "$deb.new" "$deb"
echo "built $deb"
