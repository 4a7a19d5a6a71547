#!/usr/bin/env bash
# The long form of the soak suite (docs/RELIABILITY.md, "Soak"): the same tests as ./test.sh runs,
# with SHARPCAT_SOAK=long (2 000 random half-close exchanges of up to 4 MiB each way per path,
# 512 MiB through a slow reader, 1 000 resetting peers, 9 900 idle and 100 000 sequential
# connections). Usage: tools/soak.sh [SEED]. Prints each test's figures; exits 1 on a failure.
set -euo pipefail
cd "$(dirname "$0")/.."
export SHARPCAT_SOAK=long
[ -n "${1:-}" ] && export SHARPCAT_SOAK_SEED="$1"
mkdir -p artifacts
export SHARPCAT_SOAK_REPORT="$PWD/artifacts/soak-figures.txt"
rm -f "$SHARPCAT_SOAK_REPORT"
./build.sh >/dev/null
start=$(date +%s)
set +e
dotnet test tests/SharpCat.Tests/SharpCat.Tests.csproj -c Release -nologo --filter "FullyQualifiedName~SharpCat.Tests.Soak" \
  --logger "console;verbosity=normal" > artifacts/soak.log 2>&1
status=$?
set -e
cat "$SHARPCAT_SOAK_REPORT" 2>/dev/null
grep -E "^\s+Failed |Total tests|Passed!|Failed!" artifacts/soak.log
echo "wall time $(( $(date +%s) - start )) s (full log: artifacts/soak.log)"
exit "$status"
