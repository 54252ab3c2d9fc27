/* SPDX-License-Identifier: MIT */
/*
 * libos/vm/region.c: regions of the lower half, and the checks every
 * range a caller names goes through.
 */
#include "vm_impl.h"

struct vm_region *vm_region_last = &vm_state.regions[0];

struct vm_region *vm_region_search(uint64_t va)
{
	for (unsigned i = 0; i < VM_REGIONS_MAX; i++) {
		struct vm_region *r = &vm_state.regions[i];
		if (r->end && va >= r->start && va < r->end)
			return vm_region_last = r;
	}
	return NULL;
}

static int region(uint64_t va, uint64_t len, unsigned prot, unsigned flags, vm_handler h,
		  void *arg)
{
	if (!vm_range_ok(va, len) || !vm_prot_ok(prot) ||
	    (flags & ~(VM_DEMAND_ZERO | VM_HUGE_PAGES | VM_REBUILD)) ||
	    ((flags & VM_REBUILD) && (!h || (flags & VM_HUGE_PAGES))))
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

int vm_region(uint64_t va, uint64_t len, unsigned prot, unsigned flags, vm_handler h, void *arg)
{
	VM_ENTER();
	int rc = region(va, len, prot, flags, h, arg);
	VM_LEAVE();
	return rc;
}

int vm_region_remove(uint64_t va)
{
	VM_ENTER();
	struct vm_region *r = vm_region_find(va);
	int rc = !r || r->start != va ? -VM_ENOENT : 0;
	if (rc == 0)
		r->end = 0;
	VM_LEAVE();
	return rc;
}

/* A VM_REBUILD region keeps a handler: its dropped pages need one. */
int vm_trap(uint64_t va, vm_handler h, void *arg)
{
	VM_ENTER();
	struct vm_region *r = vm_region_find(va);
	int rc = !r ? -VM_ENOENT : !h && (r->flags & VM_REBUILD) ? -VM_EINVAL : 0;
	if (rc == 0) {
		r->handler = h;
		r->arg = arg;
	}
	VM_LEAVE();
	return rc;
}
