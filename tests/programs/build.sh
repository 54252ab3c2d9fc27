#!/bin/bash
# SPDX-License-Identifier: MIT
# tests/programs/build.sh BUILD_DIR
#
# Fetches real third-party programs as source from Debian's archive (apt-get
# source; nothing of them is committed), builds them static with
# `musl-gcc -static -O2`, and leaves them in BUILD_DIR/programs/bin/:
#
#   lua      Lua 5.4 interpreter   (source package lua5.4: src/*.c but luac.c,
#                                    -DLUA_USE_POSIX, no readline, no dlopen)
#   bzip2    bzip2 compressor      (source package bzip2)
#   sqlite3  SQLite command shell  (source package sqlite3: amalgamation made
#                                    with tclsh, THREADSAFE=0, no extensions
#                                    loading, no readline, no zlib)
#   gctest   bdwgc's own test       (source package libgc: the Boehm-Demers-
#                                    Weiser collector, configured with
#                                    --disable-threads, static; tests/test.c
#                                    built by its Makefile; see build_libgc)
#   gcbench  apps/gcbench/gcbench.c linked with that libgc.a
#
# None uses threads; none forks or execs unless asked to by a command the
# workloads in this directory never give (lua's os.execute/io.popen,
# sqlite3's .shell/.system).
#
# Layout under BUILD_DIR/programs/:
#   apt/      private apt state (a one-line deb-src list and its indexes)
#   src/PKG/  unpacked Debian source (dpkg-source -x, Debian patches applied)
#   obj/      build trees        bin/  the programs       stamps/  recipes
#
# Idempotent: a program whose binary exists and whose recipe (package version
# and flags) is unchanged is not rebuilt, and an unpacked source is not
# fetched again, so a second run takes well under a second and needs no
# network.
#
# The archive's address is read at run time from the system's apt sources
# (/etc/apt/sources.list.d/*.sources or /etc/apt/sources.list), whose entries
# are binary-only (Types: deb); this script writes its own deb-src list.

set -euo pipefail

# Debian packages this script needs (installed with apt-get when missing and
# run as root).
PACKAGES="dpkg-dev musl-tools musl-dev gcc make tcl file xz-utils bzip2 patch"

CODENAME_DEFAULT=bookworm

die() { echo "build.sh: $*" >&2; exit 1; }

