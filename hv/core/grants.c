/* SPDX-License-Identifier: MIT */
/*
 * hv/core/grants.c: protected sharing between guests (Aegis's secure
 * bindings, Xok's capabilities on physical pages, kept to what hv needs).
 *
 * A frame has one owner; its owner may let other guests see it, read-only
 * or read-write, at the frame's own GPA. The grant table records who: a
 * list per frame, of at most one entry per grantee. hv keeps four views of
 * a grant equal: the entry, the grantee's binding (hv_plat_bind, read-only
 * or not), the grantee's grant bitmaps and count in its exo page, and the
 * pair's share count (the doorbell's permission to ring). Revocation
 * unbinds from the grantee before anything else changes, and a frame's
 * grants are all revoked before it leaves its owner (frames.c), so a grant
 * never outlives its grantor's ownership. Every entry point takes the pool
 * lock, except the drop functions, which frames.c and guests.c call with
 * it held.
 */
#include "core.h"

static void set_bit(uint8_t *bm, uint64_t f, int on)
{
	if (on)
		bm[f / 8] |= (uint8_t)(1u << (f % 8));
	else
		bm[f / 8] &= (uint8_t)~(1u << (f % 8));
}

/* The grant of frame f to grantee, its index, or 0. *link: where the
 * index is stored (for unlinking). */
static uint32_t find(struct hv_pool *p, uint64_t f, uint32_t grantee, uint32_t **link)
{
	uint32_t *l = &p->grant_head[f];
	while (*l && p->grant[*l].grantee != grantee)
		l = &p->grant[*l].next;
	if (link)
		*link = l;
	return *l;
}

static void published(struct hv_guest *grantee)
{
	if (grantee->exo)
		grantee->exo->frames_granted = grantee->granted;
}

/* Remove the grant at *link (of frame f): unbound from its grantee first. */
static void drop(struct hv_pool *p, uint64_t f, uint32_t *link)
{
	uint32_t i = *link;
	struct hv_grant *e = &p->grant[i];
	struct hv_guest *to = p->guest[e->grantee];
	struct hv_guest *from = p->guest[p->owner[f]];
	if (!to || !from)
		hv_plat_panic("a grant names a guest that is not in the guest table");
	hv_plat_unbind(to, f, 1);
	set_bit(to->grant_bitmap, f, 0);
	set_bit(to->grant_rw_bitmap, f, 0);
	to->granted--;
	published(to);
	to->shares[from->id]--;
	from->shares[to->id]--;
	*link = e->next;
	*e = (struct hv_grant){ .next = p->grant_free };
	p->grant_free = i;
	p->grants_used--;
}

void hv_grants_drop_frames(struct hv_pool *p, uint64_t first, uint64_t n)
{
	for (uint64_t f = first; f < first + n; f++)
		while (p->grant_head[f])
			drop(p, f, &p->grant_head[f]);
}

void hv_grants_drop_to(struct hv_guest *g)
{
	struct hv_pool *p = g->pool;
	for (uint64_t f = 0; f < p->nframes && g->granted; f++) {
		uint32_t *link;
		if (find(p, f, g->id, &link))
			drop(p, f, link);
	}
}

/* Bind the frames to the grantee with the new access, run by run. On
 * failure, the frames done so far get their old binding back (or none). */
static int bind_all(struct hv_pool *p, struct hv_guest *to, uint64_t n, const uint64_t *f, int rw)
{
	for (uint64_t i = 0, j; i < n; i = j) {
		j = hv_run_end(f, i, n);
		int rc = hv_plat_bind(to, f[i], j - i, rw);
		if (rc == 0)
			continue;
		for (uint64_t k = 0; k < i; k++) {
			uint32_t old = find(p, f[k], to->id, 0);
			if (!old)
				hv_plat_unbind(to, f[k], 1);
			else if (hv_plat_bind(to, f[k], 1, (int)p->grant[old].rw) < 0)
				hv_plat_panic("cannot restore a grant's binding");
		}
		return rc;
	}
	return 0;
}

static int give(struct hv_guest *g, struct hv_guest *to, uint64_t n, const uint64_t *f, int rw,
		uint64_t *bad)
{
	struct hv_pool *p = g->pool;
	uint64_t fresh = 0;
	for (uint64_t i = 0; i < n; i++)
		fresh += !find(p, f[i], to->id, 0);
	if (fresh > p->grants_max - 1 - p->grants_used) {
		*bad = n;
		return -EXO_ENOMEM;
	}
	int rc = bind_all(p, to, n, f, rw);
	if (rc < 0) {
		*bad = n;
		return rc;
	}
	for (uint64_t i = 0; i < n; i++) {
		uint32_t e = find(p, f[i], to->id, 0);
		if (!e) {
			e = p->grant_free;
			if (e)
				p->grant_free = p->grant[e].next;
			else
				e = p->grant_fresh++;
			p->grant[e] = (struct hv_grant){ .frame = f[i], .grantee = to->id,
							 .next = p->grant_head[f[i]] };
			p->grant_head[f[i]] = e;
			p->grants_used++;
			to->granted++;
			to->shares[g->id]++;
			g->shares[to->id]++;
			set_bit(to->grant_bitmap, f[i], 1);
		}
		p->grant[e].rw = (uint32_t)rw;
		set_bit(to->grant_rw_bitmap, f[i], rw);
	}
	published(to);
	return 0;
}

static int revoke(struct hv_guest *g, struct hv_guest *to, uint64_t n, const uint64_t *f,
		  uint64_t *bad)
{
	struct hv_pool *p = g->pool;
	for (uint64_t i = 0; i < n; i++)
		if (!find(p, f[i], to->id, 0)) {
			*bad = i;
			return -EXO_EPERM;
		}
	for (uint64_t i = 0; i < n; i++) {
		uint32_t *link;
		find(p, f[i], to->id, &link);
		drop(p, f[i], link);
	}
	return 0;
}

int hv_grant(struct hv_guest *g, uint32_t op, uint64_t grantee, uint64_t n,
	     const uint64_t *frames, uint64_t *bad)
{
	struct hv_pool *p = g->pool;
	*bad = n;
	if (op > EXO_GRANT_REVOKE || grantee == g->id)
		return -EXO_EINVAL;
	hv_plat_lock(p);
	struct hv_guest *to = hv_guest_get(p, grantee);
	int rc = to ? hv_frames_check(p, n, frames, g->id, -EXO_EPERM, -EXO_EPERM, bad)
		    : -EXO_ENOENT;
	if (rc == 0 && op == EXO_GRANT_REVOKE)
		rc = revoke(g, to, n, frames, bad);
	else if (rc == 0)
		rc = give(g, to, n, frames, op == EXO_GRANT_RW, bad);
	hv_plat_unlock(p);
	return rc;
}
