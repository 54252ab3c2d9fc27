/* SPDX-License-Identifier: MIT */
/*
 * hv/metal/ept.c: a guest's extended page tables.
 *
 * EPT maps exactly what hv/core binds in the guest: GPA = frame address ->
 * the pool frame's host-physical address (frames it owns read/write/
 * execute, frames granted to it read-only or read-write), and the exo area
 * read-only. Tables come from the arena and go back to it when the guest
 * ends. A mapping removed or narrowed in a live EPT is followed by INVEPT
 * before anything runs again (plat.c).
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

int metal_ept_reserve(struct metal_ept *e, uint64_t gpa)
{
	return leaf(e, gpa, 1) ? 0 : -EXO_ENOMEM;
}

int metal_ept_map(struct metal_ept *e, uint64_t gpa, uint64_t hpa, unsigned perms)
{
	uint64_t *l = leaf(e, gpa, 1);
	if (!l)
		return -EXO_ENOMEM;
	*l = metal_ept_leaf(hpa, perms);
	return 0;
}

int metal_ept_unmap(struct metal_ept *e, uint64_t gpa)
{
	uint64_t *l = leaf(e, gpa, 0);
	if (!l || !*l)
		return 0;
	*l = 0;
	return 1;
}

/* Single-context INVEPT: every guest-physical and combined mapping cached
 * for this EPT, whatever VPID they were cached under, and whichever VMCS
 * is current (the CPU tags them by the EPT's root). */
void metal_ept_flush(const struct metal_ept *e)
{
	struct {
		uint64_t eptp, reserved;
	} d = { metal_eptp((uint64_t)(uintptr_t)e->pml4), 0 };
	__asm__ volatile("invept %0, %1" : : "m"(d), "r"(1ull) : "cc", "memory");
}

/* Recursion bounded by level: four deep at most (PML4 to PT).
 * NOLINTNEXTLINE(misc-no-recursion) */
static void free_table(uint64_t *t, int level)
{
	for (int i = 0; level > 0 && i < 512; i++)
		if (t[i] & (EPT_R | EPT_W | EPT_X))
			free_table((uint64_t *)(uintptr_t)(t[i] & EPT_ADDR), level - 1);
	metal_page_free(t, 1);
}

void metal_ept_free(struct metal_ept *e)
{
	if (e->pml4)
		free_table(e->pml4, 3);
	e->pml4 = 0;
}
