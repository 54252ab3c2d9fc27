#!/bin/bash
# SPDX-License-Identifier: MIT
# tests/install/test_install.sh BUILD: `make install` and
# docs/writing-a-guest.md, checked from an installed tree alone (make test,
# as install-check). MAKE names the make to run (the Makefile passes its own).
#
#  1. make install DESTDIR=TMP PREFIX=/usr: exactly the files the Makefile
#     lists, no path into the source or build tree in the text files, and
#     exo-cc's and the specs' paths those of PREFIX.
#  2. In an empty directory outside the tree, the guide's hello.c and
#     squares.c (libos/vm), taken from the guide, built with its own command
#     lines through pkg-config pointed into TMP (PKG_CONFIG_SYSROOT_DIR),
#     run with TMP's exo; their output checked.
#  3. exo(1) renders with groff -ww and man without a warning.
#  4. make uninstall leaves no file in TMP.
#  5. make install PREFIX=TMP2 (a real prefix, as a user installs into
#     $HOME): the guide's dirty.c built with TMP2's exo-cc and run with
#     TMP2's exo, which finds its posix-shim by itself; hello again, with
#     plain PKG_CONFIG_PATH; uninstall leaves no file.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
B=${1:-build}
MAKE=${MAKE:-make}
guide=$root/docs/writing-a-guest.md
tmp=$(mktemp -d /tmp/exo-install.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
start=$(date +%s%N)

fail() {
	echo "test_install: FAIL: $*" >&2
	exit 1
}
ok() { echo "test_install: ok: $*"; }

# make [ARGS...] in the source tree, quietly; its output on failure.
mk() {
	"$MAKE" -C "$root" --no-print-directory B="$B" "$@" > "$tmp/make.log" 2>&1 ||
		{ cat "$tmp/make.log"; fail "make $*"; }
}

# The guide's blocks: the ```-fenced block after "<!-- KIND: NAME -->".
block() {
	awk -v tag="<!-- $1: $2 -->" '
		$0 == tag { want = 1; next }
		want && /^```/ { if (inside) exit; inside = 1; next }
		inside { print }' "$guide"
}

# Every file, link included, under $1, relative to it.
files_under() { (cd "$1" && find . ! -type d | sed 's|^\./||' | sort); }

# The files install must put under PREFIX, from the tree itself.
expected() {
	local p=$1
	{
		printf '%s\n' bin/exo bin/exo-cc lib/exo/posix-shim/shim lib/exo/libguest.a \
			lib/exo/libexo.a lib/exo/exo.specs \
			lib/exo/guest.ld lib/exo/idt.ld lib/exo/include/exo \
			lib/pkgconfig/exo-guest.pc share/man/man1/exo.1
		(cd "$root" && for h in include/exo/*.h guestlib/include/exo/*.h; do
			echo "include/exo/${h##*/}"; done)
		(cd "$root" && for h in libos/*/*.h; do echo "include/exo/$h"; done)
		(cd "$root" && for d in libos/*/; do d=${d%/}; echo "lib/exo/lib${d#libos/}.a"; done)
	} | sed "s|^|$p|" | sort
}

# Build the guide's program NAME in directory DIR with the guide's command
# line, then run it with the guide's command line; its output in DIR/NAME.out,
# its status in $status.
build_and_run() {
	local name=$1 dir=$2
	block file "$name.c" > "$dir/$name.c"
	[ -s "$dir/$name.c" ] || fail "the guide has no $name.c"
	(cd "$dir" && bash -e -c "$(block build "$name")") > "$dir/$name.build" 2>&1 ||
		{ cat "$dir/$name.build"; fail "$name: the guide's build command failed"; }
	status=0
	(cd "$dir" && timeout 20 bash -c "$(block run "$name")") > "$dir/$name.out" 2> "$dir/$name.err" ||
		status=$?
}

# 1. Into a DESTDIR.
dest=$tmp/dest
mkdir -p "$dest"
mk install DESTDIR="$dest" PREFIX=/usr
diff -u <(expected usr/) <(files_under "$dest") > "$tmp/files.diff" ||
	{ cat "$tmp/files.diff"; fail "make install put other files than these (- wanted, + put)"; }
[ "$(readlink "$dest/usr/lib/exo/include/exo")" = ../../../include/exo ] ||
	fail "lib/exo/include/exo is not a link to ../../../include/exo"
[ -x "$dest/usr/bin/exo" ] && [ -x "$dest/usr/bin/exo-cc" ] || fail "bin/exo or bin/exo-cc not executable"
for f in usr/bin/exo-cc usr/lib/exo/exo.specs usr/lib/pkgconfig/exo-guest.pc usr/lib/exo/guest.ld; do
	! grep -q -e "$root" -e "$B/" "$dest/$f" || fail "$f names the source or build tree"
done
grep -q "^exec .* -I'/usr/lib/exo/include' -specs='/usr/lib/exo/exo.specs'$" "$dest/usr/bin/exo-cc" ||
	fail "exo-cc does not use PREFIX/lib/exo/include and PREFIX/lib/exo/exo.specs"
grep -qx '/usr/lib/exo/libexo.a %(exo_old_lib)' "$dest/usr/lib/exo/exo.specs" ||
	fail "exo.specs does not link PREFIX/lib/exo/libexo.a"
cmp -s "$dest/usr/lib/exo/idt.ld" "$B/guestlib/idt.ld" || fail "idt.ld is not the build's"
ok "make install DESTDIR=... PREFIX=/usr: $(files_under "$dest" | wc -l) files, as listed"

# 2. The guide's guests, from the DESTDIR alone.
work=$tmp/work
mkdir -p "$work"
(
	export PKG_CONFIG_SYSROOT_DIR=$dest PKG_CONFIG_LIBDIR=$dest/usr/lib/pkgconfig \
		PKG_CONFIG_PATH= PKG_CONFIG_ALLOW_SYSTEM_CFLAGS=1 PATH=$dest/usr/bin:$PATH
	unset EXO_SHIM
	flags="$(pkg-config --cflags --libs exo-guest)"
	case " $flags " in *" -I$dest/usr/include "*" -L$dest/usr/lib/exo "*) ;;
	*) fail "pkg-config --cflags --libs exo-guest: $flags: not the DESTDIR's -I and -L" ;; esac
	! grep -q -e "$root" <<< "$flags" || fail "pkg-config's flags name the source tree: $flags"

	build_and_run hello "$work"
	[ "$status" = 0 ] || { cat "$work/hello.err"; fail "hello: status $status"; }
	printf '%s\n' "hello from a guest built outside the tree" "argv[1] = world" \
		"may own 16384 frames" | diff -u - "$work/hello.out" || fail "hello's output"
	ok "the guide's hello, built with pkg-config from the DESTDIR, runs"

	build_and_run squares "$work"
	[ "$status" = 0 ] || { cat "$work/squares.out" "$work/squares.err"; fail "squares: status $status"; }
	grep -Eqx 'ring [03]: sum 386 after 3 faults' "$work/squares.out" ||
		{ cat "$work/squares.out"; fail "squares' output"; }
	ok "the guide's libos/vm guest (a region with a fault handler) runs: $(cat "$work/squares.out")"
)

# 3. The man page.
man_page=$dest/usr/share/man/man1/exo.1
groff -man -Tutf8 -ww "$man_page" > "$tmp/man.txt" 2> "$tmp/groff.err" ||
	{ cat "$tmp/groff.err"; fail "groff failed on exo.1"; }
[ ! -s "$tmp/groff.err" ] || { cat "$tmp/groff.err"; fail "groff -ww warns about exo.1"; }
for s in NAME SYNOPSIS DESCRIPTION OPTIONS "EXIT STATUS" ENVIRONMENT FILES EXAMPLES "SEE ALSO"; do
	grep -q "^$s\$" <(sed 's/\x1b\[[0-9;]*m//g; s/.\x08//g' "$tmp/man.txt") || fail "exo(1) has no $s section"
done
# Every option of README's table is in OPTIONS.
for o in $(sed -n 's/^| `\(--[a-z-]*\).*/\1/p' "$root/README.md" | sort -u); do
	grep -q -- "$o" <(sed 's/.\x08//g' "$tmp/man.txt") || fail "exo(1) does not describe $o (README's table has it)"
done
if command -v man > /dev/null; then
	MANWIDTH=80 man -l "$man_page" > /dev/null 2> "$tmp/man.err" || { cat "$tmp/man.err"; fail "man -l exo.1"; }
	[ ! -s "$tmp/man.err" ] || { cat "$tmp/man.err"; fail "man -l warns about exo.1"; }
fi
ok "exo(1) renders without warnings and has every option of README's table"

# 4. Uninstall.
mk uninstall DESTDIR="$dest" PREFIX=/usr
left=$(files_under "$dest")
[ -z "$left" ] || fail "make uninstall left: $left"
ok "make uninstall leaves no file"

# 5. A real prefix: exo-cc and pkg-config as a user has them.
prefix=$tmp/prefix
work2=$tmp/work2
mkdir -p "$work2"
mk install PREFIX="$prefix"
(
	export PATH=$prefix/bin:$PATH PKG_CONFIG_PATH=$prefix/lib/pkgconfig
	unset EXO_SHIM PKG_CONFIG_SYSROOT_DIR PKG_CONFIG_LIBDIR
	build_and_run dirty "$work2"
	[ "$status" = 0 ] || { cat "$work2/dirty.out" "$work2/dirty.err"; fail "dirty: status $status"; }
	grep -qx '2 pages written: bits 0x42' "$work2/dirty.out" || { cat "$work2/dirty.out"; fail "dirty's output"; }
	[ "$("$work2/dirty")" = "not on exo" ] ||
		fail "dirty natively: not 'not on exo'"
	ok "the guide's exo-cc program, built with the installed exo-cc, runs on exo and natively"
	build_and_run hello "$work2"
	[ "$status" = 0 ] && grep -qx "argv\[1\] = world" "$work2/hello.out" || fail "hello from PREFIX=$prefix"
	ok "hello, built with PKG_CONFIG_PATH=PREFIX/lib/pkgconfig, runs"
)
mk uninstall PREFIX="$prefix"
left=$(files_under "$prefix")
[ -z "$left" ] || fail "make uninstall PREFIX=... left: $left"
ok "make uninstall PREFIX=... leaves no file"
echo "test_install: passed in $((($(date +%s%N) - start) / 1000000)) ms"
