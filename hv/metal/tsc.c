/* SPDX-License-Identifier: MIT */
/*
 * hv/metal/tsc.c: the TSC rate, measured against the PIT, and hv/metal's
 * clock.
 *
 * Guests time themselves with RDTSC and need its rate (exo_page.tsc_khz);
 * the kvm platform asks KVM, hv/metal counts TSC ticks across 10 ms of PIT
 * channel 2, the one timer every PC (and Bochs, and QEMU) has. The same
 * rate turns TSC ticks into hv/core's nanoseconds (hv_plat_now_ns) and
 * back (slices, deadlines): one rate for both directions, so a deadline
 * hv/core computes in nanoseconds falls on the TSC value it meant.
 */
#include "caps.h"
#include "metal.h"

#define PIT_HZ 1193182u
#define PIT_CH2 0x42
#define PIT_CMD 0x43
#define PIT_GATE 0x61 /* bit 0: channel 2 gate, bit 1: speaker, bit 5: output */
#define CALIBRATE_MS 10u
#define KHZ_UNKNOWN 2000000u /* no PIT: time as if at 2 GHz */

static uint64_t clock_khz = KHZ_UNKNOWN;

uint64_t metal_tsc_khz(void)
{
	uint16_t count = PIT_HZ / (1000 / CALIBRATE_MS);
	outb(PIT_GATE, (uint8_t)((inb(PIT_GATE) & ~0x02) | 0x01));
	outb(PIT_CMD, 0xb0); /* channel 2, low then high byte, mode 0 */
	outb(PIT_CH2, (uint8_t)count);
	outb(PIT_CH2, (uint8_t)(count >> 8));
	uint64_t t0 = rdtsc();
	for (uint64_t spin = 0; !(inb(PIT_GATE) & 0x20); spin++)
		if (spin > (1ull << 32))
			return 0; /* no PIT: guests see 0, "cannot say" */
	uint64_t khz = (rdtsc() - t0) / CALIBRATE_MS;
	if (khz)
		clock_khz = khz;
	return khz;
}

uint64_t metal_ns_ticks(uint64_t ns)
{
	return metal_ns_to_tsc(ns, clock_khz);
}

uint64_t hv_plat_now_ns(void)
{
	return metal_tsc_to_ns(rdtsc(), clock_khz);
}
