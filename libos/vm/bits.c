/* SPDX-License-Identifier: MIT */
/*
 * libos/vm/bits.c: DIRTY and accessed bits from the hardware, and the
 * replacement policy built on them.
 *
 * Reading a bit clears it, and the TLB is flushed for every page whose bit
 * was cleared: a cached translation would otherwise let the next write (or
 * access) go unrecorded. A page revocation swapped out while dirty is
 * still reported dirty (its out entry keeps the bit).
 */
#include "vm_impl.h"

/* Where a harvest puts what it takes: bits (per span, may be NULL), the
 * list of addresses (may be NULL) up to max pages in all, and the span of
 * addresses whose cached translations must go. */
struct take {
	uint64_t *list;
	uint64_t max, n;
	uint64_t lo, hi;
};

static int take(struct take *t, uint64_t *bits, uint64_t i, uint64_t va, uint64_t npages,
		int cached)
{
	if (t->n + npages > t->max)
		return 0;
	for (uint64_t k = 0; k < npages; k++) {
		if (bits)
			bits[(i + k) / 64] |= 1ull << ((i + k) % 64);
		if (t->list)
			t->list[t->n + k] = va + k * VM_PAGE;
	}
	t->n += npages;
	if (cached) {
		t->lo = va < t->lo ? va : t->lo;
		t->hi = va + npages * VM_PAGE > t->hi ? va + npages * VM_PAGE : t->hi;
	}
	return 1;
}

/* Walks one page table per 2 MiB rather than four levels per page: DIRTY
 * over thousands of pages is mostly this loop. Stops when t is full: what
 * is left keeps its bit. */
static int harvest(uint64_t va, uint64_t npages, uint64_t *bits, uint64_t bit, struct take *t)
{
	if (!vm_pages_ok(va, npages))
		return -VM_EINVAL;
	if (bits)
		for (uint64_t i = 0; i < (npages + 63) / 64; i++)
			bits[i] = 0;
	for (uint64_t i = 0; i < npages && t->n < t->max;) {
		uint64_t at = va + i * VM_PAGE;
		uint64_t in_chunk = (VM_HUGE - (at & (VM_HUGE - 1))) / VM_PAGE;
		uint64_t span = in_chunk < npages - i ? in_chunk : npages - i;
		uint64_t *pd = vm_pte(at, 1, 0);
		if (pd && (*pd & PTE_PS)) { /* a 2 MiB page: one bit for all of it */
			if ((*pd & bit) && take(t, bits, i, at, span, 1))
				*pd &= ~bit;
		} else if (pd && (*pd & PTE_P)) {
			uint64_t *pte = &vm_phys(*pd & PTE_ADDR)[(at >> 12) & 511];
			/* The common page has neither bit. */
			uint64_t mask = bit == PTE_D ? bit | PTE_OUT_DIRTY : bit;
			for (uint64_t *p = pte; p < pte + span; p++) {
				/* Four clean entries at a time: under 3 instructions a page. */
				while (p + 4 <= pte + span && !((p[0] | p[1] | p[2] | p[3]) & mask))
					p += 4;
				if (p == pte + span)
					break;
				uint64_t e = *p, k = (uint64_t)(p - pte);
				if (!(e & mask))
					continue;
				if (t->n == t->max)
					break;
				if (bit == PTE_D && vm_out(e) && (e & PTE_OUT_DIRTY)) {
					take(t, bits, i + k, at + k * VM_PAGE, 1, 0);
					pte[k] = e & ~PTE_OUT_DIRTY; /* not cached: no flush */
				} else if ((e & bit) && vm_mapped(e)) {
					take(t, bits, i + k, at + k * VM_PAGE, 1, 1);
					pte[k] = e & ~bit;
				}
			}
		}
		i += span;
	}
	return 0;
}

static void flush_taken(const struct take *t)
{
	if (t->lo < t->hi)
		vm_tlb_flush(t->lo, (t->hi - t->lo) / VM_PAGE);
}

int64_t vm_dirty(uint64_t va, uint64_t npages, uint64_t *bits)
{
	struct take t = { NULL, UINT64_MAX, 0, UINT64_MAX, 0 };
	VM_ENTER();
	int rc = harvest(va, npages, bits, PTE_D, &t);
	flush_taken(&t);
	VM_LEAVE();
	return rc < 0 ? rc : (int64_t)t.n;
}

