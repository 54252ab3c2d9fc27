/* SPDX-License-Identifier: MIT */
/*
 * tests/core/test_grants.c: hv/core/grants.c and the guest table
 * (guests.c), through EXO_HC_GRANT and EXO_HC_LOOKUP as a guest makes them.
 *
 * Three guests share a fake pool. Each test checks what the grantee can
 * see (the platform's bindings, read-only or read-write), what its exo
 * page says (grant bitmaps and count), and that a refused call changed
 * nothing. Revocation and release unbind from the grantee before the frame
 * changes hands; at the end hv_pool_check finds the pool clean.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fake_plat.h"

#define NFRAMES 256u
#define PG(f) ((uint64_t)(f) * EXO_PAGE_SIZE)
#define BLOCK PG(1) /* a's block, vector in frame 2 */
#define VEC PG(2)

static struct fake_pool *fp;
static struct fake_guest *a, *b, *c;

/* a owns 0..3 and 10..13, b owns 50..51, c owns 60. */
static void setup(void)
{
	uint64_t out[4], bad;
	fp = fake_pool_create(NFRAMES);
	a = fake_guest_create(fp, "a", NFRAMES);
	b = fake_guest_create(fp, "b", NFRAMES);
	c = fake_guest_create(fp, "c", NFRAMES);
	cr_assert_eq(hv_frames_alloc_any(&a->g, 4, out), 0);
	cr_assert_eq(hv_frames_alloc_named(&a->g, 4, (uint64_t[]){ 10, 11, 12, 13 }, &bad), 0);
	cr_assert_eq(hv_frames_alloc_named(&b->g, 2, (uint64_t[]){ 50, 51 }, &bad), 0);
	cr_assert_eq(hv_frames_alloc_named(&c->g, 1, (uint64_t[]){ 60 }, &bad), 0);
}

static void teardown(void)
{
	fake_guest_destroy(a);
	fake_guest_destroy(b);
	fake_guest_destroy(c);
	fake_pool_destroy(fp);
}

TestSuite(grants, .init = setup, .fini = teardown);

static void agree(void)
{
	const struct fake_guest *all[] = { a, b, c };
	for (unsigned i = 0; i < 3; i++) {
		if (!all[i]->g.id)
			continue; /* removed from the table */
		const char *d = fake_disagreement(all[i]);
		cr_assert_null(d, "guest %s: %s", all[i]->g.name, d);
	}
	cr_assert_eq(fp->locked, 0, "the pool lock is released");
}

/* a's EXO_HC_GRANT: op on the frames given, to guest `to`. */
static int64_t grant(uint32_t op, uint32_t to, unsigned n, const uint64_t *frames, uint64_t *bad)
{
	struct exo_hc_grant blk = { .vec_gpa = VEC, .count = n, .op = op, .grantee = to };
	memcpy(fp->host + VEC, frames, n * sizeof *frames);
	memcpy(fp->host + BLOCK, &blk, sizeof blk);
	int64_t rc = hv_hypercall(&a->g, EXO_HC_GRANT, BLOCK);
	memcpy(&blk, fp->host + BLOCK, sizeof blk);
	if (bad)
		*bad = blk.bad_index;
	return rc;
}

static int granted(const struct fake_guest *fg, uint64_t f, int rw)
{
	const uint8_t *bm = rw ? fg->g.grant_rw_bitmap : fg->g.grant_bitmap;
	return (bm[f / 8] >> (f % 8)) & 1;
}

Test(grants, ids_are_given_in_order_and_the_exo_page_names_the_guest)
{
	cr_assert_eq(a->g.id, 1);
	cr_assert_eq(b->g.id, 2);
	cr_assert_eq(c->g.id, 3);
	cr_assert_str_eq(b->g.name, "b");
	cr_assert_eq(fp->pool.nguests, 3);
}

Test(grants, read_only_grant_binds_read_only_and_shows_in_the_exo_page)
{
	cr_assert_eq(grant(EXO_GRANT_RO, b->g.id, 2, (uint64_t[]){ 10, 12 }, NULL), 2);
	cr_assert_eq(b->bound[10], FAKE_RO);
	cr_assert_eq(b->bound[12], FAKE_RO);
	cr_assert_eq(b->bound[11], 0, "only the frames granted");
	cr_assert(granted(b, 10, 0) && !granted(b, 10, 1));
	cr_assert_eq(b->g.exo->frames_granted, 2);
	cr_assert_eq(c->g.granted, 0, "nothing for anyone else");
	cr_assert_eq(a->bound[10], FAKE_RW, "the owner keeps its own binding");
	cr_assert_eq(a->g.shares[b->g.id], 2);
	cr_assert_eq(b->g.shares[a->g.id], 2);
	agree();
}

