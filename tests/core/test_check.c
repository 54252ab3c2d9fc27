/* SPDX-License-Identifier: MIT */
/*
 * tests/core/test_check.c: hv/core/check.c, the checks every guest-supplied
 * frame number and guest-physical address goes through.
 *
 * hv_check_frame, hv_check_gpa, hv_gpa_ptr, hv_copy_from_guest and
 * hv_copy_to_guest at every edge: owned, free and foreign frames, the last
 * byte of the pool and one past it, zero lengths, gpa + len overflow, and
 * ranges that span an owned and an unowned frame. A refused copy moves no
 * byte.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "fake_plat.h"

#define NFRAMES 64u
#define POOL_BYTES ((uint64_t)NFRAMES * EXO_PAGE_SIZE)
#define PG(f) ((uint64_t)(f) * EXO_PAGE_SIZE)

static struct fake_pool *fp;
static struct fake_guest *a, *b;

/* a owns frames 2, 3, 5 and the last one; b owns 4; the rest are free. */
static void setup(void)
{
	uint64_t bad;
	fp = fake_pool_create(NFRAMES);
	a = fake_guest_create(fp, "a", NFRAMES);
	b = fake_guest_create(fp, "b", NFRAMES);
	cr_assert_eq(hv_frames_alloc_named(&a->g, 4, (uint64_t[]){ 2, 3, 5, NFRAMES - 1 }, &bad), 0);
	cr_assert_eq(hv_frames_alloc_named(&b->g, 1, (uint64_t[]){ 4 }, &bad), 0);
}

static void teardown(void)
{
	fake_guest_destroy(a);
	fake_guest_destroy(b);
	fake_pool_destroy(fp);
}

TestSuite(check, .init = setup, .fini = teardown);

/* --- hv_check_frame --- */

Test(check, frame_owned_is_accepted)
{
	cr_assert_eq(hv_check_frame(&a->g, 2), 0);
	cr_assert_eq(hv_check_frame(&a->g, 5), 0);
	cr_assert_eq(hv_check_frame(&b->g, 4), 0);
}

Test(check, frame_last_of_pool_is_accepted)
{
	cr_assert_eq(hv_check_frame(&a->g, NFRAMES - 1), 0);
}

Test(check, frame_free_is_refused)
{
	cr_assert_eq(hv_check_frame(&a->g, 0), -EXO_EPERM);
	cr_assert_eq(hv_check_frame(&a->g, 6), -EXO_EPERM);
}

Test(check, frame_of_another_guest_is_refused)
{
	cr_assert_eq(hv_check_frame(&a->g, 4), -EXO_EPERM);
	cr_assert_eq(hv_check_frame(&b->g, 2), -EXO_EPERM);
}

Test(check, frame_beyond_the_pool_is_out_of_range)
{
	cr_assert_eq(hv_check_frame(&a->g, NFRAMES), -EXO_ERANGE);
	cr_assert_eq(hv_check_frame(&a->g, NFRAMES + 1), -EXO_ERANGE);
	cr_assert_eq(hv_check_frame(&a->g, UINT64_MAX), -EXO_ERANGE);
}

Test(check, frame_released_is_refused)
{
	uint64_t bad;
	cr_assert_eq(hv_frames_release(&a->g, 1, (uint64_t[]){ 5 }, &bad), 0);
	cr_assert_eq(hv_check_frame(&a->g, 5), -EXO_EPERM);
	cr_assert_eq(hv_check_gpa(&a->g, PG(5), 1), -EXO_EFAULT);
}

/* --- hv_check_gpa --- */

Test(check, gpa_inside_an_owned_frame_is_accepted)
{
	cr_assert_eq(hv_check_gpa(&a->g, PG(2), EXO_PAGE_SIZE), 0);
	cr_assert_eq(hv_check_gpa(&a->g, PG(2) + 100, 8), 0);
	cr_assert_eq(hv_check_gpa(&a->g, PG(3) - 1, 1), 0, "last byte of frame 2");
}

Test(check, gpa_spanning_two_owned_frames_is_accepted)
{
	cr_assert_eq(hv_check_gpa(&a->g, PG(2) + 100, 2 * EXO_PAGE_SIZE - 100), 0);
	cr_assert_eq(hv_check_gpa(&a->g, PG(3) - 1, 2), 0);
}

Test(check, gpa_in_a_free_frame_is_refused)
{
	cr_assert_eq(hv_check_gpa(&a->g, 0, 1), -EXO_EFAULT);
	cr_assert_eq(hv_check_gpa(&a->g, PG(6) + 10, 8), -EXO_EFAULT);
}

Test(check, gpa_in_a_frame_of_another_guest_is_refused)
{
	cr_assert_eq(hv_check_gpa(&a->g, PG(4), 1), -EXO_EFAULT);
	cr_assert_eq(hv_check_gpa(&b->g, PG(2), 1), -EXO_EFAULT);
	cr_assert_eq(hv_check_gpa(&b->g, PG(4), EXO_PAGE_SIZE), 0);
}

