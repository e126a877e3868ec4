#!/usr/bin/env bash
# install-missing.sh WHO PACKAGE...: installs the given Debian packages (the callers name only
# those they found missing) with apt-get, as root or through sudo, saying so as WHO on stderr.
set -euo pipefail
who=$1
shift
[ $# -gt 0 ] || exit 0
echo "$who: installing $*" >&2
sudo=""
[ "$(id -u)" -eq 0 ] || sudo=sudo
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "$@" >/dev/null
