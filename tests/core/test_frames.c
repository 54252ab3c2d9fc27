/* SPDX-License-Identifier: MIT */
/*
 * tests/core/test_frames.c: hv/core/frames.c, the ownership table.
 *
 * Allocation of any frames (lowest free first, all or nothing), contiguous
 * and named allocation, release, hv_guest_release_all; refusals (double
 * release, foreign frames, out-of-range numbers, pool and cap exhaustion,
 * a failing platform bind) leave nothing changed; and after every change
 * the owner table, the guest's count, its exo page (frames_owned and the
 * ownership bitmap) and the platform's bindings agree.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "fake_plat.h"

#define NFRAMES 64u

static struct fake_pool *fp;
static struct fake_guest *a, *b;

static void setup(void)
{
	fp = fake_pool_create(NFRAMES);
	a = fake_guest_create(fp, "a", NFRAMES);
	b = fake_guest_create(fp, "b", NFRAMES);
}

static void teardown(void)
{
	fake_guest_destroy(a);
	fake_guest_destroy(b);
	fake_pool_destroy(fp);
}

TestSuite(frames, .init = setup, .fini = teardown);

static void assert_agree(const struct fake_guest *fg)
{
	const char *d = fake_disagreement(fg);
	cr_assert_null(d, "guest %u: %s", fg->g.id, d);
}

static void assert_owner(uint64_t f, uint32_t id)
{
	cr_assert_eq(hv_frame_owner(&fp->pool, f), id, "frame %llu: owner %u, expected %u",
		     (unsigned long long)f, hv_frame_owner(&fp->pool, f), id);
}

/* Give g exactly the frames named, or fail the test. */
static void give(struct fake_guest *fg, uint64_t n, const uint64_t *want)
{
	uint64_t bad = 12345;
	cr_assert_eq(hv_frames_alloc_named(&fg->g, n, want, &bad), 0);
}

static uint64_t free_in_table(void)
{
	uint64_t n = 0;
	for (uint64_t f = 0; f < NFRAMES; f++)
		n += fp->owner[f] == HV_FRAME_FREE;
	return n;
}

/* --- any --- */

Test(frames, alloc_any_gives_the_lowest_free_frames)
{
	uint64_t out[4];
	cr_assert_eq(hv_frames_alloc_any(&a->g, 4, out), 0);
	for (uint64_t i = 0; i < 4; i++) {
		cr_assert_eq(out[i], i);
		assert_owner(i, 1);
		cr_assert_eq(fake_bitmap_bit(a, i), 1);
	}
	assert_owner(4, HV_FRAME_FREE);
	cr_assert_eq(a->g.owned, 4);
	cr_assert_eq(a->g.exo->frames_owned, 4);
	cr_assert_eq(fp->pool.nfree, NFRAMES - 4);
	cr_assert_eq(a->bind_calls, 1, "one contiguous run, one bind");
	cr_assert_eq(a->bind_first, 0);
	cr_assert_eq(a->bind_n, 4);
	assert_agree(a);
}

Test(frames, alloc_any_skips_frames_owned_by_another_guest)
{
	give(b, 2, (uint64_t[]){ 1, 3 });
	uint64_t out[3];
	cr_assert_eq(hv_frames_alloc_any(&a->g, 3, out), 0);
	cr_assert_eq(out[0], 0);
	cr_assert_eq(out[1], 2);
	cr_assert_eq(out[2], 4);
	assert_owner(1, 2);
	assert_owner(3, 2);
	cr_assert_eq(a->bind_calls, 3, "three separate runs, three binds");
	cr_assert_eq(b->g.owned, 2);
	assert_agree(a);
	assert_agree(b);
}

