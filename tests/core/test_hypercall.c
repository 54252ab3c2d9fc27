/* SPDX-License-Identifier: MIT */
/*
 * tests/core/test_hypercall.c: hv/core/hypercall.c, hypercall dispatch.
 *
 * Each test writes an argument block into guest-owned frames of a test pool
 * (as a guest would), calls hv_hypercall, and checks rax, the out-fields
 * written back into the block, and what changed in hv: console output at
 * the platform, how the guest ended, frames that changed hands. Forged
 * blocks, vectors, buffers, frame numbers, counts and flags are the
 * guest's error and change nothing. Stats count every call.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "fake_plat.h"

#define NFRAMES 1024u
#define PG(f) ((uint64_t)(f) * EXO_PAGE_SIZE)

/* a owns frames 0..3: the block in 1, a vector in 2, a buffer in 3.
 * b owns frames 50 and 51. */
#define BLOCK PG(1)
#define VEC PG(2)
#define BUF PG(3)

static struct fake_pool *fp;
static struct fake_guest *a, *b;

static void setup(void)
{
	uint64_t out[4], bad;
	fp = fake_pool_create(NFRAMES);
	a = fake_guest_create(fp, "a", NFRAMES);
	b = fake_guest_create(fp, "b", NFRAMES);
	cr_assert_eq(hv_frames_alloc_any(&a->g, 4, out), 0);
	cr_assert_eq(out[3], 3);
	cr_assert_eq(hv_frames_alloc_named(&b->g, 2, (uint64_t[]){ 50, 51 }, &bad), 0);
}

static void teardown(void)
{
	fake_guest_destroy(a);
	fake_guest_destroy(b);
	fake_pool_destroy(fp);
}

TestSuite(hypercall, .init = setup, .fini = teardown);

static void put(uint64_t gpa, const void *src, size_t n)
{
	memcpy(fp->host + gpa, src, n);
}

static void get(void *dst, uint64_t gpa, size_t n)
{
	memcpy(dst, fp->host + gpa, n);
}

static void assert_agree(const struct fake_guest *fg)
{
	const char *d = fake_disagreement(fg);
	cr_assert_null(d, "guest %u: %s", fg->g.id, d);
}

/* A frame call with its block at BLOCK; *after is the block afterwards. */
static int64_t frames_call(uint32_t nr, uint64_t vec_gpa, uint32_t count,
			   uint32_t flags, struct exo_hc_frames *after)
{
	struct exo_hc_frames blk = {
		.vec_gpa = vec_gpa, .count = count, .flags = flags, .bad_index = 0xdead,
	};
	put(BLOCK, &blk, sizeof blk);
	int64_t rc = hv_hypercall(&a->g, nr, BLOCK);
	get(after, BLOCK, sizeof *after);
	return rc;
}

static void put_vec(const uint64_t *v, size_t n)
{
	put(VEC, v, n * sizeof *v);
}

/* --- console --- */

Test(hypercall, console_output_reaches_the_platform)
{
	put(BUF, "hello, exo\n", 11);
	put(BLOCK, &(struct exo_hc_console){ .buf_gpa = BUF, .len = 11 }, sizeof(struct exo_hc_console));
	cr_assert_eq(hv_hypercall(&a->g, EXO_HC_CONSOLE, BLOCK), 11);
	cr_assert_eq(a->console_calls, 1);
	cr_assert_eq(a->console_len, 11);
	cr_assert_str_eq(a->console, "hello, exo\n");
	cr_assert_eq(a->g.end, HV_RUNNING);
}

Test(hypercall, console_writes_exactly_len_bytes)
{
	put(BUF, "hello, exo\n", 11);
	put(BLOCK, &(struct exo_hc_console){ .buf_gpa = BUF + 7, .len = 3 }, sizeof(struct exo_hc_console));
	cr_assert_eq(hv_hypercall(&a->g, EXO_HC_CONSOLE, BLOCK), 3);
	cr_assert_str_eq(a->console, "exo");
}

