#!/usr/bin/env bash
# gefs-fsck -n on a genuine gefs9.00 image, next to its floors (FORMAT-9FRONT.md; issue 11):
#   - the image: the genuine 9front gefs (../shared/realgefs/mkreal.sh --root) fills it with
#     BENCH9_GIB GiB of generated files (default 2; 0.25 with BENCH_QUICK=1);
#   - gefs-fsck -n: wall time, CPU time and peak memory, best of BENCH_RUNS runs (default 5)
#     after a warm-up run; memory against the target 64 MiB + 2 bits per block;
#   - the hash floor: MetroHash64_1 through the same library over as many bytes as the image
#     has reachable blocks, on one core (gefs-bench-hash); target fsck / floor <= 1.5;
#   - one `dd` read of the whole image.
# Prints a table; writes JSON to BENCH9_JSON (default $BENCH_TMPDIR/gefs-bench-gefs9.json).
# Run on its own or from scripts/bench.sh. Needs gcc, make and python3 (the kit builds itself).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -n "${BENCH_QUICK:-}" ] && [ "${BENCH_QUICK}" != 0 ]; then gib=${BENCH9_GIB:-0.25}; else gib=${BENCH9_GIB:-2}; fi
runs=${BENCH_RUNS:-5}
tmp=${BENCH_TMPDIR:-${TMPDIR:-/tmp}}
out=${BENCH9_JSON:-$tmp/gefs-bench-gefs9.json}
kit=../shared/realgefs
say() { printf '%s\n' "$*" >&2; }
[ -x "$kit/mkreal.sh" ] || { say "bench-gefs9: $kit/mkreal.sh not found"; exit 1; }
[ -x /usr/bin/time ] || bash scripts/install-missing.sh bench-gefs9 time
bash scripts/setup.sh
swift build -c release ${SCRATCH_PATH:+--scratch-path "$SCRATCH_PATH"} --product gefs-fsck >/dev/null
swift build -c release ${SCRATCH_PATH:+--scratch-path "$SCRATCH_PATH"} --product gefs-bench-hash >/dev/null
bin=$(swift build -c release ${SCRATCH_PATH:+--scratch-path "$SCRATCH_PATH"} --show-bin-path)
work=$(mktemp -d "$tmp/gefs-bench9.XXXXXX")
trap 'rm -rf "$work"' EXIT

say "bench-gefs9: writing $gib GiB of files"
python3 - "$work/src" "$gib" <<'PY'
# As scripts/bench.sh: a sixth of the bytes in small files, the rest in 64 MiB files.
import os, random, sys
root, total = sys.argv[1], int(float(sys.argv[2]) * (1 << 30))
rng = random.Random(9)
pool = os.urandom(64 << 20)
def content(n):
    o = rng.randrange(0, len(pool) - n + 1)
    return pool[o:o + n]