Test(frames, alloc_any_reuses_the_lowest_released_frame_first)
{
	uint64_t out[8], f;
	cr_assert_eq(hv_frames_alloc_any(&a->g, 8, out), 0);
	cr_assert_eq(hv_frames_release(&a->g, 2, (uint64_t[]){ 5, 2 }, &f), 0);
	cr_assert_eq(hv_frames_alloc_any(&a->g, 1, &f), 0);
	cr_assert_eq(f, 2, "lowest free frame is 2, got %llu", (unsigned long long)f);
	cr_assert_eq(hv_frames_alloc_any(&a->g, 1, &f), 0);
	cr_assert_eq(f, 5, "lowest free frame is 5, got %llu", (unsigned long long)f);
	cr_assert_eq(hv_frames_alloc_any(&a->g, 1, &f), 0);
	cr_assert_eq(f, 8);
	assert_agree(a);
}

Test(frames, alloc_any_after_release_all_starts_from_frame_zero)
{
	uint64_t out[NFRAMES];
	cr_assert_eq(hv_frames_alloc_any(&a->g, NFRAMES, out), 0);
	hv_guest_release_all(&a->g);
	cr_assert_eq(hv_frames_alloc_any(&b->g, 2, out), 0);
	cr_assert_eq(out[0], 0);
	cr_assert_eq(out[1], 1);
	assert_agree(a);
	assert_agree(b);
}

Test(frames, alloc_any_of_zero_frames_changes_nothing)
{
	uint64_t out[1] = { 99 };
	cr_assert_eq(hv_frames_alloc_any(&a->g, 0, out), 0);
	cr_assert_eq(out[0], 99);
	cr_assert_eq(a->g.owned, 0);
	cr_assert_eq(fp->pool.nfree, NFRAMES);
	cr_assert_eq(a->bind_calls, 0);
	assert_agree(a);
}

Test(frames, alloc_any_over_the_cap_takes_nothing)
{
	uint64_t out[NFRAMES];
	a->g.cap_frames = 5;
	cr_assert_eq(hv_frames_alloc_any(&a->g, 6, out), -EXO_ENOMEM);
	cr_assert_eq(a->g.owned, 0);
	cr_assert_eq(a->bind_calls, 0);
	cr_assert_eq(fp->pool.nfree, NFRAMES);
	cr_assert_eq(hv_frames_alloc_any(&a->g, 3, out), 0);
	cr_assert_eq(hv_frames_alloc_any(&a->g, 3, out), -EXO_ENOMEM, "3 + 3 > cap 5");
	cr_assert_eq(a->g.owned, 3);
	cr_assert_eq(hv_frames_alloc_any(&a->g, 2, out), 0, "exactly the cap");
	cr_assert_eq(a->g.owned, 5);
	cr_assert_eq(hv_frames_alloc_any(&a->g, 1, out), -EXO_ENOMEM);
	cr_assert_eq(a->g.owned, 5);
	cr_assert_eq(fp->pool.nfree, NFRAMES - 5);
	assert_agree(a);
}

Test(frames, alloc_any_when_the_pool_is_exhausted_takes_nothing)
{
	uint64_t out[NFRAMES];
	cr_assert_eq(hv_frames_alloc_any(&b->g, NFRAMES - 4, out), 0);
	cr_assert_eq(hv_frames_alloc_any(&a->g, 5, out), -EXO_ENOMEM);
	cr_assert_eq(a->g.owned, 0);
	cr_assert_eq(a->bind_calls, 0);
	cr_assert_eq(fp->pool.nfree, 4);
	cr_assert_eq(hv_frames_alloc_any(&a->g, 4, out), 0);
	for (uint64_t i = 0; i < 4; i++)
		cr_assert_eq(out[i], NFRAMES - 4 + i);
	cr_assert_eq(fp->pool.nfree, 0);
	cr_assert_eq(hv_frames_alloc_any(&a->g, 1, out), -EXO_ENOMEM);
	cr_assert_eq(hv_frames_alloc_any(&b->g, 1, out), -EXO_ENOMEM);
	assert_agree(a);
	assert_agree(b);
}

