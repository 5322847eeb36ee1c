#!/bin/sh
# Install the Debian packages a target needs, or say exactly how; then the
# npm packages the browser tests use (tests/browser, from its lock file).
# Usage: tools/deps.sh test|fuzz|build
set -eu
kind="${1:-test}"
pkgs="gcc make libc6-dev zlib1g-dev python3 python3-dev"
case "$kind" in
test) pkgs="$pkgs python3-numpy python3-pytest python3-jsonschema util-linux golang-go chromium tmux" ;;
fuzz) pkgs="$pkgs clang libclang-rt-14-dev" ;;
esac
missing=""
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
# Node.js may come from elsewhere than Debian (nodesource); only its absence matters.
if [ "$kind" = test ] && ! command -v npm >/dev/null 2>&1; then
	missing="$missing nodejs npm"
fi
if [ -n "$missing" ]; then
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
fi
if [ "$kind" = test ]; then
	dir="$(dirname "$0")/../tests/browser"
	if [ ! -d "$dir/node_modules/playwright-core" ] || [ ! -d "$dir/node_modules/speedscope" ] ||
	   [ "$dir/package-lock.json" -nt "$dir/node_modules" ]; then
		echo "pyrometer: installing the browser tests' npm packages (tests/browser)"
		(cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
	fi
fi
