/* SPDX-License-Identifier: MIT */
/*
 * tests/guest/test_vm.c: libos/vm in both ring modes, checked by what the
 * guest observed (tests/guest/images/vm prints one line per check).
 */
#include "harness.h"

static void all_checks_pass(const char *ring)
{
	struct exo_result r;
	exo_run(&r, "run", "--ring", (char *)ring, IMAGES "vm", NULL);
	cr_assert_eq(r.status, 0, "failures: %d\n%s%s", r.status, r.out, r.err);
	char want[32];
	snprintf(want, sizeof want, "running in ring %s\n", ring);
	cr_assert(strstr(r.out, want), "%s", r.out);
	cr_assert(!strstr(r.out, "FAIL"), "%s", r.out);
	static const char *const expect[] = {
		"ok: demand-zero pages read zero, keep writes\n",
		"ok: a write after PROT1 faults (no stale TLB entry)\n",
		"ok: the handler sees the error code: present, write (user in ring 3)\n",
		"ok: DIRTY reports exactly the pages written\n",
		"ok: DIRTY again: nothing written since\n",
		"ok: the original sees the write made through the alias\n",
		"ok: mapping over a mapping: VM_EEXIST\n",
		"ok: the clock picks the untouched page\n",
		"ok: one fault maps the whole 2 MiB page\n",
		"ok: the nested fault went to its own region, and the outer one finished\n",
		"ok: faults in one table alternate between the regions' own handlers\n",
		"ok: a write after the raise: no handler\n",
		"ok: a fault in the removed region goes to the unhandled handler, not to a\n",
		"ok: PROT1 inside it: VM_ENOENT (a 2 MiB page), not the old table's entry\n",
		"vm: 0 failures\n",
	};
	for (size_t i = 0; i < sizeof expect / sizeof expect[0]; i++)
		cr_assert(strstr(r.out, expect[i]), "missing \"%s\" in:\n%s", expect[i], r.out);
}

Test(vm, every_check_passes_with_the_application_in_ring_0)
{
	all_checks_pass("0");
}

Test(vm, every_check_passes_with_the_application_in_ring_3)
{
	all_checks_pass("3");
}

Test(vm, auto_chooses_by_whether_the_host_runs_ring_0_natively)
{
	struct exo_result r;
	exo_run(&r, "run", "--stats", IMAGES "vm", NULL);
	cr_assert_eq(r.status, 0, "%s%s", r.out, r.err);
	/* What the library OS chose goes to stderr, beside exo's --stats. */
	int emulated = strstr(r.err, "ring 0 is emulated here") != NULL;
	cr_assert(emulated || strstr(r.err, "ring 0 is native here"), "%s", r.err);
	cr_assert(strstr(r.err, emulated ? "exo: vm: application code runs in ring 3 (auto;"
					 : "exo: vm: application code runs in ring 0 (auto;"), "%s", r.err);
	cr_assert(strstr(r.out, emulated ? "running in ring 3\n" : "running in ring 0\n"), "%s", r.out);
	cr_assert(strstr(r.err, "exo: vm: PCIDs on\n") || strstr(r.err, "exo: vm: PCIDs off ("),
		  "%s", r.err);
}

static void exhaustion_is_reported(const char *ring)
{
	struct exo_result r;
	exo_run(&r, "run", "--mem", "1M", "--ring", (char *)ring, IMAGES "vm", "exhaust", NULL);
	cr_assert_eq(r.status, 120, "status %d\n%s%s", r.status, r.out, r.err);
	unsigned long addr;
	const char *m = strstr(r.err, "vm: out of frames: hv gave no frame for the demand-zero page at 0x");
	cr_assert(m, "%s", r.err);
	cr_assert_eq(sscanf(m, "vm: out of frames: hv gave no frame for the demand-zero page at 0x%lx",
			    &addr), 1);
	/* 1 MiB is 256 frames; the image and tables take some, the rest were
	 * mapped before hv said no. */
	cr_assert(strstr(r.out, "touched 192 pages\n"), "%s", r.out);
	char want[64];
	snprintf(want, sizeof want, "CR2 0x%lx\n", addr);
	cr_assert(strstr(r.err, "exo: guest fault: vector 14 (#PF page fault), error code 0x"), "%s", r.err);
	cr_assert(strstr(r.err, want), "%s", r.err);
}

Test(vm, out_of_frames_is_a_clear_report_in_ring_0)
{
	exhaustion_is_reported("0");
}

Test(vm, out_of_frames_is_a_clear_report_in_ring_3)
{
	exhaustion_is_reported("3");
}

Test(vm, a_fault_on_a_nearly_unmapped_stack_is_handled_on_libos_vms_own_stack)
{
	struct exo_result r;
	exo_run(&r, "run", "--ring", "3", IMAGES "vm", "stack", NULL);
	cr_assert_eq(r.status, 0, "%s%s", r.out, r.err);
	cr_assert(strstr(r.out, "ok: the fault was handled and the write retried\n"), "%s", r.out);
	cr_assert(strstr(r.out, "ok: only the page the call used was demand-zeroed: the handler ran "
			 "on libos/vm's stack\n"), "%s", r.out);
	cr_assert(strstr(r.out, "vm: 0 failures\n"), "%s", r.out);
}
