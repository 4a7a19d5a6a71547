#!/usr/bin/env bash
# socat's own regression suite as SharpCat's acceptance suite (docs/CONFORMANCE.md): fetches
# test.sh from the Debian source of the socat this machine has, runs it against socat and against
# artifacts/sharpcat, each in a private network namespace with loopback only, and writes a
# scorecard with each test's result for both programs side by side.
#
#   tools/conformance.sh [TEST-NAME-OR-NUMBER ...]   # default: test.sh's default selection
#
# Needs root (apt-get source, unshare -n) and ./build.sh first. Takes 15-35 minutes.
# Output: artifacts/conformance/{socat,sharpcat}.out (test.sh's own output), scorecard.tsv
# (number, name, socat, sharpcat), summary.txt.
set -uo pipefail
cd "$(dirname "$0")/.."
root=$PWD
out=$root/artifacts/conformance
mkdir -p "$out"

# Tests that would reach beyond this machine's loopback even in a network namespace, or that need
# an interface there is none of; they are not run for either program. Name and reason each.
excluded=(
  "CONNECTTIMEOUT:connects to 1.0.0.1"
  "OPENSSL_SNI:connects to a host on the Internet"
  "OPENSSL_NO_SNI:connects to a host on the Internet"
  "TUNREAD:sets up 10.255.255.1/24 on a TUN interface"
  "TUNINTERFACE:sets up 10.255.255.1/24 on a TUN interface"
  "UDP6MULTICAST_UNIDIR:sends to ff02::2 on the default interface"
  "USE_IPV6_JOIN_GROUP:joins ff02::2 on the default interface"
  "VSOCK_ECHO:vsock is not namespaced: it reaches the VM host"
)

# What test.sh runs besides the programs under test: without ping it takes IPv4 and IPv6 for
# absent and skips some 150 tests.
missing=()
for pair in ping:iputils-ping ip:iproute2 ps:procps openssl:openssl socat:socat; do
  command -v "${pair%%:*}" >/dev/null 2>&1 || missing+=("${pair#*:}")
