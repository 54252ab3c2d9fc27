#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# apps/guests/bench.sh BUILD: many guests under one hv (issue 9's
# benchmark), against raw KVM and Linux, in one run.
#
# 1. Guest start. BUILD/bench/guests-spawn (spawn_linux.c) times whole
#    processes, fork and exec to reaped exit: true (the cost of any
#    process), BUILD/bench/guests-rawkvm (rawkvm_linux.c: a VM, a 4 KiB
#    memslot, a vCPU, one real-mode `hlt`: the limit), `exo run` of the
#    smallest guest (BUILD/apps/guests with no arguments: guestlib's start,
#    then main returns 0) with exo's default sizes, and the same with the
#    smallest pool. Interleaved, GUESTS_START_REPS times each (default 30):
#    median, min, max. Separate runs of `exo run --stats` and `rawkvm -s`
#    give the in-process breakdown (main to the first guest instruction, to
#    the guest's end).
# 2. N guests at once (GUESTS_MANY, default "1 10 100"): one `exo run
#    --pool N MiB --guest ... ` of N smallest guests with --mem 1M each,
#    against `guests-rawkvm N`, GUESTS_MANY_REPS times each (default 5):
#    wall time and host memory, per guest. Memory is the peak resident set
#    (wait4) and, where a memory cgroup can be made, the cgroup's peak
#    charge, which counts the kernel's memory for the VMs too.
# 3. Round trips between two guests, timed in the guest with the TSC
#    (BUILD/apps/guests ping/pong, pingpong.c), GUESTS_ROUNDS rounds each
#    (default 200), against a pipe ping-pong between two Linux processes
#    (BUILD/bench/guests-pipe, pipe_linux.c) of 1 byte and of 4096 bytes;
#    GUESTS_RT_REPS runs of each (default 5), interleaved: the median of
#    the runs' medians, the least minimum and the greatest maximum.
#
# Prints the tables and the machine, writes BUILD/bench/guests.json.
# Scratch files stay in BUILD/bench/guests-run/. An exo run that fails
# makes its row n/a with exo's reason; nothing is filled in for it.
set -euo pipefail
B=${1:-build}
B=$(cd "$B" && pwd)
out=$B/bench
run=$out/guests-run
EXO=$B/exo
IMG=$B/apps/guests
RAW=$B/bench/guests-rawkvm
PIPE=$B/bench/guests-pipe
SPAWN=$B/bench/guests-spawn
START_REPS=${GUESTS_START_REPS:-30}
MANY=${GUESTS_MANY:-"1 10 100"}
MANY_REPS=${GUESTS_MANY_REPS:-5}
ROUNDS=${GUESTS_ROUNDS:-200}
RT_REPS=${GUESTS_RT_REPS:-5}
TIMEOUT=${GUESTS_TIMEOUT:-120}
for f in "$EXO" "$IMG" "$RAW" "$PIPE" "$SPAWN"; do
	[ -x "$f" ] || { echo "guests bench: $f is missing: make all $B/bench/guests-rawkvm $B/bench/guests-pipe $B/bench/guests-spawn" >&2; exit 1; }
done
# shellcheck source=apps/bench-common.sh
. "$(dirname "${BASH_SOURCE[0]}")/../bench-common.sh"
load0=$(cut -d' ' -f1-3 /proc/loadavg)
echo "guests: $machine"
echo "guests: load average at the start: $load0 (other work on the machine shows in the spread)"

# reason ERRFILE STATUS: why an exo run failed: timed out, or exo's last
# own line that is not a statistic, with the exit status.
reason() { fail_reason "$1" "$2" '^(exo|rawkvm|spawn|pipe): ' ': stats: '; }

