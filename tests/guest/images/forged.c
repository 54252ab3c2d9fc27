/* SPDX-License-Identifier: MIT */
/*
 * tests/guest/images/forged: a guest that hands hv forged frame numbers,
 * GPAs, lengths and call numbers. Each call must fail with the error the
 * ABI names, and the guest must go on running. Prints "NAME: CODE" per
 * call for the harness to compare, then exits 0.
 */
#include "exo/exo.h"

static void show(const char *what, int64_t rc)
{
	exo_printf("%s: %s\n", what, rc < 0 ? exo_strerror(rc) : "accepted");
}

/* The first frame this guest does not own. */
static uint64_t unowned_frame(void)
{
	uint64_t f = 0;
	while (exo_owns(f))
		f++;
	return f;
}

int main(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	const struct exo_page *p = exo_page();
	uint64_t bad, v[2];
	uint64_t foreign_gpa = unowned_frame() << EXO_PAGE_SHIFT;

	v[0] = p->pool_frames + 5;
	show("release frame beyond the pool", exo_frames_release(v, 1, &bad));
	v[0] = 1ull << 40;
	show("named alloc of frame 2^40", exo_frames_alloc(v, 1, EXO_FA_NAMED, &bad));
	v[0] = unowned_frame();
	show("release a frame not owned", exo_frames_release(v, 1, &bad));

	struct exo_hc_console c = { .buf_gpa = foreign_gpa, .len = 16 };
	show("console buffer at a foreign GPA", exo_hypercall(EXO_HC_CONSOLE, &c));
	c = (struct exo_hc_console){ .buf_gpa = exo_gpa("x"), .len = 1u << 20 };
	show("console length 1 MiB", exo_hypercall(EXO_HC_CONSOLE, &c));
	c = (struct exo_hc_console){ .buf_gpa = UINT64_MAX - 8, .len = 64 };
	show("console buffer wrapping the address space", exo_hypercall(EXO_HC_CONSOLE, &c));

	struct exo_hc_frames f = { .vec_gpa = foreign_gpa, .count = 1 };
	show("alloc vector at a foreign GPA", exo_hypercall(EXO_HC_FRAME_ALLOC, &f));
	f = (struct exo_hc_frames){ .vec_gpa = exo_gpa(v), .count = EXO_FRAMES_MAX + 1 };
	show("alloc count over the limit", exo_hypercall(EXO_HC_FRAME_ALLOC, &f));
	f = (struct exo_hc_frames){ .vec_gpa = exo_gpa(v), .count = 1, .flags = 7 };
	show("alloc with unknown flags", exo_hypercall(EXO_HC_FRAME_ALLOC, &f));

	show("info block at a foreign GPA", exo_hypercall_gpa(EXO_HC_INFO, foreign_gpa));
	show("info block beyond the pool",
	     exo_hypercall_gpa(EXO_HC_INFO, p->pool_frames << EXO_PAGE_SHIFT));
	show("exit block at a foreign GPA", exo_hypercall_gpa(EXO_HC_EXIT, foreign_gpa));
	struct exo_hc_info info;
	show("unknown call number 15", exo_hypercall(15, &info));

	exo_printf("still running, owning %lu frames\n", (unsigned long)p->frames_owned);
	return 0;
}