Test(grants, granting_again_changes_the_access)
{
	cr_assert_eq(grant(EXO_GRANT_RO, b->g.id, 1, (uint64_t[]){ 10 }, NULL), 1);
	cr_assert_eq(grant(EXO_GRANT_RW, b->g.id, 1, (uint64_t[]){ 10 }, NULL), 1);
	cr_assert_eq(b->bound[10], FAKE_RW);
	cr_assert(granted(b, 10, 1));
	cr_assert_eq(b->g.granted, 1, "one grant, not two");
	cr_assert_eq(fp->pool.grants_used, 1);
	cr_assert_eq(grant(EXO_GRANT_RO, b->g.id, 1, (uint64_t[]){ 10 }, NULL), 1);
	cr_assert_eq(b->bound[10], FAKE_RO, "and back to read-only");
	agree();
}

Test(grants, one_frame_to_two_guests_and_revocation_from_one)
{
	cr_assert_eq(grant(EXO_GRANT_RW, b->g.id, 1, (uint64_t[]){ 11 }, NULL), 1);
	cr_assert_eq(grant(EXO_GRANT_RO, c->g.id, 1, (uint64_t[]){ 11 }, NULL), 1);
	cr_assert_eq(grant(EXO_GRANT_REVOKE, b->g.id, 1, (uint64_t[]){ 11 }, NULL), 1);
	cr_assert_eq(b->bound[11], 0, "revoked: unbound from b");
	cr_assert_eq(c->bound[11], FAKE_RO, "c keeps its grant");
	cr_assert_eq(b->g.granted, 0);
	cr_assert_eq(a->g.shares[b->g.id], 0);
	cr_assert_eq(a->g.shares[c->g.id], 1);
	agree();
}

Test(grants, bad_grants_are_refused_and_change_nothing)
{
	uint64_t bad;
	cr_assert_eq(grant(EXO_GRANT_RO, b->g.id, 3, (uint64_t[]){ 10, 50, 11 }, &bad), -EXO_EPERM,
		     "b's frame");
	cr_assert_eq(bad, 1);
	cr_assert_eq(grant(EXO_GRANT_RO, b->g.id, 2, (uint64_t[]){ 10, NFRAMES }, &bad), -EXO_ERANGE);
	cr_assert_eq(bad, 1);
	cr_assert_eq(grant(EXO_GRANT_RO, b->g.id, 2, (uint64_t[]){ 12, 12 }, &bad), -EXO_EPERM,
		     "named twice");
	cr_assert_eq(bad, 1);
	cr_assert_eq(grant(EXO_GRANT_RO, b->g.id, 1, (uint64_t[]){ 100 }, &bad), -EXO_EPERM, "free");
	cr_assert_eq(grant(EXO_GRANT_RO, a->g.id, 1, (uint64_t[]){ 10 }, NULL), -EXO_EINVAL, "itself");
	cr_assert_eq(grant(EXO_GRANT_RO, 99, 1, (uint64_t[]){ 10 }, NULL), -EXO_ENOENT, "nobody");
	cr_assert_eq(grant(EXO_GRANT_RO, 0, 1, (uint64_t[]){ 10 }, NULL), -EXO_ENOENT, "id 0");
	cr_assert_eq(grant(EXO_GRANT_RO, EXO_GUESTS_MAX + 5, 1, (uint64_t[]){ 10 }, NULL), -EXO_ENOENT);
	cr_assert_eq(grant(7, b->g.id, 1, (uint64_t[]){ 10 }, NULL), -EXO_EINVAL, "op");
	cr_assert_eq(grant(EXO_GRANT_REVOKE, b->g.id, 1, (uint64_t[]){ 10 }, &bad), -EXO_EPERM,
		     "revoking a grant never made");
	cr_assert_eq(bad, 0);
	static uint64_t many[EXO_FRAMES_MAX + 1];
	cr_assert_eq(grant(EXO_GRANT_RO, b->g.id, EXO_FRAMES_MAX + 1, many, NULL), -EXO_E2BIG);
	struct exo_hc_grant blk = { .vec_gpa = PG(50), .count = 1, .grantee = b->g.id };
	memcpy(fp->host + BLOCK, &blk, sizeof blk);
	cr_assert_eq(hv_hypercall(&a->g, EXO_HC_GRANT, BLOCK), -EXO_EFAULT, "a vector in b's frame");
	blk = (struct exo_hc_grant){ .vec_gpa = VEC, .count = 1, .grantee = b->g.id, .reserved = 1 };
	memcpy(fp->host + BLOCK, &blk, sizeof blk);
	cr_assert_eq(hv_hypercall(&a->g, EXO_HC_GRANT, BLOCK), -EXO_EINVAL, "reserved");
	cr_assert_eq(hv_hypercall(&a->g, EXO_HC_GRANT, PG(50)), -EXO_EFAULT, "a block in b's frame");
	cr_assert_eq(fp->pool.grants_used, 0);
	cr_assert_eq(b->bind_calls, 1, "b's own allocation only");
	agree();
}

