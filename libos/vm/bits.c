/*
 * libos/vm/bits.c: DIRTY and accessed bits from the hardware, and the
 * replacement policy built on them.
 *
 * Reading a bit clears it, and the TLB is flushed for every page whose bit
 * was cleared: a cached translation would otherwise let the next write (or
 * access) go unrecorded.
 */
#include "vm_impl.h"

static int64_t harvest(uint64_t va, uint64_t npages, uint64_t *bits, uint64_t bit)
{
	int huge;
	int64_t n = 0;
	uint64_t lo = UINT64_MAX, hi = 0;
	if (npages > (VM_USER_MAX >> 12) || !vm_range_ok(va, npages * VM_PAGE))
		return -VM_EINVAL;
	for (uint64_t i = 0; i < (npages + 63) / 64; i++)
		bits[i] = 0;
	for (uint64_t i = 0; i < npages; i++) {
		uint64_t *pte = vm_leaf(va + i * VM_PAGE, &huge);
		if (!pte || !(*pte & bit))
			continue;
		if (huge) { /* the whole 2 MiB page counts; clear at its end */
			bits[i / 64] |= 1ull << (i % 64);
			n++;
			if (((va + (i + 1) * VM_PAGE) & (VM_HUGE - 1)) && i + 1 < npages)
				continue;
		} else {
			bits[i / 64] |= 1ull << (i % 64);
			n++;
		}
		*pte &= ~bit;
		lo = i < lo ? i : lo;
		hi = i;
	}
	if (n)
		vm_tlb_flush(va + lo * VM_PAGE, hi - lo + 1);
	return n;
}

static int64_t dirty_k(uint64_t va, uint64_t npages, uint64_t bits)
{
	return harvest(va, npages, (uint64_t *)(uintptr_t)bits, PTE_D);
}

int64_t vm_dirty(uint64_t va, uint64_t npages, uint64_t *bits)
{
	return vm_call(dirty_k, va, npages, (uint64_t)(uintptr_t)bits);
}

static int64_t accessed_k(uint64_t va, uint64_t npages, uint64_t bits)
{
	return harvest(va, npages, (uint64_t *)(uintptr_t)bits, PTE_A);
}

int64_t vm_accessed(uint64_t va, uint64_t npages, uint64_t *bits)
{
	return vm_call(accessed_k, va, npages, (uint64_t)(uintptr_t)bits);
}

void vm_set_policy(vm_policy p, void *arg)
{
	vm_state.policy = p;
	vm_state.policy_arg = arg;
}

/* The default policy: a clock. The hand sweeps the range; a page whose A
 * bit is set gets a second chance (the bit is cleared), the first page
 * found with it clear is the victim. Two sweeps always find one. */
static int64_t clock_k(uint64_t va, uint64_t npages, uint64_t c)
{
	(void)c;
	int huge;
	if (npages == 0 || npages > (VM_USER_MAX >> 12) || !vm_range_ok(va, npages * VM_PAGE))
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
	if (vm_state.policy)
		return vm_state.policy(va, npages, vm_state.policy_arg);
	return vm_call(clock_k, va, npages, 0);
}
