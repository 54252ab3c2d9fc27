#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# apps/gcbench/bench.sh BUILD: bdwgc's incremental collector (Debian's libgc
# 8.2.2, unmodified, static musl; tests/programs/build.sh builds it) on exo
# and on Linux, with the two ways it learns which pages were written:
#
#   dirty bits  soft-dirty bits, cleared through /proc/<pid>/clear_refs and
#               read from /proc/<pid>/pagemap (bdwgc's SOFT_VDB); on exo
#               posix-shim serves these from the hardware dirty bits
#   mprotect    the heap write-protected after each collection, one SIGSEGV
#               and an mprotect per first write to a page (MPROTECT_VDB);
#               GC_USE_GETWRITEWATCH=0 forces it where both are built in
#
# Two programs: BUILD/programs/bin/gctest (bdwgc's tests/test.c, which
# switches to incremental mode itself) and BUILD/programs/bin/gcbench
# (apps/gcbench/gcbench.c, GCBench, run with -i). Rows, each program:
# native Linux (whichever mode this kernel gives: soft-dirty if it keeps
# them, probed as apps/vmbench/backend_linux.c does, else mprotect); exo
# (default: dirty bits); exo with --env GC_USE_GETWRITEWATCH=0 (mprotect).
# Every exo run has --stats (counting costs nothing measurable).
#
# Columns: wall time of the whole command (exo's start and teardown
# included), median of GCBENCH_REPS runs (default 3; runs interleaved) with
# -min/+max spread; collections (GC_get_gc_no; gctest: its "Completed N
# collections"); pause total and max (gcbench: its event-callback pauses,
# see gcbench.c; gctest: only its total time in full collections, no max);
# ratio of wall time to the native row; exits per collection (exo's
# "exits: ... total=N" / collections); dirty pages per collection from
# posix-shim's "pagemap" stats line (n/a where exo prints none); the mode
# each run reported. Prints the table and the machine, writes
# BUILD/bench/gcbench.json and BUILD/bench/gcbench.png (gnuplot). Scratch
# files stay in BUILD/bench/gcbench-run/. A run that fails makes its row's
# figures n/a with the reason. GCBENCH_TIMEOUT (default 120 s) bounds each
# run. About 90 s in all on the development hosts.
set -euo pipefail
B=${1:-build}
B=$(cd "$B" && pwd)
out=$B/bench
run=$out/gcbench-run
EXO=$B/exo
GCTEST=$B/programs/bin/gctest
GCBENCH=$B/programs/bin/gcbench
REPS=${GCBENCH_REPS:-3}
TIMEOUT=${GCBENCH_TIMEOUT:-120}
for f in "$EXO" "$GCTEST" "$GCBENCH"; do
	[ -x "$f" ] || { echo "gcbench bench: $f is missing: make all programs" >&2; exit 1; }
done
case $REPS in '' | *[!0-9]* | 0) echo "gcbench bench: GCBENCH_REPS must be a positive number" >&2; exit 1 ;; esac
# shellcheck source=apps/bench-common.sh
. "$(dirname "${BASH_SOURCE[0]}")/../bench-common.sh"
echo "gcbench: $machine"

# Does this kernel keep soft-dirty bits? apps/softdirty.h's probe (the
# one vmbench and tests/posix/test_gc use), in perl since the page must be
# this process's own: write "4" to clear_refs, write a page, read bit 55
# of its pagemap entry.
if perl -e '
	open(my $c, ">", "/proc/self/clear_refs") or exit 1;
	my $buf = "x" x 8192;
	syswrite($c, "4") == 1 or exit 1; close $c;
	substr($buf, 4096, 1) = "y";
	my $a = unpack("J", pack("p", $buf)) + 4096;
	open(my $p, "<", "/proc/self/pagemap") or exit 1; binmode $p;
	sysseek($p, int($a / 4096) * 8, 0) or exit 1;
	sysread($p, my $e, 8) == 8 or exit 1;
	exit(((unpack("Q", $e) >> 55) & 1) ? 0 : 1)' 2>/dev/null; then
	hostvdb="soft-dirty bits (this kernel keeps them)"
	native_mode=dirty-bits
else
	hostvdb="mprotect: this kernel keeps no soft-dirty bits (clear_refs 4 + pagemap bit 55 probe, as apps/vmbench)"
	native_mode=mprotect
fi
echo "gcbench: native Linux: $hostvdb"

# reason ERRFILE STATUS: why a run failed: timed out, or the last line
# from exo or bdwgc that says what went wrong.
reason() {
	local r e
	case $2 in 124 | 137) echo "timed out after $TIMEOUT s (exit status $2)"; return ;; esac
	# bdwgc's own last complaint first, then exo's.
	r=$(grep -E '^(GC Warning|Could not|Failed|Test failed|.*FAILED|.*produced)' "$1" 2>/dev/null | tail -1 || true)
	e=$(grep -E '^exo: ' "$1" 2>/dev/null | grep -vE '^exo: (stats|vm|posix-shim: soft-dirty): ' | tail -1 |
		sed 's/^exo: //' || true)
	echo "${r:+$r; }${e:+$e; }exit status $2"
}