Test(check, gpa_spanning_an_owned_and_an_unowned_frame_is_refused)
{
	/* owned 3 into foreign 4 */
	cr_assert_eq(hv_check_gpa(&a->g, PG(4) - 8, 16), -EXO_EFAULT);
	cr_assert_eq(hv_check_gpa(&a->g, PG(4) - 1, 2), -EXO_EFAULT);
	/* free 1 into owned 2 */
	cr_assert_eq(hv_check_gpa(&a->g, PG(2) - 1, 2), -EXO_EFAULT);
	/* owned 2, 3, foreign 4, owned 5: a hole in the middle */
	cr_assert_eq(hv_check_gpa(&a->g, PG(2), 4 * EXO_PAGE_SIZE), -EXO_EFAULT);
	/* owned 3 to one byte short of frame 4 is fine */
	cr_assert_eq(hv_check_gpa(&a->g, PG(4) - 8, 8), 0);
}

/* A block of a page or less is checked by its first and last frames (at
 * most two): both count, at every length up to a page and just above. */
Test(check, gpa_block_of_a_page_checks_both_its_frames)
{
	cr_assert_eq(hv_check_gpa(&a->g, PG(3) + 8, EXO_PAGE_SIZE), -EXO_EFAULT, "3, foreign 4");
	cr_assert_eq(hv_check_gpa(&a->g, PG(2) - 8, EXO_PAGE_SIZE), -EXO_EFAULT, "free 1, 2");
	cr_assert_eq(hv_check_gpa(&a->g, PG(2) + 8, EXO_PAGE_SIZE), 0, "2, 3");
	cr_assert_eq(hv_check_gpa(&a->g, PG(3) + 1, EXO_PAGE_SIZE - 1), 0, "3 to its end");
	cr_assert_eq(hv_check_gpa(&a->g, PG(3) + 1, EXO_PAGE_SIZE), -EXO_EFAULT, "one byte of 4");
	cr_assert_eq(hv_check_gpa(&a->g, PG(2) + 1, EXO_PAGE_SIZE + 1), 0, "2, 3, above a page");
	cr_assert_eq(hv_check_gpa(&b->g, PG(4), EXO_PAGE_SIZE + 1), -EXO_EFAULT, "4, a's 5");
}

Test(check, gpa_last_byte_of_the_pool_is_accepted)
{
	cr_assert_eq(hv_check_gpa(&a->g, POOL_BYTES - 1, 1), 0);
	cr_assert_eq(hv_check_gpa(&a->g, POOL_BYTES - EXO_PAGE_SIZE, EXO_PAGE_SIZE), 0);
}

Test(check, gpa_one_past_the_pool_is_refused)
{
	cr_assert_eq(hv_check_gpa(&a->g, POOL_BYTES, 1), -EXO_EFAULT);
	cr_assert_eq(hv_check_gpa(&a->g, POOL_BYTES - 1, 2), -EXO_EFAULT);
	cr_assert_eq(hv_check_gpa(&a->g, POOL_BYTES - EXO_PAGE_SIZE, EXO_PAGE_SIZE + 1), -EXO_EFAULT);
	cr_assert_eq(hv_check_gpa(&a->g, a->g.exo_gpa, 8), -EXO_EFAULT, "the exo page is not pool memory");
}

Test(check, gpa_of_zero_length_must_still_be_owned)
{
	cr_assert_eq(hv_check_gpa(&a->g, PG(2), 0), 0);
	cr_assert_eq(hv_check_gpa(&b->g, PG(2), 0), -EXO_EFAULT,
		     "an empty range is still a pointer into someone's frame");
	cr_assert_eq(hv_check_gpa(&a->g, POOL_BYTES, 0), -EXO_EFAULT, "the end of the pool");
}

Test(check, gpa_of_zero_length_beyond_the_pool_is_refused)
{
	cr_assert_eq(hv_check_gpa(&a->g, POOL_BYTES + 1, 0), -EXO_EFAULT);
	cr_assert_eq(hv_check_gpa(&a->g, UINT64_MAX, 0), -EXO_EFAULT);
}

Test(check, gpa_plus_len_overflow_is_refused)
{
	cr_assert_eq(hv_check_gpa(&a->g, UINT64_MAX - 10, 100), -EXO_EFAULT);
	cr_assert_eq(hv_check_gpa(&a->g, PG(2), UINT64_MAX), -EXO_EFAULT);
	cr_assert_eq(hv_check_gpa(&a->g, UINT64_MAX, 1), -EXO_EFAULT);
	cr_assert_eq(hv_check_gpa(&a->g, PG(2), UINT64_MAX - PG(2) + 1), -EXO_EFAULT,
		     "gpa + len wraps to exactly 0");
	cr_assert_eq(hv_check_gpa(&a->g, 0, UINT64_MAX), -EXO_EFAULT);
}

/* --- hv_gpa_ptr --- */

