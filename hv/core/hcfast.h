/* SPDX-License-Identifier: MIT */
/*
 * hv/core/hcfast.h: a hypercall exit, inline, and EXO_HC_INFO whole.
 *
 * EXO_HC_INFO is the call libraries poll and the one whose round trip
 * docs/limits.md measures (hc0). A platform that decodes its own exits
 * (hv/metal's metal_vm_fast) inlines hv_exit_hypercall, and so INFO's
 * accounting, check, stores and outcome, into its exit path: no call, no
 * stack frame. Every other call goes out of line, to hypercall.c, which
 * also runs INFO through hv_hc_info here: one implementation. hv_exit
 * (exit.c) takes the same path for every platform's hypercall exits.
 */
#ifndef HV_CORE_HCFAST_H
#define HV_CORE_HCFAST_H

/* Included at the end of core.h, for everything declared there. */

/* An 8-byte store to guest memory that need not be aligned: one mov, also
 * where memcpy is not a builtin (hv/metal is freestanding). */
static inline void hv_put64(uint8_t *to, uint64_t v)
{
	__builtin_memcpy(to, &v, sizeof v);
}

/* EXO_HC_INFO: the block is checked once and written in place, a store
 * per field (it only writes: nothing to copy first). Every field: a field
 * added to the struct must be added here. */
_Static_assert(sizeof(struct exo_hc_info) == 5 * sizeof(uint64_t),
	       "hv_hc_info writes every field of struct exo_hc_info");
static inline int64_t hv_hc_info(struct hv_guest *g, uint64_t block_gpa)
{
	uint8_t *to = hv_gpa_ptr(g, block_gpa, sizeof(struct exo_hc_info));
	if (!to)
		return -EXO_EFAULT;
	hv_put64(to + offsetof(struct exo_hc_info, pool_frames), g->pool->nframes);
	hv_put64(to + offsetof(struct exo_hc_info, frames_owned), g->owned);
	hv_put64(to + offsetof(struct exo_hc_info, mem_cap_frames), g->cap_frames);
	hv_put64(to + offsetof(struct exo_hc_info, exo_page_gpa), g->exo_gpa);
	hv_put64(to + offsetof(struct exo_hc_info, exits), g->stats.exits_total);
	return 0;
}

/* What the platform does after call nr returned. */
static inline enum hv_next hv_hypercall_outcome(struct hv_guest *g, uint32_t nr)
{
	if (nr == EXO_HC_YIELD)
		return HV_NEXT_YIELD;
	if (g->end != HV_RUNNING)
		return HV_NEXT_ENDED;
	if (g->wait_began) {
		g->wait_began = 0;
		return HV_NEXT_BLOCKED;
	}
	return HV_NEXT_RESUME;
}

/* hv_exit_hypercall for every call but EXO_HC_INFO (hypercall.c). */
enum hv_next hv_exit_hypercall_other(struct hv_guest *g, uint32_t nr, uint32_t value,
				     uint64_t *rax);

/* A hypercall exit as hv_exit takes it (counted, run, what next), for a
 * platform that decodes its exits itself: a 4-byte OUT, not a string one,
 * of value to port EXO_HC_PORT + nr, nr < EXO_HC_PORT_SPAN (the caller
 * checked that, as hv_exit does; any other port I/O goes to hv_exit). The
 * result goes to *rax. */
static inline enum hv_next hv_exit_hypercall(struct hv_guest *g, uint32_t nr, uint32_t value,
					     uint64_t *rax)
{
	hv_count_exit(&g->stats, HV_EXIT_HYPERCALL);
	if (nr != EXO_HC_INFO)
		return hv_exit_hypercall_other(g, nr, value, rax);
	g->stats.hypercalls[EXO_HC_INFO]++;
	*rax = (uint64_t)hv_hc_info(g, value);
	return hv_hypercall_outcome(g, nr);
}

#endif
