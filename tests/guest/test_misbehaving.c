/* SPDX-License-Identifier: MIT */
/*
 * tests/guest/test_misbehaving.c: guests that break the rules end alone,
 * with a one-line report naming what they did and where, and the exit
 * status README.md documents for that way of ending.
 */
#include <inttypes.h>

#include "harness.h"

static void crash(struct exo_result *r, char *mode)
{
	exo_run(r, "run", IMAGES "crash", mode, NULL);
}

Test(misbehaving, reading_an_unowned_frame_ends_the_guest_with_the_address)
{
	struct exo_result r;
	unsigned long frame, gpa;
	crash(&r, "read-unowned");
	cr_assert_eq(r.status, 121, "status %d, stderr: %s", r.status, r.err);
	cr_assert_eq(sscanf(r.out, "reading frame %lu at GPA 0x%lx", &frame, &gpa), 2, "%s", r.out);
	char want[128];
	snprintf(want, sizeof want, "guest read GPA 0x%lx (frame %lu), which it does not own, at RIP 0x",
		 gpa, frame);
	assert_one_line_error(&r, want);
}

Test(misbehaving, writing_the_read_only_exo_page_ends_the_guest)
{
	struct exo_result r;
	unsigned long gpa;
	crash(&r, "write-exo");
	cr_assert_eq(r.status, 124, "status %d, stderr: %s", r.status, r.err);
	cr_assert_eq(sscanf(r.out, "writing the exo page at GPA 0x%lx", &gpa), 1, "%s", r.out);
	char want[96];
	snprintf(want, sizeof want, "wrote to its read-only exo page at GPA 0x%lx", gpa);
	assert_one_line_error(&r, want);
}

Test(misbehaving, unhandled_page_fault_is_reported_with_cr2_and_registers)
{
	struct exo_result r;
	crash(&r, "pf");
	cr_assert_eq(r.status, 120, "status %d, stderr: %s", r.status, r.err);
	cr_assert(strstr(r.err, "exo: guest fault: vector 14 (#PF page fault), error code 0x0, RIP 0xffffffff8"),
		  "%s", r.err);
	cr_assert(strstr(r.err, ", CR2 0x5000\n"), "%s", r.err);
	cr_assert(strstr(r.err, "exo:   rflags "), "%s", r.err);
}

Test(misbehaving, unhandled_invalid_opcode_is_reported)
{
	struct exo_result r;
	crash(&r, "ud");
	cr_assert_eq(r.status, 120, "status %d, stderr: %s", r.status, r.err);
	cr_assert(strstr(r.err, "vector 6 (#UD invalid opcode)"), "%s", r.err);
	cr_assert(!strstr(r.out, "resumed"), "%s", r.out);
}

Test(misbehaving, a_trap_handler_in_the_guest_fixes_and_resumes_without_hv)
{
	struct exo_result r;
	exo_run(&r, "run", "--stats", IMAGES "crash", "ud-handled", NULL);
	cr_assert_eq(r.status, 0, "stderr: %s", r.err);
	cr_assert(strstr(r.out, "handler saw vector 6 at 0xffffffff8"), "%s", r.out);
	cr_assert(strstr(r.out, "resumed after ud2\n"), "%s", r.out);
	/* The fault itself cost no exit: only the two printfs and exit did. */
	cr_assert(strstr(r.err, "exits: hypercall=3 total=3\n"), "%s", r.err);
}

Test(misbehaving, triple_fault_ends_the_guest)
{
	struct exo_result r;
	crash(&r, "triple");
	cr_assert_eq(r.status, 122, "status %d, stderr: %s", r.status, r.err);
	assert_one_line_error(&r, "guest triple-faulted at RIP 0xffffffff8");
}

Test(misbehaving, sse_in_ring_0_is_reported_where_the_host_cannot_run_it)
{
	struct exo_result r;
	crash(&r, "sse");
	if (r.status == 0) { /* a host that runs guest ring 0 natively */
		cr_assert(strstr(r.out, "sse ran natively in ring 0\n"), "%s", r.out);
		return;
	}
	cr_assert_eq(r.status, 123, "status %d, stderr: %s", r.status, r.err);
	assert_one_line_error(&r, "the host cannot run the instruction at RIP 0xffffffff8");
}

Test(misbehaving, exit_status_out_of_range_is_a_protocol_error)
{
	struct exo_result r;
	crash(&r, "bad-exit");
	cr_assert_eq(r.status, 124, "status %d, stderr: %s", r.status, r.err);
	assert_one_line_error(&r, "guest exit status 200 is out of range 0-119");
}

Test(misbehaving, halting_with_nothing_to_wake_it_ends_the_guest)
{
	struct exo_result r;
	crash(&r, "hlt");
	cr_assert_eq(r.status, 124, "status %d, stderr: %s", r.status, r.err);
	assert_one_line_error(&r, "guest halted at RIP 0xffffffff8");
}

Test(misbehaving, an_io_port_hv_does_not_provide_ends_the_guest)
{
	struct exo_result r;
	crash(&r, "port");
	cr_assert_eq(r.status, 124, "status %d, stderr: %s", r.status, r.err);
	assert_one_line_error(&r, "guest used I/O port 0x80 (out), which hv does not provide");
}
