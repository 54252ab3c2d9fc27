/* SPDX-License-Identifier: MIT */
/*
 * libos/gc/gc.c: heap ranges and their dirty sets (gc.h).
 *
 * The table of ranges and, for GC_WPROTECT ranges, the cards: one bit per
 * page in a static bitmap, each range's cards starting at a word so that
 * they serve directly as libos/vm's keep masks. GC_DBITS ranges keep no
 * state of their own: the page tables' D bits are the dirty set.
 *
 * The invariant of a GC_WPROTECT range: a page with a clean card has no
 * write access. The fault handler marks a card and gives access back; a
 * fetch clears the cards it reports and takes access from those pages
 * (vm_wrprotect with the remaining cards as its keep mask), in one flush.
 */
#include "gc.h"

#include "vm/vm.h"

struct range {
	uint64_t va, npages;
	unsigned mode;
	int used;
	uint64_t card; /* first card bit (a multiple of 64), GC_WPROTECT */
};

static struct range ranges[GC_RANGES_MAX];
static uint64_t cards[GC_CARDS_MAX / 64];
static struct gc_stats stats;

static uint64_t words(uint64_t npages)
{
	return (npages + 63) / 64;
}

static uint64_t *card_words(const struct range *r)
{
	return &cards[r->card / 64];
}

static int card(const struct range *r, uint64_t i)
{
	return (card_words(r)[i / 64] >> (i % 64)) & 1;
}

static void mark(const struct range *r, uint64_t i)
{
	card_words(r)[i / 64] |= 1ull << (i % 64);
}

static struct range *get(int id)
{
	if (id < 0 || (unsigned)id >= GC_RANGES_MAX || !ranges[id].used)
		return NULL;
	return &ranges[id];
}

/* How many ranges are GC_WPROTECT: the barrier's hooks run on every
 * populate, protection raise and write the shim makes for the program, and
 * with none registered (the usual case) they return at once. */
static unsigned nwp;

/* The GC_WPROTECT range that holds va, or NULL. */
static struct range *find_wp(uint64_t va)
{
	if (!nwp)
		return NULL;
	for (unsigned i = 0; i < GC_RANGES_MAX; i++)
		if (ranges[i].used && ranges[i].mode == GC_WPROTECT && va >= ranges[i].va &&
		    (va - ranges[i].va) / VM_PAGE < ranges[i].npages)
			return &ranges[i];
	return NULL;
}

/* A page-aligned, non-empty span in the lower half. */
static int span_ok(uint64_t va, uint64_t npages)
{
	return !(va & (VM_PAGE - 1)) && npages && va >= VM_USER_MIN &&
	       npages <= (VM_USER_MAX - va) / VM_PAGE;
}

/* The part of GC_WPROTECT range r inside [va, end) in [*from, *to): 1,
 * or 0 if r is no such range or lies outside it. */
static int wp_overlap(const struct range *r, uint64_t va, uint64_t end, uint64_t *from,
		      uint64_t *to)
{
	uint64_t rend = r->va + r->npages * VM_PAGE;
	if (!r->used || r->mode != GC_WPROTECT || rend <= va || end <= r->va)
		return 0;
	*from = va > r->va ? va : r->va;
	*to = end < rend ? end : rend;
	return 1;
}

/* First fit for n card bits among the GC_WPROTECT ranges', word aligned:
 * the first bit, or -1. */
static int64_t cards_alloc(uint64_t n)
{
	uint64_t at = 0, need = words(n) * 64;
	for (;;) {
		uint64_t moved = at;
		for (unsigned i = 0; i < GC_RANGES_MAX; i++) {
			const struct range *r = &ranges[i];
			uint64_t end = r->card + words(r->npages) * 64;
			if (r->used && r->mode == GC_WPROTECT && at < end && r->card < at + need)
				at = end;
		}
		if (at == moved)
			break;
	}
	return at + need <= GC_CARDS_MAX ? (int64_t)at : -1;
}

