#!/bin/sh
# Install the Debian packages a target needs, or say exactly how.
# Usage: tools/deps.sh test|fuzz
set -eu
pkgs="gcc make libc6-dev python3 python3-pytest util-linux"
[ "${1:-test}" = fuzz ] && pkgs="$pkgs clang libclang-rt-14-dev"
missing=""
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" = 0 ]; then
	echo "pyrometer: installing Debian packages:$missing"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends $missing >/dev/null
else
	echo "pyrometer: missing Debian packages. Run:"
	echo "  sudo apt-get update && sudo apt-get install -y$missing"
	exit 1
fi
