#!/bin/bash
# SPDX-License-Identifier: MIT
# tests/programs/run.sh BUILD_DIR [EXO_PREFIX...]
#
# Runs the programs tests/programs/build.sh left in BUILD_DIR/programs/bin
# on the workloads in this directory, once natively and once as
#
#     EXO_PREFIX --root SCRATCH /abs/path/to/PROGRAM ARGS...   (e.g. build/exo run)
#
# and compares, for every step, the exit status and stdout (byte for byte),
# and at the end every file left in the scratch directory (same names, same
# bytes).  Each side gets a fresh scratch directory holding the same inputs
# and runs with it as the working directory; under exo it is also the
# guest's "/", where the guest starts, so the relative paths used below
# mean the same on both sides.  Both sides run with an empty environment
# (env -i).  Without EXO_PREFIX the native run is compared with a second
# native run.
#
#   lua      workload.lua (file I/O, string formatting, floating point) with
#            arguments naming its input; then a one-liner exiting with 7
#   bzip2    a 6 MiB generated file (text, random bytes, runs): compressed
#            in place (input removed), decompressed by name (-dk), compressed
#            stdin to stdout, tested (-t); both round trips must give back
#            the input
#   sqlite3  workload.sql on stdin (-init init.sql shop.db): creates, fills,
#            queries, vacuums, copies shop.db (ends on a deliberate error:
#            status 1); then SQL given in argv against the copy
#
# Prints `ok NAME (native X.XXs, exo Y.YYs)` or `FAIL NAME: reason` with a
# diff excerpt, per program; exits 1 if any failed (2 on usage errors).
# Scratch directories stay in BUILD_DIR/programs/run/NAME/{native,exo}.
# PROGRAMS_TIMEOUT (seconds, default 300) bounds each step.

# shellcheck disable=SC2317  # step functions are called indirectly
set -uo pipefail

