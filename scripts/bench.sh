#!/usr/bin/env bash
# The benchmark suite: builds the tools in release mode, makes its own inputs, and prints in one
# run what issue 7 asks for, as text and as JSON:
#
#   - gefs-fsck -n on a populated image of BENCH_GIB GiB of files (many small, some large,
#     written with mkgefs -d): wall time and peak memory, next to the time `xxhsum -H3` takes
#     to hash the same number of reachable bytes (the hash floor) and the time to read the
#     image once (`dd`, the read floor), as ratios;
#   - the same files formatted with `mkfs.btrfs --rootdir` and checked with
#     `btrfs check --check-data-csum`, as a ratio against gefs-fsck;
#   - mkgefs -d populate throughput and peak memory, for gefs8.00 and for `mkgefs -t 9front -d`
#     (gefs9.00), on the file set and on BENCH_FILES9 one-byte files (default a million;
#     20,000 in a quick run);
#   - gefs-restore -m of that image into a directory against `cp -a` of the same source tree
#     into the same file system (wall time and peak memory of each; target: restore within
#     1.5x of cp -a), the restored tree checked against the source once;
#   - gefs-fsck -n's peak memory on a fresh, sparse image of BENCH_BIG_TIB TiB (default 4), for
#     the memory target's bits per block, and on BENCH_FILES one-byte files (default 200,000),
#     for the directory checks' memory per file;
#   - on a one-arena image whose log holds BENCH_ENTRIES entries: gefs-replay entries per
#     second, gefs-logdump lines per second (text) and entries per second (--json).
#
# Every timing is the best of BENCH_RUNS runs after a warm-up run, so the main figures are
# warm-cache (the inputs sit in the page cache). When /proc/sys/vm/drop_caches is writable
# (root) and BENCH_COLD is not 0, one cold-cache run of fsck, xxhsum, dd and btrfs check
# follows, each after dropping the caches.
#
#   scripts/bench.sh                   the full run: 4 GiB of files, 10 million log entries
#   BENCH_QUICK=1 scripts/bench.sh     a quick run (0.5 GiB, 1 million entries, 20,000 small files)
#
# Knobs (environment): BENCH_GIB, BENCH_ENTRIES, BENCH_RUNS (default 5), BENCH_COLD (auto),
# BENCH_BIG_TIB (default 4), BENCH_FILES, BENCH_FILES9,
# BENCH_TMPDIR (where inputs go; default $TMPDIR or /tmp; needs about 4.5 x BENCH_GIB free),
# BENCH_JSON (results file; default $BENCH_TMPDIR/gefs-bench.json), SCRATCH_PATH (passed to
# swift build as --scratch-path). Missing tools (time, xxhsum, btrfs-progs) are installed
# with apt-get.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD

if [ -n "${BENCH_QUICK:-}" ] && [ "${BENCH_QUICK}" != 0 ]; then
    gib=${BENCH_GIB:-0.5}; entries=${BENCH_ENTRIES:-1000000}
else
    gib=${BENCH_GIB:-4}; entries=${BENCH_ENTRIES:-10000000}
fi
runs=${BENCH_RUNS:-5}
big_tib=${BENCH_BIG_TIB:-4}
if [ -n "${BENCH_QUICK:-}" ] && [ "${BENCH_QUICK}" != 0 ]; then nfiles=${BENCH_FILES:-20000}; else nfiles=${BENCH_FILES:-200000}; fi
if [ -n "${BENCH_QUICK:-}" ] && [ "${BENCH_QUICK}" != 0 ]; then nfiles9=${BENCH_FILES9:-20000}; else nfiles9=${BENCH_FILES9:-1000000}; fi
tmp=${BENCH_TMPDIR:-${TMPDIR:-/tmp}}
out=${BENCH_JSON:-$tmp/gefs-bench.json}

say() { printf '%s\n' "$*" >&2; }

# --- What the benchmark needs -----------------------------------------------------------
missing=()
[ -x /usr/bin/time ] || missing+=(time)
command -v xxhsum >/dev/null || missing+=(xxhash)
command -v mkfs.btrfs >/dev/null && command -v btrfs >/dev/null || missing+=(btrfs-progs)
command -v python3 >/dev/null || missing+=(python3)
bash scripts/install-missing.sh bench "${missing[@]}"
PATH=$PATH:/usr/sbin:/sbin
bash scripts/setup.sh

