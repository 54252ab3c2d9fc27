/* SPDX-License-Identifier: MIT */
/*
 * hv/core/guests.c: the pool and the guest table.
 *
 * A guest enters the table when it is created (its id is the lowest free
 * one, its name must be unique among the guests in the table) and leaves
 * it once it has ended and hv has taken back everything it had: grants to
 * and from it, then its frames. Only then is its id free again, so an id
 * in a grant or a doorbell's pending set never names a newer guest while
 * the old one's grants remain. Lookups by name or id see only running
 * guests: one that ended is in the table until removed, but nobody can
 * start talking to it.
 */
#include <string.h>

#include "core.h"

static uint64_t bitmap_bytes(uint64_t nframes)
{
	uint64_t b = (nframes + 7) / 8;
	return (b + EXO_PAGE_SIZE - 1) / EXO_PAGE_SIZE * EXO_PAGE_SIZE;
}

uint64_t hv_exo_area_bytes(uint64_t nframes)
{
	return EXO_PAGE_SIZE + 5 * bitmap_bytes(nframes);
}

void hv_pool_init(struct hv_pool *pool, uint64_t nframes, uint32_t *owner,
		  uint8_t *host, uint32_t *grant_head, struct hv_grant *grant,
		  uint32_t grants_max)
{
	void *plat = pool->plat;
	/* Entry 0 means "none". Entries are handed out from the free list,
	 * then from grant_fresh up: nothing is written into the table here,
	 * so a large one costs no start time (its pages are touched only
	 * when grants use them). */
	*pool = (struct hv_pool){
		.nframes = nframes, .nfree = nframes, .owner = owner, .host = host,
		.grant_head = grant_head, .grant = grant, .grants_max = grants_max,
		.grant_fresh = 1, .plat = plat,
	};
}

/* A name is printed in reports and prefixes every line of its guest's
 * output, and looked up byte for byte: printable, no spaces or slashes. */
static int name_ok(const char *name, uint64_t *len)
{
	uint64_t n = 0;
	for (; name[n]; n++)
		if (n == EXO_NAME_MAX || name[n] <= ' ' || name[n] >= 0x7f || name[n] == '/')
			return 0;
	*len = n;
	return n > 0;
}

static int same_name(const struct hv_guest *g, const char *name, uint64_t len)
{
	for (uint64_t i = 0; i < len; i++)
		if (g->name[i] != name[i])
			return 0;
	return g->name[len] == '\0';
}

struct hv_guest *hv_guest_find(struct hv_pool *pool, const char *name, uint64_t len)
{
	for (uint32_t id = 1; id < EXO_GUESTS_MAX; id++) {
		struct hv_guest *g = pool->guest[id];
		if (g && g->end == HV_RUNNING && same_name(g, name, len))
			return g;
	}
	return 0;
}

struct hv_guest *hv_guest_get(struct hv_pool *pool, uint64_t id)
{
	if (id == 0 || id >= EXO_GUESTS_MAX)
		return 0;
	struct hv_guest *g = pool->guest[id];
	return g && g->end == HV_RUNNING ? g : 0;
}

int hv_guest_add(struct hv_guest *g, struct hv_pool *pool, const char *name,
		 uint64_t cap_frames, uint8_t *exo_area, uint64_t exo_gpa)
{
	uint64_t len;
	if (!name_ok(name, &len))
		return -EXO_EINVAL;
	void *plat = g->plat;
	*g = (struct hv_guest){ .pool = pool, .cap_frames = cap_frames, .plat = plat };
	for (uint64_t i = 0; i < len; i++)
		g->name[i] = name[i];
	uint64_t bm = bitmap_bytes(pool->nframes);
	memset(exo_area, 0, hv_exo_area_bytes(pool->nframes));
	g->exo = (struct exo_page *)exo_area;
	g->bitmap = exo_area + EXO_PAGE_SIZE;
	g->grant_bitmap = g->bitmap + bm;
	g->grant_rw_bitmap = g->grant_bitmap + bm;
	g->repossessed_bitmap = g->grant_rw_bitmap + bm;
	g->pinned_bitmap = g->repossessed_bitmap + bm;
	g->exo_gpa = exo_gpa;

	hv_plat_lock(pool);
	int rc = -EXO_ENOMEM;
	for (uint32_t id = 1; id < EXO_GUESTS_MAX; id++) {
		struct hv_guest *o = pool->guest[id];
		if (o && same_name(o, name, len)) {
			rc = -EXO_EBUSY;
			break;
		}
		if (!o && !g->id)
			g->id = id;
	}
	if (rc != -EXO_EBUSY && g->id) {
		pool->guest[g->id] = g;
		pool->nguests++;
		rc = 0;
	} else {
		g->id = 0;
	}
	hv_plat_unlock(pool);
	return rc;
}

void hv_guest_remove(struct hv_guest *g)
{
	struct hv_pool *p = g->pool;
	if (!g->id)
		return;
	hv_plat_lock(p);
	if (g->end == HV_RUNNING)
		g->end = HV_END_PROTOCOL; /* nobody may find it from here on */
	if (g->alloc_waiting)
		hv_plat_panic("a guest left while its allocation waited");
	hv_grants_drop_to(g);
	hv_plat_unlock(p);
	/* Ended, so no guest can grant to it any more: its frames go (and
	 * their grants first) under the lock again. */
	hv_guest_release_all(g);
	hv_plat_lock(p);
	p->guest[g->id] = 0;
	p->nguests--;
	g->id = 0; /* removed: a second call does nothing */
	hv_plat_unlock(p);
}

const char *hv_pool_check(const struct hv_pool *p)
{
	if (p->nguests)
		return "a guest is still in the guest table";
	for (uint32_t id = 0; id < EXO_GUESTS_MAX; id++)
		if (p->guest[id])
			return "the guest table's count disagrees with its entries";
	if (p->nfree != p->nframes)
		return "frames are still owned after every guest ended";
	for (uint64_t f = 0; f < p->nframes; f++) {
		if (p->owner[f] != HV_FRAME_FREE)
			return "the ownership table names an owner after every guest ended";
		if (p->grant_head[f])
			return "a grant outlived its frame's owner";
	}
	if (p->grants_used)
		return "grants are still recorded after every guest ended";
	if (p->nwaiters || p->reserved || p->owed)
		return "frames are still owed or reserved after every guest ended";
	uint32_t free = 0;
	for (uint32_t i = p->grant_free; i && free < p->grants_max; i = p->grant[i].next)
		free++;
	if (p->grants_max > 1 && free + (p->grants_max - p->grant_fresh) != p->grants_max - 1)
		return "the grant table's free list lost entries";
	return 0;
}
