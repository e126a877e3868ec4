#!/usr/bin/env bash
# Tests installing gefs-tools the two ways the README gives (CI runs this after the test suite):
#
# 1. scripts/install.sh into a temporary --destdir: every installed tool answers --version, -V
#    and --help; every installed man page renders with `man -l` without a warning and names the
#    version; the bash completions load; installing again and then --uninstall leave nothing
#    behind; a file changed after the install is left in place by --uninstall.
# 2. scripts/package-deb.sh (lintian included): the .deb is installed with `dpkg -i`; the
#    installed /usr/sbin/gefs-fsck prints the version and checks a sample image and a fresh
#    mkgefs image; ldd shows no Swift runtime library in any installed binary; the man page is
#    found by `man`; `dpkg -r` removes every file again.
#
# Needs root for part 2 (dpkg -i); refuses when a gefs-tools package is installed already.
# GEFS_TEST_INSTALL_DEB=0 runs part 1 only.
set -euo pipefail
cd "$(dirname "$0")/.."
me="scripts/test-install.sh"
passed=0 failed=0
ok() { echo "ok: $*"; passed=$((passed + 1)); }
fail() { echo "FAIL: $*"; failed=$((failed + 1)); }
check() { local what=$1; shift; if "$@"; then ok "$what"; else fail "$what"; fi; }

# What the tests use: man-db (man), dpkg-dev (dpkg-deb, dpkg-shlibdeps).
missing=()
command -v man >/dev/null || missing+=(man-db)
command -v dpkg-deb >/dev/null || missing+=(dpkg-dev)
bash scripts/install-missing.sh "$me" "${missing[@]}"

read -r -a tools <<< "$(sed -n 's/^let tools = \[\(.*\)\]/\1/p' Package.swift | tr -d '",')"
version=$(sed -n 's/^ *public static let version = "\(.*\)"$/\1/p' Sources/ToolSupport/Version.swift)
[ -n "$version" ] || { echo "$me: no version in Sources/ToolSupport/Version.swift" >&2; exit 1; }
echo "$me: gefs-tools $version, tools: ${tools[*]}"

work=$(mktemp -d)
deb_installed=false
cleanup() {
    if $deb_installed; then dpkg -r gefs-tools >/dev/null 2>&1 || true; fi
    rm -rf "$work"
}
trap cleanup EXIT

# Renders a man page: exit 0, no warning from groff (stderr empty), the page's name in the text.
renders() {
    local page=$1 name=$2 out err
    out=$(MANWIDTH=80 man --warnings -l "$page" 2>"$work/man.err") || return 1
    err=$(cat "$work/man.err")
    [ -z "$err" ] || { echo "$err"; return 1; }
    grep -q "$name" <<< "$out"
}

# ---------------------------------------------------------------------------------------------
# 1. scripts/install.sh --destdir
# ---------------------------------------------------------------------------------------------
dest="$work/dest"
prefix=/usr/local
bash scripts/install.sh --build-only
check "--build-only installs nothing" test ! -e "$dest"
bash scripts/install.sh --no-build --prefix "$prefix" --destdir "$dest"
root="$dest$prefix"
for t in "${tools[@]}"; do
    exe="$root/sbin/$t"
    check "$t --version" test "$("$exe" --version)" = "gefs-tools $version"
    check "$t -V" test "$("$exe" -V)" = "gefs-tools $version"
    help=$("$exe" --help) && ok "$t --help exits 0" || fail "$t --help exits 0"
    check "$t --help names -V, --version" grep -q -- "-V, --version" <<< "$help"
    page="$root/share/man/man8/$t.8"
    check "man -l $t.8 renders" renders "$page" "$t"
    check "$t.8 names gefs-tools $version" grep -q "^\.TH .* \"gefs-tools $version\"" "$page"
    check "bash completion for $t loads" \
        bash -c 'source "$1" && complete -p "$2" >/dev/null' _ "$root/share/bash-completion/completions/$t" "$t"
    check "zsh completion for $t" grep -q "^#compdef $t\$" "$root/share/zsh/site-functions/_$t"
    check "fish completion for $t" grep -q "complete -c '\?$t'\? " "$root/share/fish/vendor_completions.d/$t.fish"
