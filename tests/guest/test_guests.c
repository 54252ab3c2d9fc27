/* SPDX-License-Identifier: MIT */
/*
 * tests/guest/test_guests.c: well-behaved guests under build/exo, checked
 * by what the guest itself observed and printed.
 */
#include "harness.h"

Test(guest, hello_prints_its_arguments_and_exits_zero)
{
	struct exo_result r;
	exo_run(&r, "run", IMAGES "../../apps/hello", "one", "two words", NULL);
	cr_assert_eq(r.status, 0, "stderr: %s", r.err);
	cr_assert(strstr(r.out, "hello from an exo guest in ring 0\n"), "%s", r.out);
	cr_assert(strstr(r.out, "argv[0] = " IMAGES "../../apps/hello\n"), "%s", r.out);
	cr_assert(strstr(r.out, "argv[1] = one\nargv[2] = two words\n"), "%s", r.out);
	cr_assert_str_empty(r.err);
}

Test(guest, exo_page_reports_pool_and_cap_from_the_command_line)
{
	struct exo_result r;
	exo_run(&r, "run", "--mem", "2M", "--pool", "8M", IMAGES "../../apps/hello", NULL);
	cr_assert_eq(r.status, 0, "stderr: %s", r.err);
	/* 8 MiB = 2048 frames, 2 MiB = 512. */
	cr_assert(strstr(r.out, "pool 2048 frames, own "), "%s", r.out);
	cr_assert(strstr(r.out, ", may own 512\n"), "%s", r.out);
}

Test(guest, frames_allocate_use_release_and_exhaust)
{
	struct exo_result r;
	exo_run(&r, "run", "--mem", "1M", IMAGES "frames", NULL);
	cr_assert_eq(r.status, 0, "failures: %d\n%s%s", r.status, r.out, r.err);
	cr_assert(!strstr(r.out, "FAIL"), "%s", r.out);
	cr_assert(strstr(r.out, "ok: a reallocated frame reads zero\n"), "%s", r.out);
	cr_assert(strstr(r.out, "ok: one frame over the cap: EXO_ENOMEM, nothing taken\n"), "%s", r.out);
	cr_assert(strstr(r.out, "frames: 0 failures\n"), "%s", r.out);
}

Test(guest, forged_arguments_are_refused_and_the_guest_goes_on)
{
	static const char *const expect[] = {
		"release frame beyond the pool: EXO_ERANGE\n",
		"named alloc of frame 2^40: EXO_ERANGE\n",
		"release a frame not owned: EXO_EPERM\n",
		"console buffer at a foreign GPA: EXO_EFAULT\n",
		"console length 1 MiB: EXO_E2BIG\n",
		"console buffer wrapping the address space: EXO_EFAULT\n",
		"alloc vector at a foreign GPA: EXO_EFAULT\n",
		"alloc count over the limit: EXO_E2BIG\n",
		"alloc with unknown flags: EXO_EINVAL\n",
		"info block at a foreign GPA: EXO_EFAULT\n",
		"info block beyond the pool: EXO_EFAULT\n",
		"exit block at a foreign GPA: EXO_EFAULT\n",
		"unknown call number 15: EXO_ENOSYS\n",
		"still running, owning ",
	};
	struct exo_result r;
	exo_run(&r, "run", IMAGES "forged", NULL);
	cr_assert_eq(r.status, 0, "stderr: %s", r.err);
	for (size_t i = 0; i < sizeof expect / sizeof expect[0]; i++)
		cr_assert(strstr(r.out, expect[i]), "missing \"%s\" in:\n%s", expect[i], r.out);
}

Test(guest, stats_count_one_exit_per_hypercall)
{
	struct exo_result r;
	exo_run(&r, "run", "--stats", IMAGES "../../apps/hello", NULL);
	cr_assert_eq(r.status, 0, "stderr: %s", r.err);
	/* hello: 3 printfs (greeting, argv[0], pool line), then exit. */
	cr_assert(strstr(r.err, "exo: stats: exits: hypercall=4 total=4\n"), "%s", r.err);
	cr_assert(strstr(r.err, "hypercalls: console=3 exit=1 total=4\n"), "%s", r.err);
	cr_assert(strstr(r.err, "first guest instruction at "), "%s", r.err);
	cr_assert(strstr(r.err, "exits per hypercall 1.00\n"), "%s", r.err);
}
