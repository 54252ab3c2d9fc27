#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# apps/vmbench/bench.sh BUILD [check]: Appel and Li's primitives
# (apps/vmbench/vmbench.c) natively on Linux and on exo with the
# application in ring 3 and in ring 0, in one run.
#
# Each side runs every row as independent repetitions (vmbench prints one
# "rep" line per repetition); the table gives, per operation, the median
# and [min-max] over them of the wall-clock time and of the rdtsc ticks,
# the exo/Linux ratios of the medians, and exits per operation from hv's
# counters. Linux and exo ring 3 run vmbench's full sizes; exo ring 0
# (emulated on hosts without hardware ring 0 for guests, ~100x slower)
# runs its short sizes: fewer operations per repetition, as the table's
# ops/rep column says. Writes BUILD/bench/vmbench.json, and with gnuplot
# BUILD/bench/vmbench.png; the raw output stays in BUILD/bench/vmbench-run/.
#
# Path length: where BUILD/bench/vmbench-bochs.out exists (make bench and
# make bench-check build it when hv/metal is configured: vmbench in quick
# mode on hv/metal under Bochs, apps/vmbench/metal.list), a third table
# gives instructions per operation, application in ring 0 (Dune mode) and
# ring 3 (Aegis mode): Bochs's TSC counts instructions, which the calib row
# (a loop of 2000 instructions) must confirm, so the ticks are a count no
# host can distort: the guest's instructions and, where an operation
# exits, hv/metal's.
#
# check: the quick mode (tiny counts) natively and on exo ring 3 only;
# fails unless both runs passed vmbench's own checks and every row
# produced a number on both sides, and on both Bochs sides where they ran
# (make bench-check).
set -euo pipefail
B=${1:-build}
MODE=${2:-bench}
out=$B/bench
mkdir -p "$out"
case $MODE in
bench) run=$out/vmbench-run ;;
check) run=$out/vmbench-check ;;
*) echo "usage: $0 BUILD [check]" >&2; exit 2 ;;
esac
TIMEOUT=${VMBENCH_TIMEOUT:-120}
ROWS="trap trap_unprot prot1 unprot appel1 appel2 dirty scan batch map2"
# shellcheck source=apps/bench-common.sh
. "$(dirname "${BASH_SOURCE[0]}")/../bench-common.sh"
STATS=$(dirname "${BASH_SOURCE[0]}")/../bench-stats.awk

# reason ERRFILE STATUS: why a run failed.
reason() {
	local r
	case $2 in 124 | 137) echo "timed out after ${TIMEOUT} s"; return ;; esac
	r=$(grep -hvE '^(exo: stats:|rep |result )' "$1" | tail -1 || true)
	echo "${r:+$r; }exit status $2"
}

# side NAME SIZES COMMAND...: one run; its status goes to the facts file.
side() {
	local name=$1 sizes=$2 rc=0
	shift 2
	timeout -k 5 "$TIMEOUT" "$@" "$sizes" >"$run/$name.out" 2>"$run/$name.err" || rc=$?
	if [ $rc = 0 ]; then fact st "$name" ok; else
		cat "$run/$name.out" >>"$run/$name.err"
		fact st "$name" "n/a: $(reason "$run/$name.err" $rc)"
	fi
}

echo "vmbench: $machine"
if [ "$MODE" = check ]; then
	echo "vmbench check: quick mode, native Linux and exo ring 3 ..."
	side linux quick "$B/bench/vmbench-linux"
	side exo3 quick "$B/exo" run --mem 256M --ring 3 --stats "$B/apps/vmbench"
	: >"$run/exo0.out"
	fact st exo0 "not run (check mode)"
else
	echo "running native Linux, exo ring 3 (full sizes), exo ring 0 (short sizes; slow where the host emulates ring 0) ..."
	t0=$(date +%s)
	side linux full "$B/bench/vmbench-linux"
	side exo3 full "$B/exo" run --mem 256M --ring 3 --stats "$B/apps/vmbench"
	side exo0 short "$B/exo" run --mem 256M --ring 0 --stats "$B/apps/vmbench"
	echo "(the three runs took $(($(date +%s) - t0)) s)"
fi

# hv/metal under Bochs: each guest's lines, without the "NAME: " prefix.
bochs=$out/vmbench-bochs.out
for r in 0 3; do
	if [ -f "$bochs" ]; then
		sed -n "s/^vmbench-r$r: //p" "$bochs" | tr -d '\r' >"$run/bochs$r.out"
	else
		: >"$run/bochs$r.out"
	fi
