/* SPDX-License-Identifier: MIT */
/*
 * tests/core/test_elf.c: hv/core/elf.c, validation of guest images.
 *
 * Each test builds an image in memory: a minimal valid static ELF64 x86-64
 * executable (a text and a data segment in the image window), then breaks
 * one thing in it. hv_elf_parse must accept the valid image, fill the
 * hv_image it describes, and refuse every broken one with a reason; the
 * reason is checked for the word that shows which check fired.
 */
#include <criterion/criterion.h>
#include <elf.h>
#include <string.h>

#include "core.h"

#define TEXT_VA EXO_IMAGE_MIN
#define DATA_VA (EXO_IMAGE_MIN + 0x1000)
#define ENTRY (TEXT_VA + 0x10)
#define FILE_BYTES 0x3000u
#define MAX_PH 20u

static uint8_t file[FILE_BYTES];
static Elf64_Ehdr *eh;
static Elf64_Phdr *ph; /* MAX_PH slots right after the header */

/* guestlib's note, as the linker places it (file 0x1800). */
static const struct {
	uint32_t namesz, descsz, type;
	char name[4];
	uint32_t version;
} note = { 4, 4, EXO_NOTE_TYPE, EXO_NOTE_NAME, EXO_ABI_VERSION };

/* Two PT_LOADs and guestlib's PT_NOTE: text r-x at TEXT_VA (file 0x1000,
 * 0x20 bytes), data rw- at DATA_VA (file 0x2000, 0x10 bytes, 0x2000 in
 * memory: the rest is bss). */
static void setup(void)
{
	memset(file, 0, sizeof file);
	eh = (Elf64_Ehdr *)file;
	ph = (Elf64_Phdr *)(file + sizeof *eh);
	memcpy(eh->e_ident, ELFMAG, SELFMAG);
	eh->e_ident[EI_CLASS] = ELFCLASS64;
	eh->e_ident[EI_DATA] = ELFDATA2LSB;
	eh->e_ident[EI_VERSION] = EV_CURRENT;
	eh->e_type = ET_EXEC;
	eh->e_machine = EM_X86_64;
	eh->e_version = EV_CURRENT;
	eh->e_entry = ENTRY;
	eh->e_phoff = sizeof *eh;
	eh->e_ehsize = sizeof *eh;
	eh->e_phentsize = sizeof *ph;
	eh->e_phnum = 3;
	ph[0] = (Elf64_Phdr){ .p_type = PT_LOAD, .p_flags = PF_R | PF_X, .p_offset = 0x1000,
			      .p_vaddr = TEXT_VA, .p_paddr = TEXT_VA, .p_filesz = 0x20,
			      .p_memsz = 0x20, .p_align = 0x1000 };
	ph[1] = (Elf64_Phdr){ .p_type = PT_LOAD, .p_flags = PF_R | PF_W, .p_offset = 0x2000,
			      .p_vaddr = DATA_VA, .p_paddr = DATA_VA, .p_filesz = 0x10,
			      .p_memsz = 0x2000, .p_align = 0x1000 };
	ph[2] = (Elf64_Phdr){ .p_type = PT_NOTE, .p_flags = PF_R, .p_offset = 0x1800,
			      .p_filesz = sizeof note, .p_align = 4 };
	memcpy(file + 0x1800, &note, sizeof note);
	memset(file + 0x1000, 0x90, 0x20);
	memset(file + 0x2000, 0x11, 0x10);
}

TestSuite(elf, .init = setup);

static int parse(uint64_t len, struct hv_image *img, const char **why)
{
	*why = NULL;
	return hv_elf_parse(file, len, img, why);
}

/* The image must be refused, with a reason that contains word. */
static void assert_refused(uint64_t len, const char *word)
{
	struct hv_image img;
	const char *why;
	cr_assert_eq(parse(len, &img, &why), -1, "accepted, expected refusal for \"%s\"", word);
	cr_assert_not_null(why);
	cr_assert_gt(strlen(why), 0);
	cr_assert_not_null(strstr(why, word), "reason \"%s\" lacks \"%s\"", why, word);
}

