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

struct vm_region *vm_region_find(uint64_t va)
{
	for (unsigned i = 0; i < VM_REGIONS_MAX; i++) {
		struct vm_region *r = &vm_state.regions[i];
		if (r->end && va >= r->start && va < r->end)
			return r;
	}
	return NULL;
}

struct region_args {
	uint64_t va, len;
	unsigned prot, flags;
	vm_handler h;
	void *arg;
};

static int64_t region_k(uint64_t a, uint64_t b, uint64_t c)
{
	(void)b, (void)c;
	const struct region_args *r = (const struct region_args *)(uintptr_t)a;
	if (!vm_range_ok(r->va, r->len) || (r->prot & ~(VM_R | VM_W | VM_X)) ||
	    (r->flags & ~(VM_DEMAND_ZERO | VM_HUGE_PAGES)))
		return -VM_EINVAL;
	if ((r->flags & VM_HUGE_PAGES) && ((r->va | r->len) & (VM_HUGE - 1)))
		return -VM_EINVAL;
	struct vm_region *slot = NULL;
	for (unsigned i = 0; i < VM_REGIONS_MAX; i++) {
		struct vm_region *o = &vm_state.regions[i];
		if (!o->end) {
			slot = slot ? slot : o;
			continue;
		}
		if (r->va < o->end && o->start < r->va + r->len)
			return -VM_EEXIST;
	}
	if (!slot)
		return -VM_ENOSPC;
	*slot = (struct vm_region){ r->va, r->va + r->len, r->prot, r->flags, r->h, r->arg };
	return 0;
}

int vm_region(uint64_t va, uint64_t len, unsigned prot, unsigned flags, vm_handler h, void *arg)
{
	struct region_args r = { va, len, prot, flags, h, arg };
	return (int)vm_call(region_k, (uint64_t)(uintptr_t)&r, 0, 0);
}

static int64_t region_remove_k(uint64_t va, uint64_t b, uint64_t c)
{
	(void)b, (void)c;
	struct vm_region *r = vm_region_find(va);
	if (!r || r->start != va)
		return -VM_ENOENT;
	r->end = 0;
	return 0;
}

int vm_region_remove(uint64_t va)
{
	return (int)vm_call(region_remove_k, va, 0, 0);
}

static int64_t trap_k(uint64_t va, uint64_t h, uint64_t arg)
{
	struct vm_region *r = vm_region_find(va);
	if (!r)
		return -VM_ENOENT;
	r->handler = (vm_handler)(uintptr_t)h;
	r->arg = (void *)(uintptr_t)arg;
	return 0;
}

int vm_trap(uint64_t va, vm_handler h, void *arg)
{
	return (int)vm_call(trap_k, va, (uint64_t)(uintptr_t)h, (uint64_t)(uintptr_t)arg);
}
