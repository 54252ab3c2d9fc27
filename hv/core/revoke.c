/* SPDX-License-Identifier: MIT */
/*
 * hv/core/revoke.c: memory pressure, visible revocation and the abort
 * protocol (the Exokernel paper's, for frames).
 *
 * An allocation within a guest's cap that finds the pool short does not
 * simply fail: hv asks guests that own more than their fair share to give
 * frames back, and the allocation waits for them. Fair share: a running
 * guest's entitlement is the pool divided in proportion to the guests'
 * caps (--mem); victims are the guests furthest above theirs, and a guest
 * may take from others only up to its own. A request is written into the
 * victim's exo page and raised as its revocation upcall; the victim picks
 * the frames (its policy, not hv's) and releases them. What it has not
 * given by the deadline hv takes (abort): the highest-numbered frames it
 * owns that are not pinned, each recorded in its repossession bitmap,
 * after which hv raises EXO_VEC_ABORT in it. Waiting allocations are
 * served first come, first served, from frames as they come free; until
 * then the frames they are owed are reserved (frames.c's within_cap).
 *
 * Everything here is under the pool lock. Abort runs in the victim's own
 * context (its deadline), so its frames still change owner only on its
 * own vCPU; a waiting allocation is completed by whichever guest freed the
 * frames, writing into the waiter's own frames while it is blocked.
 */
#include "core.h"

static void set_bit(uint8_t *bm, uint64_t f, int on)
{
	if (on)
		bm[f / 8] |= (uint8_t)(1u << (f % 8));
	else
		bm[f / 8] &= (uint8_t)~(1u << (f % 8));
}

static int bit(const uint8_t *bm, uint64_t f)
{
	return bm && (bm[f / 8] >> (f % 8)) & 1;
}

void hv_timers_arm(struct hv_guest *g)
{
	uint64_t at = 0;
	uint64_t t[4] = { g->wait_until, g->alloc_until, g->revoke_until, g->yield_until };
	for (int i = 0; i < 4; i++)
		if (t[i] && (!at || t[i] < at))
			at = t[i];
	if (!at) {
		hv_plat_deadline(g, 0); /* nothing due: no needless exit */
		return;
	}
	uint64_t now = hv_plat_now_ns();
	hv_plat_deadline(g, at > now ? at - now : 1);
}

static void publish_request(struct hv_guest *v)
{
	if (v->exo)
		v->exo->revoke_frames = v->revoke_owed;
}

/* Every running guest's entitlement: the pool in proportion to caps. */
static uint64_t entitlement(const struct hv_pool *p, const struct hv_guest *g, uint64_t caps)
{
	uint64_t cap = g->cap_frames < p->nframes ? g->cap_frames : p->nframes;
	/* nframes and cap are below 2^28 (1 TiB of frames): the product fits */
	return caps ? p->nframes * cap / caps : 0;
}

/* Ask victims for need frames on g's behalf: 0 once asked, -EXO_ENOMEM
 * (nothing asked) if g is at its share or others' excess is too small. */
