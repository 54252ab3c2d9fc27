#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# apps/syscalls/bench.sh BUILD: system calls and real programs, natively and
# on exo (application in ring 3 and in ring 0), in one run.
#
# 1. BUILD/apps/syscalls (one static musl binary, apps/syscalls/syscalls.c)
#    times each row natively, under `exo run --ring 3` and under
#    `exo run --ring 0`: median, min and max over SYSCALLS_REPS repetitions
#    (default 5) of an iteration count calibrated to SYSCALLS_TARGET_MS
#    (default 100) per repetition. Exits per operation come from separate
#    `exo run --stats` runs of `syscalls count ROW N` minus `ROW 0`.
# 2. The programs tests/programs/build.sh builds (lua, bzip2, sqlite3) on
#    tests/programs' workloads: wall time of the whole command (exo's start
#    and teardown included), native and under exo interleaved,
#    PROGRAMS_REPS (default 5) times each; median, min, max.
#
# Prints both tables and the machine, writes BUILD/bench/syscalls.json and
# BUILD/bench/syscalls.png (with gnuplot). Scratch directories stay in
# BUILD/bench/syscalls-run/. Exo runs that fail are reported as n/a with
# exo's reason; nothing is filled in for them.
set -euo pipefail
B=${1:-build}
ROOT=$(pwd)
B=$(cd "$B" && pwd)
out=$B/bench
run=$out/syscalls-run
EXO=$B/exo
PROG=$B/apps/syscalls
TARGET_MS=${SYSCALLS_TARGET_MS:-100}
REPS=${SYSCALLS_REPS:-5}
COUNT_N=${SYSCALLS_COUNT_N:-200}
PREPS=${PROGRAMS_REPS:-5}
TIMEOUT=${SYSCALLS_TIMEOUT:-300}
# shellcheck source=apps/bench-common.sh
. "$(dirname "${BASH_SOURCE[0]}")/../bench-common.sh"
echo "syscalls: $machine"

# reason ERRFILE STATUS: why an exo run failed: timed out, or exo's last
# own line that is not a statistic, with the exit status.
reason() {
	local r
	case $2 in 124 | 137) echo "timed out (exit status $2)"; return ;; esac
	r=$(grep -E '^exo: ' "$1" | grep -v '^exo: stats:' | tail -1 | sed 's/^exo: //' || true)
	echo "${r:+$r; }exit status $2"
}

# ------------------------------------------------------------ system calls

echo "system calls: native Linux, exo ring 3, exo ring 0 (${REPS} x ~${TARGET_MS} ms per row each) ..."
mkdir -p "$run/linux" "$run/exo3" "$run/exo0"
(cd "$run/linux" && "$PROG" bench "$TARGET_MS" "$REPS") >"$run/linux.out"
for r in 3 0; do
	rc=0
	(cd "$run/exo$r" && timeout -k 5 "$TIMEOUT" "$EXO" run --mem 128M --ring $r --root . \
		"$PROG" bench "$TARGET_MS" "$REPS") >"$run/exo$r.out" 2>"$run/exo$r.err" || rc=$?
	if [ $rc = 0 ]; then
		fact st "exo$r" ok
	else
		fact st "exo$r" "n/a: $(reason "$run/exo$r.err" $rc)"
	fi
done
for s in linux exo3 exo0; do
	awk -F'\t' -v s=$s -v OFS='\t' '
		$1 == "row" && s == "linux" { print "row", $2, $3 }
		$1 == "rep" { printf "t\t%s\t%s\t%.3f\n", s, $2, $4 / $3 }' "$run/$s.out" >>"$facts"
done

