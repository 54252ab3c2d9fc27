/* SPDX-License-Identifier: MIT */
/*
 * hv/core/hypercall.c: hypercall dispatch.
 *
 * Each call copies its argument block out of the guest, checks the copy,
 * acts through frames.c, grants.c or doorbell.c, and copies out-fields
 * back (EXO_HC_INFO, which only writes, is inline in hcfast.h). A bad
 * block, vector or buffer is the guest's error (a status it sees in rax),
 * never hv's.
 */
#include "core.h"

static int64_t hc_console(struct hv_guest *g, uint64_t block_gpa)
{
	struct exo_hc_console a;
	char buf[EXO_CONSOLE_MAX];
	if (hv_copy_from_guest(g, &a, block_gpa, sizeof a) < 0)
		return -EXO_EFAULT;
	if (a.len > EXO_CONSOLE_MAX)
		return -EXO_E2BIG;
	if (hv_copy_from_guest(g, buf, a.buf_gpa, a.len) < 0)
		return -EXO_EFAULT;
	hv_plat_console(g, buf, a.len);
	return (int64_t)a.len;
}

static int64_t hc_exit(struct hv_guest *g, uint64_t block_gpa)
{
	struct exo_hc_exit a;
	if (hv_copy_from_guest(g, &a, block_gpa, sizeof a) < 0)
		return -EXO_EFAULT;
	if (a.status > EXO_EXIT_STATUS_MAX) {
		g->end = HV_END_PROTOCOL;
		g->exit_status = a.status;
		return -EXO_EINVAL;
	}
	g->end = HV_END_EXIT;
	g->exit_status = a.status;
	return 0;
}

static int64_t hc_exit_process(struct hv_guest *g, uint64_t block_gpa)
{
	struct exo_hc_exit_process a;
	if (hv_copy_from_guest(g, &a, block_gpa, sizeof a) < 0)
		return -EXO_EFAULT;
	if (a.code > 255 || a.signal > EXO_SIGNAL_MAX || (a.signal && a.code))
		return -EXO_EINVAL;
	g->end = HV_END_EXIT;
	g->exit_status = a.signal ? 128 + a.signal : a.code;
	g->exit_signal = a.signal;
	return 0;
}

/* A line from the guest for exo's stderr: its bytes are the guest's, so
 * control characters (escape sequences, newlines) become '?'. */
static int64_t hc_notice(struct hv_guest *g, uint64_t block_gpa)
{
	struct exo_hc_console a;
	char buf[EXO_NOTICE_MAX + 1];
	if (hv_copy_from_guest(g, &a, block_gpa, sizeof a) < 0)
		return -EXO_EFAULT;
	if (a.len > EXO_NOTICE_MAX)
		return -EXO_E2BIG;
	if (hv_copy_from_guest(g, buf, a.buf_gpa, a.len) < 0)
		return -EXO_EFAULT;
	for (uint64_t i = 0; i < a.len; i++)
		if ((unsigned char)buf[i] < 0x20 || buf[i] == 0x7f)
			buf[i] = '?';
	buf[a.len] = '\0';
	hv_plat_notice(g, buf);
	return 0;
}

static int64_t hc_frames(struct hv_guest *g, uint32_t nr, uint64_t block_gpa)
{
	struct exo_hc_frames a;
	uint64_t vec[EXO_FRAMES_MAX];
	if (hv_copy_from_guest(g, &a, block_gpa, sizeof a) < 0)
		return -EXO_EFAULT;
	if (a.count > EXO_FRAMES_MAX)
		return -EXO_E2BIG;
	uint64_t bytes = (uint64_t)a.count * sizeof vec[0];
	int alloc = nr == EXO_HC_FRAME_ALLOC;
	if (alloc ? a.flags & ~(EXO_FA_NAMED | EXO_FA_NOWAIT) ||
			    a.flags == (EXO_FA_NAMED | EXO_FA_NOWAIT)
		  : a.flags != 0)
		return -EXO_EINVAL;
	int rc;
	a.bad_index = a.count;
	if (alloc && !(a.flags & EXO_FA_NAMED)) {
		/* The vector must be writable guest memory before anything
		 * moves; allocating only adds frames, so it stays writable,
		 * also while the call waits for revoked frames (then the
		 * frames, the vector and the block are written when they come). */
		if (hv_check_gpa(g, a.vec_gpa, bytes) < 0 ||
		    hv_check_gpa(g, block_gpa, sizeof a) < 0)
			return -EXO_EFAULT;
		rc = hv_alloc_or_wait(g, a.count, vec, a.flags & EXO_FA_NOWAIT, a.vec_gpa,
				      block_gpa);
		if (rc == 0 && g->wait_began)
			return 0; /* it waits: the platform resumes it with wake_rax */
		if (rc == 0)
			hv_copy_to_guest(g, a.vec_gpa, vec, bytes);
	} else if (hv_copy_from_guest(g, vec, a.vec_gpa, bytes) < 0) {
		return -EXO_EFAULT;
	} else if (alloc) {
		rc = hv_frames_alloc_named(g, a.count, vec, &a.bad_index);
	} else {
		rc = hv_frames_release(g, a.count, vec, &a.bad_index);
	}
	/* This copy fails only when a release gave back the block's own
	 * frame; the status in rax is then all the guest gets, and needs. */
	hv_copy_to_guest(g, block_gpa, &a, sizeof a);
	return rc < 0 ? rc : (int64_t)a.count;
}

