/*
 * hv/metal/ept.c: a guest's extended page tables.
 *
 * EPT maps exactly what the guest owns: GPA = frame address -> the pool
 * frame's host-physical address, read/write/execute; the exo area
 * read-only. Tables come from the arena and go with the guest. Removing a
 * mapping from a live EPT is followed by INVEPT before the guest runs
 * again (hv_plat_unbind calls metal_ept_flush).
 */
#include "caps.h"
#include "metal.h"

static uint64_t *next_table(uint64_t *entry)
{
	if (!(*entry & (EPT_R | EPT_W | EPT_X))) {
		uint64_t *t = metal_page_alloc(1);
		if (!t)
			return 0;
		*entry = metal_ept_table((uint64_t)(uintptr_t)t);
	}
	return (uint64_t *)(uintptr_t)(*entry & EPT_ADDR);
}

static uint64_t *leaf(struct metal_ept *e, uint64_t gpa, int create)
{
	uint64_t *t = e->pml4;
	for (int level = 3; level > 0; level--) {
		uint64_t *entry = &t[(gpa >> (12 + 9 * level)) & 511];
		if (!create && !(*entry & (EPT_R | EPT_W | EPT_X)))
			return 0;
		if (!(t = next_table(entry)))
			return 0;
	}
	return &t[(gpa >> 12) & 511];
}

int metal_ept_map(struct metal_ept *e, uint64_t gpa, uint64_t hpa, unsigned perms)
{
	uint64_t *l = leaf(e, gpa, 1);
	if (!l)
		return -EXO_ENOMEM;
	*l = metal_ept_leaf(hpa, perms);
	return 0;
}

void metal_ept_unmap(struct metal_ept *e, uint64_t gpa)
{
	uint64_t *l = leaf(e, gpa, 0);
	if (l)
		*l = 0;
}

void metal_ept_flush(const struct metal_ept *e)
{
	struct {
		uint64_t eptp, reserved;
	} d = { metal_eptp((uint64_t)(uintptr_t)e->pml4), 0 };
	if (e->live)
		__asm__ volatile("invept %0, %1" : : "m"(d), "r"(1ull) : "cc", "memory");
}