echo "exits per operation: exo --stats, each row run $COUNT_N times and 0 times ..."
stat_of() { # FILE WHAT: exits total or forward count from exo --stats
	local v
	case $2 in
	exits) v=$(sed -n 's/^exo: stats: exits:.* total=\([0-9]*\)$/\1/p' "$1" | tail -1) ;;
	forward) v=$(sed -n 's/^exo: stats: hypercalls:.* forward=\([0-9]*\).*/\1/p' "$1" | tail -1) ;;
	esac
	echo "${v:-0}"
}
for r in 3 0; do
	grep -qx "st	exo$r	ok" "$facts" || continue
	for id in $("$PROG" list | cut -f2); do
		ok=1
		for n in 0 "$COUNT_N"; do
			(cd "$run/exo$r" && timeout -k 5 "$TIMEOUT" "$EXO" run --mem 128M --ring $r --stats \
				--root . "$PROG" count "$id" "$n") >"$run/count$r.out" 2>"$run/count$r.$n.err" || ok=0
		done
		[ $ok = 1 ] || continue
		e0=$(stat_of "$run/count$r.0.err" exits) f0=$(stat_of "$run/count$r.0.err" forward)
		e1=$(stat_of "$run/count$r.$COUNT_N.err" exits) f1=$(stat_of "$run/count$r.$COUNT_N.err" forward)
		fact x "exo$r" "$id" "$(awk -v a="$e1" -v b="$e0" -v n="$COUNT_N" 'BEGIN { printf "%.3f", (a - b) / n }')" \
			"$(awk -v a="$f1" -v b="$f0" -v n="$COUNT_N" 'BEGIN { printf "%.3f", (a - b) / n }')"
	done
done

# -------------------------------------------------------- real programs

BIN=$B/programs/bin
P=$run/programs
declare -A CMD STDIN CLEAN
WORKLOADS=(lua bzip2-9 bzip2-d sqlite3)
CMD[lua]="lua workload.lua 20000 input.txt"
CMD[bzip2-9]="bzip2 -9 -c data.bin"
CMD[bzip2-d]="bzip2 -d -c data.bin.bz2"
CMD[sqlite3]="sqlite3 -init init.sql shop.db"
STDIN[sqlite3]=workload.sql
CLEAN[sqlite3]="shop.db shop.db-journal backup.db"

progs_na=
echo "real programs: tests/programs/build.sh $B ..."
if ! (cd "$ROOT" && bash tests/programs/build.sh "$B") >"$run/programs-build.log" 2>&1; then
	progs_na="tests/programs/build.sh failed: $(tail -1 "$run/programs-build.log")"
else
	mkdir -p "$P/inputs"
	"$BIN/lua" "$ROOT/tests/programs/gen.lua" text 3000 >"$P/inputs/input.txt"
	"$BIN/lua" "$ROOT/tests/programs/gen.lua" mixed $((6 * 1024 * 1024)) >"$P/inputs/data.bin"
	"$BIN/bzip2" -9 -c "$P/inputs/data.bin" >"$P/inputs/data.bin.bz2"
	cp "$ROOT/tests/programs/"{workload.lua,workload.sql,init.sql} "$P/inputs/"
	for s in linux exo3 exo0; do mkdir -p "$P/$s" && cp "$P/inputs/"* "$P/$s/"; done
fi

# run_prog SIDE ID REP: one timed run; sets secs and rc.
run_prog() {
	local side=$1 id=$2 dir=$P/$1 in=/dev/null t0 t1
	# shellcheck disable=SC2086 # CLEAN and CMD are word lists
	(cd "$dir" && rm -f ${CLEAN[$id]:-})
	[ -n "${STDIN[$id]:-}" ] && in=$dir/${STDIN[$id]}
	local -a cmd
	read -ra cmd <<<"${CMD[$id]}"
	rc=0
	t0=$EPOCHREALTIME
	if [ "$side" = linux ]; then
		(cd "$dir" && exec env -i "$BIN/${cmd[0]}" "${cmd[@]:1}") \
			<"$in" >"$dir/$id.out" 2>"$dir/$id.err" || rc=$?
	else
		(cd "$dir" && exec timeout -k 5 "${PTIMEOUT:-$TIMEOUT}" env -i "$EXO" run --ring "${side#exo}" \
			${STATS:+--stats} --root "$dir" "$BIN/${cmd[0]}" "${cmd[@]:1}") \
			<"$in" >"$dir/$id.out" 2>"$dir/$id.err" || rc=$?
	fi
	t1=$EPOCHREALTIME
	secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.4f", b - a }')
	echo "$rc" >"$dir/$id.rc"
}