# spawn ID ERRFILE CMD...: one timed run of CMD (stdout discarded, stderr
# to ERRFILE) into facts as "s ID WALL_NS RSS_KIB CG_PEAK CG_KMEM STATUS",
# or "f ID REASON" when its status is not 0.
spawn() {
	local id=$1 err=$2 line
	shift 2
	: >"$run/spawn.tsv"
	"$SPAWN" ${CG:+-c "$CG"} -t "$TIMEOUT" -o "$run/spawn.tsv" "$@" >/dev/null 2>"$err"
	line=$(cat "$run/spawn.tsv")
	fact s "$id" "$line"
	local st=${line##*$'\t'}
	[ "$st" = 0 ] || fact f "$id" "$(reason "$err" "$st")"
}

# The memory cgroup this script is in, if a child cgroup can be made
# there and guests-spawn can move into it (cgroup v1, or v2 with memory
# delegated); empty if not.
find_cgroup() {
	local p m dir
	p=$(awk -F: '$2 ~ /(^|,)memory(,|$)/ { print $3; exit }' /proc/self/cgroup)
	if [ -n "$p" ]; then
		m=$(awk '$3 == "cgroup" && $4 ~ /(^|,)memory(,|$)/ { print $2; exit }' /proc/mounts)
	else
		p=$(awk -F: '$1 == "0" { print $3; exit }' /proc/self/cgroup)
		m=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts)
	fi
	[ -n "$m" ] || return 0
	dir=$m${p%/}
	[ -d "$dir" ] && [ -w "$dir" ] || return 0
	: >"$run/cgtest.tsv"
	if "$SPAWN" -c "$dir" -o "$run/cgtest.tsv" true 2>/dev/null &&
		[ "$(cut -f3 "$run/cgtest.tsv")" != - ]; then
		echo "$dir"
	fi
}
CG=
cgroup=$(find_cgroup)

# ------------------------------------------------------------ guest start

EXO_SMALL=(--pool 1M --mem 1M)
# exo's default sizes, as one run says them (frames of 4 KiB).
sizes=$(timeout -k 5 "$TIMEOUT" "$EXO" run --stats "$IMG" 2>&1 |
	sed -n 's/^exo: stats: frames owned at exit [0-9]* of \([0-9]*\) allowed, pool \([0-9]*\)$/--pool \2 --mem \1/p' |
	awk '{ printf "defaults: --pool %dM --mem %dM", $2 / 256, $4 / 256 }' || true)
fact cmd floor "true"
fact cmd raw "guests-rawkvm"
fact cmd exo "exo run guests${sizes:+ ($sizes)}"
fact cmd exosmall "exo run ${EXO_SMALL[*]} guests"
echo "guest start: true, raw KVM, exo run (default sizes, smallest pool), interleaved, $START_REPS times each ..."
for _ in $(seq 1 "$START_REPS"); do
	spawn floor "$run/floor.err" true
	spawn raw "$run/raw.err" "$RAW"
	spawn exo "$run/exo.err" "$EXO" run "$IMG"
	spawn exosmall "$run/exosmall.err" "$EXO" run "${EXO_SMALL[@]}" "$IMG"
done
echo "guest start: in-process breakdown (exo run --stats, guests-rawkvm -s), $START_REPS times each ..."
for _ in $(seq 1 "$START_REPS"); do
	"$RAW" -s 2>&1 | sed -n 's/^rawkvm: stats: .*hlt exit at \([0-9.]*\) ms.*/b\traw\t\1\t\1/p' >>"$facts" || true
	for id in exo exosmall; do
		args=()
		[ $id = exosmall ] && args=("${EXO_SMALL[@]}")
		timeout -k 5 "$TIMEOUT" "$EXO" run --stats "${args[@]}" "$IMG" 2>&1 |
			sed -n "s/^exo: stats: \([0-9.]*\) ms from start to guest exit, first guest instruction at \([0-9.]*\) ms.*/b\t$id\t\2\t\1/p" >>"$facts" || true
	done
done

# ------------------------------------------------------- N guests at once