# one ID REP CMD...: run CMD (stdout and stderr together in a file), time
# it, and record what it printed as "kv ID k=v ...".
one() {
	local id=$1 rep=$2 o=$run/$1.$2.out rc=0 t0 t1 kv
	shift 2
	t0=$EPOCHREALTIME
	(cd "$run/root" && timeout -k 5 "$TIMEOUT" "$@") >"$o" 2>&1 || rc=$?
	t1=$EPOCHREALTIME
	if [ $rc != 0 ]; then
		fact f "$id" "$(reason "$o" $rc)"
		return 0
	fi
	kv="wall_ms=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", (b - a) * 1000 }')"
	# gctest: "Completed N collections in M ms", the mode line.
	kv="$kv $(sed -n 's/^Completed \([0-9]*\) collections in \([0-9]*\) ms.*/gc_no=\1 pause_total_ms=\2/p' "$o")"
	grep -q '^Reading dirty bits from /proc' "$o" && kv="$kv vdb=dirty-bits"
	grep -q '^Emulating dirty bits with mprotect' "$o" && kv="$kv vdb=mprotect"
	# gcbench: its result line, k=v already (its own wall_ms, from its
	# first allocation to its check, as inner_ms).
	kv="$kv $(sed -n 's/^gcbench: ok wall_ms=/inner_ms=/p' "$o")"
	# exo --stats: exits, forwards; posix-shim's soft-dirty line if any:
	# "exo: posix-shim: soft-dirty: R pagemap reads (P pages, D
	# soft-dirty), C clears; ..." (D: pages reported dirty).
	kv="$kv $(sed -n 's/^exo: stats: exits: .* total=\([0-9]*\).*/exits=\1/p' "$o")"
	kv="$kv $(sed -n 's/^exo: stats: hypercalls: .*forward=\([0-9]*\).*/forwards=\1/p' "$o")"
	kv="$kv $(grep -E '^exo: .*pagemap' "$o" | head -1 |
		sed -n 's/.* \([0-9]*\) pagemap reads (\([0-9]*\) pages, \([0-9]*\) soft-dirty), \([0-9]*\) clears.*/pagemap_reads=\1 pagemap_pages=\2 dirty_pages=\3 clears=\4/p' || true)"
	grep -q 'GC Warning' "$o" && kv="$kv warned=1"
	fact kv "$id" "$kv"
}

rm -rf "$run/root"
mkdir -p "$run/root"
ids="gctest_native gctest_exo gctest_exo_mprotect gcbench_native gcbench_exo gcbench_exo_mprotect"
fact cmd gctest_native "gctest, native Linux ($native_mode)"
fact cmd gctest_exo "gctest, exo (hardware dirty bits)"
fact cmd gctest_exo_mprotect "gctest, exo, GC_USE_GETWRITEWATCH=0 (mprotect)"
fact cmd gcbench_native "gcbench -i, native Linux ($native_mode)"
fact cmd gcbench_exo "gcbench -i, exo (hardware dirty bits)"
fact cmd gcbench_exo_mprotect "gcbench -i, exo, GC_USE_GETWRITEWATCH=0 (mprotect)"
fact want gctest_native "$native_mode"
fact want gcbench_native "$native_mode"
for id in gctest_exo gcbench_exo; do fact want "$id" dirty-bits; done
for id in gctest_exo_mprotect gcbench_exo_mprotect; do fact want "$id" mprotect; done
fact how gctest_native "gctest"
fact how gctest_exo "exo run --stats --root DIR gctest"
fact how gctest_exo_mprotect "exo run --stats --env GC_USE_GETWRITEWATCH=0 --root DIR gctest"
fact how gcbench_native "gcbench -i -q"
fact how gcbench_exo "exo run --stats --root DIR gcbench -i -q"
fact how gcbench_exo_mprotect "exo run --stats --env GC_USE_GETWRITEWATCH=0 --root DIR gcbench -i -q"

echo "gctest and gcbench: native, exo (dirty bits), exo (mprotect); $REPS runs each, interleaved ..."
for rep in $(seq 1 "$REPS"); do
	one gctest_native "$rep" env -i "$GCTEST"
	one gctest_exo "$rep" "$EXO" run --stats --root . "$GCTEST"
	one gctest_exo_mprotect "$rep" "$EXO" run --stats --env GC_USE_GETWRITEWATCH=0 --root . "$GCTEST"
	one gcbench_native "$rep" env -i "$GCBENCH" -i -q
	one gcbench_exo "$rep" "$EXO" run --stats --root . "$GCBENCH" -i -q
	one gcbench_exo_mprotect "$rep" "$EXO" run --stats --env GC_USE_GETWRITEWATCH=0 --root . "$GCBENCH" -i -q
	echo "  run $rep of $REPS done"