/* --- accepted --- */

Test(elf, minimal_static_image_is_accepted)
{
	struct hv_image img;
	const char *why;
	cr_assert_eq(parse(FILE_BYTES, &img, &why), 0, "refused: %s", why ? why : "?");
	cr_assert_eq(img.entry, ENTRY);
	cr_assert_eq(img.nsegs, 2, "PT_GNU_STACK is not loaded");
	cr_assert_eq(img.lo, TEXT_VA);
	cr_assert_eq(img.hi, DATA_VA + 0x2000);
	cr_assert_eq(img.seg[0].vaddr, TEXT_VA);
	cr_assert_eq(img.seg[0].offset, 0x1000);
	cr_assert_eq(img.seg[0].filesz, 0x20);
	cr_assert_eq(img.seg[0].memsz, 0x20);
	cr_assert_eq(img.seg[0].flags, HV_SEG_X);
	cr_assert_eq(img.seg[1].vaddr, DATA_VA);
	cr_assert_eq(img.seg[1].offset, 0x2000);
	cr_assert_eq(img.seg[1].filesz, 0x10);
	cr_assert_eq(img.seg[1].memsz, 0x2000);
	cr_assert_eq(img.seg[1].flags, HV_SEG_W);
}

Test(elf, image_ending_exactly_at_the_last_segment_byte_is_accepted)
{
	struct hv_image img;
	const char *why;
	cr_assert_eq(parse(0x2010, &img, &why), 0, "refused: %s", why ? why : "?");
}

Test(elf, unaligned_segments_give_a_page_aligned_span)
{
	struct hv_image img;
	const char *why;
	ph[0].p_vaddr = TEXT_VA + 0x800;
	ph[0].p_offset = 0x1800;
	eh->e_entry = TEXT_VA + 0x810;
	ph[1].p_memsz = 0x1001;
	cr_assert_eq(parse(FILE_BYTES, &img, &why), 0, "refused: %s", why ? why : "?");
	cr_assert_eq(img.lo, TEXT_VA);
	cr_assert_eq(img.hi, DATA_VA + 0x2000);
}

Test(elf, empty_load_segments_are_ignored)
{
	struct hv_image img;
	const char *why;
	eh->e_phnum = 4;
	ph[3] = (Elf64_Phdr){ .p_type = PT_LOAD, .p_vaddr = 0x1000, .p_offset = UINT64_MAX };
	cr_assert_eq(parse(FILE_BYTES, &img, &why), 0, "refused: %s", why ? why : "?");
	cr_assert_eq(img.nsegs, 2);
}

Test(elf, sixteen_load_segments_are_accepted)
{
	struct hv_image img;
	const char *why;
	eh->e_phnum = HV_SEGS_MAX + 1; /* and the note, ph[2] */
	for (unsigned i = 3; i <= HV_SEGS_MAX; i++) {
		ph[i] = ph[1];
		ph[i].p_vaddr = DATA_VA + 0x2000 * i;
	}
	cr_assert_eq(parse(FILE_BYTES, &img, &why), 0, "refused: %s", why ? why : "?");
	cr_assert_eq(img.nsegs, HV_SEGS_MAX);
	cr_assert_eq(img.hi, DATA_VA + 0x2000 * HV_SEGS_MAX + 0x2000);
}

/* --- refused: the header --- */

Test(elf, not_an_elf_file_is_refused)
{
	memcpy(file, "MZ\x90\x00", 4);
	assert_refused(FILE_BYTES, "ELF");
}

Test(elf, file_shorter_than_the_magic_is_refused)
{
	assert_refused(3, "ELF");
	assert_refused(0, "ELF");
}

Test(elf, truncated_header_is_refused)
{
	assert_refused(sizeof(Elf64_Ehdr) - 1, "truncated");
	assert_refused(16, "truncated");
}

