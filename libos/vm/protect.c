/* SPDX-License-Identifier: MIT */
/*
 * libos/vm/protect.c: PROT1, PROTN and UNPROT.
 *
 * Changing a protection keeps the frame, the A and D bits and the alias
 * mark. Lowering it flushes the TLB so no stale entry lets an access
 * through; raising it does not: a stale, stricter entry can only cause a
 * spurious fault, which the CPU answers by dropping that entry and
 * fault.c by retrying. UNPROT restores the protection of the region the
 * pages are in. A page revocation took out keeps the new protection in
 * its out entry and comes back with it.
 */
#include "vm_impl.h"

/* The leaf entries of [va, +npages) one page table at a time: fn on the
 * run of n entries at pte, page i of the range first; stops at fn's first
 * non-zero. -VM_ENOENT where a table is missing or a 2 MiB page stands. */
static int each_table(uint64_t va, uint64_t npages, int (*fn)(uint64_t *pte, uint64_t n, void *arg),
		      void *arg)
{
	for (uint64_t i = 0; i < npages;) {
		int huge;
		uint64_t at = va + i * VM_PAGE;
		uint64_t *pte = vm_leaf(at, &huge);
		if (!pte || huge)
			return -VM_ENOENT;
		uint64_t n = 512 - ((at >> 12) & 511);
		n = n < npages - i ? n : npages - i;
		int rc = fn(pte, n, arg);
		if (rc)
			return rc;
		i += n;
	}
	return 0;
}

static int all_held(uint64_t *pte, uint64_t n, void *arg)
{
	(void)arg;
	for (uint64_t k = 0; k < n; k++)
		if (!vm_held(pte[k]))
			return -VM_ENOENT;
	return 0;
}

struct reprot {
	uint64_t bits;
	int lowered;
};

static int reprot(uint64_t *pte, uint64_t n, void *arg)
{
	struct reprot *p = arg;
	for (uint64_t k = 0; k < n; k++) {
		p->lowered |= vm_mapped(pte[k]) && !vm_allows(p->bits, pte[k]);
		pte[k] = vm_reprot(pte[k], p->bits);
	}
	return 0;
}

/* A mapped entry's protection replaced by bits; the TLB flushed if that
 * lowered it. */
static inline void reprot_mapped(uint64_t va, uint64_t *pte, uint64_t bits)
{
	uint64_t old = *pte;
	*pte = vm_reprot_mapped(old, bits);
	if (!vm_allows(bits, old))
		vm_tlb_flush_page(va);
}

/* One page, PROT1's and a fault handler's UNPROT: the short way, one
 * entry, found without a walk when its page table is the last one used
 * (vm_leaf4k: the fault that called the handler put it there), and no
 * frame to set up for more. va is checked by the caller. */
static inline __attribute__((always_inline)) int prot_page(uint64_t va, uint64_t bits)
{
	uint64_t *pte = vm_leaf4k(va);
	if (!pte || !vm_held(*pte))
		return -VM_ENOENT;
	if (vm_mapped(*pte))
		reprot_mapped(va, pte, bits);
	else
		*pte = vm_reprot(*pte, bits); /* out: no TLB entry to flush */
	return 0;
}

/* Checked whole first, then changed: all or nothing. A range within one
 * page table is walked once. */
static int protn(uint64_t va, uint64_t npages, unsigned prot)
{
	if (!vm_pages_ok(va, npages) || !vm_prot_ok(prot))
		return -VM_EINVAL;
	struct reprot p = { vm_pte_bits(prot), 0 };
	int huge;
	uint64_t *pte = vm_leaf(va, &huge);
	if (pte && !huge && npages <= 512 - ((va >> 12) & 511)) {
		if (all_held(pte, npages, NULL))
			return -VM_ENOENT;
		reprot(pte, npages, &p);
	} else {
		int rc = each_table(va, npages, all_held, NULL);
		if (rc)
			return rc;
		each_table(va, npages, reprot, &p);
	}
	if (p.lowered)
		vm_tlb_flush(va, npages);
	return 0;
}

/* The one mapped page at va in the page table vm_leaf4k remembers, or
 * NULL. Inline and with no walk: a handler's UNPROT of the page that
 * faulted, and PROT1 near the last one, find it here (vm_leaf4k's rule
 * keeps it true). */
static inline uint64_t *cached_mapped(uint64_t va)
{
	if ((va >> 21) != vm_pt_tag)
		return NULL;
	uint64_t *pte = &vm_pt_cached[(va >> 12) & 511];
	return vm_mapped(*pte) ? pte : NULL;
}

static __attribute__((noinline)) int prot1(uint64_t va, unsigned prot)
{
	return prot_page(va, vm_pte_bits(prot));
}

VM_HOT int vm_prot1(uint64_t va, unsigned prot)
{
	if ((va & (VM_PAGE - 1)) || va < VM_USER_MIN || va >= VM_USER_MAX || !vm_prot_ok(prot))
		return -VM_EINVAL;
	VM_ENTER();
	uint64_t *pte = cached_mapped(va);
	int rc = 0;
	if (__builtin_expect(pte != NULL, 1))
		reprot_mapped(va, pte, vm_pte_bits(prot));
	else
		rc = prot1(va, prot);
	VM_LEAVE();
	return rc;
}

int vm_protn(uint64_t va, uint64_t npages, unsigned prot)
{
	if (npages == 1)
		return vm_prot1(va, prot);
	VM_ENTER();
	int rc = protn(va, npages, prot);
	VM_LEAVE();
	return rc;
}

static __attribute__((noinline)) int unprot(uint64_t va, uint64_t npages)
{
	struct vm_region *r = vm_region_find(va);
	if (npages == 1 && r) /* within the region, which is within range */
		return va & (VM_PAGE - 1) ? -VM_EINVAL : prot_page(va, vm_pte_bits(r->prot));
	if (r && npages <= (r->end - va) / VM_PAGE)
		return protn(va, npages, r->prot);
	return -VM_ENOENT;
}

VM_HOT int vm_unprot(uint64_t va, uint64_t npages)
{
	VM_ENTER();
	struct vm_region *r = vm_region_cached(va);
	uint64_t *pte;
	int rc = 0;
	if (__builtin_expect(r && npages == 1 && !(va & (VM_PAGE - 1)) &&
				     (pte = cached_mapped(va)) != NULL, 1))
		reprot_mapped(va, pte, vm_pte_bits(r->prot));
	else
		rc = unprot(va, npages);
	VM_LEAVE();
	return rc;
}
