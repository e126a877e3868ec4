#!/usr/bin/env bash
# Builds the Debian package gefs-tools_VERSION_ARCH.deb with dpkg-deb.
#
#   scripts/package-deb.sh [--output DIR] [--no-build] [--no-lintian]
#
# - The tools are built in release mode with the Swift standard library linked in statically
#   (scripts/install.sh does the build), so the package runs on a Debian machine without a Swift
#   toolchain. Depends: is computed from the built binaries by dpkg-shlibdeps (each NEEDED
#   library resolved as ldd does, then `dpkg -S` for its package and that package's shlibs for
#   the lowest version), so a new C library dependency shows up without editing this script.
#   The script fails if any binary still needs a Swift runtime library (libswift*, Foundation,
#   Dispatch) or a library that does not resolve.
# - It installs /usr/sbin/TOOL (stripped), /usr/share/man/man8/TOOL.8.gz, the bash, zsh and fish
#   completions, /usr/share/doc/gefs-tools/copyright (machine-readable) and changelog.gz
#   (CHANGELOG.md), and DEBIAN/control and md5sums.
# - VERSION is the tools' own (`gefs-fsck --version`, set in Sources/ToolSupport/Version.swift).
#   It has no Debian revision: the package is made by gefs-tools itself (a native package).
# - lintian, installed through apt-get when missing, must report no error or warning. The tags
#   it would still raise are overridden in the package, each with its reason (see the overrides
#   below).
set -euo pipefail
cd "$(dirname "$0")/.."
me="scripts/package-deb.sh"
umask 022

usage() {
    cat <<EOF
Usage: $me [--output DIR] [--no-build] [--no-lintian]

Builds gefs-tools_VERSION_ARCH.deb: the tools linked with the Swift standard library statically,
man pages, bash/zsh/fish completions, copyright and changelog; then checks it with lintian.

Options:
  --output DIR    Where to write the .deb (default: dist/). Its path is printed last.
  --no-build      Package the tools built already (by an earlier run) instead of building.
  --no-lintian    Do not run lintian on the package.
  -h, --help      Show this help.

Environment: GEFS_DEB_MAINTAINER sets the Maintainer field; SOURCE_DATE_EPOCH (default: the
last commit's time) sets the files' times, so that the same tree gives the same package.
EOF
}
die() { echo "$me: $*" >&2; exit 1; }
usage_error() { echo "$me: $*" >&2; echo "Try '$me --help'." >&2; exit 2; }

out=dist
build=true
lint=true
while [ $# -gt 0 ]; do
    case "$1" in
        --output) [ $# -ge 2 ] && [ -n "$2" ] || usage_error "--output needs a directory"; out=$2; shift 2 ;;
        --output=*) out=${1#--output=}; shift ;;
        --no-build) build=false; shift ;;
        --no-lintian) lint=false; shift ;;
        -h|--help) usage; exit 0 ;;
        *) usage_error "unknown argument '$1'" ;;
    esac
done

# What packaging needs: dpkg-deb and dpkg-shlibdeps (dpkg-dev), strip (binutils).
missing=()
command -v dpkg-shlibdeps >/dev/null || missing+=(dpkg-dev)
command -v strip >/dev/null || missing+=(binutils)
if $lint && ! command -v lintian >/dev/null; then missing+=(lintian); fi
bash scripts/install-missing.sh "$me" "${missing[@]}"

: "${SOURCE_DATE_EPOCH:=$(git log -1 --format=%ct 2>/dev/null || date +%s)}"
export SOURCE_DATE_EPOCH
maintainer=${GEFS_DEB_MAINTAINER:-"gefs-tools maintainers <maintainers@users.noreply.r-seed-8cef318c.example>"}
arch=$(dpkg --print-architecture)

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
chmod 755 "$work"
# dpkg-shlibdeps wants the package's files under debian/PACKAGE next to debian/control.
mkdir -p "$work/debian"
printf 'Source: gefs-tools\n\nPackage: gefs-tools\nArchitecture: any\n' > "$work/debian/control"
stage="$work/debian/gefs-tools"

# Build (unless --no-build) and install under the staging root as /usr.
installflags=(--prefix /usr --destdir "$stage")
$build || installflags+=(--no-build)
bash scripts/install.sh "${installflags[@]}"
rm -r "$stage/usr/share/gefs-tools"                 # install.sh's manifest: dpkg keeps its own

