/* SPDX-License-Identifier: MIT */
/*
 * apps/replace/press.c: the presser, a raw guest (no library OS) that
 * takes frames from a full pool, and the requester's view of how long
 * revocation takes.
 *
 * After rings=K guests rang (they are full), it asks hv for FRAMES frames,
 * 64 to a call, each call timed by the TSC from before it to the frames
 * in hand. A call first asks with EXO_FA_NOWAIT: -EXO_EAGAIN says the pool
 * was short and hv has asked a victim (the request is out), and the same
 * call again, without it, waits until the victim's frames are free
 * (released in time, or taken by abort at the deadline). So a batch that
 * waited is known to have waited, and its time is hv's request to the
 * frames it was owed, seen from here: the victim's answer (or the
 * deadline and the abort) plus two hypercalls of this guest. -EXO_ENOMEM
 * is a failure: the presser stays within its fair share.
 *
 * Prints one line a batch,
 *
 *   replace: press: batch B: N frames, waited|at once, T ns
 *
 * then "replace: press: got N frames". With done=NAME it then rings NAME
 * and holds its frames until NAME has ended (2 minutes at most), so NAME
 * runs the rest of its life in the memory it was left.
 */
#include "replace.h"

#define BATCH 64u

static uint64_t vec[BATCH]; /* a vector hv writes: in the image */

int replace_press(uint64_t frames, uint64_t rings, const char *done)
{
	if ((rings || done) && peer_listen())
		return 1;
	if (rings && peer_await(rings, 10000))
		return 1;
	for (uint64_t got = 0, b = 1; got < frames; b++) {
		uint32_t k = frames - got < BATCH ? (uint32_t)(frames - got) : BATCH;
		uint64_t t0 = exo_rdtsc();
		int64_t rc = exo_frames_alloc(vec, k, EXO_FA_ANY | EXO_FA_NOWAIT, 0);
		int waited = rc == -EXO_EAGAIN;
		if (waited)
			rc = exo_frames_alloc(vec, k, EXO_FA_ANY, 0);
		uint64_t t1 = exo_rdtsc();
		if (rc != k)
			return replace_fail("a batch of %u frames after %lu: %s", k, (unsigned long)got,
					    exo_strerror(rc));
		for (uint32_t i = 0; i < k; i++)
			*(volatile uint64_t *)exo_frame_ptr(vec[i]) = vec[i];
		exo_printf("replace: press: batch %lu: %u frames, %s, %lu ns\n", (unsigned long)b, k,
			   waited ? "waited" : "at once", (unsigned long)replace_ns(t1 - t0));
		got += k;
	}
	exo_printf("replace: press: got %lu frames\n", (unsigned long)frames);
	if (done && (peer_ring(done, 0) || peer_await_end(done, 120000)))
		return 1;
	return 0;
}
