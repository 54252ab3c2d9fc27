/* SPDX-License-Identifier: MIT */
/*
 * tests/core/test_doorbell.c: hv/core/doorbell.c, EXO_HC_DOORBELL.
 *
 * Two guests that share a frame ring each other; a third shares nothing.
 * Checks the pending set hv writes in the target's frame, the vector the
 * platform is asked to inject, WAIT's blocking and wake-up through hv_exit
 * (as a platform sees it), and every refusal.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "fake_plat.h"

#define NFRAMES 128u
#define PG(f) ((uint64_t)(f) * EXO_PAGE_SIZE)

static struct fake_pool *fp;
static struct fake_guest *a, *b, *c;

/* Each guest x owns frames 10x .. 10x+3: block at 10x, pending set at
 * 10x+1 (+8 bytes), the shared frame 10x+2. a grants 12 to b. */
static void setup(void)
{
	uint64_t bad;
	fp = fake_pool_create(NFRAMES);
	a = fake_guest_create(fp, "a", NFRAMES);
	b = fake_guest_create(fp, "b", NFRAMES);
	c = fake_guest_create(fp, "c", NFRAMES);
	struct fake_guest *all[] = { a, b, c };
	for (unsigned i = 0; i < 3; i++) {
		uint64_t base = 10 * (i + 1);
		cr_assert_eq(hv_frames_alloc_named(&all[i]->g, 4,
						   (uint64_t[]){ base, base + 1, base + 2, base + 3 },
						   &bad), 0);
	}
	cr_assert_eq(hv_grant(&a->g, EXO_GRANT_RW, b->g.id, 1, (uint64_t[]){ 12 }, &bad), 0);
}

static void teardown(void)
{
	fake_guest_destroy(a);
	fake_guest_destroy(b);
	fake_guest_destroy(c);
	fake_pool_destroy(fp);
}

TestSuite(doorbell, .init = setup, .fini = teardown);

static uint64_t base(const struct fake_guest *fg)
{
	return 10 * fg->g.id;
}

/* fg's EXO_HC_DOORBELL through hv_exit, as its platform would deliver it:
 * the result in *rax, and what hv_exit decided. */
static enum hv_next call(struct fake_guest *fg, struct exo_hc_doorbell blk, uint64_t *rax)
{
	memcpy(fp->host + PG(base(fg)), &blk, sizeof blk);
	struct hv_exit e = { .type = HV_XT_IO, .port = EXO_HC_PORT + EXO_HC_DOORBELL, .size = 4,
			     .value = (uint32_t)PG(base(fg)) };
	return hv_exit(&fg->g, &e, rax);
}

static int64_t db(struct fake_guest *fg, struct exo_hc_doorbell blk)
{
	uint64_t rax;
	cr_assert_eq(call(fg, blk, &rax), HV_NEXT_RESUME);
	return (int64_t)rax;
}

static int64_t setup_db(struct fake_guest *fg, uint32_t vector)
{
	return db(fg, (struct exo_hc_doorbell){ .op = EXO_DB_SETUP, .vector = vector,
						.pending_gpa = PG(base(fg) + 1) + 8 });
}

static uint64_t pending_word(const struct fake_guest *fg, unsigned w)
{
	uint64_t v;
	memcpy(&v, fp->host + PG(base(fg) + 1) + 8 + 8 * w, sizeof v);
	return v;
}

Test(doorbell, a_ring_sets_the_callers_bit_and_injects_the_vector)
{
	cr_assert_eq(setup_db(b, 0x41), 0);
	cr_assert_eq(db(a, (struct exo_hc_doorbell){ .op = EXO_DB_RING, .target = b->g.id }), 0);
	cr_assert_eq(pending_word(b, 0), 1ull << a->g.id);
	cr_assert_eq(b->injects, 1);
	cr_assert_eq(b->inject_vector, 0x41);
	cr_assert(b->g.db_rung);
	/* b rings a back: a has no doorbell yet. */
	cr_assert_eq(db(b, (struct exo_hc_doorbell){ .op = EXO_DB_RING, .target = a->g.id }),
		     -EXO_ENOENT);
	cr_assert_eq(setup_db(a, 0x42), 0);
	cr_assert_eq(db(b, (struct exo_hc_doorbell){ .op = EXO_DB_RING, .target = a->g.id }), 0,
		     "the grantee may ring the grantor");
	cr_assert_eq(pending_word(a, 0), 1ull << b->g.id);
	cr_assert_eq(a->inject_vector, 0x42);
}

