/* SPDX-License-Identifier: MIT */
/*
 * tests/fuzz/fuzz_plat.c: the platform the hv/core fuzz harnesses link with.
 *
 * It is tests/core/fake_plat.c (included below, so that the two never
 * drift apart) with three of its hv_plat_* functions wrapped to check the
 * contracts hv/core.h states, on every call, and abort (a crash the
 * fuzzer reports) when hv/core breaks one:
 *
 *   hv_plat_bind    binds only frames in the pool that the guest owns
 *                   (writable) or was granted (read-only, or writable
 *                   when the grant is read-write), or, with the pool lock
 *                   held, frames being given or granted to it, any
 *                   access (free, or a live guest's); binding a frame again with the same
 *                   access is allowed (the contract: a bind replaces);
 *   hv_plat_scrub   zeroes only frames that no guest has bound;
 *   hv_plat_forward gets, for each pointer argument, either a checked
 *                   guest buffer that lies wholly in frames the guest owns
 *                   (len bytes; a zero-length one still in an owned frame
 *                   or hv's own empty buffer) or hv's own copy, every byte
 *                   of which it reads (AddressSanitizer sees an overrun).
 *
 * fuzz_plat_guests[] lists the fake guests alive, so that scrub can look
 * at every guest's bindings.
 */
#define hv_plat_bind fake_plat_bind
#define hv_plat_scrub fake_plat_scrub
#define hv_plat_forward fake_plat_forward
#include "../core/fake_plat.c"
#undef hv_plat_bind
#undef hv_plat_scrub
#undef hv_plat_forward

#include "fuzz_plat.h"

struct fake_guest *fuzz_plat_guests[FUZZ_GUESTS_MAX];

__attribute__((noreturn)) static void contract(const char *what, uint64_t frame)
{
	fuzz_fail("fuzz_plat: hv/core broke a platform contract: %s (frame %llu)", what,
		  (unsigned long long)frame);
}

struct fake_guest *fuzz_guest_add(struct fake_pool *fp, const char *name, uint64_t cap)
{
	for (unsigned i = 0; i < FUZZ_GUESTS_MAX; i++)
		if (!fuzz_plat_guests[i])
			return fuzz_plat_guests[i] = fake_guest_create(fp, name, cap);
	fuzz_fail("fuzz_plat: more than %u guests", FUZZ_GUESTS_MAX);
}

void fuzz_guest_remove(struct fake_guest *fg)
{
	hv_guest_remove(&fg->g);
	for (uint64_t f = 0; f < fg->g.pool->nframes; f++)
		if (fg->bound[f])
			contract("a removed guest still has a frame bound", f);
	for (unsigned i = 0; i < FUZZ_GUESTS_MAX; i++)
		if (fuzz_plat_guests[i] == fg)
			fuzz_plat_guests[i] = NULL;
	fake_guest_destroy(fg);
}

int hv_plat_bind(struct hv_guest *g, uint64_t first, uint64_t n, int writable)
{
	const struct hv_pool *p = g->pool;
	if (n == 0 || first >= p->nframes || n > p->nframes - first)
		contract("bind of frames outside the pool", first);
	int locked = ((struct fake_pool *)p->plat)->locked;
	for (uint64_t f = first; f < first + n; f++) {
		int owned = p->owner[f] == g->id;
		int gr = bit(g->grant_bitmap, f), rw = bit(g->grant_rw_bitmap, f);
		/* frames.c and grants.c bind first and record after, under
		 * the pool lock, so that a failed bind leaves nothing to
		 * undo: then the frame may be free (being allocated to g) or
		 * another live guest's (being granted to g by its owner, or
		 * granted again with other access). fuzz_check compares the
		 * bindings with the records after the call. */
		if (locked && !owned &&
		    (p->owner[f] == HV_FRAME_FREE || hv_guest_get((struct hv_pool *)p, p->owner[f])))
			continue;
		if (!owned && !gr)
			contract("bind of a frame the guest neither owns nor was granted", f);
		if (writable && !owned && !rw)
			contract("writable bind of a read-only grant", f);
	}
	/* The contract lets a bind replace an earlier binding, the same
	 * access included (granting a frame again as it was granted): not
	 * the misuse fake_plat.c counts for hv/core's unit tests. */
	struct fake_guest *fg = g->plat;
	unsigned same = 0, misuse = fg->misuse;
	for (uint64_t f = first; f < first + n; f++)
		same += fg->bound[f] == (writable ? FAKE_RW : FAKE_RO);
	int rc = fake_plat_bind(g, first, n, writable);
	if (rc == 0)
		fg->misuse = misuse + (fg->misuse - misuse - same);
	return rc;
}

