/* SPDX-License-Identifier: MIT */
/*
 * tests/posix/test_calls.c: one test program per call group, run natively
 * and under exo, must observe the same (see posix.h). A section that fails
 * because exo differs from Linux is a test of its own, so that it does not
 * hide the rest of its group.
 */
#include "posix.h"

static const char *const killed[] = { "posix-shim: program killed by", NULL };
static const char *const nosys_getcpu[] = { "getcpu", NULL };

/* --- files --- */

Test(files, descriptors_io_stat_locks_pipes_and_big_transfers)
{
	const char *out = COMPARE("files");
	ASSERT_LINE(out, "readv third: ok");
	ASSERT_LINE(out, "read back equals written: ok");
	ASSERT_LINE(out, "conflict: type F_WRLCK start 2 len 3 pid -1");
}

/* A write to a pipe with no reader: SIGPIPE for the program (handled or
 * ignored), EPIPE from the call; exo itself must not die of it. */
Test(files, widowed_pipe_raises_sigpipe_in_the_program)
{
	struct exo_result e;
	const char *out = compare_with(&(struct compare_opts){ .expect_status = 141, .exo_stderr = killed,
							       .exo = &e },
				       "files", "sigpipe", NULL);
	ASSERT_LINE(out, "SIGPIPE handler ran 1 time(s)");
	cr_assert(strstr(e.err, "SIGPIPE"), "exo's stderr should say the program died of SIGPIPE: %s", e.err);
}

/* --- names and directories --- */

static void put(const char *dir, const char *name, const char *data)
{
	char p[PATH_MAX];
	snprintf(p, sizeof p, "%s/%s", dir, name);
	FILE *f = fopen(p, "w");
	cr_assert(f);
	fputs(data, f);
	fclose(f);
}

static void dirs_fixture(const char *dir)
{
	char p[PATH_MAX], q[PATH_MAX];
	put(dir, "seed.txt", "seed\n");
	snprintf(p, sizeof p, "%s/d0", dir);
	cr_assert(mkdir(p, 0755) == 0);
	put(dir, "d0/inner.txt", "inner\n");
	static const char *const links[][2] = { { "seed.txt", "lnk" }, { "d0", "dlnk" }, { "nowhere", "dangling" } };
	for (int i = 0; i < 3; i++) {
		snprintf(q, sizeof q, "%s/%s", dir, links[i][1]);
		cr_assert(symlink(links[i][0], q) == 0);
	}
	/* The modes, whatever the umask of whoever runs the tests. */
	snprintf(p, sizeof p, "%s/seed.txt", dir);
	chmod(p, 0644);
	snprintf(p, sizeof p, "%s/d0/inner.txt", dir);
	chmod(p, 0644);
	snprintf(p, sizeof p, "%s/d0", dir);
	chmod(p, 0755);
}

Test(dirs, mkdir_rmdir_unlink_rename_readlink_getdents_chdir_access_chmod_utimensat)
{
	const char *out = compare_with(&(struct compare_opts){ .fixture = dirs_fixture, .expect_status = 0 },
				       "dirs", "cwd", "mkdir", "links", "remove", "rename", "perms",
				       "dirents", NULL);
	ASSERT_LINE(out, "getcwd (through dlnk): /d0");
	ASSERT_LINE(out, "renameat2 EXCHANGE c/g <-> r2 = 0");
	ASSERT_LINE(out, "atime 1000000000.123456789 mtime 1500000000.987654321");
	ASSERT_LINE(out, "d0 in 40-byte reads: ../ ./ inner.txt");
}

Test(dirs, files_are_created_with_the_programs_umask)
{
	const char *out = compare_with(&(struct compare_opts){ .fixture = dirs_fixture, .expect_status = 0 },
				       "dirs", "umask", NULL);
	ASSERT_LINE(out, "mode masked: reg 0640");
}

/* --- memory --- */