Test(doorbell, rings_need_a_shared_frame_and_a_running_target)
{
	cr_assert_eq(setup_db(c, 0x40), 0);
	cr_assert_eq(db(a, (struct exo_hc_doorbell){ .op = EXO_DB_RING, .target = c->g.id }),
		     -EXO_EPERM, "a and c share nothing");
	cr_assert_eq(pending_word(c, 0), 0);
	cr_assert_eq(c->injects, 0);
	cr_assert_eq(db(a, (struct exo_hc_doorbell){ .op = EXO_DB_RING, .target = a->g.id }),
		     -EXO_EINVAL, "itself");
	cr_assert_eq(db(a, (struct exo_hc_doorbell){ .op = EXO_DB_RING, .target = 77 }),
		     -EXO_ENOENT);
	cr_assert_eq(setup_db(b, 0x40), 0);
	b->g.end = HV_END_FAULT;
	cr_assert_eq(db(a, (struct exo_hc_doorbell){ .op = EXO_DB_RING, .target = b->g.id }),
		     -EXO_ENOENT, "b has ended");
	b->g.end = HV_RUNNING;
	uint64_t bad;
	cr_assert_eq(hv_grant(&a->g, EXO_GRANT_REVOKE, b->g.id, 1, (uint64_t[]){ 12 }, &bad), 0);
	cr_assert_eq(db(a, (struct exo_hc_doorbell){ .op = EXO_DB_RING, .target = b->g.id }),
		     -EXO_EPERM, "no longer sharing");
}

Test(doorbell, setup_checks_vector_alignment_and_ownership)
{
	struct exo_hc_doorbell s = { .op = EXO_DB_SETUP, .vector = 0x40 };
	s.pending_gpa = PG(11) + 4;
	cr_assert_eq(db(a, s), -EXO_EINVAL, "unaligned");
	s.pending_gpa = PG(12) - 8;
	cr_assert_eq(db(a, s), -EXO_EINVAL, "across a frame boundary");
	s.pending_gpa = PG(20);
	cr_assert_eq(db(a, s), -EXO_EFAULT, "b's frame");
	s.pending_gpa = PG(11);
	s.vector = 14;
	cr_assert_eq(db(a, s), -EXO_EINVAL, "an exception vector");
	s.vector = 256;
	cr_assert_eq(db(a, s), -EXO_EINVAL);
	s.vector = 0x40;
	s.reserved = 1;
	cr_assert_eq(db(a, s), -EXO_EINVAL, "reserved");
	s.reserved = 0;
	s.op = 9;
	cr_assert_eq(db(a, s), -EXO_EINVAL, "op");
	cr_assert_eq(a->g.db_vector, 0);
}

Test(doorbell, releasing_the_pending_frame_turns_the_doorbell_off)
{
	uint64_t bad;
	cr_assert_eq(setup_db(b, 0x40), 0);
	cr_assert_eq(hv_frames_release(&b->g, 1, (uint64_t[]){ 21 }, &bad), 0);
	cr_assert_eq(db(a, (struct exo_hc_doorbell){ .op = EXO_DB_RING, .target = b->g.id }),
		     -EXO_ENOENT);
	cr_assert_eq(fp->host[PG(21) + 8], 0, "hv wrote nothing into the freed frame");
}

Test(doorbell, wait_returns_at_once_for_a_ring_already_made)
{
	cr_assert_eq(setup_db(b, 0x40), 0);
	cr_assert_eq(db(a, (struct exo_hc_doorbell){ .op = EXO_DB_RING, .target = b->g.id }), 0);
	cr_assert_eq(db(b, (struct exo_hc_doorbell){ .op = EXO_DB_WAIT, .timeout_ns = 1000 }), 1);
	cr_assert_eq(db(b, (struct exo_hc_doorbell){ .op = EXO_DB_WAIT }), 0,
		     "the ring was taken; timeout 0 polls");
	cr_assert_eq(b->deadlines, 0, "no blocking, no deadline");
}

Test(doorbell, wait_blocks_until_a_ring_wakes_it)
{
	uint64_t rax = 77;
	cr_assert_eq(setup_db(b, 0x40), 0);
	cr_assert_eq(call(b, (struct exo_hc_doorbell){ .op = EXO_DB_WAIT, .timeout_ns = 5000000 },
			  &rax), HV_NEXT_BLOCKED);
	cr_assert(b->g.blocked);
	cr_assert_eq(b->deadline_ns, 5000000);
	cr_assert_eq(db(a, (struct exo_hc_doorbell){ .op = EXO_DB_RING, .target = b->g.id }), 0);
	cr_assert_eq(b->wakes, 1);
	cr_assert_not(b->g.blocked);
	cr_assert_eq(b->g.wake_rax, 1, "WAIT returns 1");
	cr_assert_not(b->g.db_rung, "the ring is consumed by the WAIT");
	hv_guest_deadline(&b->g);
	cr_assert_eq(b->g.wake_rax, 1, "a late deadline changes nothing");
}

Test(doorbell, wait_times_out_through_the_deadline)
{
	uint64_t rax;
	cr_assert_eq(setup_db(b, 0x40), 0);
	cr_assert_eq(call(b, (struct exo_hc_doorbell){ .op = EXO_DB_WAIT, .timeout_ns = 1000 }, &rax),
		     HV_NEXT_BLOCKED);
	cr_assert_eq(b->deadline_ns, 1000);
	hv_guest_deadline(&b->g);
	cr_assert(b->g.blocked, "a deadline that comes early does nothing");
	fake_now_ns += 1000;
	hv_guest_deadline(&b->g);
	cr_assert_not(b->g.blocked);
	cr_assert_eq(b->g.wake_rax, 0);
	cr_assert_eq(b->wakes, 0);
}