die() { echo "run.sh: $*" >&2; exit 2; }
[ $# -ge 1 ] || die "usage: $0 BUILD_DIR [EXO_PREFIX...]"
[ -d "$1" ] || die "no such directory: $1"
HERE=$(cd "$(dirname "$0")" && pwd)
BUILD=$(cd "$1" && pwd)
shift
EXO=("$@")
# The steps run with cwd = scratch dir: make a relative exo path absolute.
if [ ${#EXO[@]} -gt 0 ] && [[ ${EXO[0]} == */* && ${EXO[0]} != /* ]]; then
    EXO[0]=$PWD/${EXO[0]}
fi
BIN=$BUILD/programs/bin
WORK=$BUILD/programs/run
TIMEOUT=${PROGRAMS_TIMEOUT:-300}
for p in lua bzip2 sqlite3; do
    [ -x "$BIN/$p" ] || die "$BIN/$p missing: run tests/programs/build.sh $BUILD first"
done
if [ ${#EXO[@]} -gt 0 ]; then OTHER=exo; else OTHER=native2; fi

rm -rf "$WORK"
IN=$WORK/inputs
mkdir -p "$IN"
# Deterministic generated inputs (made natively by the lua just built).
if ! { "$BIN/lua" "$HERE/gen.lua" text 3000 > "$IN/input.txt" &&
        "$BIN/lua" "$HERE/gen.lua" mixed $((6 * 1024 * 1024)) > "$IN/data.bin"; }; then
    die "generating inputs failed"
fi
cp "$HERE/workload.lua" "$HERE/workload.sql" "$HERE/init.sql" "$IN/"

# ---------------------------------------------------------------- running
# Set by run_side for step: side, root (scratch dir), out (its outputs).
side='' root='' out='' nstep=0 elapsed=0

# step STDIN PROG ARGS...: run one step (STDIN: a file in the scratch dir,
# or - for /dev/null).  Saves N.out, N.err, N.rc in $out.
step() {
    local in=$1 prog=$2 t0 t1 rc
    shift 2
    nstep=$((nstep + 1))
    [ "$in" = - ] && in=/dev/null || in=$root/$in
    echo "$prog $*" > "$out/$nstep.cmd"
    t0=$EPOCHREALTIME
    if [ "$side" = exo ]; then
        (cd "$root" && exec timeout -k 10 "$TIMEOUT" env -i \
            "${EXO[@]}" --root "$root" "$BIN/$prog" "$@") \
            < "$in" > "$out/$nstep.out" 2> "$out/$nstep.err"
    else
        (cd "$root" && exec timeout -k 10 "$TIMEOUT" env -i "$BIN/$prog" "$@") \
            < "$in" > "$out/$nstep.out" 2> "$out/$nstep.err"
    fi
    rc=$?
    t1=$EPOCHREALTIME
    echo "$rc" > "$out/$nstep.rc"
    elapsed=$(awk -v a="$elapsed" -v b="$t0" -v c="$t1" 'BEGIN { printf "%.6f", a + c - b }')
}

steps_lua() {
    step - lua workload.lua 20000 input.txt
    step - lua -e 'io.write(string.format("%.3f %d\n", math.pi, #arg)) os.exit(7)' x y
}
inputs_lua() { echo workload.lua input.txt; }

steps_bzip2() {
    step - bzip2 -9 data.bin             # -> data.bin.bz2, data.bin removed
    step - bzip2 -d -k data.bin.bz2      # -> data.bin again
    step data.bin bzip2 -1 -c            # stdin -> stdout
    step - bzip2 -t data.bin.bz2
}
inputs_bzip2() { echo data.bin; }

steps_sqlite3() {
    step workload.sql sqlite3 -init init.sql shop.db
    step - sqlite3 -init init.sql backup.db \
        "UPDATE item SET price = price * 2 WHERE id % 3 = 0;
         CREATE TABLE summary AS SELECT item_id, sum(qty) AS units FROM orders GROUP BY item_id;
         SELECT count(*), sum(units), printf('%.4f', avg(units)) FROM summary;
         SELECT printf('%.2f', sum(o.qty * i.price)) FROM orders o JOIN item i ON i.id = o.item_id;
         PRAGMA integrity_check;"
}
inputs_sqlite3() { echo init.sql workload.sql; }

# run_side NAME SIDE: fresh scratch dir, inputs copied in, all steps.
run_side() {
    local name=$1 f
    side=$2 root=$WORK/$1/$2/root out=$WORK/$1/$2/out nstep=0 elapsed=0
    mkdir -p "$root" "$out"
    for f in $("inputs_$name"); do cp "$IN/$f" "$root/"; done
    "steps_$name"
}

# ---------------------------------------------------------------- comparing
excerpt() {   # excerpt A B: what differs, briefly
    if [ ! -e "$1" ] || [ ! -e "$2" ]; then
        echo "    (missing: $([ -e "$1" ] || echo "$1") $([ -e "$2" ] || echo "$2"))"
    elif grep -qI . "$1" 2>/dev/null && grep -qI . "$2" 2>/dev/null ||
         [ ! -s "$1" ] || [ ! -s "$2" ]; then
        diff -u "$1" "$2" | head -n 20 | sed 's/^/    /'
    else
        echo "    $(cmp "$1" "$2" 2>&1 | head -n 1); sizes $(stat -c %s "$1") $(stat -c %s "$2")"
    fi
}

# fail REASON DETAIL: report one difference ("@REASON" line, then details).
fail() { echo "@$1"; echo "$2"; }

# compare NAME: reports every difference with fail and excerpts.
compare() {
    local a=$WORK/$1/native b=$WORK/$1/$OTHER i n f
    n=$(find "$a/out" -name '*.rc' | wc -l)
    for i in $(seq 1 "$n"); do
        if [ "$(cat "$a/out/$i.rc")" != "$(cat "$b/out/$i.rc" 2>/dev/null)" ]; then
            fail "step $i ($(cat "$a/out/$i.cmd")) exit status $(cat "$a/out/$i.rc") native, $(cat "$b/out/$i.rc" 2>/dev/null) $OTHER" \
                "  step $i exit status differs; $OTHER stderr:"
            head -n 10 "$b/out/$i.err" | sed 's/^/    /'
            [ "$(cat "$b/out/$i.rc" 2>/dev/null)" = 124 ] &&
                echo "    (timed out after ${TIMEOUT}s)"
        fi
        if ! cmp -s "$a/out/$i.out" "$b/out/$i.out"; then
            fail "step $i ($(cat "$a/out/$i.cmd")) stdout differs" \
                "  step $i stdout differs (native vs $OTHER):"
            excerpt "$a/out/$i.out" "$b/out/$i.out"
        fi
    done
    if ! diff -q <(cd "$a/root" && find . -mindepth 1 -printf '%y %p\n' | sort) \
                 <(cd "$b/root" && find . -mindepth 1 -printf '%y %p\n' | sort) > /dev/null; then
        fail "files left in the scratch dir differ" "  files left differ (native vs $OTHER):"
        diff <(cd "$a/root" && find . -mindepth 1 -printf '%y %p\n' | sort) \
             <(cd "$b/root" && find . -mindepth 1 -printf '%y %p\n' | sort) |
            grep '^[<>]' | head -n 10 | sed 's/^/    /'
    fi
    while IFS= read -r -d '' f; do
        [ -f "$b/root/$f" ] || continue
        if ! cmp -s "$a/root/$f" "$b/root/$f"; then
            fail "file ${f#./} differs" "  file ${f#./} differs (native vs $OTHER):"
            excerpt "$a/root/$f" "$b/root/$f"
        fi
    done < <(cd "$a/root" && find . -type f -print0 | sort -z)
}

check_bzip2() {   # the round trips give back the input
    local s
    for s in native $OTHER; do
        cmp -s "$IN/data.bin" "$WORK/bzip2/$s/root/data.bin" ||
            fail "$s: data.bin after bzip2 -9 / bzip2 -dk differs from the input" \
                "  $s: data.bin round trip differs from the input"
        "$BIN/bzip2" -d < "$WORK/bzip2/$s/out/3.out" 2>/dev/null | cmp -s - "$IN/data.bin" ||
            fail "$s: stdout of bzip2 -1 -c does not decompress to the input" \
                "  $s: stdin/stdout round trip differs from the input"
    done
}

failed=0
for name in lua bzip2 sqlite3; do
    run_side "$name" native;   t_native=$elapsed
    run_side "$name" "$OTHER"; t_other=$elapsed
    details=$(compare "$name"; if [ "$name" = bzip2 ]; then check_bzip2; fi)
    if [ -n "$details" ]; then
        echo "FAIL $name: $(printf '%s\n' "$details" | sed -n 's/^@//p' | head -n 1)"
        printf '%s\n' "$details" | grep -v '^@'
        echo "  (scratch dirs: $WORK/$name/{native,$OTHER})"
        failed=1
    else
        printf 'ok %s (native %.2fs, %s %.2fs)\n' "$name" "$t_native" "$OTHER" "$t_other"
    fi
done
exit $failed
