/* SPDX-License-Identifier: MIT */
/*
 * tests/fuzz/fuzz_hypercall.c: libFuzzer harness for hv/core's hypercall
 * dispatch, as three guests in one pool drive it.
 *
 * A pool of POOL_FRAMES frames holds three guests ("a", "b", "c"), each
 * with a cap of CAP_FRAMES (together more than the pool: allocations meet
 * memory pressure, revocation requests and aborts) and INIT_FRAMES frames
 * to start with (a has frames 0-3, b 4-7, c 8-11). The input is a sequence
 * of steps, each:
 *
 *   guest (byte % 3), action (byte % 20), then for actions 0-15:
 *   slot, offset/16, block length (% 65), block bytes, extra length,
 *   extra bytes, forwarded-call result (int8)
 *
 * Actions 0-15 are an out to port EXO_HC_PORT + action (16 ports: every
 * call, EXO_HC_FORWARD, grants, lookups, doorbells, upcalls and yield
 * among them, and the two unassigned ports) through hv_exit, as a
 * platform does: the block is written at offset*16 in the slot-th frame
 * the guest owns (an unowned frame when it owns none), the extra bytes
 * (vectors, names, buffers the block points to) 64 bytes on, each byte
 * only where the guest owns the frame, and the block's GPA is eax. 16: its deadline passes
 * (the clock moves to it, hv_guest_deadline). 17: its slice ends
 * (hv_slice_end). 18: it touches a GPA (4 bytes) it may not own. 19: an
 * out to a port hv does not provide. A guest that ended is removed; a
 * later step for it adds it again (its id reused). A blocked guest does
 * not run: only 16 reaches it.
 *
 * After every step fuzz_check (tests/fuzz/fuzz_plat.h) compares every view
 * of ownership and grants; at the end deadlines pass until no allocation
 * waits (as a platform lets them finish), every guest is removed and
 * hv_pool_check must find the pool clean. The platform (fuzz_plat.c)
 * checks each bind, scrub and forwarded call as it happens.
 *
 * Seeds: tests/fuzz/corpus/hypercall/. Run: make fuzz (see the Makefile).
 */
#include <stdint.h>
#include <string.h>

#include "fuzz_plat.h"

#define POOL_FRAMES 40u
#define CAP_FRAMES 20u
#define INIT_FRAMES 4u
#define NGUESTS 3u
#define STEPS_MAX 64u

struct input {
	const uint8_t *p;
	size_t left;
};

static uint8_t byte(struct input *in)
{
	if (!in->left)
		return 0;
	in->left--;
	return *in->p++;
}

/* The slot-th frame g owns, or POOL_FRAMES + slot (not its) if none. */
static uint64_t nth_owned(const struct hv_guest *g, unsigned slot)
{
	const struct hv_pool *p = g->pool;
	if (!g->owned)
		return POOL_FRAMES + slot;
	slot %= (unsigned)g->owned;
	for (uint64_t f = 0; f < p->nframes; f++)
		if (p->owner[f] == g->id && slot-- == 0)
			return f;
	return POOL_FRAMES; /* the counts disagree: fuzz_check says so */
}

/* Write n input bytes at gpa, as the guest would: only into its own
 * frames (a byte of anyone else's is skipped). */
static void guest_write(struct fake_pool *fp, const struct hv_guest *g, uint64_t gpa,
			struct input *in, unsigned n)
{
	for (unsigned i = 0; i < n; i++, gpa++) {
		uint8_t b = byte(in);
		if (hv_check_gpa(g, gpa, 1) == 0)
			fp->host[gpa] = b;
	}
}

static struct fake_guest *guest_start(struct fake_pool *fp, unsigned i)
{
	static const char *const names[NGUESTS] = { "a", "b", "c" };
	uint64_t out[INIT_FRAMES];
	struct fake_guest *fg = fuzz_guest_add(fp, names[i], CAP_FRAMES);
	hv_frames_alloc_any(&fg->g, INIT_FRAMES, out); /* may fail under pressure */
	return fg;
}

static void step(struct fake_pool *fp, struct fake_guest **gs, struct input *in)
{
	unsigned who = byte(in) % NGUESTS, action = byte(in) % 20;
	if (!gs[who])
		gs[who] = guest_start(fp, who);
	struct fake_guest *fg = gs[who];
	struct hv_guest *g = &fg->g;
	struct hv_exit e = { .type = HV_XT_IO, .rip = 0xffffffff80001000ull, .size = 4 };
	uint64_t rax = 0;
	if (action == 16) {
		if (fg->deadline_ns) {
			fake_now_ns += fg->deadline_ns;
			hv_guest_deadline(g);
		}
		return;
	}
	if (g->blocked)
		return;
	if (action < 16) {
		uint64_t frame = nth_owned(g, byte(in));
		uint64_t gpa = frame * EXO_PAGE_SIZE + (uint64_t)byte(in) * 16;
		guest_write(fp, g, gpa, in, byte(in) % 65);
		unsigned extra = byte(in);
		guest_write(fp, g, gpa + 64, in, extra);
		fg->fwd_ret = (int8_t)byte(in);
		e.port = (uint16_t)(EXO_HC_PORT + action);
		e.value = (uint32_t)gpa;
	} else if (action == 17) {
		hv_slice_end(g);
		return;
	} else if (action == 18) {
		e.type = HV_XT_GPA;
		e.gpa = byte(in) | (uint64_t)byte(in) << 8 | (uint64_t)byte(in) << 16 |
			(uint64_t)byte(in) << 24;
		e.write = byte(in) & 1;
	} else {
		e.port = (uint16_t)(byte(in) | byte(in) << 8);
		e.in = byte(in) & 1;
	}
	if (hv_exit(g, &e, &rax) == HV_NEXT_ENDED) {
		fuzz_guest_remove(fg);
		gs[who] = NULL;
	}
}

/* A platform ends a guest only when its allocation has stopped waiting
 * (hv_guest_remove panics otherwise; hv/kvm/run.c lets the wait finish,
 * as revocation bounds it): let every deadline pass until none waits. */
static void settle(struct fake_guest **gs)
{
	for (unsigned round = 0; round < 16; round++) {
		int waiting = 0;
		for (unsigned i = 0; i < NGUESTS; i++) {
			if (!gs[i] || !gs[i]->g.alloc_waiting)
				continue;
			waiting = 1;
			fake_now_ns += gs[i]->deadline_ns ? gs[i]->deadline_ns : HV_ALLOC_WAIT_NS;
			hv_guest_deadline(&gs[i]->g);
		}
		if (!waiting)
			return;
	}
	fuzz_fail("fuzz_hypercall: an allocation still waits after 16 deadlines passed");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct input in = { data, size };
	struct fake_guest *gs[NGUESTS];
	struct fake_pool *fp = fuzz_pool(POOL_FRAMES);
	fake_now_ns = 1000000000ull;
	for (unsigned i = 0; i < NGUESTS; i++)
		gs[i] = guest_start(fp, i);
	fuzz_check(fp);
	for (unsigned n = 0; n < STEPS_MAX && in.left; n++) {
		step(fp, gs, &in);
		fuzz_check(fp);
	}
	settle(gs);
	fuzz_check(fp);
	fuzz_pool_end(fp);
	return 0;
}
