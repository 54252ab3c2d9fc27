/* SPDX-License-Identifier: MIT */
/*
 * tests/core/test_revoke.c: hv/core/revoke.c and slice.c: memory pressure,
 * visible revocation, abort, and CPU slices.
 *
 * A fake pool of 64 frames and three guests. The tests drive what a
 * platform would: allocations through hv_exit (so waiting shows as
 * HV_NEXT_BLOCKED), the clock (fake_now_ns) and deadlines
 * (hv_guest_deadline). They check whom hv asks and for how many (fair
 * share), what the victim's exo page says, that frames released while
 * asked are counted and serve the waiting allocation, and that an abort
 * takes exactly the frames it records, never a pinned one.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "fake_plat.h"

#define NFRAMES 64u
#define PG(f) ((uint64_t)(f) * EXO_PAGE_SIZE)

static struct fake_pool *fp;
static struct fake_guest *a, *b, *c;

/* a and b may own 32 frames each, c 64 (so c's share is half the pool).
 * Each owns a frame for its blocks: a 0, b 1, c 2. */
static void setup(void)
{
	uint64_t bad;
	fp = fake_pool_create(NFRAMES);
	a = fake_guest_create(fp, "a", 32);
	b = fake_guest_create(fp, "b", 32);
	c = fake_guest_create(fp, "c", 64);
	cr_assert_eq(hv_frames_alloc_named(&a->g, 1, (uint64_t[]){ 0 }, &bad), 0);
	cr_assert_eq(hv_frames_alloc_named(&b->g, 1, (uint64_t[]){ 1 }, &bad), 0);
	cr_assert_eq(hv_frames_alloc_named(&c->g, 1, (uint64_t[]){ 2 }, &bad), 0);
}

static void teardown(void)
{
	fake_guest_destroy(a);
	fake_guest_destroy(b);
	fake_guest_destroy(c);
	fake_pool_destroy(fp);
}

TestSuite(revoke, .init = setup, .fini = teardown);

static uint64_t block(const struct fake_guest *fg)
{
	return PG(fg->g.id - 1);
}

/* fg's EXO_HC_FRAME_ALLOC of n frames (ANY, flags extra) through hv_exit;
 * the vector goes at offset 512 of its block frame. */
static enum hv_next alloc(struct fake_guest *fg, uint32_t n, uint32_t flags, uint64_t *rax)
{
	struct exo_hc_frames blk = { .vec_gpa = block(fg) + 512, .count = n, .flags = flags };
	memcpy(fp->host + block(fg), &blk, sizeof blk);
	struct hv_exit e = { .type = HV_XT_IO, .port = EXO_HC_PORT + EXO_HC_FRAME_ALLOC, .size = 4,
			     .value = (uint32_t)block(fg) };
	return hv_exit(&fg->g, &e, rax);
}

static int64_t alloc_now(struct fake_guest *fg, uint32_t n)
{
	uint64_t rax;
	cr_assert_eq(alloc(fg, n, 0, &rax), HV_NEXT_RESUME);
	return (int64_t)rax;
}

static uint64_t vec_at(const struct fake_guest *fg, unsigned i)
{
	uint64_t v;
	memcpy(&v, fp->host + block(fg) + 512 + 8 * i, sizeof v);
	return v;
}

/* Release the n frames listed, as the guest would. */
static void release(struct fake_guest *fg, unsigned n, const uint64_t *frames)
{
	uint64_t bad;
	cr_assert_eq(hv_frames_release(&fg->g, n, frames, &bad), 0);
}

static void agree(void)
{
	const struct fake_guest *all[] = { a, b, c };
	for (unsigned i = 0; i < 3; i++) {
		const char *d = all[i]->g.id ? fake_disagreement(all[i]) : NULL;
		cr_assert_null(d, "guest %s: %s", all[i]->g.name, d);
	}
}

