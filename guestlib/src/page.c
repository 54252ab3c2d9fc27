/*
 * guestlib/src/page.c: the exo page, and what a guest address is to hv.
 *
 * hv's read-only page says where the image and the ownership bitmap are;
 * exo_gpa turns a guest address into the guest-physical address hv wants
 * in a hypercall: by subtraction in the image and the direct map, through
 * the page tables anywhere else.
 */
#include "exo/exo.h"
#include "guestlib.h"

static const struct exo_page *page;

const struct exo_page *exo_page(void)
{
	return page;
}

/* The root hv built; library OSes edit its tables but keep the root. */
static uint64_t root_gpa;

uint64_t exo_gpa(const void *p)
{
	uint64_t va = (uint64_t)(uintptr_t)p;
	if (va - page->image_vaddr < page->image_bytes)
		return page->image_gpa + (va - page->image_vaddr);
	if (va - EXO_PHYSMAP_BASE < (512ull << 30))
		return va - EXO_PHYSMAP_BASE;
	/* Anywhere else (a library OS's lower half): through the tables. */
	uint64_t table = root_gpa;
	for (int level = 3; level >= 0; level--) {
		const uint64_t *t = (const uint64_t *)(uintptr_t)(EXO_PHYSMAP_BASE + table);
		uint64_t e = t[(va >> (12 + 9 * level)) & 511], size = 1ull << (12 + 9 * level);
		if (!(e & 1))
			return EXO_GPA_NONE;
		if (level == 0 || (e & (1u << 7)))
			return (e & 0x000ffffffffff000ull & ~(size - 1)) + (va & (size - 1));
		table = e & 0x000ffffffffff000ull;
	}
	return EXO_GPA_NONE;
}

int exo_gpa_contiguous(const void *p)
{
	uint64_t va = (uint64_t)(uintptr_t)p;
	return va - page->image_vaddr < page->image_bytes || va - EXO_PHYSMAP_BASE < (512ull << 30);
}

int exo_owns(uint64_t f)
{
	const uint8_t *bits = (const uint8_t *)(uintptr_t)(EXO_PHYSMAP_BASE + page->bitmap_gpa);
	return f < page->pool_frames && (bits[f / 8] >> (f % 8)) & 1;
}

void exo_page_init(const struct exo_page *p)
{
	page = p;
	__asm__ volatile("mov %%cr3, %0" : "=r"(root_gpa));
	root_gpa &= 0x000ffffffffff000ull;
}