made = i = 0
while made < total // 6:
    d = os.path.join(root, "small", "d%03d" % (i // 500))
    os.makedirs(d, exist_ok=True)
    n = rng.choice([1, 100, 1000, 4000, 9000, 16384, 20000, 40000, 70000])
    with open(os.path.join(d, "f%d" % i), "wb") as f: f.write(content(n))
    made += n; i += 1
os.makedirs(os.path.join(root, "big"), exist_ok=True)
j = 0
while made < total:
    n = min(64 << 20, total - made)
    with open(os.path.join(root, "big", "f%d" % j), "wb") as f: f.write(content(n))
    made += n; j += 1
PY
files=$(find "$work/src" -type f | wc -l)
src_bytes=$(du -sb --apparent-size "$work/src" | cut -f1)
size_mib=$(awk -v b="$src_bytes" -v f="$files" 'BEGIN { printf "%d", (b + f * 16384) * 1.25 / 1048576 + 256 }')
img="$work/gefs9.img"
say "bench-gefs9: the genuine gefs writes $files files into a ${size_mib} MiB image"
t0=$(date +%s.%N)
"$kit/mkreal.sh" "$img" --size "${size_mib}M" --root "$work/src" --snap "" >/dev/null 2>"$work/mkreal.err" || { cat "$work/mkreal.err" >&2; exit 1; }
t_mkreal=$(awk -v a="$t0" -v z="$(date +%s.%N)" 'BEGIN { printf "%.2f", z - a }')
rm -rf "$work/src"
sync

"$bin/gefs-fsck" -n --json "$img" >"$work/fsck.json" || true
read -r blocks reachable errors < <(python3 -c '
import json, sys
d = json.load(open(sys.argv[1])); s = d["summary"]
print(s["blocks"], sum(s["reachable"].values()), s["errors"])' "$work/fsck.json")
reach_bytes=$((reachable * 16384))

now() { date +%s.%N; }
# best NAME CMD...: a warm-up run, then BENCH_RUNS runs; the shortest wall time in best.NAME,
# that run's /usr/bin/time -v report in rusage.NAME and its output in out.NAME.
best() {
    local name=$1 b="" t0 t1 d
    shift
    "$@" >/dev/null 2>&1 || true
    for _ in $(seq 1 "$runs"); do
        t0=$(now)
        /usr/bin/time -v -o "$work/rusage.now" "$@" >"$work/out.now" 2>/dev/null || true
        t1=$(now)
        d=$(awk -v a="$t0" -v z="$t1" 'BEGIN { printf "%.4f", z - a }')
        if [ -z "$b" ] || awk -v d="$d" -v b="$b" 'BEGIN { exit !(d < b) }'; then
            b=$d; mv "$work/rusage.now" "$work/rusage.$name"; mv "$work/out.now" "$work/out.$name"
        fi
    done
    echo "$b" >"$work/best.$name"
}
say "bench-gefs9: gefs-fsck -n, the MetroHash floor, dd ($runs runs each)"
best fsck "$bin/gefs-fsck" -n "$img"
best floor "$bin/gefs-bench-hash" gefs9.00 "$img" "$reach_bytes"
best dd dd if="$img" of=/dev/null bs=1M
peak() { awk -F': ' '/Maximum resident set size/ { print $2 }' "$work/rusage.$1"; }
cpu() { awk -F': ' '/User time|System time/ { t += $2 } END { printf "%.3f", t }' "$work/rusage.$1"; }
# The floor's own timer excludes process start; its wall time includes it, as fsck's does.
t_floor_inner=$(awk '{ print $3 }' "$work/out.floor")

cat >"$out" <<JSON
{
  "format": "gefs9.00", "gib": $gib, "files": $files, "image_bytes": $(stat -c %s "$img"), "blocks": $blocks,
  "reachable_blocks": $reachable, "fsck_errors": $errors, "mkreal_seconds": $t_mkreal,
  "fsck": {"seconds": $(cat "$work/best.fsck"), "cpu_seconds": $(cpu fsck), "peak_kib": $(peak fsck)},
  "metrohash_floor": {"seconds": $(cat "$work/best.floor"), "hash_seconds": $t_floor_inner, "cpu_seconds": $(cpu floor), "bytes": $reach_bytes},
  "dd": {"seconds": $(cat "$work/best.dd")}
}
JSON
python3 - "$out" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
f, h, d = r["fsck"], r["metrohash_floor"], r["dd"]
budget = 64 * 1024 + r["blocks"] * 2 / 8 / 1024
print("gefs9.00: %s GiB of files, %d files, %d blocks, %d reachable (%.2f GiB); image made by the genuine gefs in %.1f s"
      % (r["gib"], r["files"], r["blocks"], r["reachable_blocks"], h["bytes"] / 2**30, r["mkreal_seconds"]))
row = lambda name, s, note: print("  %-44s %8.3f s  %s" % (name, s, note))
row("gefs-fsck -n", f["seconds"], "CPU %.3f s, peak %d MiB [target < 64 MiB + 2 bits/block = %d MiB: %s]; %d errors"
    % (f["cpu_seconds"], f["peak_kib"] // 1024, budget // 1024, "ok" if f["peak_kib"] < budget else "OVER", r["fsck_errors"]))
row("MetroHash64_1 over the reachable bytes (floor)", h["seconds"], "(%.3f s hashing); fsck / floor %.2f [target <= 1.5: %s]; in CPU time %.2f"
    % (h["hash_seconds"], f["seconds"] / h["seconds"], "ok" if f["seconds"] / h["seconds"] <= 1.5 else "OVER", f["cpu_seconds"] / max(h["cpu_seconds"], 1e-9)))
row("dd of the whole image", d["seconds"], "fsck / dd %.2f" % (f["seconds"] / d["seconds"]))
print("(JSON: %s)" % sys.argv[1])
PY