done

load1=$(cut -d' ' -f1-3 /proc/loadavg)
dat=$run/gcbench.dat
: >"$dat"
awk -F'\t' -v machine="$machine" -v date="$date" -v json="$out/gcbench.json" -v dat="$dat" -v reps="$REPS" \
	-v hostvdb="$hostvdb" -v ids="$ids" -v load1="$load1" \
	-f "$(dirname "${BASH_SOURCE[0]}")/../bench-stats.awk" -f /dev/stdin "$facts" <<'AWK'
	function add(k, v) { val[k, ++cnt[k]] = v }
	function med(k) { return stats(k) ? MED : "" }
	function spread() { return MED ? sprintf("-%.0f/+%.0f%%", 100 * (MED - MIN) / MED, 100 * (MAX - MED) / MED) : "" }
	function num(x, f) { return x == "" ? "n/a" : sprintf(f, x) }
	function jnum(x) { return x == "" ? "null" : sprintf("%.6g", x) }
	function jstats(k) {
		if (!stats(k)) return "null"
		return sprintf("{\"median\": %.6g, \"min\": %.6g, \"max\": %.6g, \"n\": %d}", MED, MIN, MAX, cnt[k])
	}
	$1 == "cmd" { cmd[$2] = $3 }
	$1 == "how" { how[$2] = $3 }
	$1 == "want" { want[$2] = $3 }
	$1 == "f" { nfail[$2]++; if (!(($2) in fail)) fail[$2] = $3 }
	$1 == "kv" {
		n = split($3, kv, " ")
		delete r
		for (i = 1; i <= n; i++) { split(kv[i], p, "="); r[p[1]] = p[2] }
		id = $2; seen[id] = 1
		if (r["vdb"] != "") { if (!((id) in mode) || mode[id] == r["vdb"]) mode[id] = r["vdb"]; else mode[id] = "mixed" }
		if (r["warned"]) warned[id]++
		for (k in r) if (r[k] ~ /^[0-9.]+$/) add(k SUBSEP id, r[k])
		if (r["gc_no"] > 0) {
			if (r["exits"] != "") add("exits_per_gc" SUBSEP id, r["exits"] / r["gc_no"])
			if (r["forwards"] != "") add("fwd_per_gc" SUBSEP id, r["forwards"] / r["gc_no"])
			if (r["dirty_pages"] != "") add("dirty_per_gc" SUBSEP id, r["dirty_pages"] / r["gc_no"])
			if (r["pagemap_reads"] != "") add("reads_per_gc" SUBSEP id, r["pagemap_reads"] / r["gc_no"])
		}
	}
	END {
		printf "\nbdwgc 8.2.2 incremental, static musl; median of %d runs (-min/+max); wall: the whole command\n", reps
		printf "%-50s %-20s %7s %10s %9s %7s %9s %9s %10s  %s\n", "", "wall", "GCs", "pause tot", "pause max", "vs nat", "exits/GC", "fwd/GC", "dirty/GC", "mode"
		printf "{\n  \"machine\": %s,\n  \"date\": %s,\n  \"native_dirty_tracking\": %s,\n", jstr(machine), jstr(date), jstr(hostvdb) > json
		printf "  \"method\": %s,\n  \"rows\": [\n", jstr("wall: whole command incl. exo start, ms; collections: GC_get_gc_no (gcbench) or gctest's \"Completed N collections\"; pauses: gcbench's GC_set_on_collection_event pauses (START..END, MARK_START..RECLAIM_END), gctest's total full-collection time; exits: exo --stats total / collections; dirty pages: posix-shim's pagemap stats line / collections; " reps " runs each, interleaved") > json
		n = split(ids, row, " ")
		for (i = 1; i <= n; i++) {
			x = row[i]
			prog = x; sub(/_.*/, "", prog)
			nat = med("wall_ms" SUBSEP prog "_native")
			f = (x in fail) ? sprintf("%d of %d runs failed, the first: %s", nfail[x], reps, fail[x]) : ""
			m = (x in mode) ? mode[x] : "none said"
			if (x in mode && mode[x] != want[x]) m = m " (expected " want[x] ")"
			if (warned[x]) m = m ", GC Warning in " warned[x] " runs"
			if (!seen[x]) {
				printf "%-50s n/a: %s\n", cmd[x], f == "" ? "no run succeeded" : f
				printf "    {\"row\": %s, \"what\": %s, \"command\": %s, \"failed\": %s}%s\n", jstr(x), jstr(cmd[x]), jstr(how[x]), \
					jstr(f == "" ? "no run succeeded" : f), i < n ? "," : "" > json
				printf "%s ? ? ? ? ?\n", x > dat
				continue
			}
			stats("wall_ms" SUBSEP x); w = MED; wcell = sprintf("%.0f ms %s", MED, spread()); wlo = MIN; whi = MAX
			gc = med("gc_no" SUBSEP x); pt = med("pause_total_ms" SUBSEP x); pm = med("pause_max_ms" SUBSEP x)
			ratio = nat != "" && nat > 0 ? w / nat : ""
			ex = med("exits_per_gc" SUBSEP x); fw = med("fwd_per_gc" SUBSEP x); dp = med("dirty_per_gc" SUBSEP x)
			isexo = x ~ /_exo/
			printf "%-50s %-20s %7s %10s %9s %7s %9s %9s %10s  %s\n", cmd[x], wcell, num(gc, "%.0f"), num(pt, "%.1f ms"), \
				num(pm, "%.2f ms"), num(ratio, "%.2f"), isexo ? num(ex, "%.1f") : "-", isexo ? num(fw, "%.1f") : "-", \
				isexo ? num(dp, "%.1f") : "-", m
			if (f != "") printf "  (%s)\n", f
			printf "    {\"row\": %s, \"what\": %s, \"command\": %s, \"mode\": %s, \"wall_ms\": %s, \"collections\": %s, \"pause_total_ms\": %s, \"pause_max_ms\": %s, \"mark_total_ms\": %s, \"mark_max_ms\": %s, \"gcbench_wall_ms\": %s, \"ratio_to_native\": %s, \"exits\": %s, \"exits_per_collection\": %s, \"forwards_per_collection\": %s, \"dirty_pages_per_collection\": %s, \"pagemap_reads_per_collection\": %s, \"failed\": %s}%s\n", \
				jstr(x), jstr(cmd[x]), jstr(how[x]), jstr(m), jstats("wall_ms" SUBSEP x), jnum(gc), jnum(pt), jnum(pm), \
				jnum(med("mark_total_ms" SUBSEP x)), jnum(med("mark_max_ms" SUBSEP x)), \
				x ~ /^gcbench/ ? jnum(med("inner_ms" SUBSEP x)) : "null", jnum(ratio), jnum(med("exits" SUBSEP x)), \
				jnum(ex), jnum(fw), jnum(dp), jnum(med("reads_per_gc" SUBSEP x)), f == "" ? "null" : jstr(f), i < n ? "," : "" > json
			printf "%s %.1f %.1f %.1f %s %s\n", x, w, wlo, whi, pt == "" ? "?" : pt, ex == "" ? "?" : ex > dat
		}
		printf "  ]\n}\n" > json
		printf "native Linux: %s\n", hostvdb
		printf "gctest's pause total is its full-collection time (no per-pause figures); gcbench's pauses come from the collector's events\n"
		printf "dirty/GC: pages posix-shim reported soft-dirty through pagemap per collection (its \"soft-dirty: ... pagemap reads\" line; n/a without one)\n"
		printf "fwd/GC: forwarded calls (exits to the host) per collection; bdwgc's clock (clock(): CLOCK_PROCESS_CPUTIME_ID with musl) is most of them\n"
	}
