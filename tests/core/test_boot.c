/* SPDX-License-Identifier: MIT */
/*
 * tests/core/test_boot.c: hv/core/boot.c, a guest's first address space.
 *
 * hv_boot_load with a small image described directly as an hv_image (text
 * r-x, rodata r--, an unmapped gap page, data rw- with bss). The tests walk
 * the four-level page tables from boot.cr3 through pool memory, as the CPU
 * would: the image pages map to contiguous image frames with the segments'
 * protections, the direct map covers every GPA up to and past the exo page
 * in 2 MiB pages, and every table lives in a frame the guest owns. They also
 * check the bytes loaded, the exo page, and the refusals (cap, pool,
 * fragmentation, arguments) that must leave nothing allocated.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "fake_plat.h"

#define NFRAMES 1024u /* 4 MiB pool: exo page at 4 MiB, direct map to 6 MiB */
#define PG(f) ((uint64_t)(f) * EXO_PAGE_SIZE)
#define SZ_2M (1ull << 21)

#define PTE_P (1ull << 0)
#define PTE_RW (1ull << 1)
#define PTE_PS (1ull << 7)
#define PTE_NX (1ull << 63)
#define PTE_ADDR 0x000ffffffffff000ull

#define LO EXO_IMAGE_MIN
#define TEXT_VA LO                 /* pages 0, 1 */
#define RODATA_VA (LO + 0x2000)    /* page 2; page 3 is a gap */
#define DATA_VA (LO + 0x4010)      /* pages 4..7 */
#define IMAGE_PAGES 8u
/* image 8 + PML4 + physmap PDPT and one PD + image PDPT, PD and PT */
#define NEED_FRAMES (IMAGE_PAGES + 6u)

static struct fake_pool *fp;
static struct fake_guest *a, *b;
static struct hv_image img;
static uint8_t file[0x6000];
static char *const argv2[] = { "prog", "arg one", NULL };

static void setup(void)
{
	fp = fake_pool_create(NFRAMES);
	a = fake_guest_create(fp, "a", NFRAMES);
	b = fake_guest_create(fp, "b", NFRAMES);
	img = (struct hv_image){
		.entry = TEXT_VA + 0x100,
		.lo = LO,
		.hi = LO + PG(IMAGE_PAGES),
		.nsegs = 3,
		.seg = {
			{ .vaddr = TEXT_VA, .memsz = 0x1800, .filesz = 0x1800, .offset = 0x0,
			  .flags = HV_SEG_X },
			{ .vaddr = RODATA_VA, .memsz = 0x100, .filesz = 0x100, .offset = 0x2000,
			  .flags = 0 },
			{ .vaddr = DATA_VA, .memsz = 0x3000, .filesz = 0x20, .offset = 0x4010,
			  .flags = HV_SEG_W },
		},
	};
	for (size_t i = 0; i < sizeof file; i++)
		file[i] = (uint8_t)(i * 7 + 1);
}

static void teardown(void)
{
	fake_guest_destroy(a);
	fake_guest_destroy(b);
	fake_pool_destroy(fp);
}

TestSuite(boot, .init = setup, .fini = teardown);

static void assert_agree(const struct fake_guest *fg)
{
	const char *d = fake_disagreement(fg);
	cr_assert_null(d, "guest %u: %s", fg->g.id, d);
}

/* The table at gpa, which must be a frame a owns. */
static const uint64_t *table_at(uint64_t gpa)
{
	cr_assert_eq(gpa % EXO_PAGE_SIZE, 0, "table at 0x%llx", (unsigned long long)gpa);
	cr_assert_eq(hv_check_frame(&a->g, gpa / EXO_PAGE_SIZE), 0,
		     "table at 0x%llx is not the guest's", (unsigned long long)gpa);
	return (const uint64_t *)(fp->host + gpa);
}

/* Walk from cr3 to va's leaf entry: 0 if not present, else the entry, with
 * *size the page size it maps. Table entries above the leaf must be P|RW. */
