/* SPDX-License-Identifier: MIT */
/*
 * tests/fuzz/fuzz_elf.c: libFuzzer harness for guest images: hv_elf_parse
 * (hv/core/elf.c) on the input, and when it accepts, hv_boot_load
 * (hv/core/boot.c) of that image into a guest.
 *
 * The input is the image file, as `exo run` reads it; libFuzzer hands it
 * over in a buffer of exactly its size, so AddressSanitizer reports any
 * read past its end. What hv_elf_parse accepts must be loadable without
 * such a read: every segment's file bytes inside the input, no more file
 * bytes than memory, inside the page-aligned span lo..hi, at most
 * HV_SEGS_MAX segments. The guest (cap GUEST_FRAMES of a POOL_FRAMES pool;
 * a larger image is refused with -EXO_ENOMEM, as it must be) gets the
 * image, and a program (not linked with guestlib) also gets the input as
 * its payload, as posix-shim would. After a load every table frame and
 * every 4 KiB page the tables map is a frame the guest owns (2 MiB
 * entries are the direct map of every GPA, by design), the bytes at each
 * segment's pages are the segment's (unless segments overlap), fuzz_check compares every view of
 * ownership, and the pool must end clean.
 *
 * Before that, the file is read as a platform reads it (hv_elf_need: the
 * header, the program headers, the segments' bytes, never more): an
 * image hv_elf_parse accepts whole must be accepted, identically, from
 * just those bytes.
 *
 * Seeds: tests/fuzz/corpus/elf/ (stripped guest images and static and
 * static-pie musl programs). Run: make fuzz (see the Makefile).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_plat.h"

#define POOL_FRAMES 512u
#define GUEST_FRAMES 448u

#define PTE_P 1ull
#define PTE_PS (1ull << 7)
#define PTE_ADDR 0x000ffffffffff000ull

__attribute__((noreturn)) static void fail(const char *what, uint64_t n)
{
	fuzz_fail("fuzz_elf: %s (0x%llx)", what, (unsigned long long)n);
}

static void check_image(const struct hv_image *img, uint64_t len)
{
	if (img->nsegs > HV_SEGS_MAX)
		fail("more segments than HV_SEGS_MAX", img->nsegs);
	if (img->lo % EXO_PAGE_SIZE || img->hi % EXO_PAGE_SIZE || img->hi < img->lo)
		fail("span not page-aligned or reversed", img->lo);
	for (unsigned i = 0; i < img->nsegs; i++) {
		const struct hv_segment *s = &img->seg[i];
		if (s->offset > len || s->filesz > len - s->offset)
			fail("segment's file bytes past the input", s->offset);
		if (s->filesz > s->memsz)
			fail("segment has more file bytes than memory", s->filesz);
		if (s->vaddr < img->lo || s->memsz > img->hi - s->vaddr)
			fail("segment outside the image span", s->vaddr);
	}
}

/* Every table and every 4 KiB page the tables map, from level (3: PML4)
 * down, is g's. */
static void check_tables(const struct hv_guest *g, uint64_t table, int level)
{
	if (hv_check_gpa(g, table, EXO_PAGE_SIZE) < 0)
		fail("page table in a frame the guest does not own", table);
	const uint64_t *e = (const uint64_t *)(g->pool->host + table);
	for (unsigned i = 0; i < 512; i++) {
		if (!(e[i] & PTE_P))
			continue;
		uint64_t to = e[i] & PTE_ADDR;
		if (level == 0) {
			if (hv_check_gpa(g, to, EXO_PAGE_SIZE) < 0)
				fail("page mapped from a frame the guest does not own", to);
		} else if (level == 1 && (e[i] & PTE_PS)) {
			continue; /* the direct map */
		} else if (e[i] & PTE_PS) {
			fail("a 1 GiB page", to);
		} else {
			check_tables(g, to, level - 1);
		}
	}
}

