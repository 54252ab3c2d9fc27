/* SPDX-License-Identifier: MIT */
/*
 * tests/core/fake_plat.c: the fake platform hv/core unit tests link with.
 *
 * Binding a frame sets its entry in the guest's bound[] array (read-write
 * or read-only); unbinding clears it; scrubbing zeroes frames in pool
 * memory. Binding a frame again with the same access, or unbinding an
 * unbound one, counts as misuse. A test arms fail_bind_in to make a later
 * bind fail with -EXO_ENOMEM. Console output is captured. The pool lock is
 * a flag: taking it twice, or releasing it unheld, is a bug in hv/core and
 * aborts, as hv_plat_panic does (hv found itself inconsistent).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fake_plat.h"

static void *zalloc(uint64_t n, uint64_t size)
{
	void *p = calloc(n ? n : 1, size);
	if (!p) {
		fprintf(stderr, "fake_plat: out of memory\n");
		abort();
	}
	return p;
}

struct fake_pool *fake_pool_create(uint64_t nframes)
{
	struct fake_pool *fp = zalloc(1, sizeof *fp);
	fp->owner = zalloc(nframes + 1, sizeof *fp->owner);
	fp->owner[nframes] = FAKE_CANARY_OWNER;
	fp->host = zalloc(nframes + 1, EXO_PAGE_SIZE);
	fp->grant_head = zalloc(nframes, sizeof *fp->grant_head);
	fp->grant = zalloc(FAKE_GRANTS_MAX, sizeof *fp->grant);
	fp->pool.plat = fp;
	hv_pool_init(&fp->pool, nframes, fp->owner, fp->host, fp->grant_head, fp->grant,
		     FAKE_GRANTS_MAX);
	return fp;
}

void fake_pool_destroy(struct fake_pool *fp)
{
	if (!fp)
		return;
	free(fp->owner);
	free(fp->host);
	free(fp->grant_head);
	free(fp->grant);
	free(fp);
}

struct fake_guest *fake_guest_create(struct fake_pool *fp, const char *name,
				     uint64_t cap_frames)
{
	struct fake_guest *fg = zalloc(1, sizeof *fg);
	fg->exo_area = zalloc(1, hv_exo_area_bytes(fp->pool.nframes));
	fg->bound = zalloc(fp->pool.nframes, 1);
	fg->g.plat = fg;
	int rc = hv_guest_add(&fg->g, &fp->pool, name, cap_frames, fg->exo_area,
			      fp->pool.nframes * EXO_PAGE_SIZE);
	if (rc < 0) {
		fprintf(stderr, "fake_plat: hv_guest_add(%s): %d\n", name, rc);
		abort();
	}
	return fg;
}

void fake_guest_destroy(struct fake_guest *fg)
{
	if (!fg)
		return;
	free(fg->exo_area);
	free(fg->bound);
	free(fg);
}

int fake_bitmap_bit(const struct fake_guest *fg, uint64_t f)
{
	return (fg->g.bitmap[f / 8] >> (f % 8)) & 1;
}

static int bit(const uint8_t *bm, uint64_t f)
{
	return (bm[f / 8] >> (f % 8)) & 1;
}

const char *fake_disagreement(const struct fake_guest *fg)
{
	static char msg[160];
	const struct hv_pool *p = fg->g.pool;
	uint64_t mine = 0, free_frames = 0, granted = 0;
	for (uint64_t f = 0; f < p->nframes; f++) {
		int owned = p->owner[f] == fg->g.id;
		int gr = bit(fg->g.grant_bitmap, f), rw = bit(fg->g.grant_rw_bitmap, f);
		int want = owned ? FAKE_RW : gr ? (rw ? FAKE_RW : FAKE_RO) : 0;
		mine += owned;
		granted += gr;
		free_frames += p->owner[f] == HV_FRAME_FREE;
		if ((owned && gr) || (rw && !gr)) {
			snprintf(msg, sizeof msg, "frame %llu: owned %d, grant bits %d %d",
				 (unsigned long long)f, owned, gr, rw);
			return msg;
		}
		if (fake_bitmap_bit(fg, f) != owned) {
			snprintf(msg, sizeof msg, "frame %llu: bitmap bit %d, owner %u, guest %u",
				 (unsigned long long)f, fake_bitmap_bit(fg, f), p->owner[f], fg->g.id);
			return msg;
		}
		if (fg->bound[f] != want) {
			snprintf(msg, sizeof msg, "frame %llu: bound %d, want %d, owner %u, guest %u",
				 (unsigned long long)f, fg->bound[f], want, p->owner[f], fg->g.id);
			return msg;
		}
	}
	if (granted != fg->g.granted || fg->g.exo->frames_granted != fg->g.granted) {
		snprintf(msg, sizeof msg, "grant bitmap says %llu frames, g->granted %llu, exo page %llu",
			 (unsigned long long)granted, (unsigned long long)fg->g.granted,
			 (unsigned long long)fg->g.exo->frames_granted);
		return msg;
	}
	if (mine != fg->g.owned || fg->g.exo->frames_owned != fg->g.owned) {
		snprintf(msg, sizeof msg, "table says %llu frames, g->owned %llu, exo page %llu",
			 (unsigned long long)mine, (unsigned long long)fg->g.owned,
			 (unsigned long long)fg->g.exo->frames_owned);
		return msg;
	}
	if (free_frames != p->nfree) {
		snprintf(msg, sizeof msg, "table says %llu frames free, pool->nfree %llu",
			 (unsigned long long)free_frames, (unsigned long long)p->nfree);
		return msg;
	}
	if (fg->misuse) {
		snprintf(msg, sizeof msg, "%u binds of bound or unbinds of unbound frames",
			 fg->misuse);
		return msg;
	}
	return NULL;
}

int hv_plat_bind(struct hv_guest *g, uint64_t first, uint64_t n, int writable)
{
	struct fake_guest *fg = g->plat;
	fg->bind_calls++;
	if (fg->fail_bind_in && --fg->fail_bind_in == 0) {
		fg->failed_binds++;
		return -EXO_ENOMEM;
	}
	fg->bind_first = first;
	fg->bind_n = n;
	fg->frames_bound += n;
	for (uint64_t f = first; f < first + n; f++) {
		uint8_t want = writable ? FAKE_RW : FAKE_RO;
		if (f >= g->pool->nframes || fg->bound[f] == want) {
			fg->misuse++;
			continue;
		}
		fg->bound[f] = want;
	}
	return 0;
}

void hv_plat_unbind(struct hv_guest *g, uint64_t first, uint64_t n)
{
	struct fake_guest *fg = g->plat;
	fg->unbind_calls++;
	fg->unbind_first = first;
	fg->unbind_n = n;
	fg->frames_unbound += n;
	for (uint64_t f = first; f < first + n; f++) {
		if (f >= g->pool->nframes || !fg->bound[f]) {
			fg->misuse++;
			continue;
		}
		fg->bound[f] = 0;
	}
}

void hv_plat_scrub(struct hv_pool *pool, uint64_t first, uint64_t n)
{
	struct fake_pool *fp = pool->plat;
	if (!fp->locked)
		hv_plat_panic("scrub without the pool lock");
	fp->frames_scrubbed += n;
	memset(pool->host + first * EXO_PAGE_SIZE, 0, n * EXO_PAGE_SIZE);
}

void hv_plat_lock(struct hv_pool *pool)
{
	struct fake_pool *fp = pool->plat;
	if (fp->locked)
		hv_plat_panic("the pool lock taken twice");
	fp->locked = 1;
	fp->locks++;
}

void hv_plat_unlock(struct hv_pool *pool)
{
	struct fake_pool *fp = pool->plat;
	if (!fp->locked)
		hv_plat_panic("the pool lock released unheld");
	fp->locked = 0;
}

void hv_plat_inject(struct hv_guest *g, uint32_t vector)
{
	struct fake_guest *fg = g->plat;
	fg->injects++;
	fg->inject_vector = vector;
}

void hv_plat_kick(struct hv_guest *g)
{
	((struct fake_guest *)g->plat)->kicks++;
}

void hv_plat_wake(struct hv_guest *g)
{
	((struct fake_guest *)g->plat)->wakes++;
}

uint64_t fake_now_ns = 1000000000ull;

uint64_t hv_plat_now_ns(void)
{
	return fake_now_ns;
}

void hv_plat_exception(struct hv_guest *g, uint32_t vector)
{
	struct fake_guest *fg = g->plat;
	fg->exceptions++;
	fg->exception_vector = vector;
}

void hv_plat_deadline(struct hv_guest *g, uint64_t ns)
{
	struct fake_guest *fg = g->plat;
	fg->deadlines++;
	fg->deadline_ns = ns;
}

void hv_plat_console(struct hv_guest *g, const char *buf, uint64_t len)
{
	struct fake_guest *fg = g->plat;
	fg->console_calls++;
	if (fg->console_len < FAKE_CONSOLE_BYTES) {
		uint64_t room = FAKE_CONSOLE_BYTES - fg->console_len;
		uint64_t n = len < room ? len : room;
		memcpy(fg->console + fg->console_len, buf, n);
		fg->console[fg->console_len + n] = '\0';
	}
	fg->console_len += len;
}

void hv_plat_notice(struct hv_guest *g, const char *text)
{
	if (!g) {
		fprintf(stderr, "hv: %s\n", text);
		return;
	}
	struct fake_guest *fg = g->plat;
	fg->notices++;
	snprintf(fg->notice, sizeof fg->notice, "%s", text);
}

/* Records the call; a read-like call fills its buffer with 'r'. */
int64_t hv_plat_forward(struct hv_guest *g, const struct hv_fwd *c)
{
	struct fake_guest *fg = g->plat;
	unsigned np = 0;
	fg->forwards++;
	fg->fwd = *c;
	if (fg->fwd_scribble_gpa) /* a guest changing what it passed */
		memset(g->pool->host + fg->fwd_scribble_gpa, 'X', 64);
	for (unsigned i = 0; i < 6; i++)
		if (c->ptr[i] && (c->nr == EXO_FWD_OPENAT ? i == 1 : 0) && np < 2)
			snprintf(fg->fwd_path[np++], EXO_FWD_PATH_MAX, "%s", (const char *)c->ptr[i]);
	if (c->nr == EXO_FWD_READ)
		memset(c->ptr[1], 'r', c->len[1]);
	if (c->nr == EXO_FWD_FSTAT)
		memset(c->ptr[1], 's', c->len[1]);
	return fg->fwd_ret;
}

void hv_plat_panic(const char *why)
{
	fprintf(stderr, "hv_plat_panic: %s\n", why);
	abort();
}
