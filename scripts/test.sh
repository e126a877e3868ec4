#!/usr/bin/env bash
# Runs the whole test suite (installing what a fresh machine lacks first). The suites are
# XCTest; Swift Testing is switched off so the run closes on XCTest's own summary.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
swift build --build-tests
swift test --skip-build --disable-swift-testing "$@"
