#!/usr/bin/env bash
# A million files (issue 17): one tree of BENCH_MANY one-byte files, 1000 to a directory
# (default 1,000,000; 100,000 with BENCH_QUICK=1), put on each file system by its own populate
# tool and checked by its own checker, side by side, wall time and peak memory each:
#   - populate: mkgefs -d (gefs8.00 and -t 9front), mkfs.btrfs --rootdir, mke2fs -d (ext4);
#   - check: gefs-fsck -n (every data block hashed), gefs-fsck -n --no-data,
#     btrfs check --check-data-csum, btrfs check, e2fsck -fn (ext4 has no data checksums).
# Checks are the best of BENCH_RUNS runs (default 3) after a warm-up run (warm cache); the
# populate runs happen once. gefs-fsck's memory target is printed with its figures:
# 64 MiB + 2 bits per block + 16 bytes per file; so is mkgefs -d's: 128 MiB, and at least as
# many files a second as mkfs.btrfs --rootdir.
# Prints a table (Markdown) and writes JSON to BENCH_FILES_JSON (default
# $BENCH_TMPDIR/gefs-bench-files.json). Inputs go to BENCH_TMPDIR (default $TMPDIR or /tmp;
# the full run needs about 25 GiB). Run on its own or from scripts/bench.sh. Missing tools
# (time, btrfs-progs, e2fsprogs) are installed with apt-get.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -n "${BENCH_QUICK:-}" ] && [ "${BENCH_QUICK}" != 0 ]; then n=${BENCH_MANY:-100000}; else n=${BENCH_MANY:-1000000}; fi
runs=${BENCH_RUNS:-3}
tmp=${BENCH_TMPDIR:-${TMPDIR:-/tmp}}
out=${BENCH_FILES_JSON:-$tmp/gefs-bench-files.json}
say() { printf '%s\n' "$*" >&2; }

