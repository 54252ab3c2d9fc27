# SPDX-License-Identifier: MIT
# posix-shim/calls-table.awk: the table of calls in docs/posix-shim.md,
# printed from posix-shim/calls.h, the one list (`make docs-calls` writes
# it into the doc; `make test` checks the doc still matches).
BEGIN { FS = "[(), ]+" }
/^CALL\(/ {
	name = $2; nr = $3; class = $4
	if (class == "GUEST") served[++ns] = sprintf("| %d | `%s` | in the guest |", nr, name)
	else if (class == "FWD") served[++ns] = sprintf("| %d | `%s` | forwarded to hv |", nr, name)
	else nosys = nosys (nosys == "" ? "" : ", ") "`" name "`"
}
END {
	print "| nr | call | served |"
	print "|---|---|---|"
	for (i = 1; i <= ns; i++) print served[i]
	print ""
	print "Every other call returns -ENOSYS, and exo names it once on stderr:"
	print nosys "."
}
