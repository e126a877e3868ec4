# CHANGELOG.md (Keep a Changelog) to a Debian changelog, for scripts/package-deb.sh: one entry
# per release heading "## [X.Y.Z] - YYYY-MM-DD", newest first as in the file; each "### Kind"
# becomes "  * Kind:" and its bullets "    - ...", a paragraph "  * ...", all wrapped at 79
# columns. The Unreleased section is left out.
# Usage: awk -v maint="NAME <EMAIL>" -f scripts/deb-changelog.awk CHANGELOG.md
function wrap(text, first, rest,    n, words, i, line, out) {
    n = split(text, words, / +/)
    line = first
    for (i = 1; i <= n; i++) {
        if (words[i] == "") continue
        if (line != first && line != rest && length(line) + 1 + length(words[i]) > 79) {
            print line; line = rest
        }
        line = (line == first || line == rest) ? line words[i] : line " " words[i]
    }
    if (line != first && line != rest) print line
}
function flush() {
    if (item != "") { if (para) wrap(item, "  * ", "    "); else wrap(item, "    - ", "      ") }
    item = ""; para = 0
}
function close_entry() { flush(); if (inrel) { print ""; print " -- " maint "  " date; print "" } inrel = 0 }
/^## \[[0-9]+\.[0-9]+\.[0-9]+\]/ {
    close_entry()
    version = $0; sub(/^## \[/, "", version); sub(/\].*/, "", version)
    day = $0; if (!sub(/^.*\] - /, "", day)) { print "CHANGELOG.md: release " version " has no date" > "/dev/stderr"; exit 1 }
    cmd = "date -u -R -d " day; date = ""; cmd | getline date; close(cmd)
    if (date == "") { print "CHANGELOG.md: bad date " day > "/dev/stderr"; exit 1 }
    print "gefs-tools (" version ") unstable; urgency=medium"; print ""
    inrel = 1; kinds = 0; next
}
/^## / { close_entry(); next }
!inrel { next }
/^### / { flush(); if (kinds++) print ""; print "  * " substr($0, 5) ":"; next }
/^- / { flush(); item = substr($0, 3); next }
/^ +[^ ]/ && item != "" { t = $0; sub(/^ +/, "", t); item = item " " t; next }
/^$/ { flush(); next }
item != "" && para { item = item " " $0; next }
{ flush(); item = $0; para = 1; kinds++ }
END { close_entry() }
