/* SPDX-License-Identifier: MIT */
/*
 * hv/core/frames.c: the frame pool's ownership table.
 *
 * One owner id per frame is the whole truth about who may touch what. Every
 * change goes through here so that three views stay equal: the table, the
 * guest's count and ownership bitmap in its exo page, and the platform's
 * bindings (hv_plat_bind / hv_plat_unbind). Calls are all or nothing: all
 * arguments are checked before the first frame changes hands. A frame
 * leaves its owner in one order: its grants are revoked (unbound from the
 * grantees), it is unbound from the owner, scrubbed, and only then free.
 * Every entry point takes the pool lock.
 */
#include "config.h"
#include "core.h"

#ifdef CONFIG_DEBUG_CHECKS
#define HV_DEBUG_CHECKS 1
#else
#define HV_DEBUG_CHECKS 0
#endif

uint32_t hv_frame_owner(const struct hv_pool *pool, uint64_t f)
{
	return pool->owner[f];
}

static void set_bit(uint8_t *bm, uint64_t f, int on)
{
	if (!bm)
		return;
	if (on)
		bm[f / 8] |= (uint8_t)(1u << (f % 8));
	else
		bm[f / 8] &= (uint8_t)~(1u << (f % 8));
}

/* A frame the guest owns again is no longer one it lost; one it gives up
 * is no longer pinned. */
static void mark(struct hv_guest *g, uint64_t f, uint32_t owner)
{
	g->pool->owner[f] = owner;
	set_bit(g->bitmap, f, owner != HV_FRAME_FREE);
	if (owner)
		set_bit(g->repossessed_bitmap, f, 0);
	else
		set_bit(g->pinned_bitmap, f, 0);
}

/* Debug checks: the table, the guest's count, its bitmap and the pool's
 * free count must agree. A mismatch is a bug in hv, and continuing could
 * hand one guest's frame to another. The walk is over the whole pool, so
 * it runs when a guest's frames all go (hv_guest_release_all), not on
 * every change: with many guests on a large pool, a walk per allocation
 * was most of exo's run time. Every change checks the counts. */
static void verify(const struct hv_guest *g)
{
	const struct hv_pool *p = g->pool;
	uint64_t mine = 0, free = 0;
	for (uint64_t f = 0; f < p->nframes; f++) {
		mine += p->owner[f] == g->id;
		free += p->owner[f] == HV_FRAME_FREE;
		if (f < p->scan && p->owner[f] == HV_FRAME_FREE)
			hv_plat_panic("a free frame below the allocation scan");
		if (g->bitmap && ((g->bitmap[f / 8] >> (f % 8)) & 1) != (p->owner[f] == g->id))
			hv_plat_panic("ownership bitmap disagrees with the table");
	}
	if (mine != g->owned || free != p->nfree || g->owned > g->cap_frames)
		hv_plat_panic("frame counts disagree with the ownership table");
}

static void published(struct hv_guest *g)
{
	if (g->exo)
		g->exo->frames_owned = g->owned;
	if (HV_DEBUG_CHECKS && (g->owned > g->cap_frames || g->pool->nfree > g->pool->nframes))
		hv_plat_panic("frame counts out of range");
}

/* The end of the run of consecutive frame numbers that starts at f[i]:
 * binding a run is one platform call, however the vector is ordered. */
uint64_t hv_run_end(const uint64_t *f, uint64_t i, uint64_t n)
{
	uint64_t j = i + 1;
	while (j < n && f[j] == f[j - 1] + 1)
		j++;
	return j;
}

static void unbind_runs(struct hv_guest *g, uint64_t n, const uint64_t *f)
{
	for (uint64_t i = 0, j; i < n; i = j) {
		j = hv_run_end(f, i, n);
		hv_plat_unbind(g, f[i], j - i);
	}
}

/* On failure unbinds what it bound: nothing changes. */
static int bind_runs(struct hv_guest *g, uint64_t n, const uint64_t *f)
{
	for (uint64_t i = 0, j; i < n; i = j) {
		j = hv_run_end(f, i, n);
		int rc = hv_plat_bind(g, f[i], j - i, 1);
		if (rc < 0) {
			unbind_runs(g, i, f);
			return rc;
		}
	}
	return 0;
}

/* Frames waiting guests are owed (revoke.c) are not for anyone else. */
static int within_cap(const struct hv_guest *g, uint64_t n)
{
	const struct hv_pool *p = g->pool;
	uint64_t reserved = g->alloc_waiting ? 0 : p->reserved;
	return n + reserved <= p->nfree && n <= g->cap_frames - g->owned;
}

/* Hand the (already chosen, all free) frames to g. */
static int take(struct hv_guest *g, uint64_t n, const uint64_t *f)
{
	int rc = bind_runs(g, n, f);
	if (rc < 0)
		return rc;
	for (uint64_t i = 0; i < n; i++)
		mark(g, f[i], g->id);
	g->owned += n;
	g->pool->nfree -= n;
	if (g->owned > g->stats.peak_owned)
		g->stats.peak_owned = g->owned;
	published(g);
	return 0;
}

