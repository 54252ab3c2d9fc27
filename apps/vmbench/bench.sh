#!/usr/bin/env bash
# apps/vmbench/bench.sh BUILD: run vmbench natively and on exo (application
# in ring 3 and in ring 0) in one run, and print the comparison table; also
# write it as BUILD/bench/vmbench.json and a bar chart BUILD/bench/vmbench.png.
set -euo pipefail
B=${1:-build}
out=$B/bench
mkdir -p "$out"

cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
cores=$(nproc)
kernel=$(uname -r)
kvm=$(ls /sys/module | grep -E '^kvm_(intel|amd|pvm)$' | paste -sd, - || true)
hwvirt=$(grep -cE ' (vmx|svm)( |$)' /proc/cpuinfo || true)
machine="$cpu, $cores cores, Linux $kernel, KVM module: ${kvm:-none}, VT-x/AMD-V visible to Linux: $([ "$hwvirt" -gt 0 ] && echo yes || echo no)"
date=$(date -u +%Y-%m-%dT%H:%M:%SZ)

echo "vmbench: $machine"
echo "running native Linux, exo ring 3, exo ring 0 (ring 0 is slow where the host emulates it) ..."
"$B/bench/vmbench-linux" >"$out/linux.out"
"$B/exo" run --mem 256M --ring 3 --stats "$B/apps/vmbench" >"$out/exo3.out" 2>"$out/exo3.err"
"$B/exo" run --mem 256M --ring 0 --stats "$B/apps/vmbench" >"$out/exo0.out" 2>"$out/exo0.err"

awk -v machine="$machine" -v date="$date" -v json="$out/vmbench.json" -v dat="$out/vmbench.dat" '
	FNR == 1 { run++ }
	/^vmbench: dirty via/ { sub(/^vmbench: dirty via /, ""); method[run] = $0 }
	/^vmbench: batch via/ { sub(/^vmbench: batch via /, ""); batch[run] = $0 }
	/^result / { op = $2; if (run == 1) order[++n] = op
		ns[run, op] = $4; mexits[run, op] = $5 }
	END {
		names["trap"] = "TRAP (fault, handler unprotects)"
		names["appel1"] = "PROT1+TRAP+UNPROT (appel1)"
		names["appel2"] = "PROTN+TRAP+UNPROT (appel2)"
		names["dirty"] = "DIRTY, 16384 pages, 64 written"
		names["scan"] = "DIRTY fetch-and-clear alone, 16384 pages"
		names["batch"] = "fetch-and-clear, 4 ranges x 4096 pages"
		names["map2"] = "MAP2 (alias, read, unmap)"
		printf "\n%-34s %10s %10s %7s %8s %10s %7s %8s\n", "operation (us per op)", "linux", "exo r3", "r3/lx", "exits/op", "exo r0", "r0/lx", "exits/op"
		printf "{\n  \"machine\": \"%s\",\n  \"date\": \"%s\",\n", machine, date > json
		printf "  \"dirty_method\": {\"linux\": \"%s\", \"exo\": \"%s\"},\n  \"results\": [\n", method[1], method[2] > json
		for (i = 1; i <= n; i++) {
			op = order[i]
			l = ns[1, op] / 1000; e3 = ns[2, op] / 1000; e0 = ns[3, op] / 1000
			x3 = mexits[2, op] / 1000; x0 = mexits[3, op] / 1000
			printf "%-34s %10.2f %10.2f %7.1f %8.3f %10.2f %7.1f %8.3f\n", names[op], l, e3, e3 / l, x3, e0, e0 / l, x0
			printf "    {\"op\": \"%s\", \"linux_us\": %.3f, \"exo_ring3_us\": %.3f, \"ratio_ring3\": %.3f, \"exits_per_op_ring3\": %.3f, \"exo_ring0_us\": %.3f, \"ratio_ring0\": %.3f, \"exits_per_op_ring0\": %.3f}%s\n", op, l, e3, e3 / l, x3, e0, e0 / l, x0, i < n ? "," : "" > json
			printf "\"%s\" %.3f %.3f %.3f\n", op, l, e3, e0 > dat
		}
		printf "  ]\n}\n" > json
		printf "\nDIRTY on Linux via %s; on exo via %s.\n", method[1], method[2]
		printf "Batch on Linux via %s; on exo via %s.\n", batch[1], batch[2]
	}' "$out/linux.out" "$out/exo3.out" "$out/exo0.out"

grep -h '^vm: application' "$out/exo3.err" "$out/exo3.out" 2>/dev/null | head -1 || true
if command -v gnuplot >/dev/null; then
	gnuplot <<PLOT
set terminal pngcairo size 900,500
set output "$out/vmbench.png"
set title "vmbench: us per operation (log scale), $(echo "$cpu" | sed 's/"//g')"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set logscale y
set ylabel "us per operation"
set key top left
plot "$out/vmbench.dat" using 2:xtic(1) title "Linux (mprotect/SIGSEGV)", \
     "" using 3 title "exo, app in ring 3", "" using 4 title "exo, app in ring 0"
PLOT
	echo "wrote $out/vmbench.json and $out/vmbench.png"
else
	echo "wrote $out/vmbench.json (gnuplot missing: no chart)"
fi
