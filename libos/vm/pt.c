/* SPDX-License-Identifier: MIT */
/*
 * libos/vm/pt.c: the guest's page tables and TLB.
 *
 * Tables are reached through hv's direct map of GPAs; new ones come from
 * the local free list. In ring-3 mode every table and leaf of the lower
 * half carries the user bit. TLB: INVLPG for up to VM_INVLPG_MAX pages,
 * a CR3 reload above (nothing in the lower half is global); from ring 3
 * both go through entry.S's gate, one trap per flush however many pages.
 * Which way is decided by the ring the code runs in now, not the mode:
 * revocation and abort run in ring 0 whatever the mode.
 */
#include "vm_impl.h"

#define VM_INVLPG_MAX 32u

uint64_t *vm_pte(uint64_t va, int depth, int create)
{
	uint64_t table = vm_state.root;
	for (int level = 3; level > depth; level--) {
		uint64_t *e = &vm_phys(table)[(va >> (12 + 9 * level)) & 511];
		if (*e & PTE_PS)
			return NULL;
		if (!(*e & PTE_P)) {
			uint64_t f;
			if (!create || vm_frame_get(&f) < 0)
				return NULL;
			*e = (f << 12) | PTE_P | PTE_W | PTE_U;
		}
		table = *e & PTE_ADDR;
	}
	return &vm_phys(table)[(va >> (12 + 9 * depth)) & 511];
}

uint64_t *vm_table(uint64_t *va)
{
	uint64_t table = vm_state.root;
	for (int level = 3; level > 0; level--) {
		uint64_t e = vm_phys(table)[(*va >> (12 + 9 * level)) & 511];
		if (!(e & PTE_P) || (e & PTE_PS)) {
			*va = (*va | ((1ull << (12 + 9 * level)) - 1)) + 1;
			return NULL;
		}
		table = e & PTE_ADDR;
	}
	return vm_phys(table);
}

/* From ring 3: a load from the gate address, which entry.S recognises. */
static void gate(uint64_t va, uint64_t npages)
{
	uint64_t rax = VM_GATE_VA;
	__asm__ volatile(".byte 0x48, 0x8b, 0x00" /* movq (%%rax), %%rax: 3 bytes */
			 : "+a"(rax), "+D"(va), "+S"(npages)
			 :
			 : "memory");
}

void vm_tlb_flush_all(void)
{
	vm_state.stats.tlb_reload++;
	if (vm_in_ring3()) {
		gate(0, 0);
		return;
	}
	uint64_t cr3;
	__asm__ volatile("mov %%cr3, %0; mov %0, %%cr3" : "=r"(cr3) : : "memory");
}

void vm_tlb_flush(uint64_t va, uint64_t npages)
{
	if (npages > VM_INVLPG_MAX) {
		vm_tlb_flush_all();
		return;
	}
	vm_state.stats.tlb_invlpg += npages;
	if (vm_in_ring3()) {
		gate(va, npages);
		return;
	}
	for (uint64_t i = 0; i < npages; i++)
		__asm__ volatile("invlpg (%0)" : : "r"(va + i * VM_PAGE) : "memory");
}
