/* SPDX-License-Identifier: MIT */
/*
 * hv/metal/mem.c: physical memory after hv.
 *
 * Above hv's image and the modules (2 MiB-aligned) comes the frame pool;
 * after it, an arena of pages for VMX regions, VMCSs, EPT tables and exo
 * areas. Guests end in any order, so the arena is a bitmap of its pages
 * (first fit; runs of pages for exo areas); each guest gives back what it
 * took when it ends. All of it is inside the boot identity map (4 GiB).
 */
#include "metal.h"

#define SZ_2M (2ull << 20)
#define IDENTITY_END (4ull << 30)
#define ARENA_BYTES (16ull << 20)
#define ARENA_PAGES (ARENA_BYTES / 4096)

extern char metal_end[];

static uint64_t pool_base, pool_bytes, arena_base, pages_used;
static uint8_t arena_used[ARENA_PAGES / 8]; /* bit n: arena page n is taken */

int metal_mem_init(const struct metal_boot *boot, uint64_t pool_bytes_max)
{
	uint64_t start = (uint64_t)(uintptr_t)metal_end;
	for (unsigned i = 0; i < boot->nmod; i++)
		start = boot->mod[i].end > start ? boot->mod[i].end : start;
	start = (start + SZ_2M - 1) & ~(SZ_2M - 1);
	uint64_t end = boot->ram_end < IDENTITY_END ? boot->ram_end : IDENTITY_END;
	if (start < boot->ram_start || end < start + ARENA_BYTES + SZ_2M) {
		metal_printf("metal: not enough RAM above hv and its modules\n");
		return -1;
	}
	pool_base = start;
	pool_bytes = (end - start - ARENA_BYTES) & ~(SZ_2M - 1);
	if (pool_bytes > pool_bytes_max)
		pool_bytes = pool_bytes_max;
	arena_base = pool_base + pool_bytes;
	return 0;
}

uint64_t metal_pool_base(void)
{
	return pool_base;
}

uint64_t metal_pool_bytes(void)
{
	return pool_bytes;
}

static int taken(uint64_t page)
{
	return arena_used[page / 8] >> (page % 8) & 1;
}

static void mark(uint64_t first, uint64_t n, int used)
{
	for (uint64_t p = first; p < first + n; p++) {
		if (used)
			arena_used[p / 8] |= (uint8_t)(1u << p % 8);
		else
			arena_used[p / 8] &= (uint8_t)~(1u << p % 8);
	}
}

void *metal_page_alloc(uint64_t npages)
{
	uint64_t run = 0;
	for (uint64_t p = 0; p < ARENA_PAGES && npages; p++) {
		run = taken(p) ? 0 : run + 1;
		if (run < npages)
			continue;
		uint64_t first = p + 1 - npages;
		mark(first, npages, 1);
		pages_used += npages;
		void *v = (void *)(uintptr_t)(arena_base + first * 4096);
		memset(v, 0, npages * 4096);
		return v;
	}
	return 0;
}

void metal_page_free(void *v, uint64_t npages)
{
	uint64_t first = ((uint64_t)(uintptr_t)v - arena_base) / 4096;
	for (uint64_t p = first; p < first + npages; p++)
		if (p >= ARENA_PAGES || !taken(p))
			hv_plat_panic("an arena page freed twice, or not the arena's");
	mark(first, npages, 0);
	pages_used -= npages;
}

uint64_t metal_pages_used(void)
{
	return pages_used;
}
