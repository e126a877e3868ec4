#!/usr/bin/env bash
# Sets up, builds the tools in release mode, formats two small demo images populated from
# Fixtures/mkgefs/demo-root — one in the genuine 9front format (gefs9.00), one in gefs8.00 —
# checks the first with gefs-fsck and prints the second's layout.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
swift build -c release
bin=$(swift build -c release --show-bin-path)
mkdir -p demo
"$bin/mkgefs" -t 9front -f -s 136M -d Fixtures/mkgefs/demo-root demo/demo9.img
echo
"$bin/gefs-fsck" -n demo/demo9.img
echo
"$bin/mkgefs" -f -s 32M -d Fixtures/mkgefs/demo-root demo/demo.img
echo
"$bin/gefs-arenadump" demo/demo.img