Test(hypercall, console_of_exactly_the_maximum_is_accepted)
{
	memset(fp->host + BUF, 'x', EXO_CONSOLE_MAX);
	put(BLOCK, &(struct exo_hc_console){ .buf_gpa = BUF, .len = EXO_CONSOLE_MAX },
	    sizeof(struct exo_hc_console));
	cr_assert_eq(hv_hypercall(&a->g, EXO_HC_CONSOLE, BLOCK), EXO_CONSOLE_MAX);
	cr_assert_eq(a->console_len, EXO_CONSOLE_MAX);
	cr_assert_eq(a->console[EXO_CONSOLE_MAX - 1], 'x');
}

Test(hypercall, console_over_the_maximum_is_too_big)
{
	put(BLOCK, &(struct exo_hc_console){ .buf_gpa = VEC, .len = EXO_CONSOLE_MAX + 1 },
	    sizeof(struct exo_hc_console));
	cr_assert_eq(hv_hypercall(&a->g, EXO_HC_CONSOLE, BLOCK), -EXO_E2BIG);
	put(BLOCK, &(struct exo_hc_console){ .buf_gpa = VEC, .len = UINT64_MAX },
	    sizeof(struct exo_hc_console));
	cr_assert_eq(hv_hypercall(&a->g, EXO_HC_CONSOLE, BLOCK), -EXO_E2BIG);
	cr_assert_eq(a->console_calls, 0);
}

Test(hypercall, console_buffer_unowned_is_a_fault)
{
	memcpy(fp->host + PG(50), "secret", 6);
	uint64_t bufs[] = { PG(50), PG(10), PG(4) - 2, PG(NFRAMES), UINT64_MAX - 2 };
	for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++) {
		put(BLOCK, &(struct exo_hc_console){ .buf_gpa = bufs[i], .len = 6 },
		    sizeof(struct exo_hc_console));
		cr_assert_eq(hv_hypercall(&a->g, EXO_HC_CONSOLE, BLOCK), -EXO_EFAULT,
			     "buffer at 0x%llx", (unsigned long long)bufs[i]);
	}
	cr_assert_eq(a->console_calls, 0);
	cr_assert_eq(a->console_len, 0);
}

Test(hypercall, console_block_unowned_is_a_fault)
{
	put(PG(10), &(struct exo_hc_console){ .buf_gpa = BUF, .len = 1 }, sizeof(struct exo_hc_console));
	cr_assert_eq(hv_hypercall(&a->g, EXO_HC_CONSOLE, PG(10)), -EXO_EFAULT);
	cr_assert_eq(a->console_calls, 0);
}

/* --- exit --- */

Test(hypercall, exit_ends_the_guest_with_its_status)
{
	put(BLOCK, &(struct exo_hc_exit){ .status = 7 }, sizeof(struct exo_hc_exit));
	cr_assert_eq(hv_hypercall(&a->g, EXO_HC_EXIT, BLOCK), 0);
	cr_assert_eq(a->g.end, HV_END_EXIT);
	cr_assert_eq(a->g.exit_status, 7);
	cr_assert_eq(hv_end_status(&a->g), 7);
}

Test(hypercall, exit_with_the_highest_status_is_accepted)
{
	put(BLOCK, &(struct exo_hc_exit){ .status = EXO_EXIT_STATUS_MAX }, sizeof(struct exo_hc_exit));
	cr_assert_eq(hv_hypercall(&a->g, EXO_HC_EXIT, BLOCK), 0);
	cr_assert_eq(a->g.end, HV_END_EXIT);
	cr_assert_eq(hv_end_status(&a->g), EXO_EXIT_STATUS_MAX);
}

Test(hypercall, exit_status_over_the_maximum_is_a_protocol_violation)
{
	put(BLOCK, &(struct exo_hc_exit){ .status = EXO_EXIT_STATUS_MAX + 1 }, sizeof(struct exo_hc_exit));
	cr_assert_eq(hv_hypercall(&a->g, EXO_HC_EXIT, BLOCK), -EXO_EINVAL);
	cr_assert_eq(a->g.end, HV_END_PROTOCOL);
	cr_assert_eq(hv_end_status(&a->g), HV_STATUS_PROTOCOL);
}

