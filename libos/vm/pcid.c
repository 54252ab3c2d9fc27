/* SPDX-License-Identifier: MIT */
/*
 * libos/vm/pcid.c: PCIDs where the CPU offers them.
 *
 * CPUID can advertise PCID on hosts that still refuse CR4.PCIDE (the
 * development machines' KVM does), so the bit is set under a #GP catch and
 * vm runs without PCIDs if the write faults. With PCIDE on, vm's address
 * space is PCID 0 and a CR3 reload (bit 63 clear) still flushes it, so the
 * flush paths in pt.c are correct either way; PCIDs pay off once a library
 * OS switches between address spaces.
 */
#include "vm_impl.h"

#define CR4_PCIDE (1ull << 17)

extern const char vm_pcid_probe[];
static volatile int refused;

static int catch_gp(struct exo_trap_frame *f)
{
	if (f->rip != (uint64_t)(uintptr_t)vm_pcid_probe)
		return 0;
	f->rip += 3; /* mov %rax, %cr4 */
	refused = 1;
	return 1;
}

int vm_pcid_init(void)
{
	uint32_t r[4];
	exo_cpuid(1, 0, r);
	if (!(r[2] & (1u << 17)))
		return 0;
	uint64_t cr4;
	__asm__ volatile("mov %%cr4, %0" : "=r"(cr4));
	exo_trap_handler before = exo_trap_set(13, catch_gp); /* another layer's, kept */
	__asm__ volatile(".globl vm_pcid_probe\n"
			 "vm_pcid_probe: mov %%rax, %%cr4"
			 : : "a"(cr4 | CR4_PCIDE) : "memory");
	exo_trap_set(13, before);
	return refused ? -1 : 1;
}
