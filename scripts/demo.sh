#!/usr/bin/env bash
# Sets up, builds the tools in release mode, formats a small demo image populated from
# Fixtures/mkgefs/demo-root, and prints its layout.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
swift build -c release
bin=$(swift build -c release --show-bin-path)
mkdir -p demo
"$bin/mkgefs" -f -s 32M -d Fixtures/mkgefs/demo-root demo/demo.img
echo
"$bin/gefs-arenadump" demo/demo.img