Test(elf, elfclass32_is_refused)
{
	eh->e_ident[EI_CLASS] = ELFCLASS32;
	assert_refused(FILE_BYTES, "64-bit");
}

Test(elf, big_endian_is_refused)
{
	eh->e_ident[EI_DATA] = ELFDATA2MSB;
	assert_refused(FILE_BYTES, "x86-64");
}

Test(elf, machine_other_than_x86_64_is_refused)
{
	eh->e_machine = EM_386;
	assert_refused(FILE_BYTES, "x86-64");
	eh->e_machine = EM_AARCH64;
	assert_refused(FILE_BYTES, "x86-64");
}

Test(elf, position_independent_executable_is_refused)
{
	eh->e_type = ET_DYN;
	assert_refused(FILE_BYTES, "static");
}

Test(elf, relocatable_object_is_refused)
{
	eh->e_type = ET_REL;
	assert_refused(FILE_BYTES, "executable");
	eh->e_type = ET_CORE;
	assert_refused(FILE_BYTES, "executable");
}

Test(elf, malformed_program_header_table_is_refused)
{
	eh->e_phentsize = sizeof(Elf64_Phdr) - 1;
	assert_refused(FILE_BYTES, "program headers");
	setup();
	eh->e_phnum = 0;
	assert_refused(FILE_BYTES, "program headers");
}

Test(elf, program_headers_beyond_the_file_are_refused)
{
	eh->e_phoff = FILE_BYTES - sizeof(Elf64_Phdr) + 1;
	assert_refused(FILE_BYTES, "beyond the end");
	eh->e_phoff = sizeof(Elf64_Ehdr);
	assert_refused(sizeof(Elf64_Ehdr) + 3 * sizeof(Elf64_Phdr) - 1, "beyond the end");
	eh->e_phnum = 0xffff;
	assert_refused(FILE_BYTES, "beyond the end");
}

Test(elf, program_header_offset_overflow_is_refused)
{
	eh->e_phoff = UINT64_MAX - 8;
	assert_refused(FILE_BYTES, "beyond the end");
}

/* --- refused: the segments --- */

Test(elf, interpreter_is_refused)
{
	ph[2] = (Elf64_Phdr){ .p_type = PT_INTERP, .p_offset = 0x100, .p_filesz = 8 };
	assert_refused(FILE_BYTES, "static");
}

Test(elf, dynamic_section_is_refused)
{
	ph[2] = (Elf64_Phdr){ .p_type = PT_DYNAMIC, .p_offset = 0x100, .p_filesz = 8 };
	assert_refused(FILE_BYTES, "static");
}

Test(elf, segment_data_beyond_the_file_is_refused)
{
	assert_refused(0x200f, "beyond the end");
	ph[1].p_offset = FILE_BYTES - 0xf;
	assert_refused(FILE_BYTES, "beyond the end");
}

Test(elf, segment_offset_plus_size_overflow_is_refused)
{
	ph[1].p_offset = UINT64_MAX - 4;
	assert_refused(FILE_BYTES, "beyond the end");
	setup();
	ph[1].p_offset = 0x2000;
	ph[1].p_filesz = UINT64_MAX - 0x1000;
	ph[1].p_memsz = UINT64_MAX;
	assert_refused(FILE_BYTES, "beyond the end");
}

Test(elf, segment_file_size_over_memory_size_is_refused)
{
	ph[1].p_filesz = 0x20;
	ph[1].p_memsz = 0x1f;
	assert_refused(FILE_BYTES, "filesz > memsz");
}

Test(elf, segment_below_the_image_window_is_refused)
{
	ph[1].p_vaddr = 0x400000;
	assert_refused(FILE_BYTES, "image window");
	ph[1].p_vaddr = EXO_IMAGE_MIN - EXO_PAGE_SIZE;
	assert_refused(FILE_BYTES, "image window");
	ph[1].p_vaddr = EXO_IMAGE_MIN - 1;
	assert_refused(FILE_BYTES, "image window");
}

