/* SPDX-License-Identifier: MIT */
/*
 * tests/guest/images/frames: allocate, use and release frames, and check
 * from inside the guest that hv's answers, the exo page's bitmap and the
 * memory itself agree. Prints one "ok"/"FAIL" line per check; the exit
 * status is the number of failures. Run with --mem 1M (256 frames).
 */
#include "exo/exo.h"

static int failures;

static void check(int ok, const char *what)
{
	exo_printf("%s: %s\n", ok ? "ok" : "FAIL", what);
	failures += !ok;
}

static uint64_t vec[EXO_FRAMES_MAX];

int main(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	const struct exo_page *p = exo_page();
	struct exo_hc_info info;
	uint64_t bad;

	check(exo_info(&info) == 0 && info.pool_frames == p->pool_frames &&
	      info.frames_owned == p->frames_owned && info.exo_page_gpa == p->exo_page_gpa,
	      "info agrees with the exo page");
	uint64_t owned0 = p->frames_owned;

	/* Any 8 frames: owned, counted, usable, distinct memory. */
	int64_t rc = exo_frames_alloc(vec, 8, EXO_FA_ANY, &bad);
	check(rc == 8, "alloc any 8");
	int all_owned = 1;
	for (int i = 0; i < 8; i++)
		all_owned &= exo_owns(vec[i]);
	check(all_owned && p->frames_owned == owned0 + 8, "bitmap and count show the 8 frames");
	for (int i = 0; i < 8; i++)
		*(volatile uint64_t *)exo_frame_ptr(vec[i]) = 0xf00d0000 + (uint64_t)i;
	int kept = 1;
	for (int i = 0; i < 8; i++)
		kept &= *(volatile uint64_t *)exo_frame_ptr(vec[i]) == 0xf00d0000 + (uint64_t)i;
	check(kept, "each frame keeps what was written");

	/* Release; a second release of the same frames is refused. */
	uint64_t first = vec[0];
	check(exo_frames_release(vec, 8, &bad) == 8 && p->frames_owned == owned0 &&
	      !exo_owns(first), "release 8");
	check(exo_frames_release(vec, 1, &bad) == -EXO_EPERM && bad == 0,
	      "second release refused with EXO_EPERM");

	/* Named allocation of the frame just released: it reads zero. */
	check(exo_frames_alloc(&first, 1, EXO_FA_NAMED, &bad) == 1 && exo_owns(first),
	      "named alloc of a chosen frame");
	check(*(volatile uint64_t *)exo_frame_ptr(first) == 0, "a reallocated frame reads zero");
	check(exo_frames_alloc(&first, 1, EXO_FA_NAMED, &bad) == -EXO_EBUSY && bad == 0,
	      "named alloc of an owned frame refused with EXO_EBUSY");
	uint64_t twice[2] = { first, first };
	check(exo_frames_release(twice, 2, &bad) == -EXO_EPERM && bad == 1 && exo_owns(first),
	      "a vector naming a frame twice is refused whole");
	check(exo_frames_release(&first, 1, &bad) == 1, "release the named frame");

	/* Exhaustion of the cap: all or nothing, then exactly what is left. */
	uint64_t left = p->mem_cap_frames - p->frames_owned;
	check(left < EXO_FRAMES_MAX, "cap small enough to exhaust (run with --mem 1M)");
	check(exo_frames_alloc(vec, (uint32_t)left + 1, EXO_FA_ANY, &bad) == -EXO_ENOMEM &&
	      p->frames_owned == owned0, "one frame over the cap: EXO_ENOMEM, nothing taken");
	check(exo_frames_alloc(vec, (uint32_t)left, EXO_FA_ANY, &bad) == (int64_t)left &&
	      p->frames_owned == p->mem_cap_frames, "exactly the cap");
	check(exo_frames_alloc(vec + left, 1, EXO_FA_ANY, &bad) == -EXO_ENOMEM,
	      "at the cap: EXO_ENOMEM");
	check(exo_frames_release(vec, (uint32_t)left, &bad) == (int64_t)left &&
	      p->frames_owned == owned0, "release them all");

	exo_printf("frames: %d failures\n", failures);
	return failures;
}