Test(frames, alloc_any_bind_failure_takes_nothing)
{
	uint64_t out[4];
	a->fail_bind_in = 1;
	cr_assert_eq(hv_frames_alloc_any(&a->g, 4, out), -EXO_ENOMEM);
	cr_assert_eq(a->failed_binds, 1);
	cr_assert_eq(a->g.owned, 0);
	cr_assert_eq(a->g.exo->frames_owned, 0);
	cr_assert_eq(fp->pool.nfree, NFRAMES);
	cr_assert_eq(free_in_table(), NFRAMES);
	assert_agree(a);
	/* The platform recovers: the same request now succeeds from frame 0. */
	cr_assert_eq(hv_frames_alloc_any(&a->g, 4, out), 0);
	cr_assert_eq(out[0], 0);
	assert_agree(a);
}

Test(frames, alloc_any_bind_failure_in_a_later_run_unbinds_the_earlier_runs)
{
	uint64_t out[4];
	give(b, 1, (uint64_t[]){ 2 });
	a->fail_bind_in = 2; /* runs 0..1 and 3..4: the second bind fails */
	cr_assert_eq(hv_frames_alloc_any(&a->g, 4, out), -EXO_ENOMEM);
	cr_assert_eq(a->bind_calls, 2);
	cr_assert_eq(a->unbind_calls, 1);
	cr_assert_eq(a->unbind_first, 0);
	cr_assert_eq(a->unbind_n, 2);
	for (uint64_t f = 0; f < NFRAMES; f++)
		cr_assert_eq(a->bound[f], 0, "frame %llu still bound", (unsigned long long)f);
	cr_assert_eq(a->g.owned, 0);
	cr_assert_eq(fp->pool.nfree, NFRAMES - 1);
	assert_agree(a);
	assert_agree(b);
}

Test(frames, released_frames_read_zero_when_handed_out_again)
{
	uint64_t f, bad;
	cr_assert_eq(hv_frames_alloc_any(&a->g, 1, &f), 0);
	memset(fp->host + f * EXO_PAGE_SIZE, 0xaa, EXO_PAGE_SIZE);
	cr_assert_eq(hv_frames_release(&a->g, 1, &f, &bad), 0);
	give(b, 1, &f);
	for (uint64_t i = 0; i < EXO_PAGE_SIZE; i++)
		cr_assert_eq(fp->host[f * EXO_PAGE_SIZE + i], 0, "byte %llu", (unsigned long long)i);
}

/* --- contiguous --- */

Test(frames, alloc_contig_finds_the_first_run_long_enough)
{
	uint64_t first = 999;
	give(b, 2, (uint64_t[]){ 2, 5 });
	cr_assert_eq(hv_frames_alloc_contig(&a->g, 3, &first), 0);
	cr_assert_eq(first, 6);
	for (uint64_t f = 6; f < 9; f++)
		assert_owner(f, 1);
	assert_owner(0, HV_FRAME_FREE);
	assert_owner(3, HV_FRAME_FREE);
	cr_assert_eq(a->bind_calls, 1);
	cr_assert_eq(a->bind_first, 6);
	cr_assert_eq(a->bind_n, 3);
	cr_assert_eq(a->g.owned, 3);
	cr_assert_eq(a->g.exo->frames_owned, 3);
	assert_agree(a);
	assert_agree(b);
}

Test(frames, alloc_contig_can_take_the_whole_pool)
{
	uint64_t first = 999;
	cr_assert_eq(hv_frames_alloc_contig(&a->g, NFRAMES, &first), 0);
	cr_assert_eq(first, 0);
	cr_assert_eq(fp->pool.nfree, 0);
	cr_assert_eq(a->g.owned, NFRAMES);
	assert_agree(a);
}

Test(frames, alloc_contig_of_zero_frames_is_refused)
{
	uint64_t first = 999;
	cr_assert_eq(hv_frames_alloc_contig(&a->g, 0, &first), -EXO_ENOMEM);
	cr_assert_eq(first, 999);
	cr_assert_eq(a->bind_calls, 0);
}