static uint64_t walk(uint64_t cr3, uint64_t va, uint64_t *size)
{
	uint64_t table = cr3;
	for (int level = 3; level >= 0; level--) {
		uint64_t e = table_at(table)[(va >> (12 + 9 * level)) & 511];
		if (!(e & PTE_P))
			return 0;
		*size = 1ull << (12 + 9 * level);
		if (level == 0 || (e & PTE_PS)) {
			cr_assert(level <= 1, "large page at level %d", level);
			return e;
		}
		cr_assert_eq(e & (PTE_RW | PTE_NX), PTE_RW, "table entry 0x%llx", (unsigned long long)e);
		table = e & PTE_ADDR;
	}
	return 0;
}

static int load(int argc, char *const argv[], struct hv_boot *boot, const char **why)
{
	memset(boot, 0xee, sizeof *boot);
	*why = "not set";
	struct hv_boot_args args = { .argc = argc, .argv = argv };
	return hv_boot_load(&a->g, &img, file, &args, boot, why);
}

static void load_ok(struct hv_boot *boot)
{
	const char *why;
	int rc = load(2, argv2, boot, &why);
	cr_assert_eq(rc, 0, "rc %d: %s", rc, why ? why : "(null)");
	cr_assert_null(why);
}

/* --- a good load --- */

Test(boot, registers_point_at_the_entry_tables_and_exo_page)
{
	struct hv_boot boot;
	load_ok(&boot);
	cr_assert_eq(boot.entry, TEXT_VA + 0x100);
	cr_assert_eq(boot.rdi, EXO_PHYSMAP_BASE + a->g.exo_gpa);
	cr_assert_eq(boot.cr3 % EXO_PAGE_SIZE, 0);
	cr_assert_eq(hv_frame_owner(&fp->pool, boot.cr3 / EXO_PAGE_SIZE), 1);
	cr_assert_eq(boot.need_frames, NEED_FRAMES);
}

Test(boot, every_frame_used_is_charged_to_the_guest)
{
	struct hv_boot boot;
	load_ok(&boot);
	cr_assert_eq(a->g.owned, NEED_FRAMES);
	cr_assert_eq(fp->pool.nfree, NFRAMES - NEED_FRAMES);
	cr_assert_eq(a->g.exo->frames_owned, a->g.owned);
	assert_agree(a);
}

Test(boot, image_pages_map_to_contiguous_frames_with_segment_protections)
{
	struct hv_boot boot;
	load_ok(&boot);
	uint64_t image_gpa = a->g.exo->image_gpa, size = 0;
	for (unsigned p = 0; p < IMAGE_PAGES; p++)
		cr_assert_eq(hv_frame_owner(&fp->pool, image_gpa / EXO_PAGE_SIZE + p), 1);
	/* expected flags per page: text, text, rodata, gap, data x4 */
	const uint64_t want[IMAGE_PAGES] = {
		PTE_P, PTE_P, PTE_P | PTE_NX, 0,
		PTE_P | PTE_RW | PTE_NX, PTE_P | PTE_RW | PTE_NX,
		PTE_P | PTE_RW | PTE_NX, PTE_P | PTE_RW | PTE_NX,
	};
	for (unsigned p = 0; p < IMAGE_PAGES; p++) {
		uint64_t va = LO + PG(p);
		uint64_t e = walk(boot.cr3, va, &size);
		if (!want[p]) {
			cr_assert_eq(e, 0, "gap page %u mapped: 0x%llx", p, (unsigned long long)e);
			continue;
		}
		cr_assert_eq(size, EXO_PAGE_SIZE, "page %u", p);
		cr_assert_eq(e & PTE_ADDR, image_gpa + PG(p), "page %u", p);
		cr_assert_eq(e & (PTE_P | PTE_RW | PTE_NX | PTE_PS), want[p],
			     "page %u: entry 0x%llx", p, (unsigned long long)e);
	}
	cr_assert_eq(walk(boot.cr3, LO + PG(IMAGE_PAGES), &size), 0, "past the image");
	cr_assert_eq(walk(boot.cr3, LO - EXO_PAGE_SIZE, &size), 0, "below the image");
}

Test(boot, a_page_shared_by_two_segments_gets_the_union_of_their_rights)
{
	struct hv_boot boot;
	uint64_t size;
	/* rodata moves into text's second page, data into the gap page */
	img.seg[1].vaddr = TEXT_VA + 0x1900;
	img.seg[2].vaddr = LO + 0x3010;
	load_ok(&boot);
	uint64_t e = walk(boot.cr3, TEXT_VA + 0x1000, &size);
	cr_assert_eq(e & (PTE_P | PTE_RW | PTE_NX), PTE_P, "text + rodata: executable, read-only");
	e = walk(boot.cr3, LO + 0x3000, &size);
	cr_assert_eq(e & (PTE_P | PTE_RW | PTE_NX), PTE_P | PTE_RW | PTE_NX);
	cr_assert_eq(walk(boot.cr3, RODATA_VA, &size), 0, "page 2 is now empty");
}