void hv_plat_scrub(struct hv_pool *pool, uint64_t first, uint64_t n)
{
	if (first >= pool->nframes || n > pool->nframes - first)
		contract("scrub of frames outside the pool", first);
	for (unsigned i = 0; i < FUZZ_GUESTS_MAX; i++) {
		struct fake_guest *fg = fuzz_plat_guests[i];
		if (!fg || fg->g.pool != pool)
			continue;
		for (uint64_t f = first; f < first + n; f++)
			if (fg->bound[f])
				contract("scrub of a frame a guest still has bound", f);
	}
	fake_plat_scrub(pool, first, n);
}

int64_t hv_plat_forward(struct hv_guest *g, const struct hv_fwd *c)
{
	const struct hv_pool *p = g->pool;
	const uint8_t *lo = p->host, *hi = p->host + p->nframes * EXO_PAGE_SIZE;
	volatile uint8_t sum = 0;
	for (unsigned i = 0; i < 6; i++) {
		const uint8_t *ptr = c->ptr[i];
		if (!ptr)
			continue;
		if (ptr >= lo && ptr < hi) {
			uint64_t off = (uint64_t)(ptr - lo), len = c->len[i];
			if (len > (uint64_t)(hi - ptr))
				contract("forwarded buffer runs past the pool", off / EXO_PAGE_SIZE);
			uint64_t last = len ? off + len - 1 : off;
			for (uint64_t f = off / EXO_PAGE_SIZE; f <= last / EXO_PAGE_SIZE; f++)
				if (p->owner[f] != g->id)
					contract("forwarded buffer in a frame the guest does not own", f);
		} else if (c->len[i] > EXO_FWD_PATH_MAX) {
			contract("hv's own copy longer than any copy hv makes", 0);
		}
		for (uint64_t k = 0; k < c->len[i]; k++)
			sum += ptr[k];
	}
	(void)sum;
	return fake_plat_forward(g, c);
}

