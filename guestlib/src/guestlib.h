/* SPDX-License-Identifier: MIT */
/*
 * guestlib/src/guestlib.h: what guestlib's own files share, not exported.
 */
#ifndef GUESTLIB_H
#define GUESTLIB_H

void exo_cpu_init(void);
/* cpu.c: give vector guestlib's entry stub unless it has an entry. */
void exo_idt_need(unsigned vector);
/* page.c: remember the exo page and the root of hv's page tables. */
void exo_page_init(const struct exo_page *page);
void exo_start(const struct exo_page *page);
/* trap.c: 1 if vector f->vector's handler took the trap. */
int exo_trap_handle(struct exo_trap_frame *f);
/* mask.c: an interrupt, handled now or when the guest unmasks. */
void exo_interrupt(struct exo_trap_frame *f);
/* cpu.c: take vector on guestlib's upcall stack. */
void exo_idt_upcall(unsigned vector);

#endif
