/* SPDX-License-Identifier: MIT */
/*
 * tests/core/test_forward.c: hv/core/forward.c, EXO_HC_FORWARD, and the
 * POSIX exit and notice calls.
 *
 * The guest writes a vector of calls into frames it owns; hv/core must
 * hand the platform only calls it knows, with every path and small struct
 * copied into hv's own memory and every buffer checked to lie in the
 * guest's frames, write each result back, and refuse the rest with the
 * Linux errno the program will see. The fake platform records what it
 * was given.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "fake_plat.h"

#define NFRAMES 1024u
#define PG(f) ((uint64_t)(f) * EXO_PAGE_SIZE)

/* a owns frames 0..7: the block in 1, the vector in 2, buffers and paths
 * from 3 on. b owns frame 50. */
#define BLOCK PG(1)
#define VEC PG(2)
#define BUF PG(3)

static struct fake_pool *fp;
static struct fake_guest *a, *b;

static void setup(void)
{
	uint64_t out[8], bad;
	fp = fake_pool_create(NFRAMES);
	a = fake_guest_create(fp, "a", NFRAMES);
	b = fake_guest_create(fp, "b", NFRAMES);
	cr_assert_eq(hv_frames_alloc_any(&a->g, 8, out), 0);
	cr_assert_eq(out[7], 7);
	cr_assert_eq(hv_frames_alloc_named(&b->g, 1, (uint64_t[]){ 50 }, &bad), 0);
}

static void teardown(void)
{
	fake_guest_destroy(a);
	fake_guest_destroy(b);
	fake_pool_destroy(fp);
}

TestSuite(forward, .init = setup, .fini = teardown);

static void put(uint64_t gpa, const void *src, size_t n)
{
	memcpy(fp->host + gpa, src, n);
}

/* Run n calls from vec[]; the vector afterwards is back in vec[]. */
static int64_t forward(struct exo_fwd *vec, uint32_t n, uint32_t flags, uint64_t *done)
{
	struct exo_hc_forward blk = { .vec_gpa = VEC, .count = n, .flags = flags, .done = 99 };
	put(BLOCK, &blk, sizeof blk);
	put(VEC, vec, n * sizeof vec[0]);
	int64_t rc = hv_hypercall(&a->g, EXO_HC_FORWARD, BLOCK);
	memcpy(vec, fp->host + VEC, n * sizeof vec[0]);
	memcpy(&blk, fp->host + BLOCK, sizeof blk);
	if (done)
		*done = blk.done;
	return rc;
}

static int64_t one(uint64_t nr, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3)
{
	struct exo_fwd v = { .nr = nr, .arg = { a0, a1, a2, a3 } };
	cr_assert_eq(forward(&v, 1, 0, NULL), 1);
	return v.ret;
}

Test(forward, read_buffer_is_the_guests_own_memory)
{
	a->fwd_ret = 100;
	cr_assert_eq(one(EXO_FWD_READ, 5, BUF, 100, 0), 100);
	cr_assert_eq(a->forwards, 1);
	cr_assert_eq(a->fwd.nr, EXO_FWD_READ);
	cr_assert_eq(a->fwd.arg[0], 5);
	cr_assert_eq(a->fwd.ptr[1], fp->host + BUF);
	cr_assert_eq(a->fwd.len[1], 100);
	cr_assert_eq(fp->host[BUF + 99], 'r');
	cr_assert_eq(fp->host[BUF + 100], 0, "written past the length");
}

Test(forward, buffer_in_a_frame_the_guest_does_not_own_is_efault)
{
	cr_assert_eq(one(EXO_FWD_READ, 5, PG(50), 10, 0), -EXO_FWD_EFAULT);
	cr_assert_eq(one(EXO_FWD_WRITE, 1, PG(7) + 4000, 200, 0), -EXO_FWD_EFAULT);
	cr_assert_eq(one(EXO_FWD_WRITE, 1, UINT64_MAX - 4, 200, 0), -EXO_FWD_EFAULT);
	cr_assert_eq(a->forwards, 0, "the platform saw a bad buffer");
}

Test(forward, buffer_over_the_limit_is_e2big)
{
	cr_assert_eq(one(EXO_FWD_WRITE, 1, BUF, EXO_FWD_BUF_MAX + 1ull, 0), -EXO_FWD_E2BIG);
	cr_assert_eq(a->forwards, 0);
}