[ $# -eq 1 ] || die "usage: $0 BUILD_DIR"
mkdir -p "$1"
BUILD=$(cd "$1" && pwd)
OUT=$BUILD/programs
APTD=$OUT/apt
SRC=$OUT/src
OBJ=$OUT/obj
BIN=$OUT/bin
STAMPS=$OUT/stamps
mkdir -p "$SRC" "$OBJ" "$BIN" "$STAMPS"

# ---------------------------------------------------------------- packages
missing=
for p in $PACKAGES; do
    dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q ' installed$' ||
        missing="$missing $p"
done
if [ -n "$missing" ]; then
    [ "$(id -u)" = 0 ] || die "missing Debian packages:$missing (apt-get install them)"
    echo "build.sh: installing$missing"
    export DEBIAN_FRONTEND=noninteractive
    # shellcheck disable=SC2086
    apt-get install -y -q $missing >/dev/null ||
        { apt-get update -q >/dev/null && apt-get install -y -q $missing >/dev/null; } ||
        die "apt-get install$missing failed"
fi

# ---------------------------------------------------------------- fetching
codename() {
    local c=
    # shellcheck disable=SC1091
    [ -r /etc/os-release ] && c=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
    echo "${c:-$CODENAME_DEFAULT}"
}

# The URI of the system's entry for the main suite (not -updates/-security).
archive_uri() {
    local suite=$1 f uri
    for f in /etc/apt/sources.list.d/*.sources; do
        [ -r "$f" ] || continue
        uri=$(awk -v s="$suite" '
            function flush() {
                if (ok && u != "" && !done) { print u; done = 1; exit }
                ok = 0; u = "" }
            /^[ \t]*$/ { flush(); next }
            /^URIs:/   { u = $2 }
            /^Suites:/ { for (i = 2; i <= NF; i++) if ($i == s) ok = 1 }
            END        { flush() }' "$f")
        [ -n "$uri" ] && { echo "$uri"; return; }
    done
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
        [ -r "$f" ] || continue
        uri=$(awk -v s="$suite" '$1 == "deb" {
                  i = 2; if ($i ~ /^\[/) while ($i !~ /\]$/) i++
                  if ($i ~ /^\[/ || $i ~ /\]$/) i++
                  if ($(i + 1) == s) { print $i; exit } }' "$f")
        [ -n "$uri" ] && { echo "$uri"; return; }
    done
}

APT_OPTS=()
apt_ready=0
apt_setup() {
    [ $apt_ready = 1 ] && return
    local suite uri
    suite=$(codename)
    uri=$(archive_uri "$suite")
    [ -n "$uri" ] || die "no Debian archive for '$suite' found in /etc/apt/sources.list{,.d/}"
    mkdir -p "$APTD/lists/partial"
    echo "deb-src $uri $suite main" > "$APTD/sources.list"
    APT_OPTS=(-o "Dir::Etc::SourceList=$APTD/sources.list"
              -o "Dir::Etc::SourceParts=/dev/null"
              -o "Dir::State::Lists=$APTD/lists"
              -o "APT::Sandbox::User=root" -q)
    if ! apt-get "${APT_OPTS[@]}" update > "$APTD/update.log" 2>&1 ||
       grep -q '^\(Err\|W: Failed\|E:\)' "$APTD/update.log"; then
        sed 's/^/    /' "$APTD/update.log" >&2
        die "cannot reach the Debian archive at $uri (apt-get update of deb-src $suite failed)"
    fi
    apt_ready=1
}

# fetch PKG: unpack Debian source package PKG into $SRC/PKG (once).
fetch() {
    local pkg=$1 dl=$SRC/dl/$1 dsc
    [ -f "$SRC/$pkg/.unpacked" ] && return
    apt_setup
    rm -rf "$dl" "${SRC:?}/$pkg"
    mkdir -p "$dl"
    (cd "$dl" && apt-get "${APT_OPTS[@]}" source --download-only "$pkg") \
        > "$dl.log" 2>&1 || { cat "$dl.log" >&2; die "apt-get source $pkg failed"; }
    dsc=$(ls "$dl"/*.dsc)
    dpkg-source -x "$dsc" "$SRC/$pkg" >> "$dl.log" 2>&1 ||
        { cat "$dl.log" >&2; die "dpkg-source -x $dsc failed"; }
    sed -n 's/^Version: //p' "$dsc" > "$SRC/$pkg/.unpacked"
}

version() { cat "$SRC/$1/.unpacked"; }

# uptodate NAME RECIPE: true if bin/NAME was built with RECIPE.
uptodate() {
    [ -x "$BIN/$1" ] && [ -f "$STAMPS/$1" ] && [ "$(cat "$STAMPS/$1")" = "$2" ]
}

check_static() {
    local f=$BIN/$1
    file -L "$f" | grep -q 'statically linked' ||
        die "$f is not statically linked: $(file -L "$f")"
}

built() {
    check_static "$1"
    echo "$2" > "$STAMPS/$1"
    echo "build.sh: built $1 ($3) -> $BIN/$1"
}
cached() {
    check_static "$1"
    echo "build.sh: $1 up to date ($2)"
}

CC="musl-gcc -static -O2"

# ---------------------------------------------------------------- lua
build_lua() {
    fetch lua5.4
    local v recipe d=$SRC/lua5.4/src
    v=$(version lua5.4)
    recipe="lua5.4 $v; $CC -std=gnu99 -DLUA_USE_POSIX src/*.c but luac.c -lm"
    if uptodate lua "$recipe"; then cached lua "lua5.4 $v"; return; fi
    rm -rf "$OBJ/lua"; mkdir -p "$OBJ/lua"
    # Debian's luaconf.h includes a header its debian/rules generates.
    printf '#ifndef _LUA_DEB_MULTIARCH_\n#define _LUA_DEB_MULTIARCH_\n#define DEB_HOST_MULTIARCH "%s"\n#endif\n' \
        "$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || echo x86_64-linux-gnu)" \
        > "$OBJ/lua/lua5.4-deb-multiarch.h"
    local srcs=() f
    for f in "$d"/*.c; do [ "${f##*/}" = luac.c ] || srcs+=("$f"); done
    # shellcheck disable=SC2086
    ( cd "$OBJ/lua" &&
      $CC -std=gnu99 -DLUA_USE_POSIX -I. -o lua "${srcs[@]}" -lm ) > "$OBJ/lua.log" 2>&1 ||
        { cat "$OBJ/lua.log" >&2; die "building lua failed"; }
    cp "$OBJ/lua/lua" "$BIN/lua.tmp" && mv "$BIN/lua.tmp" "$BIN/lua"
    built lua "$recipe" "lua5.4 $v"
}

