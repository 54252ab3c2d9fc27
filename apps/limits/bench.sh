#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# apps/limits/bench.sh BUILD [quick]: exo's costs beside the limits, the
# least the host and the hardware allow for the same thing, measured in
# one run (issue 13). Rows, exo against its peer:
#
#   hypercall round trip: EXO_HC_INFO through guestlib's stub, timed in
#     the guest with the TSC (BUILD/apps/limits, apps/limits/main.c: rows
#     hc0 from guest ring 0, hc3 from ring 3), against a raw KVM exit
#     round trip (BUILD/bench/limits-kvmexit, kvmexit_linux.c: a minimal
#     VM doing `out` in a loop, one KVM_RUN per exit to user space, timed
#     around KVM_RUN): the same kind of exit exo's hypercall is;
#   guest start: `exo run` of apps/guests' smallest guest against
#     guests-rawkvm (create + first run), whole processes timed by
#     guests-spawn, interleaved: apps/guests/bench.sh's row and programs,
#     repeated here so that the table has it beside the others (that
#     bench has the full breakdown);
#   TRAP: libos/vm's fault path to an application handler that skips the
#     faulting load (no protection change), application in ring 3 and in
#     ring 0 (two exo runs, --ring 3 and --ring 0), against a bare #PF to
#     a null ring-0 handler (three instructions) from the same ring;
#   hv instructions per hypercall: perf stat -e instructions:u, else
#     callgrind, on `exo run limits hc N` for two N; n/a with the reason
#     when neither can count here.
#
# Each timed row: LIMITS_REPS repetitions (default 9; quick: 7) of many
# operations; median, min and max over the repetitions of the time per
# operation, the ratio of medians exo/peer, and exits to user space per
# operation (hv's own count for exo, KVM_EXIT_IO for the raw VM). Prints
# the table and the machine, writes BUILD/bench/limits.json; scratch in
# BUILD/bench/limits-run/. quick: few operations, and status 1 unless
# every timed row produced a number (make bench-check).
set -euo pipefail
B=${1:-build}
B=$(cd "$B" && pwd)
QUICK=0
[ "${2:-}" = quick ] && QUICK=1
out=$B/bench
run=$out/limits-run
EXO=$B/exo
IMG=$B/apps/limits
SMALL=$B/apps/guests
KVMEXIT=$B/bench/limits-kvmexit
RAW=$B/bench/guests-rawkvm
SPAWN=$B/bench/guests-spawn
TIMEOUT=${LIMITS_TIMEOUT:-60}
if [ $QUICK = 1 ]; then
	REPS=7 EXIT_OPS=50 GUEST_ARGS=(quick) HC_N="20 220"
else
	REPS=${LIMITS_REPS:-9} EXIT_OPS=2000 GUEST_ARGS=() HC_N="200 2200"
fi
for f in "$EXO" "$IMG" "$SMALL" "$KVMEXIT" "$RAW" "$SPAWN"; do
	[ -x "$f" ] || { echo "limits bench: $f is missing: make all $B/bench/limits-kvmexit $B/bench/guests-rawkvm $B/bench/guests-spawn" >&2; exit 1; }
done
# shellcheck source=apps/bench-common.sh
. "$(dirname "${BASH_SOURCE[0]}")/../bench-common.sh"
load0=$(cut -d' ' -f1-3 /proc/loadavg)
echo "limits: $machine"
echo "limits: load average at the start: $load0"

# why ERRFILE STATUS: a failed run's last own line and its status.
why() { fail_reason "$1" "$2" '^(exo|limits|kvmexit|rawkvm|spawn): ' ': stats: '; }

# --------------------------------------------- hypercall against KVM exit

echo "raw KVM exit round trips: $REPS reps of $EXIT_OPS ..."
rc=0
"$KVMEXIT" "$REPS" "$EXIT_OPS" >"$run/kvmexit.out" 2>"$run/kvmexit.err" || rc=$?
if [ $rc = 0 ]; then
	sed -n 's/^rep \(kvmexit\) \([0-9]*\) \([0-9]*\) \([0-9]*\)$/r\t\1\t\2\t\3\t\4/p' "$run/kvmexit.out" >>"$facts"
else
	fact f kvmexit "$(why "$run/kvmexit.err" $rc)"
fi

# --------------------------------------- the guest: hypercalls, faults