done
if [ ${#missing[@]} -gt 0 ]; then
  apt-get install -y -qq "${missing[@]}" >/dev/null 2>&1 || { echo "test.sh needs ${missing[*]}" >&2; exit 1; }
fi

src=$out/socat-src
if [ ! -x "$src/test.sh" ]; then
  # deb-src in the machine's own deb822 form, with its Signed-By (a one-line entry breaks apt here).
  if ! grep -qs '^Types:.*deb-src' /etc/apt/sources.list.d/*.sources; then
    sed 's/^Types: deb$/Types: deb-src/' /etc/apt/sources.list.d/debian.sources > /etc/apt/sources.list.d/sharpcat-deb-src.sources
  fi
  apt-get update -qq >/dev/null 2>&1
  rm -rf "$out/fetch" && mkdir -p "$out/fetch"
  (cd "$out/fetch" && apt-get source -qq "socat=$(dpkg-query -W -f '${Version}' socat)" >/dev/null 2>&1) || { echo "apt-get source socat failed" >&2; exit 1; }
  mv "$out/fetch"/socat-*/ "$src" && rm -rf "$out/fetch"
fi

# The selection is test.sh's own, less the exclusions: its NUMCOND line (which test numbers run) is
# extended by name, in a copy; the tests themselves are never changed.
names=""
for e in "${excluded[@]}"; do names="$names -a \\\\\$NAME != ${e%%:*}"; done
sed "s/^\(NUMCOND=\"test .*\)\"$/\1$names\"/" "$src/test.sh" > "$out/test.sh" && chmod +x "$out/test.sh"
grep -qF '\$NAME != VSOCK_ECHO' "$out/test.sh" || { echo "could not extend test.sh's NUMCOND line" >&2; exit 1; }

run() { # program binary
  local name=$1 bin=$2 work=$out/run-$1
  rm -rf "$work" && cp -a "$src" "$work" && cp "$out/test.sh" "$work/test.sh"
  echo "running socat's test.sh against $name ($bin)" >&2
  # USER as a login shell has it: test.sh puts it in options (ABSTRACT_USER), and a root shell
  # started without login may not set it.
  # stdin as on the terminal test.sh is written for: open, and silent. Some tests leave their
  # program's stdin to it (OPENSSL_DTLS_CLIENT): an end of file there would close the session early.
  coproc SILENT { exec sleep 86400; }
  local silent
  exec {silent}<&"${SILENT[0]}" # coproc fds are not passed to background jobs; a copy is
  # test.sh looks for socat's filan and procan beside the program under test (its FILAN line is
  # inverted: a filan on PATH is skipped); both programs get the system's, as socat's run finds them.
  FILAN="$(command -v filan)" PROCAN="$(command -v procan)" \
  TERM=dumb USER="${USER:-$(id -un)}" timeout 5400 unshare -n -- bash -c 'ip link set lo up; cd "$1"; shift; SOCAT="$0" ./test.sh "$@"' "$bin" "$work" "${@:3}" \
    <&"$silent" > "$out/$name.out" 2> "$out/$name.err" &
  local suite=$!
  # A test whose program never ends would stop the whole suite: any run of the binary older than
  # 60 s is stuck (socat's tests take seconds), and killing it fails only that test.
  while kill -0 "$suite" 2>/dev/null; do
    ps -eo pid=,etimes=,args= | awk -v b="$bin" '$3 == b && $2 > 60 { print $1 }' | while read -r pid; do
      echo "$(date +%T) killed a stuck $name (pid $pid): $(tr '\0' ' ' < /proc/$pid/cmdline 2>/dev/null)" >> "$out/$name.killed"
      kill -9 "$pid" 2>/dev/null
    done
    sleep 5
  done
  wait "$suite"
  exec {silent}<&-
  kill "$SILENT_PID" 2>/dev/null
  wait "$SILENT_PID" 2>/dev/null
}

rm -f "$out"/*.killed
run socat "$(command -v socat)" "$@"
run sharpcat "$root/artifacts/sharpcat" "$@"

# test.sh prints "test N NAME: what... RESULT" per test: OK, FAILED, or why it could not run.
results() {
  sed -n 's/^test \{1,\}\([0-9]\{1,\}\) \([A-Z0-9_]\{1,\}\): .*\.\.\. *\(.*\)$/\1\t\2\t\3/p' "$1" \
    | awk -F'\t' '{ r = $3; if (r ~ /^OK/) r = "OK"; else if (r ~ /^FAILED/) r = "FAILED"; else if (r == "") r = "NO RESULT"; else r = "SKIPPED " r; print $1 "\t" $2 "\t" r }'
}
results "$out/socat.out" | sort -n > "$out/socat.tsv"
results "$out/sharpcat.out" | sort -n > "$out/sharpcat.tsv"
join -t $'\t' -a 1 -a 2 -e "-" -o 0,1.2,1.3,2.3 <(sort -k1,1 "$out/socat.tsv") <(sort -k1,1 "$out/sharpcat.tsv") \
  | sort -n > "$out/scorecard.tsv"

{
  echo "socat's test.sh ($(dpkg-query -W -f '${Version}' socat)), $(date -u +%F)"
  awk -F'\t' '
    $3 == "OK" { socat++; if ($4 == "OK") both++; else missed = missed " " $2 }
    $4 == "OK" { ours++ }
    END { printf "socat passes %d; sharpcat passes %d, %d of them among socat'"'"'s\nsharpcat misses:%s\n", socat, ours, both, missed }' "$out/scorecard.tsv"
  echo "excluded (not run for either):"
  for e in "${excluded[@]}"; do echo "  ${e%%:*}: ${e#*:}"; done
  for p in socat sharpcat; do [ -s "$out/$p.killed" ] && { echo "stuck $p processes killed after 60 s:"; cat "$out/$p.killed"; }; done
} > "$out/summary.txt"
cat "$out/summary.txt"
