# SPDX-License-Identifier: MIT
# apps/bench-stats.awk: the statistics every benchmark report uses
# (apps/*/bench.sh load it with -f before their own program). Values are
# collected per key in cnt[k] and val[k, i].

function jstr(s) { gsub(/\\/, "\\\\", s); gsub(/"/, "\\\"", s); return "\"" s "\"" }

function sortn(a, n,   i, j, v) {
	for (i = 2; i <= n; i++) { v = a[i]; for (j = i - 1; j >= 1 && a[j] > v; j--) a[j + 1] = a[j]; a[j + 1] = v }
}

# Statistics of the values of key k: sets MIN MED MAX, returns the count.
function stats(k,   n, i, a) {
	n = cnt[k] + 0
	if (!n) return 0
	for (i = 1; i <= n; i++) a[i] = val[k, i]
	sortn(a, n)
	MIN = a[1]; MAX = a[n]
	MED = n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
	return n
}

# The path-length counts before issue 16's work (apps/vmbench/bochs-before.txt:
# ROW RING0 RING3 a line, # comments) into old0[ROW] and old3[ROW].
function read_bochs_before(file,   line, f) {
	while ((getline line < file) > 0)
		if (line !~ /^#/ && split(line, f, " ") == 3) { old0[f[1]] = f[2]; old3[f[1]] = f[3] }
	close(file)
}