Test(frames, alloc_contig_without_a_long_enough_run_takes_nothing)
{
	uint64_t first = 999;
	for (uint64_t f = 0; f < NFRAMES; f += 2)
		give(b, 1, &f);
	cr_assert_eq(fp->pool.nfree, NFRAMES / 2);
	cr_assert_eq(hv_frames_alloc_contig(&a->g, 2, &first), -EXO_ENOMEM);
	cr_assert_eq(first, 999);
	cr_assert_eq(a->g.owned, 0);
	cr_assert_eq(a->bind_calls, 0);
	cr_assert_eq(fp->pool.nfree, NFRAMES / 2);
	cr_assert_eq(hv_frames_alloc_contig(&a->g, 1, &first), 0);
	cr_assert_eq(first, 1);
	assert_agree(a);
	assert_agree(b);
}

Test(frames, alloc_contig_over_the_cap_takes_nothing)
{
	uint64_t first = 999;
	a->g.cap_frames = 3;
	cr_assert_eq(hv_frames_alloc_contig(&a->g, 4, &first), -EXO_ENOMEM);
	cr_assert_eq(a->g.owned, 0);
	cr_assert_eq(a->bind_calls, 0);
	cr_assert_eq(hv_frames_alloc_contig(&a->g, 3, &first), 0);
	cr_assert_eq(a->g.owned, 3);
	assert_agree(a);
}

Test(frames, alloc_contig_bind_failure_takes_nothing)
{
	uint64_t first = 999;
	a->fail_bind_in = 1;
	cr_assert_eq(hv_frames_alloc_contig(&a->g, 4, &first), -EXO_ENOMEM);
	cr_assert_eq(a->failed_binds, 1);
	cr_assert_eq(a->g.owned, 0);
	cr_assert_eq(fp->pool.nfree, NFRAMES);
	cr_assert_eq(free_in_table(), NFRAMES);
	assert_agree(a);
}

/* --- named --- */

Test(frames, alloc_named_gives_exactly_the_frames_named)
{
	uint64_t bad = 12345;
	uint64_t want[3] = { 40, 7, 3 };
	cr_assert_eq(hv_frames_alloc_named(&a->g, 3, want, &bad), 0);
	for (uint64_t f = 0; f < NFRAMES; f++)
		assert_owner(f, f == 3 || f == 7 || f == 40 ? 1 : HV_FRAME_FREE);
	cr_assert_eq(a->g.owned, 3);
	cr_assert_eq(a->g.exo->frames_owned, 3);
	cr_assert_eq(fp->pool.nfree, NFRAMES - 3);
	cr_assert_eq(a->bind_calls, 3);
	assert_agree(a);
}

Test(frames, alloc_named_binds_each_ascending_run_once)
{
	uint64_t bad;
	cr_assert_eq(hv_frames_alloc_named(&a->g, 4, (uint64_t[]){ 10, 11, 12, 20 }, &bad), 0);
	cr_assert_eq(a->bind_calls, 2);
	cr_assert_eq(a->frames_bound, 4);
	cr_assert_eq(a->bind_first, 20);
	cr_assert_eq(a->bind_n, 1);
	assert_agree(a);
}

Test(frames, alloc_named_of_a_frame_owned_by_another_guest_is_busy)
{
	uint64_t bad = 12345;
	give(b, 1, (uint64_t[]){ 5 });
	cr_assert_eq(hv_frames_alloc_named(&a->g, 2, (uint64_t[]){ 1, 5 }, &bad), -EXO_EBUSY);
	cr_assert_eq(bad, 1);
	assert_owner(1, HV_FRAME_FREE);
	assert_owner(5, 2);
	cr_assert_eq(a->g.owned, 0);
	cr_assert_eq(a->bind_calls, 0);
	assert_agree(a);
	assert_agree(b);
}

Test(frames, alloc_named_of_a_frame_it_already_owns_is_busy)
{
	uint64_t bad = 12345;
	give(a, 1, (uint64_t[]){ 5 });
	cr_assert_eq(hv_frames_alloc_named(&a->g, 1, (uint64_t[]){ 5 }, &bad), -EXO_EBUSY);
	cr_assert_eq(bad, 0);
	assert_owner(5, 1);
	cr_assert_eq(a->g.owned, 1);
	assert_agree(a);
}