AWK

echo
echo "machine: $machine"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg) at the end"
if command -v gnuplot >/dev/null && [ -s "$dat" ]; then
	# Rows grouped by program: columns native, exo dirty bits, exo mprotect.
	awk '{ v[$1] = $2 " " $3 " " $4 }
	     END { for (p = 1; p <= 2; p++) { n = p == 1 ? "gctest" : "gcbench"
	             a = (n "_native") in v ? v[n "_native"] : "? ? ?"
	             b = (n "_exo") in v ? v[n "_exo"] : "? ? ?"
	             c = (n "_exo_mprotect") in v ? v[n "_exo_mprotect"] : "? ? ?"
	             print n, a, b, c } }' "$dat" >"$run/wall.dat"
	gnuplot 2>"$run/gnuplot.log" <<PLOT
set terminal pngcairo size 900,500
set output "$out/gcbench.png"
set datafile missing "?"
set title "bdwgc incremental: wall time, median of $REPS (bars: min..max)\n${cpu//\"/}, KVM ${kvmkind%% (*}"
set style data histograms
set style histogram errorbars gap 1 lw 1
set style fill solid 0.8 border -1
set key outside top center horizontal
set ylabel "ms"
set yrange [0:*]
plot "$run/wall.dat" using 2:3:4:xtic(1) title "Linux ($native_mode)", \
     "" using 5:6:7 title "exo, hardware dirty bits", "" using 8:9:10 title "exo, mprotect"
PLOT
	echo "wrote $out/gcbench.json and $out/gcbench.png"
else
	echo "wrote $out/gcbench.json (gnuplot missing: no chart)"
fi
