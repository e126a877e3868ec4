#!/usr/bin/env bash
# Runs the whole test suite (installing what a fresh machine lacks first). The suites are
# XCTest; Swift Testing is switched off so the run closes on XCTest's own summary. With
# GEFS_WARNINGS_AS_ERRORS=1 (CI, .ci/run) a compiler warning fails the build.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
flags=()
if [[ "${GEFS_WARNINGS_AS_ERRORS:-}" == 1 ]]; then flags=(-Xswiftc -warnings-as-errors); fi
swift build --build-tests "${flags[@]}"
swift test --skip-build --disable-swift-testing "$@"
