#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# apps/replace/bench.sh BUILD: Cao, Felten and Li's application-controlled
# replacement on exo, against Linux, and how long revocation takes (issue
# 10's demonstration).
#
# 1. A cyclic scan larger than memory. BUILD/apps/replace scan (scan.c):
#    PAGES pages (REPLACE_PAGES, default 1024) written once, in a pool of
#    1.5 x PAGES frames; then a presser (replace press, press.c) takes
#    nearly its fair share (half the pool), hv revokes the difference from
#    the scanner, and the scanner runs PASSES scans (REPLACE_PASSES,
#    default 10) in the memory it was left, paging against its own swap
#    file: with libos/vm's clock (LRU-like: every page misses) and with an
#    MRU chooser (the optimal policy for a loop). Linux: the same scan
#    natively (BUILD/bench/replace-scan, scan_linux.c) in a memory cgroup
#    whose limit leaves it as many of the pages as the exo scanner had
#    (anonymous memory where the machine has swap, else a file read back
#    from the file system). And both without pressure (every page in
#    memory), which shows what the scan costs without paging.
# 2. Revocation latency, from the requester's side: the presser times each
#    allocation of 64 frames by the TSC; one that found the pool short
#    (EXO_FA_NOWAIT said -EXO_EAGAIN) waited from hv's request to the
#    victim's frames in hand. Victims: the scanner (libos/vm, its pages go
#    to swap: the pressed runs of 1), BUILD/tests/guest/revoke coop
#    (libos/vm, its pages are rebuildable and dropped) and revoke ignore
#    (no upcall: hv takes the frames by abort at the 50 ms deadline).
#    Beside them: an allocation that did not wait, and Linux's
#    synchronous reclaim when the cgroup's limit is lowered.
#
# REPLACE_REPS runs of everything (default 5), interleaved; each run ends
# after REPLACE_TIMEOUT seconds at most (default 120); REPLACE_CGROUP names
# the memory cgroup to make Linux's under (default: this script's). Prints
# the tables (medians, spread, ratios) and the machine, writes
# BUILD/bench/replace.json. Scratch files stay in BUILD/bench/replace-run/.
# A run that fails makes its figures n/a with its reason.
set -euo pipefail
B=${1:-build}
B=$(cd "$B" && pwd)
out=$B/bench
run=$out/replace-run
EXO=$B/exo
IMG=$B/apps/replace
REVOKE=$B/tests/guest/revoke
LSCAN=$B/bench/replace-scan
PAGES=${REPLACE_PAGES:-1024}
PASSES=${REPLACE_PASSES:-10}
REPS=${REPLACE_REPS:-5}
TIMEOUT=${REPLACE_TIMEOUT:-120}
for f in "$EXO" "$IMG" "$REVOKE" "$LSCAN"; do
	[ -x "$f" ] || { echo "replace bench: $f is missing: make all $B/bench/replace-scan" >&2; exit 1; }
done
case $PAGES in
'' | *[!0-9]*) echo "replace bench: REPLACE_PAGES must be 512..4096, not '$PAGES'" >&2; exit 1 ;;
esac
[ "$PAGES" -ge 512 ] && [ "$PAGES" -le 4096 ] ||
	{ echo "replace bench: REPLACE_PAGES must be 512..4096, not $PAGES" >&2; exit 1; }
# shellcheck source=apps/bench-common.sh
. "$(dirname "${BASH_SOURCE[0]}")/../bench-common.sh"
swapkib=$(awk '$1 == "SwapTotal:" { print $2 }' /proc/meminfo)
if [ "${swapkib:-0}" -gt 0 ]; then backing=anon; else backing=file; fi
lru=$([ -r /sys/kernel/mm/lru_gen/enabled ] && echo "multi-generational LRU $(cat /sys/kernel/mm/lru_gen/enabled)" || echo "active/inactive LRU lists (no MGLRU)")
load0=$(cut -d' ' -f1-3 /proc/loadavg)
echo "replace: $machine"
echo "replace: load average at the start: $load0 (other work on the machine shows in the spread)"

