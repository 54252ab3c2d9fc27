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

#endif