for ring in 3 0; do
	echo "exo run --ring $ring limits ${GUEST_ARGS[*]}: hypercalls, bare faults, libos/vm's TRAP, $REPS reps each ..."
	rc=0
	timeout -k 5 "$TIMEOUT" "$EXO" run --ring $ring "$IMG" "${GUEST_ARGS[@]}" \
		>"$run/guest$ring.out" 2>"$run/guest$ring.err" || rc=$?
	if [ $rc = 0 ]; then
		# hc0 and pf0 run before libos/vm, in ring 0 either way: keep the
		# first run's, so that both runs' reps are not pooled.
		sed -n 's/^rep \([a-z0-9]*\) \([0-9]*\) \([0-9]*\) \([0-9]*\)\( [0-9]*\)\{0,1\}$/r\t\1\t\2\t\3\t\4/p' "$run/guest$ring.out" |
			{ if [ $ring = 0 ]; then grep -v -P '^r\t(hc0|pf0)\t'; else cat; fi; } >>"$facts" || true
		grep -q "^ring $ring\$" "$run/guest$ring.out" ||
			fact f "ring$ring" "libos/vm did not run application code in ring $ring"
	else
		fact f "ring$ring" "$(why "$run/guest$ring.err" $rc)"
	fi
done

# ---------------------------------------------------------- guest start

echo "guest start: guests-rawkvm and exo run guests, whole processes, interleaved, $REPS times each ..."
for _ in $(seq 1 "$REPS"); do
	for id in rawstart exostart; do
		: >"$run/spawn.tsv"
		if [ $id = rawstart ]; then cmd=("$RAW"); else cmd=("$EXO" run "$SMALL"); fi
		if "$SPAWN" -t "$TIMEOUT" -o "$run/spawn.tsv" "${cmd[@]}" >/dev/null 2>"$run/$id.err"; then
			read -r ns _ _ _ st <"$run/spawn.tsv"
			if [ "$st" = 0 ]; then fact r $id 1 "$ns" ""; else fact f $id "$(why "$run/$id.err" "$st")"; fi
		else
			fact f $id "$(why "$run/$id.err" $?)"
		fi
	done
done
# exits per start: exo's own count; the raw VM's one KVM_RUN is one exit.
x=$(timeout -k 5 "$TIMEOUT" "$EXO" run --stats "$SMALL" 2>&1 |
	sed -n 's/^exo: stats: exits: .*total=\([0-9]*\)$/\1/p' || true)
[ -n "$x" ] && fact x exostart "$x"
fact x rawstart 1

# ------------------------------------------ hv instructions per hypercall

# count TOOL N: user-space instructions of `exo run limits hc N`, all
# threads (hv's main and vCPU threads: everything exo does on the host;
# the kernel's KVM work is not counted), or nothing.
count() {
	local tool=$1 n=$2
	case $tool in
	perf)
		perf stat -x, -e instructions:u -o "$run/perf$n.txt" -- "$EXO" run "$IMG" hc "$n" >/dev/null 2>&1 || return 0
		awk -F, '$3 ~ /^instructions/ && $1 ~ /^[0-9]+$/ { print $1 }' "$run/perf$n.txt" ;;
	callgrind)
		timeout -k 5 "$TIMEOUT" valgrind --tool=callgrind --callgrind-out-file="$run/cg$n.out" \
			"$EXO" run "$IMG" hc "$n" >/dev/null 2>"$run/cg$n.err" || return 0
		sed -n 's/^==[0-9]*== Collected : \([0-9]*\)$/\1/p' "$run/cg$n.err" ;;
	esac
}
insn_reason=
insn_tool=
set -- $HC_N
n1=$1 n2=$2
for tool in perf callgrind; do
	if ! command -v "$tool" >/dev/null && ! { [ $tool = callgrind ] && command -v valgrind >/dev/null; }; then
		insn_reason="${insn_reason:+$insn_reason; }$tool: not installed"
		continue
	fi
	c1=$(count $tool "$n1"); c2=$(count $tool "$n2")
	if [ -n "$c1" ] && [ -n "$c2" ]; then
		insn_tool=$tool
		fact i exo "$tool" "$(( (c2 - c1) / (n2 - n1) ))"
		break
	fi
	case $tool in
	perf) r=$(grep -m1 -o '<not supported>\|<not counted>' "$run/perf$n1.txt" 2>/dev/null || true)
		[ -z "$r" ] && r=$(grep -m1 -v '^#\|^$' "$run/perf$n1.txt" 2>/dev/null || true)
		ls /sys/bus/event_source/devices/cpu* >/dev/null 2>&1 || r="${r:+$r: }no hardware PMU here (no cpu event source in /sys/bus/event_source/devices)"
		insn_reason="${insn_reason:+$insn_reason; }perf stat -e instructions:u: ${r:-no count}" ;;
	callgrind) r=$(grep -E '^exo: |unhandled .* syscall' "$run/cg$n1.err" 2>/dev/null |
			sed 's/^--[0-9]*-- //; s/^WARNING: //' | paste -sd';' - | sed 's/;/; /g' || true)
		insn_reason="${insn_reason:+$insn_reason; }callgrind ($(valgrind --version 2>/dev/null)) cannot run exo: ${r:-no count}" ;;
	esac