done

awk -v machine="$machine" -v kvmkind="$kvmkind" -v date="$date" -v rows="$ROWS" \
	-v mode="$MODE" -v json="$out/vmbench.json" -v dat="$run/vmbench.dat" -v facts="$facts" \
	-v before="$(dirname "${BASH_SOURCE[0]}")/bochs-before.txt" \
	-f "$STATS" -f /dev/stdin "$run/linux.out" "$run/exo3.out" "$run/exo0.out" \
	"$run/bochs0.out" "$run/bochs3.out" <<'AWK'
	BEGIN {
		FS = "\t"
		while ((getline line < facts) > 0) {
			split(line, f, "\t")
			if (f[1] == "st") st[f[2]] = f[3]
		}
		FS = " "
		read_bochs_before(before) # the path-length column before issue 16's work
		nside = split("linux exo3 exo0", sides, " ")
		title["linux"] = "Linux"; title["exo3"] = "exo ring 3"; title["exo0"] = "exo ring 0"
		nrow = split(rows, row, " ")
		names["trap"] = "TRAP: fault, handler skips the load"
		names["trap_unprot"] = "TRAP+UNPROT: fault, handler unprotects"
		names["prot1"] = "PROT1: one page, no access (flushes), no fault"
		names["unprot"] = "UNPROT: one page back (a raise), no fault"
		names["appel1"] = "PROT1+TRAP+UNPROT (appel1), per fault"
		names["appel2"] = "PROTN 100 + 100 TRAP+UNPROT, per fault"
		names["dirty"] = "DIRTY: 64 writes + fetch-and-clear, 16384 pages"
		names["scan"] = "fetch-and-clear alone, 16384 pages, 64 dirty"
		names["batch"] = "fetch-and-clear, 4 ranges x 4096 pages, 64 dirty"
		names["map2"] = "MAP2: map alias (populated), read, unmap"
	}
	FNR == 1 { s = FILENAME; sub(/.*\//, "", s); sub(/\.out$/, "", s) }
	/^vmbench: dirty via/ { sub(/^vmbench: dirty via /, ""); method[s] = $0 }
	/^vmbench: batch via/ { sub(/^vmbench: batch via /, ""); batch[s] = $0 }
	/^vmbench: mode/ { sub(/^vmbench: /, ""); sizes[s] = $0 }
	/^rep / && $4 > 0 {
		k = s SUBSEP $2
		cnt["us", k]++; val["us", k, cnt["us", k]] = $5 / $4 / 1000
		cnt["tk", k]++; val["tk", k, cnt["tk", k]] = $6 / $4
		ops[k] = $4
	}
	/^split trap / { split_in[s] = $3; split_back[s] = $4 }
	/^result / && NF >= 11 { res[s, $2] = 1; exits[s, $2] = $5 / 1000; if (!ops[s, $2]) ops[s, $2] = $3
		insn[s, $2] = $10 }
	function cell(what, k, fmt) {
		if (!stats(what SUBSEP k)) return "n/a"
		return sprintf(fmt " [" fmt "-" fmt "]", MED, MIN, MAX)
	}
	function med(what, k) { return stats(what SUBSEP k) ? MED : 0 }
	function ratio(a, b) { return a > 0 && b > 0 ? sprintf("%.1f", b / a) : "-" }
	function jside(k,   o) {
		if (!stats("us" SUBSEP k)) return "null"
		o = sprintf("{\"ops_per_rep\": %d, \"reps\": %d, \"us_min\": %.3f, \"us_median\": %.3f, \"us_max\": %.3f", ops[k], cnt["us", k], MIN, MED, MAX)
		stats("tk" SUBSEP k)
		return o sprintf(", \"ticks_min\": %d, \"ticks_median\": %d, \"ticks_max\": %d, \"exits_per_op\": %.3f}", MIN, MED, MAX, exits[k])
	}
	END {
		bad = 0
		for (j = 1; j <= nside; j++) {
			x = sides[j]
			if (st[x] != "ok") {
				printf "%s: %s\n", title[x], st[x]
				if (mode == "check" && x != "exo0") bad = 1
				continue
			}
			for (i = 1; i <= nrow; i++)
				if (!res[x, row[i]] || !stats("us" SUBSEP x SUBSEP row[i]) || MED <= 0 || !stats("tk" SUBSEP x SUBSEP row[i]) || MED <= 0) {
					printf "%s: row %s produced no number\n", title[x], row[i]
					bad = 1
				}
		}
		printf "\nvmbench on %s\n%s\n", machine, date
		printf "Time per operation, us: median [min-max] over the repetitions; r3/Lx, r0/Lx: ratios of the medians; exits: per operation, from hv\n"
		printf "%-48s %-24s %-24s %5s %6s %-27s %6s %6s\n", "operation", "Linux", "exo ring 3", "r3/Lx", "exits", "exo ring 0", "r0/Lx", "exits"
		for (i = 1; i <= nrow; i++) {
			r = row[i]
			l = med("us", "linux" SUBSEP r); e3 = med("us", "exo3" SUBSEP r); e0 = med("us", "exo0" SUBSEP r)
			printf "%-48s %-24s %-24s %5s %6s %-27s %6s %6s\n", names[r], cell("us", "linux" SUBSEP r, "%.2f"),
				cell("us", "exo3" SUBSEP r, "%.2f"), ratio(l, e3), res["exo3", r] ? sprintf("%.3f", exits["exo3", r]) : "-",
				cell("us", "exo0" SUBSEP r, "%.0f"), ratio(l, e0), res["exo0", r] ? sprintf("%.3f", exits["exo0", r]) : "-"
			printf "\"%s\" %.3f %.3f %.3f\n", r, l, e3, e0 > dat
		}
		printf "\nrdtsc ticks per operation: median [min-max]; ops/rep x reps per side\n"
		printf "%-48s %-24s %-24s %-30s %s\n", "operation", "Linux", "exo ring 3", "exo ring 0", "ops/rep x reps (Lx, r3, r0)"
		for (i = 1; i <= nrow; i++) {
			r = row[i]; o = ""
			for (j = 1; j <= nside; j++)
				o = o (j > 1 ? ", " : "") (cnt["us", sides[j], r] ? ops[sides[j], r] "x" cnt["us", sides[j], r] : "-")
			printf "%-48s %-24s %-24s %-30s %s\n", names[r], cell("tk", "linux" SUBSEP r, "%d"),
				cell("tk", "exo3" SUBSEP r, "%d"), cell("tk", "exo0" SUBSEP r, "%d"), o
		}
		# Bochs: instructions per operation, if its TSC counted instructions.
		have_bochs = res["bochs0", "calib"] || res["bochs3", "calib"]
		for (j = 0; j <= 3; j += 3) {
			b = "bochs" j
			if (!res[b, "calib"]) continue
			c = insn[b, "calib"]
			if (c < 2000 || c > 2040) {
				printf "Bochs ring %d: its TSC read %d ticks for a 2000-instruction loop: not an instruction count\n", j, c
				bad = 1; delete res[b, "calib"]; continue
			}
			for (i = 1; i <= nrow; i++)
				if (!res[b, row[i]]) { printf "Bochs ring %d: row %s produced no number\n", j, row[i]; bad = 1 }
		}
		if (have_bochs) {
			printf "\nInstructions per operation on hv/metal under Bochs (its TSC counts instructions; calib: %s ticks for a 2000-instruction loop), guest and hv together\n", insn["bochs0", "calib"] "/" insn["bochs3", "calib"]
			printf "(before: the same rows before issue 16's path-length work, apps/vmbench/bochs-before.txt)\n"
			printf "%-48s %14s %10s %14s %10s\n", "operation", "ring 0 (Dune)", "before", "ring 3 (Aegis)", "before"
			for (i = 1; i <= nrow; i++) {
				r = row[i]
				printf "%-48s %14s %10s %14s %10s\n", names[r], res["bochs0", r] ? insn["bochs0", r] : "n/a", (r in old0) ? old0[r] : "-",
					res["bochs3", r] ? insn["bochs3", r] : "n/a", (r in old3) ? old3[r] : "-"
			}
			for (j = 0; j <= 3; j += 3)
				if (split_in["bochs" j] != "")
					printf "TRAP, ring %d: %d instructions from vmbench's clock read to its handler's first (its call and load, the CPU's delivery, libos/vm's entry and dispatch, vmbench's backend wrapper), %d from there back to the code after the load; apps/limits' split gives libos/vm's share alone\n", j, split_in["bochs" j], split_back["bochs" j]
		} else {
			printf "\nNo path-length column: hv/metal under Bochs did not run (BUILD/bench/vmbench-bochs.out missing).\n"
		}
		printf "\nDIRTY and the fetch-and-clear on Linux via %s; on exo via %s.\n", method["linux"], method["exo3"] ? method["exo3"] : method["exo0"]
		printf "Batch on Linux via %s; on exo via %s.\n", batch["linux"], batch["exo3"] ? batch["exo3"] : batch["exo0"]
		for (j = 1; j <= nside; j++) if (sizes[sides[j]]) printf "%s: %s\n", title[sides[j]], sizes[sides[j]]
		if (kvmkind ~ /paravirtual/)
			printf "This host emulates guest ring 0 and shadows guest page tables (KVM: %s): the wall-clock ratios above reflect that host, not exo on hardware VT-x/EPT, where guest ring 0 and its page tables run natively. The ticks are its TSC (wall time), not instructions.\n", kvmkind
		else
			printf "KVM: %s. The ticks are the TSC (wall time at its rate; instructions only where the TSC counts them, as under Bochs).\n", kvmkind
		if (mode == "check") {
			print bad ? "vmbench check: FAILED" : "vmbench check: every row produced a number on Linux and exo ring 3; vmbench's own checks passed"
			exit bad
		}
		printf "{\n  \"machine\": %s,\n  \"kvm\": %s,\n  \"date\": %s,\n  \"command\": \"make bench (bash apps/vmbench/bench.sh)\",\n", jstr(machine), jstr(kvmkind), jstr(date) > json
		printf "  \"status\": {\"linux\": %s, \"exo_ring3\": %s, \"exo_ring0\": %s},\n", jstr(st["linux"]), jstr(st["exo3"]), jstr(st["exo0"]) > json
		printf "  \"sizes\": {\"linux\": %s, \"exo_ring3\": %s, \"exo_ring0\": %s},\n", jstr(sizes["linux"]), jstr(sizes["exo3"]), jstr(sizes["exo0"]) > json
		printf "  \"dirty_method\": {\"linux\": %s, \"exo\": %s},\n", jstr(method["linux"]), jstr(method["exo3"]) > json
		printf "  \"batch_method\": {\"linux\": %s, \"exo\": %s},\n  \"results\": [\n", jstr(batch["linux"]), jstr(batch["exo3"]) > json
		for (i = 1; i <= nrow; i++) {
			r = row[i]
			l = med("us", "linux" SUBSEP r); e3 = med("us", "exo3" SUBSEP r); e0 = med("us", "exo0" SUBSEP r)
			q3 = (l > 0 && e3 > 0) ? sprintf("%.3f", e3 / l) : "null"
			q0 = (l > 0 && e0 > 0) ? sprintf("%.3f", e0 / l) : "null"
			sep = i < nrow ? "," : ""
			i0 = res["bochs0", r] ? insn["bochs0", r] : "null"; i3 = res["bochs3", r] ? insn["bochs3", r] : "null"
			printf "    {\"op\": \"%s\", \"label\": %s,\n     \"linux\": %s,\n     \"exo_ring3\": %s,\n     \"exo_ring0\": %s,\n     \"ratio_ring3_median\": %s, \"ratio_ring0_median\": %s,\n     \"instructions_bochs_ring0\": %s, \"instructions_bochs_ring3\": %s,\n     \"instructions_bochs_before_ring0\": %s, \"instructions_bochs_before_ring3\": %s}%s\n", r, jstr(names[r]),
				jside("linux" SUBSEP r), jside("exo3" SUBSEP r), jside("exo0" SUBSEP r), q3, q0, i0, i3,
				(r in old0) ? old0[r] : "null", (r in old3) ? old3[r] : "null", sep > json
		}
		printf "  ]\n}\n" > json
		exit bad
	}
AWK

[ "$MODE" = check ] && exit 0
grep -h '^vm: application' "$run/exo3.err" "$run/exo3.out" 2>/dev/null | head -1 || true
if command -v gnuplot >/dev/null; then
	gnuplot <<PLOT
set terminal pngcairo size 900,500
set output "$out/vmbench.png"
set title "vmbench: us per operation, median (log scale), ${cpu//\"/}"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set logscale y
set ylabel "us per operation"
set xtics rotate by -30
set key top left
plot "$run/vmbench.dat" using 2:xtic(1) title "Linux (mprotect/SIGSEGV)", \
     "" using 3 title "exo, app in ring 3", "" using 4 title "exo, app in ring 0"
PLOT
	echo "wrote $out/vmbench.json and $out/vmbench.png"
else
	echo "wrote $out/vmbench.json (gnuplot missing: no chart)"
fi