if [ -z "$progs_na" ]; then
	echo "real programs: ${WORKLOADS[*]}, native and exo ring 3 interleaved, $PREPS times each ..."
	for id in "${WORKLOADS[@]}"; do
		fact pdesc "$id" "${CMD[$id]}${STDIN[$id]:+ < ${STDIN[$id]}}"
		# exo runs whose exit status is not Linux's are reported n/a with
		# exo's reason, and that side stops; ring 0 also stops when one
		# run takes over R0_TIMEOUT s (default 60: ring 0 may be emulated).
		r3=ok r0=ok
		for k in $(seq 1 "$PREPS"); do
			run_prog linux "$id"
			fact p "$id" linux "$secs"
			lrc=$rc
			if [ "$r3" = ok ]; then
				run_prog exo3 "$id"
				if [ "$rc" != "$lrc" ]; then
					r3="n/a: $(reason "$P/exo3/$id.err" "$rc")"
				else
					fact p "$id" exo3 "$secs"
					if [ "$k" = 1 ]; then
						# Same output as Linux? Then one more run, untimed,
						# with --stats (which adds hv's lines to stdout).
						same=yes
						cmp -s "$P/linux/$id.out" "$P/exo3/$id.out" || same=no
						STATS=1 run_prog exo3 "$id"
						fact pst "$id" exo3 ok "$same" "$(stat_of "$P/exo3/$id.err" exits)" \
							"$(stat_of "$P/exo3/$id.err" forward)" "$lrc"
					fi
				fi
			fi
			if [ "$r0" = ok ]; then
				PTIMEOUT=${R0_TIMEOUT:-60} run_prog exo0 "$id"
				if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
					r0="n/a: over ${R0_TIMEOUT:-60} s in ring 0"
				elif [ "$rc" != "$lrc" ]; then
					r0="n/a: $(reason "$P/exo0/$id.err" "$rc")"
				else
					fact p "$id" exo0 "$secs"
				fi
			fi
		done
		[ "$r3" = ok ] || fact pst "$id" exo3 "$r3"
		fact pst "$id" exo0 "$r0"
	done
fi

# --------------------------------------------------------------- report

