/* SPDX-License-Identifier: MIT */
/*
 * tests/posix/test_bad_programs.c: programs exo cannot or should not run
 * as they are, and programs that misbehave: a clear error, exo and the
 * host untouched, nothing left open or written outside --root.
 * (Bad pointers, huge lengths and descriptors never opened are in
 * test_calls.c's errors tests; unknown calls in test_exo_only.c.)
 */
#include "posix.h"

Test(bad_program, dynamically_linked_says_link_static)
{
	struct exo_result r;
	exo_run(&r, "run", "/bin/true", NULL);
	cr_assert_eq(r.status, 126, "status %d: %s", r.status, r.err);
	assert_one_line_error(&r, "/bin/true: dynamically linked");
	cr_assert(strstr(r.err, "-static"), "should say to link with -static: %s", r.err);
	cr_assert_str_empty(r.out);
}

Test(bad_program, root_that_does_not_exist)
{
	struct exo_result r;
	exo_run(&r, "run", "--root", "/nonexistent/exo-test-root", PROGS "process", "env", NULL);
	cr_assert_eq(r.status, 125, "status %d: %s", r.status, r.err);
	assert_one_line_error(&r, "--root /nonexistent/exo-test-root: no such directory");
	cr_assert_str_empty(r.out);
}

Test(bad_program, root_that_is_a_file)
{
	struct exo_result r;
	exo_run(&r, "run", "--root", PROGS "process", PROGS "process", "env", NULL);
	cr_assert_eq(r.status, 125, "status %d: %s", r.status, r.err);
	assert_one_line_error(&r, ": not a directory");
	cr_assert_str_empty(r.out);
}

/* Run hog under exo with --mem mem, in a fresh directory inside a fresh
 * parent: the parent must hold nothing else afterwards. */
static void hog(const char *mem, const char *mib, const char *how, struct exo_result *r)
{
	char parent[64], root[128];
	scratch_dir(parent);
	snprintf(root, sizeof root, "%s/root", parent);
	cr_assert(mkdir(root, 0755) == 0);
	char *argv[] = { "--mem", (char *)mem, "--", abs_path(PROGS "hog"), (char *)mib, (char *)how, NULL };
	time_t t0 = time(NULL);
	exo_in(root, argv, r);
	long took = (long)(time(NULL) - t0);
	char *t = tree(parent);
	remove_tree(parent);
	cr_assert(took < 20, "took %ld s", took);
	cr_assert_str_eq(t, "d 0755 root/\n", "left in or beside the root:\n%s", t);
	free(t);
}

static void out_of_memory(const char *mem, const char *mib, const char *how)
{
	struct exo_result r;
	hog(mem, mib, how, &r);
	char want[64];
	snprintf(want, sizeof want, "touching %s MiB (%s)\n", mib, how);
	cr_assert_str_eq(r.out, want, "--mem %s %s: the program should have started", mem, how);
	cr_assert_eq(r.status, 128 + SIGKILL, "--mem %s %s MiB %s: status %d: %s", mem, mib, how, r.status, r.err);
	assert_one_line_error(&r, "the program needs more than --mem allows");
	cr_assert(strstr(r.err, "out of memory at 0x"), "%s", r.err);
}

Test(bad_program, exhausting_mem_with_malloc)
{
	out_of_memory("4M", "64", "malloc");
}

Test(bad_program, exhausting_mem_with_brk)
{
	out_of_memory("4M", "64", "brk");
}

Test(bad_program, exhausting_mem_with_the_stack)
{
	out_of_memory("4M", "6", "stack");
}

Test(bad_program, exhausting_the_default_mem)
{
	out_of_memory("64M", "100", "malloc");
}

/* Within --mem the same program runs to the end. */
Test(bad_program, within_mem_runs)
{
	struct exo_result r;
	hog("16M", "8", "malloc", &r);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_str_eq(r.out, "touching 8 MiB (malloc)\ndone\n");
	cr_assert_str_empty(r.err);
}

/* The stack is 8 MiB: more is a stack overflow (SIGSEGV), as on Linux
 * with the usual limit, not memory exhaustion. */
Test(bad_program, stack_overflow_within_mem)
{
	struct exo_result r;
	hog("64M", "16", "stack", &r);
	cr_assert_eq(r.status, 128 + SIGSEGV, "%d %s", r.status, r.err);
	assert_one_line_error(&r, "program killed by SIGSEGV");
}

/* Descriptors exo itself inherited are not the program's: it starts with
 * 0, 1 and 2 alone, and cannot reach a file exo has open. */
Test(bad_program, exos_own_descriptors_are_not_the_programs)
{
	char d[64], secret[128];
	scratch_dir(d);
	snprintf(secret, sizeof secret, "%s/../exo-posix-secret-%d", d, (int)getpid());
	FILE *f = fopen(secret, "w");
	cr_assert(f);
	fputs("SECRET\n", f);
	fclose(f);
	char cmd[512];
	snprintf(cmd, sizeof cmd, "exec 7<'%s' 9>>'%s'; exec \"$@\"", secret, secret);
	char *argv[] = { "/bin/sh", "-c", cmd, "sh", abs_path(EXO), "run", "--root", d,
			 abs_path(PROGS "process"), "fds", NULL };
	struct exo_result r;
	struct run_opts o = { .cwd = d };
	run_with(&o, argv, &r);
	FILE *g = fopen(secret, "r");
	char buf[64] = "";
	cr_assert(g && fgets(buf, sizeof buf, g));
	fclose(g);
	unlink(secret);
	remove_tree(d);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert(strstr(r.out, "open at start: 0 1 2\n"), "%s", r.out);
	cr_assert_str_eq(buf, "SECRET\n", "the file exo had open was written");
}