CG=$cgroup
for n in $MANY; do
	gargs=()
	for _ in $(seq 1 "$n"); do gargs+=(--guest "$IMG"); done
	fact cmd "exo$n" "exo run --pool ${n}M --mem 1M --guest guests (x $n)"
	fact cmd "raw$n" "guests-rawkvm $n"
	echo "$n guests at once: exo run and guests-rawkvm $n, $MANY_REPS times each ..."
	for _ in $(seq 1 "$MANY_REPS"); do
		spawn "raw$n" "$run/raw$n.err" "$RAW" "$n"
		spawn "exo$n" "$run/exo$n.err" "$EXO" run --pool "${n}M" --mem 1M "${gargs[@]}"
	done
	# One more run, untimed, for when the first and the last guest ran
	# their first instruction and ended.
	timeout -k 5 "$TIMEOUT" "$EXO" run --stats --pool "${n}M" --mem 1M "${gargs[@]}" 2>&1 |
		sed -n 's/^exo: stats: \([^ ]*: \)\{0,1\}\([0-9.]*\) ms from start to guest exit, first guest instruction at \([0-9.]*\) ms.*/\3 \2/p' |
		awk -v n="$n" 'NR == 1 { f0 = f1 = $1; e0 = e1 = $2 }
			{ if ($1 < f0) f0 = $1; if ($1 > f1) f1 = $1; if ($2 < e0) e0 = $2; if ($2 > e1) e1 = $2 }
			END { if (NR) printf "m\texo%s\t%s\t%s\t%s\t%s\t%d\n", n, f0, f1, e0, e1, NR }' >>"$facts" || true
done
CG=

# ------------------------------------------------------------ round trips

echo "round trips: two guests (ping, pong) and two Linux processes over pipes, $ROUNDS rounds, $RT_REPS runs each ..."
for _ in $(seq 1 "$RT_REPS"); do
	rc=0
	timeout -k 5 "$TIMEOUT" "$EXO" run --pool 16M --mem 4M --guest --name pong "$IMG" pong \
		--guest --name ping "$IMG" ping pong "$ROUNDS" >"$run/pingpong.out" 2>"$run/pingpong.err" || rc=$?
	if [ $rc = 0 ]; then
		sed -n 's/^ping: pingpong: \(.*\): median \([0-9]*\) ns, min \([0-9]*\) ns, max \([0-9]*\) ns.*/r\texo\t\1\t\2\t\3\t\4/p' \
			"$run/pingpong.out" >>"$facts"
	else
		fact rf exo "$(reason "$run/pingpong.err" $rc)"
	fi
	for bytes in 1 4096; do
		rc=0
		"$PIPE" "$ROUNDS" "$bytes" >"$run/pipe$bytes.out" 2>"$run/pipe$bytes.err" || rc=$?
		if [ $rc = 0 ]; then
			sed -n 's/^pipe: \(.*\): median \([0-9]*\) ns, min \([0-9]*\) ns, max \([0-9]*\) ns.*/r\tlinux\t\1\t\2\t\3\t\4/p' \
				"$run/pipe$bytes.out" >>"$facts"
		else
			fact rf linux "$(reason "$run/pipe$bytes.err" $rc)"
		fi
	done
done

# --------------------------------------------------------------- report

