/* SPDX-License-Identifier: MIT */
/*
 * tests/guest/images/crash MODE: guests that misbehave in one way each, so
 * the harness can check that hv ends them alone with the right report.
 *
 *   read-unowned   read a frame it does not own through the direct map
 *   write-exo      write to its read-only exo page
 *   pf             touch an unmapped virtual address (#PF report)
 *   ud             execute ud2 (#UD report)
 *   ud-handled     execute ud2 with a handler that skips it, then exit 0
 *   triple         drop the IDT and trap: triple fault
 *   sse            an SSE instruction in ring 0
 *   bad-exit       exit with status 200
 *   hlt            halt with interrupts off
 *   port           use an I/O port hv does not provide
 */
#include "exo/exo.h"

static int skip_ud2(struct exo_trap_frame *f)
{
	exo_printf("handler saw vector %lu at %p\n", (unsigned long)f->vector, (void *)f->rip);
	f->rip += 2;
	return 1;
}

int main(int argc, char **argv)
{
	const char *m = argc > 1 ? argv[1] : "";
	const struct exo_page *p = exo_page();

	if (!strcmp(m, "read-unowned")) {
		uint64_t f = 0;
		while (exo_owns(f))
			f++;
		exo_printf("reading frame %lu at GPA 0x%lx\n", (unsigned long)f,
			   (unsigned long)(f << EXO_PAGE_SHIFT));
		return (int)*(volatile uint8_t *)exo_frame_ptr(f);
	}
	if (!strcmp(m, "write-exo")) {
		exo_printf("writing the exo page at GPA 0x%lx\n", (unsigned long)p->exo_page_gpa);
		*(volatile uint64_t *)(uintptr_t)(EXO_PHYSMAP_BASE + p->exo_page_gpa) = 0;
		return 0;
	}
	if (!strcmp(m, "pf")) {
		exo_printf("touching 0x5000\n");
		return *(volatile int *)0x5000;
	}
	if (!strcmp(m, "ud") || !strcmp(m, "ud-handled")) {
		if (m[2])
			exo_trap_set(6, skip_ud2);
		__asm__ volatile("ud2");
		exo_printf("resumed after ud2\n");
		return 0;
	}
	if (!strcmp(m, "triple")) {
		struct { uint16_t limit; uint64_t base; } __attribute__((packed)) none = { 0, 0 };
		__asm__ volatile("lidt %0; ud2" : : "m"(none));
		return 0;
	}
	if (!strcmp(m, "sse")) {
		/* Hosts that run guest ring 0 natively execute this fine. */
		__asm__ volatile(".byte 0x66, 0x0f, 0xef, 0xc0"); /* pxor %xmm0, %xmm0 */
		exo_printf("sse ran natively in ring 0\n");
		return 0;
	}
	if (!strcmp(m, "bad-exit"))
		return 200;
	if (!strcmp(m, "hlt")) {
		__asm__ volatile("cli; hlt");
		return 0;
	}
	if (!strcmp(m, "port")) {
		__asm__ volatile("outb %%al, $0x80" : : "a"(0));
		return 0;
	}
	exo_printf("unknown mode '%s'\n", m);
	return 1;
}
