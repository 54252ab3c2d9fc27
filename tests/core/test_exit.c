/* SPDX-License-Identifier: MIT */
/*
 * tests/core/test_exit.c: hv/core/exit.c (what a VM exit means), parse.c
 * (sizes and rings) and fmt.c (hv's formatter).
 *
 * Each exit a platform can deliver is decided here once: the test checks
 * how the guest ends, the one line reported (the fake platform keeps the
 * last notice) and the stats, for hypercalls, stray ports, refused GPAs
 * (unowned, the exo area, a read-only grant), halts, triple faults,
 * emulation failures and platform failures.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "fake_plat.h"

#define NFRAMES 64u
#define PG(f) ((uint64_t)(f) * EXO_PAGE_SIZE)

static struct fake_pool *fp;
static struct fake_guest *a, *b;

static void setup(void)
{
	uint64_t bad;
	fp = fake_pool_create(NFRAMES);
	a = fake_guest_create(fp, "alpha", NFRAMES);
	b = fake_guest_create(fp, "beta", NFRAMES);
	cr_assert_eq(hv_frames_alloc_named(&a->g, 2, (uint64_t[]){ 1, 2 }, &bad), 0);
	cr_assert_eq(hv_frames_alloc_named(&b->g, 1, (uint64_t[]){ 9 }, &bad), 0);
}

static void teardown(void)
{
	fake_guest_destroy(a);
	fake_guest_destroy(b);
	fake_pool_destroy(fp);
}

TestSuite(exit, .init = setup, .fini = teardown);

static enum hv_next ex(struct fake_guest *fg, struct hv_exit e)
{
	uint64_t rax = 0;
	return hv_exit(&fg->g, &e, &rax);
}

Test(exit, a_hypercall_runs_and_the_guest_resumes)
{
	uint64_t rax = 99;
	struct exo_hc_info info;
	struct hv_exit e = { .type = HV_XT_IO, .port = EXO_HC_PORT + EXO_HC_INFO, .size = 4,
			     .value = (uint32_t)PG(1) };
	cr_assert_eq(hv_exit(&a->g, &e, &rax), HV_NEXT_RESUME);
	cr_assert_eq(rax, 0);
	memcpy(&info, fp->host + PG(1), sizeof info);
	cr_assert_eq(info.frames_owned, 2);
	cr_assert_eq(a->g.stats.exits[HV_EXIT_HYPERCALL], 1);
	e.port = EXO_HC_PORT + EXO_HC_EXIT;
	memcpy(fp->host + PG(1), &(struct exo_hc_exit){ .status = 7 }, sizeof(struct exo_hc_exit));
	cr_assert_eq(hv_exit(&a->g, &e, &rax), HV_NEXT_ENDED);
	cr_assert_eq(a->g.end, HV_END_EXIT);
	cr_assert_eq(hv_end_status(&a->g), 7);
}

/* EXO_HC_INFO's exits: every exit the guest caused, this call included,
 * whatever its kind (the running total equals the per-kind counts). */
Test(exit, info_counts_every_exit_this_one_included)
{
	uint64_t rax = 0;
	struct exo_hc_info info;
	struct hv_exit e = { .type = HV_XT_IO, .port = EXO_HC_PORT + EXO_HC_INFO, .size = 4,
			     .value = (uint32_t)PG(1) };
	hv_count_exit(&a->g.stats, HV_EXIT_INTERRUPTED); /* as a platform counts its own */
	hv_count_exit(&a->g.stats, HV_EXIT_OTHER);
	cr_assert_eq(hv_exit(&a->g, &e, &rax), HV_NEXT_RESUME);
	cr_assert_eq(hv_exit(&a->g, &e, &rax), HV_NEXT_RESUME);
	memcpy(&info, fp->host + PG(1), sizeof info);
	cr_assert_eq(info.exits, 4, "two counted by the platform, two hypercalls");
	uint64_t sum = 0;
	for (int k = 0; k < HV_EXIT_KINDS; k++)
		sum += a->g.stats.exits[k];
	cr_assert_eq(a->g.stats.exits_total, sum);
}

/* hv_exit_hypercall, a platform's own way in (hv/metal's fast path),
 * decides as hv_exit does: the same counts, rax and outcome, for INFO
 * (inline) and for the calls it sends out of line. */
