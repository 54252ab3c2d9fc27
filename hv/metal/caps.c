/* SPDX-License-Identifier: MIT */
/*
 * hv/metal/caps.c: VMX controls derived from the capability MSRs, the EPT
 * entry encodings and the arithmetic of time slices. Pure functions of
 * their arguments, so the host's unit tests (tests/metal/) check them
 * without VT-x.
 */
#include "caps.h"

uint32_t metal_vmx_adjust(uint32_t want, uint64_t cap, uint32_t *missing)
{
	uint32_t must = (uint32_t)cap, may = (uint32_t)(cap >> 32);
	*missing = want & ~may;
	return (want | must) & may;
}

uint64_t metal_ept_table(uint64_t table_hpa)
{
	return (table_hpa & EPT_ADDR) | EPT_R | EPT_W | EPT_X;
}

uint64_t metal_ept_leaf(uint64_t hpa, unsigned perms)
{
	return (hpa & EPT_ADDR) | (perms & (EPT_R | EPT_W | EPT_X)) | EPT_MT_WB;
}

uint64_t metal_eptp(uint64_t pml4_hpa)
{
	return (pml4_hpa & EPT_ADDR) | EPTP_MT_WB | EPTP_WALK_4;
}

uint64_t metal_ns_to_tsc(uint64_t ns, uint64_t tsc_khz)
{
	uint64_t ms = ns / 1000000, rest = ns % 1000000;
	if (tsc_khz && ms > UINT64_MAX / tsc_khz)
		return UINT64_MAX;
	uint64_t whole = ms * tsc_khz, part = rest * tsc_khz / 1000000;
	return whole > UINT64_MAX - part ? UINT64_MAX : whole + part;
}

uint64_t metal_tsc_to_ns(uint64_t tsc, uint64_t tsc_khz)
{
	if (!tsc_khz)
		return 0;
	/* Whole milliseconds, then the rest: no product can overflow. */
	uint64_t ms = tsc / tsc_khz, rest = tsc % tsc_khz;
	return ms * 1000000 + rest * 1000000 / tsc_khz;
}

uint64_t metal_ticks_to_stop(uint64_t slice_left, uint64_t deadline, uint64_t now)
{
	uint64_t to_deadline = deadline > now ? deadline - now : 0;
	return to_deadline < slice_left ? to_deadline : slice_left;
}

uint32_t metal_timer_value(uint64_t tsc, unsigned shift)
{
	uint64_t v = tsc >> shift;
	if (v > UINT32_MAX)
		return UINT32_MAX;
	return v ? (uint32_t)v : 1;
}