# ---------------------------------------------------------------- bzip2
build_bzip2() {
    fetch bzip2
    local v recipe d=$SRC/bzip2
    v=$(version bzip2)
    recipe="bzip2 $v; $CC -D_FILE_OFFSET_BITS=64 libbz2 sources + bzip2.c"
    if uptodate bzip2 "$recipe"; then cached bzip2 "bzip2 $v"; return; fi
    rm -rf "$OBJ/bzip2"; mkdir -p "$OBJ/bzip2"
    ( cd "$d" &&
      $CC -D_FILE_OFFSET_BITS=64 -o "$OBJ/bzip2/bzip2" \
          blocksort.c huffman.c crctable.c randtable.c compress.c \
          decompress.c bzlib.c bzip2.c ) > "$OBJ/bzip2.log" 2>&1 ||
        { cat "$OBJ/bzip2.log" >&2; die "building bzip2 failed"; }
    cp "$OBJ/bzip2/bzip2" "$BIN/bzip2.tmp" && mv "$BIN/bzip2.tmp" "$BIN/bzip2"
    built bzip2 "$recipe" "bzip2 $v"
}

# ---------------------------------------------------------------- sqlite3
SQLITE_FLAGS="-DSQLITE_THREADSAFE=0 -DSQLITE_OMIT_LOAD_EXTENSION \
-DSQLITE_ENABLE_MATH_FUNCTIONS -DSQLITE_DEFAULT_MEMSTATUS=0"
build_sqlite3() {
    fetch sqlite3
    local v recipe o=$OBJ/sqlite3
    v=$(version sqlite3)
    recipe="sqlite3 $v; amalgamation; $CC $SQLITE_FLAGS shell.c sqlite3.c -lm"
    if uptodate sqlite3 "$recipe"; then cached sqlite3 "sqlite3 $v"; return; fi
    rm -rf "$o"; mkdir -p "$o"
    # configure and the generators (lemon, mkkeywordhash, tclsh scripts)
    # run on the host with its gcc; only the program is built with musl.
    # (&& chains: set -e does not apply inside a subshell tested with ||.)
    # shellcheck disable=SC2086
    ( cd "$o" &&
      CC=gcc "$SRC/sqlite3/configure" --disable-tcl --disable-readline \
          --disable-editline --disable-threadsafe --disable-load-extension &&
      make sqlite3.c shell.c &&
      { $CC $SQLITE_FLAGS -I. -c -o sqlite3.o sqlite3.c & } &&
      $CC $SQLITE_FLAGS -I. -c -o shell.o shell.c &&
      wait $! &&
      $CC -o sqlite3 shell.o sqlite3.o -lm ) > "$o.log" 2>&1 ||
        { tail -40 "$o.log" >&2; die "building sqlite3 failed (log: $o.log)"; }
    cp "$o/sqlite3" "$BIN/sqlite3.tmp" && mv "$BIN/sqlite3.tmp" "$BIN/sqlite3"
    built sqlite3 "$recipe" "sqlite3 $v"
}