Test(boot, segment_bytes_are_copied_and_bss_is_zeroed)
{
	struct hv_boot boot;
	memset(fp->host, 0xcc, PG(NFRAMES)); /* junk where the image will go */
	load_ok(&boot);
	const uint8_t *image = fp->host + a->g.exo->image_gpa;
	for (unsigned i = 0; i < img.nsegs; i++) {
		const struct hv_segment *s = &img.seg[i];
		const uint8_t *at = image + (s->vaddr - LO);
		cr_assert_eq(memcmp(at, file + s->offset, s->filesz), 0, "segment %u", i);
		for (uint64_t k = s->filesz; k < s->memsz; k++)
			cr_assert_eq(at[k], 0, "segment %u, bss byte 0x%llx", i, (unsigned long long)k);
	}
	/* the rest of the image is zero: text's tail page, gap, data's head */
	for (uint64_t off = 0x1800; off < 0x2000; off++)
		cr_assert_eq(image[off], 0);
	for (uint64_t off = 0x2100; off < 0x4010; off++)
		cr_assert_eq(image[off], 0, "offset 0x%llx", (unsigned long long)off);
	for (uint64_t off = 0x7010; off < PG(IMAGE_PAGES); off++)
		cr_assert_eq(image[off], 0);
}

Test(boot, physmap_maps_every_gpa_with_2mib_pages)
{
	struct hv_boot boot;
	uint64_t size = 0;
	load_ok(&boot);
	uint64_t exo_end = a->g.exo_gpa + hv_exo_area_bytes(NFRAMES);
	uint64_t phys_end = (exo_end + SZ_2M - 1) & ~(SZ_2M - 1);
	cr_assert_eq(phys_end, 3 * SZ_2M);
	for (uint64_t pa = 0; pa < phys_end; pa += SZ_2M) {
		uint64_t e = walk(boot.cr3, EXO_PHYSMAP_BASE + pa, &size);
		cr_assert_eq(size, SZ_2M, "pa 0x%llx", (unsigned long long)pa);
		cr_assert_eq(e & PTE_ADDR, pa);
		cr_assert_eq(e & (PTE_P | PTE_RW | PTE_PS | PTE_NX), PTE_P | PTE_RW | PTE_PS | PTE_NX);
	}
	cr_assert_eq(walk(boot.cr3, EXO_PHYSMAP_BASE + phys_end, &size), 0);
	/* the exo page is reachable at rdi */
	uint64_t e = walk(boot.cr3, boot.rdi, &size);
	cr_assert_eq((e & PTE_ADDR) + (boot.rdi - EXO_PHYSMAP_BASE) % SZ_2M, a->g.exo_gpa);
}

Test(boot, exo_page_describes_the_guest)
{
	struct hv_boot boot;
	a->g.cap_frames = 500;
	load_ok(&boot);
	const struct exo_page *x = a->g.exo;
	cr_assert_eq(x->magic, EXO_PAGE_MAGIC);
	cr_assert_eq(x->abi_version, EXO_ABI_VERSION);
	cr_assert_eq(x->pool_frames, NFRAMES);
	cr_assert_eq(x->mem_cap_frames, 500);
	cr_assert_eq(x->frames_owned, a->g.owned);
	cr_assert_eq(x->exo_page_gpa, a->g.exo_gpa);
	cr_assert_eq(x->bitmap_gpa, a->g.exo_gpa + EXO_PAGE_SIZE);
	cr_assert_eq(x->image_vaddr, LO);
	cr_assert_eq(x->image_bytes, PG(IMAGE_PAGES));
	cr_assert_eq(x->image_gpa % EXO_PAGE_SIZE, 0);
	cr_assert_eq(hv_frame_owner(&fp->pool, x->image_gpa / EXO_PAGE_SIZE), 1);
	cr_assert_eq(x->argc, 2);
	cr_assert_eq(x->args_len, sizeof "prog" + sizeof "arg one");
	cr_assert_eq(memcmp(x->args, "prog\0arg one\0", x->args_len), 0);
}

