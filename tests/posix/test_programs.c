/* SPDX-License-Identifier: MIT */
/*
 * tests/posix/test_programs.c: real programs (lua, bzip2, sqlite3, built
 * static with musl from Debian's sources by tests/programs/build.sh) run
 * on their workloads natively and under exo by tests/programs/run.sh,
 * which compares stdout, exit status and the files left, step by step.
 */
#include "posix.h"

Test(programs, lua_bzip2_sqlite3_agree_with_linux, .timeout = 300)
{
	static const char *const progs[] = { "lua", "bzip2", "sqlite3" };
	for (int i = 0; i < 3; i++) {
		char p[64];
		snprintf(p, sizeof p, "build/programs/bin/%s", progs[i]);
		if (access(p, X_OK) != 0)
			cr_skip_test("%s missing: tests/programs/build.sh build fetches and builds it "
				     "(needs the Debian archive)", p);
	}
	char *argv[] = { "/bin/bash", abs_path("tests/programs/run.sh"), "build", EXO, "run", NULL };
	struct exo_result r;
	struct run_opts o = { .cwd = ".", .env = (char *const[]){ "PATH=/usr/local/bin:/usr/bin:/bin",
								 "PROGRAMS_TIMEOUT=50", NULL } };
	run_with(&o, argv, &r);
	cr_assert_eq(r.status, 0, "run.sh failed (status %d):\n%s\n%s", r.status, r.out, r.err);
	for (int i = 0; i < 3; i++) {
		char want[32];
		snprintf(want, sizeof want, "ok %s (", progs[i]);
		cr_assert(strstr(r.out, want), "%s did not pass:\n%s\n%s", progs[i], r.out, r.err);
	}
}