build=(swift build -c release ${SCRATCH_PATH:+--scratch-path "$SCRATCH_PATH"})
say "bench: building (release)"
for p in mkgefs gefs-fsck gefs-replay gefs-logdump gefs-restore gefs-bench-log; do "${build[@]}" --product "$p" >/dev/null; done
bin=$("${build[@]}" --show-bin-path)

need=$(awk -v g="$gib" -v m="$nfiles9" 'BEGIN { a = g * 4.5 * 1048576; b = m * 17.5; printf "%d", (a > b ? a : b) + 2097152 }')
have=$(df -Pk "$tmp" | awk 'NR == 2 { print $4 }')
if [ "$have" -lt "$need" ]; then
    say "bench: $tmp has $((have >> 20)) GiB free, the inputs need $((need >> 20)) GiB (set BENCH_TMPDIR or BENCH_GIB)"
    exit 1
fi
work=$(mktemp -d "$tmp/gefs-bench.XXXXXX")
shm=""
trap 'rm -rf "$work" ${shm:+"$shm"}' EXIT

# --- Timing -----------------------------------------------------------------------------
now() { date +%s.%N; }
# best CMD...: runs CMD once to warm the caches, then BENCH_RUNS times; prints the shortest
# wall time in seconds. Output goes to $work/out, the last run's /usr/bin/time -v report to
# $work/rusage.
best() {
    "$@" >"$work/out" 2>/dev/null || true
    local b="" t0 t1
    for _ in $(seq 1 "$runs"); do
        t0=$(now)
        /usr/bin/time -v -o "$work/rusage" "$@" >"$work/out" 2>/dev/null || true
        t1=$(now)
        b=$(awk -v a="$t0" -v z="$t1" -v b="$b" 'BEGIN { d = z - a; if (b == "" || d < b) b = d; printf "%.4f", b }')
    done
    echo "$b"
}
# timed NAME ROUND CMD...: one run of CMD (round 0 only warms the caches); keeps NAME's shortest
# wall time in $work/best.NAME, that run's /usr/bin/time -v report in $work/rusage.NAME and
# its output in $work/out.NAME.
timed() {
    local name=$1 round=$2 t0 t1 d
    shift 2
    t0=$(now)
    /usr/bin/time -v -o "$work/rusage.now" "$@" >"$work/out.now" 2>/dev/null || true
    t1=$(now)
    d=$(awk -v a="$t0" -v z="$t1" 'BEGIN { printf "%.4f", z - a }')
    [ "$round" = 0 ] && return
    if [ ! -e "$work/best.$name" ] || awk -v d="$d" -v b="$(cat "$work/best.$name")" 'BEGIN { exit !(d < b) }'; then
        echo "$d" >"$work/best.$name"
        mv "$work/rusage.now" "$work/rusage.$name"
        mv "$work/out.now" "$work/out.$name"
    fi
}
# Peak resident memory of the last `best` run (or of NAME's kept run), in KiB.
peak() { awk -F': ' '/Maximum resident set size/ { print $2 }' "$work/rusage${1:+.$1}"; }
# CPU time (user + system) of the last `best` run (or of NAME's kept run), in seconds.
cpu() { awk -F': ' '/User time|System time/ { t += $2 } END { printf "%.3f", t }' "$work/rusage${1:+.$1}"; }

cold=no
if [ "${BENCH_COLD:-auto}" != 0 ] && { sync; echo 3 >/proc/sys/vm/drop_caches; } 2>/dev/null; then cold=yes; fi
# once_cold CMD...: one run after dropping the page cache; prints its wall time.
once_cold() {
    sync; echo 3 >/proc/sys/vm/drop_caches
    local t0 t1
    t0=$(now); "$@" >/dev/null 2>&1 || true; t1=$(now)
    awk -v a="$t0" -v z="$t1" 'BEGIN { printf "%.4f", z - a }'
}

# --- Inputs: the file set ---------------------------------------------------------------
say "bench: writing $gib GiB of files"
src="$work/src"
python3 - "$src" "$gib" <<'EOF'
# A sixth of the bytes in small files (1 byte to 68 KiB, 50 to a directory, 10 directories to a
# parent), the rest in 64 MiB files. Contents are slices of a random pool, so no block is all
# zero (a hole) and blocks rarely repeat.
import os, random, sys
root, total = sys.argv[1], int(float(sys.argv[2]) * (1 << 30))
rng = random.Random(7)
pool = os.urandom(64 << 20)
def content(n):
    out = bytearray()
    while len(out) < n:
        k = min(n - len(out), len(pool))
        o = rng.randrange(0, len(pool) - k + 1)
        out += pool[o:o + k]
    return out
