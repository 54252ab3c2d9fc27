/* SPDX-License-Identifier: MIT */
/*
 * hv/metal/end.c: how a metal run ends, so that a harness sees a status.
 */
#include "metal.h"

void metal_exit(int ok)
{
	metal_printf("metal: %s\n", ok ? "all done" : "FAILED");
	/* QEMU: isa-debug-exit exits with (value << 1) | 1. */
	__asm__ volatile("outl %0, %1" : : "a"(ok ? 0u : 1u), "Nd"((uint16_t)0xf4));
	if (ok) /* Bochs: break into the debugger, whose rc file says quit. */
		outb(0x8900, 'D');
	/* Failure, or not on Bochs: a triple fault (an empty IDT) ends the
	 * machine. */
	struct { uint16_t limit; uint64_t base; } __attribute__((packed)) none = { 0, 0 };
	__asm__ volatile("lidt %0; int3" : : "m"(none));
	for (;;)
		__asm__ volatile("cli; hlt");
}