Test(frames, alloc_named_of_a_frame_named_twice_is_refused_whole)
{
	uint64_t bad = 12345;
	cr_assert_eq(hv_frames_alloc_named(&a->g, 3, (uint64_t[]){ 4, 9, 4 }, &bad), -EXO_EINVAL);
	cr_assert_eq(bad, 2);
	assert_owner(4, HV_FRAME_FREE);
	assert_owner(9, HV_FRAME_FREE);
	cr_assert_eq(free_in_table(), NFRAMES, "the duplicate check must restore the table");
	cr_assert_eq(a->g.owned, 0);
	cr_assert_eq(a->bind_calls, 0);
	assert_agree(a);
}

Test(frames, alloc_named_out_of_range_is_refused)
{
	uint64_t bad = 12345;
	cr_assert_eq(hv_frames_alloc_named(&a->g, 2, (uint64_t[]){ 1, NFRAMES }, &bad), -EXO_ERANGE);
	cr_assert_eq(bad, 1);
	assert_owner(1, HV_FRAME_FREE);
	cr_assert_eq(hv_frames_alloc_named(&a->g, 1, (uint64_t[]){ UINT64_MAX }, &bad), -EXO_ERANGE);
	cr_assert_eq(bad, 0);
	cr_assert_eq(hv_frames_alloc_named(&a->g, 1, (uint64_t[]){ NFRAMES - 1 }, &bad), 0,
		     "the last frame is in range");
	cr_assert_eq(a->g.owned, 1);
	assert_agree(a);
}

Test(frames, alloc_named_over_the_cap_takes_nothing)
{
	uint64_t bad = 12345;
	a->g.cap_frames = 2;
	cr_assert_eq(hv_frames_alloc_named(&a->g, 3, (uint64_t[]){ 0, 1, 2 }, &bad), -EXO_ENOMEM);
	cr_assert_eq(bad, 3, "no one entry is to blame: bad is the count");
	cr_assert_eq(free_in_table(), NFRAMES);
	cr_assert_eq(a->g.owned, 0);
	cr_assert_eq(a->bind_calls, 0);
	assert_agree(a);
}

Test(frames, alloc_named_when_the_pool_is_exhausted_is_busy)
{
	uint64_t out[NFRAMES], bad = 12345;
	cr_assert_eq(hv_frames_alloc_any(&b->g, NFRAMES, out), 0);
	cr_assert_eq(hv_frames_alloc_named(&a->g, 1, (uint64_t[]){ 17 }, &bad), -EXO_EBUSY);
	cr_assert_eq(bad, 0);
	cr_assert_eq(a->g.owned, 0);
	assert_agree(a);
	assert_agree(b);
}

Test(frames, alloc_named_bind_failure_rolls_back)
{
	uint64_t bad;
	a->fail_bind_in = 2;
	cr_assert_eq(hv_frames_alloc_named(&a->g, 2, (uint64_t[]){ 1, 5 }, &bad), -EXO_ENOMEM);
	cr_assert_eq(a->unbind_calls, 1);
	cr_assert_eq(a->unbind_first, 1);
	cr_assert_eq(a->bound[1], 0);
	cr_assert_eq(a->bound[5], 0);
	cr_assert_eq(free_in_table(), NFRAMES);
	cr_assert_eq(a->g.owned, 0);
	assert_agree(a);
}

/* --- release --- */

Test(frames, release_returns_frames_to_the_pool)
{
	uint64_t out[4], bad = 12345;
	cr_assert_eq(hv_frames_alloc_any(&a->g, 4, out), 0);
	cr_assert_eq(hv_frames_release(&a->g, 2, (uint64_t[]){ 1, 2 }, &bad), 0);
	assert_owner(0, 1);
	assert_owner(1, HV_FRAME_FREE);
	assert_owner(2, HV_FRAME_FREE);
	assert_owner(3, 1);
	cr_assert_eq(fake_bitmap_bit(a, 1), 0);
	cr_assert_eq(fake_bitmap_bit(a, 3), 1);
	cr_assert_eq(a->g.owned, 2);
	cr_assert_eq(a->g.exo->frames_owned, 2);
	cr_assert_eq(fp->pool.nfree, NFRAMES - 2);
	cr_assert_eq(a->unbind_calls, 1, "one run, one unbind");
	cr_assert_eq(a->unbind_first, 1);
	cr_assert_eq(a->unbind_n, 2);
	assert_agree(a);
}