static int ask_victims(struct hv_guest *g, uint64_t n, uint64_t need)
{
	struct hv_pool *p = g->pool;
	uint64_t caps = 0, excess = 0;
	for (uint32_t id = 1; id < EXO_GUESTS_MAX; id++) {
		struct hv_guest *v = hv_guest_get(p, id);
		if (v)
			caps += v->cap_frames < p->nframes ? v->cap_frames : p->nframes;
	}
	if (g->owned + n > entitlement(p, g, caps))
		return -EXO_ENOMEM;
	uint64_t over[EXO_GUESTS_MAX] = { 0 };
	for (uint32_t id = 1; id < EXO_GUESTS_MAX; id++) {
		struct hv_guest *v = hv_guest_get(p, id);
		if (!v || v == g)
			continue;
		uint64_t keep = entitlement(p, v, caps) + v->revoke_owed;
		over[id] = v->owned > keep ? v->owned - keep : 0;
		excess += over[id];
	}
	if (excess < need)
		return -EXO_ENOMEM;
	uint64_t now = hv_plat_now_ns();
	while (need) {
		uint32_t best = 0;
		for (uint32_t id = 1; id < EXO_GUESTS_MAX; id++)
			if (over[id] > over[best])
				best = id;
		struct hv_guest *v = p->guest[best];
		uint64_t k = over[best] < need ? over[best] : need;
		over[best] = 0;
		need -= k;
		v->revoke_owed += k;
		p->owed += k;
		v->stats.revoke_asked += k;
		if (v->exo) {
			v->exo->revoke_seq++;
			v->exo->revoke_deadline_ns = HV_REVOKE_GRACE_NS;
		}
		publish_request(v);
		if (!v->revoke_until) {
			v->revoke_until = now + HV_REVOKE_GRACE_NS;
			hv_timers_arm(v);
		}
		if (v->revoke_vector)
			hv_plat_inject(v, v->revoke_vector);
		/* A victim asleep in EXO_DB_WAIT could not answer before its
		 * deadline: its WAIT ends now, as if it had timed out. */
		if (v->blocked && !v->alloc_waiting) {
			v->blocked = 0;
			v->wake_rax = 0;
			v->wait_until = 0;
			hv_plat_wake(v);
		}
	}
	return 0;
}

/* Give waiting allocations the frames that came free, in arrival order. */
static void serve_waiters(struct hv_pool *p)
{
	static uint64_t vec[EXO_FRAMES_MAX]; /* under the pool lock */
	while (p->nwaiters) {
		struct hv_guest *w = p->guest[p->waiter[0]];
		if (w->alloc_n > p->nfree)
			return;
		p->reserved -= w->alloc_n;
		int rc = hv_frames_alloc_any_locked(w, w->alloc_n, vec);
		if (rc == 0) {
			struct exo_hc_frames a;
			hv_copy_to_guest(w, w->alloc_vec_gpa, vec, w->alloc_n * sizeof vec[0]);
			if (hv_copy_from_guest(w, &a, w->alloc_block_gpa, sizeof a) == 0) {
				a.bad_index = w->alloc_n;
				hv_copy_to_guest(w, w->alloc_block_gpa, &a, sizeof a);
			}
		}
		p->nwaiters--;
		for (uint32_t i = 0; i < p->nwaiters; i++)
			p->waiter[i] = p->waiter[i + 1];
		w->alloc_waiting = 0;
		w->alloc_until = 0;
		w->blocked = 0;
		w->wake_rax = rc < 0 ? (uint64_t)(int64_t)rc : w->alloc_n;
		hv_plat_wake(w);
	}
}

static void drop_waiter(struct hv_guest *w)
{
	struct hv_pool *p = w->pool;
	uint32_t j = 0;
	for (uint32_t i = 0; i < p->nwaiters; i++)
		if (p->waiter[i] != w->id)
			p->waiter[j++] = p->waiter[i];
	p->nwaiters = j;
	p->reserved -= w->alloc_n;
	w->alloc_waiting = 0;
	w->alloc_until = 0;
}

int hv_alloc_or_wait(struct hv_guest *g, uint64_t n, uint64_t *out, int nowait,
		     uint64_t vec_gpa, uint64_t block_gpa)
{
	struct hv_pool *p = g->pool;
	hv_plat_lock(p);
	int rc = hv_frames_alloc_any_locked(g, n, out);
	if (rc != -EXO_ENOMEM || n > g->cap_frames - g->owned || n > p->nframes)
		goto out;
	/* Short of frames: what is free, or owed already, may cover it. */
	uint64_t coming = p->nfree + p->owed, demand = p->reserved + n;
	if (demand > coming && (rc = ask_victims(g, n, demand - coming)) < 0)
		goto out;
	if (nowait) {
		rc = -EXO_EAGAIN;
		goto out;
	}
	g->alloc_waiting = 1;
	g->alloc_n = n;
	g->alloc_vec_gpa = vec_gpa;
	g->alloc_block_gpa = block_gpa;
	g->alloc_until = hv_plat_now_ns() + HV_ALLOC_WAIT_NS;
	g->blocked = g->wait_began = 1;
	g->wake_rax = (uint64_t)(int64_t)-EXO_ENOMEM;
	g->stats.waited++;
	p->reserved += n;
	p->waiter[p->nwaiters++] = g->id;
	hv_timers_arm(g);
	rc = 0;
out:
	hv_plat_unlock(p);
	return rc;
}

