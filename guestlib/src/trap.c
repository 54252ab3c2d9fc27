/* SPDX-License-Identifier: MIT */
/*
 * guestlib/src/trap.c: exception and interrupt dispatch inside the guest.
 *
 * A library OS registers handlers per vector; an exception with no handler,
 * or one its handler declines, is reported to hv (vector, error code, RIP,
 * CR2, registers), which ends the guest. An interrupt (vectors 32-255, a
 * doorbell's) goes the same way: one nobody handles is a bug in the guest.
 * No exit happens on the way to a handler: that is the point of giving the
 * guest ring 0. Interrupts go through mask.c, which holds back those that
 * arrive while the guest masks them.
 */
#include "exo/exo.h"
#include "guestlib.h"

static exo_trap_handler handlers[EXO_VECTORS];

exo_trap_handler exo_trap_set(unsigned vector, exo_trap_handler h)
{
	exo_trap_handler old = vector < EXO_VECTORS ? handlers[vector] : 0;
	if (vector < EXO_VECTORS)
		handlers[vector] = h;
	if (h && vector >= 32)
		exo_idt_need(vector); /* interrupts' entries are made on demand */
	return old;
}

int exo_trap_handle(struct exo_trap_frame *f)
{
	return f->vector < EXO_VECTORS && handlers[f->vector] && handlers[f->vector](f);
}

void exo_trap(struct exo_trap_frame *f)
{
	if (f->vector >= 32 && f->vector < EXO_VECTORS) {
		exo_interrupt(f);
		return;
	}
	if (!exo_trap_handle(f))
		exo_trap_report(f, exo_read_cr2());
}

void exo_trap_report(const struct exo_trap_frame *f, uint64_t cr2)
{
	static struct exo_hc_fault r;
	exo_mask(); /* for good: the guest ends */
	r = (struct exo_hc_fault){
		.vector = f->vector, .error_code = f->error_code, .cr2 = cr2,
		.regs = {
			.rax = f->rax, .rbx = f->rbx, .rcx = f->rcx, .rdx = f->rdx,
			.rsi = f->rsi, .rdi = f->rdi, .rbp = f->rbp, .rsp = f->rsp,
			.r8 = f->r8, .r9 = f->r9, .r10 = f->r10, .r11 = f->r11,
			.r12 = f->r12, .r13 = f->r13, .r14 = f->r14, .r15 = f->r15,
			.rip = f->rip, .rflags = f->rflags, .cs = f->cs, .ss = f->ss,
		},
	};
	exo_hypercall(EXO_HC_FAULT, &r);
	for (;;) /* hv ends a guest that reports a fault */
		__asm__ volatile("hlt");
}