version=$("$stage/usr/sbin/gefs-fsck" --version | sed -n 's/^gefs-tools //p')
[[ "$version" =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || die "unexpected version '$version' from gefs-fsck --version"
deb="gefs-tools_${version}_${arch}.deb"

# The binaries: no Swift runtime library, nothing unresolved; then stripped (the symbols only
# serve debugging; they double the size).
for exe in "$stage"/usr/sbin/*; do
    libs=$(ldd "$exe") || die "ldd $exe failed"
    if grep -Eq 'libswift|libFoundation|libdispatch|libBlocksRuntime|not found' <<< "$libs"; then
        die "$(basename "$exe") needs a library the package cannot depend on:"$'\n'"$libs"
    fi
    strip --strip-unneeded --remove-section=.comment --remove-section=.note "$exe"
done

# Man pages, compressed as Debian keeps them.
gzip -9n "$stage"/usr/share/man/man8/*.8

# Documentation: the changelog and a machine-readable copyright file.
doc="$stage/usr/share/doc/gefs-tools"
mkdir -p "$doc"
# A native package's changelog.gz is a Debian changelog: made from CHANGELOG.md's releases.
awk -v maint="$maintainer" -f scripts/deb-changelog.awk CHANGELOG.md > "$work/changelog" ||
    die "cannot turn CHANGELOG.md into a Debian changelog"
head -1 "$work/changelog" | grep -qF "gefs-tools ($version) " ||
    die "CHANGELOG.md's latest release is not $version: add its heading '## [$version] - DATE'"
gzip -9nc "$work/changelog" > "$doc/changelog.gz"
year=$(date -u -d "@$SOURCE_DATE_EPOCH" +%Y)
cat > "$doc/copyright" <<EOF
Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: gefs-tools
Upstream-Contact: $maintainer
Comment: gefs-tools' source tree carries no licence file of its own; its authors release it
 under the MIT licence, as stated below.
 .
 The programs are linked statically with the Swift standard library, Foundation
 (FoundationEssentials), swift-argument-parser and swift-system, which are under the
 Apache License 2.0 (the standard library and Foundation with the Runtime Library
 Exception); their paragraphs follow.

Files: *
Copyright: $year gefs-tools authors
License: MIT

Files: usr/sbin/*
Copyright: $year gefs-tools authors
           2014-2026 Apple Inc. and the Swift project authors
License: MIT and Apache-2.0 with Runtime Library Exception

License: MIT
 Permission is hereby granted, free of charge, to any person obtaining a copy of this
 software and associated documentation files (the "Software"), to deal in the Software
 without restriction, including without limitation the rights to use, copy, modify, merge,
 publish, distribute, sublicense, and/or sell copies of the Software, and to permit persons
 to whom the Software is furnished to do so, subject to the following conditions:
 .
 The above copyright notice and this permission notice shall be included in all copies or
 substantial portions of the Software.
 .
 THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR IMPLIED,
 INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY, FITNESS FOR A PARTICULAR
 PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE AUTHORS OR COPYRIGHT HOLDERS BE LIABLE
 FOR ANY CLAIM, DAMAGES OR OTHER LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR
 OTHERWISE, ARISING FROM, OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER
 DEALINGS IN THE SOFTWARE.

License: Apache-2.0 with Runtime Library Exception
 Licensed under the Apache License, Version 2.0 (the "License"); you may not use this file
 except in compliance with the License. Unless required by applicable law or agreed to in
 writing, software distributed under the License is distributed on an "AS IS" BASIS,
 WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied. See the License
 for the specific language governing permissions and limitations under the License.
 .
 On Debian systems, the complete text of the Apache License, Version 2.0 can be found in
 /usr/share/common-licenses/Apache-2.0.
 .
 Runtime Library Exception to the Apache 2.0 License:
 .
 As an exception, if you use this Software to compile your source code and portions of this
 Software are embedded into the binary product as a result, you may redistribute such
 product without providing attribution as would otherwise be required by Sections 4(a),
 4(b) and 4(d) of the License.
EOF

# lintian overrides, each with its reason.
overrides="$stage/usr/share/lintian/overrides"
mkdir -p "$overrides"
cat > "$overrides/gefs-tools" <<'EOF'
# The Swift standard library linked into the tools holds strings that lintian's spelling check
# catches (truncated words in its tables, "overriden" in its messages): not gefs-tools' text.
gefs-tools: spelling-error-in-binary * [usr/sbin/*]
# The tools are Swift; the only C is in the Swift runtime, built by the Swift project without
# _FORTIFY_SOURCE. gefs-tools compiles no C of its own (libxxhash is linked dynamically).
gefs-tools: hardening-no-fortify-functions [usr/sbin/*]
EOF

# Control files.
mkdir -p "$stage/DEBIAN"                            # how dpkg-shlibdeps finds the package root
depends=$(cd "$work" && dpkg-shlibdeps -O debian/gefs-tools/usr/sbin/* | sed -n 's/^shlibs:Depends=//p')
[ -n "$depends" ] || die "dpkg-shlibdeps found no dependencies"
size=$(du -k -s --exclude=DEBIAN "$stage" | cut -f1)
cat > "$stage/DEBIAN/control" <<EOF
Package: gefs-tools
Version: $version
Architecture: $arch
Maintainer: $maintainer
Installed-Size: $size
Depends: $depends
Section: admin
Priority: optional
Description: tools for images of gefs, the Plan 9 / 9front file system
 gefs-tools is the offline toolkit for gefs, the copy-on-write B-epsilon-tree
 file system of Plan 9 and 9front, in the manner of e2fsprogs:
  - mkgefs formats an image file or device, optionally populated from a host
    directory;
  - gefs-fsck checks everything and repairs safely, with undo files;
  - gefs-logdump dumps the allocation logs entry by entry;
  - gefs-arenadump dumps superblocks, arenas, free maps and fragmentation;
  - gefs-replay replays the logs and rewrites them compact.
EOF
(cd "$stage" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | LC_ALL=C sort -z | xargs -0 md5sum) > "$stage/DEBIAN/md5sums"
find "$stage" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +

mkdir -p "$out"
dpkg-deb --root-owner-group -Zxz --build "$stage" "$out/$deb" >/dev/null
echo "$me: built $out/$deb ($(du -h "$out/$deb" | cut -f1); Depends: $depends)" >&2

if $lint; then
    echo "$me: lintian $out/$deb" >&2
    lintian --fail-on error,warning --display-info --info "$out/$deb" >&2 ||
        die "lintian found problems in $out/$deb (above)"
fi
echo "$out/$deb"
