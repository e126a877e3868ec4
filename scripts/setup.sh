#!/usr/bin/env bash
# Installs what gefs-tools needs on a fresh Debian machine, when it is missing:
# libxxhash-dev (the XXH3 library, found through pkg-config), libmetrohash-dev (gefs9.00's
# MetroHash64_1, a C++ library with no pkg-config file), xxhash (xxhsum, for benchmarks),
# gzip (fixtures are stored compressed), pkg-config, and man-db (man, to read the pages; the
# install test renders every installed page with it); and what the genuine gefs kit
# (../shared/realgefs, built by the tests that run it) needs: gcc, make, patch, python3.
set -euo pipefail
missing=()
pkg-config --exists libxxhash 2>/dev/null || missing+=(libxxhash-dev)
[ -e /usr/include/metrohash/metrohash64.h ] || missing+=(libmetrohash-dev)
command -v pkg-config >/dev/null || missing+=(pkg-config)
command -v xxhsum >/dev/null || missing+=(xxhash)
command -v gzip >/dev/null || missing+=(gzip)
for tool in gcc make patch python3; do command -v $tool >/dev/null || missing+=($tool); done
command -v man >/dev/null || missing+=(man-db)
bash "$(dirname "$0")/install-missing.sh" setup "${missing[@]}"