Test(elf, segment_vaddr_plus_memsz_overflow_is_refused)
{
	ph[1].p_vaddr = 0xfffffffffffff000ull;
	ph[1].p_memsz = 0x2000;
	assert_refused(FILE_BYTES, "image window");
	ph[1].p_memsz = UINT64_MAX;
	assert_refused(FILE_BYTES, "image window");
}

Test(elf, segment_reaching_the_last_page_of_the_address_space_is_refused)
{
	ph[1].p_vaddr = 0xffffffffffffe000ull;
	ph[1].p_memsz = 0x1001; /* one byte into the top page */
	assert_refused(FILE_BYTES, "image window");
	ph[1].p_memsz = 0xfff; /* well short of the top page: fine */
	struct hv_image img;
	const char *why;
	cr_assert_eq(parse(FILE_BYTES, &img, &why), 0, "refused: %s", why ? why : "?");
	cr_assert_eq(img.hi, 0xfffffffffffff000ull);
	ph[1].p_memsz = 0x1000; /* ending exactly where the top page starts: fine */
	cr_assert_eq(parse(FILE_BYTES, &img, &why), 0, "refused: %s", why ? why : "?");
	cr_assert_eq(img.hi, 0xfffffffffffff000ull);
}

Test(elf, more_load_segments_than_hv_keeps_are_refused)
{
	eh->e_phnum = HV_SEGS_MAX + 2; /* and the note, ph[2] */
	for (unsigned i = 3; i < HV_SEGS_MAX + 2; i++) {
		ph[i] = ph[1];
		ph[i].p_vaddr = DATA_VA + 0x2000 * i;
	}
	assert_refused(FILE_BYTES, "too many");
}

Test(elf, no_load_segment_is_refused)
{
	ph[0].p_type = PT_NOTE;
	ph[1].p_type = PT_NOTE;
	assert_refused(FILE_BYTES, "no loadable");
	setup();
	ph[0].p_memsz = 0;
	ph[0].p_filesz = 0;
	ph[1].p_memsz = 0;
	ph[1].p_filesz = 0;
	assert_refused(FILE_BYTES, "no loadable");
}

Test(elf, entry_outside_executable_segments_is_refused)
{
	eh->e_entry = DATA_VA + 8; /* in the data segment, not executable */
	assert_refused(FILE_BYTES, "entry");
	eh->e_entry = TEXT_VA + 0x20; /* one past the end of text */
	assert_refused(FILE_BYTES, "entry");
	eh->e_entry = TEXT_VA - 1;
	assert_refused(FILE_BYTES, "entry");
	eh->e_entry = 0;
	assert_refused(FILE_BYTES, "entry");
}

/* --- programs: no guestlib note --- */

/* The same two segments, in the lower half, without the note. */
static void as_program(void)
{
	eh->e_phnum = 2;
	eh->e_entry = 0x401010;
	ph[0].p_vaddr = ph[0].p_paddr = 0x401000;
	ph[1].p_vaddr = ph[1].p_paddr = 0x402000;
}

Test(elf, image_with_guestlibs_note_is_a_guest_image)
{
	struct hv_image img;
	const char *why;
	cr_assert_eq(parse(FILE_BYTES, &img, &why), 0, "refused: %s", why ? why : "?");
	cr_assert_eq(img.kind, HV_IMAGE_GUEST);
}

Test(elf, static_executable_without_the_note_is_a_program)
{
	struct hv_image img;
	const char *why;
	as_program();
	cr_assert_eq(parse(FILE_BYTES, &img, &why), 0, "refused: %s", why ? why : "?");
	cr_assert_eq(img.kind, HV_IMAGE_PROGRAM);
	cr_assert_eq(img.pie, 0);
	cr_assert_eq(img.entry, 0x401010);
}

