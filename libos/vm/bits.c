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

/* Walks one page table per 2 MiB rather than four levels per page: DIRTY
 * over thousands of pages is mostly this loop. */
static int64_t harvest(uint64_t va, uint64_t npages, uint64_t *bits, uint64_t bit)
{
	int64_t n = 0;
	uint64_t lo = UINT64_MAX, hi = 0;
	if (!vm_pages_ok(va, npages))
		return -VM_EINVAL;
	for (uint64_t i = 0; i < (npages + 63) / 64; i++)
		bits[i] = 0;
	for (uint64_t i = 0; i < npages;) {
		uint64_t at = va + i * VM_PAGE;
		uint64_t in_chunk = (VM_HUGE - (at & (VM_HUGE - 1))) / VM_PAGE;
		uint64_t span = in_chunk < npages - i ? in_chunk : npages - i;
		uint64_t *pd = vm_pte(at, 1, 0);
		if (pd && (*pd & PTE_PS)) { /* a 2 MiB page: one bit for all of it */
			if (*pd & bit) {
				for (uint64_t k = i; k < i + span; k++)
					bits[k / 64] |= 1ull << (k % 64);
				n += (int64_t)span;
				*pd &= ~bit;
				lo = i < lo ? i : lo;
				hi = i + span - 1;
			}
		} else if (pd && (*pd & PTE_P)) {
			uint64_t *pte = &vm_phys(*pd & PTE_ADDR)[(at >> 12) & 511];
			for (uint64_t k = 0; k < span; k++) {
				if (bit == PTE_D && vm_out(pte[k]) && (pte[k] & PTE_OUT_DIRTY)) {
					pte[k] &= ~PTE_OUT_DIRTY; /* not cached: no flush */
					bits[(i + k) / 64] |= 1ull << ((i + k) % 64);
					n++;
					continue;
				}
				if (!(pte[k] & bit) || !vm_mapped(pte[k]))
					continue;
				pte[k] &= ~bit;
				bits[(i + k) / 64] |= 1ull << ((i + k) % 64);
				n++;
				lo = i + k < lo ? i + k : lo;
				hi = i + k;
			}
		}
		i += span;
	}
	if (lo <= hi)
		vm_tlb_flush(va + lo * VM_PAGE, hi - lo + 1);
	return n;
}

int64_t vm_dirty(uint64_t va, uint64_t npages, uint64_t *bits)
{
	VM_ENTER();
	int64_t n = harvest(va, npages, bits, PTE_D);
	VM_LEAVE();
	return n;
}

int64_t vm_accessed(uint64_t va, uint64_t npages, uint64_t *bits)
{
	VM_ENTER();
	int64_t n = harvest(va, npages, bits, PTE_A);
	VM_LEAVE();
	return n;
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