Test(check, gpa_ptr_of_owned_memory_points_into_the_pool)
{
	cr_assert_eq(hv_gpa_ptr(&a->g, PG(2) + 123, 8), fp->host + PG(2) + 123);
	cr_assert_eq(hv_gpa_ptr(&a->g, POOL_BYTES - 1, 1), fp->host + POOL_BYTES - 1);
	cr_assert_eq(hv_gpa_ptr(&a->g, PG(2), 0), fp->host + PG(2));
}

Test(check, gpa_ptr_of_unowned_memory_is_null)
{
	cr_assert_null(hv_gpa_ptr(&a->g, PG(4), 1));
	cr_assert_null(hv_gpa_ptr(&a->g, 0, 8));
	cr_assert_null(hv_gpa_ptr(&a->g, PG(4) - 1, 2));
	cr_assert_null(hv_gpa_ptr(&a->g, POOL_BYTES, 1));
	cr_assert_null(hv_gpa_ptr(&a->g, UINT64_MAX - 10, 100));
	cr_assert_null(hv_gpa_ptr(&a->g, POOL_BYTES + 1, 0));
}

/* --- hv_copy_from_guest / hv_copy_to_guest --- */

Test(check, copy_from_guest_copies_owned_memory)
{
	uint8_t out[EXO_PAGE_SIZE + 8]; /* frame 2 tail to frame 3 end */
	for (uint64_t i = 0; i < sizeof out; i++)
		fp->host[PG(3) - 8 + i] = (uint8_t)(i * 13 + 5);
	cr_assert_eq(hv_copy_from_guest(&a->g, out, PG(3) - 8, sizeof out), 0);
	for (uint64_t i = 0; i < sizeof out; i++)
		cr_assert_eq(out[i], (uint8_t)(i * 13 + 5), "byte %llu", (unsigned long long)i);
}

Test(check, copy_from_guest_of_unowned_memory_copies_nothing)
{
	uint8_t out[32];
	memset(fp->host + PG(4) - 16, 0x77, 32);
	memset(out, 0xee, sizeof out);
	cr_assert_eq(hv_copy_from_guest(&a->g, out, PG(4) - 16, 32), -EXO_EFAULT);
	cr_assert_eq(hv_copy_from_guest(&a->g, out, PG(4), 8), -EXO_EFAULT);
	cr_assert_eq(hv_copy_from_guest(&a->g, out, POOL_BYTES - 4, 8), -EXO_EFAULT);
	cr_assert_eq(hv_copy_from_guest(&a->g, out, UINT64_MAX - 10, 100), -EXO_EFAULT);
	for (uint64_t i = 0; i < sizeof out; i++)
		cr_assert_eq(out[i], 0xee);
}

Test(check, copy_from_guest_last_bytes_of_the_pool)
{
	uint8_t out[4];
	memcpy(fp->host + POOL_BYTES - 4, "tail", 4);
	cr_assert_eq(hv_copy_from_guest(&a->g, out, POOL_BYTES - 4, 4), 0);
	cr_assert_eq(memcmp(out, "tail", 4), 0);
}

Test(check, copy_to_guest_writes_owned_memory)
{
	cr_assert_eq(hv_copy_to_guest(&a->g, PG(3) - 3, "across", 6), 0);
	cr_assert_eq(memcmp(fp->host + PG(3) - 3, "across", 6), 0);
	cr_assert_eq(hv_copy_to_guest(&a->g, POOL_BYTES - 3, "end", 3), 0);
	cr_assert_eq(memcmp(fp->host + POOL_BYTES - 3, "end", 3), 0);
}

Test(check, copy_to_guest_of_unowned_memory_writes_nothing)
{
	uint8_t junk[32];
	memset(junk, 0x99, sizeof junk);
	/* owned 3 into foreign 4: no partial write into frame 3 either */
	cr_assert_eq(hv_copy_to_guest(&a->g, PG(4) - 16, junk, 32), -EXO_EFAULT);
	cr_assert_eq(hv_copy_to_guest(&a->g, PG(6), junk, 1), -EXO_EFAULT);
	cr_assert_eq(hv_copy_to_guest(&a->g, POOL_BYTES - 16, junk, 32), -EXO_EFAULT);
	cr_assert_eq(hv_copy_to_guest(&a->g, UINT64_MAX - 10, junk, 100), -EXO_EFAULT);
	for (uint64_t i = 0; i < POOL_BYTES; i++)
		cr_assert_eq(fp->host[i], 0, "pool byte %llu written", (unsigned long long)i);
}

Test(check, copy_of_zero_bytes_succeeds_and_moves_nothing)
{
	uint8_t out = 0x42;
	cr_assert_eq(hv_copy_from_guest(&a->g, &out, PG(2), 0), 0);
	cr_assert_eq(out, 0x42);
	cr_assert_eq(hv_copy_to_guest(&a->g, PG(2), &out, 0), 0);
	cr_assert_eq(fp->host[PG(2)], 0);
}
