/* SPDX-License-Identifier: MIT */
/*
 * hv/core/doorbell.c: one guest interrupts another (EXO_HC_DOORBELL).
 *
 * A doorbell is an interrupt vector the guest chose and a pending set in
 * one of its own frames: a bit per guest id, which hv only ever sets,
 * atomically, so the guest may clear bits while hv sets others and hv
 * never reads the guest's memory to decide anything. A ring is allowed
 * only between guests that share a frame: the grant is the relationship,
 * as Aegis ties an event to a capability. WAIT is a guest's way to give up
 * the CPU until something happens: the platform holds its vCPU
 * (HV_NEXT_BLOCKED) until a ring (hv_plat_wake) or the timeout
 * (wait_until, through revoke.c's timers and hv_guest_deadline). All
 * state here is under the pool lock.
 */
#include "core.h"

static int64_t setup(struct hv_guest *g, const struct exo_hc_doorbell *a)
{
	uint64_t bytes = EXO_GUESTS_MAX / 8, gpa = a->pending_gpa;
	if (a->vector == 0) {
		hv_plat_lock(g->pool);
		g->db_vector = 0;
		g->db_rung = 0;
		hv_plat_unlock(g->pool);
		return 0;
	}
	if (a->vector < EXO_DB_VECTOR_MIN || a->vector > 255 || gpa % 8 ||
	    gpa / EXO_PAGE_SIZE != (gpa + bytes - 1) / EXO_PAGE_SIZE)
		return -EXO_EINVAL;
	/* The frame is g's and only g changes that: checked once, here; a
	 * release of it turns the doorbell off (hv_doorbell_frame_gone). */
	if (hv_check_gpa(g, gpa, bytes) < 0)
		return -EXO_EFAULT;
	hv_plat_lock(g->pool);
	g->db_vector = a->vector;
	g->db_pending_gpa = gpa;
	g->db_rung = 0;
	hv_plat_unlock(g->pool);
	return 0;
}

static int64_t ring(struct hv_guest *g, const struct exo_hc_doorbell *a)
{
	struct hv_pool *p = g->pool;
	if (a->target == g->id)
		return -EXO_EINVAL;
	hv_plat_lock(p);
	struct hv_guest *t = hv_guest_get(p, a->target);
	int64_t rc = 0;
	if (!t || !t->db_vector) {
		rc = -EXO_ENOENT;
	} else if (!g->shares[t->id]) {
		rc = -EXO_EPERM;
	} else {
		uint64_t *word = (uint64_t *)(p->host + t->db_pending_gpa) + g->id / 64;
		__atomic_fetch_or(word, 1ull << (g->id % 64), __ATOMIC_SEQ_CST);
		if (t->blocked && !t->alloc_waiting) {
			t->blocked = 0;
			t->wake_rax = 1;
			t->wait_until = 0;
			hv_plat_wake(t);
		} else {
			t->db_rung = 1;
		}
		hv_plat_inject(t, t->db_vector);
	}
	hv_plat_unlock(p);
	return rc;
}

static int64_t wait(struct hv_guest *g, const struct exo_hc_doorbell *a)
{
	int64_t rc = 0;
	hv_plat_lock(g->pool);
	if (g->db_rung) {
		g->db_rung = 0;
		rc = 1;
	} else if (a->timeout_ns) {
		if (g->slice_ending) { /* giving up the CPU answers the upcall */
			g->slice_ending = 0;
			g->yield_until = 0;
			g->stats.slice_in_time++;
		}
		g->blocked = g->wait_began = 1;
		g->wake_rax = 0;
		uint64_t now = hv_plat_now_ns();
		g->wait_until = a->timeout_ns > UINT64_MAX - now ? UINT64_MAX : now + a->timeout_ns;
		hv_timers_arm(g);
	}
	hv_plat_unlock(g->pool);
	return rc;
}

int64_t hv_doorbell(struct hv_guest *g, const struct exo_hc_doorbell *a)
{
	if (a->reserved)
		return -EXO_EINVAL;
	switch (a->op) {
	case EXO_DB_SETUP:
		return setup(g, a);
	case EXO_DB_RING:
		return ring(g, a);
	case EXO_DB_WAIT:
		return wait(g, a);
	}
	return -EXO_EINVAL;
}

void hv_doorbell_frame_gone(struct hv_guest *g, uint64_t f)
{
	if (g->db_vector && g->db_pending_gpa / EXO_PAGE_SIZE == f)
		g->db_vector = 0;
}