# ---------------------------------------------------------------- libgc
# bdwgc 8.2.2 unmodified, configured out of tree with musl-gcc, no threads,
# static only. What musl and exo need, all outside bdwgc's sources:
#  - gctest is linked -all-static (libtool drops a plain -static) and with
#    -z max-page-size=0x10000. bdwgc finds the start of a static program's
#    data by probing down from _end until a page faults
#    (SEARCH_FOR_DATA_START: musl has no __data_start); with ld's default
#    4 KiB alignment the text, rodata and data segments are contiguous, so
#    the whole image, code included, becomes a root and test.c's
#    GC_is_visible check fails ("GC_is_visible produced wrong failure
#    indication"). 64 KiB alignment leaves unmapped pages between rodata
#    and data, so the probe stops where data starts, as on glibc.
#  - tests/test.c is compiled with -DNO_TEST_HANDLE_FORK, test.c's own
#    switch for platforms without fork: its fork test needs fork and
#    waitpid, which posix-shim does not serve.
GC_CONF="--disable-threads --disable-shared --enable-static --disable-docs"
GC_LDFLAGS="-all-static -Wl,-z,max-page-size=0x10000"
GC_TEST_CFLAGS="-DNO_TEST_HANDLE_FORK"
GCBENCH_SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/apps/gcbench/gcbench.c
gc_recipe() {
    echo "libgc $(version libgc); CC=musl-gcc configure $GC_CONF; make libgc.la; \
make gctest CFLAGS_EXTRA=$GC_TEST_CFLAGS LDFLAGS=$GC_LDFLAGS"
}
build_libgc() {
    fetch libgc
    local v recipe o=$OBJ/libgc
    v=$(version libgc)
    recipe=$(gc_recipe)
    if uptodate gctest "$recipe" && [ -f "$o/.libs/libgc.a" ]; then
        cached gctest "libgc $v"; return
    fi
    rm -rf "$o"; mkdir -p "$o"
    # shellcheck disable=SC2086
    ( cd "$o" &&
      CC=musl-gcc "$SRC/libgc/configure" $GC_CONF &&
      make -j"$(nproc)" libgc.la &&
      make gctest CFLAGS_EXTRA="$GC_TEST_CFLAGS" LDFLAGS="$GC_LDFLAGS" ) > "$o.log" 2>&1 ||
        { tail -40 "$o.log" >&2; die "building libgc failed (log: $o.log)"; }
    cp "$o/gctest" "$BIN/gctest.tmp" && mv "$BIN/gctest.tmp" "$BIN/gctest"
    rm -f "$STAMPS/gcbench"   # linked against the old libgc.a
    built gctest "$recipe" "libgc $v"
}

# gcbench: apps/gcbench/gcbench.c (this tree's) against that libgc.a,
# linked like gctest.
build_gcbench() {
    local recipe o=$OBJ/libgc
    [ -f "$GCBENCH_SRC" ] || die "$GCBENCH_SRC missing"
    recipe="$(gc_recipe); gcbench.c $(sha256sum < "$GCBENCH_SRC" | cut -c1-16); \
$CC -Wl,-z,max-page-size=0x10000 -I include gcbench.c libgc.a"
    if uptodate gcbench "$recipe"; then cached gcbench "libgc $(version libgc)"; return; fi
    # shellcheck disable=SC2086
    $CC -std=gnu11 -Wall -Wextra -Werror -Wl,-z,max-page-size=0x10000 \
        -I "$SRC/libgc/include" -o "$o/gcbench" "$GCBENCH_SRC" "$o/.libs/libgc.a" \
        > "$o-gcbench.log" 2>&1 || { cat "$o-gcbench.log" >&2; die "building gcbench failed"; }
    cp "$o/gcbench" "$BIN/gcbench.tmp" && mv "$BIN/gcbench.tmp" "$BIN/gcbench"
    built gcbench "$recipe" "libgc $(version libgc)"
}

build_lua
build_bzip2
build_sqlite3
build_libgc
build_gcbench