Test(exit, the_direct_hypercall_exit_decides_as_hv_exit)
{
	uint64_t rax = 99;
	struct exo_hc_info info;
	cr_assert_eq(hv_exit_hypercall(&a->g, EXO_HC_INFO, (uint32_t)PG(1), &rax), HV_NEXT_RESUME);
	cr_assert_eq(rax, 0);
	memcpy(&info, fp->host + PG(1), sizeof info);
	cr_assert_eq(info.exits, 1, "this exit counted before INFO reads the total");
	cr_assert_eq(info.frames_owned, 2);
	cr_assert_eq(a->g.stats.exits[HV_EXIT_HYPERCALL], 1);
	cr_assert_eq(a->g.stats.hypercalls[EXO_HC_INFO], 1);
	cr_assert_eq(hv_exit_hypercall(&a->g, EXO_HC_INFO, (uint32_t)PG(9), &rax), HV_NEXT_RESUME,
		     "a bad block is the guest's error, not its end");
	cr_assert_eq(rax, (uint64_t)-EXO_EFAULT);
	cr_assert_eq(hv_exit_hypercall(&a->g, EXO_HC_YIELD, 0, &rax), HV_NEXT_YIELD);
	cr_assert_eq(hv_exit_hypercall(&a->g, EXO_HC_COUNT, 0, &rax), HV_NEXT_RESUME);
	cr_assert_eq(rax, (uint64_t)-EXO_ENOSYS);
	memcpy(fp->host + PG(1), &(struct exo_hc_exit){ .status = 3 }, sizeof(struct exo_hc_exit));
	cr_assert_eq(hv_exit_hypercall(&a->g, EXO_HC_EXIT, (uint32_t)PG(1), &rax), HV_NEXT_ENDED);
	cr_assert_eq(hv_end_status(&a->g), 3);
	cr_assert_eq(a->g.stats.exits[HV_EXIT_HYPERCALL], 5);
	cr_assert_eq(a->g.stats.exits_total, 5);
	cr_assert_eq(a->g.stats.hypercalls[EXO_HC_INFO], 2);
	cr_assert_eq(a->g.stats.hypercalls[EXO_HC_COUNT], 1);
}

Test(exit, other_ports_and_forms_end_the_guest)
{
	cr_assert_eq(ex(a, (struct hv_exit){ .type = HV_XT_IO, .port = 0x80, .size = 1,
					     .rip = 0x1234 }), HV_NEXT_ENDED);
	cr_assert_eq(a->g.end, HV_END_PROTOCOL);
	cr_assert_str_eq(a->notice, "guest used I/O port 0x80 (out), which hv does not provide, "
			 "at RIP 0x1234");
	cr_assert_eq(a->g.stats.exits[HV_EXIT_IO_OTHER], 1);
	cr_assert_eq(ex(b, (struct hv_exit){ .type = HV_XT_IO, .port = EXO_HC_PORT, .size = 4,
					     .in = 1 }), HV_NEXT_ENDED, "an in from a hv port");
	cr_assert(strstr(b->notice, "(in)"));
}

Test(exit, refused_gpas_say_which_kind_of_touch)
{
	cr_assert_eq(ex(a, (struct hv_exit){ .type = HV_XT_GPA, .gpa = PG(9) + 8, .rip = 0x10 }),
		     HV_NEXT_ENDED);
	cr_assert_eq(a->g.end, HV_END_UNOWNED);
	cr_assert_str_eq(a->notice, "guest read GPA 0x9008 (frame 9), which it does not own, at RIP 0x10");
	cr_assert_eq(ex(b, (struct hv_exit){ .type = HV_XT_GPA, .gpa = a->g.exo_gpa + 16, .write = 1,
					     .rip = 0x20 }), HV_NEXT_ENDED);
	cr_assert_eq(b->g.end, HV_END_PROTOCOL);
	cr_assert(strstr(b->notice, "wrote to its read-only exo page at GPA 0x40010, RIP 0x20"),
		  "%s", b->notice);
	cr_assert_eq(hv_end_status(&b->g), HV_STATUS_PROTOCOL);
}

Test(exit, a_write_to_a_read_only_grant_names_the_grantor)
{
	uint64_t bad;
	cr_assert_eq(hv_grant(&a->g, EXO_GRANT_RO, b->g.id, 1, (uint64_t[]){ 2 }, &bad), 0);
	cr_assert_eq(ex(b, (struct hv_exit){ .type = HV_XT_GPA, .gpa = PG(2), .write = 1, .rip = 5 }),
		     HV_NEXT_ENDED);
	cr_assert_eq(b->g.end, HV_END_UNOWNED);
	cr_assert_str_eq(b->notice, "guest wrote GPA 0x2000 (frame 2), which alpha granted it "
			 "read-only, at RIP 0x5");
	cr_assert_eq(a->g.end, HV_RUNNING, "the grantor carries on");
}

Test(exit, an_unknown_gpa_is_still_a_refused_touch)
{
	cr_assert_eq(ex(a, (struct hv_exit){ .type = HV_XT_GPA, .gpa = HV_GPA_UNKNOWN, .rip = 3 }),
		     HV_NEXT_ENDED);
	cr_assert_eq(a->g.end, HV_END_UNOWNED);
	cr_assert(strstr(a->notice, "at RIP 0x3"));
}