Test(revoke, a_short_pool_asks_the_guest_furthest_over_its_share)
{
	/* b fills the pool up to its cap; c owns a little. Shares: pool 64
	 * in proportion to caps 32:32:64 -> 16, 16, 32. */
	cr_assert_eq(alloc_now(b, 31), 31);
	cr_assert_eq(alloc_now(c, 28), 28);
	cr_assert_eq(fp->pool.nfree, 2);
	uint64_t rax;
	cr_assert_eq(alloc(a, 10, 0, &rax), HV_NEXT_BLOCKED, "a waits for frames");
	cr_assert_eq(b->g.revoke_owed, 8, "b is 16 over its share; 8 are needed");
	cr_assert_eq(c->g.revoke_owed, 0, "c is within its share");
	cr_assert_eq(b->g.exo->revoke_frames, 8);
	cr_assert_eq(b->g.exo->revoke_seq, 1);
	cr_assert_eq(b->g.exo->revoke_deadline_ns, HV_REVOKE_GRACE_NS);
	cr_assert_eq(b->deadline_ns, HV_REVOKE_GRACE_NS, "b's deadline is armed");
	cr_assert_eq(b->injects, 0, "b has no revocation vector: no upcall");
	cr_assert_eq(fp->pool.reserved, 10);
	cr_assert_eq(a->g.stats.waited, 1);
	agree();
}

Test(revoke, cooperative_release_is_counted_and_serves_the_waiter)
{
	struct exo_hc_upcall up = { .revoke_vector = 0x50 };
	cr_assert_eq(hv_upcall_setup(&b->g, &up), 0);
	cr_assert_eq(alloc_now(b, 31), 31);
	cr_assert_eq(alloc_now(c, 28), 28);
	uint64_t rax, bs[8];
	cr_assert_eq(alloc(a, 10, 0, &rax), HV_NEXT_BLOCKED);
	cr_assert_eq(b->injects, 1);
	cr_assert_eq(b->inject_vector, 0x50, "the upcall is b's vector");
	/* b releases 8 frames of its choosing: the last 8 it got. */
	for (unsigned i = 0; i < 8; i++)
		bs[i] = vec_at(b, 23 + i);
	release(b, 8, bs);
	cr_assert_eq(b->g.revoke_owed, 0);
	cr_assert_eq(b->g.exo->revoke_frames, 0);
	cr_assert_eq(b->g.stats.revoke_given, 8);
	cr_assert_eq(b->g.stats.revoke_in_time, 1);
	cr_assert_not(a->g.blocked, "a's allocation completed");
	cr_assert_eq(a->wakes, 1);
	cr_assert_eq(a->g.wake_rax, 10);
	cr_assert_eq(a->g.owned, 11);
	for (unsigned i = 0; i < 10; i++)
		cr_assert_eq(fp->pool.owner[vec_at(a, i)], a->g.id, "a's vector names its frames");
	struct exo_hc_frames blk;
	memcpy(&blk, fp->host + block(a), sizeof blk);
	cr_assert_eq(blk.bad_index, 10);
	cr_assert_eq(fp->pool.reserved, 0);
	cr_assert_eq(fp->pool.owed, 0);
	cr_assert_eq(b->g.stats.revoke_aborted, 0);
	agree();
}

Test(revoke, frames_owed_to_a_waiter_are_not_for_others)
{
	cr_assert_eq(alloc_now(b, 31), 31);
	cr_assert_eq(alloc_now(c, 28), 28);
	uint64_t rax;
	cr_assert_eq(alloc(a, 10, 0, &rax), HV_NEXT_BLOCKED);
	cr_assert_eq(alloc(c, 2, EXO_FA_NOWAIT, &rax), HV_NEXT_RESUME);
	cr_assert_eq((int64_t)rax, -EXO_EAGAIN, "the two free frames are a's");
	cr_assert_eq(c->g.owned, 29);
}

Test(revoke, nowait_asks_and_returns_at_once)
{
	cr_assert_eq(alloc_now(b, 31), 31);
	cr_assert_eq(alloc_now(c, 30), 30);
	uint64_t rax;
	cr_assert_eq(alloc(a, 4, EXO_FA_NOWAIT, &rax), HV_NEXT_RESUME);
	cr_assert_eq((int64_t)rax, -EXO_EAGAIN);
	cr_assert_eq(b->g.revoke_owed, 4, "the request still goes out");
	cr_assert_eq(fp->pool.reserved, 0, "nobody waits");
	cr_assert_not(a->g.blocked);
}

