/* SPDX-License-Identifier: MIT */
/*
 * libos/vm/range.c: operations over sparse ranges, for library OSes that
 * keep their own map of an address space (posix-shim's mmap).
 *
 * vm_map and vm_protn insist that every page of a range is (or is not)
 * mapped; a POSIX address space is mostly holes, populated on first touch.
 * These walk a range once, skipping absent tables whole (a 1 GiB hole costs
 * one step), act on what is mapped, and flush the TLB once at the end.
 * Only 4 KiB pages: a 2 MiB page in the range is refused before anything
 * changes. A page revocation took out counts as mapped: protected, unmapped
 * (its swap slot freed) and moved like any other.
 */
#include "vm_impl.h"

/* The 4 KiB leaf for va, or NULL with *next at the end of the hole (or
 * huge page, *huge set) that va lies in. */
static uint64_t *leaf(uint64_t va, uint64_t *next, int *huge)
{
	uint64_t table = vm_state.root;
	*huge = 0;
	for (int level = 3; level > 0; level--) {
		uint64_t e = vm_phys(table)[(va >> (12 + 9 * level)) & 511];
		uint64_t size = 1ull << (12 + 9 * level);
		if (!(e & PTE_P) || (e & PTE_PS)) {
			*huge = (e & PTE_P) != 0;
			*next = (va | (size - 1)) + 1;
			return NULL;
		}
		table = e & PTE_ADDR;
	}
	*next = va + VM_PAGE;
	return &vm_phys(table)[(va >> 12) & 511];
}

/* Call fn on every mapped (or out) 4 KiB entry of [va, va + npages pages). -EINVAL
 * if a huge page lies in the range (checked first: nothing changes). */
static int each_mapped(uint64_t va, uint64_t npages, int (*fn)(uint64_t va, uint64_t *pte, void *arg),
		       void *arg)
{
	if (!vm_pages_ok(va, npages))
		return -VM_EINVAL;
	uint64_t end = va + npages * VM_PAGE, next;
	int huge;
	for (uint64_t at = va; at < end; at = next) {
		leaf(at, &next, &huge);
		if (huge)
			return -VM_EINVAL;
	}
	int n = 0;
	for (uint64_t at = va; at < end; at = next) {
		uint64_t *pte = leaf(at, &next, &huge);
		if (pte && vm_held(*pte)) {
			int rc = fn(at, pte, arg);
			if (rc < 0)
				return rc;
			n++;
		}
	}
	return n;
}

struct prot_arg {
	uint64_t bits;
	int lowered;
};

static int prot_one(uint64_t va, uint64_t *pte, void *arg)
{
	struct prot_arg *p = arg;
	(void)va;
	p->lowered |= vm_mapped(*pte) && !vm_allows(p->bits, *pte);
	*pte = vm_reprot(*pte, p->bits);
	return 0;
}

int vm_protect_range(uint64_t va, uint64_t npages, unsigned prot)
{
	if (!vm_prot_ok(prot))
		return -VM_EINVAL;
	struct prot_arg p = { vm_pte_bits(prot), 0 };
	VM_ENTER();
	int n = each_mapped(va, npages, prot_one, &p);
	if (n > 0 && p.lowered)
		vm_tlb_flush(va, npages);
	VM_LEAVE();
	return n;
}

struct wp_arg {
	uint64_t va;
	const uint64_t *keep;
	int64_t taken;
	uint64_t lo, hi;
};

static int wp_none(uint64_t va, uint64_t *pte, void *arg)
{
	(void)va, (void)pte, (void)arg;
	return 0;
}

static int wp_one(uint64_t va, uint64_t *pte, void *arg)
{
	struct wp_arg *w = arg;
	uint64_t i = (va - w->va) / VM_PAGE;
	if (!(*pte & PTE_W) || (w->keep && (w->keep[i / 64] >> (i % 64)) & 1))
		return 0;
	*pte &= ~PTE_W; /* in a mapped entry and an out one alike */
	w->taken++;
	w->lo = va < w->lo ? va : w->lo;
	w->hi = va + VM_PAGE > w->hi ? va + VM_PAGE : w->hi;
	return 0;
}

