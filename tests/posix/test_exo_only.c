/* SPDX-License-Identifier: MIT */
/*
 * tests/posix/test_exo_only.c: where exo deliberately differs from Linux,
 * its documented behaviour: the environment a program starts with, the
 * calls it does not serve (-ENOSYS, named once on stderr), and running in
 * guest ring 0 as well as ring 3.
 */
#include "posix.h"

/* Run progs/NAME under exo in a fresh directory: arguments are the
 * program's, or exo's options, then "--", then the program's. */
static void exo_prog(struct exo_result *r, const char *name, ...)
{
	char d[64], rel[PATH_MAX], *given[64], *argv[72];
	int n = 0, dashes = -1, k = 0;
	va_list ap;
	va_start(ap, name);
	while (n < 60 && (given[n] = va_arg(ap, char *))) {
		if (dashes < 0 && !strcmp(given[n], "--"))
			dashes = n;
		n++;
	}
	va_end(ap);
	for (int i = 0; i < dashes; i++)
		argv[k++] = given[i];
	argv[k++] = "--";
	snprintf(rel, sizeof rel, PROGS "%s", name);
	argv[k++] = abs_path(rel);
	for (int i = dashes + 1; i < n; i++)
		argv[k++] = given[i];
	argv[k] = NULL;
	scratch_dir(d);
	exo_in(d, argv, r);
	remove_tree(d);
}