Test(revoke, a_guest_beyond_its_own_share_gets_enomem)
{
	cr_assert_eq(alloc_now(a, 31), 31);
	cr_assert_eq(alloc_now(c, 30), 30);
	uint64_t rax;
	cr_assert_eq(alloc(a, 1, 0, &rax), HV_NEXT_RESUME, "a is at its cap's limit anyway");
	cr_assert_eq((int64_t)rax, -EXO_ENOMEM);
	cr_assert_eq(alloc(b, 20, 0, &rax), HV_NEXT_RESUME);
	cr_assert_eq((int64_t)rax, -EXO_ENOMEM, "b's share is 16: it may not take 20 from others");
	cr_assert_eq(a->g.revoke_owed + c->g.revoke_owed, 0, "nobody was asked");
}

Test(revoke, abort_takes_the_highest_unpinned_frames_and_records_them)
{
	cr_assert_eq(alloc_now(b, 31), 31);
	cr_assert_eq(alloc_now(c, 28), 28);
	hv_pin_owned(&b->g); /* everything b has now is "boot" */
	release(b, 1, (uint64_t[]){ vec_at(b, 30) });
	cr_assert_eq(alloc_now(b, 1), 1);
	uint64_t newest = vec_at(b, 0);
	uint64_t rax;
	cr_assert_eq(alloc(a, 3, 0, &rax), HV_NEXT_BLOCKED);
	cr_assert_eq(b->g.revoke_owed, 1, "the pool had 2 free; 1 is asked");
	fake_now_ns += HV_REVOKE_GRACE_NS - 1;
	cr_assert_eq(hv_guest_deadline(&b->g), 0);
	cr_assert_eq(b->g.revoke_owed, 1, "not yet");
	fake_now_ns += 1;
	cr_assert_eq(hv_guest_deadline(&b->g), 0);
	cr_assert_eq(b->g.revoke_owed, 0);
	cr_assert_eq(b->g.stats.revoke_aborted, 1);
	cr_assert_eq(fp->pool.owner[newest], a->g.id, "the one unpinned frame, now a's");
	cr_assert((b->g.repossessed_bitmap[newest / 8] >> (newest % 8)) & 1);
	cr_assert_eq(b->g.exo->frames_repossessed, 1);
	cr_assert_eq(b->exceptions, 1);
	cr_assert_eq(b->exception_vector, EXO_VEC_ABORT);
	cr_assert_eq(a->g.wake_rax, 3);
	agree();
}

Test(revoke, an_abort_scrubs_and_revokes_grants_first)
{
	cr_assert_eq(alloc_now(b, 31), 31);
	cr_assert_eq(alloc_now(c, 28), 28);
	uint64_t top = vec_at(b, 30), bad;
	memset(fp->host + PG(top), 0x77, EXO_PAGE_SIZE);
	cr_assert_eq(hv_grant(&b->g, EXO_GRANT_RW, c->g.id, 1, &top, &bad), 0);
	uint64_t rax;
	cr_assert_eq(alloc(a, 3, 0, &rax), HV_NEXT_BLOCKED);
	fake_now_ns += HV_REVOKE_GRACE_NS;
	hv_guest_deadline(&b->g);
	cr_assert_eq(c->bound[top], 0, "the grant went first");
	cr_assert_eq(fp->pool.owner[top], a->g.id);
	cr_assert_eq(fp->host[PG(top)], 0, "the next owner reads zeros");
	agree();
}

Test(revoke, a_waiter_gives_up_after_its_own_deadline)
{
	cr_assert_eq(alloc_now(b, 31), 31);
	cr_assert_eq(alloc_now(c, 28), 28);
	hv_pin_owned(&b->g); /* nothing b has can be taken */
	uint64_t rax;
	cr_assert_eq(alloc(a, 10, 0, &rax), HV_NEXT_BLOCKED);
	fake_now_ns += HV_REVOKE_GRACE_NS;
	hv_guest_deadline(&b->g);
	cr_assert_eq(b->g.stats.revoke_aborted, 0);
	cr_assert(a->g.blocked, "still waiting");
	fake_now_ns += HV_ALLOC_WAIT_NS;
	hv_guest_deadline(&a->g);
	cr_assert_not(a->g.blocked);
	cr_assert_eq((int64_t)a->g.wake_rax, -EXO_ENOMEM);
	cr_assert_eq(fp->pool.reserved, 0);
	cr_assert_eq(fp->pool.nwaiters, 0);
	agree();
}

