/*
 * libos/vm/region.c: regions of the lower half, and the checks every
 * range a caller names goes through.
 */
#include "vm_impl.h"

int vm_range_ok(uint64_t va, uint64_t len)
{
	uint64_t end;
	return len && !(va & (VM_PAGE - 1)) && !(len & (VM_PAGE - 1)) &&
	       !__builtin_add_overflow(va, len, &end) && va >= VM_USER_MIN && end <= VM_USER_MAX;
}

int vm_pages_ok(uint64_t va, uint64_t npages)
{
	return npages <= (VM_USER_MAX >> 12) && vm_range_ok(va, npages * VM_PAGE);
}

int vm_prot_ok(unsigned prot)
{
	return !(prot & ~(VM_R | VM_W | VM_X));
}

struct vm_region *vm_region_find(uint64_t va)
{
	for (unsigned i = 0; i < VM_REGIONS_MAX; i++) {
		struct vm_region *r = &vm_state.regions[i];
		if (r->end && va >= r->start && va < r->end)
			return r;
	}
	return NULL;
}

int vm_region(uint64_t va, uint64_t len, unsigned prot, unsigned flags, vm_handler h, void *arg)
{
	if (!vm_range_ok(va, len) || !vm_prot_ok(prot) ||
	    (flags & ~(VM_DEMAND_ZERO | VM_HUGE_PAGES)))
		return -VM_EINVAL;
	if ((flags & VM_HUGE_PAGES) && ((va | len) & (VM_HUGE - 1)))
		return -VM_EINVAL;
	struct vm_region *slot = NULL;
	for (unsigned i = 0; i < VM_REGIONS_MAX; i++) {
		struct vm_region *o = &vm_state.regions[i];
		if (!o->end) {
			slot = slot ? slot : o;
			continue;
		}
		if (va < o->end && o->start < va + len)
			return -VM_EEXIST;
	}
	if (!slot)
		return -VM_ENOSPC;
	*slot = (struct vm_region){ va, va + len, prot, flags, h, arg };
	return 0;
}

int vm_region_remove(uint64_t va)
{
	struct vm_region *r = vm_region_find(va);
	if (!r || r->start != va)
		return -VM_ENOENT;
	r->end = 0;
	return 0;
}

int vm_trap(uint64_t va, vm_handler h, void *arg)
{
	struct vm_region *r = vm_region_find(va);
	if (!r)
		return -VM_ENOENT;
	r->handler = h;
	r->arg = arg;
	return 0;
}