# The memory cgroup this script is in (v1, or v2's unified tree), where
# replace-scan makes a child for each run; replace-scan says why not.
cgroup_dir() {
	local p m
	p=$(awk -F: '$2 ~ /(^|,)memory(,|$)/ { print $3; exit }' /proc/self/cgroup)
	if [ -n "$p" ]; then
		m=$(awk '$3 == "cgroup" && $4 ~ /(^|,)memory(,|$)/ { print $2; exit }' /proc/mounts)
	else
		p=$(awk -F: '$1 == "0" { print $3; exit }' /proc/self/cgroup)
		m=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts)
	fi
	echo "${m:-/sys/fs/cgroup}${p%/}"
}
CG=${REPLACE_CGROUP:-$(cgroup_dir)}

# reason ERRFILE STATUS: why a run failed: timed out, or the last line
# that says an error (exo's own, the guest's, replace-scan's).
reason() {
	fail_reason "$1" "$2" '^(exo|replace-scan|[a-z]+: replace|[a-z]+: revoke): ' \
		': (stats|vm): |: batch [0-9]+:|: got [0-9]+ frames'
}

# exorun ID OUT CMD...: one exo run with --stats; its console and exo's
# lines together in OUT. A failure is recorded as "f ID REASON".
exorun() {
	local id=$1 o=$2 rc=0
	shift 2
	timeout -k 5 "$TIMEOUT" "$EXO" run --stats "$@" >"$o" 2>&1 || rc=$?
	[ $rc = 0 ] || { fact f "$id" "$(reason "$o" $rc)"; return 1; }
}

# What the scanner printed ("replace: scan: k=v ..."), as "kv ID k=v ...".
scanner() { sed -n "s/^\\(scan: \\)\\{0,1\\}replace: scan: /kv\\t$1\\t/p" "$2" >>"$facts"; }
# The presser's batches: "lat ID waited|at once NS".
batches() {
	sed -n "s/^press: replace: press: batch [0-9]*: [0-9]* frames, \\(waited\\|at once\\), \\([0-9]*\\) ns$/lat\\t$1\\t\\1\\t\\2/p" "$2" >>"$facts"
}
# hv's view of guest NAME's requests: "hv ID asked A abort T intime M".
hvstats() {
	sed -n "s/^exo: stats: $2: revocation: peak owned [0-9]*, asked \\([0-9]*\\), given [0-9]*, taken by abort \\([0-9]*\\), requests met in time \\([0-9]*\\).*/hv\\t$1\\t\\1\\t\\2\\t\\3/p" "$3" >>"$facts"
}

# ------------------------------------------------------------- sizes

POOL=$((PAGES * 3 / 2))
# The presser's own frames (image, tables, exo page): one alone says.
own=$(timeout -k 5 "$TIMEOUT" "$EXO" run --stats --pool "$((POOL * 4))K" --mem "$((POOL * 4))K" "$IMG" press 1 2>&1 |
	sed -n 's/^exo: stats: frames owned at exit \([0-9]*\) of .*/\1/p' || true)
[ -n "$own" ] || { echo "replace bench: exo run $IMG press 1 failed" >&2; exit 1; }
own=$((own - 1))
# Nearly half the pool (each guest's fair share, equal caps), with a
# margin: a presser over its share would itself be asked, and it has no
# way to answer.
PRESS=$((POOL / 2 - own - 32))
EXOPOOL=(--pool "$((POOL * 4))K" --mem "$((POOL * 4))K")
echo "replace: scan of $PAGES pages, $PASSES passes; pool $POOL frames; the presser takes $PRESS (its own image and tables: $own)"

scanrun() {
	local id=$1 policy=$2 o=$run/$1.out
	exorun "$id" "$o" "${EXOPOOL[@]}" --guest --name scan "$IMG" scan "$PAGES" "$PASSES" policy="$policy" notify=press \
		--guest --name press "$IMG" press "$PRESS" rings=1 done=scan || return 0
	scanner "$id" "$o"
	batches "$id" "$o"
	hvstats "$id" scan "$o"
	hvstats "$id-press" press "$o"
}