void hv_revoke_released(struct hv_guest *g, uint64_t n)
{
	struct hv_pool *p = g->pool;
	if (g->revoke_owed) {
		uint64_t k = n && n < g->revoke_owed ? n : g->revoke_owed;
		g->revoke_owed -= k;
		p->owed -= k;
		if (n)
			g->stats.revoke_given += k;
		if (!g->revoke_owed) {
			g->revoke_until = 0;
			hv_timers_arm(g);
			if (n)
				g->stats.revoke_in_time++;
		}
		publish_request(g);
	}
	serve_waiters(p);
}

/* Take what g still owes: its highest-numbered unpinned frames. */
static void abort_guest(struct hv_guest *g)
{
	struct hv_pool *p = g->pool;
	uint64_t want = g->revoke_owed, took = 0;
	for (uint64_t f = p->nframes; f-- > 0 && took < want;) {
		if (p->owner[f] != g->id || bit(g->pinned_bitmap, f))
			continue;
		hv_frames_give_back(g, f, 1);
		set_bit(g->repossessed_bitmap, f, 1);
		took++;
	}
	g->stats.revoke_aborted += took;
	if (g->exo) {
		g->exo->frames_owned = g->owned;
		g->exo->frames_repossessed += took;
	}
	p->owed -= g->revoke_owed;
	g->revoke_owed = 0;
	g->revoke_until = 0;
	publish_request(g);
	if (took)
		hv_plat_exception(g, EXO_VEC_ABORT);
	serve_waiters(p);
}

int hv_guest_deadline(struct hv_guest *g)
{
	struct hv_pool *p = g->pool;
	int preempt = 0;
	hv_plat_lock(p);
	uint64_t now = hv_plat_now_ns();
	if (g->wait_until && now >= g->wait_until) {
		g->wait_until = 0;
		if (g->blocked && !g->alloc_waiting) {
			g->blocked = 0;
			g->wake_rax = 0;
		}
	}
	if (g->alloc_until && now >= g->alloc_until && g->alloc_waiting) {
		drop_waiter(g);
		g->blocked = 0;
		g->wake_rax = (uint64_t)(int64_t)-EXO_ENOMEM;
		serve_waiters(p); /* the frames it was owed may serve the next */
	}
	if (g->revoke_until && now >= g->revoke_until && g->revoke_owed)
		abort_guest(g);
	if (g->yield_until && now >= g->yield_until && g->slice_ending) {
		g->slice_ending = 0;
		g->yield_until = 0;
		g->stats.preempted++;
		preempt = 1;
	}
	hv_timers_arm(g);
	hv_plat_unlock(p);
	return preempt;
}

void hv_pin_owned(struct hv_guest *g)
{
	struct hv_pool *p = g->pool;
	hv_plat_lock(p);
	for (uint64_t f = 0; f < p->nframes; f++)
		if (p->owner[f] == g->id)
			set_bit(g->pinned_bitmap, f, 1);
	hv_plat_unlock(p);
}

static int vector_ok(uint32_t v)
{
	return v == 0 || (v >= EXO_DB_VECTOR_MIN && v <= 255);
}

int64_t hv_upcall_setup(struct hv_guest *g, const struct exo_hc_upcall *a)
{
	if (!vector_ok(a->revoke_vector) || !vector_ok(a->slice_vector))
		return -EXO_EINVAL;
	hv_plat_lock(g->pool);
	g->revoke_vector = a->revoke_vector;
	g->slice_vector = a->slice_vector;
	/* A request made before the guest could hear it is raised now. */
	if (g->revoke_owed && g->revoke_vector)
		hv_plat_inject(g, g->revoke_vector);
	hv_plat_unlock(g->pool);
	return 0;
}
