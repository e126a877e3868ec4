#!/usr/bin/env bash
# Rewrites the PROBLEM CODES section of man/gefs-fsck.8 from the catalogue
# (`gefs-fsck --list-problems`), so that adding a code to the catalogue is one edit.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=$(swift build --show-bin-path)
swift build --product gefs-fsck >/dev/null
"$bin/gefs-fsck" --list-problems | python3 -c '
import sys, re
page = open("man/gefs-fsck.8").read()
start = page.index(".SH PROBLEM CODES\n")
end = page.index(".SH EXIT STATUS\n")
head = page[start:].split("\n", 2)
out = [".SH PROBLEM CODES", head[1]]
for line in sys.stdin.read().splitlines():
    code, severity, summary, *rest = line.split("\t")
    text = "(%s) %s." % (severity, summary.replace("\\", "\\\\"))
    if rest:
        fix = rest[0][len("fix: "):]
        text += " Fix: %s." % fix.replace("\\", "\\\\")
    out += [".TP", ".B " + code, text]
open("man/gefs-fsck.8", "w").write(page[:start] + "\n".join(out) + "\n" + page[end:])
'