load1=$(cut -d' ' -f1-3 /proc/loadavg)
awk -F'\t' -v machine="$machine" -v date="$date" -v json="$out/guests.json" \
	-v sreps="$START_REPS" -v mreps="$MANY_REPS" -v rtreps="$RT_REPS" -v rounds="$ROUNDS" -v many="$MANY" \
	-v cgroup="$cgroup" -v load0="$load0" -v load1="$load1" \
	-f "$(dirname "${BASH_SOURCE[0]}")/../bench-stats.awk" -f /dev/stdin "$facts" <<'AWK'
	function add(k, v) { val[k, ++cnt[k]] = v }
	function med(k) { return stats(k) ? MED : "" }
	function ms(x) { return x == "" ? "n/a" : sprintf("%.2f ms", x) }
	function kib(x) { return x == "" ? "n/a" : x >= 10240 ? sprintf("%.1f MiB", x / 1024) : sprintf("%.0f KiB", x) }
	function t(ns) {
		if (ns == "") return "n/a"
		if (ns < 10000) return sprintf("%.0f ns", ns)
		if (ns < 10000000) return sprintf("%.1f us", ns / 1000)
		return sprintf("%.2f ms", ns / 1e6)
	}
	function spread() { return sprintf("-%.0f/+%.0f%%", 100 * (MED - MIN) / MED, 100 * (MAX - MED) / MED) }
	function ratio(a, b) {
		if (a == "" || b == "" || b == 0) return "n/a"
		a /= b
		return a >= 100 ? sprintf("%.0f", a) : a >= 10 ? sprintf("%.1f", a) : sprintf("%.2f", a)
	}
	function jnum(x) { return x == "" ? "null" : sprintf("%.6g", x) }
	function jstats(k, scale) {
		if (!stats(k)) return "null"
		return sprintf("{\"median\": %.6g, \"min\": %.6g, \"max\": %.6g, \"n\": %d}", MED * scale, MIN * scale, MAX * scale, cnt[k])
	}
	$1 == "cmd" { cmd[$2] = $3 }
	$1 == "s" && $7 == 0 { add("wall" SUBSEP $2, $3); add("rss" SUBSEP $2, $4)
		if ($5 != "-") add("cg" SUBSEP $2, $5 / 1024)
		if ($6 != "-") add("kmem" SUBSEP $2, $6 / 1024) }
	$1 == "f" && !(($2) in fail) { fail[$2] = $3 }
	$1 == "b" { add("first" SUBSEP $2, $3); add("end" SUBSEP $2, $4) }
	$1 == "m" { mf0[$2] = $3; mf1[$2] = $4; me0[$2] = $5; me1[$2] = $6; mn[$2] = $7 }
	$1 == "r" { k = $2 SUBSEP $3
		if (!(k in rseen)) { rseen[k] = 1; rorder[++nr] = k; rside[nr] = $2; rname[nr] = $3; rmin[k] = $5; rmax[k] = $6 }
		add("rt" SUBSEP k, $4); if ($5 < rmin[k]) rmin[k] = $5; if ($6 > rmax[k]) rmax[k] = $6 }
	$1 == "rf" { rfail[$2] = $3 }
	function wall(id) { return (id in fail) ? "" : med("wall" SUBSEP id) }
	END {
		printf "{\n  \"machine\": %s,\n  \"date\": %s,\n  \"load_average\": {\"start\": %s, \"end\": %s},\n", \
			jstr(machine), jstr(date), jstr(load0), jstr(load1) > json

		# --- 1. guest start
		printf "\nguest start: wall time of the whole process (fork, exec, run, exit, reaped), %d runs each, interleaved\n", sreps
		printf "ratios are of medians; min/raw: of the minimums, the figure least disturbed by other work on the machine\n"
		printf "%-50s %-22s %8s %8s %8s %20s %12s\n", "command", "median (-min/+max)", "vs raw", "vs true", "min/raw", "in-process: 1st insn", "guest end"
		printf "  \"start\": {\n    \"method\": %s,\n    \"rows\": [\n", jstr("guests-spawn: CLOCK_MONOTONIC from before fork to after wait4, " sreps " runs of each command interleaved; in-process figures are medians of separate runs of exo run --stats (exo main to the first guest instruction, by a single step, and to the guest end) and guests-rawkvm -s (main to the hlt exit)") > json
		raw = wall("raw"); tru = wall("floor")
		rawmin = stats("wall" SUBSEP "raw") && !("raw" in fail) ? MIN : ""
		n = split("floor raw exo exosmall", ids, " ")
		for (i = 1; i <= n; i++) {
			id = ids[i]
			if (id in fail) {
				printf "%-50s n/a: %s\n", cmd[id], fail[id]
				w = ""; cell = "n/a"
			} else {
				w = wall(id)
				cell = stats("wall" SUBSEP id) ? sprintf("%s %s", ms(MED / 1e6), spread()) : "n/a"
				wmin = cnt["wall" SUBSEP id] ? MIN : ""
			}
			f = med("first" SUBSEP id); e = med("end" SUBSEP id)
			if (!(id in fail))
				printf "%-50s %-22s %8s %8s %8s %20s %12s\n", cmd[id], cell, id == "floor" ? "" : ratio(w, raw), ratio(w, tru), \
					id == "floor" ? "" : ratio(wmin, rawmin), id == "floor" ? "" : ms(f), id == "floor" ? "" : ms(e)
			printf "      {\"row\": %s, \"command\": %s, \"wall_ms\": %s, \"ratio_to_raw\": %s, \"min_ratio_to_raw\": %s, \"first_instruction_ms\": %s, \"end_ms\": %s, \"failed\": %s}%s\n", \
				jstr(id), jstr(cmd[id]), jstats("wall" SUBSEP id, 1e-6), ratio(w, raw) == "n/a" ? "null" : ratio(w, raw), \
				(id in fail) || ratio(wmin, rawmin) == "n/a" ? "null" : ratio(wmin, rawmin), jnum(f), jnum(e), (id in fail) ? jstr(fail[id]) : "null", i < n ? "," : "" > json
		}
		printf "    ]\n  },\n" > json

		# --- 2. N guests at once
		printf "\nN guests at once: exo run --pool N MiB --mem 1M with N smallest guests, against guests-rawkvm N; median of %d runs\n", mreps
		printf "memory: peak RSS (wait4)%s\n", cgroup != "" ? "; cgroup: the peak charge of a memory cgroup made for the run, user and kernel memory (kernel part after /)" : "; no memory cgroup could be made here: RSS only (it does not see KVM's kernel memory)"
		printf "%5s %-6s %11s %11s %8s %11s %8s %21s %8s %s\n", "N", "side", "wall", "per guest", "vs raw", "RSS/guest", "vs raw", "cgroup/guest", "vs raw", "first insn (first..last guest), ends"
		printf "  \"many\": {\n    \"method\": %s,\n    \"rows\": [\n", jstr("guests-spawn, " mreps " runs each; per guest = the whole run divided by N; RSS is wait4 ru_maxrss; cgroup is memory.max_usage_in_bytes (v1) or memory.peak (v2) of a cgroup made for the run, kmem its kernel part (v1); first/last guest times from one extra exo run --stats") > json
		nm = split(many, ns, " ")
		for (i = 1; i <= nm; i++) {
			N = ns[i]
			for (s = 1; s <= 2; s++) {
				id = (s == 1 ? "raw" : "exo") N
				if (id in fail) {
					printf "%5s %-6s n/a: %s\n", N, s == 1 ? "raw" : "exo", fail[id]
					w = rs = cg = km = ""
				} else {
					w = wall(id); rs = med("rss" SUBSEP id); cg = med("cg" SUBSEP id); km = med("kmem" SUBSEP id)
				}
				if (s == 1) { rw = w; rrs = rs; rcg = cg }
				cgcell = cg == "" ? "n/a" : km == "" ? kib(cg / N) : kib(cg / N) " / " kib(km / N)
				mcell = (id in mf0) ? sprintf("%s..%s, %s..%s", ms(mf0[id]), ms(mf1[id]), ms(me0[id]), ms(me1[id])) : ""
				if (!(id in fail))
					printf "%5s %-6s %11s %11s %8s %11s %8s %21s %8s %s\n", N, s == 1 ? "raw" : "exo", ms(w / 1e6), \
						w == "" ? "n/a" : ms(w / 1e6 / N), s == 1 ? "" : ratio(w, rw), rs == "" ? "n/a" : kib(rs / N), \
						s == 1 ? "" : ratio(rs, rrs), cgcell, s == 1 ? "" : ratio(cg, rcg), mcell
				printf "      {\"n\": %d, \"side\": %s, \"command\": %s, \"wall_ms\": %s, \"wall_ms_per_guest\": %s, \"rss_kib_per_guest\": %s, \"cgroup_kib_per_guest\": %s, \"cgroup_kernel_kib_per_guest\": %s, \"first_instruction_ms\": %s, \"end_ms\": %s, \"failed\": %s}%s\n", \
					N, jstr(s == 1 ? "raw" : "exo"), jstr(cmd[id]), jstats("wall" SUBSEP id, 1e-6), jnum(w == "" ? "" : w / 1e6 / N), \
					jnum(rs == "" ? "" : rs / N), jnum(cg == "" ? "" : cg / N), jnum(km == "" ? "" : km / N), \
					(id in mf0) ? sprintf("[%s, %s]", mf0[id], mf1[id]) : "null", (id in me0) ? sprintf("[%s, %s]", me0[id], me1[id]) : "null", \
					(id in fail) ? jstr(fail[id]) : "null", (i < nm || s == 1) ? "," : "" > json
			}
		}
		printf "    ]\n  },\n" > json

		# --- 3. round trips
		for (i = 1; i <= nr; i++) rmed[rorder[i]] = med("rt" SUBSEP rorder[i])
		if (!("linux" in rfail)) { lx1 = rmed["linux", "pipe round trip, 1 byte each way"]; lx4 = rmed["linux", "pipe round trip, 4096 bytes each way"] }
		printf "\nround trips: %d rounds a run, %d runs; exo timed in guest ping with the TSC (guests ping pong %d), Linux with CLOCK_MONOTONIC\n", rounds, rtreps, rounds
		printf "median: of the per-run medians; min, max: over all rounds of all runs; vs pipe: doorbell against 1 byte, grant round trip against 4096 bytes\n"
		printf "%-50s %-8s %10s %10s %10s %10s\n", "operation", "side", "median", "min", "max", "vs pipe"
		printf "  \"round_trips\": {\n    \"method\": %s,\n    \"rows\": [\n", jstr("exo: exo run --pool 16M --mem 4M --guest --name pong guests pong --guest --name ping guests ping pong " rounds "; Linux: guests-pipe " rounds " 1 and " rounds " 4096; " rtreps " runs of each, interleaved; median of the per-run medians, min and max over all rounds; the doorbell round trip is compared with the 1-byte pipe round trip, the grant round trip with the 4096-byte one; guest ring 0 may be emulated by the host") > json
		if ("exo" in rfail) printf "%-50s %-8s n/a: %s\n", "(all exo rows)", "exo", rfail["exo"]
		if ("linux" in rfail) printf "%-50s %-8s n/a: %s\n", "(all Linux rows)", "linux", rfail["linux"]
		sep = ""
		for (i = 1; i <= nr; i++) {
			k = rorder[i]
			if (rside[i] in rfail)
				continue
			base = rside[i] == "linux" ? "" : rname[i] == "grant round trip" ? lx4 : rname[i] == "doorbell round trip" ? lx1 : ""
			printf "%-50s %-8s %10s %10s %10s %10s\n", rname[i], rside[i], t(rmed[k]), t(rmin[k]), t(rmax[k]), ratio(rmed[k], base)
			printf "%s      {\"operation\": %s, \"side\": %s, \"median_ns\": %s, \"min_ns\": %s, \"max_ns\": %s, \"ratio_to_pipe\": %s}", \
				sep, jstr(rname[i]), jstr(rside[i]), jnum(rmed[k]), jnum(rmin[k]), jnum(rmax[k]), \
				ratio(rmed[k], base) == "n/a" ? "null" : ratio(rmed[k], base) > json
			sep = ",\n"
		}
		printf "\n" > json
		printf "    ],\n    \"failed\": {\"exo\": %s, \"linux\": %s}\n  }\n}\n", ("exo" in rfail) ? jstr(rfail["exo"]) : "null", \
			("linux" in rfail) ? jstr(rfail["linux"]) : "null" > json
	}
AWK

echo
echo "machine: $machine"
echo "load average: $load0 at the start, $load1 at the end"
echo "wrote $out/guests.json"
