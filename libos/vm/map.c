/*
 * libos/vm/map.c: mapping and unmapping frames, and MAP2.
 *
 * Each call checks the whole range first and then acts, so a failure
 * changes nothing. New mappings need no TLB flush (x86 caches no
 * not-present entries); removals flush.
 */
#include "vm_impl.h"

int vm_map(uint64_t va, uint64_t npages, unsigned prot)
{
	int huge;
	if (!vm_pages_ok(va, npages) || !vm_prot_ok(prot))
		return -VM_EINVAL;
	for (uint64_t i = 0; i < npages; i++) {
		uint64_t *pte = vm_leaf(va + i * VM_PAGE, &huge);
		if (huge || (pte && vm_mapped(*pte)))
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
		while (i--) {
			pte = vm_pte(va + i * VM_PAGE, 0, 0);
			vm_frame_put((*pte & PTE_ADDR) >> 12);
			*pte = 0;
		}
		return -VM_ENOMEM;
	}
	return (int)npages;
}

int vm_unmap(uint64_t va, uint64_t npages)
{
	int huge;
	if (!vm_pages_ok(va, npages))
		return -VM_EINVAL;
	for (uint64_t i = 0; i < npages;) {
		uint64_t at = va + i * VM_PAGE, *pte = vm_leaf(at, &huge);
		if (!pte || !vm_mapped(*pte))
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
			vm_tlb_flush(at, 1);
			if (!(old & PTE_ALIAS))
				vm_frame_put(frame);
			i++;
		}
	}
	vm_frames_flush();
	return (int)npages;
}

int vm_map2(uint64_t va, uint64_t alias, unsigned prot)
{
	int huge;
	if (!vm_pages_ok(va, 1) || !vm_pages_ok(alias, 1) || !vm_prot_ok(prot))
		return -VM_EINVAL;
	uint64_t *src = vm_leaf(va, &huge);
	if (!src || huge || !vm_mapped(*src))
		return -VM_ENOENT;
	uint64_t *dst = vm_leaf(alias, &huge);
	if (huge || (dst && vm_mapped(*dst)))
		return -VM_EEXIST;
	uint64_t frame = *src & PTE_ADDR; /* read before vm_pte may add tables */
	dst = vm_pte(alias, 0, 1);
	if (!dst)
		return -VM_ENOMEM;
	*dst = frame | vm_pte_bits(prot) | PTE_ALIAS;
	return 0;
}
