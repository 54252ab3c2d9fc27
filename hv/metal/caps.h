/* SPDX-License-Identifier: MIT */
/*
 * hv/metal/caps.h: capability-derived VMX controls and EPT encodings.
 */
#ifndef HV_METAL_CAPS_H
#define HV_METAL_CAPS_H

#include <stdint.h>

/* The control value to use for the controls we want, given a capability
 * MSR (low half: bits that must be 1; high half: bits that may be 1).
 * *missing gets the wanted bits the CPU cannot set. */
uint32_t metal_vmx_adjust(uint32_t want, uint64_t cap, uint32_t *missing);

#define EPT_R (1ull << 0)
#define EPT_W (1ull << 1)
#define EPT_X (1ull << 2)
#define EPT_MT_WB (6ull << 3)  /* leaf memory type: write-back */
#define EPT_ADDR 0x000ffffffffff000ull
#define EPTP_MT_WB 6ull        /* paging-structure memory type */
#define EPTP_WALK_4 (3ull << 3) /* page-walk length - 1 */

uint64_t metal_ept_table(uint64_t table_hpa);          /* a non-leaf entry */
uint64_t metal_ept_leaf(uint64_t hpa, unsigned perms); /* a 4 KiB leaf */
uint64_t metal_eptp(uint64_t pml4_hpa);

/* TSC ticks in ns nanoseconds at tsc_khz, saturating at UINT64_MAX (a
 * deadline that never comes). */
uint64_t metal_ns_to_tsc(uint64_t ns, uint64_t tsc_khz);

/* Nanoseconds in tsc TSC ticks at tsc_khz (0 if the rate is 0): the clock
 * of hv_plat_now_ns, exact to the nanosecond for 584 years of ticks. */
uint64_t metal_tsc_to_ns(uint64_t tsc, uint64_t tsc_khz);

/* TSC ticks a guest may run before hv must look at the clock again: the
 * nearer of what is left of its slice and the earliest deadline (a TSC
 * value; UINT64_MAX: none), 0 if that has passed. */
uint64_t metal_ticks_to_stop(uint64_t slice_left, uint64_t deadline, uint64_t now);

/* The VMX-preemption timer value for a slice of tsc TSC ticks: the timer
 * counts down once every 2^shift TSC ticks (IA32_VMX_MISC[4:0]) from a
 * 32-bit value; at least 1, so that a guest always makes progress. */
uint32_t metal_timer_value(uint64_t tsc, unsigned shift);

#endif
