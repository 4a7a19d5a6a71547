#!/bin/sh
# Writes the man page and shell completions generated from the catalog into OUTDIR:
# sharpcat.1, sharpcat.bash-completion, _sharpcat (zsh) and sharpcat.fish.
# package.sh calls exactly `tools/gen-docs.sh OUTDIR`.
set -eu
if [ $# -ne 1 ]; then
  echo "usage: $0 OUTDIR" >&2
  exit 2
fi
root=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$1"
out=$(cd "$1" && pwd)
cd "$root"
dotnet run --project tools/DocGen -c Release -- "$out"