Test(exit, halts_triple_faults_emulation_and_failures)
{
	cr_assert_eq(ex(a, (struct hv_exit){ .type = HV_XT_HALT, .rip = 0xff }), HV_NEXT_ENDED);
	cr_assert_str_eq(a->notice, "guest halted at RIP 0xff with nothing to wake it");
	cr_assert_eq(hv_end_status(&a->g), HV_STATUS_PROTOCOL);
	cr_assert_eq(ex(b, (struct hv_exit){ .type = HV_XT_SHUTDOWN, .rip = 0xfe }), HV_NEXT_ENDED);
	cr_assert_str_eq(b->notice, "guest triple-faulted at RIP 0xfe");
	cr_assert_eq(hv_end_status(&b->g), HV_STATUS_TRIPLE);
	a->g.end = b->g.end = HV_RUNNING;
	cr_assert_eq(ex(a, (struct hv_exit){ .type = HV_XT_EMULATION, .rip = 0x77 }), HV_NEXT_ENDED);
	cr_assert_eq(hv_end_status(&a->g), HV_STATUS_EMULATION);
	cr_assert(strstr(a->notice, "cannot run the instruction at RIP 0x77"));
	cr_assert_eq(ex(b, (struct hv_exit){ .type = HV_XT_FAILED, .what = "VM entry failed",
					     .code = 0x21, .rip = 1 }), HV_NEXT_ENDED);
	cr_assert_str_eq(b->notice, "VM entry failed (0x21) at RIP 0x1");
	cr_assert_eq(b->g.stats.exits[HV_EXIT_OTHER], 1);
}

Test(exit, the_end_report_gives_the_fault_and_bad_statuses)
{
	a->g.end = HV_END_FAULT;
	a->g.fault = (struct exo_hc_fault){ .vector = 14, .error_code = 2, .cr2 = 0xdead,
					    .regs = { .rip = 0xabc, .r15 = 15 } };
	hv_report_end(&a->g);
	cr_assert_eq(a->notices, 6, "a line and five of registers");
	cr_assert(strstr(a->notice, "rflags"), "%s", a->notice);
	b->g.end = HV_END_PROTOCOL;
	b->g.exit_status = 300;
	hv_report_end(&b->g);
	cr_assert_str_eq(b->notice, "guest exit status 300 is out of range 0-119");
}

Test(exit, sizes_parse_the_same_on_every_platform)
{
	uint64_t v;
	const char *why;
	cr_assert_eq(hv_parse_size("64M", &v, &why), 0);
	cr_assert_eq(v, 64ull << 20);
	cr_assert_eq(hv_parse_size("64MiB", &v, &why), 0, "metal once refused this");
	cr_assert_eq(v, 64ull << 20);
	cr_assert_eq(hv_parse_size("1g", &v, &why), 0);
	cr_assert_eq(v, 1ull << 30);
	cr_assert_eq(hv_parse_size("8192", &v, &why), 0);
	cr_assert_eq(hv_parse_size("4KB", &v, &why), 0);
	cr_assert_eq(v, 4096);
	cr_assert_eq(hv_parse_size("100", &v, &why), -1);
	cr_assert_str_eq(why, "size must be a whole number of 4 KiB frames");
	cr_assert_eq(hv_parse_size("0", &v, &why), -1);
	cr_assert_eq(hv_parse_size("12Q", &v, &why), -1);
	cr_assert_eq(hv_parse_size("", &v, &why), -1);
	cr_assert_eq(hv_parse_size("-4K", &v, &why), -1);
	cr_assert_eq(hv_parse_size("99999999999999999999999", &v, &why), -1);
	cr_assert_eq(hv_parse_size("17179869184G", &v, &why), -1, "overflows when shifted");
	uint32_t r;
	cr_assert_eq(hv_parse_ring("auto", &r), 0);
	cr_assert_eq(r, EXO_RING_AUTO);
	cr_assert_eq(hv_parse_ring("3", &r), 0);
	cr_assert_eq(r, EXO_RING_3);
	cr_assert_eq(hv_parse_ring("1", &r), -1);
	cr_assert_eq(hv_parse_ring("03", &r), -1);
}

Test(exit, the_formatter_formats_and_cuts)
{
	char buf[32];
	hv_snprintf(buf, sizeof buf, "%s=%d %u 0x%lx [%04x] %c%%", "n", -12, 7u, 0xabcul, 0x1f, 'z');
	cr_assert_str_eq(buf, "n=-12 7 0xabc [001f] z%");
	hv_snprintf(buf, sizeof buf, "%016lx", 0x1234ul);
	cr_assert_str_eq(buf, "0000000000001234");
	int n = hv_snprintf(buf, 8, "%s", "a long string");
	cr_assert_str_eq(buf, "a long ");
	cr_assert_eq(n, 7);
	hv_snprintf(buf, sizeof buf, "%lu %ld", 18446744073709551615ul, -9223372036854775807l - 1);
	cr_assert_eq(strlen(buf), sizeof buf - 1, "cut at the buffer");
	cr_assert_eq(strncmp(buf, "18446744073709551615 -922337203", sizeof buf - 1), 0, "%s", buf);
}
