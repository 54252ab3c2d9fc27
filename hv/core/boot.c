/* SPDX-License-Identifier: MIT */
/*
 * hv/core/boot.c: a guest's first address space.
 *
 * Loads the image into contiguous frames the guest owns, builds the
 * four-level page tables it starts on (the image at its link addresses with
 * its segments' protections, and a 2 MiB-page direct map of every GPA at
 * EXO_PHYSMAP_BASE), and fills the exo page. Every frame used here is
 * charged to the guest, which may take the tables over. Platform-free: the
 * same layout on kvm and metal.
 */
#include <string.h>

#include "core.h"

#define PTE_P (1ull << 0)
#define PTE_RW (1ull << 1)
#define PTE_PS (1ull << 7)
#define PTE_NX (1ull << 63)
#define PTE_ADDR 0x000ffffffffff000ull
#define SZ_2M (1ull << 21)
#define SZ_1G (1ull << 30)

/* hv writes tables into frames it has just given the guest: trusted
 * construction, so it uses the pool view directly. */
static uint64_t *frame_at(struct hv_guest *g, uint64_t gpa)
{
	return (uint64_t *)(g->pool->host + gpa);
}

static int new_table(struct hv_guest *g, uint64_t *gpa)
{
	uint64_t f;
	int rc = hv_frames_alloc_any(g, 1, &f);
	if (rc < 0)
		return rc;
	*gpa = f << EXO_PAGE_SHIFT;
	memset(frame_at(g, *gpa), 0, EXO_PAGE_SIZE);
	return 0;
}

/* The entry for va at depth (3 = PML4 ... 0 = PT), creating tables above. */
static int entry_for(struct hv_guest *g, uint64_t root, uint64_t va, int depth,
		     uint64_t **pte)
{
	uint64_t table = root;
	for (int level = 3; level > depth; level--) {
		uint64_t *e = &frame_at(g, table)[(va >> (12 + 9 * level)) & 511];
		if (!(*e & PTE_P)) {
			uint64_t gpa;
			int rc = new_table(g, &gpa);
			if (rc < 0)
				return rc;
			*e = gpa | PTE_P | PTE_RW;
		}
		table = *e & PTE_ADDR;
	}
	*pte = &frame_at(g, table)[(va >> (12 + 9 * depth)) & 511];
	return 0;
}

static uint64_t regions(uint64_t lo, uint64_t hi, uint64_t size)
{
	return (hi - 1) / size - lo / size + 1;
}

static uint64_t pages(uint64_t bytes)
{
	return (bytes + EXO_PAGE_SIZE - 1) / EXO_PAGE_SIZE;
}

static uint64_t frames_needed(const struct hv_image *img, uint64_t phys_end,
			      uint64_t payload_bytes)
{
	return (img->hi - img->lo) / EXO_PAGE_SIZE /* the image */
	       + pages(payload_bytes)
	       + 1                                 /* PML4 */
	       + 1 + regions(0, phys_end, SZ_1G)   /* physmap PDPT, PDs */
	       + 1 + regions(img->lo, img->hi, SZ_1G) + regions(img->lo, img->hi, SZ_2M);
}

static uint64_t page_flags(const struct hv_image *img, uint64_t va)
{
	uint64_t flags = 0;
	for (unsigned i = 0; i < img->nsegs; i++) {
		const struct hv_segment *s = &img->seg[i];
		uint64_t lo = s->vaddr & ~(uint64_t)(EXO_PAGE_SIZE - 1);
		if (va < lo || va >= s->vaddr + s->memsz)
			continue;
		flags |= PTE_P;
		if (s->flags & HV_SEG_W)
			flags |= PTE_RW;
		if (!(s->flags & HV_SEG_X))
			flags |= PTE_NX; /* cleared below if any segment is X */
	}
	for (unsigned i = 0; i < img->nsegs; i++) {
		const struct hv_segment *s = &img->seg[i];
		uint64_t lo = s->vaddr & ~(uint64_t)(EXO_PAGE_SIZE - 1);
		if (va >= lo && va < s->vaddr + s->memsz && (s->flags & HV_SEG_X))
			flags &= ~PTE_NX;
	}
	return flags;
}

static int pack_strings(struct exo_page *exo, uint64_t *at, int n, char *const s[])
{
	if (n < 0 || (unsigned)n > EXO_ARGC_MAX)
		return -EXO_E2BIG;
	for (int i = 0; i < n; i++) {
		uint64_t len = strlen(s[i]) + 1;
		if (len > EXO_ARGS_BYTES - *at)
			return -EXO_E2BIG;
		memcpy(exo->args + *at, s[i], len);
		*at += len;
	}
	return 0;
}

static int pack_args(struct exo_page *exo, const struct hv_boot_args *a)
{
	uint64_t at = 0;
	if (pack_strings(exo, &at, a->argc, a->argv) < 0 ||
	    pack_strings(exo, &at, a->envc, a->envp) < 0)
		return -EXO_E2BIG;
	exo->argc = (uint32_t)a->argc;
	exo->envc = (uint32_t)a->envc;
	exo->args_len = at;
	return 0;
}

