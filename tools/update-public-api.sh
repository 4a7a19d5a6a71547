#!/usr/bin/env bash
# Brings src/SharpCat/PublicAPI.Unshipped.txt in line with the library's public symbols: adds what the
# analyzer reports as undeclared (RS0016) and drops what it reports as gone (RS0017). Review the diff:
# it is the change of the public API.
set -euo pipefail
cd "$(dirname "$0")/../src/SharpCat"
out=$(dotnet build -c Release --no-incremental -nologo 2>&1 || true)
python3 - "$out" <<'PY'
import re, sys
out = sys.argv[1]
added = set(re.findall(r"RS0016: Symbol '(.*?)' is not part of the declared public API", out))
gone = set(re.findall(r"RS0017: Symbol '(.*?)' is part of the declared API", out))
lines = open("PublicAPI.Unshipped.txt").read().splitlines()
head, body = lines[:1], [l for l in lines[1:] if l and l not in gone]
open("PublicAPI.Unshipped.txt", "w").write("\n".join(head + sorted(set(body) | added)) + "\n")
print(f"{len(added)} added, {len(gone)} removed")
PY