missing=()
[ -x /usr/bin/time ] || missing+=(time)
PATH=$PATH:/usr/sbin:/sbin
command -v mkfs.btrfs >/dev/null && command -v btrfs >/dev/null || missing+=(btrfs-progs)
command -v mke2fs >/dev/null && command -v e2fsck >/dev/null || missing+=(e2fsprogs)
command -v python3 >/dev/null || missing+=(python3)
if [ ${#missing[@]} -gt 0 ]; then
    say "bench-files: installing ${missing[*]}"
    sudo=""; [ "$(id -u)" -eq 0 ] || sudo=sudo
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi
bash scripts/setup.sh
build=(swift build -c release ${SCRATCH_PATH:+--scratch-path "$SCRATCH_PATH"})
for p in mkgefs gefs-fsck; do "${build[@]}" --product "$p" >/dev/null; done
bin=$("${build[@]}" --show-bin-path)

work=$(mktemp -d "$tmp/gefs-bench-files.XXXXXX")
trap 'rm -rf "$work"' EXIT
need=$(( n * 26 + 4194304 ))  # KiB: a data block of 16 KiB per file on gefs, 4 KiB on ext4, the tree
have=$(df -Pk "$tmp" | awk 'NR == 2 { print $4 }')
if [ "$have" -lt "$need" ]; then
    say "bench-files: $tmp has $((have >> 20)) GiB free, the run needs $((need >> 20)) GiB (set BENCH_TMPDIR or BENCH_MANY)"
    exit 1
fi

# once NAME CMD...: one run, its wall time and /usr/bin/time -v report kept as NAME. Starts
# with a sync, so that no run pays for writing back the one before.
once() {
    local name=$1 t0 t1
    shift
    sync
    t0=$(date +%s.%N)
    /usr/bin/time -v -o "$work/rusage.$name" "$@" >"$work/out.$name" 2>&1 || echo "bench-files: $name exited $?" >>"$work/out.$name"
    t1=$(date +%s.%N)
    awk -v a="$t0" -v z="$t1" 'BEGIN { printf "%.3f", z - a }' >"$work/time.$name"
}
# best NAME CMD...: a warm-up run, then BENCH_RUNS runs; keeps the shortest.
best() {
    local name=$1 b=""
    shift
    "$@" >/dev/null 2>&1 || true
    for _ in $(seq 1 "$runs"); do
        once "$name.now" "$@"
        if [ -z "$b" ] || awk -v d="$(cat "$work/time.$name.now")" -v b="$b" 'BEGIN { exit !(d < b) }'; then
            b=$(cat "$work/time.$name.now")
            for f in time rusage out; do mv "$work/$f.$name.now" "$work/$f.$name"; done
        fi
    done
}

say "bench-files: $n one-byte files"
src="$work/src"
python3 - "$src" "$n" <<'PY'
import os, sys
root, n = sys.argv[1], int(sys.argv[2])
for i in range(n):
    d = os.path.join(root, "d%04d" % (i // 1000))
    if i % 1000 == 0: os.makedirs(d)
    with open(os.path.join(d, "file-%07d" % i), "wb") as f: f.write(b"x")
PY
sync

say "bench-files: mkgefs -d"
gimg="$work/gefs.img"
once mkgefs "$bin/mkgefs" -f -s "$(( n / 50 + 256 ))M" -d "$src" "$gimg"
say "bench-files: mkgefs -t 9front -d"
once mkgefs9 "$bin/mkgefs" -f -t 9front -s "$(( n / 50 + 256 ))M" -d "$src" "$work/gefs9.img"
rm -f "$work/gefs9.img"
say "bench-files: mkfs.btrfs --rootdir"
bimg="$work/btrfs.img"
truncate -s "$(( n / 100 + 1024 ))M" "$bimg"
once mkbtrfs mkfs.btrfs -q -f --rootdir "$src" "$bimg"
say "bench-files: mke2fs -d"
eimg="$work/ext4.img"
truncate -s "$(( n * 6 / 1024 + 512 ))M" "$eimg"
once mke2fs mke2fs -q -F -t ext4 -N "$(( n + n / 500 + 4096 ))" -d "$src" "$eimg"
rm -rf "$src"
sync

say "bench-files: checks"
best fsck "$bin/gefs-fsck" -n "$gimg"
best fsck_nodata "$bin/gefs-fsck" -n --no-data "$gimg"
best btrfs_csum btrfs check --readonly --check-data-csum "$bimg"
best btrfs btrfs check --readonly "$bimg"
best e2fsck e2fsck -fn "$eimg"
gblocks=$(( $(stat -c %s "$gimg") / 16384 ))
summary=$(grep -m1 " files, " "$work/out.fsck" || true)

python3 - "$work" "$out" "$n" "$gblocks" "$summary" <<'PY'
import json, os, sys
work, out, n, blocks, summary = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
def res(name):
    t = float(open(os.path.join(work, "time." + name)).read())
    kib = 0
    for line in open(os.path.join(work, "rusage." + name)):
        if "Maximum resident set size" in line: kib = int(line.split(":")[1])
    failed = "bench-files: " in open(os.path.join(work, "out." + name)).read()
    return {"seconds": t, "peak_kib": kib, "failed": failed}
rows = [("mkgefs -d", "mkgefs"), ("mkgefs -t 9front -d", "mkgefs9"), ("mkfs.btrfs --rootdir", "mkbtrfs"), ("mke2fs -d (ext4)", "mke2fs"),
        ("gefs-fsck -n (every data block hashed)", "fsck"), ("gefs-fsck -n --no-data", "fsck_nodata"),
        ("btrfs check --check-data-csum", "btrfs_csum"), ("btrfs check", "btrfs"),
        ("e2fsck -fn (metadata only; ext4 has no data checksums)", "e2fsck")]
r = {"files": n, "gefs_blocks": blocks, "fsck_summary": summary,
     "fsck_memory_target_kib": 65536 + blocks * 2 // 8 // 1024 + n * 16 // 1024,
     "results": {k: res(k) for _, k in rows}}
json.dump(r, open(out, "w"), indent=2)
print("%d one-byte files, 1000 to a directory (%s)" % (n, summary))
print()
print("| | time | peak memory |")
print("|---|---|---|")
for label, k in rows:
    x = r["results"][k]
    print("| `%s`%s | %.2f s | %.1f MiB |" % (label.split(" (")[0], (" (" + label.split(" (", 1)[1]) if " (" in label else "",
                                          x["seconds"], x["peak_kib"] / 1024) + (" **failed**" if x["failed"] else ""))
for k in ("mkgefs", "mkgefs9"):
    m, b = r["results"][k], r["results"]["mkbtrfs"]
    print("%s: %.0f files/s (mkfs.btrfs --rootdir: %.0f), peak %.1f MiB; target 128 MiB and btrfs's rate: %s"
          % ("mkgefs -d" if k == "mkgefs" else "mkgefs -t 9front -d", n / m["seconds"], n / b["seconds"], m["peak_kib"] / 1024,
             "met" if m["peak_kib"] <= 128 * 1024 and m["seconds"] <= b["seconds"] else "MISSED"))
f = r["results"]["fsck"]
print()
print("gefs-fsck memory target (64 MiB + 2 bits per block + 16 bytes per file): %.1f MiB; peak %.1f MiB: %s"
      % (r["fsck_memory_target_kib"] / 1024, f["peak_kib"] / 1024, "met" if f["peak_kib"] <= r["fsck_memory_target_kib"] else "MISSED"))
print("results: " + out)
PY
