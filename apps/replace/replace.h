/* SPDX-License-Identifier: MIT */
/*
 * apps/replace/replace.h: what the replace image's parts share: the two
 * roles (scan.c, press.c), the handshake between them (peer.c) and
 * main.c's helpers.
 */
#ifndef REPLACE_H
#define REPLACE_H

#include <stdint.h>

#include "exo/exo.h"

#define MS 1000000ull
#define REPLACE_PAGES_MAX 4096u
#define REPLACE_FRAMES_MAX 4096u

/* "replace: MODE: ..." on the console; returns 1. */
int replace_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* TSC cycles as nanoseconds (exo_page()->tsc_khz; main checks it is set). */
uint64_t replace_ns(uint64_t cycles);

/* The scanner: PAGES pages, PASSES cyclic scans, the MRU chooser if mru;
 * notify: the guest to wake once its memory is full, which rings back
 * when it holds what it came for (NULL: scan alone). */
int replace_scan(uint64_t pages, uint64_t passes, int mru, const char *notify);
/* The presser: FRAMES frames, after rings doorbells (0: at once), timing
 * each allocation; done: the guest to ring when it has them, whose end it
 * then waits for, holding them (NULL: end at once). */
int replace_press(uint64_t frames, uint64_t rings, const char *done);

/* Doorbells between the two (peer.c): take rings; share a frame with
 * name (if share) and ring it; wait until rings guests have rung; wait
 * until name has ended. 0, or 1 after replace_fail. */
int peer_listen(void);
int peer_ring(const char *name, int share);
int peer_await(uint64_t rings, uint64_t timeout_ms);
int peer_await_end(const char *name, uint64_t timeout_ms);

#endif