Test(frames, release_of_a_frame_named_twice_is_refused_whole)
{
	uint64_t out[4], bad = 12345;
	cr_assert_eq(hv_frames_alloc_any(&a->g, 4, out), 0);
	cr_assert_eq(hv_frames_release(&a->g, 3, (uint64_t[]){ 1, 2, 1 }, &bad), -EXO_EPERM);
	cr_assert_eq(bad, 2);
	for (uint64_t f = 0; f < 4; f++)
		assert_owner(f, 1);
	cr_assert_eq(a->g.owned, 4);
	cr_assert_eq(a->unbind_calls, 0);
	assert_agree(a);
}

Test(frames, release_twice_in_two_calls_is_refused_the_second_time)
{
	uint64_t out[4], bad = 12345;
	cr_assert_eq(hv_frames_alloc_any(&a->g, 4, out), 0);
	cr_assert_eq(hv_frames_release(&a->g, 1, (uint64_t[]){ 1 }, &bad), 0);
	cr_assert_eq(hv_frames_release(&a->g, 1, (uint64_t[]){ 1 }, &bad), -EXO_EPERM);
	cr_assert_eq(bad, 0);
	cr_assert_eq(a->g.owned, 3);
	cr_assert_eq(fp->pool.nfree, NFRAMES - 3);
	cr_assert_eq(a->unbind_calls, 1);
	assert_agree(a);
}

Test(frames, release_of_foreign_frame_is_refused)
{
	uint64_t out[4], bad = 12345;
	give(b, 1, (uint64_t[]){ 10 });
	cr_assert_eq(hv_frames_alloc_any(&a->g, 4, out), 0);
	cr_assert_eq(hv_frames_release(&a->g, 2, (uint64_t[]){ 0, 10 }, &bad), -EXO_EPERM);
	cr_assert_eq(bad, 1);
	assert_owner(0, 1);
	assert_owner(10, 2);
	cr_assert_eq(b->bound[10], 1);
	cr_assert_eq(b->unbind_calls, 0);
	cr_assert_eq(a->unbind_calls, 0);
	cr_assert_eq(a->g.owned, 4);
	cr_assert_eq(b->g.owned, 1);
	assert_agree(a);
	assert_agree(b);
}

Test(frames, release_of_a_free_frame_is_refused)
{
	uint64_t bad = 12345;
	cr_assert_eq(hv_frames_release(&a->g, 1, (uint64_t[]){ 20 }, &bad), -EXO_EPERM);
	cr_assert_eq(bad, 0);
	cr_assert_eq(fp->pool.nfree, NFRAMES);
	cr_assert_eq(a->unbind_calls, 0);
	assert_agree(a);
}

Test(frames, release_out_of_range_is_refused)
{
	uint64_t out[1], bad = 12345;
	cr_assert_eq(hv_frames_alloc_any(&a->g, 1, out), 0);
	cr_assert_eq(hv_frames_release(&a->g, 2, (uint64_t[]){ 0, NFRAMES }, &bad), -EXO_ERANGE);
	cr_assert_eq(bad, 1);
	cr_assert_eq(hv_frames_release(&a->g, 1, (uint64_t[]){ UINT64_MAX }, &bad), -EXO_ERANGE);
	cr_assert_eq(bad, 0);
	assert_owner(0, 1);
	cr_assert_eq(a->g.owned, 1);
	cr_assert_eq(a->unbind_calls, 0);
	assert_agree(a);
}

Test(frames, release_of_zero_frames_changes_nothing)
{
	uint64_t out[2], bad = 12345;
	cr_assert_eq(hv_frames_alloc_any(&a->g, 2, out), 0);
	cr_assert_eq(hv_frames_release(&a->g, 0, out, &bad), 0);
	cr_assert_eq(a->g.owned, 2);
	cr_assert_eq(a->unbind_calls, 0);
	assert_agree(a);
}

