#!/usr/bin/env bash
# Fuzzes the readers with libFuzzer:  scripts/fuzz.sh [SECONDS] [TARGET...]
#
# Builds gefs-fuzz with `--sanitize=fuzzer` and AddressSanitizer and `-D GEFS_FUZZ` (every hash
# accepted, so that the fuzzer's bytes reach the checks behind them) in .build-fuzz; unpacks
# the base images, the genuine gefs9.00 samples (bases of the *9 targets) and gefs-fsck's
# corpus into $GEFS_FUZZ_WORK (default /tmp/gefs-fuzz); makes the seed corpus from them;
# replays Fixtures/fuzz/TARGET/* (earlier findings, which must pass);
# then runs each target (default: all) for SECONDS (default 60). Each input may take at most
# 10 s and 1 GiB. New inputs accumulate in $GEFS_FUZZ_WORK/corpus/TARGET, so a later run goes
# on where this one stopped; findings land in $GEFS_FUZZ_WORK/findings/TARGET/.
# Exit status: 0 when nothing was found, 1 otherwise.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
shift || true
work=${GEFS_FUZZ_WORK:-/tmp/gefs-fuzz}
# Swift's backtracer would stall every crash report for half a minute.
export SWIFT_BACKTRACE=enable=no

swift build --scratch-path .build-fuzz -c release --product gefs-fuzz \
    --sanitize=fuzzer -Xswiftc -sanitize=fuzzer,address -Xswiftc -DGEFS_FUZZ 2>&1 \
    | grep -v "Cannot export local symbol" || true
fuzz=.build-fuzz/release/gefs-fuzz
[ -x "$fuzz" ] || { echo "fuzz: build failed" >&2; exit 2; }

# Bases: base 0 (mkgefs -s 4M) is made by gefs-fuzz itself; these follow it, by name.
mkdir -p "$work/bases" "$work/damaged"
gzip -dc Fixtures/fsck/005-clean-mkgefs-tree/image.img.gz > "$work/bases/1-tree.img"
gzip -dc Fixtures/samples/fresh.img.gz > "$work/bases/2-fresh.img"
gzip -dc Fixtures/samples/snapshots.img.gz > "$work/bases/3-snapshots.img"
gzip -dc Fixtures/samples/crashed.img.gz > "$work/bases/4-crashed.img"
for d in Fixtures/fsck/*/; do
    [ -f "$d/image.img.gz" ] && gzip -dc "$d/image.img.gz" > "$work/damaged/$(basename "$d").img"
done
# The genuine gefs9.00 bases of the *9 targets, by name: the fresh, populated (deadlists) and
# unsynced (multi-block logs) samples.
mkdir -p "$work/bases9"
gzip -dc Fixtures/samples9/fresh.img.gz > "$work/bases9/1-fresh.img"
gzip -dc Fixtures/samples9/populated.img.gz > "$work/bases9/2-populated.img"
gzip -dc Fixtures/samples9/unsynced.img.gz > "$work/bases9/3-unsynced.img"
export GEFS_FUZZ_BASES="$work/bases" GEFS_FUZZ_BASES9="$work/bases9"
rm -rf "$work/seeds"
ASAN_OPTIONS=detect_leaks=0 GEFS_FUZZ_SEEDS="$work/seeds" GEFS_FUZZ_CORPUS="$work/damaged" "$fuzz" >/dev/null

targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(superblock arena log leaf pivot fsck repair logdump undo superblock9 arena9 log9 dlist9 fsck9)
found=0
for t in "${targets[@]}"; do
    export GEFS_FUZZ_TARGET=$t
    max_len=16384
    case $t in fsck|repair|logdump|fsck9) max_len=4096 ;; undo) max_len=65536 ;; esac
    # The *9 targets hold the genuine samples (hundreds of MiB) in memory: LeakSanitizer's scan
    # of that heap after each new input would cut them to a few inputs a second.
    leaks=()
    case $t in *9) leaks=(-detect_leaks=0) ;; esac
    if [ -d "Fixtures/fuzz/$t" ]; then
        n=$(ls "Fixtures/fuzz/$t" | wc -l)
        if "$fuzz" -timeout=10 -malloc_limit_mb=1024 Fixtures/fuzz/$t/* > "$work/$t-replay.log" 2>&1; then
            echo "fuzz: $t: $n earlier findings replayed"
        else
            found=1
            echo "fuzz: $t: an earlier finding fails again:" >&2
            grep -E "Running:|ERROR|SUMMARY" "$work/$t-replay.log" | tail -3 >&2
        fi
    fi
    mkdir -p "$work/corpus/$t" "$work/findings/$t"
    echo "fuzz: $t: $seconds s"
    if ! "$fuzz" "$work/corpus/$t" "$work/seeds/$t" -max_total_time="$seconds" -timeout=10 \
            -rss_limit_mb=2560 -malloc_limit_mb=1024 -max_len=$max_len \
            -artifact_prefix="$work/findings/$t/" -print_final_stats=1 "${leaks[@]}" > "$work/$t.log" 2>&1; then
        found=1
        grep -E "ERROR|SUMMARY|Test unit written" "$work/$t.log" >&2 || tail -20 "$work/$t.log" >&2
    fi
    grep -E "stat::number_of_executed_units|stat::peak_rss_mb" "$work/$t.log" | tr '\n' ' '; echo
done
[ $found -eq 0 ] && echo "fuzz: nothing found" || echo "fuzz: findings in $work/findings (reproduce: GEFS_FUZZ_TARGET=T GEFS_FUZZ_BASES=$work/bases GEFS_FUZZ_BASES9=$work/bases9 $fuzz FILE)" >&2
exit $found