int gc_register(uint64_t va, uint64_t npages, unsigned mode)
{
	if (!span_ok(va, npages) || mode > GC_WPROTECT)
		return -GC_EINVAL;
	int slot = -1;
	for (unsigned i = 0; i < GC_RANGES_MAX; i++) {
		const struct range *r = &ranges[i];
		if (!r->used) {
			slot = slot < 0 ? (int)i : slot;
			continue;
		}
		if (va < r->va + r->npages * VM_PAGE && r->va < va + npages * VM_PAGE)
			return -GC_EEXIST;
	}
	if (slot < 0)
		return -GC_ENOSPC;
	struct range r = { va, npages, mode, 1, 0 };
	struct vm_span s = { va, npages, NULL };
	if (mode == GC_WPROTECT) {
		int64_t at = cards_alloc(npages);
		if (at < 0)
			return -GC_ENOSPC;
		r.card = (uint64_t)at;
		for (uint64_t i = 0; i < words(npages); i++)
			cards[r.card / 64 + i] = 0;
		if (vm_wrprotect(&s, 1) < 0)
			return -GC_EINVAL; /* a 2 MiB page: nothing changed */
	} else {
		vm_dirty_spans(&s, 1, NULL, UINT64_MAX); /* a clean slate */
	}
	ranges[slot] = r;
	nwp += mode == GC_WPROTECT;
	return slot;
}

int gc_unregister(int id, unsigned prot)
{
	struct range *r = get(id);
	if (!r)
		return -GC_EINVAL;
	if (r->mode == GC_WPROTECT && (prot & VM_W))
		vm_protect_range(r->va, r->npages, prot);
	nwp -= r->mode == GC_WPROTECT;
	r->used = 0;
	return 0;
}

int gc_range(int id, uint64_t *va, uint64_t *npages, unsigned *mode)
{
	const struct range *r = get(id);
	if (!r)
		return -GC_EINVAL;
	*va = r->va;
	*npages = r->npages;
	*mode = r->mode;
	return 0;
}

/* GC_WPROTECT: report the marked cards (bits, and list up to max), clear
 * them and take write access from their pages; how many. The flush is
 * the caller's single vm_wrprotect over every span it gathers. */
static uint64_t cards_take(struct range *r, uint64_t *bits, uint64_t *list, uint64_t max)
{
	uint64_t n = 0, *w = card_words(r);
	if (bits)
		for (uint64_t i = 0; i < words(r->npages); i++)
			bits[i] = 0;
	for (uint64_t i = 0; i < r->npages && n < max; i++) {
		if (!((w[i / 64] >> (i % 64)) & 1))
			continue;
		w[i / 64] &= ~(1ull << (i % 64));
		if (bits)
			bits[i / 64] |= 1ull << (i % 64);
		if (list)
			list[n] = r->va + i * VM_PAGE;
		n++;
	}
	return n;
}

int64_t gc_dirty(int id, uint64_t *bits)
{
	struct range *r = get(id);
	if (!r)
		return -GC_EINVAL;
	int64_t n;
	struct vm_span s = { r->va, r->npages, bits };
	if (r->mode == GC_DBITS) {
		n = vm_dirty_spans(&s, 1, NULL, UINT64_MAX);
	} else {
		n = (int64_t)cards_take(r, bits, NULL, UINT64_MAX);
		s.bits = card_words(r);
		vm_wrprotect(&s, 1);
	}
	stats.fetches++;
	stats.pages_dirty += (uint64_t)n;
	return n;
}

int64_t gc_dirty_list(int id, uint64_t *pages, uint64_t max)
{
	struct vm_span dbits[GC_RANGES_MAX], wp[GC_RANGES_MAX];
	struct range *order[GC_RANGES_MAX];
	unsigned n = 0, nd = 0, nw = 0;
	if (id != GC_ALL) {
		if (!(order[0] = get(id)))
			return -GC_EINVAL;
		n = 1;
	} else { /* the ranges in address order */
		for (unsigned i = 0; i < GC_RANGES_MAX; i++) {
			if (!ranges[i].used)
				continue;
			unsigned k = n++;
			for (; k > 0 && order[k - 1]->va > ranges[i].va; k--)
				order[k] = order[k - 1];
			order[k] = &ranges[i];
		}
	}
	for (unsigned i = 0; i < n; i++) {
		struct vm_span s = { order[i]->va, order[i]->npages, NULL };
		if (order[i]->mode == GC_DBITS)
			dbits[nd++] = s;
	}
	uint64_t got = nd ? (uint64_t)vm_dirty_spans(dbits, nd, pages, max) : 0;
	for (unsigned i = 0; i < n; i++) {
		if (order[i]->mode != GC_WPROTECT)
			continue;
		got += cards_take(order[i], NULL, pages + got, max - got);
		wp[nw++] = (struct vm_span){ order[i]->va, order[i]->npages, card_words(order[i]) };
	}
	if (nw)
		vm_wrprotect(wp, nw);
	stats.fetches++;
	stats.pages_dirty += got;
	return (int64_t)got;
}