made = i = 0
while made < total // 6:
    d = os.path.join(root, "small", "d%03d" % (i // 500), "e%02d" % (i // 50 % 10))
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
EOF
files=$(find "$src" -type f | wc -l)
dirs=$(find "$src" -type d | wc -l)
src_bytes=$(du -sb --apparent-size "$src" | cut -f1)
# Room for the files' blocks, the trees and a little free space.
img_mib=$(awk -v b="$src_bytes" -v f="$files" 'BEGIN { printf "%d", (b + f * 16384) * 1.08 / 1048576 + 64 }')

# --- mkgefs -d --------------------------------------------------------------------------
say "bench: mkgefs -d"
img="$work/gefs.img"
t_mkgefs=$(best "$bin/mkgefs" -f -s "${img_mib}M" -d "$src" "$img")
data_blocks=$(sed -n 's/^populated .* \([0-9]*\) data blocks.*/\1/p' "$work/out")
mem_mkgefs=$(peak)
img_bytes=$(stat -c %s "$img")
# Let writeback finish, so that it does not run during the timings.
sync

# --- mkgefs -t 9front -d: the same files in gefs9.00 ------------------------------------------
say "bench: mkgefs -t 9front -d"
img9="$work/gefs9.img"
# The same room, plus what the genuine reserve keeps back (at most 8 MiB an arena, 8 arenas).
img9_mib=$(( img_mib + 80 )); [ "$img9_mib" -ge 129 ] || img9_mib=129
t_mkgefs9=$(best "$bin/mkgefs" -t 9front -f -s "${img9_mib}M" -d "$src" "$img9")
mem_mkgefs9=$(peak)
grep -q '^qgen       1$' "$work/out" || { say "bench: mkgefs -t 9front -d failed"; exit 1; }
rm -f "$img9"
sync

# --- btrfs: the same files -----------------------------------------------------------------
say "bench: mkfs.btrfs --rootdir"
bimg="$work/btrfs.img"
t0=$(now)
rm -f "$bimg"; truncate -s "$(( img_mib * 3 / 2 ))M" "$bimg"
mkfs.btrfs -q -f --rootdir "$src" "$bimg" >/dev/null 2>&1
t1=$(now)
sync
t_mkbtrfs=$(awk -v a="$t0" -v z="$t1" 'BEGIN { printf "%.4f", z - a }')
btrfs check --check-data-csum "$bimg" >/dev/null 2>&1 || { say "bench: btrfs check fails on the btrfs image"; exit 1; }

# --- gefs-fsck -n against the hash floor, the read floor and btrfs check ----------------------
# The four take turns, BENCH_RUNS rounds after a warm-up round, so that other work on the
# machine weighs on each alike; each keeps its shortest round.
say "bench: gefs-fsck -n, xxhsum -H3, dd, btrfs check --check-data-csum"
load=$(cut -d' ' -f1 /proc/loadavg)
rounds() {
    local round name
    for round in $(seq 0 "$runs"); do
        for name in fsck xxh dd btrfs; do
            case $name in
                fsck) timed $name $round "$bin/gefs-fsck" -n --json "$img" ;;
                xxh) timed $name $round xxhsum -H3 "$img" ;;
                dd) timed $name $round dd if="$img" of=/dev/null bs=1M ;;
                btrfs) timed $name $round btrfs check --check-data-csum "$bimg" ;;
            esac
        done
    done
}
rounds
t_fsck=$(cat "$work/best.fsck"); mem_fsck=$(peak fsck); cpu_fsck=$(cpu fsck)
t_xxh_img=$(cat "$work/best.xxh"); cpu_xxh=$(cpu xxh)
t_read_img=$(cat "$work/best.dd")
t_btrfs=$(cat "$work/best.btrfs"); mem_btrfs=$(peak btrfs); cpu_btrfs=$(cpu btrfs)
read -r fsck_exit reachable total_blocks <<<"$(python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
s = r["summary"]
print(r["exit"], sum(s["reachable"][k] for k in ("log", "pivot", "leaf", "data", "dlist")), s["blocks"])' "$work/out.fsck")"
if [ "$fsck_exit" != 0 ]; then say "bench: gefs-fsck -n exited $fsck_exit on the benchmark image"; exit 1; fi
reach_bytes=$((reachable * 16384))
image_blocks=$((img_bytes / 16384))
# The hash floor: xxhsum's time over the whole image, scaled to the reachable bytes (the
# image is mostly reachable; hashing costs the same per byte wherever the bytes are).
t_xxh=$(awk -v t="$t_xxh_img" -v r="$reach_bytes" -v s="$img_bytes" 'BEGIN { printf "%.4f", t * r / s }')

