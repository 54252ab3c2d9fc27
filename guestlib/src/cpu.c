/* SPDX-License-Identifier: MIT */
/*
 * guestlib/src/cpu.c: the guest's own GDT, IDT and TSS.
 *
 * hv starts a guest on boot selectors and no IDT; before main() runs the
 * guest must own its descriptor tables, so that its exceptions land in its
 * own handlers and never in hv. Selectors follow the SYSCALL/SYSRET layout
 * (kernel code, kernel data, then user data and user code) so a library OS
 * can enter ring 3 without reshuffling.
 */
#include "exo/exo.h"
#include "guestlib.h"

#define GDT_TSS 0x30

struct tss {
	uint32_t reserved0;
	uint64_t rsp[3];
	uint64_t reserved1;
	uint64_t ist[7];
	uint64_t reserved2;
	uint16_t reserved3, iomap_base;
} __attribute__((packed));

struct gate {
	uint16_t off_lo, selector;
	uint8_t ist, type;
	uint16_t off_mid;
	uint32_t off_hi, reserved;
};

struct dtr {
	uint16_t limit;
	uint64_t base;
} __attribute__((packed));

static uint64_t gdt[8] = {
	0,
	0x00af9a000000ffffull, /* 0x08 kernel code, 64-bit */
	0x00cf92000000ffffull, /* 0x10 kernel data */
	0x00cffa000000ffffull, /* 0x18 user code, 32-bit (SYSRET layout) */
	0x00cff2000000ffffull, /* 0x20 user data */
	0x00affa000000ffffull, /* 0x28 user code, 64-bit */
	0, 0,                  /* 0x30 TSS, filled in below */
};
static struct tss tss;
/* Exceptions, then interrupts 32-255. An interrupt's entry is filled in
 * when something handles it (exo_idt_need): 224 more gates at every start
 * cost hello ~4 ms (8 ms to its exit instead of 12) where ring 0 is
 * emulated. An interrupt on a vector nobody handles raises #NP (error
 * code vector * 8 + 2), which is reported like any unhandled exception. */
extern struct gate exo_idt[EXO_VECTORS]; /* guest.ld: exception gates filled */
#define idt exo_idt
static uint8_t df_stack[4096] __attribute__((aligned(16)));
static uint8_t ist_stack[16384] __attribute__((aligned(16)));
/* EXO_VEC_ABORT can arrive inside any handler, those on ist_stack
 * included, and the upcalls inside ist_stack's: each has its own. */
static uint8_t abort_stack[8192] __attribute__((aligned(16)));
static uint8_t upcall_stack[8192] __attribute__((aligned(16)));
/* TSS IST slots, as a gate's ist field names them (1-based). */
#define IST_DF 1
#define IST_SHARED 2
#define IST_ABORT 3
#define IST_UPCALL 4
uint8_t exo_kernel_stack[16384] __attribute__((aligned(16)));

extern const uint64_t exo_vectors[EXO_VECTORS];

/* A gate keeps the stack it was given (exo_idt_ist, exo_idt_upcall)
 * when its entry changes. */
static void set_gate(unsigned v, uint64_t off)
{
	uint8_t ist = idt[v].ist;
	idt[v] = (struct gate){
		.off_lo = (uint16_t)off, .selector = EXO_SEL_KCODE,
		.ist = v == 8 ? IST_DF : ist, /* #DF gets a stack of its own */
		.type = 0x8e,          /* present, DPL 0, interrupt gate */
		.off_mid = (uint16_t)(off >> 16), .off_hi = (uint32_t)(off >> 32),
	};
}

void exo_idt_set(unsigned vector, void (*entry)(void))
{
	if (vector < EXO_VECTORS)
		set_gate(vector, entry ? (uint64_t)(uintptr_t)entry : exo_vectors[vector]);
}

void exo_idt_need(unsigned vector)
{
	if (vector < EXO_VECTORS && !(idt[vector].type & 0x80))
		set_gate(vector, exo_vectors[vector]);
}

void exo_idt_ist(unsigned vector, int on)
{
	if (vector < EXO_VECTORS && vector != 8 && vector != EXO_VEC_ABORT)
		idt[vector].ist = on ? IST_SHARED : 0;
}

void exo_idt_upcall(unsigned vector)
{
	if (vector >= 32 && vector < EXO_VECTORS)
		idt[vector].ist = IST_UPCALL;
}

void exo_cpu_init(void)
{
	uint64_t base = (uint64_t)(uintptr_t)&tss;
	tss.rsp[0] = (uint64_t)(uintptr_t)(exo_kernel_stack + sizeof exo_kernel_stack);
	tss.ist[0] = (uint64_t)(uintptr_t)(df_stack + sizeof df_stack);
	tss.ist[1] = (uint64_t)(uintptr_t)(ist_stack + sizeof ist_stack);
	tss.ist[2] = (uint64_t)(uintptr_t)(abort_stack + sizeof abort_stack);
	tss.ist[3] = (uint64_t)(uintptr_t)(upcall_stack + sizeof upcall_stack);
	idt[EXO_VEC_ABORT].ist = IST_ABORT; /* the linker laid the gate out */
	tss.iomap_base = sizeof tss;
	gdt[6] = (sizeof tss - 1) | ((base & 0xffffff) << 16) | (0x89ull << 40) |
		 (((base >> 24) & 0xff) << 56);
	gdt[7] = base >> 32;

	struct dtr g = { sizeof gdt - 1, (uint64_t)(uintptr_t)gdt };
	struct dtr i = { sizeof idt - 1, (uint64_t)(uintptr_t)idt };
	__asm__ volatile(
		"lgdt %0\n\t"
		"lidt %1\n\t"
		"pushq %2\n\t"
		"leaq 1f(%%rip), %%rax\n\t"
		"pushq %%rax\n\t"
		"lretq\n"
		"1:\n\t"
		"movl %3, %%eax\n\t"
		"movl %%eax, %%ds\n\t"
		"movl %%eax, %%es\n\t"
		"movl %%eax, %%ss\n\t"
		"xorl %%eax, %%eax\n\t"
		"movl %%eax, %%fs\n\t"
		"movl %%eax, %%gs\n\t"
		"movw %4, %%ax\n\t"
		"ltr %%ax"
		:
		: "m"(g), "m"(i), "i"(EXO_SEL_KCODE), "i"(EXO_SEL_KDATA), "i"(GDT_TSS)
		: "rax", "memory");

	/* Let ring-3 application code use SSE: the OS (here, the guest)
	 * must say it saves that state. */
	uint64_t cr4;
	__asm__ volatile("mov %%cr4, %0" : "=r"(cr4));
	__asm__ volatile("mov %0, %%cr4" : : "r"(cr4 | (1u << 9) | (1u << 10)));
}
