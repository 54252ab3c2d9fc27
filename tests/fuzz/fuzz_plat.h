/* SPDX-License-Identifier: MIT */
/*
 * tests/fuzz/fuzz_plat.h: the fuzz harnesses' platform (fuzz_plat.c):
 * tests/core/fake_plat.h's fake, whose bind, scrub and forward also check
 * hv/core's side of the hv_plat_* contracts, and its guest list.
 */
#ifndef TESTS_FUZZ_FUZZ_PLAT_H
#define TESTS_FUZZ_FUZZ_PLAT_H

#include <sanitizer/common_interface_defs.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "../core/fake_plat.h"

/* Abort with a one-line reason, written where libFuzzer's own report
 * goes: the runs in the Makefile close stderr (-close_fd_mask=3). */
__attribute__((noreturn)) static inline void fuzz_fail(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));
static inline void fuzz_fail(const char *fmt, ...)
{
	char line[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	__sanitizer_report_error_summary(line);
	abort();
}

#define FUZZ_GUESTS_MAX 8u

/* The fake guests alive (NULL: a free slot), for the scrub check. */
extern struct fake_guest *fuzz_plat_guests[FUZZ_GUESTS_MAX];

/* fake_guest_create, entered in fuzz_plat_guests[]. */
struct fake_guest *fuzz_guest_add(struct fake_pool *fp, const char *name, uint64_t cap);

/* hv_guest_remove, then every frame must be unbound from it; then
 * fake_guest_destroy. */
void fuzz_guest_remove(struct fake_guest *fg);

/* Abort with a one-line reason unless the pool and every guest of it
 * agree: owner table, bitmaps, counts, bindings, the grant lists (each
 * grant from the frame's owner to a live guest, once, with its bits), the
 * lock released, the canary past the owner table untouched. */
void fuzz_check(const struct fake_pool *fp);

/* A zeroed pool of nframes frames, the same memory each time (abort
 * if memory runs out); fuzz_pool_end leaves it empty. */
struct fake_pool *fuzz_pool(uint64_t nframes);

/* Remove every guest of fp, then hv_pool_check must find it clean. */
void fuzz_pool_end(struct fake_pool *fp);

#endif