Test(hypercall, exit_block_unowned_is_a_fault_and_the_guest_runs_on)
{
	cr_assert_eq(hv_hypercall(&a->g, EXO_HC_EXIT, PG(50)), -EXO_EFAULT);
	cr_assert_eq(hv_hypercall(&a->g, EXO_HC_EXIT, UINT64_MAX - 4), -EXO_EFAULT);
	cr_assert_eq(a->g.end, HV_RUNNING);
}

/* --- frame alloc / release --- */

Test(hypercall, frame_alloc_any_writes_the_vector_back)
{
	struct exo_hc_frames after;
	uint64_t vec[3];
	cr_assert_eq(frames_call(EXO_HC_FRAME_ALLOC, VEC, 3, EXO_FA_ANY, &after), 3);
	get(vec, VEC, sizeof vec);
	cr_assert_eq(vec[0], 4);
	cr_assert_eq(vec[1], 5);
	cr_assert_eq(vec[2], 6);
	cr_assert_eq(after.bad_index, 3, "bad_index is the count when no entry is to blame");
	cr_assert_eq(after.count, 3);
	cr_assert_eq(after.vec_gpa, VEC);
	cr_assert_eq(a->g.owned, 7);
	cr_assert_eq(fake_bitmap_bit(a, 6), 1);
	assert_agree(a);
}

Test(hypercall, frame_alloc_any_of_the_maximum_count_is_accepted)
{
	struct exo_hc_frames after;
	uint64_t vec[EXO_FRAMES_MAX]; /* exactly frame 2 */
	cr_assert_eq(frames_call(EXO_HC_FRAME_ALLOC, VEC, EXO_FRAMES_MAX, EXO_FA_ANY, &after),
		     EXO_FRAMES_MAX);
	get(vec, VEC, sizeof vec);
	cr_assert_eq(vec[0], 4);
	cr_assert_eq(vec[45], 49);
	cr_assert_eq(vec[46], 52, "50 and 51 are b's");
	cr_assert_eq(vec[EXO_FRAMES_MAX - 1], EXO_FRAMES_MAX + 5);
	cr_assert_eq(after.bad_index, EXO_FRAMES_MAX);
	cr_assert_eq(a->g.owned, 4 + EXO_FRAMES_MAX);
	assert_agree(a);
}

Test(hypercall, frame_alloc_any_over_the_cap_is_refused)
{
	struct exo_hc_frames after;
	a->g.cap_frames = 6;
	cr_assert_eq(frames_call(EXO_HC_FRAME_ALLOC, VEC, 3, EXO_FA_ANY, &after), -EXO_ENOMEM);
	cr_assert_eq(after.bad_index, 3);
	cr_assert_eq(a->g.owned, 4);
	cr_assert_eq(frames_call(EXO_HC_FRAME_ALLOC, VEC, 2, EXO_FA_ANY, &after), 2);
	cr_assert_eq(a->g.owned, 6);
	assert_agree(a);
}

Test(hypercall, frame_alloc_named_gives_the_frames_named)
{
	struct exo_hc_frames after;
	put_vec((uint64_t[]){ 100, 40 }, 2);
	cr_assert_eq(frames_call(EXO_HC_FRAME_ALLOC, VEC, 2, EXO_FA_NAMED, &after), 2);
	cr_assert_eq(hv_frame_owner(&fp->pool, 100), 1);
	cr_assert_eq(hv_frame_owner(&fp->pool, 40), 1);
	cr_assert_eq(after.bad_index, 2);
	cr_assert_eq(a->g.owned, 6);
	assert_agree(a);
}