static int64_t hc_fault(struct hv_guest *g, uint64_t block_gpa)
{
	if (hv_copy_from_guest(g, &g->fault, block_gpa, sizeof g->fault) < 0)
		return -EXO_EFAULT;
	g->end = HV_END_FAULT;
	return 0;
}

static int64_t hc_grant(struct hv_guest *g, uint64_t block_gpa)
{
	struct exo_hc_grant a;
	uint64_t vec[EXO_FRAMES_MAX];
	if (hv_copy_from_guest(g, &a, block_gpa, sizeof a) < 0)
		return -EXO_EFAULT;
	if (a.count > EXO_FRAMES_MAX)
		return -EXO_E2BIG;
	if (a.reserved)
		return -EXO_EINVAL;
	if (hv_copy_from_guest(g, vec, a.vec_gpa, (uint64_t)a.count * sizeof vec[0]) < 0)
		return -EXO_EFAULT;
	int rc = hv_grant(g, a.op, a.grantee, a.count, vec, &a.bad_index);
	hv_copy_to_guest(g, block_gpa, &a, sizeof a);
	return rc < 0 ? rc : (int64_t)a.count;
}

static int64_t hc_lookup(struct hv_guest *g, uint64_t block_gpa)
{
	struct exo_hc_lookup a;
	char name[EXO_NAME_MAX];
	if (hv_copy_from_guest(g, &a, block_gpa, sizeof a) < 0)
		return -EXO_EFAULT;
	if (a.len == 0)
		return -EXO_EINVAL;
	if (a.len > EXO_NAME_MAX)
		return -EXO_E2BIG;
	if (hv_copy_from_guest(g, name, a.name_gpa, a.len) < 0)
		return -EXO_EFAULT;
	hv_plat_lock(g->pool);
	struct hv_guest *o = hv_guest_find(g->pool, name, a.len);
	a.id = o ? o->id : 0;
	hv_plat_unlock(g->pool);
	if (!a.id)
		return -EXO_ENOENT;
	return hv_copy_to_guest(g, block_gpa, &a, sizeof a);
}

static int64_t hc_upcall(struct hv_guest *g, uint64_t block_gpa)
{
	struct exo_hc_upcall a;
	if (hv_copy_from_guest(g, &a, block_gpa, sizeof a) < 0)
		return -EXO_EFAULT;
	return hv_upcall_setup(g, &a);
}

static int64_t hc_doorbell(struct hv_guest *g, uint64_t block_gpa)
{
	struct exo_hc_doorbell a;
	if (hv_copy_from_guest(g, &a, block_gpa, sizeof a) < 0)
		return -EXO_EFAULT;
	return hv_doorbell(g, &a);
}

int64_t hv_hypercall(struct hv_guest *g, uint32_t nr, uint64_t block_gpa)
{
	g->stats.hypercalls[nr < EXO_HC_COUNT ? nr : EXO_HC_COUNT]++;
	switch (nr) {
	case EXO_HC_CONSOLE:
		return hc_console(g, block_gpa);
	case EXO_HC_EXIT:
		return hc_exit(g, block_gpa);
	case EXO_HC_FRAME_ALLOC:
	case EXO_HC_FRAME_RELEASE:
		return hc_frames(g, nr, block_gpa);
	case EXO_HC_INFO:
		return hv_hc_info(g, block_gpa);
	case EXO_HC_FAULT:
		return hc_fault(g, block_gpa);
	case EXO_HC_FORWARD:
		return hv_forward(g, block_gpa);
	case EXO_HC_EXIT_PROCESS:
		return hc_exit_process(g, block_gpa);
	case EXO_HC_NOTICE:
		return hc_notice(g, block_gpa);
	case EXO_HC_GRANT:
		return hc_grant(g, block_gpa);
	case EXO_HC_LOOKUP:
		return hc_lookup(g, block_gpa);
	case EXO_HC_DOORBELL:
		return hc_doorbell(g, block_gpa);
	case EXO_HC_UPCALL:
		return hc_upcall(g, block_gpa);
	case EXO_HC_YIELD: /* the platform gives the CPU away (HV_NEXT_YIELD) */
		hv_slice_yield(g);
		return 0;
	default:
		return -EXO_ENOSYS;
	}
}

enum hv_next hv_exit_hypercall_other(struct hv_guest *g, uint32_t nr, uint32_t value, uint64_t *rax)
{
	*rax = (uint64_t)hv_hypercall(g, nr, value);
	return hv_hypercall_outcome(g, nr);
}
