/*
 * guestlib/src/guestlib.h: what guestlib's own files share, not exported.
 */
#ifndef GUESTLIB_H
#define GUESTLIB_H

void exo_cpu_init(void);
void exo_start(const struct exo_page *page);

#endif
