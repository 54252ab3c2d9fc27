/* SPDX-License-Identifier: MIT */
/*
 * tests/fuzz/fuzz_forward.c: libFuzzer harness for EXO_HC_FORWARD, the
 * forwarded-call decoder (hv/core/forward.c), through hv_hypercall.
 *
 * Guest "a" owns frames 0-7 (GPAs 0-0x7fff) and is granted frames 8-9
 * of guest "b" read-write, 10-11 read-only; b's frames 12-15 are neither.
 * The input's first byte is what every forwarded call returns (int8: a
 * count or -errno); the rest is written over a's eight frames from GPA 0,
 * and the call block is at GPA 0: the batch's vector, its calls and
 * everything their arguments point to are the input's to place. The
 * platform (tests/fuzz/fuzz_plat.c) checks that every pointer it is
 * handed is either hv's own copy, read in full, or a buffer wholly in
 * frames a owns (never b's, granted or not); fuzz_check then compares
 * every view of ownership, and the pool must end clean.
 *
 * Seeds: tests/fuzz/corpus/forward/. Run: make fuzz (see the Makefile).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_plat.h"

#define POOL_FRAMES 16u
#define A_FRAMES 8u

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fake_pool *fp = fuzz_pool(POOL_FRAMES);
	struct fake_guest *a = fuzz_guest_add(fp, "a", A_FRAMES);
	struct fake_guest *b = fuzz_guest_add(fp, "b", POOL_FRAMES - A_FRAMES);
	uint64_t fa[A_FRAMES], fb[POOL_FRAMES - A_FRAMES], bad;
	if (hv_frames_alloc_any(&a->g, A_FRAMES, fa) < 0 ||
	    hv_frames_alloc_any(&b->g, POOL_FRAMES - A_FRAMES, fb) < 0 ||
	    hv_grant(&b->g, EXO_GRANT_RW, a->g.id, 2, fb, &bad) < 0 ||
	    hv_grant(&b->g, EXO_GRANT_RO, a->g.id, 2, fb + 2, &bad) < 0)
		fuzz_fail("fuzz_forward: cannot set the guests up");
	if (size) {
		a->fwd_ret = (int8_t)data[0];
		size_t n = size - 1 < A_FRAMES * EXO_PAGE_SIZE ? size - 1 : A_FRAMES * EXO_PAGE_SIZE;
		memcpy(fp->host, data + 1, n);
	}
	hv_hypercall(&a->g, EXO_HC_FORWARD, 0);
	fuzz_check(fp);
	fuzz_pool_end(fp);
	return 0;
}
