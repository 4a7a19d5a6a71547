#!/usr/bin/env bash
# Publishes the NativeAOT binary to artifacts/sharpcat. (The assembly is "sharpcat-cli": the AOT
# compiler compares assembly names case-insensitively, and "sharpcat" would clash with the library "SharpCat".) Warnings are errors (Directory.Build.props).
set -euo pipefail
cd "$(dirname "$0")"
dotnet publish src/SharpCat.Cli/SharpCat.Cli.csproj -c Release -o artifacts/publish -nologo "$@"
cp artifacts/publish/sharpcat-cli artifacts/sharpcat.new && mv -f artifacts/sharpcat.new artifacts/sharpcat  # rename: a running copy keeps its inode
echo "built $(pwd)/artifacts/sharpcat"
