/*
 * hv/metal/mem.c: physical memory after hv.
 *
 * Above hv's image and the modules (2 MiB-aligned) comes the frame pool;
 * after it, an arena of pages for VMX regions, VMCSs, EPT tables and exo
 * areas. The arena is a stack: a guest's pages are released together when
 * it ends. All of it is inside the boot identity map (4 GiB).
 */
#include "metal.h"

#define SZ_2M (2ull << 20)
#define IDENTITY_END (4ull << 30)
#define ARENA_BYTES (16ull << 20)

extern char metal_end[];

static uint64_t pool_base, pool_bytes, arena_base, arena_end, arena_next;

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
	arena_base = arena_next = pool_base + pool_bytes;
	arena_end = arena_base + ARENA_BYTES;
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

void *metal_page_alloc(uint64_t npages)
{
	if (npages > (arena_end - arena_next) / 4096)
		return 0;
	void *p = (void *)(uintptr_t)arena_next;
	arena_next += npages * 4096;
	memset(p, 0, npages * 4096);
	return p;
}

uint64_t metal_arena_mark(void)
{
	return arena_next;
}

void metal_arena_release(uint64_t mark)
{
	arena_next = mark;
}