Test(hypercall, frame_alloc_named_of_another_guests_frame_is_busy_and_names_it)
{
	struct exo_hc_frames after;
	put_vec((uint64_t[]){ 10, 11, 51 }, 3);
	cr_assert_eq(frames_call(EXO_HC_FRAME_ALLOC, VEC, 3, EXO_FA_NAMED, &after), -EXO_EBUSY);
	cr_assert_eq(after.bad_index, 2);
	cr_assert_eq(hv_frame_owner(&fp->pool, 10), HV_FRAME_FREE);
	cr_assert_eq(hv_frame_owner(&fp->pool, 51), 2);
	cr_assert_eq(a->g.owned, 4);
	assert_agree(a);
	assert_agree(b);
}

Test(hypercall, frame_alloc_named_of_forged_frame_numbers_is_out_of_range)
{
	struct exo_hc_frames after;
	put_vec((uint64_t[]){ 10, NFRAMES }, 2);
	cr_assert_eq(frames_call(EXO_HC_FRAME_ALLOC, VEC, 2, EXO_FA_NAMED, &after), -EXO_ERANGE);
	cr_assert_eq(after.bad_index, 1);
	put_vec((uint64_t[]){ UINT64_MAX }, 1);
	cr_assert_eq(frames_call(EXO_HC_FRAME_ALLOC, VEC, 1, EXO_FA_NAMED, &after), -EXO_ERANGE);
	cr_assert_eq(after.bad_index, 0);
	cr_assert_eq(hv_frame_owner(&fp->pool, 10), HV_FRAME_FREE);
	cr_assert_eq(a->g.owned, 4);
	assert_agree(a);
}

Test(hypercall, frame_release_gives_the_frames_back)
{
	struct exo_hc_frames after;
	put_vec((uint64_t[]){ 3, 0 }, 2);
	cr_assert_eq(frames_call(EXO_HC_FRAME_RELEASE, VEC, 2, 0, &after), 2);
	cr_assert_eq(after.bad_index, 2);
	cr_assert_eq(hv_frame_owner(&fp->pool, 0), HV_FRAME_FREE);
	cr_assert_eq(hv_frame_owner(&fp->pool, 3), HV_FRAME_FREE);
	cr_assert_eq(a->g.owned, 2);
	cr_assert_eq(a->g.exo->frames_owned, 2);
	assert_agree(a);
}

Test(hypercall, frame_release_of_another_guests_frame_is_refused_and_names_it)
{
	struct exo_hc_frames after;
	put_vec((uint64_t[]){ 0, 50 }, 2);
	cr_assert_eq(frames_call(EXO_HC_FRAME_RELEASE, VEC, 2, 0, &after), -EXO_EPERM);
	cr_assert_eq(after.bad_index, 1);
	cr_assert_eq(hv_frame_owner(&fp->pool, 0), 1);
	cr_assert_eq(hv_frame_owner(&fp->pool, 50), 2);
	cr_assert_eq(b->unbind_calls, 0);
	cr_assert_eq(a->g.owned, 4);
	assert_agree(a);
	assert_agree(b);
}

Test(hypercall, frame_release_of_forged_frame_numbers_is_out_of_range)
{
	struct exo_hc_frames after;
	put_vec((uint64_t[]){ 0, UINT64_MAX }, 2);
	cr_assert_eq(frames_call(EXO_HC_FRAME_RELEASE, VEC, 2, 0, &after), -EXO_ERANGE);
	cr_assert_eq(after.bad_index, 1);
	cr_assert_eq(a->g.owned, 4);
	cr_assert_eq(a->unbind_calls, 0);
	assert_agree(a);
}

Test(hypercall, frame_release_twice_in_one_vector_is_refused)
{
	struct exo_hc_frames after;
	put_vec((uint64_t[]){ 0, 0 }, 2);
	cr_assert_eq(frames_call(EXO_HC_FRAME_RELEASE, VEC, 2, 0, &after), -EXO_EPERM);
	cr_assert_eq(after.bad_index, 1);
	cr_assert_eq(hv_frame_owner(&fp->pool, 0), 1);
	assert_agree(a);
}