int64_t vm_wrprotect(const struct vm_span *s, unsigned n)
{
	struct wp_arg w = { 0, NULL, 0, UINT64_MAX, 0 };
	int rc = 0;
	VM_ENTER();
	for (unsigned i = 0; i < n && rc >= 0; i++) /* refuse before changing */
		rc = each_mapped(s[i].va, s[i].npages, wp_none, NULL);
	for (unsigned i = 0; i < n && rc >= 0; i++) {
		w.va = s[i].va;
		w.keep = s[i].bits;
		each_mapped(s[i].va, s[i].npages, wp_one, &w);
	}
	if (w.taken)
		vm_tlb_flush(w.lo, (w.hi - w.lo) / VM_PAGE);
	VM_LEAVE();
	return rc < 0 ? rc : w.taken;
}

static int unmap_one(uint64_t va, uint64_t *pte, void *arg)
{
	(void)va, (void)arg;
	uint64_t old = *pte;
	*pte = 0;
	vm_entry_free(old);
	return 0;
}

int vm_unmap_range(uint64_t va, uint64_t npages)
{
	VM_ENTER();
	int n = each_mapped(va, npages, unmap_one, NULL);
	if (n > 0)
		vm_tlb_flush(va, npages);
	vm_frames_flush(); /* after the flush: no stale entry reaches a frame hv has */
	VM_LEAVE();
	return n;
}

struct move_arg {
	uint64_t from, to;
};

/* The first pass checks the destination and makes its tables, so the
 * second cannot fail halfway. */
static int move_check(uint64_t va, uint64_t *pte, void *arg)
{
	struct move_arg *m = arg;
	int huge;
	uint64_t *dst = vm_leaf(va - m->from + m->to, &huge);
	(void)pte;
	if (huge || (dst && vm_held(*dst)))
		return -VM_EEXIST;
	return vm_pte(va - m->from + m->to, 0, 1) ? 0 : -VM_ENOMEM;
}

static int move_one(uint64_t va, uint64_t *pte, void *arg)
{
	struct move_arg *m = arg;
	uint64_t *dst = vm_pte(va - m->from + m->to, 0, 0);
	*dst = *pte;
	*pte = 0;
	return 0;
}

static int move(uint64_t from, uint64_t to, uint64_t npages)
{
	struct move_arg m = { from, to };
	if (!vm_pages_ok(to, npages))
		return -VM_EINVAL;
	int n = each_mapped(from, npages, move_check, &m);
	if (n < 0)
		return n;
	n = each_mapped(from, npages, move_one, &m);
	if (n > 0)
		vm_tlb_flush(from, npages);
	return n;
}

int vm_move(uint64_t from, uint64_t to, uint64_t npages)
{
	VM_ENTER();
	int n = move(from, to, npages);
	VM_LEAVE();
	return n;
}

static int query(uint64_t va, uint64_t *gpa, unsigned *prot)
{
	int huge;
	uint64_t *pte = vm_leaf(va, &huge);
	if (pte && !huge && vm_out(*pte) && (*pte & PTE_OUT_KIND) != PTE_OUT_REBUILD &&
	    vm_bring_back(va & ~(VM_PAGE - 1), pte) < 0)
		return 0;
	if (!pte || !vm_mapped(*pte))
		return 0;
	uint64_t off = va & (huge ? VM_HUGE - 1 : VM_PAGE - 1);
	*gpa = ((*pte & PTE_ADDR) & ~(huge ? VM_HUGE - 1 : 0)) + off;
	*prot = 0;
	if (*pte & PTE_P)
		*prot = VM_R | (*pte & PTE_W ? VM_W : 0) | (*pte & PTE_NX ? 0 : VM_X);
	return 1;
}

int vm_query(uint64_t va, uint64_t *gpa, unsigned *prot)
{
	VM_ENTER();
	int rc = query(va, gpa, prot);
	VM_LEAVE();
	return rc;
}

void vm_touch(uint64_t va, int write)
{
	int huge;
	VM_ENTER();
	uint64_t *pte = vm_leaf(va, &huge);
	if (pte && (*pte & PTE_P))
		*pte |= PTE_A | (write ? PTE_D : 0);
	VM_LEAVE();
}
