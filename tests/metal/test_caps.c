/* SPDX-License-Identifier: MIT */
/*
 * tests/metal/test_caps.c: VMX control derivation and EPT encodings, on
 * the host (hv/metal/caps.c is pure).
 */
#include <criterion/criterion.h>

#include "caps.h"

Test(caps, must_be_one_bits_are_added_to_what_is_wanted)
{
	uint32_t missing;
	/* low half: bits 1, 2 must be 1; high half: bits 0-7 may be 1 */
	cr_assert_eq(metal_vmx_adjust(0x10, 0x000000ff00000006ull, &missing), 0x16);
	cr_assert_eq(missing, 0);
}

Test(caps, bits_the_cpu_cannot_set_are_reported_missing_and_dropped)
{
	uint32_t missing;
	cr_assert_eq(metal_vmx_adjust(0x80000100, 0x0000ffff00000000ull, &missing), 0x100);
	cr_assert_eq(missing, 0x80000000);
}

Test(caps, skylake_true_procbased_allows_clearing_cr3_exiting)
{
	uint32_t missing;
	/* default1 class bits 1,4-6,8,13-16,26 are 0 in a TRUE MSR that allows it */
	uint64_t true_cap = 0xfff9fffe04006172ull;
	uint32_t want = (1u << 7) | (1u << 24) | (1u << 31);
	uint32_t got = metal_vmx_adjust(want, true_cap, &missing);
	cr_assert_eq(missing, 0);
	cr_assert_eq(got & ((1u << 15) | (1u << 16)), 0, "CR3 exiting forced: %x", got);
	cr_assert_eq(got & want, want);
}

Test(caps, ept_leaf_is_address_permissions_and_write_back)
{
	cr_assert_eq(metal_ept_leaf(0x12345000, EPT_R | EPT_W | EPT_X), 0x12345000 | 7 | (6 << 3));
	cr_assert_eq(metal_ept_leaf(0x12345fff, EPT_R), 0x12345000 | 1 | (6 << 3));
	cr_assert_eq(metal_ept_leaf(0x1000, 0xf8), 0x1000 | (6 << 3), "stray permission bits kept");
}

Test(caps, ept_table_entry_allows_everything_below_it)
{
	cr_assert_eq(metal_ept_table(0xabc000), 0xabc007);
	cr_assert_eq(metal_ept_table(0xfff0000000abc123ull), 0xabc007, "bits beyond 52 kept");
}

Test(caps, eptp_is_write_back_with_a_four_level_walk)
{
	cr_assert_eq(metal_eptp(0x200000), 0x200000 | 6 | (3 << 3));
}

Test(caps, nanoseconds_become_tsc_ticks_at_the_measured_rate)
{
	cr_assert_eq(metal_ns_to_tsc(1000000, 200000), 200000);   /* 1 ms at 200 MHz */
	cr_assert_eq(metal_ns_to_tsc(1500, 2000000), 3000);       /* 1.5 us at 2 GHz */
	cr_assert_eq(metal_ns_to_tsc(10000000000ull, 2596000), 25960000000ull);
	cr_assert_eq(metal_ns_to_tsc(0, 2000000), 0);
}

Test(caps, a_deadline_too_far_saturates_instead_of_wrapping)
{
	cr_assert_eq(metal_ns_to_tsc(UINT64_MAX, 2000000), UINT64_MAX);
	cr_assert_eq(metal_ns_to_tsc(UINT64_MAX / 2, 5000000), UINT64_MAX); /* 290 years */
	cr_assert_eq(metal_ns_to_tsc(UINT64_MAX / 1000, 3000000), 55340232221128653ull);
}

Test(caps, the_preemption_timer_counts_tsc_ticks_shifted_by_its_rate)
{
	cr_assert_eq(metal_timer_value(1000000, 0), 1000000);
	cr_assert_eq(metal_timer_value(1000000, 5), 31250);
	cr_assert_eq(metal_timer_value(3, 5), 1, "a slice never loads 0");
	cr_assert_eq(metal_timer_value(1ull << 40, 0), UINT32_MAX);
}

Test(caps, tsc_ticks_become_nanoseconds_at_the_measured_rate)
{
	cr_assert_eq(metal_tsc_to_ns(200000, 200000), 1000000);    /* 1 ms at 200 MHz */
	cr_assert_eq(metal_tsc_to_ns(3000, 2000000), 1500);        /* 1.5 us at 2 GHz */
	cr_assert_eq(metal_tsc_to_ns(25960000000ull, 2596000), 10000000000ull);
	cr_assert_eq(metal_tsc_to_ns(1, 200000), 5);
	cr_assert_eq(metal_tsc_to_ns(12345, 0), 0, "no rate: no time");
}

Test(caps, the_tsc_clock_does_not_overflow_on_a_large_count)
{
	/* 2^63 ticks at 2.596 GHz: about 112 years, in nanoseconds. */
	uint64_t t = 1ull << 63, khz = 2596000;
	cr_assert_eq(metal_tsc_to_ns(t, khz), t / khz * 1000000 + t % khz * 1000000 / khz);
	cr_assert_gt(metal_tsc_to_ns(t, khz), 3500000000000000000ull);
	cr_assert_eq(metal_tsc_to_ns(metal_ns_to_tsc(7000000, khz), khz), 7000000);
}

Test(caps, a_guest_runs_until_its_slice_ends_or_the_earliest_deadline)
{
	cr_assert_eq(metal_ticks_to_stop(2000000, UINT64_MAX, 5000), 2000000, "no deadline");
	cr_assert_eq(metal_ticks_to_stop(2000000, 505000, 5000), 500000, "a deadline first");
	cr_assert_eq(metal_ticks_to_stop(1000, 505000, 5000), 1000, "the slice ends first");
	cr_assert_eq(metal_ticks_to_stop(2000000, 4000, 5000), 0, "a deadline that passed");
	cr_assert_eq(metal_ticks_to_stop(2000000, 5000, 5000), 0, "a deadline now");
}