/* The pool-wide invariants no single guest's view shows. */
static const char *pool_disagreement(const struct fake_pool *fp)
{
	static char msg[160];
	const struct hv_pool *p = &fp->pool;
	uint64_t granted[FUZZ_GUESTS_MAX] = { 0 }, grants = 0;
	if (fp->locked)
		return "the pool lock is still held";
	if (fp->owner[p->nframes] != FAKE_CANARY_OWNER)
		return "the owner table's canary past the pool changed";
	for (uint64_t f = 0; f < p->nframes; f++) {
		uint32_t o = p->owner[f];
		if (o != HV_FRAME_FREE && !hv_guest_get((struct hv_pool *)p, o)) {
			snprintf(msg, sizeof msg, "frame %llu owned by %u, no such guest",
				 (unsigned long long)f, o);
			return msg;
		}
		for (uint32_t i = p->grant_head[f]; i; i = p->grant[i].next) {
			const struct hv_grant *gr = &p->grant[i];
			if (++grants > p->grants_max)
				return "a grant list loops";
			if (gr->frame != f || o == HV_FRAME_FREE || gr->grantee == o) {
				snprintf(msg, sizeof msg, "frame %llu (owner %u): grant %u names frame "
					 "%llu, grantee %u", (unsigned long long)f, o, i,
					 (unsigned long long)gr->frame, gr->grantee);
				return msg;
			}
			for (uint32_t j = gr->next; j; j = p->grant[j].next)
				if (p->grant[j].grantee == gr->grantee)
					return "two grants of one frame to one guest";
			unsigned k;
			for (k = 0; k < FUZZ_GUESTS_MAX; k++)
				if (fuzz_plat_guests[k] && fuzz_plat_guests[k]->g.id == gr->grantee)
					break;
			if (k == FUZZ_GUESTS_MAX) {
				snprintf(msg, sizeof msg, "frame %llu granted to %u, no such guest",
					 (unsigned long long)f, gr->grantee);
				return msg;
			}
			const struct fake_guest *to = fuzz_plat_guests[k];
			granted[k]++;
			if (!bit(to->g.grant_bitmap, f) || bit(to->g.grant_rw_bitmap, f) != (int)gr->rw) {
				snprintf(msg, sizeof msg, "frame %llu granted to %u (rw %u), its bits %d %d",
					 (unsigned long long)f, gr->grantee, gr->rw,
					 bit(to->g.grant_bitmap, f), bit(to->g.grant_rw_bitmap, f));
				return msg;
			}
		}
	}
	if (grants != p->grants_used) {
		snprintf(msg, sizeof msg, "%llu grants listed, grants_used %u",
			 (unsigned long long)grants, p->grants_used);
		return msg;
	}
	for (unsigned k = 0; k < FUZZ_GUESTS_MAX; k++)
		if (fuzz_plat_guests[k] && fuzz_plat_guests[k]->g.granted != granted[k])
			return "a guest's grant count differs from the grant table";
	return NULL;
}

void fuzz_check(const struct fake_pool *fp)
{
	const char *why = pool_disagreement(fp);
	for (unsigned k = 0; !why && k < FUZZ_GUESTS_MAX; k++)
		if (fuzz_plat_guests[k] && fuzz_plat_guests[k]->g.pool == &fp->pool)
			why = fake_disagreement(fuzz_plat_guests[k]);
	if (why)
		fuzz_fail("fuzz_plat: hv/core's state disagrees with itself: %s", why);
}

void fuzz_pool_end(struct fake_pool *fp)
{
	for (unsigned k = 0; k < FUZZ_GUESTS_MAX; k++)
		if (fuzz_plat_guests[k] && fuzz_plat_guests[k]->g.pool == &fp->pool)
			fuzz_guest_remove(fuzz_plat_guests[k]);
	const char *why = hv_pool_check(&fp->pool);
	if (why)
		fuzz_fail("fuzz_plat: hv_pool_check after every guest left: %s", why);
	fuzz_check(fp);
}

struct fake_pool *fuzz_pool(uint64_t nframes)
{
	/* One pool, made once and cleaned for each input: a fresh calloc of
	 * the frames costs an mmap per input under AddressSanitizer. */
	static struct fake_pool *fp;
	if (fp && fp->pool.nframes != nframes) {
		fake_pool_destroy(fp);
		fp = NULL;
	}
	if (!fp)
		return fp = fake_pool_create(nframes);
	memset(fp->owner, 0, nframes * sizeof *fp->owner);
	memset(fp->host, 0, nframes * EXO_PAGE_SIZE);
	memset(fp->grant_head, 0, nframes * sizeof *fp->grant_head);
	memset(fp->grant, 0, FAKE_GRANTS_MAX * sizeof *fp->grant);
	fp->locked = 0;
	fp->locks = 0;
	fp->frames_scrubbed = 0;
	hv_pool_init(&fp->pool, nframes, fp->owner, fp->host, fp->grant_head, fp->grant,
		     FAKE_GRANTS_MAX);
	return fp;
}
