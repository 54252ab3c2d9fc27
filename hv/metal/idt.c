/* SPDX-License-Identifier: MIT */
/*
 * hv/metal/idt.c: hv/metal's own IDT.
 *
 * hv runs with interrupts off and never expects an exception: one is a
 * bug in hv, reported by name (traps.S passes vector, error code and RIP
 * to metal_fault), and the run ends. VMX loads this IDT on every VM exit
 * (HOST_IDTR_BASE), so an exception while handling an exit lands here too.
 */
#include "metal.h"

extern const uint64_t metal_traps[32];
static uint64_t idt[64];

__attribute__((noreturn)) void metal_fault(uint64_t vector, uint64_t error, uint64_t rip);

void metal_fault(uint64_t vector, uint64_t error, uint64_t rip)
{
	uint64_t cr2;
	__asm__ volatile("mov %%cr2, %0" : "=r"(cr2));
	metal_printf("metal: exception in hv: vector %lu (%s), error code %lx, RIP %lx, CR2 %lx\n",
		     vector, hv_vector_name(vector), error, rip, cr2);
	metal_exit(0);
}

void metal_idt_load(void)
{
	for (size_t v = 0; v < 32; v++) {
		uint64_t off = metal_traps[v];
		idt[2 * v] = (off & 0xffff) | (0x08ull << 16) | (0x8eull << 40) |
			     ((off >> 16 & 0xffff) << 48);
		idt[2 * v + 1] = off >> 32;
	}
	struct {
		uint16_t limit;
		uint64_t base;
	} __attribute__((packed)) idtr = { sizeof idt - 1, (uint64_t)(uintptr_t)idt };
	__asm__ volatile("lidt %0" : : "m"(idtr));
}

uint64_t metal_idt_base(void)
{
	return (uint64_t)(uintptr_t)idt;
}