int hv_frames_alloc_any_locked(struct hv_guest *g, uint64_t n, uint64_t *out)
{
	struct hv_pool *p = g->pool;
	if (!within_cap(g, n))
		return -EXO_ENOMEM;
	/* Lowest free first: hypercall blocks must sit below 4 GiB, and a
	 * guest's early frames are where it puts them. No frame below
	 * p->scan is free (releases lower it), so the search starts there. */
	uint64_t got = 0;
	for (uint64_t f = p->scan; f < p->nframes && got < n; f++)
		if (p->owner[f] == HV_FRAME_FREE)
			out[got++] = f;
	if (got < n)
		return -EXO_ENOMEM; /* nfree says otherwise: table corrupt */
	int rc = take(g, n, out);
	if (rc == 0 && n)
		p->scan = out[n - 1] + 1;
	return rc;
}

int hv_frames_alloc_any(struct hv_guest *g, uint64_t n, uint64_t *out)
{
	hv_plat_lock(g->pool);
	int rc = hv_frames_alloc_any_locked(g, n, out);
	hv_plat_unlock(g->pool);
	return rc;
}

static int alloc_contig(struct hv_guest *g, uint64_t n, uint64_t *first)
{
	struct hv_pool *p = g->pool;
	if (n == 0 || !within_cap(g, n))
		return -EXO_ENOMEM;
	uint64_t run = 0;
	for (uint64_t f = 0; f < p->nframes; f++) {
		run = p->owner[f] == HV_FRAME_FREE ? run + 1 : 0;
		if (run == n) {
			uint64_t start = f + 1 - n;
			int rc = hv_plat_bind(g, start, n, 1);
			if (rc < 0)
				return rc;
			for (uint64_t i = start; i <= f; i++)
				mark(g, i, g->id);
			g->owned += n;
			if (g->owned > g->stats.peak_owned)
				g->stats.peak_owned = g->owned;
			p->nfree -= n;
			published(g);
			*first = start;
			return 0;
		}
	}
	return -EXO_ENOMEM;
}

int hv_frames_alloc_contig(struct hv_guest *g, uint64_t n, uint64_t *first)
{
	hv_plat_lock(g->pool);
	int rc = alloc_contig(g, n, first);
	hv_plat_unlock(g->pool);
	return rc;
}

/* Check that every frame in f[] exists, is owned by `expect` (a guest id,
 * or free) and is named once; a failure gives `busy` or `twice` and the
 * index. Repeats are found without extra memory: the owner table is
 * borrowed, marking each checked frame with an id no guest has, and
 * restored before returning. */
#define HV_MARK_ID 0xffffffffu

int hv_frames_check(struct hv_pool *p, uint64_t n, const uint64_t *f, uint32_t expect,
		    int busy, int twice, uint64_t *bad)
{
	int rc = 0;
	uint64_t i;
	for (i = 0; i < n; i++) {
		if (f[i] >= p->nframes)
			rc = -EXO_ERANGE;
		else if (p->owner[f[i]] == HV_MARK_ID)
			rc = twice;
		else if (p->owner[f[i]] != expect)
			rc = busy;
		if (rc < 0)
			break;
		p->owner[f[i]] = HV_MARK_ID;
	}
	for (uint64_t k = 0; k < i; k++)
		p->owner[f[k]] = expect;
	*bad = i;
	return rc;
}

int hv_frames_alloc_named(struct hv_guest *g, uint64_t n, const uint64_t *want,
			  uint64_t *bad)
{
	hv_plat_lock(g->pool);
	int rc = hv_frames_check(g->pool, n, want, HV_FRAME_FREE, -EXO_EBUSY, -EXO_EINVAL, bad);
	if (rc == 0 && !within_cap(g, n)) {
		*bad = n;
		rc = -EXO_ENOMEM;
	}
	if (rc == 0)
		rc = take(g, n, want);
	hv_plat_unlock(g->pool);
	return rc;
}

/* Frames [first, first+n) of g leave it, in the order the top of this
 * file gives. */
void hv_frames_give_back(struct hv_guest *g, uint64_t first, uint64_t n)
{
	struct hv_pool *p = g->pool;
	hv_grants_drop_frames(p, first, n);
	for (uint64_t f = first; f < first + n; f++)
		hv_doorbell_frame_gone(g, f);
	hv_plat_unbind(g, first, n);
	hv_plat_scrub(p, first, n);
	for (uint64_t f = first; f < first + n; f++)
		mark(g, f, HV_FRAME_FREE);
	if (first < p->scan)
		p->scan = first;
	g->owned -= n;
	p->nfree += n;
}

int hv_frames_release(struct hv_guest *g, uint64_t n, const uint64_t *frames,
		      uint64_t *bad)
{
	struct hv_pool *p = g->pool;
	hv_plat_lock(p);
	int rc = hv_frames_check(p, n, frames, g->id, -EXO_EPERM, -EXO_EPERM, bad);
	if (rc == 0) {
		for (uint64_t i = 0, j; i < n; i = j) {
			j = hv_run_end(frames, i, n);
			hv_frames_give_back(g, frames[i], j - i);
		}
		published(g);
		hv_revoke_released(g, n);
	}
	hv_plat_unlock(p);
	return rc;
}

void hv_guest_release_all(struct hv_guest *g)
{
	struct hv_pool *p = g->pool;
	uint64_t f = 0;
	hv_plat_lock(p);
	if (HV_DEBUG_CHECKS)
		verify(g);
	while (f < p->nframes) {
		if (p->owner[f] != g->id) {
			f++;
			continue;
		}
		uint64_t start = f;
		while (f < p->nframes && p->owner[f] == g->id)
			f++;
		hv_frames_give_back(g, start, f - start);
	}
	published(g);
	hv_revoke_released(g, 0);
	hv_plat_unlock(p);
}