Test(hypercall, frame_count_over_the_maximum_is_too_big)
{
	struct exo_hc_frames after;
	cr_assert_eq(frames_call(EXO_HC_FRAME_ALLOC, VEC, EXO_FRAMES_MAX + 1, EXO_FA_ANY, &after),
		     -EXO_E2BIG);
	cr_assert_eq(frames_call(EXO_HC_FRAME_ALLOC, VEC, UINT32_MAX, EXO_FA_NAMED, &after),
		     -EXO_E2BIG);
	cr_assert_eq(frames_call(EXO_HC_FRAME_RELEASE, VEC, EXO_FRAMES_MAX + 1, 0, &after),
		     -EXO_E2BIG);
	cr_assert_eq(after.bad_index, 0xdead, "a refused block is not written back");
	cr_assert_eq(a->g.owned, 4);
	cr_assert_eq(a->bind_calls, 1);
}

Test(hypercall, frame_bad_flags_are_invalid)
{
	struct exo_hc_frames after;
	cr_assert_eq(frames_call(EXO_HC_FRAME_ALLOC, VEC, 1, 4, &after), -EXO_EINVAL);
	cr_assert_eq(frames_call(EXO_HC_FRAME_ALLOC, VEC, 1, EXO_FA_NAMED | EXO_FA_NOWAIT, &after),
		     -EXO_EINVAL, "NOWAIT is for ANY");
	cr_assert_eq(frames_call(EXO_HC_FRAME_ALLOC, VEC, 1, UINT32_MAX, &after), -EXO_EINVAL);
	put_vec((uint64_t[]){ 0 }, 1);
	cr_assert_eq(frames_call(EXO_HC_FRAME_RELEASE, VEC, 1, EXO_FA_NAMED, &after), -EXO_EINVAL);
	cr_assert_eq(a->g.owned, 4);
	cr_assert_eq(hv_frame_owner(&fp->pool, 0), 1);
}

Test(hypercall, frame_block_at_a_forged_gpa_is_a_fault)
{
	struct exo_hc_frames blk = { .vec_gpa = VEC, .count = 1, .flags = EXO_FA_ANY };
	put(PG(10), &blk, sizeof blk);
	put(PG(50), &blk, sizeof blk);
	put(PG(4) - 8, &blk, 8);
	uint64_t blocks[] = { PG(10), PG(50), PG(4) - 8, PG(NFRAMES), UINT64_MAX - 8 };
	for (size_t i = 0; i < sizeof blocks / sizeof blocks[0]; i++) {
		cr_assert_eq(hv_hypercall(&a->g, EXO_HC_FRAME_ALLOC, blocks[i]), -EXO_EFAULT,
			     "block at 0x%llx", (unsigned long long)blocks[i]);
		cr_assert_eq(hv_hypercall(&a->g, EXO_HC_FRAME_RELEASE, blocks[i]), -EXO_EFAULT);
	}
	cr_assert_eq(a->g.owned, 4);
	assert_agree(a);
}

Test(hypercall, frame_vector_unowned_is_a_fault_and_nothing_moves)
{
	struct exo_hc_frames after;
	uint64_t vecs[] = { PG(50), PG(10), PG(4) - 8, PG(NFRAMES), UINT64_MAX - 8 };
	memcpy(fp->host + PG(50), (uint64_t[]){ 0 }, 8);
	for (size_t i = 0; i < sizeof vecs / sizeof vecs[0]; i++) {
		cr_assert_eq(frames_call(EXO_HC_FRAME_ALLOC, vecs[i], 2, EXO_FA_ANY, &after), -EXO_EFAULT,
			     "any, vector at 0x%llx", (unsigned long long)vecs[i]);
		cr_assert_eq(frames_call(EXO_HC_FRAME_ALLOC, vecs[i], 2, EXO_FA_NAMED, &after), -EXO_EFAULT,
			     "named, vector at 0x%llx", (unsigned long long)vecs[i]);
		cr_assert_eq(frames_call(EXO_HC_FRAME_RELEASE, vecs[i], 2, 0, &after), -EXO_EFAULT,
			     "release, vector at 0x%llx", (unsigned long long)vecs[i]);
	}
	cr_assert_eq(a->g.owned, 4);
	cr_assert_eq(a->bind_calls, 1, "only setup's bind");
	cr_assert_eq(a->unbind_calls, 0);
	cr_assert_eq(fp->pool.nfree, NFRAMES - 6);
	assert_agree(a);
}