# --- Cold cache -------------------------------------------------------------------------
c_fsck=""; c_xxh=""; c_read=""; c_btrfs=""
if [ "$cold" = yes ]; then
    say "bench: cold-cache runs"
    c_fsck=$(once_cold "$bin/gefs-fsck" -n "$img")
    c_xxh=$(once_cold xxhsum -H3 "$img")
    c_read=$(once_cold dd if="$img" of=/dev/null bs=1M)
    c_btrfs=$(once_cold btrfs check --check-data-csum "$bimg")
fi
# --- gefs-restore against cp -a ---------------------------------------------------------------
# Both write the same files into the same file system; they take turns, each round after the
# last one's output is removed and written back (sync), so that neither pays for the other's
# writeback. The restored tree is compared with the source after the last round.
say "bench: gefs-restore -m against cp -a"
rdest="$work/restored"; cdest="$work/copied"
for round in $(seq 0 "$runs"); do
    rm -rf "$rdest" "$cdest"; sync
    timed restore "$round" "$bin/gefs-restore" -m "$img" "$rdest"
    [ "$round" = "$runs" ] || rm -rf "$rdest"
    sync
    timed cpa "$round" cp -a "$src" "$cdest"
    rm -rf "$cdest"; sync
done
t_restore=$(cat "$work/best.restore"); mem_restore=$(peak restore); cpu_restore=$(cpu restore)
t_cpa=$(cat "$work/best.cpa"); mem_cpa=$(peak cpa); cpu_cpa=$(cpu cpa)
if ! diff -r "$src" "$rdest" >/dev/null; then say "bench: the restored tree differs from the source"; exit 1; fi
rm -rf "$rdest"
rm -rf "$src" "$bimg"