# The latency runs: a victim of 700 pages or frames in a 4 MiB pool, a
# presser of 400 (tests/guest/test_revoke.c's sizes: hv asks for ~200).
victimrun() {
	local id=$1 mode=$2 o=$run/$1.out
	exorun "$id" "$o" --pool 4M --mem 4M --guest --name holder "$REVOKE" "$mode" 700 notify=press \
		--guest --name press "$IMG" press 400 rings=1 || return 0
	batches "$id" "$o"
	hvstats "$id" holder "$o"
}

# ------------------------------------------------------------- exo runs

echo "exo: scan without pressure, with clock, with MRU; revocation victims coop and ignore; $REPS runs each, interleaved ..."
for rep in $(seq 1 "$REPS"); do
	o=$run/exo_free.out
	if exorun exo_free "$o" "${EXOPOOL[@]}" "$IMG" scan "$PAGES" "$PASSES"; then scanner exo_free "$o"; fi
	scanrun exo_clock clock
	scanrun exo_mru mru
	victimrun coop coop
	victimrun ignore ignore
	echo "  run $rep of $REPS done"
done

# ------------------------------------------------------------- Linux

# The exo scanner's memory when its timed scans began (median over its
# runs): what the cgroup's limit leaves the Linux scan.
resident=$(awk -F'\t' '$1 == "kv" && ($2 == "exo_clock" || $2 == "exo_mru") {
		n = split($3, kv, " ")
		for (i = 1; i <= n; i++) if (kv[i] ~ /^resident=/) { split(substr(kv[i], 10), r, /\.\./); v[++c] = r[1] } }
	END { if (!c) exit; for (i = 2; i <= c; i++) { x = v[i]; for (j = i - 1; j >= 1 && v[j] > x; j--) v[j + 1] = v[j]; v[j + 1] = x }
		print v[int((c + 1) / 2)] }' "$facts")
echo "Linux: the same scan natively ($backing-backed), without a limit and in a memory cgroup leaving it ${resident:-?} pages; $REPS runs each ..."
lrun() {
	local id=$1 rc=0
	shift
	(cd "$run" && timeout -k 5 "$TIMEOUT" "$LSCAN" "$@" -d "$run" "$PAGES" "$PASSES") >"$run/$id.out" 2>&1 || rc=$?
	if [ $rc = 0 ]; then
		sed -n "s/^replace-scan: /kv\\t$id\\t/p" "$run/$id.out" >>"$facts"
	else
		fact f "$id" "$(reason "$run/$id.out" $rc)"
	fi
}
for rep in $(seq 1 "$REPS"); do
	lrun linux_free
	if [ -n "$resident" ]; then
		lrun linux -c "$CG" -r "$resident"
	else
		fact f linux "no exo scan under pressure succeeded: no resident size to limit Linux to"
	fi
done

# ------------------------------------------------------------- report

