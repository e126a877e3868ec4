#!/usr/bin/env bash
# Runs the whole test suite (installing what a fresh machine lacks first).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
swift build --build-tests
swift test --skip-build "$@"