static int count(const char *hay, const char *needle)
{
	int n = 0;
	for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

Test(environment, exactly_the_default)
{
	struct exo_result r;
	exo_prog(&r, "process", "env", NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_str_eq(r.out, "== env\n"
				"env[0] PATH=/usr/local/bin:/usr/bin:/bin\n"
				"env[1] HOME=/\n"
				"env[2] LANG=C\n"
				"3 variables\n"
				"getenv HOME: /\n");
}

/* exo's own environment is not the program's. */
Test(environment, not_inherited_from_exo)
{
	struct exo_result r;
	char d[64];
	scratch_dir(d);
	static char *const env[] = { "SECRET_TOKEN=xyz", "PATH=/nowhere", "HOME=/root", NULL };
	char *argv[] = { abs_path(EXO), "run", "--root", d, abs_path(PROGS "process"), "env", NULL };
	struct run_opts o = { .cwd = d, .env = env };
	run_with(&o, argv, &r);
	remove_tree(d);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert(!strstr(r.out, "SECRET_TOKEN") && !strstr(r.out, "/nowhere") && !strstr(r.out, "/root"),
		  "%s", r.out);
	cr_assert(strstr(r.out, "3 variables\n"), "%s", r.out);
}

Test(environment, env_options_add_and_replace_in_order)
{
	struct exo_result r;
	exo_prog(&r, "process", "--env", "FOO=bar", "--env", "HOME=/home/guest", "--env", "EMPTY=",
		 "--env", "EQ=a=b", "--", "env", NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_str_eq(r.out, "== env\n"
				"env[0] PATH=/usr/local/bin:/usr/bin:/bin\n"
				"env[1] LANG=C\n"
				"env[2] FOO=bar\n"
				"env[3] HOME=/home/guest\n"
				"env[4] EMPTY=\n"
				"env[5] EQ=a=b\n"
				"6 variables\n"
				"getenv HOME: /home/guest\n");
}

Test(environment, malformed_env_is_a_usage_error)
{
	struct exo_result r;
	exo_run(&r, "run", "--env", "NOEQUALS", PROGS "process", "env", NULL);
	cr_assert_eq(r.status, 125, "%d %s", r.status, r.err);
	assert_one_line_error(&r, "--env NOEQUALS: must be NAME=VALUE");
	exo_run(&r, "run", "--env", NULL);
	cr_assert_eq(r.status, 125, "%d %s", r.status, r.err);
	cr_assert(strstr(r.err, "--env: missing K=V"), "%s", r.err);
}

Test(cwd, starts_at_the_root)
{
	struct exo_result r;
	exo_prog(&r, "confine", "c:.", NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_str_eq(r.out, "c:.: cwd /\n");
}

/* hv gives no file away: chown to the owner a file has succeeds, any
 * other owner is EPERM (docs/posix-shim.md). */
Test(owner, chown_keeps_owners_and_refuses_changes)
{
	struct exo_result r;
	exo_prog(&r, "owner", NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_str_eq(r.out,
			 "fchown to its own owner = 0\n"
			 "fchown leaving both alone = 0\n"
			 "chown to its own owner = 0\n"
			 "lchown leaving both alone = 0\n"
			 "fchownat to its own group = 0\n"
			 "fchown to another user = -1 Operation not permitted\n"
			 "chown of a missing file = -1 No such file or directory\n");
	cr_assert_eq(r.err[0], '\0', "a notice: %s", r.err);
}

/* A documented difference (docs/posix-shim.md, "Memory calls"): the shim
 * keeps no link to a private file mapping's file, so MADV_DONTNEED there
 * gives zero pages, where Linux reads the file again. */
Test(memory, dontneed_on_a_private_file_mapping_reads_zero)
{
	struct exo_result r;
	exo_prog(&r, "memory", "dontneed_file", NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert(strstr(r.out, "madvise MADV_DONTNEED = 0\n"), "%s", r.out);
	cr_assert(strstr(r.out, "file contents again: "), "%s", r.out);
	cr_assert(!strstr(r.out, "file contents again: ok"), "the shim re-read the file: "
		  "update docs/posix-shim.md and move this test back to test_calls.c\n%s", r.out);
}

/* Calls the shim does not serve: -ENOSYS to the program, and exactly one
 * line naming each on exo's stderr, however often it is made. */
Test(nosys, unserved_calls_are_enosys_and_named_once)
{
	struct exo_result r;
	exo_prog(&r, "errors", "nosys", NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_str_eq(r.out, "== nosys\n"
				"fork = -1 ENOSYS\n"
				"vfork = -1 ENOSYS\n"
				"clone = -1 ENOSYS\n"
				"execve = -1 ENOSYS\n"
				"execve again = -1 ENOSYS\n"
				"wait4 = -1 ENOSYS\n"
				"socket = -1 ENOSYS\n"
				"fork() from libc = -1 ENOSYS\n"
				"symlink = -1 ENOSYS\n"
				"link = -1 ENOSYS\n"
				"truncate = -1 ENOSYS\n"
				"syscall 1000 = -1 ENOSYS\n"
				"syscall 1000 again = -1 ENOSYS\n"
				"syscall 335 = -1 ENOSYS\n"
				"syscall -1 = -1 ENOSYS\n"
				"syscall 1 << 40 = -1 ENOSYS\n"
				"still alive\n");
	static const struct {
		const char *name;
		int nr;
	} calls[] = { { "fork", 57 }, { "vfork", 58 }, { "clone", 56 }, { "execve", 59 },
		      { "wait4", 61 }, { "socket", 41 }, { "symlink", 88 }, { "link", 86 },
		      { "truncate", 76 } };
	for (unsigned i = 0; i < sizeof calls / sizeof calls[0]; i++) {
		char line[128];
		snprintf(line, sizeof line, "exo: posix-shim: %s (system call %d) is not supported: -ENOSYS\n",
			 calls[i].name, calls[i].nr);
		cr_assert_eq(count(r.err, line), 1, "expected once: %sstderr:\n%s", line, r.err);
	}
	cr_assert_eq(count(r.err, "exo: posix-shim: unknown system call 1000: -ENOSYS\n"), 1, "%s", r.err);
	cr_assert_eq(count(r.err, "exo: posix-shim: unknown system call 335: -ENOSYS\n"), 1, "%s", r.err);
	/* Nothing else is said, and every line is exo's. */
	for (const char *l = r.err; *l; l = strchr(l, '\n') + 1)
		cr_assert(!strncmp(l, "exo: posix-shim: ", 17) && strchr(l, '\n'), "stray output: %s", l);
}

/* Every distinct unknown number is named, not only the first of them. */
Test(nosys, each_unknown_number_is_named)
{
	struct exo_result r;
	exo_prog(&r, "errors", "nosys", NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_eq(count(r.err, "unknown system call 18446744073709551615: -ENOSYS\n"), 1,
		     "syscall(-1) not named:\n%s", r.err);
	cr_assert_eq(count(r.err, "unknown system call 1099511627776: -ENOSYS\n"), 1,
		     "syscall(1 << 40) not named:\n%s", r.err);
}

/* A program built without libc, with no SSE or x87 anywhere, as guest
 * ring 0 needs where the host emulates it (see progs/ring0.c). */
static void ring0_prog(char path[PATH_MAX])
{
	struct exo_result r;
	snprintf(path, PATH_MAX, "%s", abs_path(PROGS "ring0"));
	char *argv[] = { path, "hello", NULL };
	struct run_opts o = { .cwd = "/" };
	run_with(&o, argv, &r);
	cr_assert(!strncmp(r.out, "build: freestanding\n", 20),
		  "%s is the Makefile's musl build, not the freestanding one --ring 0 needs; build it with\n"
		  "  gcc -static -nostdlib -ffreestanding -fno-pie -no-pie -fno-stack-protector "
		  "-mgeneral-regs-only -O1 -o %s tests/posix/progs/ring0.c\n(first line: %.40s)",
		  path, path, r.out);
}

static const char ring0_transcript[] = "build: freestanding\n"
				       "argc: 2\n"
				       "argv[1] is \"hello\": ok\n"
				       "getpid == gettid: ok\n"
				       "brk grows by 64 KiB: ok\n"
				       "heap writable: ok\n"
				       "mmap 2 pages: ok\n"
				       "mmap reads zero: ok\n"
				       "sum: 7680\n"
				       "munmap: 0\n"
				       "write from a bad pointer: -14\n"
				       "close 99: -9\n"
				       "unknown call 1000: -38\n"
				       "exiting with 7\n";

static void ring(const char *which)
{
	char path[PATH_MAX], d[64];
	ring0_prog(path);
	scratch_dir(d);
	char *argv[] = { abs_path(EXO), "run", "--stats", "--ring", (char *)which, "--root", d, path, "hello",
			 NULL };
	struct exo_result r;
	struct run_opts o = { .cwd = d };
	run_with(&o, argv, &r);
	remove_tree(d);
	cr_assert_str_eq(r.out, ring0_transcript, "--ring %s; stderr:\n%s", which, r.err);
	cr_assert_eq(r.status, 7, "--ring %s: status %d; stderr:\n%s", which, r.status, r.err);
	char said[64];
	snprintf(said, sizeof said, "application code runs in ring %s", which);
	cr_assert(strstr(r.err, said), "--ring %s not honoured:\n%s", which, r.err);
	cr_assert_eq(count(r.err, "posix-shim: unknown system call 1000"), 1, "%s", r.err);
}

Test(rings, ring0)
{
	ring("0");
}

Test(rings, ring3)
{
	ring("3");
}

/* The same program natively: the transcript above is Linux's too, but
 * for the bad pointer, which Linux reports as -14 as well. */
Test(rings, native)
{
	char path[PATH_MAX];
	ring0_prog(path);
	char *argv[] = { path, "hello", NULL };
	struct exo_result r;
	struct run_opts o = { .cwd = "/" };
	run_with(&o, argv, &r);
	cr_assert_str_eq(r.out, ring0_transcript);
	cr_assert_eq(r.status, 7);
}