/* --- release all --- */

Test(frames, release_all_takes_back_every_frame_and_only_those)
{
	uint64_t out[NFRAMES];
	give(a, 5, (uint64_t[]){ 0, 1, 2, 7, 30 });
	give(b, 3, (uint64_t[]){ 3, 8, 31 });
	memset(fp->host, 0x5a, 3 * EXO_PAGE_SIZE);
	hv_guest_release_all(&a->g);
	cr_assert_eq(a->g.owned, 0);
	cr_assert_eq(a->g.exo->frames_owned, 0);
	cr_assert_eq(a->unbind_calls, 3, "runs 0..2, 7, 30");
	cr_assert_eq(a->frames_unbound, 5);
	cr_assert_eq(fp->pool.nfree, NFRAMES - 3);
	for (uint64_t f = 0; f < NFRAMES; f++)
		assert_owner(f, f == 3 || f == 8 || f == 31 ? 2 : HV_FRAME_FREE);
	for (uint64_t i = 0; i < 3 * EXO_PAGE_SIZE; i++)
		cr_assert_eq(fp->host[i], 0);
	cr_assert_eq(b->g.owned, 3);
	cr_assert_eq(b->unbind_calls, 0);
	assert_agree(a);
	assert_agree(b);
	cr_assert_eq(hv_frames_alloc_any(&b->g, 1, out), 0);
	cr_assert_eq(out[0], 0);
}

Test(frames, release_all_of_a_guest_owning_nothing_changes_nothing)
{
	give(b, 2, (uint64_t[]){ 0, 1 });
	hv_guest_release_all(&a->g);
	cr_assert_eq(a->unbind_calls, 0);
	cr_assert_eq(b->g.owned, 2);
	cr_assert_eq(fp->pool.nfree, NFRAMES - 2);
	assert_agree(a);
	assert_agree(b);
}

/* --- every change --- */

/* A long deterministic mix of calls by two guests, good and bad; after each
 * one, everything the guests and the platform see must agree. */
Test(frames, bitmap_and_counts_follow_every_change)
{
	uint64_t seed = 0x243f6a8885a308d3ull;
	a->g.cap_frames = 40;
	b->g.cap_frames = 30;
	for (int step = 0; step < 3000; step++) {
		seed = seed * 6364136223846793005ull + 1442695040888963407ull;
		struct fake_guest *fg = (seed >> 60) & 1 ? a : b;
		uint64_t r = seed >> 33, vec[8], bad, first;
		uint64_t n = r % 8;
		uint64_t before = fg->g.owned;
		int rc;
		for (uint64_t i = 0; i < n; i++)
			vec[i] = (r >> (4 + 6 * i)) % (NFRAMES + 2);
		switch ((seed >> 56) & 7) {
		case 0:
		case 1:
			rc = hv_frames_alloc_any(&fg->g, n, vec);
			cr_assert_eq(fg->g.owned, rc == 0 ? before + n : before);
			break;
		case 2:
			rc = hv_frames_alloc_contig(&fg->g, n, &first);
			cr_assert_eq(fg->g.owned, rc == 0 ? before + n : before);
			break;
		case 3:
		case 4:
			rc = hv_frames_alloc_named(&fg->g, n, vec, &bad);
			cr_assert_eq(fg->g.owned, rc == 0 ? before + n : before);
			break;
		case 5:
		case 6:
			rc = hv_frames_release(&fg->g, n, vec, &bad);
			cr_assert_eq(fg->g.owned, rc == 0 ? before - n : before);
			break;
		default:
			if ((r & 15) == 0)
				hv_guest_release_all(&fg->g);
			break;
		}
		assert_agree(a);
		assert_agree(b);
		cr_assert_leq(a->g.owned, a->g.cap_frames);
		cr_assert_leq(b->g.owned, b->g.cap_frames);
		cr_assert_eq(fp->pool.nfree + a->g.owned + b->g.owned, NFRAMES);
	}
}
