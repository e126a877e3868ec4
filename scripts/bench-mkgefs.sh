#!/usr/bin/env bash
# Times mkgefs (release build): formatting a 64 GiB sparse image, then formatting one
# populated from a generated directory of about 300 MiB (large and small files, a sparse one).
# Usage: scripts/bench-mkgefs.sh [MiB of large files, default 256]
set -euo pipefail
cd "$(dirname "$0")/.."
mib=${1:-256}
# SCRATCH_PATH, when set, is passed to swift build as --scratch-path.
build=(swift build -c release ${SCRATCH_PATH:+--scratch-path "$SCRATCH_PATH"})
"${build[@]}" --product mkgefs >/dev/null
mkgefs="$("${build[@]}" --show-bin-path)/mkgefs"
work=$(mktemp -d "${TMPDIR:-/tmp}/bench-mkgefs.XXXXXX")
trap 'rm -rf "$work"' EXIT

# The source tree: 8 MiB files of random data, 2000 files of 4 KiB in 20 directories, and a
# 64 MiB file with one block of data (all its other blocks are holes).
src="$work/src"
mkdir -p "$src/big"
for i in $(seq 1 $((mib / 8))); do head -c $((8 << 20)) /dev/urandom >"$src/big/f$i"; done
for d in $(seq 1 20); do
    mkdir -p "$src/small/d$d"
    for f in $(seq 1 100); do head -c 4096 /dev/urandom >"$src/small/d$d/f$f"; done
done
truncate -s 64M "$src/sparse"
echo data | dd of="$src/sparse" bs=16384 seek=100 conv=notrunc status=none
bytes=$(du -sb --apparent-size "$src" | cut -f1)
files=$(find "$src" -type f | wc -l)

now() { date +%s.%N; }
rate() { awk -v b="$1" -v t="$2" 'BEGIN { printf "%.1f", b / 1048576 / t }'; }

t0=$(now)
"$mkgefs" -s 64G "$work/fresh.img" >/dev/null
t1=$(now)
fresh=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')

t0=$(now)
"$mkgefs" -s 64G -d "$src" "$work/populated.img" >"$work/summary.txt"
t1=$(now)
pop=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')
blocks=$(sed -n 's/^populated .* \([0-9]*\) data blocks.*/\1/p' "$work/summary.txt")

echo "format 64 GiB sparse image:      ${fresh} s"
echo "populate 64 GiB image:           ${pop} s for $files files, $((bytes >> 20)) MiB apparent, $blocks data blocks"
echo "populate throughput:             $(rate "$bytes" "$pop") MiB/s apparent, $(rate $((blocks * 16384)) "$pop") MiB/s stored"
echo "image space used on the host:    $(du -sh "$work/populated.img" | cut -f1)"