Test(hypercall, frame_release_of_the_frame_holding_the_block_succeeds)
{
	struct exo_hc_frames after;
	put_vec((uint64_t[]){ 1 }, 1); /* frame 1 holds BLOCK */
	cr_assert_eq(frames_call(EXO_HC_FRAME_RELEASE, VEC, 1, 0, &after), 1);
	cr_assert_eq(hv_frame_owner(&fp->pool, 1), HV_FRAME_FREE);
	cr_assert_eq(a->g.owned, 3);
	/* the block's frame is gone and zeroed: nothing was written into it */
	for (uint64_t i = 0; i < EXO_PAGE_SIZE; i++)
		cr_assert_eq(fp->host[PG(1) + i], 0);
	assert_agree(a);
}

Test(hypercall, frame_release_of_the_frame_holding_the_vector_succeeds)
{
	struct exo_hc_frames after;
	put_vec((uint64_t[]){ 2, 3 }, 2); /* frame 2 holds VEC */
	cr_assert_eq(frames_call(EXO_HC_FRAME_RELEASE, VEC, 2, 0, &after), 2);
	cr_assert_eq(after.bad_index, 2);
	cr_assert_eq(a->g.owned, 2);
	assert_agree(a);
}

/* --- info, fault, unknown --- */

Test(hypercall, info_reports_the_guests_view)
{
	struct exo_hc_info info;
	memset(&info, 0xff, sizeof info);
	put(BLOCK, &info, sizeof info);
	a->g.cap_frames = 100;
	cr_assert_eq(hv_hypercall(&a->g, EXO_HC_INFO, BLOCK), 0);
	get(&info, BLOCK, sizeof info);
	cr_assert_eq(info.pool_frames, NFRAMES);
	cr_assert_eq(info.frames_owned, 4);
	cr_assert_eq(info.mem_cap_frames, 100);
	cr_assert_eq(info.exo_page_gpa, PG(NFRAMES));
}

/* hv writes INFO's block in place: unaligned, across two frames, each
 * field lands where the guest's struct has it. */
Test(hypercall, info_block_unaligned_across_frames_is_written_whole)
{
	struct exo_hc_info info;
	const uint64_t at = PG(2) - 13; /* frames 1 and 2, both a's */
	memset(fp->host + at - 8, 0xee, sizeof info + 16);
	cr_assert_eq(hv_hypercall(&a->g, EXO_HC_INFO, at), 0);
	get(&info, at, sizeof info);
	cr_assert_eq(info.pool_frames, NFRAMES);
	cr_assert_eq(info.frames_owned, 4);
	cr_assert_eq(info.exo_page_gpa, PG(NFRAMES));
	for (unsigned i = 0; i < 8; i++) {
		cr_assert_eq(fp->host[at - 8 + i], 0xee, "nothing before the block");
		cr_assert_eq(fp->host[at + sizeof info + i], 0xee, "nothing after it");
	}
}

Test(hypercall, info_block_unowned_is_a_fault_and_writes_nothing)
{
	cr_assert_eq(hv_hypercall(&a->g, EXO_HC_INFO, PG(50)), -EXO_EFAULT);
	cr_assert_eq(hv_hypercall(&a->g, EXO_HC_INFO, PG(4) - 8), -EXO_EFAULT);
	cr_assert_eq(hv_hypercall(&a->g, EXO_HC_INFO, UINT64_MAX - 8), -EXO_EFAULT);
	for (uint64_t i = 0; i < EXO_PAGE_SIZE; i++) {
		cr_assert_eq(fp->host[PG(50) + i], 0);
		cr_assert_eq(fp->host[PG(3) + i], 0);
	}
}