int hv_boot_load(struct hv_guest *g, const struct hv_image *img,
		 const uint8_t *buf, const struct hv_boot_args *args,
		 struct hv_boot *boot, const char **why)
{
	struct exo_page *exo = g->exo;
	uint64_t exo_end = g->exo_gpa + hv_exo_area_bytes(g->pool->nframes);
	uint64_t phys_end = (exo_end + SZ_2M - 1) & ~(SZ_2M - 1);
	int rc;

	*exo = (struct exo_page){
		.magic = EXO_PAGE_MAGIC,
		.abi_version = EXO_ABI_VERSION,
		.pool_frames = g->pool->nframes,
		.mem_cap_frames = g->cap_frames,
		.frames_owned = g->owned,
		.exo_page_gpa = g->exo_gpa,
		.bitmap_gpa = g->exo_gpa + (uint64_t)(g->bitmap - (uint8_t *)exo),
		.grant_bitmap_gpa = g->exo_gpa + (uint64_t)(g->grant_bitmap - (uint8_t *)exo),
		.grant_rw_bitmap_gpa = g->exo_gpa + (uint64_t)(g->grant_rw_bitmap - (uint8_t *)exo),
		.frames_granted = g->granted,
		.slice_ns = HV_SLICE_NS,
		.slice_grace_ns = HV_SLICE_GRACE_NS,
		.repossessed_bitmap_gpa = g->exo_gpa + (uint64_t)(g->repossessed_bitmap - (uint8_t *)exo),
		.pinned_bitmap_gpa = g->exo_gpa + (uint64_t)(g->pinned_bitmap - (uint8_t *)exo),
		.guest_id = g->id,
		.image_vaddr = img->lo,
		.image_bytes = img->hi - img->lo,
	};
	memcpy(exo->name, g->name, sizeof exo->name);
	if (pack_args(exo, args) < 0) {
		*why = "arguments and environment too long for the exo page";
		return -EXO_E2BIG;
	}
	if (phys_end > 512 * SZ_1G) {
		*why = "pool too large for the boot direct map (512 GiB)";
		return -EXO_E2BIG;
	}
	boot->need_frames = frames_needed(img, phys_end, args->payload_bytes);
	if (boot->need_frames > g->pool->nfree) {
		*why = "image and its page tables need more frames than the pool has free";
		return -EXO_ENOMEM;
	}
	if (boot->need_frames > g->cap_frames - g->owned) {
		*why = "image and its page tables need more frames than the guest may own";
		return -EXO_ENOMEM;
	}

	uint64_t first;
	uint64_t npages = (img->hi - img->lo) / EXO_PAGE_SIZE;
	if ((rc = hv_frames_alloc_contig(g, npages, &first)) < 0) {
		*why = "no contiguous run of free frames for the image";
		return rc;
	}
	uint64_t image_gpa = first << EXO_PAGE_SHIFT;
	uint8_t *image = g->pool->host + image_gpa;
	memset(image, 0, npages * EXO_PAGE_SIZE);
	for (unsigned i = 0; i < img->nsegs; i++)
		memcpy(image + (img->seg[i].vaddr - img->lo), buf + img->seg[i].offset,
		       img->seg[i].filesz);
	exo->image_gpa = image_gpa;
	if (args->payload_bytes) {
		uint64_t np = pages(args->payload_bytes);
		if ((rc = hv_frames_alloc_contig(g, np, &first)) < 0) {
			*why = "no contiguous run of free frames for the program";
			return rc;
		}
		uint8_t *p = g->pool->host + (first << EXO_PAGE_SHIFT);
		memcpy(p, args->payload, args->payload_bytes);
		memset(p + args->payload_bytes, 0, np * EXO_PAGE_SIZE - args->payload_bytes);
		exo->payload_gpa = first << EXO_PAGE_SHIFT;
		exo->payload_bytes = args->payload_bytes;
	}

	uint64_t root, *pte;
	*why = "out of frames while building page tables";
	if ((rc = new_table(g, &root)) < 0)
		return rc;
	for (uint64_t va = img->lo; va < img->hi; va += EXO_PAGE_SIZE) {
		uint64_t flags = page_flags(img, va);
		if (!flags)
			continue;
		if ((rc = entry_for(g, root, va, 0, &pte)) < 0)
			return rc;
		*pte = (image_gpa + (va - img->lo)) | flags;
	}
	for (uint64_t pa = 0; pa < phys_end; pa += SZ_2M) {
		if ((rc = entry_for(g, root, EXO_PHYSMAP_BASE + pa, 1, &pte)) < 0)
			return rc;
		*pte = pa | PTE_P | PTE_RW | PTE_PS | PTE_NX;
	}
	hv_pin_owned(g);
	boot->entry = img->entry;
	boot->cr3 = root;
	boot->rdi = EXO_PHYSMAP_BASE + g->exo_gpa;
	*why = NULL;
	return 0;
}