done
[ -z "$insn_tool" ] && fact i n/a "$insn_reason"

# --------------------------------------------------------------- report

load1=$(cut -d' ' -f1-3 /proc/loadavg)
vmb=
if [ -f "$out/vmbench.json" ]; then
	# The trap rows' medians, side by side (the JSON spreads a row over lines).
	vmb=$(awk '/"op": "trap/ { split($0, q, "\""); op = q[4]; line = op ":" }
		op != "" && /"(linux|exo_ring3|exo_ring0)": \{/ {
			split($0, q, "\""); side = q[2]
			if (match($0, /"us_median": [0-9.]+/)) line = line " " side " " substr($0, RSTART + 13, RLENGTH - 13) " us"
			if (side == "exo_ring0") { print line; op = "" } }' "$out/vmbench.json" | paste -sd';' - || true)
fi
rc=0
awk -F'\t' -v machine="$machine" -v kvmkind="$kvmkind" -v date="$date" -v json="$out/limits.json" \
	-v reps="$REPS" -v quick="$QUICK" -v load0="$load0" -v load1="$load1" -v vmb="$vmb" \
	-f "$(dirname "${BASH_SOURCE[0]}")/../bench-stats.awk" -f /dev/stdin "$facts" <<'AWK' || rc=$?
	function t(ns) {
		if (ns == "") return "n/a"
		if (ns < 10000) return sprintf("%.0f ns", ns)
		if (ns < 1000000) return sprintf("%.1f us", ns / 1000)
		return sprintf("%.2f ms", ns / 1e6)
	}
	function cell(k) { return stats(k) ? sprintf("%s (%s..%s)", t(MED), t(MIN), t(MAX)) : "n/a" }
	function med(k) { return stats(k) ? MED : "" }
	function ratio(a, b) {
		if (a == "" || b == "" || b == 0) return "n/a"
		a /= b
		return a >= 100 ? sprintf("%.0f", a) : a >= 10 ? sprintf("%.1f", a) : sprintf("%.2f", a)
	}
	function xpo(id) { return (id in xs) ? xs[id] : (ops[id] ? sprintf("%.3f", ex[id] / ops[id]) : "n/a") }
	function js(k, id) {
		if (!stats(k)) return "null"
		return sprintf("{\"median_ns\": %.6g, \"min_ns\": %.6g, \"max_ns\": %.6g, \"reps\": %d, \"exits_per_op\": %s}", \
			MED, MIN, MAX, cnt[k], xpo(id) == "n/a" ? "null" : xpo(id))
	}
	$1 == "r" { val[$2, ++cnt[$2]] = $4 / $3; ops[$2] += $3; ex[$2] += $5 }
	$1 == "f" && !(($2) in fail) { fail[$2] = $3 }
	$1 == "x" { xs[$2] = $3 }
	$1 == "i" { itool = $2; ival = $3 }
	END {
		# id, what it times, its peer's id and what that times; failures
		# of a whole run name the run.
		n = 0
		row[++n] = "hc0";    what[n] = "hypercall round trip (EXO_HC_INFO), guest ring 0"; peer[n] = "kvmexit"
		row[++n] = "hc3";    what[n] = "hypercall round trip (EXO_HC_INFO), ring 3 (#GP + out)"; peer[n] = "kvmexit"
		row[++n] = "exostart"; what[n] = "guest start: exo run of the smallest guest"; peer[n] = "rawstart"
		row[++n] = "trap3";  what[n] = "TRAP: libos/vm fault path to app handler, ring 3"; peer[n] = "pf3"
		row[++n] = "trap0";  what[n] = "TRAP: libos/vm fault path to app handler, ring 0"; peer[n] = "pf0"
		pw["kvmexit"] = "raw KVM: out to user space, KVM_RUN back"
		pw["rawstart"] = "raw KVM: create VM + vCPU, first KVM_RUN"
		pw["pf3"] = "bare #PF ring 3 -> null ring-0 handler"
		pw["pf0"] = "bare #PF ring 0 -> null ring-0 handler"
		runof["hc0"] = "ring3"; runof["hc3"] = "ring3"; runof["pf3"] = "ring3"; runof["trap3"] = "ring3"
		runof["trap0"] = "ring0"; runof["pf0"] = "ring3"

		printf "\nlimits: exo beside the least the host allows for the same operation, one run, %d reps each%s\n", reps, quick ? " (quick mode: few ops per rep)" : ""
		printf "median (min..max) over reps of the time per operation; exo/peer: ratio of medians; exits: to user space, per op\n"
		if (kvmkind ~ /^paravirtual/)
			printf "NOTE: KVM here is paravirtual (kvm_pvm): the host emulates guest ring 0 (about 0.6 us an instruction) and shadows page tables,\nso these wall-clock ratios reflect this host, not exo on VT-x\n"
		printf "%-55s %-32s %-43s %-32s %8s %9s %9s\n", "exo row", "exo median (min..max)", "peer (the limit)", "peer median (min..max)", "exo/peer", "exits exo", "exits peer"
		printf "{\n  \"machine\": %s,\n  \"kvm\": %s,\n  \"date\": %s,\n  \"quick\": %s,\n  \"load_average\": {\"start\": %s, \"end\": %s},\n  \"rows\": [\n", \
			jstr(machine), jstr(kvmkind), jstr(date), quick ? "true" : "false", jstr(load0), jstr(load1) > json
		missing = 0
		for (i = 1; i <= n; i++) {
			id = row[i]; p = peer[i]
			fe = (id in fail) ? fail[id] : (runof[id] in fail) ? fail[runof[id]] : ""
			fp = (p in fail) ? fail[p] : (runof[p] in fail) ? fail[runof[p]] : ""
			me = fe == "" ? med(id) : ""; mp = fp == "" ? med(p) : ""
			ce = fe == "" ? cell(id) : "n/a"; cp = fp == "" ? cell(p) : "n/a"
			printf "%-55s %-32s %-43s %-32s %8s %9s %9s\n", what[i], ce, pw[p], cp, ratio(me, mp), xpo(id), xpo(p)
			if (fe != "") printf "    exo row n/a: %s\n", fe
			if (fp != "") printf "    peer n/a: %s\n", fp
			if (me == "" || mp == "") { missing++; if (fe == "" && fp == "") printf "    n/a: no repetition produced a number\n" }
			printf "    {\"row\": %s, \"exo\": %s, \"exo_result\": %s, \"peer\": %s, \"peer_result\": %s, \"ratio\": %s, \"failed\": %s}%s\n", \
				jstr(id), jstr(what[i]), fe == "" ? js(id, id) : "null", jstr(pw[p]), fp == "" ? js(p, p) : "null", \
				ratio(me, mp) == "n/a" ? "null" : ratio(me, mp), fe fp == "" ? "null" : jstr(fe (fe != "" && fp != "" ? "; " : "") fp), ",\n" > json
		}
		if (itool != "n/a")
			printf "%-55s %-30s %-43s\n", "hv instructions per hypercall (EXO_HC_INFO)", ival " (" itool ")", "user-space instructions of exo, all threads"
		else
			printf "%-55s %-30s\n    %s\n", "hv instructions per hypercall (EXO_HC_INFO)", "n/a", ival
		printf "    {\"row\": \"hv_instructions_per_hypercall\", \"exo\": %s, \"tool\": %s, \"value\": %s, \"reason\": %s}\n  ]", \
			jstr("user-space instructions of the exo process per EXO_HC_INFO (difference of two runs of exo run limits hc N)"), \
			itool == "n/a" ? "null" : jstr(itool), itool == "n/a" ? "null" : ival, itool == "n/a" ? jstr(ival) : "null" > json
		printf "\nmethod: exo rows timed in the guest (rdtsc, exo_page()->tsc_khz); raw KVM exits timed by the host around KVM_RUN (CLOCK_MONOTONIC); starts are whole processes (guests-spawn: fork to wait4)\n"
		if (vmb != "") {
			printf "for reference, apps/vmbench's TRAP rows from build/bench/vmbench.json (another run):\n"
			nv = split(vmb, v, ";")
			for (i = 1; i <= nv; i++) printf "    %s\n", v[i]
		}
		printf ",\n  \"vmbench_trap_rows\": %s\n}\n", jstr(vmb) > json
		if (missing) { printf "limits: %d row(s) produced no number\n", missing; exit 1 }
	}
AWK

# hv/metal under Bochs (make bench builds BUILD/bench/vmbench-bochs.out
# from apps/vmbench/metal.list): the same rows in instructions per
# operation, guest and hv together, a count no host can distort.
bochs=$out/vmbench-bochs.out
if [ -f "$bochs" ] && grep -q '^limits-r0: rep ' "$bochs"; then
	tr -d '\r' <"$bochs" >"$run/bochs.out"
	awk -v json="$out/limits-bochs.json" -f "$(dirname "${BASH_SOURCE[0]}")/../bench-stats.awk" \
		-v before="$(dirname "${BASH_SOURCE[0]}")/../vmbench/bochs-before.txt" \
		-f /dev/stdin "$run/bochs.out" <<'AWK' || rc=$?
	BEGIN {
		read_bochs_before(before) # the path-length column before issue 16's work
		was["hc0"] = old0["hc"]; was["hc3"] = old3["hc"]
		was["trap0"] = old0["limits_trap"]; was["trap3"] = old3["limits_trap"]
	}
	$1 ~ /^limits-r[03]:$/ && $2 == "rep" && NF >= 7 && $4 > 0 { k = $3; val[k, ++cnt[k]] = $7 / $4 }
	$1 ~ /^limits-r[03]:$/ && $2 == "split" && NF == 5 { split_in[$3] = $4 }
	END {
		n = split("hc0 pf0 trap0 hc3 pf3 trap3", row, " ")
		what["hc0"] = "hypercall round trip (EXO_HC_INFO), guest ring 0"
		what["hc3"] = "hypercall round trip (EXO_HC_INFO), ring 3 (#GP + out)"
		what["pf0"] = "bare #PF ring 0 -> null ring-0 handler"
		what["pf3"] = "bare #PF ring 3 -> null ring-0 handler"
		what["trap0"] = "TRAP: libos/vm fault path to app handler, ring 0"
		what["trap3"] = "TRAP: libos/vm fault path to app handler, ring 3"
		printf "\nOn hv/metal under Bochs (its TSC counts instructions): instructions per operation, guest and hv together, median over the reps\n"
		printf "%-55s %10s %10s\n", "", "now", "before"
		printf "{\n  \"what\": \"instructions per operation on hv/metal under Bochs, guest and hv together\",\n  \"rows\": {" > json
		bad = 0
		for (i = 1; i <= n; i++) {
			r = row[i]
			if (stats(r)) printf "%-55s %10.0f %10s\n", what[r], MED, (r in was) ? was[r] : "-"
			else { printf "%-55s %10s\n", what[r], "n/a"; bad = 1 }
			printf "%s\n    \"%s\": %s", (i > 1 ? "," : ""), r, stats(r) ? sprintf("%.0f", MED) : "null" > json
		}
		# The split: the bare gate's count is the harness's and the CPU's
		# share; less it, what libos/vm runs before the handler's first.
		for (j = 0; j <= 3; j += 3)
			if ((j "") in split_in && "bare" in split_in) {
				w = split_in[j ""] - split_in["bare"]
				printf "%-55s %10d %10s\n", "TRAP way in, ring " j ": libos/vm before the handler", w, j ? old3["split_in"] : old0["split_in"]
				printf ",\n    \"way_in_ring%d\": %d", j, w > json
			}
		printf "\n  }\n}\n" > json
		exit bad
	}
AWK
fi

echo
echo "machine: $machine"
echo "load average: $load0 at the start, $load1 at the end"
echo "wrote $out/limits.json"
if [ $rc != 0 ] && [ $QUICK = 1 ]; then
	echo "limits bench-check: failed (every row must produce a number)" >&2
	exit 1
fi
[ $QUICK = 1 ] && echo "limits bench-check: every row produced a number"
exit 0