Test(revoke, a_victim_that_ends_pays_its_debt_with_everything)
{
	cr_assert_eq(alloc_now(b, 31), 31);
	cr_assert_eq(alloc_now(c, 28), 28);
	uint64_t rax;
	cr_assert_eq(alloc(a, 10, 0, &rax), HV_NEXT_BLOCKED);
	b->g.end = HV_END_FAULT;
	hv_guest_remove(&b->g);
	cr_assert_not(a->g.blocked);
	cr_assert_eq(a->g.wake_rax, 10);
	cr_assert_eq(fp->pool.owed, 0);
	hv_guest_remove(&a->g);
	hv_guest_remove(&c->g);
	cr_assert_null(hv_pool_check(&fp->pool));
}

Test(revoke, upcall_setup_checks_its_vectors)
{
	cr_assert_eq(hv_upcall_setup(&a->g, &(struct exo_hc_upcall){ .revoke_vector = 14 }),
		     -EXO_EINVAL);
	cr_assert_eq(hv_upcall_setup(&a->g, &(struct exo_hc_upcall){ .slice_vector = 256 }),
		     -EXO_EINVAL);
	cr_assert_eq(hv_upcall_setup(&a->g, &(struct exo_hc_upcall){ .revoke_vector = 32,
								    .slice_vector = 255 }), 0);
	cr_assert_eq(hv_upcall_setup(&a->g, &(struct exo_hc_upcall){ 0 }), 0, "off");
}

Test(revoke, a_slice_end_raises_the_upcall_and_a_late_yield_is_preempted)
{
	cr_assert_eq(hv_slice_end(&a->g), 1, "no vector: preempted at once");
	cr_assert_eq(a->g.stats.preempted, 1);
	cr_assert_eq(hv_upcall_setup(&a->g, &(struct exo_hc_upcall){ .slice_vector = 0x61 }), 0);
	cr_assert_eq(hv_slice_end(&a->g), 0);
	cr_assert_eq(a->inject_vector, 0x61);
	cr_assert_eq(a->deadline_ns, HV_SLICE_GRACE_NS);
	uint64_t rax = 9;
	struct hv_exit e = { .type = HV_XT_IO, .port = EXO_HC_PORT + EXO_HC_YIELD, .size = 4 };
	cr_assert_eq(hv_exit(&a->g, &e, &rax), HV_NEXT_YIELD);
	cr_assert_eq(rax, 0);
	cr_assert_eq(a->g.stats.slice_in_time, 1);
	fake_now_ns += HV_SLICE_GRACE_NS;
	cr_assert_eq(hv_guest_deadline(&a->g), 0, "it yielded: nothing to preempt");
	cr_assert_eq(hv_slice_end(&a->g), 0);
	fake_now_ns += HV_SLICE_GRACE_NS;
	cr_assert_eq(hv_guest_deadline(&a->g), 1, "no yield in the grace: preempt");
	cr_assert_eq(a->g.stats.preempted, 2);
	cr_assert_eq(a->g.stats.slices, 3);
	cr_assert_eq(a->g.exo->slices, 3);
}

Test(revoke, a_request_wakes_a_victim_asleep_in_wait)
{
	cr_assert_eq(alloc_now(b, 31), 31);
	cr_assert_eq(alloc_now(c, 28), 28);
	struct exo_hc_doorbell w = { .op = EXO_DB_WAIT, .timeout_ns = 10ull * 1000 * 1000 * 1000 };
	memcpy(fp->host + block(b), &w, sizeof w);
	uint64_t rax;
	struct hv_exit e = { .type = HV_XT_IO, .port = EXO_HC_PORT + EXO_HC_DOORBELL, .size = 4,
			     .value = (uint32_t)block(b) };
	cr_assert_eq(hv_exit(&b->g, &e, &rax), HV_NEXT_BLOCKED);
	cr_assert_eq(alloc(a, 10, 0, &rax), HV_NEXT_BLOCKED);
	cr_assert_not(b->g.blocked, "b's WAIT ended so that it can answer");
	cr_assert_eq(b->g.wake_rax, 0);
	cr_assert_eq(b->wakes, 1);
	cr_assert(a->g.blocked, "a still waits for b's frames");
}
