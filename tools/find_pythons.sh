#!/bin/sh
# find_pythons.sh - every CPython 3.6+ here, one interpreter path a line:
# pyenv's versions, then the system python3 (the e2e tests find the same).
for d in "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.*; do
	[ -x "$d/bin/python3" ] && echo "$d/bin/python3"
done
[ -x /usr/bin/python3 ] && echo /usr/bin/python3
command -v python3 2>/dev/null || true
