#!/usr/bin/env bash
# Times gefs-fsck (release build) on a populated image of several GiB, next to the time
# `xxhsum -H3` takes to hash the same number of reachable bytes on this machine (the whole
# image, scaled by the reachable share), and reports gefs-fsck's peak memory. Both read from
# the page cache: each runs once to warm it, then is timed.
# Usage: scripts/bench-fsck.sh [GiB of file data, default 3]
set -euo pipefail
cd "$(dirname "$0")/.."
gib=${1:-3}
# SCRATCH_PATH, when set, is passed to swift build as --scratch-path.
build=(swift build -c release ${SCRATCH_PATH:+--scratch-path "$SCRATCH_PATH"})
"${build[@]}" --product mkgefs >/dev/null
"${build[@]}" --product gefs-fsck >/dev/null
bin="$("${build[@]}" --show-bin-path)"
command -v xxhsum >/dev/null || { echo "bench-fsck: xxhsum is not installed (apt-get install xxhash)" >&2; exit 1; }
work=$(mktemp -d "${TMPDIR:-/tmp}/bench-fsck.XXXXXX")
trap 'rm -rf "$work"' EXIT

# The source tree: 64 MiB files of random data, and 2000 small files in 20 directories.
src="$work/src"
mkdir -p "$src/big"
for i in $(seq 1 $((gib * 16))); do head -c $((64 << 20)) /dev/urandom >"$src/big/f$i"; done
for d in $(seq 1 20); do
    mkdir -p "$src/small/d$d"
    for f in $(seq 1 100); do head -c 3000 /dev/urandom >"$src/small/d$d/f$f"; done
done
img="$work/bench.img"
"$bin/mkgefs" -s $((gib + 1))G -d "$src" "$img" >/dev/null
rm -rf "$src"

now() { date +%s.%N; }
span() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }

"$bin/gefs-fsck" -n "$img" >/dev/null
t0=$(now)
"$bin/gefs-fsck" -n --json "$img" >"$work/report.json"
t1=$(now)
fsck=$(span "$t0" "$t1")
blocks=$(python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))["summary"]["reachable"]; print(sum(r[k] for k in ("log","pivot","leaf","data","dlist")))' "$work/report.json")
peak=$(python3 -c 'import json,sys; print(max(p["peak_bytes"] for p in json.load(open(sys.argv[1]))["passes"]) >> 20)' "$work/report.json")
status=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["exit"])' "$work/report.json")
bytes=$((blocks * 16384))

size=$(stat -c %s "$img")
xxhsum -H3 "$img" >/dev/null
t0=$(now)
xxhsum -H3 "$img" >/dev/null
t1=$(now)
whole=$(span "$t0" "$t1")
xxh=$(awk -v t="$whole" -v b="$bytes" -v s="$size" 'BEGIN { printf "%.2f", t * b / s }')

echo "image:                     $((size >> 20)) MiB, $blocks reachable blocks ($((bytes >> 20)) MiB), fsck exit $status"
echo "gefs-fsck -n:              ${fsck} s, peak memory ${peak} MiB"
echo "xxhsum -H3, whole image:   ${whole} s; scaled to the reachable bytes: ${xxh} s"
echo "ratio fsck / xxhsum:       $(awk -v a="$fsck" -v b="$xxh" 'BEGIN { printf "%.2f", a / b }')"
