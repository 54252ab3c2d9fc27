/* SPDX-License-Identifier: MIT */
/*
 * guestlib/src/page.c: the exo page, and what a guest address is to hv.
 *
 * hv's read-only page says who the guest is (id, name), where the image
 * is, which frames it owns and was granted, which hv took by abort and
 * which it never takes (five bitmaps); exo_gpa
 * turns a guest address into the guest-physical address hv wants in a
 * hypercall: by subtraction in the image and the direct map, through the
 * page tables anywhere else.
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

/* Bit f of the exo page's bitmap at gpa. */
static int bit(uint64_t gpa, uint64_t f)
{
	const uint8_t *bits = (const uint8_t *)(uintptr_t)(EXO_PHYSMAP_BASE + gpa);
	return f < page->pool_frames && (bits[f / 8] >> (f % 8)) & 1;
}

int exo_owns(uint64_t f)
{
	return bit(page->bitmap_gpa, f);
}

int exo_granted(uint64_t f)
{
	return bit(page->grant_bitmap_gpa, f);
}

int exo_granted_rw(uint64_t f)
{
	return bit(page->grant_rw_bitmap_gpa, f);
}

int exo_repossessed(uint64_t f)
{
	return bit(page->repossessed_bitmap_gpa, f);
}

int exo_pinned(uint64_t f)
{
	return bit(page->pinned_bitmap_gpa, f);
}

/* A word at a time: in a pool of 64K frames, 1024 loads rather than 64K
 * bit tests (guest ring 0 may be emulated, ~0.6 us an instruction). The
 * bitmaps are a whole number of pages, so whole words are in them. */
static uint64_t next_set(uint64_t gpa, uint64_t from)
{
	const volatile uint64_t *w = (const volatile uint64_t *)(uintptr_t)(EXO_PHYSMAP_BASE + gpa);
	uint64_t n = page->pool_frames;
	for (uint64_t f = from; f < n; f = (f | 63) + 1) {
		uint64_t bits = w[f / 64] >> (f % 64);
		if (bits) {
			f += (uint64_t)__builtin_ctzll(bits);
			return f < n ? f : EXO_FRAME_NONE;
		}
	}
	return EXO_FRAME_NONE;
}

uint64_t exo_granted_next(uint64_t from, int rw)
{
	return next_set(rw ? page->grant_rw_bitmap_gpa : page->grant_bitmap_gpa, from);
}

uint64_t exo_repossessed_next(uint64_t from)
{
	return next_set(page->repossessed_bitmap_gpa, from);
}

uint32_t exo_guest_id(void)
{
	return page->guest_id;
}

/* The exo page pads the name with NULs but one of EXO_NAME_MAX bytes has
 * none: a copy with room for it. */
static char name[EXO_NAME_MAX + 1];

const char *exo_name(void)
{
	return name;
}

void exo_page_init(const struct exo_page *p)
{
	page = p;
	memcpy(name, p->name, EXO_NAME_MAX);
	__asm__ volatile("mov %%cr3, %0" : "=r"(root_gpa));
	root_gpa &= 0x000ffffffffff000ull;
}
