/*
 * guestlib/src/guestlib.h: what guestlib's own files share, not exported.
 */
#ifndef GUESTLIB_H
#define GUESTLIB_H

void exo_cpu_init(void);
/* page.c: remember the exo page and the root of hv's page tables. */
void exo_page_init(const struct exo_page *page);
void exo_start(const struct exo_page *page);

#endif