# --- Many small files: directory state per file ------------------------------------------
say "bench: $nfiles one-byte files"
# On a RAM file system when there is one: creating and removing 200,000 files on a busy disk
# takes minutes, and it is not what is measured.
shm=""
if [ -d /dev/shm ] && [ -w /dev/shm ]; then shm=$(mktemp -d /dev/shm/gefs-bench.XXXXXX); fi
many="${shm:-$work}/many"
python3 - "$many" "$nfiles" <<'PY'
import os, sys
root, n = sys.argv[1], int(sys.argv[2])
for i in range(n):
    d = os.path.join(root, "d%04d" % (i // 1000))
    if i % 1000 == 0: os.makedirs(d)
    with open(os.path.join(d, "file-%07d" % i), "wb") as f: f.write(b"x")
PY
mimg="$work/many.img"
t0=$(now)
"$bin/mkgefs" -f -s "$(( nfiles / 50 + 256 ))M" -d "$many" "$mimg" >/dev/null
t1=$(now)
t_many_mkgefs=$(awk -v a="$t0" -v z="$t1" 'BEGIN { printf "%.4f", z - a }')
rm -rf "$many" ${shm:+"$shm"}
sync
t_many=$(best "$bin/gefs-fsck" -n "$mimg")
mem_many=$(peak)
many_blocks=$(( $(stat -c %s "$mimg") / 16384 ))
rm -f "$mimg"

# --- mkgefs -t 9front -d, many small files ------------------------------------------------
say "bench: mkgefs -t 9front -d, $nfiles9 one-byte files"
shm=""
if [ -d /dev/shm ] && [ -w /dev/shm ]; then shm=$(mktemp -d /dev/shm/gefs-bench.XXXXXX); fi
many9="${shm:-$work}/many9"
python3 - "$many9" "$nfiles9" <<'PY'
import os, sys
root, n = sys.argv[1], int(sys.argv[2])
for i in range(n):
    d = os.path.join(root, "d%04d" % (i // 1000))
    if i % 1000 == 0: os.makedirs(d)
    with open(os.path.join(d, "file-%07d" % i), "wb") as f: f.write(b"x")
PY
m9img="$work/many9.img"
# One data block a file, the trees, and the reserve.
m9_mib=$(( nfiles9 * 17 / 1024 + 256 ))
t0=$(now)
/usr/bin/time -v -o "$work/rusage" "$bin/mkgefs" -t 9front -f -s "${m9_mib}M" -d "$many9" "$m9img" >"$work/out" 2>/dev/null \
    || { say "bench: mkgefs -t 9front -d failed on $nfiles9 files"; exit 1; }
t1=$(now)
t_many9=$(awk -v a="$t0" -v z="$t1" 'BEGIN { printf "%.4f", z - a }')
mem_many9=$(peak)
rm -rf "$many9" ${shm:+"$shm"} "$m9img"
shm=""
sync

# --- Memory at scale: a fresh, sparse image of BENCH_BIG_TIB TiB --------------------------------
say "bench: gefs-fsck -n on a fresh ${big_tib} TiB sparse image"
bigimg="$work/big.img"
"$bin/mkgefs" -f -s "${big_tib}T" "$bigimg" >/dev/null
t_big=$(best "$bin/gefs-fsck" -n "$bigimg")
mem_big=$(peak)
big_blocks=$(( $(stat -c %s "$bigimg") / 16384 ))
rm -f "$bigimg"

# --- The log: replay and logdump ------------------------------------------------------------
say "bench: a log of $entries entries"
limg="$work/log.img"
"$bin/gefs-bench-log" "$entries" "$limg" >/dev/null
sync
read -r log_entries log_blocks <<<"$("$bin/gefs-logdump" --stats --json "$limg" | python3 -c '
import json, sys
a = json.load(sys.stdin)["arenas"][0]
print(a["committed_entries"], a["chain_blocks"])')"
t_replay=$(best "$bin/gefs-replay" "$limg")
mem_replay=$(peak)
t_logdump=$(best "$bin/gefs-logdump" "$limg")
log_lines=$(wc -l <"$work/out")
t_logjson=$(best "$bin/gefs-logdump" --json "$limg")

# --- Report -----------------------------------------------------------------------------
python3 - "$out" <<EOF
import json, sys
B = 16384
r = {
  "machine": {"cpus": $(nproc), "cpu": "$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)",
              "memory_gib": round($(awk '/MemTotal/ { print $2 }' /proc/meminfo) / 1048576, 1)},
  "cache": {"warm": True, "cold_runs": "$cold" == "yes", "runs": $runs},
  "load_average_before_fsck": $load,
  "commit": "$(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo unknown)",
  "files": {"count": $files, "directories": $dirs, "bytes": $src_bytes},
  "mkgefs": {"seconds": $t_mkgefs, "image_bytes": $img_bytes, "data_blocks": ${data_blocks:-0},
             "mib_per_s": $src_bytes / $t_mkgefs / 1048576, "peak_kib": $mem_mkgefs},
  "mkgefs9": {"seconds": $t_mkgefs9, "mib_per_s": $src_bytes / $t_mkgefs9 / 1048576, "peak_kib": $mem_mkgefs9,
              "many_files": $nfiles9, "many_seconds": $t_many9, "many_peak_kib": $mem_many9},
  "fsck": {"seconds": $t_fsck, "cpu_seconds": $cpu_fsck, "peak_kib": $mem_fsck, "image_blocks": $image_blocks,
           "reachable_blocks": $reachable, "reachable_bytes": $reach_bytes,
           "memory_target_kib": 65536 + $image_blocks * 2 / 8 / 1024},
  "xxhsum": {"image_seconds": $t_xxh_img, "reachable_seconds": $t_xxh, "image_cpu_seconds": $cpu_xxh},
  "read": {"image_seconds": $t_read_img},
  "many": {"files": $nfiles, "blocks": $many_blocks, "mkgefs_seconds": $t_many_mkgefs, "fsck_seconds": $t_many,
           "fsck_peak_kib": $mem_many, "memory_target_kib": 65536 + $many_blocks * 2 / 8 / 1024},
  "big": {"tib": $big_tib, "blocks": $big_blocks, "fsck_seconds": $t_big, "fsck_peak_kib": $mem_big,
          "memory_target_kib": 65536 + $big_blocks * 2 / 8 / 1024},
  "restore": {"seconds": $t_restore, "cpu_seconds": $cpu_restore, "peak_kib": $mem_restore,
              "cp_seconds": $t_cpa, "cp_cpu_seconds": $cpu_cpa, "cp_peak_kib": $mem_cpa},
  "btrfs": {"mkfs_seconds": $t_mkbtrfs, "check_seconds": $t_btrfs, "check_cpu_seconds": $cpu_btrfs, "check_peak_kib": $mem_btrfs},
  "log": {"entries": $log_entries, "blocks": $log_blocks, "replay_seconds": $t_replay, "replay_peak_kib": $mem_replay,
          "logdump_seconds": $t_logdump, "logdump_lines": $log_lines, "logdump_json_seconds": $t_logjson},
}
if r["cache"]["cold_runs"]:
    r["cold"] = {"fsck_seconds": float("$c_fsck"), "xxhsum_seconds": float("$c_xxh"),
                 "read_seconds": float("$c_read"), "btrfs_check_seconds": float("$c_btrfs")}
f, x, b, L = r["fsck"], r["xxhsum"], r["btrfs"], r["log"]
r["ratios"] = {"fsck_over_hash_floor": f["seconds"] / x["reachable_seconds"],
               "fsck_cpu_over_hash_floor_cpu": f["cpu_seconds"] / (x["image_cpu_seconds"] * f["reachable_bytes"] / $img_bytes),
               "fsck_over_read": f["seconds"] / r["read"]["image_seconds"],
               "btrfs_check_over_fsck": b["check_seconds"] / f["seconds"],
               "restore_over_cp": r["restore"]["seconds"] / r["restore"]["cp_seconds"]}
r["rates"] = {"replay_entries_per_s": L["entries"] / L["replay_seconds"],
              "logdump_lines_per_s": L["logdump_lines"] / L["logdump_seconds"],
              "logdump_json_entries_per_s": L["entries"] / L["logdump_json_seconds"],
              "mkgefs_mib_per_s": r["mkgefs"]["mib_per_s"],
              "fsck_reachable_mib_per_s": f["reachable_bytes"] / f["seconds"] / 1048576}
r["targets"] = {"fsck_within_1_5x_hash_floor": r["ratios"]["fsck_over_hash_floor"] <= 1.5,
                "restore_within_1_5x_cp": r["ratios"]["restore_over_cp"] <= 1.5,
                "fsck_faster_than_btrfs_check": b["check_seconds"] > f["seconds"],
                "replay_20m_entries_per_s": r["rates"]["replay_entries_per_s"] >= 20e6,
                "fsck_memory_under_64mib_plus_2_bits_per_block": f["peak_kib"] <= f["memory_target_kib"]
                    and r["big"]["fsck_peak_kib"] <= r["big"]["memory_target_kib"]
                    and r["many"]["fsck_peak_kib"] <= r["many"]["memory_target_kib"]}
json.dump(r, open(sys.argv[1], "w"), indent=2, sort_keys=True)

def mib(n): return "%.0f MiB" % (n / 1048576)
ok = lambda t: "met" if t else "MISSED"
print("gefs-tools benchmark (%s; %d CPUs; best of %d warm-cache runs)" % (r["machine"]["cpu"], r["machine"]["cpus"], $runs))
print("load average before the fsck runs: %s (other work on the machine slows the timings)" % "$load")
print("files: %d in %d directories, %s" % ($files, $dirs, mib($src_bytes)))
print("gefs image: %s, %d blocks, %d reachable (%s)" % (mib($img_bytes), $image_blocks, $reachable, mib($reach_bytes)))
print()
def row(label, seconds, rest=""):
    print("%-31s %8.3f s   %s" % (label, seconds, rest))
M, G = r["many"], r["big"]
row("mkgefs -d populate", r["mkgefs"]["seconds"], "%.0f MiB/s, peak memory %.1f MiB" % (r["mkgefs"]["mib_per_s"], r["mkgefs"]["peak_kib"] / 1024))
K = r["mkgefs9"]
row("mkgefs -t 9front -d populate", K["seconds"], "%.0f MiB/s, peak memory %.1f MiB" % (K["mib_per_s"], K["peak_kib"] / 1024))
row("gefs-fsck -n", f["seconds"], "%.0f MiB/s of reachable blocks, %.3f s CPU, peak memory %.1f MiB (target %.1f MiB)"
    % (r["rates"]["fsck_reachable_mib_per_s"], f["cpu_seconds"], f["peak_kib"] / 1024, f["memory_target_kib"] / 1024))
row("xxhsum -H3 (the hash floor)", x["reachable_seconds"], "(%.3f s for the whole image); fsck / floor %.2f  [target <= 1.5: %s]; in CPU time %.2f"
    % (x["image_seconds"], r["ratios"]["fsck_over_hash_floor"], ok(r["targets"]["fsck_within_1_5x_hash_floor"]),
       r["ratios"]["fsck_cpu_over_hash_floor_cpu"]))
row("dd (reading the image once)", r["read"]["image_seconds"], "fsck / read %.2f" % r["ratios"]["fsck_over_read"])
row("btrfs check --check-data-csum", b["check_seconds"], "%.3f s CPU, peak memory %.1f MiB; btrfs / fsck %.2f  [target > 1: %s]"
    % (b["check_cpu_seconds"], b["check_peak_kib"] / 1024, r["ratios"]["btrfs_check_over_fsck"], ok(r["targets"]["fsck_faster_than_btrfs_check"])))
row("mkfs.btrfs --rootdir", b["mkfs_seconds"], "(once)")
R = r["restore"]
row("gefs-restore -m", R["seconds"], "%.0f MiB/s, %.3f s CPU, peak memory %.1f MiB; restore / cp -a %.2f  [target <= 1.5: %s]"
    % ($src_bytes / R["seconds"] / 1048576, R["cpu_seconds"], R["peak_kib"] / 1024, r["ratios"]["restore_over_cp"],
       ok(r["targets"]["restore_within_1_5x_cp"])))
row("cp -a (the same files)", R["cp_seconds"], "%.3f s CPU, peak memory %.1f MiB" % (R["cp_cpu_seconds"], R["cp_peak_kib"] / 1024))
row("gefs-replay", L["replay_seconds"], "%.1f M entries/s (%d entries, %d log blocks)  [target >= 20: %s]"
    % (r["rates"]["replay_entries_per_s"] / 1e6, L["entries"], L["blocks"], ok(r["targets"]["replay_20m_entries_per_s"])))
row("gefs-logdump", L["logdump_seconds"], "%.1f M lines/s (%d lines)" % (r["rates"]["logdump_lines_per_s"] / 1e6, L["logdump_lines"]))
row("gefs-logdump --json", L["logdump_json_seconds"], "%.1f M entries/s" % (r["rates"]["logdump_json_entries_per_s"] / 1e6))
row("mkgefs -d, %d small files" % M["files"], M["mkgefs_seconds"], "%.0f files/s" % (M["files"] / M["mkgefs_seconds"]))
row("gefs-fsck -n, those files", M["fsck_seconds"], "peak memory %.1f MiB (target %.1f MiB for %d blocks)"
    % (M["fsck_peak_kib"] / 1024, M["memory_target_kib"] / 1024, M["blocks"]))
row("mkgefs -t 9front, %d files" % K["many_files"], K["many_seconds"], "%.0f files/s, peak memory %.1f MiB"
    % (K["many_files"] / K["many_seconds"], K["many_peak_kib"] / 1024))
row("gefs-fsck -n, fresh %g TiB" % G["tib"], G["fsck_seconds"], "peak memory %.1f MiB (target %.1f MiB for %d blocks)"
    % (G["fsck_peak_kib"] / 1024, G["memory_target_kib"] / 1024, G["blocks"]))
print("memory target (64 MiB + 2 bits per block, all three images): %s" % ok(r["targets"]["fsck_memory_under_64mib_plus_2_bits_per_block"]))
if "cold" in r:
    c = r["cold"]
    print("cold cache (one run each after dropping caches): gefs-fsck %.3f s, xxhsum %.3f s, dd %.3f s, btrfs check %.3f s"
          % (c["fsck_seconds"], c["xxhsum_seconds"], c["read_seconds"], c["btrfs_check_seconds"]))
else:
    print("cold cache: not measured (cannot write /proc/sys/vm/drop_caches, or BENCH_COLD=0)")
print()
print("results: " + sys.argv[1])
EOF

# --- gefs9.00: a genuine image, gefs-fsck -n against the MetroHash floor ---------------------
bash scripts/bench-gefs9.sh