fact cmd exo_free "exo, alone: every page in memory"
fact cmd exo_clock "exo, pressed: libos/vm's clock"
fact cmd exo_mru "exo, pressed: the application's MRU chooser"
fact cmd linux_free "Linux, $backing, no limit: every page in memory"
fact cmd linux "Linux, $backing, memory cgroup limit"
fact how exo_free "exo run ${EXOPOOL[*]} replace scan $PAGES $PASSES"
fact how exo_clock "exo run ${EXOPOOL[*]} --guest --name scan replace scan $PAGES $PASSES policy=clock notify=press --guest --name press replace press $PRESS rings=1 done=scan"
fact how exo_mru "exo run ${EXOPOOL[*]} --guest --name scan replace scan $PAGES $PASSES policy=mru notify=press --guest --name press replace press $PRESS rings=1 done=scan"
fact how linux_free "replace-scan -d DIR $PAGES $PASSES"
fact how linux "replace-scan -c CGROUP -r ${resident:-R} -d DIR $PAGES $PASSES"
load1=$(cut -d' ' -f1-3 /proc/loadavg)
awk -F'\t' -v machine="$machine" -v date="$date" -v json="$out/replace.json" -v reps="$REPS" \
	-v pages="$PAGES" -v passes="$PASSES" -v pool="$POOL" -v press="$PRESS" -v backing="$backing" \
	-v lru="$lru" -v resident="$resident" -v load0="$load0" -v load1="$load1" \
	-f "$(dirname "${BASH_SOURCE[0]}")/../bench-stats.awk" -f /dev/stdin "$facts" <<'AWK'
	function add(k, v) { val[k, ++cnt[k]] = v }
	function med(k) { return stats(k) ? MED : "" }
	function t(ns) {
		if (ns == "") return "n/a"
		if (ns < 10000) return sprintf("%.0f ns", ns)
		if (ns < 10000000) return sprintf("%.1f us", ns / 1000)
		return sprintf("%.1f ms", ns / 1e6)
	}
	function spread() { return MED ? sprintf("-%.0f/+%.0f%%", 100 * (MED - MIN) / MED, 100 * (MAX - MED) / MED) : "" }
	function ratio(a, b) {
		if (a == "" || b == "" || b == 0) return "n/a"
		a /= b
		return a >= 100 ? sprintf("%.0f", a) : a >= 10 ? sprintf("%.1f", a) : sprintf("%.2f", a)
	}
	# What failed of id's runs, "" if none did.
	function failed(id) { return (id in fail) ? sprintf("%d of %d runs failed, the first: %s", nfail[id], reps, fail[id]) : "" }
	function jnum(x) { return x == "" ? "null" : sprintf("%.6g", x) }
	function jstats(k, scale) {
		if (!stats(k)) return "null"
		return sprintf("{\"median\": %.6g, \"min\": %.6g, \"max\": %.6g, \"n\": %d}", MED * scale, MIN * scale, MAX * scale, cnt[k])
	}
	$1 == "cmd" { cmd[$2] = $3 }
	$1 == "how" { how[$2] = $3; hows[++nhow] = $2 }
	$1 == "f" { nfail[$2]++; if (!(($2) in fail)) fail[$2] = $3 }
	$1 == "kv" { n = split($3, kv, " ")
		for (i = 1; i <= n; i++) {
			split(kv[i], p, "=")
			if (p[1] == "resident") { split(p[2], r, /\.\./); add("res0" SUBSEP $2, r[1]); add("res1" SUBSEP $2, r[2]) }
			else if (p[1] == "ring") ring[$2] = p[2]
			else if (p[2] ~ /^[0-9]+$/) add(p[1] SUBSEP $2, p[2])
		}
		seen[$2] = 1 }
	$1 == "lat" { add(($3 == "waited" ? "wait" : "now") SUBSEP $2, $4) }
	$1 == "hv" { add("asked" SUBSEP $2, $3); add("abort" SUBSEP $2, $4); add("intime" SUBSEP $2, $5)
		hvruns[$2]++; hvabort[$2] += $4; hvin[$2] += $5 }
	END {
		printf "{\n  \"machine\": %s,\n  \"date\": %s,\n  \"load_average\": {\"start\": %s, \"end\": %s},\n", \
			jstr(machine), jstr(date), jstr(load0), jstr(load1) > json
		printf "  \"scan\": {\n    \"pages\": %d, \"passes\": %d, \"pool_frames\": %d, \"presser_frames\": %d, \"linux_backing\": %s, \"linux_lru\": %s,\n", \
			pages, passes, pool, press, jstr(backing), jstr(lru) > json
		printf "    \"method\": %s,\n    \"rows\": [\n", jstr("elapsed: the " passes " timed scans only (exo: guest TSC; Linux: CLOCK_MONOTONIC), after the first pass wrote every page and the memory was taken down; page-ins: exo libos/vm swapped_in, Linux major faults (getrusage); resident: pages of the " pages " in memory when the timed scans began and ended; " reps " runs each, interleaved") > json

		# --- 1. the scan
		printf "\ncyclic scan: %d passes over %d pages (each read and checked), after the first pass wrote them;\n", passes, pages
		printf "pressed: a second guest takes %d of the pool's %d frames, hv revokes from the scanner, libos/vm pages to its swap file;\n", press, pool
		printf "Linux: %s-backed, in a memory cgroup whose limit leaves it the exo scanner's resident pages (%s); %s\n", backing, resident == "" ? "n/a" : resident, lru
		printf "median of %d runs (-min/+max); per page-in: elapsed / page-ins; vs clock: MRU / clock; vs Linux: exo / Linux under the limit\n", reps
		printf "%-52s %10s %-20s %9s %12s %9s %9s\n", "the timed scans", "resident", "elapsed", "page-ins", "per page-in", "vs clock", "vs Linux"
		n = split("exo_free exo_clock exo_mru linux_free linux", ids, " ")
		lin = seen["linux"] ? med("elapsed_ns" SUBSEP "linux") : ""
		clk = seen["exo_clock"] ? med("elapsed_ns" SUBSEP "exo_clock") : ""
		clkin = clk == "" ? "" : med("page_ins" SUBSEP "exo_clock")
		for (i = 1; i <= n; i++) {
			id = ids[i]
			name = cmd[id] ((id in ring) ? ", ring " ring[id] : "")
			f = failed(id)
			if (!seen[id]) {
				printf "%-52s n/a: %s\n", name, f == "" ? "no run succeeded" : f
				printf "      {\"row\": %s, \"what\": %s, \"command\": %s, \"failed\": %s}%s\n", jstr(id), jstr(name), jstr(how[id]), jstr(f == "" ? "no run succeeded" : f), i < n ? "," : "" > json
				continue
			}
			el = med("elapsed_ns" SUBSEP id); stats("elapsed_ns" SUBSEP id); cell = t(el) " " spread()
			pin = med("page_ins" SUBSEP id); r0 = med("res0" SUBSEP id); r1 = med("res1" SUBSEP id)
			per = pin > 0 ? el / pin : ""
			vclk = id == "exo_mru" ? ratio(el, clk) : ""
			vlin = id == "exo_clock" || id == "exo_mru" ? ratio(el, lin) : ""
			printf "%-52s %10s %-20s %9s %12s %9s %9s\n", name, r0 ".." r1, cell, pin, per == "" ? "-" : t(per), vclk, vlin
			if (f != "") printf "  (%s)\n", f
			if (id == "exo_mru") printf "%-52s %10s %-20s %9s %12s %9s\n", "  MRU / clock", "", ratio(el, clk), ratio(pin, clkin), ratio(per, clk / clkin), ""
			printf "      {\"row\": %s, \"what\": %s, \"command\": %s, \"resident_start\": %s, \"resident_end\": %s, \"elapsed_ms\": %s, \"page_ins\": %s, \"page_outs\": %s, \"evicted_for_own_need\": %s, \"frames_given_to_revocation\": %s, \"ns_per_page_in\": %s, \"ratio_to_clock\": %s, \"page_ins_ratio_to_clock\": %s, \"ratio_to_linux\": %s, \"failed\": %s}%s\n", \
				jstr(id), jstr(name), jstr(how[id]), jnum(r0), jnum(r1), jstats("elapsed_ns" SUBSEP id, 1e-6), jnum(pin), jnum(med("page_outs" SUBSEP id)), \
				jnum(med("evicted" SUBSEP id)), jnum(med("given" SUBSEP id)), jnum(per), vclk == "" || vclk == "n/a" ? "null" : vclk, \
				id == "exo_mru" && ratio(pin, clkin) != "n/a" ? ratio(pin, clkin) : "null", \
				vlin == "" || vlin == "n/a" ? "null" : vlin, f == "" ? "null" : jstr(f), i < n ? "," : "" > json
		}
		printf "    ]\n  },\n" > json
		for (i = 1; i <= nhow; i++) printf "  %-12s %s\n", hows[i] ":", how[hows[i]]
		if (seen["linux"])
			printf "Linux under the limit: limit %s KiB; lowering it to there reclaimed %s pages in %s (synchronous, clean page cache)\n", \
				med("limit_kib" SUBSEP "linux"), med("reclaimed" SUBSEP "linux"), t(med("reclaim_ns" SUBSEP "linux"))
		for (i = 1; i <= 2; i++) {
			id = i == 1 ? "exo_clock" : "exo_mru"
			if (hvruns[id])
				printf "hv, %s runs: asked the scanner for %s frames a run (median), %d requests met in time, %d frames taken by abort; the presser was asked %d\n", \
					id == "exo_clock" ? "clock" : "MRU", med("asked" SUBSEP id), hvin[id], hvabort[id], hvruns[id "-press"] ? med("asked" SUBSEP id "-press") : 0
		}

		# --- 2. revocation latency
		printf "\nrevocation latency, seen by the requester: a raw guest times each allocation of 64 frames (guest TSC); one that found the pool\n"
		printf "short waited from hv's request to the victim's frames in hand (two hypercalls of its own included); all samples of %d runs\n", reps
		printf "%-74s %7s %10s %10s %10s  %s\n", "what is timed", "samples", "median", "min", "max", "hv: requests met in time / frames taken by abort"
		printf "  \"revocation_latency\": {\n    \"method\": %s,\n    \"rows\": [\n", jstr("replace press: TSC around exo_frames_alloc of 64 frames (EXO_FA_NOWAIT first; -EXO_EAGAIN then the blocking call); the waited batches of every run of each victim; hv's deadline is 50 ms") > json
		m = split("now:exo_clock exo_mru coop ignore|wait:exo_clock|wait:exo_mru|wait:coop|wait:ignore", lrows, "|")
		lname["now"] = "allocation that did not wait (pool not short; presser in emulated ring 0)"
		lname["wait:exo_clock"] = "cooperative: victim libos/vm scanner (clock), pages written to swap"
		lname["wait:exo_mru"] = "cooperative: victim libos/vm scanner (MRU chooser), pages to swap"
		lname["wait:coop"] = "cooperative: victim revoke coop (libos/vm), rebuildable pages dropped"
		lname["wait:ignore"] = "abort: victim revoke ignore (no upcall): 50 ms deadline, then abort"
		for (i = 1; i <= m; i++) {
			split(lrows[i], q, ":")
			kind = q[1]; nv = split(q[2], vs, " ")
			key = kind == "now" ? "now" : lrows[i]
			for (j = 1; j <= nv; j++)
				for (k = 1; k <= cnt[kind SUBSEP vs[j]]; k++) add(key, val[kind SUBSEP vs[j], k])
			hvcell = ""
			if (kind == "wait") hvcell = hvruns[vs[1]] ? sprintf("%d / %d", hvin[vs[1]], hvabort[vs[1]]) : ""
			f = kind == "wait" ? failed(vs[1]) : ""
			if (stats(key))
				printf "%-74s %7d %10s %10s %10s  %s%s\n", lname[key], cnt[key], t(MED), t(MIN), t(MAX), hvcell, f == "" ? "" : " (" f ")"
			else
				printf "%-74s n/a: %s\n", lname[key], f == "" ? "no samples" : f
			printf "      {\"row\": %s, \"what\": %s, \"ns\": %s, \"hv_requests_met_in_time\": %s, \"hv_frames_taken_by_abort\": %s, \"failed\": %s},\n", \
				jstr(key), jstr(lname[key]), jstats(key, 1), kind == "wait" && hvruns[vs[1]] ? hvin[vs[1]] : "null", \
				kind == "wait" && hvruns[vs[1]] ? hvabort[vs[1]] : "null", f == "" ? "null" : jstr(f) > json
		}
		lk = "reclaim_ns" SUBSEP "linux"
		rp = med("reclaimed" SUBSEP "linux")
		if (stats(lk))
			printf "%-74s %7d %10s %10s %10s\n", "Linux: lowering the cgroup limit, reclaim of " rp " clean page-cache pages", cnt[lk], t(MED), t(MIN), t(MAX)
		printf "      {\"row\": \"linux_reclaim\", \"what\": %s, \"ns\": %s, \"pages\": %s}\n    ]\n  }\n}\n", \
			jstr("Linux: the write that lowers the memory cgroup's limit, which reclaims synchronously"), jstats(lk, 1), jnum(med("reclaimed" SUBSEP "linux")) > json
	}
AWK

echo
echo "machine: $machine"
echo "load average: $load0 at the start, $load1 at the end"
echo "wrote $out/replace.json"
