/* SPDX-License-Identifier: MIT */
/*
 * libos/vm/map.c: mapping and unmapping frames, and MAP2.
 *
 * Each call checks the whole range first and then acts, so a failure
 * changes nothing. New mappings need no TLB flush (x86 caches no
 * not-present entries); removals flush. A page revocation took out still
 * exists here: it cannot be mapped over, and unmapping it frees its swap
 * slot.
 */
#include "vm_impl.h"

static int map(uint64_t va, uint64_t npages, unsigned prot)
{
	int huge;
	if (!vm_pages_ok(va, npages) || !vm_prot_ok(prot))
		return -VM_EINVAL;
	for (uint64_t i = 0; i < npages; i++) {
		uint64_t *pte = vm_leaf(va + i * VM_PAGE, &huge);
		if (huge || (pte && vm_held(*pte)))
			return -VM_EEXIST;
	}
	for (uint64_t i = 0; i < npages; i++) {
		uint64_t f, *pte;
		if (vm_frame_get(&f) < 0)
			goto undo;
		pte = vm_pte(va + i * VM_PAGE, 0, 1);
		if (!pte) {
			vm_frame_put(f);
			goto undo;
		}
		*pte = (f << 12) | vm_pte_bits(prot);
		continue;
	undo:
		/* A page mapped here may have been evicted meanwhile (hv had no
		 * frame, and the policy chose it): it goes as it is. */
		while (i--) {
			pte = vm_pte(va + i * VM_PAGE, 0, 0);
			vm_entry_free(*pte);
			*pte = 0;
		}
		vm_tlb_flush(va, npages);
		return -VM_ENOMEM;
	}
	return (int)npages;
}

int vm_map(uint64_t va, uint64_t npages, unsigned prot)
{
	VM_ENTER();
	int rc = map(va, npages, prot);
	VM_LEAVE();
	return rc;
}

static int unmap(uint64_t va, uint64_t npages)
{
	int huge;
	if (!vm_pages_ok(va, npages))
		return -VM_EINVAL;
	for (uint64_t i = 0; i < npages;) {
		uint64_t at = va + i * VM_PAGE, *pte = vm_leaf(at, &huge);
		if (!pte || !vm_held(*pte))
			return -VM_ENOENT;
		if (huge && ((at & (VM_HUGE - 1)) || npages - i < 512))
			return -VM_EINVAL; /* a 2 MiB page goes whole or not at all */
		i += huge ? 512 : 1;
	}
	for (uint64_t i = 0; i < npages;) {
		uint64_t at = va + i * VM_PAGE, *pte = vm_leaf(at, &huge);
		uint64_t frame = (*pte & PTE_ADDR) >> 12, old = *pte;
		*pte = 0;
		if (huge) {
			vm_tlb_flush_all();
			if (!(old & PTE_ALIAS))
				vm_frames_huge_put(frame);
			i += 512;
		} else {
			if (vm_mapped(old))
				vm_tlb_flush(at, 1);
			vm_entry_free(old);
			i++;
		}
	}
	vm_frames_flush();
	return (int)npages;
}

int vm_unmap(uint64_t va, uint64_t npages)
{
	VM_ENTER();
	int rc = unmap(va, npages);
	VM_LEAVE();
	return rc;
}

/* A page revocation took out is brought back first; one a VM_REBUILD
 * region dropped is not there to alias. */
static int map2(uint64_t va, uint64_t alias, unsigned prot)
{
	int huge;
	if (!vm_pages_ok(va, 1) || !vm_pages_ok(alias, 1) || !vm_prot_ok(prot))
		return -VM_EINVAL;
	uint64_t *src = vm_leaf(va, &huge);
	if (!src || huge || !vm_held(*src) ||
	    (vm_out(*src) && (*src & PTE_OUT_KIND) == PTE_OUT_REBUILD))
		return -VM_ENOENT;
	uint64_t *dst = vm_leaf(alias, &huge);
	if (huge || (dst && vm_held(*dst)))
		return -VM_EEXIST;
	if (!vm_pte(alias, 0, 1)) /* the tables first: bringing back may evict */
		return -VM_ENOMEM;
	if (vm_out(*src)) {
		int rc = vm_bring_back(va, src);
		if (rc < 0)
			return rc;
	}
	dst = vm_pte(alias, 0, 0);
	*src |= PTE_SHARED; /* revocation never takes an aliased frame */
	*dst = (*src & PTE_ADDR) | vm_pte_bits(prot) | PTE_ALIAS;
	return 0;
}

int vm_map2(uint64_t va, uint64_t alias, unsigned prot)
{
	VM_ENTER();
	int rc = map2(va, alias, prot);
	VM_LEAVE();
	return rc;
}