int64_t vm_dirty_spans(const struct vm_span *s, unsigned n, uint64_t *list, uint64_t max)
{
	struct take t = { list, max, 0, UINT64_MAX, 0 };
	for (unsigned i = 0; i < n; i++)
		if (!vm_pages_ok(s[i].va, s[i].npages))
			return -VM_EINVAL;
	VM_ENTER();
	for (unsigned i = 0; i < n; i++)
		harvest(s[i].va, s[i].npages, s[i].bits, PTE_D, &t);
	flush_taken(&t);
	VM_LEAVE();
	return (int64_t)t.n;
}

int64_t vm_page_state(uint64_t va, uint64_t npages, uint8_t *state)
{
	int64_t held = 0;
	if (!vm_pages_ok(va, npages))
		return -VM_EINVAL;
	VM_ENTER();
	for (uint64_t i = 0; i < npages;) {
		uint64_t at = va + i * VM_PAGE;
		uint64_t in_chunk = (VM_HUGE - (at & (VM_HUGE - 1))) / VM_PAGE;
		uint64_t span = in_chunk < npages - i ? in_chunk : npages - i;
		uint64_t *pd = vm_pte(at, 1, 0);
		const uint64_t *pte = pd && (*pd & PTE_P) && !(*pd & PTE_PS)
					      ? &vm_phys(*pd & PTE_ADDR)[(at >> 12) & 511]
					      : NULL;
		for (uint64_t k = 0; k < span; k++) {
			uint64_t e = pd && (*pd & PTE_PS) ? *pd : pte ? pte[k] : 0;
			uint8_t st = 0;
			if (vm_out(e))
				st = VM_PAGE_OUT | (e & PTE_OUT_DIRTY ? VM_PAGE_DIRTY : 0) |
				     (e & PTE_W ? VM_PAGE_WRITABLE : 0);
			else if (vm_mapped(e))
				st = VM_PAGE_MAPPED | (e & PTE_D ? VM_PAGE_DIRTY : 0) |
				     ((e & PTE_P) && (e & PTE_W) ? VM_PAGE_WRITABLE : 0);
			held += st != 0;
			state[i + k] = st;
		}
		i += span;
	}
	VM_LEAVE();
	return held;
}

int64_t vm_accessed(uint64_t va, uint64_t npages, uint64_t *bits)
{
	struct take t = { NULL, UINT64_MAX, 0, UINT64_MAX, 0 };
	VM_ENTER();
	int rc = harvest(va, npages, bits, PTE_A, &t);
	flush_taken(&t);
	VM_LEAVE();
	return rc < 0 ? rc : (int64_t)t.n;
}

void vm_set_policy(vm_policy p, void *arg)
{
	VM_ENTER();
	vm_state.policy = p;
	vm_state.policy_arg = arg;
	VM_LEAVE();
}

/* The default policy: a clock. The hand sweeps the range; a page whose A
 * bit is set gets a second chance (the bit is cleared), the first page
 * found with it clear is the victim. Two sweeps always find one. */
static int64_t clock(uint64_t va, uint64_t npages)
{
	int huge;
	if (!vm_pages_ok(va, npages))
		return -VM_EINVAL;
	for (uint64_t step = 0; step < 2 * npages; step++) {
		uint64_t i = vm_state.clock_hand++ % npages;
		uint64_t *pte = vm_leaf(va + i * VM_PAGE, &huge);
		if (!pte || !vm_mapped(*pte))
			continue;
		if (!(*pte & PTE_A))
			return (int64_t)i;
		*pte &= ~PTE_A;
		vm_tlb_flush(va + i * VM_PAGE, 1);
	}
	return -VM_ENOENT; /* nothing mapped in the range */
}

int64_t vm_choose_victim(uint64_t va, uint64_t npages)
{
	VM_ENTER();
	int64_t i = vm_state.policy ? vm_state.policy(va, npages, vm_state.policy_arg)
				    : clock(va, npages);
	VM_LEAVE();
	return i;
}
