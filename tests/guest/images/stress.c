/* SPDX-License-Identifier: MIT */
/*
 * tests/guest/images/stress [ROUNDS [N]]: allocation from one pool by
 * several guests at once. ROUNDS times (default 200): allocate any N
 * frames (default 16), check each is this guest's alone and was zeroed
 * when it changed owner (its first and last words read 0), write a pattern
 * naming this guest, round and index into them, let the other guests run,
 * read every pattern back (another guest holding one of these frames
 * would have changed it), and release them. The exo page's ownership
 * bitmap and frames_owned must agree with what hv answered at every step.
 *
 * Prints "stress: NAME: ROUNDS rounds of N frames, F failures" and exits
 * 0, or 1 after printing the first few failures.
 */
#include "exo/exo.h"

#define LAST (EXO_PAGE_SIZE / 8 - 1)

static int failures;

static void check(int ok, const char *what, uint64_t round, uint64_t f)
{
	if (ok)
		return;
	if (failures++ < 5)
		exo_printf("stress: %s: round %lu, frame %lu: %s\n", exo_name(),
			   (unsigned long)round, (unsigned long)f, what);
}

static int parse(const char *s, uint64_t *n, uint64_t max)
{
	*n = 0;
	for (; *s; s++) {
		if (*s < '0' || *s > '9' || *n > max)
			return -1;
		*n = *n * 10 + (uint64_t)(*s - '0');
	}
	return *n && *n <= max ? 0 : -1;
}

static uint64_t vec[EXO_FRAMES_MAX];

int main(int argc, char **argv)
{
	const struct exo_page *p = exo_page();
	uint64_t rounds = 200, n = 16, bad;
	if (argc > 3 || (argc > 1 && parse(argv[1], &rounds, 1000000) < 0) ||
	    (argc > 2 && parse(argv[2], &n, EXO_FRAMES_MAX) < 0)) {
		exo_printf("stress: usage: stress [ROUNDS [N]], N at most %u\n", EXO_FRAMES_MAX);
		return 1;
	}
	uint64_t base = p->frames_owned, tag = (uint64_t)exo_guest_id() << 48;

	uint64_t r;
	for (r = 0; r < rounds && failures < 5; r++) {
		int64_t rc = exo_frames_alloc(vec, (uint32_t)n, EXO_FA_ANY, &bad);
		if (rc != (int64_t)n) {
			exo_printf("stress: %s: round %lu: alloc of %lu: %s\n", exo_name(),
				   (unsigned long)r, (unsigned long)n, exo_strerror(rc));
			return 1;
		}
		check(p->frames_owned == base + n, "frames_owned disagrees after alloc", r, 0);
		for (uint64_t i = 0; i < n; i++) {
			volatile uint64_t *w = exo_frame_ptr(vec[i]);
			check(exo_owns(vec[i]), "allocated but not in the ownership bitmap", r, vec[i]);
			check(w[0] == 0 && w[LAST] == 0, "not zeroed when it changed owner", r, vec[i]);
			w[0] = tag | r << 16 | i;
			w[LAST] = ~(tag | r << 16 | i);
		}
		exo_doorbell_wait(0); /* an exit: the others run meanwhile anyway */
		for (uint64_t i = 0; i < n; i++) {
			volatile uint64_t *w = exo_frame_ptr(vec[i]);
			check(w[0] == (tag | r << 16 | i) && w[LAST] == ~(tag | r << 16 | i),
			      "changed by someone else (or given twice)", r, vec[i]);
		}
		rc = exo_frames_release(vec, (uint32_t)n, &bad);
		if (rc != (int64_t)n) {
			exo_printf("stress: %s: round %lu: release: %s, bad_index %lu\n", exo_name(),
				   (unsigned long)r, exo_strerror(rc), (unsigned long)bad);
			return 1;
		}
		check(p->frames_owned == base, "frames_owned disagrees after release", r, 0);
		for (uint64_t i = 0; i < n; i++)
			check(!exo_owns(vec[i]), "released but still in the ownership bitmap", r, vec[i]);
	}
	exo_printf("stress: %s: %lu rounds of %lu frames, %d failures\n", exo_name(),
		   (unsigned long)r, (unsigned long)n, failures);
	return failures ? 1 : 0;
}
