#!/bin/bash
# SPDX-License-Identifier: MIT
# tests/static/spdx.sh [--fix]: every source file in the tree names its
# licence with an SPDX identifier (LICENSE: MIT) in its first line, or in
# its second where the first is a #! line. Source files: C, headers,
# assembly, linker scripts, shell and awk scripts, the Makefile, Kconfig,
# and this project's own workloads (Lua, SQL) and templates (*.in).
# Lists the files without one and fails; --fix adds the line, as a
# comment in each file's own syntax.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
TAG="SPDX-License-Identifier: MIT"
fix=0
[ "${1:-}" = --fix ] && fix=1

files() {
	git ls-files -co --exclude-standard -- '*.c' '*.h' '*.S' '*.ld' '*.sh' '*.awk' \
		'*.lua' '*.sql' '*.in' Makefile Kconfig .ci/run | grep -v '^tests/fuzz/corpus/' |
		while read -r f; do [ -f "$f" ] && echo "$f"; done
}

# The comment line for file f.
comment() {
	case $1 in
	*.c | *.h | *.ld) echo "/* $TAG */" ;;
	*.S) echo "/* $TAG */" ;;
	*.lua | *.sql) echo "-- $TAG" ;;
	*.in) case $1 in *.specs.in) echo "" ;; *) echo "# $TAG" ;; esac ;;
	*) echo "# $TAG" ;;
	esac
}

missing=0
while read -r f; do
	if head -2 "$f" | grep -q "$TAG"; then continue; fi
	c=$(comment "$f")
	[ -z "$c" ] && continue # a format with no comments (gcc specs)
	if [ $fix = 1 ]; then
		if head -1 "$f" | grep -q '^#!'; then
			{ head -1 "$f"; echo "$c"; tail -n +2 "$f"; } >"$f.spdx"
		else
			{ echo "$c"; cat "$f"; } >"$f.spdx"
		fi
		chmod --reference="$f" "$f.spdx"
		mv "$f.spdx" "$f"
	else
		echo "spdx: $f: no '$TAG' in its first line" >&2
		missing=$((missing + 1))
	fi
done < <(files)
[ $missing = 0 ] || { echo "spdx: $missing file(s) without a licence line (tests/static/spdx.sh --fix adds it)" >&2; exit 1; }
[ $fix = 1 ] || echo "spdx: every source file names its licence"