awk -F'\t' -v machine="$machine" -v date="$date" -v json="$out/syscalls.json" \
	-v dat="$run/syscalls.dat" -v pdat="$run/programs.dat" -v target="$TARGET_MS" \
	-v reps="$REPS" -v countn="$COUNT_N" -v preps="$PREPS" -v progs_na="$progs_na" \
	-f "$(dirname "${BASH_SOURCE[0]}")/../bench-stats.awk" -f /dev/stdin "$facts" <<'AWK'
	function t(ns) {
		if (ns < 10000) return sprintf("%.0f ns", ns)
		if (ns < 10000000) return sprintf("%.1f us", ns / 1000)
		return sprintf("%.1f ms", ns / 1e6)
	}
	function cell(k, unit,   s) {
		if (!stats(k)) return "n/a"
		s = unit == "s" ? sprintf("%.3f s", MED) : t(MED)
		return sprintf("%s -%.0f/+%.0f%%", s, 100 * (MED - MIN) / MED, 100 * (MAX - MED) / MED)
	}
	function jstats(k, unit) {
		if (!stats(k)) return "null"
		return sprintf("{\"median\": %.6g, \"min\": %.6g, \"max\": %.6g, \"reps\": %d}", MED, MIN, MAX, cnt[k])
	}
	function ratio(a, b,   x) {
		if (!stats(a)) return "n/a"; x = MED
		if (!stats(b)) return "n/a"; x = MED / x
		return x >= 100 ? sprintf("%.0f", x) : x >= 10 ? sprintf("%.1f", x) : sprintf("%.2f", x)
	}
	function jratio(a, b) { r = ratio(a, b); return r == "n/a" ? "null" : r }
	function med(k) { return stats(k) ? sprintf("%.6g", MED) : "?" }
	function lo(k) { return stats(k) ? sprintf("%.6g", MIN) : "?" }
	function hi(k) { return stats(k) ? sprintf("%.6g", MAX) : "?" }
	$1 == "row" && !(($2) in name) { order[++nrows] = $2; name[$2] = $3 }
	$1 == "t" { k = "s" SUBSEP $2 SUBSEP $3; val[k, ++cnt[k]] = $4 }
	$1 == "x" { xe[$2, $3] = $4; xf[$2, $3] = $5 }
	$1 == "st" { st[$2] = $3 }
	$1 == "pdesc" { porder[++nprogs] = $2; pdesc[$2] = $3 }
	$1 == "p" { k = "p" SUBSEP $3 SUBSEP $2; val[k, ++cnt[k]] = $4 }
	$1 == "pst" { pst[$2, $3] = $4; if ($3 == "exo3" && $4 == "ok") { psame[$2] = $5; pexits[$2] = $6; pfwd[$2] = $7; prc[$2] = $8 } }
	END {
		ex3 = "s" SUBSEP "exo3"; ex0 = "s" SUBSEP "exo0"; lx = "s" SUBSEP "linux"
		printf "\nsystem calls: time per operation, median over %d reps of ~%d ms each, -min/+max %% of median\n", reps, target
		printf "%-47s %-18s %-18s %6s %8s %-18s %6s %8s\n", "operation", "linux", "exo r3", "r3/lx", "exits/op", "exo r0", "r0/lx", "exits/op"
		printf "{\n  \"machine\": %s,\n  \"date\": %s,\n", jstr(machine), jstr(date) > json
		printf "  \"method\": %s,\n", jstr("one static musl binary (build/apps/syscalls, -mgeneral-regs-only) run natively and under exo run --ring 3 / --ring 0; per row an iteration count calibrated to ~" target " ms per rep, " reps " reps; times are CLOCK_MONOTONIC ns per operation; exits per operation from exo run --stats of the row run " countn " times minus 0 times") > json
		printf "  \"exo_ring3\": %s,\n  \"exo_ring0\": %s,\n  \"syscalls\": [\n", jstr(st["exo3"]), jstr(st["exo0"]) > json
		for (i = 1; i <= nrows; i++) {
			op = order[i]
			l = lx SUBSEP op; e3 = ex3 SUBSEP op; e0 = ex0 SUBSEP op
			x3 = ("exo3", op) in xe ? sprintf("%.3f", xe["exo3", op]) : "n/a"
			x0 = ("exo0", op) in xe ? sprintf("%.3f", xe["exo0", op]) : "n/a"
			printf "%-47s %-18s %-18s %6s %8s %-18s %6s %8s\n", name[op], cell(l), cell(e3), ratio(l, e3), x3, cell(e0), ratio(l, e0), x0
			printf "    {\"op\": %s, \"name\": %s,\n     \"linux_ns\": %s,\n", jstr(op), jstr(name[op]), jstats(l) > json
			printf "     \"exo_ring3_ns\": %s, \"ratio_ring3\": %s, \"exits_per_op_ring3\": %s, \"forwards_per_op_ring3\": %s,\n", \
				jstats(e3), jratio(l, e3), x3 == "n/a" ? "null" : x3, ("exo3", op) in xf ? xf["exo3", op] : "null" > json
			printf "     \"exo_ring0_ns\": %s, \"ratio_ring0\": %s, \"exits_per_op_ring0\": %s, \"forwards_per_op_ring0\": %s}%s\n", \
				jstats(e0), jratio(l, e0), x0 == "n/a" ? "null" : x0, ("exo0", op) in xf ? xf["exo0", op] : "null", i < nrows ? "," : "" > json
			printf "%s %s %s %s %s %s %s %s %s %s\n", op, med(l), lo(l), hi(l), med(e3), lo(e3), hi(e3), med(e0), lo(e0), hi(e0) > dat
		}
		printf "  ],\n" > json
		if (st["exo3"] != "ok") printf "exo ring 3: %s\n", st["exo3"]
		if (st["exo0"] != "ok") printf "exo ring 0: %s\n", st["exo0"]

		printf "\nreal programs: wall time of the whole command, median of %d, -min/+max %% of median\n", preps
		printf "%-10s %-46s %-18s %-18s %6s %8s %8s %s\n", "program", "command", "linux", "exo r3", "r3/lx", "exits", "forwards", "exo r0, r0/lx"
		printf "  \"programs_note\": %s,\n  \"programs\": [\n", jstr(progs_na != "" ? progs_na : "tests/programs workloads; wall time of the whole command including exo start and teardown; exo run --stats counts from the first exo run") > json
		if (progs_na != "") printf "n/a: %s\n", progs_na
		for (i = 1; i <= nprogs; i++) {
			id = porder[i]
			l = "p" SUBSEP "linux" SUBSEP id; e3 = "p" SUBSEP "exo3" SUBSEP id; e0 = "p" SUBSEP "exo0" SUBSEP id
			n3 = pst[id, "exo3"] == "ok" ? "" : pst[id, "exo3"]
			if (pst[id, "exo0"] == "ok") r0 = cell(e0, "s") "  " ratio(l, e0)
			else { if (!(pst[id, "exo0"] in noteno)) { noteno[pst[id, "exo0"]] = ++nnotes; note[nnotes] = pst[id, "exo0"] }
				r0 = "n/a [" noteno[pst[id, "exo0"]] "]" }
			printf "%-10s %-46s %-18s %-18s %6s %8s %8s %s\n", id, pdesc[id], cell(l, "s"), n3 != "" ? n3 : cell(e3, "s"), ratio(l, e3), pexits[id], pfwd[id], r0
			if (psame[id] == "no") printf "%-10s   (exit status or stdout differs between linux and exo: see %s)\n", "", "build/bench/syscalls-run/programs"
			printf "    {\"program\": %s, \"command\": %s, \"linux_s\": %s,\n", jstr(id), jstr(pdesc[id]), jstats(l) > json
			printf "     \"exo_ring3_s\": %s, \"ratio_ring3\": %s, \"exits_ring3\": %s, \"forwards_ring3\": %s, \"same_output\": %s, \"exit_status\": %s,\n", \
				jstats(e3), jratio(l, e3), pexits[id] != "" ? pexits[id] : "null", pfwd[id] != "" ? pfwd[id] : "null", \
				psame[id] == "yes" ? "true" : psame[id] == "no" ? "false" : "null", prc[id] != "" ? prc[id] : "null" > json
			printf "     \"exo_ring0_s\": %s, \"ratio_ring0\": %s, \"exo_ring0\": %s}%s\n", jstats(e0), jratio(l, e0), jstr(pst[id, "exo0"]), i < nprogs ? "," : "" > json
			printf "%s %s %s %s %s %s %s %s %s %s\n", id, med(l), lo(l), hi(l), med(e3), lo(e3), hi(e3), med(e0), lo(e0), hi(e0) > pdat
		}
		printf "  ]\n}\n" > json
		for (i = 1; i <= nnotes; i++) printf "[%d] exo r0 %s\n", i, note[i]
		if (nprogs) printf "exits and forwards: one extra exo ring 3 run with --stats (untimed); the timed runs have no --stats\n"
	}