Test(forward, zero_length_buffer_is_never_touched)
{
	cr_assert_eq(one(EXO_FWD_READ, 5, PG(50), 0, 0), 0);
	cr_assert_eq(a->forwards, 1);
	cr_assert_eq(a->fwd.len[1], 0);
	cr_assert_eq(fp->host[PG(50)], 0);
}

Test(forward, path_is_hvs_copy_not_the_guests_memory)
{
	put(BUF, "dir/file.txt", 13);
	a->fwd_scribble_gpa = BUF;
	one(EXO_FWD_OPENAT, (uint64_t)-100, BUF, 0, 0);
	cr_assert_eq(a->forwards, 1);
	cr_assert_str_eq(a->fwd_path[0], "dir/file.txt");
	cr_assert_neq(a->fwd.ptr[1], fp->host + BUF);
	cr_assert_eq(fp->host[BUF], 'X', "the scribble did not happen");
}

Test(forward, path_may_cross_into_the_next_owned_frame)
{
	uint64_t at = PG(4) - 3;
	put(at, "abcdef", 7);
	one(EXO_FWD_OPENAT, (uint64_t)-100, at, 0, 0);
	cr_assert_str_eq(a->fwd_path[0], "abcdef");
}

Test(forward, path_running_into_an_unowned_frame_is_efault)
{
	memset(fp->host + PG(7), 'a', EXO_PAGE_SIZE); /* no NUL before frame 8 */
	cr_assert_eq(one(EXO_FWD_OPENAT, (uint64_t)-100, PG(7) + 100, 0, 0), -EXO_FWD_EFAULT);
	cr_assert_eq(a->forwards, 0);
}

Test(forward, path_longer_than_path_max_is_enametoolong)
{
	memset(fp->host + BUF, 'a', 2 * EXO_FWD_PATH_MAX);
	cr_assert_eq(one(EXO_FWD_OPENAT, (uint64_t)-100, BUF, 0, 0), -EXO_FWD_ENAMETOOLONG);
	cr_assert_eq(a->forwards, 0);
}

Test(forward, unknown_call_is_enosys)
{
	cr_assert_eq(one(57 /* fork */, 0, 0, 0, 0), -EXO_FWD_ENOSYS);
	cr_assert_eq(one(1u << 20, 0, 0, 0, 0), -EXO_FWD_ENOSYS);
	cr_assert_eq(a->forwards, 0);
	cr_assert_null(hv_fwd_name(57));
	cr_assert_str_eq(hv_fwd_name(EXO_FWD_OPENAT), "openat");
}

Test(forward, ioctl_other_than_tcgets_and_tiocgwinsz_is_enotty)
{
	cr_assert_eq(one(EXO_FWD_IOCTL, 0, 0x5402 /* TCSETS */, BUF, 0), -EXO_FWD_ENOTTY);
	cr_assert_eq(a->forwards, 0);
	a->fwd_ret = 0;
	cr_assert_eq(one(EXO_FWD_IOCTL, 0, 0x5413 /* TIOCGWINSZ */, BUF, 0), 0);
	cr_assert_eq(a->fwd.len[2], 8);
}

Test(forward, cpu_clock_of_another_process_is_einval)
{
	cr_assert_eq(one(EXO_FWD_CLOCK_GETTIME, (uint64_t)-6, BUF, 0, 0), -EXO_FWD_EINVAL);
	cr_assert_eq(a->forwards, 0);
}

Test(forward, out_struct_is_written_back_only_on_success)
{
	a->fwd_ret = -2;
	cr_assert_eq(one(EXO_FWD_FSTAT, 3, BUF, 0, 0), -2);
	cr_assert_eq(fp->host[BUF], 0);
	a->fwd_ret = 0;
	cr_assert_eq(one(EXO_FWD_FSTAT, 3, BUF, 0, 0), 0);
	cr_assert_eq(fp->host[BUF], 's');
	cr_assert_eq(fp->host[BUF + 143], 's');
	cr_assert_eq(fp->host[BUF + 144], 0, "wrote past struct stat");
}

Test(forward, out_struct_in_an_unowned_frame_is_efault_before_the_call)
{
	cr_assert_eq(one(EXO_FWD_FSTAT, 3, PG(50), 0, 0), -EXO_FWD_EFAULT);
	cr_assert_eq(a->forwards, 0);
}

