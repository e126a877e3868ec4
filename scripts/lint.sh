#!/usr/bin/env bash
# Style checks (CI runs them, .ci/run): the rules of the toolchain's `swift format`, configured by
# .swift-format, and no tabs or trailing blanks in Swift files. swift format's pretty printer is
# left out (--debug-disable-pretty-print): this code aligns continuation lines under their
# opening bracket and keeps short bodies on one line, which the pretty printer never does, so
# linting its layout would mean reformatting every file. The rules that would rewrite much of
# the code as it is written (semicolon-joined initialisers, `B` for the block size, ungrouped
# hash vectors, `forEach`, several cases or variables on a line, import order) are off there.
set -euo pipefail
cd "$(dirname "$0")/.."
swift format lint --strict --debug-disable-pretty-print --recursive Sources Tests Package.swift
if grep -rnP '\t|[ ]+$' --include='*.swift' Sources Tests Package.swift; then
    echo "lint: tabs or trailing blanks in the lines above" >&2
    exit 1
fi
echo "lint: clean"
