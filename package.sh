#!/usr/bin/env bash
# Builds every package into artifacts/packages/ (emptied first, so that nothing of an older build
# or version is left to be installed by mistake):
#   SharpCat.VERSION.nupkg, .snupkg             the library
#   SharpCat.Tool.VERSION.nupkg                 the dotnet tool's pointer package (command sharpcat)
#   SharpCat.Tool.linux-x64.VERSION.nupkg       the dotnet tool's NativeAOT binary
#   sharpcat_VERSION-REV_amd64.deb              the Debian package (packaging/deb/build-deb.sh)
#
#   ./package.sh [--no-build]    --no-build: use the artifacts/sharpcat that ./build.sh made
#
# ContinuousIntegrationBuild: paths in the PDBs are repository-relative and the build is the same
# on any checkout. SOURCE_DATE_EPOCH (the last commit's time unless set): NuGet's deterministic
# pack and the deb take their timestamps from it, so the same commit packs to the same bytes
# (except for the NativeAOT binary in the deb and the tool: -V prints its build time). Source
# links come from the SDK when the clone has a GitHub remote.
set -euo pipefail
cd "$(dirname "$0")"
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || date +%s)}

build=1
for arg in "$@"; do
  case $arg in
    --no-build) build= ;;
    -h|--help) sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "package.sh: unknown argument $arg (try --help)" >&2; exit 2 ;;
  esac
done

out=artifacts/packages
step() { echo "== [${SECONDS}s] $*"; }
fail() { echo "package.sh: $*" >&2; exit 1; }

rm -rf "$out"
mkdir -p "$out"

if [ -n "$build" ]; then
  step "NativeAOT binary (build.sh)"
  ./build.sh >/dev/null || fail "./build.sh failed"
fi
[ -x artifacts/sharpcat ] || fail "artifacts/sharpcat is missing: run ./build.sh (or drop --no-build)"

pack() { dotnet pack "$@" -c Release -o "$out" -nologo -v:q -p:ContinuousIntegrationBuild=true || fail "dotnet pack $1 failed"; }

step "NuGet library package SharpCat"
pack src/SharpCat/SharpCat.csproj
step "dotnet tool SharpCat.Tool (pointer package)"
pack src/SharpCat.Tool/SharpCat.Tool.csproj
step "dotnet tool SharpCat.Tool (linux-x64, NativeAOT)"
pack src/SharpCat.Tool/SharpCat.Tool.csproj -r linux-x64

step "Debian package"
packaging/deb/build-deb.sh "$out" || fail "the Debian package failed (the NuGet packages are in $out)"

step "done"
ls -l "$out"