#define MEMORY(section, check)                                      \
	Test(memory, section)                                       \
	{                                                           \
		const char *out = COMPARE("memory", #section);      \
		(void)out;                                          \
		check;                                              \
	}

MEMORY(brk, ASSERT_LINE(out, "regrown pages read zero: ok"))
MEMORY(anon, ASSERT_LINE(out, "hint at a free page honoured: ok"))
MEMORY(fixed, ASSERT_LINE(out, "MAP_FIXED_NOREPLACE over a mapping = -1 EEXIST"))
MEMORY(filemap, ASSERT_LINE(out, "contents are the file's: ok"))
MEMORY(unmap, ASSERT_LINE(out, "page 1 (unmapped): SIGSEGV SEGV_MAPERR at the address"))
MEMORY(protect, ASSERT_LINE(out, "write page 1: SIGSEGV SEGV_ACCERR at the address"))
MEMORY(madvise, ASSERT_LINE(out, "pages 1-2 read zero: ok"))
MEMORY(mremap, ASSERT_LINE(out, "contents moved: ok"))
MEMORY(many, ASSERT_LINE(out, "contents wrong: 0"))
MEMORY(malloc, ASSERT_LINE(out, "contents kept: ok"))
/* Where exo has differed from Linux. */
MEMORY(mmap_errors, ASSERT_LINE(out, "mmap a directory = -1 ENODEV"))
MEMORY(sigbus, ASSERT_LINE(out, "page past the end of the file: SIGBUS BUS_ADRERR at the address"))

/* --- signals --- */

#define SIGNALS(section, check)                                     \
	Test(signals, section)                                      \
	{                                                           \
		const char *out = COMPARE("signals", #section);     \
		(void)out;                                          \
		check;                                              \
	}

SIGNALS(sigaction, ASSERT_LINE(out, "sa_mask blocked SIGUSR2 in the handler: ok"))
SIGNALS(self, ASSERT_LINE(out, "still running"))
SIGNALS(mask, ASSERT_LINE(out, "handler ran 1 time(s) by the time sigprocmask returned"))
SIGNALS(nodefer, ASSERT_LINE(out, "SA_NODEFER: 4 deliveries, nested 4 deep"))
SIGNALS(gc, ASSERT_LINE(out, "gc: 2944 faults (expected 2944), wrong address/code 0, sum 5888"))
SIGNALS(fault_context, ASSERT_LINE(out, "write read-only: SEGV_ACCERR trapno 14 err P=0 W=1 cr2-ok 1"))
SIGNALS(ucontext, ASSERT_LINE(out, "200 skipped faults: 200 ok"))
SIGNALS(int3, ASSERT_LINE(out, "int3: SIGTRAP SI_KERNEL rip-after-int3 1 si_addr-null 1"))
SIGNALS(altstack, ASSERT_LINE(out, "off it again after siglongjmp: ok"))
/* kill(2) is SI_USER on Linux. */
SIGNALS(kill, ASSERT_LINE(out, "after kill: hits 1 sig 10 code SI_USER pid-ok 1 uid-ok 1 blocked-in-handler 1"))

/* Privileged instructions fault in ring 3 (in ring 0 they would run). */
Test(signals, privileged)
{
	static const char *const ring3[] = { "--ring", "3", NULL };
	const char *out = compare_with(&(struct compare_opts){ .exo_options = ring3, .expect_status = 0 },
				       "signals", "privileged", NULL);
	ASSERT_LINE(out, "wrmsr: SIGSEGV SI_KERNEL rip-ok 1 addr-ok 0 rcx 0x5678");
}

#define SIGNAL_DEATH(section, status, line)                                                    \
	Test(signals, section)                                                                 \
	{                                                                                      \
		const char *out = compare_with(&(struct compare_opts){ .expect_status = status, \
								       .exo_stderr = killed }, \
					       "signals", #section, NULL);                     \
		ASSERT_LINE(out, line);                                                        \
	}

SIGNAL_DEATH(resethand, 128 + SIGUSR1, "handler reset to SIG_DFL: ok")
SIGNAL_DEATH(uncaught_segv, 128 + SIGSEGV, "writing to NULL")
SIGNAL_DEATH(blocked_segv, 128 + SIGSEGV, "writing to NULL with SIGSEGV blocked")
SIGNAL_DEATH(abort, 134, "abort()")
SIGNAL_DEATH(term, 128 + SIGTERM, "raise(SIGTERM)")
SIGNAL_DEATH(pending_default, 128 + SIGUSR2, "SIGUSR2 pending; unblocking")

/* --- FPU/SSE/AVX --- */

Test(fpu, cpu_features_and_long_double)
{
	COMPARE("fpu", "cpu");
}

Test(fpu, state_survives_system_calls)
{
	const char *out = compare_with(&(struct compare_opts){ .expect_status = 0, .exo_stderr = nosys_getcpu },
				       "fpu", "syscalls", NULL);
	cr_assert(!strstr(out, "changed"), "%s", out);
	ASSERT_LINE(out, "unknown call (ENOSYS) [avx512]: preserved");
}

Test(fpu, state_survives_page_faults)
{
	const char *out = COMPARE("fpu", "faults");
	cr_assert(!strstr(out, "changed"), "%s", out);
	ASSERT_LINE(out, "store to fresh heap [avx512]: preserved");
}

Test(fpu, state_survives_signal_handlers_that_use_the_fpu)
{
	const char *out = COMPARE("fpu", "signals");
	cr_assert(!strstr(out, "changed"), "%s", out);
	ASSERT_LINE(out, "handlers ran: 15 (expected 15)");
}

Test(fpu, sigreturn_restores_the_state_in_the_frame)
{
	const char *out = COMPARE("fpu", "sigframe");
	ASSERT_LINE(out, "xmm3 as the handler wrote it in uc_mcontext.fpregs: ok");
}

/* Linux enters a handler with the default control words. */
Test(fpu, handler_starts_with_a_clean_fpu_state)
{
	const char *out = COMPARE("fpu", "handler_state");
	ASSERT_LINE(out, "after it: cw 0e7f mxcsr ffc0");
}

/* --- time --- */

Test(time, clocks)
{
	const char *out = COMPARE("time", "clocks");
	ASSERT_LINE(out, "monotonic went back 0 times in 2000 reads");
}

Test(time, wall_clock)
{
	const char *out = COMPARE("time", "wall");
	ASSERT_LINE(out, "gettimeofday within 1 s of CLOCK_REALTIME: ok");
}

Test(time, sleeps)
{
	const char *out = COMPARE("time", "sleep");
	ASSERT_LINE(out, "slept at least 20 ms: ok, under 2 s: ok");
}

/* --- the process --- */

Test(process, argv)
{
	const char *out = COMPARE("process", "args", "one", "two words", "", "-x");
	ASSERT_LINE(out, "argc 6");
	ASSERT_LINE(out, "argv[3] \"two words\"");
	ASSERT_LINE(out, "argv[4] \"\"");
}

/* Natively the harness gives exactly exo's documented default. */
Test(process, environment_is_exos_default)
{
	const char *out = COMPARE("process", "env");
	cr_assert_str_eq(out, "== env\n"
			      "env[0] PATH=/usr/local/bin:/usr/bin:/bin\n"
			      "env[1] HOME=/\n"
			      "env[2] LANG=C\n"
			      "3 variables\n"
			      "getenv HOME: /\n");
}

#define PROCESS(section, check)                                     \
	Test(process, section)                                      \
	{                                                           \
		const char *out = COMPARE("process", #section);     \
		(void)out;                                          \
		check;                                              \
	}

PROCESS(ids, ASSERT_LINE(out, "sysname Linux machine x86_64 release-set 1 version-set 1 nodename-set 1"))
PROCESS(limits, ASSERT_LINE(out, "nofile: cur 256 max 256"))
PROCESS(tls, ASSERT_LINE(out, "reads through the new FS: ok"))
PROCESS(auxv, ASSERT_LINE(out, "AT_PAGESZ 4096"))
PROCESS(fds, ASSERT_LINE(out, "open at start: 0 1 2"); ASSERT_LINE(out, "opened 253 more, last fd 255, then EMFILE"))
PROCESS(umask, ASSERT_LINE(out, "umask 01777 (masked to 0777) = 0"))
PROCESS(misc, ASSERT_LINE(out, "getrandom 3000: 3000, looks random 1"))
/* musl's getpgrp() is getpgid(0). */
PROCESS(pgrp, ASSERT_LINE(out, "getpgrp() positive: ok"))

static void exit_case(const char *how, const char *code, int status, const char *line)
{
	struct exo_result n;
	const char *out = compare_with(&(struct compare_opts){ .expect_status = status, .native = &n },
				       "process", how, code, NULL); /* code NULL: no argument */
	if (line)
		cr_assert_str_eq(out, line, "%s %s", how, code);
}

Test(process, exit_codes)
{
	exit_case("exit", "0", 0, "");
	exit_case("exit", "1", 1, "");
	exit_case("exit", "119", 119, "");
	exit_case("exit", "120", 120, "");
	exit_case("exit", "127", 127, "");
	exit_case("exit", "200", 200, "");
	exit_case("exit", "255", 255, "");
	exit_case("exit", "256", 0, "");
	exit_case("exit", "-1", 255, "");
	exit_case("return", "77", 77, "");
	exit_case("exit_group", "300", 300 & 255, "");
}

Test(process, atexit_handlers_and_stdio_flush)
{
	exit_case("atexit", "5", 5, "exit(5)\nregistered second, runs first\natexit handler ran\n"
				    "unterminated, flushed by exit");
	exit_case("_exit", "3", 3, "before _exit\n");
	exit_case("atexit_exit", NULL, 9, "atexit handler calls _exit(9)\n");
	/* The handler that did not run: "atexit handler ran" is absent. */
}

/* --- errors --- */

#define ERRORS(section, check)                                      \
	Test(errors, section)                                       \
	{                                                           \
		const char *out = COMPARE("errors", #section);      \
		ASSERT_LINE(out, "still alive");                    \
		check;                                              \
	}

ERRORS(efault, ASSERT_LINE(out, "write from the upper half (shim memory) = -1 EFAULT"))
ERRORS(huge, ASSERT_LINE(out, "write SIZE_MAX bytes = -1 EFAULT"))
ERRORS(ebadf, ASSERT_LINE(out, "  read = -1 EBADF"))
/* Linux copies what it can before the bad byte and returns the count. */
ERRORS(partial, ASSERT_LINE(out, "read 10 into the last 4 bytes of a page = 4"))
/* Linux checks the object before the buffer. */
ERRORS(errno_order, ASSERT_LINE(out, "readlink of a non-link into a bad buffer = -1 EINVAL"))
/* A length far beyond the buffer, on a small file: Linux reads the file. */
ERRORS(huge_read, ASSERT_LINE(out, "read 1 GiB into a 1 MiB heap buffer from a 10-byte file = 10"))

/* --- static-pie: the same programs, relocated by musl's rcrt1.o at the
 * base posix-shim picks --- */

Test(pie, process_runs_as_a_static_pie)
{
	const char *out = COMPARE("pie-process", "tls");
	ASSERT_LINE(out, "reads through the new FS: ok");
	out = COMPARE("pie-process", "auxv");
	ASSERT_LINE(out, "AT_PAGESZ 4096");
}

Test(pie, memory_runs_as_a_static_pie)
{
	const char *out = COMPARE("pie-memory", "protect");
	ASSERT_LINE(out, "write page 1: SIGSEGV SEGV_ACCERR at the address");
	out = COMPARE("pie-memory", "mremap");
	ASSERT_LINE(out, "contents moved: ok");
}