done
check "installed pages are the repository's" diff -r man "$root/share/man/man8"
# Installing again keeps one manifest of the same files; --uninstall then leaves nothing.
before=$(cd "$dest" && find . | sort)
bash scripts/install.sh --no-build --prefix "$prefix" --destdir "$dest" 2>/dev/null
check "a second install adds nothing" test "$before" = "$(cd "$dest" && find . | sort)"
bash scripts/install.sh --uninstall --prefix "$prefix" --destdir "$dest"
left=$(cd "$dest" && find . -mindepth 1)
check "--uninstall leaves nothing behind" test -z "$left"
[ -z "$left" ] || echo "$left"
# A file changed since the install is not removed; nothing else stays.
bash scripts/install.sh --no-build --prefix "$prefix" --destdir "$dest" 2>/dev/null
echo "# local notes" >> "$root/share/man/man8/mkgefs.8"
bash scripts/install.sh --uninstall --prefix "$prefix" --destdir "$dest" 2>"$work/uninstall.err"
check "--uninstall warns about a changed file" grep -q "mkgefs.8 changed since it was installed" "$work/uninstall.err"
left=$(cd "$dest" && find . -mindepth 1 -type f)
check "--uninstall leaves only the changed file" test "$left" = "./usr/local/share/man/man8/mkgefs.8"
mkdir -p "$work/none"
check "--uninstall without an install fails" \
    bash -c '! bash scripts/install.sh --uninstall --prefix /usr/local --destdir "$1" 2>/dev/null' _ "$work/none"
check "install.sh rejects an unknown option" \
    bash -c 'bash scripts/install.sh --frobnicate 2>/dev/null; test $? -eq 2'

# ---------------------------------------------------------------------------------------------
# 2. scripts/package-deb.sh, dpkg -i, dpkg -r
# ---------------------------------------------------------------------------------------------
if [ "${GEFS_TEST_INSTALL_DEB:-1}" != 0 ]; then
    [ "$(id -u)" -eq 0 ] || { echo "$me: installing the .deb needs root (GEFS_TEST_INSTALL_DEB=0 skips it)" >&2; exit 1; }
    if dpkg-query -W -f '${Status}' gefs-tools 2>/dev/null | grep -q "installed"; then
        echo "$me: a gefs-tools package is installed already; this test installs and removes its own" >&2
        exit 1
    fi
    deb=$(bash scripts/package-deb.sh --no-build --output "$work/dist" | tail -1)
    check ".deb is named gefs-tools_${version}_$(dpkg --print-architecture).deb" \
        test "$(basename "$deb")" = "gefs-tools_${version}_$(dpkg --print-architecture).deb"
    echo "$me: $(basename "$deb"): $(du -h "$deb" | cut -f1), Depends: $(dpkg-deb -f "$deb" Depends)"
    dpkg -i "$deb"
    deb_installed=true
    check "dpkg -i installed gefs-tools $version" \
        test "$(dpkg-query -W -f '${Version}' gefs-tools)" = "$version"
    check "/usr/sbin/gefs-fsck --version" test "$(/usr/sbin/gefs-fsck --version)" = "gefs-tools $version"
    gzip -dc Fixtures/samples/populated.img.gz > "$work/populated.img"
    check "/usr/sbin/gefs-fsck -n checks populated.img clean" /usr/sbin/gefs-fsck -n "$work/populated.img"
    check "/usr/sbin/mkgefs formats a 16 MiB image" /usr/sbin/mkgefs -s 16M "$work/new.img"
    check "/usr/sbin/gefs-fsck -n checks it clean" /usr/sbin/gefs-fsck -n "$work/new.img"
    for t in "${tools[@]}"; do
        libs=$(ldd "/usr/sbin/$t")
        echo "ldd /usr/sbin/$t:"; sed 's/^/    /' <<< "$libs"
        check "ldd /usr/sbin/$t: no Swift runtime, nothing missing" \
            bash -c '! grep -Eq "libswift|libFoundation|libdispatch|not found" <<< "$1"' _ "$libs"
        check "man $t finds the installed page" test "$(man -w "$t")" = "/usr/share/man/man8/$t.8.gz"
    done
    check "man gefs-fsck renders" bash -c 'MANWIDTH=80 man gefs-fsck 2>/dev/null | grep -q "gefs-tools '"$version"'"'
    files=$(dpkg -L gefs-tools | while read -r f; do [ -f "$f" ] && echo "$f"; done)
    dpkg -r gefs-tools
    deb_installed=false
    check "dpkg -r removed gefs-tools" bash -c '! dpkg-query -W -f "\${Status}" gefs-tools 2>/dev/null | grep -q "^install ok installed"'
    check "dpkg -r removed every file" bash -c 'for f in $1; do [ ! -e "$f" ] || { echo "left: $f"; exit 1; }; done' _ "$files"
fi

echo "test-install: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
