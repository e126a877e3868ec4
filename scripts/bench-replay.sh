#!/usr/bin/env bash
# Replay and dump throughput on a synthetic arena whose log holds ENTRIES entries (default 10
# million): builds the tools in release mode, writes the image with GefsCore's SyntheticLog
# (through ReplayBenchTests), then times gefs-replay (entries replayed per second) and
# gefs-logdump (lines per second, text and JSON), best of three runs each.
#
#   scripts/bench-replay.sh [ENTRIES]      the image goes to ${TMPDIR:-/tmp}/gefs-bench-replay.img
#   SCRATCH=DIR scripts/bench-replay.sh    builds in DIR instead of .build
set -euo pipefail
cd "$(dirname "$0")/.."
entries=${1:-10000000}
img=${TMPDIR:-/tmp}/gefs-bench-replay.img
sp=()
[ -n "${SCRATCH:-}" ] && sp=(--scratch-path "$SCRATCH")
swift build "${sp[@]}" -c release --product gefs-replay >/dev/null
swift build "${sp[@]}" -c release --product gefs-logdump >/dev/null
bin=$(swift build "${sp[@]}" -c release --show-bin-path)
swift build "${sp[@]}" --build-tests >/dev/null
GEFS_BENCH_IMAGE=$img GEFS_BENCH_ENTRIES=$entries \
    swift test "${sp[@]}" --skip-build --filter ReplayBenchTests/testSyntheticLogReplaysOverManyBlocks >/dev/null

# best TIMES COMMAND...: the shortest wall time of three runs, in seconds, output discarded.
best() {
    local b=""
    for _ in 1 2 3; do
        local t0 t1
        t0=$(date +%s.%N)
        "$@" >/dev/null
        t1=$(date +%s.%N)
        b=$(echo "$t0 $t1 $b" | awk '{d = $2 - $1; if ($3 == "" || d < $3) print d; else print $3}')
    done
    echo "$b"
}

stats=$("$bin/gefs-logdump" --stats --json "$img")
n=$(echo "$stats" | awk -F': ' '/"committed_entries"/ {gsub(",", "", $2); print $2; exit}')
blocks=$(echo "$stats" | awk -F': ' '/"chain_blocks"/ {gsub(",", "", $2); print $2; exit}')
lines=$("$bin/gefs-logdump" "$img" | wc -l)
t_replay=$(best "$bin/gefs-replay" "$img")
t_text=$(best "$bin/gefs-logdump" "$img")
t_json=$(best "$bin/gefs-logdump" --json "$img")
echo "synthetic log: $n entries in $blocks log blocks ($(du -h --apparent-size "$img" | cut -f1) image, $img)"
awk -v n="$n" -v t="$t_replay" 'BEGIN { printf "gefs-replay:          %.3f s  %6.1f M entries/s (open, replay, report)\n", t, n / t / 1e6 }'
awk -v n="$lines" -v t="$t_text" 'BEGIN { printf "gefs-logdump:         %.3f s  %6.1f M lines/s (%d lines)\n", t, n / t / 1e6, n }'
awk -v n="$n" -v t="$t_json" 'BEGIN { printf "gefs-logdump --json:  %.3f s  %6.1f M entries/s\n", t, n / t / 1e6 }'