Test(boot, no_arguments_is_fine)
{
	struct hv_boot boot;
	const char *why;
	cr_assert_eq(load(0, NULL, &boot, &why), 0);
	cr_assert_eq(a->g.exo->argc, 0);
	cr_assert_eq(a->g.exo->args_len, 0);
}

Test(boot, arguments_filling_the_exo_page_exactly_are_accepted)
{
	static char big[EXO_ARGS_BYTES];
	char *const argv[] = { big, NULL };
	struct hv_boot boot;
	const char *why;
	memset(big, 'a', EXO_ARGS_BYTES - 1);
	cr_assert_eq(load(1, argv, &boot, &why), 0, "%s", why ? why : "");
	cr_assert_eq(a->g.exo->args_len, EXO_ARGS_BYTES);
	cr_assert_eq(a->g.exo->args[EXO_ARGS_BYTES - 1], '\0');
	static char *many[EXO_ARGC_MAX];
	for (unsigned i = 0; i < EXO_ARGC_MAX; i++)
		many[i] = "x";
	hv_guest_release_all(&a->g);
	cr_assert_eq(load(EXO_ARGC_MAX, many, &boot, &why), 0, "%s", why ? why : "");
	cr_assert_eq(a->g.exo->argc, EXO_ARGC_MAX);
}

Test(boot, image_across_a_2mib_boundary_gets_a_page_table_for_each_side)
{
	struct hv_boot boot;
	uint64_t size;
	img = (struct hv_image){
		.entry = LO + 0x1ff000, .lo = LO + 0x1ff000, .hi = LO + 0x201000, .nsegs = 1,
		.seg = { { .vaddr = LO + 0x1ff000, .memsz = 0x2000, .filesz = 0x2000,
			   .offset = 0, .flags = HV_SEG_X | HV_SEG_W } },
	};
	load_ok(&boot);
	cr_assert_eq(boot.need_frames, 2 + 1 + 2 + 1 + 1 + 2);
	cr_assert_eq(a->g.owned, boot.need_frames);
	uint64_t e0 = walk(boot.cr3, LO + 0x1ff000, &size);
	uint64_t e1 = walk(boot.cr3, LO + 0x200000, &size);
	cr_assert_eq(e0 & PTE_ADDR, a->g.exo->image_gpa);
	cr_assert_eq(e1 & PTE_ADDR, a->g.exo->image_gpa + EXO_PAGE_SIZE);
	cr_assert_eq(e1 & (PTE_P | PTE_RW | PTE_NX), PTE_P | PTE_RW);
	assert_agree(a);
}

Test(boot, physmap_over_1gib_gets_a_page_directory_per_gib)
{
	/* 1 GiB + 2 MiB of pool: the exo area ends past 1 GiB + 2 MiB */
	uint64_t nframes = (1ull << 30) / EXO_PAGE_SIZE + SZ_2M / EXO_PAGE_SIZE;
	struct hv_boot boot;
	uint64_t size = 0;
	teardown();
	fp = fake_pool_create(nframes);
	a = fake_guest_create(fp, "a", nframes);
	b = fake_guest_create(fp, "b", nframes);
	load_ok(&boot);
	cr_assert_eq(boot.need_frames, IMAGE_PAGES + 1 + 1 + 2 + 3);
	cr_assert_eq(a->g.owned, boot.need_frames);
	uint64_t gib = 1ull << 30;
	uint64_t e = walk(boot.cr3, EXO_PHYSMAP_BASE + gib + SZ_2M, &size);
	cr_assert_eq(size, SZ_2M);
	cr_assert_eq(e & PTE_ADDR, gib + SZ_2M);
	e = walk(boot.cr3, EXO_PHYSMAP_BASE + gib - SZ_2M, &size);
	cr_assert_eq(e & PTE_ADDR, gib - SZ_2M);
	cr_assert_eq(walk(boot.cr3, EXO_PHYSMAP_BASE + gib + 2 * SZ_2M, &size), 0);
	e = walk(boot.cr3, boot.rdi, &size);
	cr_assert_eq(e & PTE_ADDR, a->g.exo_gpa & ~(SZ_2M - 1));
}

