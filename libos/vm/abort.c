/* SPDX-License-Identifier: MIT */
/*
 * libos/vm/abort.c: recovering from what hv took by abort.
 *
 * When a request is not met by its deadline, hv takes the frames still
 * owed (the guest's highest-numbered ones it did not load at boot), sets
 * them in the exo page's repossession bitmap and raises EXO_VEC_ABORT
 * before the guest runs another instruction, whatever it was doing. A
 * touch of one of them now would end the guest, so the handler drops
 * every use of them at once: it walks the lower half's page tables and
 * turns each mapping of a repossessed frame into an out entry (vm_impl.h)
 * that brings the page back on its next touch, to the region's handler
 * (VM_PF_LOST) in a VM_REBUILD region, else as a zero page: its data is
 * lost, which is counted and said under --stats. Free frames abort took
 * leave the free list; a 2 MiB page that lost any of its frames is lost
 * whole and its other frames join the free list. One TLB flush covers all.
 *
 * A page table abort took is the one loss it cannot recover from: what
 * that table mapped (which frames, which swap slots) went with it. The
 * handler says so and ends the guest with the abort's report. (libos/vm
 * makes its tables from its free list, so this happens only when abort
 * reaches that far: when the guest had nothing else left to take.)
 *
 * The exception may arrive inside anything, a libos/vm call or a
 * hypercall stub included: the handler takes no frame and makes no
 * hypercall unless the guest was unmasked; what it cannot say then waits
 * for the next revocation upcall.
 */
#include "vm_impl.h"

static uint64_t lost_table_frame, lost_table_va;
static int lost_table;

/* A table entry whose table abort took: forgotten, and remembered. */
static int table_taken(uint64_t *e, uint64_t va)
{
	uint64_t f = (*e & PTE_ADDR) >> 12;
	if (!exo_repossessed(f))
		return 0;
	if (!lost_table) {
		lost_table_frame = f;
		lost_table_va = va;
	}
	lost_table = 1;
	*e = 0;
	vm_leaf_forget();
	return 1;
}

static void lose_page(uint64_t *pte, uint64_t va)
{
	uint64_t old = *pte;
	if (old & PTE_ALIAS) { /* the original's entry carries the loss */
		*pte = 0;
		return;
	}
	struct vm_region *r = vm_region_find(va);
	int rebuild = r && (r->flags & VM_REBUILD) && r->handler;
	*pte = vm_out_entry(old, rebuild ? PTE_OUT_REBUILD : PTE_OUT_ZERO, 0);
	vm_state.stats.lost_to_abort++;
	vm_state.stats.lost_data += !rebuild;
}

/* A 2 MiB page with a frame taken: gone whole; its other frames are free. */
static void lose_huge(uint64_t *pd)
{
	uint64_t first = (*pd & PTE_ADDR) >> 12, taken = 0;
	for (uint64_t f = first; f < first + 512; f++)
		taken += exo_repossessed(f);
	if (!taken)
		return;
	*pd = 0;
	for (uint64_t f = first; f < first + 512; f++)
		if (vm_owns(f))
			vm_frame_put(f); /* zeroed; the spill goes back to hv later */
	vm_state.stats.lost_to_abort += 512;
	vm_state.stats.lost_data += 512;
}

/* The lower half's tables, reading no table abort took. */
static void scan(void)
{
	uint64_t *l4 = vm_phys(vm_state.root);
	for (uint64_t i4 = 0; i4 < 256; i4++) {
		uint64_t va4 = i4 << 39;
		if (!(l4[i4] & PTE_P) || table_taken(&l4[i4], va4))
			continue;
		uint64_t *l3 = vm_phys(l4[i4] & PTE_ADDR);
		for (uint64_t i3 = 0; i3 < 512; i3++) {
			uint64_t va3 = va4 | i3 << 30;
			if (!(l3[i3] & PTE_P) || (l3[i3] & PTE_PS) || table_taken(&l3[i3], va3))
				continue;
			uint64_t *l2 = vm_phys(l3[i3] & PTE_ADDR);
			for (uint64_t i2 = 0; i2 < 512; i2++) {
				uint64_t va2 = va3 | i2 << 21;
				if (!(l2[i2] & PTE_P))
					continue;
				if (l2[i2] & PTE_PS) {
					lose_huge(&l2[i2]);
					continue;
				}
				if (table_taken(&l2[i2], va2))
					continue;
				uint64_t *l1 = vm_phys(l2[i2] & PTE_ADDR);
				for (uint64_t i1 = 0; i1 < 512; i1++)
					if (vm_mapped(l1[i1]) && exo_repossessed((l1[i1] & PTE_ADDR) >> 12))
						lose_page(&l1[i1], va2 | i1 << 12);
			}
		}
	}
}

void vm_abort_say(void)
{
	const struct vm_stats *s = &vm_state.stats;
	vm_state.abort_untold = 0;
	exo_notice("vm: abort: hv took frames this guest had not given back in time (%lu aborts): "
		   "%lu pages and free frames so far, %lu pages of them with their data lost "
		   "(zero again on their next touch)", (unsigned long)s->aborts,
		   (unsigned long)s->lost_to_abort, (unsigned long)s->lost_data);
}

static int abort_trap(struct exo_trap_frame *f)
{
	int unmasked = exo_mask_depth == 0; /* no stub was interrupted */
	exo_mask();
	vm_state.stats.aborts++;
	vm_state.stats.lost_to_abort += vm_frames_forget_repossessed();
	scan();
	vm_tlb_flush_all();
	if (lost_table) {
		if (unmasked)
			exo_notice("vm: abort took page table frame %lu (mapping from 0x%lx): what it "
				   "mapped cannot be recovered", (unsigned long)lost_table_frame,
				   (unsigned long)lost_table_va);
		exo_trap_report(f, 0);
	}
	if (exo_page()->flags & EXO_PAGE_F_STATS) {
		vm_state.abort_untold = 1;
		if (unmasked)
			vm_abort_say();
	}
	exo_unmask();
	return 1;
}

void vm_abort_init(void)
{
	exo_trap_set(EXO_VEC_ABORT, abort_trap);
}
