#!/bin/sh
# build_agent.sh PYTHON ROOT - build pyrometer's memory agent for one
# interpreter into ROOT/KEY, KEY naming what it is built for (version and
# extension ABI: 3.11.7-cpython-311-x86_64-linux-gnu, the name pyrometer
# looks for): KEY/pyrometer/ (the Python package with its _agent
# extension), KEY/boot/sitecustomize.py (what `record --memory` loads) and
# KEY/libpyrometer_native.so (the malloc interposer of --memory=native).
# Needs the interpreter's headers and a C compiler.
set -eu
PY=${1:?usage: build_agent.sh PYTHON ROOT}
ROOT=${2:?usage: build_agent.sh PYTHON ROOT}
SRC=$(cd "$(dirname "$0")/.." && pwd)/src
CC=${CC:-cc}
VERSION=${PYROMETER_VERSION:-0.1.0}

info=$("$PY" -I -S -c 'import sys, sysconfig
print(sysconfig.get_paths()["include"])
print(sysconfig.get_config_var("EXT_SUFFIX") or ".so")
print("%d.%d.%d" % sys.version_info[:3])')
INC=$(echo "$info" | sed -n 1p)
EXT=$(echo "$info" | sed -n 2p)
PYVER=$(echo "$info" | sed -n 3p)
KEY=$(echo "$EXT" | sed 's/^\.//; s/\.so$//')
OUT="$ROOT/$PYVER-$KEY"
if [ ! -f "$INC/Python.h" ]; then
	echo "build_agent.sh: $PY (Python $PYVER) has no headers in $INC;" \
	     "install them (Debian: apt-get install python3-dev) and run again" >&2
	exit 2
fi
TMP="$OUT.tmp.$$"
rm -rf "$TMP"
mkdir -p "$TMP/pyrometer" "$TMP/boot"
trap 'rm -rf "$TMP"' EXIT
FLAGS="-std=gnu11 -O2 -g -fPIC -fvisibility=hidden -D_GNU_SOURCE -DPYROMETER_VERSION=\"$VERSION\" -I$SRC -Wall -Wno-missing-field-initializers ${AGENT_CFLAGS:-}"
$CC $FLAGS -I"$INC" -shared -o "$TMP/pyrometer/_agent$EXT" \
	"$SRC/agent/agent.c" "$SRC/agent/tracker.c" "$SRC/profile/writer.c" "$SRC/profile/model.c" \
	"$SRC/util/buf.c" "$SRC/util/hash.c" "$SRC/util/err.c" "$SRC/util/utf8.c" -lm -ldl -lpthread
if [ -f "$SRC/agent/native.c" ]; then
	$CC $FLAGS -shared -o "$TMP/libpyrometer_native.so" "$SRC/agent/native.c" -ldl -lpthread
fi
cp "$SRC"/agent/pyrometer/*.py "$TMP/pyrometer/"
cp "$SRC/agent/boot/sitecustomize.py" "$TMP/boot/"
echo "$PYVER $EXT $VERSION" > "$TMP/stamp"
rm -rf "$OUT"
mkdir -p "$(dirname "$OUT")"
mv "$TMP" "$OUT"
trap - EXIT