/* --- refusals --- */

Test(boot, over_the_cap_is_refused_and_nothing_is_allocated)
{
	struct hv_boot boot;
	const char *why;
	a->g.cap_frames = NEED_FRAMES - 1;
	cr_assert_eq(load(2, argv2, &boot, &why), -EXO_ENOMEM);
	cr_assert_eq(boot.need_frames, NEED_FRAMES);
	cr_assert_not_null(why);
	cr_assert_gt(strlen(why), 0);
	cr_assert_eq(a->g.owned, 0);
	cr_assert_eq(a->bind_calls, 0);
	cr_assert_eq(fp->pool.nfree, NFRAMES);
	assert_agree(a);
}

Test(boot, exactly_the_cap_is_enough)
{
	struct hv_boot boot;
	a->g.cap_frames = NEED_FRAMES;
	load_ok(&boot);
	cr_assert_eq(a->g.owned, NEED_FRAMES);
}

Test(boot, frames_already_owned_count_against_the_cap)
{
	uint64_t out[3];
	struct hv_boot boot;
	const char *why;
	a->g.cap_frames = NEED_FRAMES + 2;
	cr_assert_eq(hv_frames_alloc_any(&a->g, 3, out), 0);
	cr_assert_eq(load(2, argv2, &boot, &why), -EXO_ENOMEM);
	cr_assert_eq(boot.need_frames, NEED_FRAMES);
	cr_assert_eq(a->g.owned, 3);
	assert_agree(a);
}

Test(boot, an_exhausted_pool_is_refused_and_nothing_is_allocated)
{
	uint64_t first;
	struct hv_boot boot;
	const char *why;
	cr_assert_eq(hv_frames_alloc_contig(&b->g, NFRAMES - NEED_FRAMES + 1, &first), 0);
	cr_assert_eq(load(2, argv2, &boot, &why), -EXO_ENOMEM);
	cr_assert_eq(boot.need_frames, NEED_FRAMES);
	cr_assert_not_null(why);
	cr_assert_eq(a->g.owned, 0);
	cr_assert_eq(fp->pool.nfree, NEED_FRAMES - 1);
	assert_agree(a);
}

Test(boot, a_pool_without_a_contiguous_run_is_refused_and_nothing_is_allocated)
{
	struct hv_boot boot;
	const char *why;
	uint64_t bad;
	for (uint64_t f = 0; f < NFRAMES; f += IMAGE_PAGES - 1)
		cr_assert_eq(hv_frames_alloc_named(&b->g, 1, &f, &bad), 0);
	cr_assert_eq(load(2, argv2, &boot, &why), -EXO_ENOMEM);
	cr_assert_not_null(why);
	cr_assert_eq(a->g.owned, 0);
	cr_assert_eq(a->bind_calls, 0);
	assert_agree(a);
	assert_agree(b);
}

Test(boot, too_many_arguments_are_refused)
{
	static char *many[EXO_ARGC_MAX + 1];
	struct hv_boot boot;
	const char *why;
	for (unsigned i = 0; i <= EXO_ARGC_MAX; i++)
		many[i] = "x";
	cr_assert_eq(load(EXO_ARGC_MAX + 1, many, &boot, &why), -EXO_E2BIG);
	cr_assert_not_null(why);
	cr_assert_gt(strlen(why), 0);
	cr_assert_eq(a->g.owned, 0);
	cr_assert_eq(a->bind_calls, 0);
	cr_assert_eq(load(-1, many, &boot, &why), -EXO_E2BIG);
}

Test(boot, arguments_too_long_are_refused)
{
	static char big[EXO_ARGS_BYTES + 1];
	char *const one[] = { big, NULL };
	char *const two[] = { "prog", big + 4, NULL };
	struct hv_boot boot;
	const char *why;
	memset(big, 'a', EXO_ARGS_BYTES);
	cr_assert_eq(load(1, one, &boot, &why), -EXO_E2BIG, "3072 characters and a NUL");
	cr_assert_not_null(why);
	cr_assert_gt(strlen(why), 0);
	/* 5 + 3069 = 3074 bytes */
	cr_assert_eq(load(2, two, &boot, &why), -EXO_E2BIG);
	cr_assert_eq(a->g.owned, 0);
	cr_assert_eq(a->bind_calls, 0);
}