int gc_barrier_fault(uint64_t va)
{
	struct range *r = find_wp(va);
	uint64_t gpa;
	unsigned prot;
	if (!r || !vm_query(va & ~(VM_PAGE - 1), &gpa, &prot))
		return 0;
	mark(r, (va - r->va) / VM_PAGE);
	stats.barrier_traps++;
	return 1;
}

unsigned gc_barrier_prot(uint64_t va, unsigned prot, int write)
{
	struct range *r = find_wp(va);
	if (!r || !(prot & VM_W))
		return prot;
	uint64_t i = (va - r->va) / VM_PAGE;
	if (write)
		mark(r, i);
	return card(r, i) ? prot : prot & ~VM_W;
}

void gc_touch(uint64_t va)
{
	struct range *r = find_wp(va);
	if (r)
		mark(r, (va - r->va) / VM_PAGE);
}

/* The part of each GC_WPROTECT range from its start to the end of its
 * overlap with [va, +npages): the cards are word aligned at the range's
 * start, and pages before the overlap already keep the invariant. */
static unsigned wp_spans(uint64_t va, uint64_t npages, struct vm_span *out)
{
	unsigned n = 0;
	uint64_t end = va + npages * VM_PAGE;
	for (unsigned i = 0; i < GC_RANGES_MAX; i++) {
		uint64_t from, to;
		if (wp_overlap(&ranges[i], va, end, &from, &to))
			out[n++] = (struct vm_span){ ranges[i].va, (to - ranges[i].va) / VM_PAGE,
						     card_words(&ranges[i]) };
	}
	return n;
}

void gc_barrier_reapply(uint64_t va, uint64_t npages)
{
	struct vm_span s[GC_RANGES_MAX];
	if (!nwp)
		return;
	unsigned n = wp_spans(va, npages, s);
	if (n)
		vm_wrprotect(s, n);
}

int64_t gc_page_state(uint64_t va, uint64_t npages, uint8_t *state)
{
	int64_t held = vm_page_state(va, npages, state);
	if (held < 0)
		return -GC_EINVAL;
	uint64_t end = va + npages * VM_PAGE;
	for (unsigned i = 0; i < GC_RANGES_MAX; i++) {
		const struct range *r = &ranges[i];
		uint64_t from, to;
		if (!wp_overlap(r, va, end, &from, &to))
			continue;
		for (uint64_t at = from; at < to; at += VM_PAGE) {
			uint8_t *st = &state[(at - va) / VM_PAGE];
			*st &= (uint8_t)~VM_PAGE_DIRTY;
			if (*st && card(r, (at - r->va) / VM_PAGE))
				*st |= VM_PAGE_DIRTY;
		}
	}
	return held;
}

int gc_clear(const struct gc_span *s, unsigned n)
{
	struct vm_span d[GC_RANGES_MAX], wp[GC_RANGES_MAX];
	unsigned nw = 0;
	for (unsigned i = 0; i < n; i++)
		if (!span_ok(s[i].va, s[i].npages))
			return -GC_EINVAL;
	for (unsigned done = 0; done < n;) { /* D bits: GC_RANGES_MAX spans a flush */
		unsigned k = 0;
		for (; k < GC_RANGES_MAX && done < n; k++, done++)
			d[k] = (struct vm_span){ s[done].va, s[done].npages, NULL };
		vm_dirty_spans(d, k, NULL, UINT64_MAX);
	}
	for (unsigned i = 0; i < GC_RANGES_MAX; i++) {
		const struct range *r = &ranges[i];
		uint64_t stop = r->va;
		for (unsigned k = 0; nwp && k < n; k++) {
			uint64_t from, to;
			if (!wp_overlap(r, s[k].va, s[k].va + s[k].npages * VM_PAGE, &from, &to))
				continue;
			for (uint64_t at = from; at < to; at += VM_PAGE) {
				uint64_t c = (at - r->va) / VM_PAGE;
				card_words(r)[c / 64] &= ~(1ull << (c % 64));
			}
			stop = to > stop ? to : stop;
		}
		if (stop > r->va)
			wp[nw++] = (struct vm_span){ r->va, (stop - r->va) / VM_PAGE, card_words(r) };
	}
	if (nw)
		vm_wrprotect(wp, nw);
	stats.clears++;
	return 0;
}

void gc_get_stats(struct gc_stats *s)
{
	*s = stats;
}
