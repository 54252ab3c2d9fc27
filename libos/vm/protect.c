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

static int protn(uint64_t va, uint64_t npages, unsigned prot)
{
	int huge;
	if (!vm_pages_ok(va, npages) || !vm_prot_ok(prot))
		return -VM_EINVAL;
	for (uint64_t i = 0; i < npages; i++) {
		uint64_t *pte = vm_leaf(va + i * VM_PAGE, &huge);
		if (!pte || huge || !vm_held(*pte))
			return -VM_ENOENT;
	}
	uint64_t bits = vm_pte_bits(prot);
	int lowered = 0;
	for (uint64_t i = 0; i < npages; i++) {
		uint64_t *pte = vm_leaf(va + i * VM_PAGE, &huge);
		lowered |= vm_mapped(*pte) && !vm_allows(bits, *pte);
		*pte = vm_reprot(*pte, bits);
	}
	if (lowered)
		vm_tlb_flush(va, npages);
	return 0;
}

int vm_protn(uint64_t va, uint64_t npages, unsigned prot)
{
	VM_ENTER();
	int rc = protn(va, npages, prot);
	VM_LEAVE();
	return rc;
}

int vm_prot1(uint64_t va, unsigned prot)
{
	return vm_protn(va, 1, prot);
}

int vm_unprot(uint64_t va, uint64_t npages)
{
	VM_ENTER();
	struct vm_region *r = vm_region_find(va);
	int rc = !r || npages > (r->end - va) / VM_PAGE ? -VM_ENOENT : protn(va, npages, r->prot);
	VM_LEAVE();
	return rc;
}