Test(grants, a_full_grant_table_refuses_the_whole_call)
{
	uint64_t frames[FAKE_GRANTS_MAX], out[FAKE_GRANTS_MAX], bad;
	cr_assert_eq(hv_frames_alloc_any(&a->g, FAKE_GRANTS_MAX, out), 0);
	memcpy(frames, out, sizeof frames);
	cr_assert_eq(grant(EXO_GRANT_RO, b->g.id, FAKE_GRANTS_MAX - 1, frames, NULL),
		     FAKE_GRANTS_MAX - 1);
	cr_assert_eq(grant(EXO_GRANT_RO, c->g.id, 2, frames, &bad), -EXO_ENOMEM);
	cr_assert_eq(bad, 2);
	cr_assert_eq(c->g.granted, 0);
	cr_assert_eq(c->bound[frames[0]], 0, "nothing bound by the refused call");
	cr_assert_eq(grant(EXO_GRANT_RW, b->g.id, 2, frames, NULL), 2,
		     "changing the access of existing grants needs no entry");
	agree();
}

Test(grants, a_failed_bind_leaves_the_old_grants_as_they_were)
{
	cr_assert_eq(grant(EXO_GRANT_RO, b->g.id, 1, (uint64_t[]){ 10 }, NULL), 1);
	b->fail_bind_in = 2; /* the run {13} fails after the run 10..11 is bound */
	cr_assert_eq(grant(EXO_GRANT_RW, b->g.id, 3, (uint64_t[]){ 10, 11, 13 }, NULL),
		     -EXO_ENOMEM);
	cr_assert_eq(b->bound[10], FAKE_RO, "the old grant rebound as it was");
	cr_assert_eq(b->bound[11], 0);
	cr_assert_eq(b->bound[12], 0);
	cr_assert_eq(b->g.granted, 1);
	agree();
}

Test(grants, release_revokes_every_grant_first_then_scrubs)
{
	uint64_t bad;
	memset(fp->host + PG(12), 0x5a, EXO_PAGE_SIZE);
	cr_assert_eq(grant(EXO_GRANT_RW, b->g.id, 2, (uint64_t[]){ 12, 13 }, NULL), 2);
	cr_assert_eq(grant(EXO_GRANT_RO, c->g.id, 1, (uint64_t[]){ 12 }, NULL), 1);
	cr_assert_eq(hv_frames_release(&a->g, 1, (uint64_t[]){ 12 }, &bad), 0);
	cr_assert_eq(b->bound[12], 0);
	cr_assert_eq(c->bound[12], 0);
	cr_assert_eq(b->bound[13], FAKE_RW, "the other frame's grant stays");
	cr_assert_eq(fp->pool.grant_head[12], 0);
	cr_assert_eq(fp->host[PG(12)], 0, "scrubbed before it is free");
	cr_assert_eq(fp->pool.owner[12], HV_FRAME_FREE);
	agree();
}

Test(grants, a_removed_guest_leaves_no_grant_and_no_frame)
{
	cr_assert_eq(grant(EXO_GRANT_RW, b->g.id, 2, (uint64_t[]){ 10, 11 }, NULL), 2);
	cr_assert_eq(grant(EXO_GRANT_RO, c->g.id, 1, (uint64_t[]){ 10 }, NULL), 1);
	a->g.end = HV_END_FAULT;
	hv_guest_remove(&a->g);
	cr_assert_eq(b->bound[10], 0);
	cr_assert_eq(c->bound[10], 0);
	cr_assert_eq(b->g.granted, 0);
	cr_assert_eq(b->g.shares[1], 0);
	cr_assert_eq(fp->pool.grants_used, 0);
	cr_assert_eq(fp->pool.guest[1], NULL);
	cr_assert_eq(b->bound[50], FAKE_RW, "b's own frames stay");
	hv_guest_remove(&b->g);
	hv_guest_remove(&c->g);
	cr_assert_null(hv_pool_check(&fp->pool));
	/* The id is free again, for a guest of any name. */
	struct fake_guest *d = fake_guest_create(fp, "a", NFRAMES);
	cr_assert_eq(d->g.id, 1);
	hv_guest_remove(&d->g);
	fake_guest_destroy(d);
}

