#!/usr/bin/env bash
# The long fuzz run of the parsing path (docs/RELIABILITY.md, "Fuzzing"): address grammar, option
# catalog and values, parameter validators, global options. Usage:
#   tools/fuzz.sh [INPUTS [SEED [THREADS]]]
# INPUTS is per property (two properties: addresses and command lines), default 500000, so
# 1 000 000 inputs in all; SEED is decimal, 0x-hex or "random" (default: the suite's fixed seed);
# THREADS defaults to the number of cores. Prints each property's figures; exits 1 on a failure,
# with the seed, the input's index and the input as a C# literal.
set -euo pipefail
cd "$(dirname "$0")/.."
export SHARPCAT_FUZZ_INPUTS="${1:-500000}"
export SHARPCAT_FUZZ_SEED="${2:-}"
export SHARPCAT_FUZZ_THREADS="${3:-$(nproc)}"
[ "$SHARPCAT_FUZZ_SEED" = random ] && SHARPCAT_FUZZ_SEED=$(( (RANDOM << 30) ^ (RANDOM << 15) ^ RANDOM ))
mkdir -p artifacts
dotnet build tests/SharpCat.Tests/SharpCat.Tests.csproj -c Release -nologo -v quiet >/dev/null
start=$(date +%s)
set +e
dotnet test tests/SharpCat.Tests/SharpCat.Tests.csproj -c Release -nologo --no-build \
  --filter "FullyQualifiedName~SharpCat.Tests.Fuzz.ParserFuzzTests&FullyQualifiedName~EndInAMessage" \
  --logger "console;verbosity=detailed" > artifacts/fuzz.log 2>&1
status=$?
set -e
grep -E "inputs in|input #|  input:|^\s+at |Passed |Failed |Total tests" artifacts/fuzz.log | head -200
echo "wall time $(( $(date +%s) - start )) s (full log: artifacts/fuzz.log)"
exit "$status"
