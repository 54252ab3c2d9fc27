/* SPDX-License-Identifier: MIT */
/*
 * hv/core/slice.c: CPU time, revoked the visible way.
 *
 * The platform runs guests and accounts their CPU time (kvm: each vCPU
 * thread's CPU clock; metal: its run queue's TSC slices) and tells hv/core
 * when a guest has used a slice. A guest that named a slice-end vector
 * (EXO_HC_UPCALL) gets that upcall and a grace period to save what it must
 * and yield (EXO_HC_YIELD); one that does not yield in time, or has no
 * vector, is preempted: the platform takes the CPU and gives it to the
 * others. hv/core only decides and counts; the platform's scheduler (or
 * Linux's, on kvm) does the rest. Under the pool lock, as the timers are.
 */
#include "core.h"

int hv_slice_end(struct hv_guest *g)
{
	int preempt = 0;
	hv_plat_lock(g->pool);
	g->stats.slices++;
	if (g->exo)
		g->exo->slices = g->stats.slices;
	if (g->slice_ending) {
		/* A slice ended inside the last one's grace: the grace's own
		 * deadline decides. */
	} else if (g->slice_vector) {
		g->slice_ending = 1;
		g->stats.slice_upcalls++;
		g->yield_until = hv_plat_now_ns() + HV_SLICE_GRACE_NS;
		hv_timers_arm(g);
		hv_plat_inject(g, g->slice_vector);
	} else {
		g->stats.preempted++;
		preempt = 1;
	}
	hv_plat_unlock(g->pool);
	return preempt;
}

/* A guest that gives up the CPU in its grace (a yield, or a WAIT that
 * blocks) answered the upcall in time. */
void hv_slice_yield(struct hv_guest *g)
{
	hv_plat_lock(g->pool);
	if (g->slice_ending) {
		g->slice_ending = 0;
		g->yield_until = 0;
		g->stats.slice_in_time++;
		hv_timers_arm(g);
	}
	hv_plat_unlock(g->pool);
}