static int overlaps(const struct hv_image *img, unsigned i)
{
	const struct hv_segment *s = &img->seg[i];
	for (unsigned j = 0; j < img->nsegs; j++) {
		const struct hv_segment *t = &img->seg[j];
		if (j != i && s->vaddr < t->vaddr + t->memsz && t->vaddr < s->vaddr + s->memsz)
			return 1;
	}
	return 0;
}

/* The bytes at each segment's place in the loaded image are its file's.
 * hv_elf_parse accepts segments that overlap (the later one's bytes
 * win, as on Linux): those are left out. */
static void check_loaded(const struct hv_guest *g, const struct hv_image *img,
			 const uint8_t *buf)
{
	const uint8_t *image = g->pool->host + g->exo->image_gpa;
	for (unsigned i = 0; i < img->nsegs; i++) {
		const struct hv_segment *s = &img->seg[i];
		const uint8_t *at = image + (s->vaddr - img->lo);
		if (overlaps(img, i))
			continue;
		if (memcmp(at, buf + s->offset, s->filesz))
			fail("a segment's bytes were not loaded as they are", s->vaddr);
	}
}

static int same(const struct hv_image *a, const struct hv_image *b)
{
	if (a->kind != b->kind || a->pie != b->pie || a->entry != b->entry || a->lo != b->lo ||
	    a->hi != b->hi || a->nsegs != b->nsegs)
		return 0;
	for (unsigned i = 0; i < a->nsegs; i++)
		if (a->seg[i].vaddr != b->seg[i].vaddr || a->seg[i].memsz != b->seg[i].memsz ||
		    a->seg[i].filesz != b->seg[i].filesz || a->seg[i].offset != b->seg[i].offset ||
		    a->seg[i].flags != b->seg[i].flags)
			return 0;
	return 1;
}

/* What a platform reads (hv/kvm/image.c): a first page, then as much as
 * hv_elf_need asks, never past the file. How many bytes it ends with, or
 * 0 if hv_elf_need refused the file. */
static uint64_t platform_read(const uint8_t *data, uint64_t size)
{
	uint64_t got = size < 4096 ? size : 4096, need;
	const char *why = NULL;
	for (unsigned round = 0;; round++) {
		if (hv_elf_need(data, got, &need, &why) < 0) {
			if (!why || !*why)
				fail("hv_elf_need refused without a reason", 0);
			return 0;
		}
		if (need <= got || got == size)
			return got;
		if (round == 3)
			fail("hv_elf_need still wants more after three rounds", need);
		got = need < size ? need : size;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hv_image img, part;
	const char *why = NULL;
	uint64_t got = platform_read(data, size);
	if (hv_elf_parse(data, size, &img, &why) < 0) {
		if (!why || !*why)
			fail("refused without a reason", 0);
		return 0;
	}
	/* An image hv_elf_parse accepts whole, it accepts as a platform reads
	 * it, the same in every field. */
	if (!got || hv_elf_parse(data, got, &part, &why) < 0 || !same(&img, &part))
		fail("the bytes hv_elf_need asks for are not the image hv_elf_parse accepts", got);
	check_image(&img, size);
	struct fake_pool *fp = fuzz_pool(POOL_FRAMES);
	struct fake_guest *fg = fuzz_guest_add(fp, "elf", GUEST_FRAMES);
	char *argv[] = { "fuzz", NULL };
	struct hv_boot_args args = { .argc = 1, .argv = argv };
	if (img.kind == HV_IMAGE_PROGRAM) {
		args.payload = data;
		args.payload_bytes = size;
	}
	struct hv_boot boot;
	int rc = hv_boot_load(&fg->g, &img, data, &args, &boot, &why);
	if (rc == 0) {
		check_tables(&fg->g, boot.cr3, 3);
		check_loaded(&fg->g, &img, data);
	} else if (!why || !*why) {
		fail("hv_boot_load failed without a reason", (uint64_t)-rc);
	}
	fuzz_check(fp);
	fuzz_pool_end(fp);
	return 0;
}
