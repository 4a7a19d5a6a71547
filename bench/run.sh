#!/usr/bin/env bash
# Runs SharpCat and Debian's socat side by side on the same work and prints a table with ratios.
# Measures what this build supports: stdio pipe throughput (with -b 8192 and -b 65536), file copy,
# and start-up time of -V. Each figure is the median of N runs (BENCH_RUNS, default 5).
# Usage: bench/run.sh [size_in_MiB]   (default 1024)
set -euo pipefail
cd "$(dirname "$0")/.."
SIZE_MIB=${1:-1024}
RUNS=${BENCH_RUNS:-5}
SHARPCAT=${SHARPCAT_BIN:-artifacts/sharpcat}
[ -x "$SHARPCAT" ] || ./build.sh >/dev/null
command -v socat >/dev/null || { echo "socat is needed: apt-get install -y socat" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# median of the numbers on stdin
median() { sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

# seconds (wall) and relay CPU seconds (user+sys of the relay process alone) for one command
measure() { # $1 = relay command line (reads stdin, writes stdout)
  local out
  out=$( { /usr/bin/time -f "%e %U %S" sh -c "head -c ${SIZE_MIB}M /dev/zero | $1 | cat >/dev/null" ; } 2>&1 >/dev/null | tail -n 1)
  echo "$out"
}

# relay CPU: time only the relay process, inside the pipeline
relay_cpu() { # $1 = relay command
  head -c "${SIZE_MIB}M" /dev/zero | { /usr/bin/time -f "%e %U %S" -o "$tmp/t" sh -c "exec $1" ; } | cat >/dev/null
  awk '{print $1, $2 + $3}' "$tmp/t"
}

row() { # name, sharpcat cmd, socat cmd
  local name=$1 sc=$2 so=$3 s_wall=() s_cpu=() o_wall=() o_cpu=()
  for _ in $(seq "$RUNS"); do
    read -r w c < <(relay_cpu "$sc"); s_wall+=("$w"); s_cpu+=("$c")
    read -r w c < <(relay_cpu "$so"); o_wall+=("$w"); o_cpu+=("$c")
  done
  local sw sc_ ow oc
  sw=$(printf '%s\n' "${s_wall[@]}" | median); sc_=$(printf '%s\n' "${s_cpu[@]}" | median)
  ow=$(printf '%s\n' "${o_wall[@]}" | median); oc=$(printf '%s\n' "${o_cpu[@]}" | median)
  awk -v n="$name" -v sw="$sw" -v sc="$sc_" -v ow="$ow" -v oc="$oc" -v mib="$SIZE_MIB" 'BEGIN {
    smb = mib / (sw > 0 ? sw : 0.001); omb = mib / (ow > 0 ? ow : 0.001)
    sg = sc / (mib / 1024); og = oc / (mib / 1024)
    printf "%-34s %9.0f %9.0f %6.2fx   %7.2f %7.2f %6.2fx\n", n, smb, omb, smb / omb, sg, og, (og > 0 ? sg / og : 0) }'
}

direct() {
  local walls=()
  for _ in $(seq "$RUNS"); do
    walls+=("$( { /usr/bin/time -f "%e" sh -c "head -c ${SIZE_MIB}M /dev/zero | cat | cat >/dev/null" ; } 2>&1 | tail -n 1)")
  done
  local w; w=$(printf '%s\n' "${walls[@]}" | median)
  awk -v w="$w" -v mib="$SIZE_MIB" 'BEGIN { printf "%-34s %9.0f %9s\n", "pipe, no relay (cat, the limit)", mib / w, "-" }'
}

startup() {
  local s=() o=()
  for _ in $(seq 20); do
    s+=("$( { /usr/bin/time -f "%e" "$SHARPCAT" -V >/dev/null; } 2>&1 )")
    o+=("$( { /usr/bin/time -f "%e" socat -V >/dev/null; } 2>&1 )")
  done
  local sm om
  sm=$(printf '%s\n' "${s[@]}" | median); om=$(printf '%s\n' "${o[@]}" | median)
  awk -v s="$sm" -v o="$om" 'BEGIN { printf "%-34s %8.1fms %8.1fms %6.2fx\n", "start-up of -V (20 runs)", s * 1000, o * 1000, (o > 0 ? s / o : 0) }'
}

echo "SharpCat vs socat, $(date -u +%Y-%m-%d), $(nproc) cores, ${SIZE_MIB} MiB per run, median of $RUNS runs"
echo "$(socat -V | sed -n 2p)"
printf "%-34s %9s %9s %7s   %7s %7s %7s\n" "scenario" "sharp MB/s" "socat MB/s" "ratio" "sharp s/GiB" "socat s/GiB" "cpu ratio"
direct
row "stdio pipes, -u, -b 8192"   "$SHARPCAT -u - -"           "socat -u - -"
row "stdio pipes, -u, -b 65536"  "$SHARPCAT -b 65536 -u - -"  "socat -b 65536 -u - -"
row "stdio pipes, both ways"     "$SHARPCAT - -"              "socat - -"
head -c "${SIZE_MIB}M" /dev/zero > "$tmp/in"
row "file -> stdout, -u"         "$SHARPCAT -u OPEN:$tmp/in -" "socat -u OPEN:$tmp/in -"
startup