Test(elf, static_pie_is_a_program)
{
	struct hv_image img;
	const char *why;
	as_program();
	eh->e_type = ET_DYN;
	eh->e_phnum = 3;
	ph[2] = (Elf64_Phdr){ .p_type = PT_DYNAMIC, .p_offset = 0x100, .p_filesz = 8 };
	cr_assert_eq(parse(FILE_BYTES, &img, &why), 0, "refused: %s", why ? why : "?");
	cr_assert_eq(img.kind, HV_IMAGE_PROGRAM);
	cr_assert_eq(img.pie, 1);
}

Test(elf, dynamically_linked_program_is_refused_with_advice_to_link_statically)
{
	as_program();
	eh->e_phnum = 3;
	ph[2] = (Elf64_Phdr){ .p_type = PT_INTERP, .p_offset = 0x100, .p_filesz = 8 };
	assert_refused(FILE_BYTES, "-static");
	eh->e_type = ET_DYN;
	assert_refused(FILE_BYTES, "dynamically linked");
}

Test(elf, program_segment_in_the_upper_half_is_refused)
{
	as_program();
	ph[1].p_vaddr = EXO_PROGRAM_MAX - 0x1000;
	assert_refused(FILE_BYTES, "lower half");
}

Test(elf, guest_image_below_the_image_window_is_refused_even_with_the_note)
{
	ph[1].p_vaddr = 0x402000;
	assert_refused(FILE_BYTES, "image window");
}

/* --- hv_elf_need: how much of the file a platform reads --- */

Test(elf, need_asks_for_the_header_then_the_program_headers_then_the_segments)
{
	uint64_t need;
	const char *why = NULL;
	cr_assert_eq(hv_elf_need(file, 0, &need, &why), 0);
	cr_assert_eq(need, sizeof(Elf64_Ehdr), "first the ELF header");
	cr_assert_eq(hv_elf_need(file, sizeof(Elf64_Ehdr), &need, &why), 0);
	cr_assert_eq(need, sizeof(Elf64_Ehdr) + 3 * sizeof(Elf64_Phdr), "then the program headers");
	cr_assert_eq(hv_elf_need(file, need, &need, &why), 0);
	cr_assert_eq(need, 0x2010, "then up to the last segment byte (data: 0x2000 + 0x10)");
	struct hv_image img;
	cr_assert_eq(parse(need, &img, &why), 0, "the bytes it asked for are the image: %s", why);
	cr_assert_eq(img.nsegs, 2);
}

Test(elf, need_covers_the_note_and_every_segment_not_only_loads)
{
	uint64_t need;
	const char *why = NULL;
	ph[2].p_offset = 0x2800; /* the note after the data */
	memcpy(file + 0x2800, &note, sizeof note);
	cr_assert_eq(hv_elf_need(file, FILE_BYTES, &need, &why), 0);
	cr_assert_eq(need, 0x2800 + sizeof note);
}

Test(elf, need_refuses_a_non_elf_file_from_its_first_bytes)
{
	uint64_t need;
	const char *why = NULL;
	memcpy(file, "#!/bin/sh\n", 10);
	cr_assert_eq(hv_elf_need(file, 10, &need, &why), -1);
	cr_assert_str_eq(why, "not an ELF file");
}

Test(elf, need_refuses_a_bad_header_before_reading_more)
{
	uint64_t need;
	const char *why = NULL;
	eh->e_machine = 3; /* EM_386 */
	cr_assert_eq(hv_elf_need(file, sizeof(Elf64_Ehdr), &need, &why), -1);
	cr_assert_not_null(strstr(why, "x86-64"));
}

Test(elf, need_with_an_overflowing_segment_asks_for_everything)
{
	uint64_t need;
	const char *why = NULL;
	ph[1].p_offset = UINT64_MAX - 4;
	cr_assert_eq(hv_elf_need(file, FILE_BYTES, &need, &why), 0);
	cr_assert_eq(need, UINT64_MAX, "the platform reads the whole file; hv_elf_parse names it");
	assert_refused(FILE_BYTES, "beyond the end of the file");
}
