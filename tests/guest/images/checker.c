/* SPDX-License-Identifier: MIT */
/*
 * tests/guest/images/checker: own a checkerboard of the pool, the pattern
 * that costs the host the most memory mappings (one run a frame).
 *
 * Takes every frame it can (EXO_FA_ANY, EXO_FRAMES_MAX at a time, then
 * fewer, until not even one is left), then gives back every odd-numbered one of them, and checks
 * that what it kept still works: a sample of them written and read back,
 * and allocation still possible (one frame back and released again).
 * Prints "checker: kept K of N frames, pool P" and exits 0, or 1 with the
 * reason. The frames it took are tracked in its own bitmap: guestlib's own
 * (page tables, stacks) are never released.
 */
#include "exo/exo.h"

#define FRAMES_TRACKED (1u << 20) /* a 4 GiB pool */

static uint8_t mine[FRAMES_TRACKED / 8];
static uint64_t vec[EXO_FRAMES_MAX];

static int fail(const char *what, int64_t rc)
{
	exo_printf("checker: %s: %s\n", what, exo_strerror(rc));
	return 1;
}

int main(int argc, char **argv)
{
	(void)argc, (void)argv;
	uint64_t pool = exo_page()->pool_frames, taken = 0, kept = 0, bad;
	int64_t rc;
	if (pool > FRAMES_TRACKED) {
		exo_printf("checker: a pool of %lu frames is more than %u\n", (unsigned long)pool,
			   FRAMES_TRACKED);
		return 1;
	}
	/* Full vectors while they last, then halves down to single frames. */
	for (uint32_t n = EXO_FRAMES_MAX; n; ) {
		rc = exo_frames_alloc(vec, n, EXO_FA_ANY | EXO_FA_NOWAIT, &bad);
		if (rc == -EXO_ENOMEM || rc == -EXO_EAGAIN) {
			n /= 2;
			continue;
		}
		if (rc < 0)
			return fail("frame-alloc", rc);
		for (uint32_t i = 0; i < n; i++)
			mine[vec[i] / 8] |= (uint8_t)(1u << (vec[i] % 8));
		taken += n;
	}
	/* Give back the odd ones, a vector at a time. */
	uint32_t n = 0;
	for (uint64_t f = 1; f < pool; f += 2) {
		if (!(mine[f / 8] >> (f % 8) & 1))
			continue;
		mine[f / 8] &= (uint8_t)~(1u << (f % 8));
		vec[n++] = f;
		if (n == EXO_FRAMES_MAX || f + 2 >= pool) {
			if ((rc = exo_frames_release(vec, n, &bad)) < 0)
				return fail("frame-release", rc);
			n = 0;
		}
	}
	if (n && (rc = exo_frames_release(vec, n, &bad)) < 0)
		return fail("frame-release", rc);
	/* What it kept: counted a byte of the bitmap at a time (guest ring 0
	 * may be emulated: every instruction counts), and a sample of them
	 * owned and usable. */
	for (uint64_t byte = 0; byte < (pool + 7) / 8; byte++) {
		if (!mine[byte])
			continue;
		for (unsigned b = mine[byte]; b; b &= b - 1) /* no libgcc here */
			kept++;
		if (byte % 64)
			continue;
		uint64_t f = byte * 8 + (uint64_t)__builtin_ctz(mine[byte]);
		volatile uint64_t *p = exo_frame_ptr(f);
		if (!exo_owns(f)) {
			exo_printf("checker: frame %lu is no longer owned\n", (unsigned long)f);
			return 1;
		}
		*p = f ^ 0x5a5a5a5au;
		if (*p != (f ^ 0x5a5a5a5au)) {
			exo_printf("checker: frame %lu did not keep a write\n", (unsigned long)f);
			return 1;
		}
	}
	/* A freed odd frame can be had again, and given back. */
	if ((rc = exo_frames_alloc(vec, 1, EXO_FA_ANY, &bad)) < 0)
		return fail("frame-alloc after the checkerboard", rc);
	*(volatile uint64_t *)exo_frame_ptr(vec[0]) = 1;
	if ((rc = exo_frames_release(vec, 1, &bad)) < 0)
		return fail("frame-release after the checkerboard", rc);
	exo_printf("checker: kept %lu of %lu frames, pool %lu\n", (unsigned long)kept,
		   (unsigned long)taken, (unsigned long)pool);
	return 0;
}