AWK

echo
echo "machine: $machine"
grep -h '^vm: application' "$run/count3.out" "$run/count0.out" 2>/dev/null || true
if command -v gnuplot >/dev/null; then
	[ -s "$run/programs.dat" ] || echo '"none" ? ? ? ? ? ? ? ? ?' >"$run/programs.dat"
	p0=', "" using 8:9:10 title "exo, app in ring 0"'
	awk '$8 != "?" { found = 1 } END { exit !found }' "$run/programs.dat" || p0=
	gnuplot <<PLOT
set terminal pngcairo size 1100,900
set output "$out/syscalls.png"
set datafile missing "?"
set multiplot layout 2,1 title "${cpu//\"/}, KVM ${kvmkind%% (*}"
set style data histograms
set style histogram errorbars gap 1 lw 1
set style fill solid 0.8 border -1
set key outside top center horizontal
set title "system calls: median ns per operation (bars: min..max), log scale"
set logscale y
set ylabel "ns per operation"
set xtics rotate by -25
plot "$run/syscalls.dat" using 2:3:4:xtic(1) title "Linux", \
     "" using 5:6:7 title "exo, app in ring 3", "" using 8:9:10 title "exo, app in ring 0"
unset logscale y
set title "real programs: wall time, median of $PREPS (bars: min..max)${p0:-; ring 0 n/a, see syscalls.json}"
set ylabel "seconds"
set yrange [0:*]
plot "$run/programs.dat" using 2:3:4:xtic(1) title "Linux", \
     "" using 5:6:7 title "exo, app in ring 3"$p0
unset multiplot
PLOT
	echo "wrote $out/syscalls.json and $out/syscalls.png"
else
	echo "wrote $out/syscalls.json (gnuplot missing: no chart)"
fi