Test(hypercall, fault_copies_the_report_and_ends_the_guest)
{
	struct exo_hc_fault f = {
		.vector = 14, .error_code = 2, .cr2 = 0xdeadbeef000,
		.regs = { .rax = 1, .r15 = 15, .rip = 0xffffffff80001234, .rflags = 0x2, .ss = 0x10 },
	};
	put(BLOCK, &f, sizeof f);
	cr_assert_eq(hv_hypercall(&a->g, EXO_HC_FAULT, BLOCK), 0);
	cr_assert_eq(a->g.end, HV_END_FAULT);
	cr_assert_eq(memcmp(&a->g.fault, &f, sizeof f), 0);
	cr_assert_eq(a->g.fault.regs.rip, 0xffffffff80001234);
	cr_assert_eq(hv_end_status(&a->g), HV_STATUS_FAULT);
}

Test(hypercall, fault_block_unowned_is_a_fault_and_the_guest_runs_on)
{
	cr_assert_eq(hv_hypercall(&a->g, EXO_HC_FAULT, PG(4) - 16), -EXO_EFAULT);
	cr_assert_eq(a->g.end, HV_RUNNING);
	cr_assert_eq(a->g.fault.vector, 0);
}

Test(hypercall, unknown_call_number_is_not_implemented)
{
	cr_assert_eq(hv_hypercall(&a->g, EXO_HC_COUNT, BLOCK), -EXO_ENOSYS);
	cr_assert_eq(hv_hypercall(&a->g, EXO_HC_PORT_SPAN - 1, BLOCK), -EXO_ENOSYS);
	cr_assert_eq(hv_hypercall(&a->g, UINT32_MAX, PG(50)), -EXO_ENOSYS);
	cr_assert_eq(a->g.end, HV_RUNNING);
	cr_assert_eq(a->g.stats.hypercalls[EXO_HC_COUNT], 3);
}

Test(hypercall, stats_count_every_call_by_number)
{
	struct exo_hc_frames after;
	put(BLOCK, &(struct exo_hc_console){ .buf_gpa = BUF, .len = 0 }, sizeof(struct exo_hc_console));
	cr_assert_eq(hv_hypercall(&a->g, EXO_HC_CONSOLE, BLOCK), 0);
	cr_assert_eq(hv_hypercall(&a->g, EXO_HC_CONSOLE, PG(50)), -EXO_EFAULT, "failed calls count too");
	cr_assert_eq(hv_hypercall(&a->g, EXO_HC_INFO, BLOCK), 0);
	cr_assert_eq(frames_call(EXO_HC_FRAME_ALLOC, VEC, 1, EXO_FA_ANY, &after), 1);
	cr_assert_eq(frames_call(EXO_HC_FRAME_ALLOC, VEC, 1, EXO_FA_ANY, &after), 1);
	cr_assert_eq(frames_call(EXO_HC_FRAME_RELEASE, VEC, 1, 0, &after), 1);
	cr_assert_eq(hv_hypercall(&a->g, EXO_HC_COUNT, BLOCK), -EXO_ENOSYS);
	cr_assert_eq(a->g.stats.hypercalls[EXO_HC_CONSOLE], 2);
	cr_assert_eq(a->g.stats.hypercalls[EXO_HC_EXIT], 0);
	cr_assert_eq(a->g.stats.hypercalls[EXO_HC_FRAME_ALLOC], 2);
	cr_assert_eq(a->g.stats.hypercalls[EXO_HC_FRAME_RELEASE], 1);
	cr_assert_eq(a->g.stats.hypercalls[EXO_HC_INFO], 1);
	cr_assert_eq(a->g.stats.hypercalls[EXO_HC_FAULT], 0);
	cr_assert_eq(a->g.stats.hypercalls[EXO_HC_COUNT], 1);
	cr_assert_eq(b->g.stats.hypercalls[EXO_HC_CONSOLE], 0, "stats are per guest");
}