Test(forward, batch_runs_in_order_and_stops_on_failure_when_asked)
{
	struct exo_fwd v[3] = {
		{ .nr = EXO_FWD_GETPID },
		{ .nr = EXO_FWD_READ, .arg = { 0, PG(50), 8 } }, /* fails */
		{ .nr = EXO_FWD_GETPID },
	};
	uint64_t done;
	a->fwd_ret = 7;
	cr_assert_eq(forward(v, 3, 0, &done), 3);
	cr_assert_eq(done, 3);
	cr_assert_eq(v[0].ret, 7);
	cr_assert_eq(v[1].ret, -EXO_FWD_EFAULT);
	cr_assert_eq(v[2].ret, 7);
	cr_assert_eq(a->forwards, 2);
	v[2].ret = 1234;
	cr_assert_eq(forward(v, 3, EXO_FWD_F_STOP, &done), 2);
	cr_assert_eq(done, 2);
	cr_assert_eq(v[2].ret, 1234, "ran past a failure with EXO_FWD_F_STOP");
	cr_assert_eq(a->g.stats.forwarded, 3);
}

Test(forward, bad_block_vector_count_or_flags_are_the_guests_error)
{
	/* forward() copies the whole vector in and out: room for all of it. */
	struct exo_fwd v[EXO_FWD_BATCH + 1] = { { .nr = EXO_FWD_GETPID } };
	struct exo_hc_forward blk = { .vec_gpa = PG(50), .count = 1 };
	put(BLOCK, &blk, sizeof blk);
	cr_assert_eq(hv_hypercall(&a->g, EXO_HC_FORWARD, BLOCK), -EXO_EFAULT);
	cr_assert_eq(hv_hypercall(&a->g, EXO_HC_FORWARD, PG(50)), -EXO_EFAULT);
	cr_assert_eq(forward(v, EXO_FWD_BATCH + 1, 0, NULL), -EXO_E2BIG);
	cr_assert_eq(forward(v, 1, 2, NULL), -EXO_EINVAL);
	cr_assert_eq(a->forwards, 0);
	cr_assert_eq(a->g.end, HV_RUNNING);
}

Test(forward, exit_process_gives_the_code_or_128_plus_the_signal)
{
	struct exo_hc_exit_process e = { .code = 200 };
	put(BLOCK, &e, sizeof e);
	cr_assert_eq(hv_hypercall(&a->g, EXO_HC_EXIT_PROCESS, BLOCK), 0);
	cr_assert_eq(a->g.end, HV_END_EXIT);
	cr_assert_eq(hv_end_status(&a->g), 200);
	a->g.end = HV_RUNNING;
	e = (struct exo_hc_exit_process){ .signal = 11 };
	put(BLOCK, &e, sizeof e);
	cr_assert_eq(hv_hypercall(&a->g, EXO_HC_EXIT_PROCESS, BLOCK), 0);
	cr_assert_eq(hv_end_status(&a->g), 139);
	cr_assert_eq(a->g.exit_signal, 11);
}

Test(forward, exit_process_out_of_range_is_refused_and_the_guest_runs_on)
{
	struct exo_hc_exit_process bad[] = { { .code = 256 }, { .signal = 65 }, { .code = 1, .signal = 9 } };
	for (unsigned i = 0; i < 3; i++) {
		put(BLOCK, &bad[i], sizeof bad[i]);
		cr_assert_eq(hv_hypercall(&a->g, EXO_HC_EXIT_PROCESS, BLOCK), -EXO_EINVAL);
		cr_assert_eq(a->g.end, HV_RUNNING);
	}
}

Test(forward, notice_reaches_the_platform_without_control_characters)
{
	put(BUF, "bad\033[2Jcall\n", 13);
	struct exo_hc_console n = { .buf_gpa = BUF, .len = 12 };
	put(BLOCK, &n, sizeof n);
	cr_assert_eq(hv_hypercall(&a->g, EXO_HC_NOTICE, BLOCK), 0);
	cr_assert_eq(a->notices, 1);
	cr_assert_str_eq(a->notice, "bad?[2Jcall?");
	n.len = EXO_NOTICE_MAX + 1;
	put(BLOCK, &n, sizeof n);
	cr_assert_eq(hv_hypercall(&a->g, EXO_HC_NOTICE, BLOCK), -EXO_E2BIG);
	n = (struct exo_hc_console){ .buf_gpa = PG(50), .len = 4 };
	put(BLOCK, &n, sizeof n);
	cr_assert_eq(hv_hypercall(&a->g, EXO_HC_NOTICE, BLOCK), -EXO_EFAULT);
	cr_assert_eq(a->notices, 1);
}
