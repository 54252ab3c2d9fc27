/* SPDX-License-Identifier: MIT */
/*
 * hv/core/check.c: the checks every guest-supplied frame number and
 * guest-physical address goes through.
 *
 * hv_gpa_ptr is the only function in hv that turns a guest address into a
 * host pointer; it and hv_check_gpa are inline, in core.h. Callers copy
 * what they need out of the guest first and then check the copy
 * (hv_copy_from_guest), so a guest that rewrites its memory while hv works
 * cannot change what hv already checked.
 */
#include <string.h>

#include "core.h"

int hv_check_frame(const struct hv_guest *g, uint64_t f)
{
	if (f >= g->pool->nframes)
		return -EXO_ERANGE;
	if (g->pool->owner[f] != g->id)
		return -EXO_EPERM;
	return 0;
}

int hv_copy_from_guest(const struct hv_guest *g, void *dst, uint64_t gpa,
		       uint64_t len)
{
	const void *src = hv_gpa_ptr(g, gpa, len);
	if (!src)
		return -EXO_EFAULT;
	memcpy(dst, src, len);
	return 0;
}

int hv_copy_to_guest(const struct hv_guest *g, uint64_t gpa, const void *src,
		     uint64_t len)
{
	void *dst = hv_gpa_ptr(g, gpa, len);
	if (!dst)
		return -EXO_EFAULT;
	memcpy(dst, src, len);
	return 0;
}