Test(grants, grants_to_a_removed_guest_go_with_it)
{
	cr_assert_eq(grant(EXO_GRANT_RW, b->g.id, 2, (uint64_t[]){ 10, 11 }, NULL), 2);
	b->g.end = HV_END_EXIT;
	hv_guest_remove(&b->g);
	cr_assert_eq(a->g.shares[2], 0);
	cr_assert_eq(fp->pool.grant_head[10], 0);
	cr_assert_eq(grant(EXO_GRANT_RW, 2, 1, (uint64_t[]){ 10 }, NULL), -EXO_ENOENT,
		     "a guest that left cannot be granted to");
	agree();
}

Test(grants, pool_check_names_what_is_left)
{
	cr_assert_not_null(hv_pool_check(&fp->pool), "guests are still in the table");
	hv_guest_remove(&a->g);
	hv_guest_remove(&b->g);
	hv_guest_remove(&c->g);
	cr_assert_null(hv_pool_check(&fp->pool));
	fp->pool.owner[7] = 3;
	fp->pool.nfree--;
	cr_assert_not_null(hv_pool_check(&fp->pool), "a frame still owned");
	fp->pool.owner[7] = 0;
	fp->pool.nfree++;
}

/* a's EXO_HC_LOOKUP of name. */
static int64_t lookup(const char *name, uint32_t len, uint32_t *id)
{
	struct exo_hc_lookup blk = { .name_gpa = VEC, .len = len };
	memcpy(fp->host + VEC, name, strlen(name));
	memcpy(fp->host + BLOCK, &blk, sizeof blk);
	int64_t rc = hv_hypercall(&a->g, EXO_HC_LOOKUP, BLOCK);
	memcpy(&blk, fp->host + BLOCK, sizeof blk);
	*id = blk.id;
	return rc;
}

Test(grants, lookup_finds_running_guests_by_exact_name)
{
	uint32_t id;
	cr_assert_eq(lookup("c", 1, &id), 0);
	cr_assert_eq(id, c->g.id);
	cr_assert_eq(lookup("cc", 2, &id), -EXO_ENOENT, "no prefix matches");
	cr_assert_eq(lookup("nobody", 6, &id), -EXO_ENOENT);
	cr_assert_eq(lookup("x", 0, &id), -EXO_EINVAL);
	cr_assert_eq(lookup("x", EXO_NAME_MAX + 1, &id), -EXO_E2BIG);
	c->g.end = HV_END_EXIT;
	cr_assert_eq(lookup("c", 1, &id), -EXO_ENOENT, "an ended guest cannot be found");
}

Test(grants, names_must_be_valid_and_unique)
{
	struct hv_guest g = { 0 };
	uint8_t *area = calloc(1, hv_exo_area_bytes(NFRAMES));
	cr_assert_eq(hv_guest_add(&g, &fp->pool, "b", 10, area, 0), -EXO_EBUSY);
	cr_assert_eq(hv_guest_add(&g, &fp->pool, "", 10, area, 0), -EXO_EINVAL);
	cr_assert_eq(hv_guest_add(&g, &fp->pool, "a b", 10, area, 0), -EXO_EINVAL);
	cr_assert_eq(hv_guest_add(&g, &fp->pool, "a/b", 10, area, 0), -EXO_EINVAL);
	cr_assert_eq(hv_guest_add(&g, &fp->pool, "a\033", 10, area, 0), -EXO_EINVAL);
	cr_assert_eq(hv_guest_add(&g, &fp->pool, "0123456789abcdef0123456789abcdefX", 10, area, 0),
		     -EXO_EINVAL, "longer than EXO_NAME_MAX");
	cr_assert_eq(hv_guest_add(&g, &fp->pool, "0123456789abcdef0123456789abcdef", 10, area, 0), 0);
	cr_assert_eq(g.id, 4);
	hv_guest_remove(&g);
	free(area);
}

Test(grants, the_guest_table_fills_up)
{
	static struct hv_guest g[EXO_GUESTS_MAX];
	uint8_t *area = calloc(1, hv_exo_area_bytes(NFRAMES));
	char name[16];
	unsigned n;
	for (n = 0; n < EXO_GUESTS_MAX; n++) {
		snprintf(name, sizeof name, "g%u", n);
		if (hv_guest_add(&g[n], &fp->pool, name, 1, area, 0) < 0)
			break;
	}
	cr_assert_eq(n, EXO_GUESTS_MAX - 4, "ids 1..%u, three taken", EXO_GUESTS_MAX - 1);
	cr_assert_eq(hv_guest_add(&g[n], &fp->pool, "more", 1, area, 0), -EXO_ENOMEM);
	for (unsigned i = 0; i < n; i++)
		hv_guest_remove(&g[i]);
	free(area);
}
