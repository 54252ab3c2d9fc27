/* SPDX-License-Identifier: MIT */
/*
 * hv/core/elf.c: validation of guest images.
 *
 * A guest image is a static ELF64 x86-64 executable that carries guestlib's
 * note and whose loadable segments lie in the image window (the top 2 GiB,
 * where guestlib links). Any other static executable (ET_EXEC in the lower
 * half, or static-pie) is a program for posix-shim, which loads it inside
 * the guest; hv checks it here only so that a bad file gets a clear reason
 * before any guest starts. The file comes from the user, so every offset
 * and size is checked against the buffer before it is used. Only the few
 * ELF fields hv needs are declared.
 */
#include <string.h>

#include "core.h"

struct elf64_ehdr {
	uint8_t ident[16];
	uint16_t type, machine;
	uint32_t version;
	uint64_t entry, phoff, shoff;
	uint32_t flags;
	uint16_t ehsize, phentsize, phnum, shentsize, shnum, shstrndx;
};

struct elf64_phdr {
	uint32_t type, flags;
	uint64_t offset, vaddr, paddr, filesz, memsz, align;
};

#define ELFCLASS64 2
#define ELFDATA2LSB 1
#define ET_EXEC 2
#define ET_DYN 3
#define EM_X86_64 62
#define PT_LOAD 1
#define PT_DYNAMIC 2
#define PT_INTERP 3
#define PT_NOTE 4
#define PF_X 1
#define PF_W 2

static int fail(const char **why, const char *reason)
{
	*why = reason;
	return -1;
}

/* 1 if the note segment [off, off+size) holds guestlib's note. */
static int has_exo_note(const uint8_t *buf, uint64_t off, uint64_t size)
{
	static const char name[4] = EXO_NOTE_NAME;
	uint64_t at = 0;
	while (size - at >= 12) {
		uint32_t h[3];
		memcpy(h, buf + off + at, sizeof h);
		uint64_t namesz = (h[0] + 3ull) & ~3ull, descsz = (h[1] + 3ull) & ~3ull;
		if (namesz + descsz > size - at - 12)
			return 0;
		if (h[0] == sizeof name && h[2] == EXO_NOTE_TYPE &&
		    !memcmp(buf + off + at + 12, name, sizeof name))
			return 1;
		at += 12 + namesz + descsz;
	}
	return 0;
}

/* The ELF header in the first len bytes, checked, in *eh; the end of the
 * program header table in *ph_end (not checked against len). */
static int header(const uint8_t *buf, uint64_t len, struct elf64_ehdr *eh, uint64_t *ph_end,
		  const char **why)
{
	if (len < 4 || memcmp(buf, "\177ELF", 4) != 0)
		return fail(why, "not an ELF file");
	if (len < sizeof *eh)
		return fail(why, "truncated ELF header");
	memcpy(eh, buf, sizeof *eh);
	if (eh->ident[4] != ELFCLASS64)
		return fail(why, "not a 64-bit ELF file");
	if (eh->ident[5] != ELFDATA2LSB || eh->machine != EM_X86_64)
		return fail(why, "not an x86-64 executable");
	if (eh->type != ET_EXEC && eh->type != ET_DYN)
		return fail(why, "not an executable");
	if (eh->phentsize != sizeof(struct elf64_phdr) || eh->phnum == 0)
		return fail(why, "malformed program headers");
	if (__builtin_add_overflow(eh->phoff, (uint64_t)eh->phnum * sizeof(struct elf64_phdr), ph_end))
		return fail(why, "program headers beyond the end of the file");
	return 0;
}

int hv_elf_need(const uint8_t *buf, uint64_t n, uint64_t *need, const char **why)
{
	struct elf64_ehdr eh;
	uint64_t ph_end;
	if (n < sizeof eh) {
		if (n >= 4 && memcmp(buf, "\177ELF", 4) != 0)
			return fail(why, "not an ELF file");
		*need = sizeof eh;
		return 0;
	}
	if (header(buf, n, &eh, &ph_end, why) < 0)
		return -1;
	*need = ph_end;
	if (ph_end > n)
		return 0;
	for (unsigned i = 0; i < eh.phnum; i++) { /* every segment's file bytes */
		struct elf64_phdr ph;
		uint64_t end;
		memcpy(&ph, buf + eh.phoff + i * sizeof ph, sizeof ph);
		if (__builtin_add_overflow(ph.offset, ph.filesz, &end))
			end = UINT64_MAX; /* hv_elf_parse names it */
		*need = end > *need ? end : *need;
	}
	return 0;
}

int hv_elf_parse(const uint8_t *buf, uint64_t len, struct hv_image *img,
		 const char **why)
{
	struct elf64_ehdr eh;
	uint64_t ph_end;
	if (header(buf, len, &eh, &ph_end, why) < 0)
		return -1;
	if (ph_end > len)
		return fail(why, "program headers beyond the end of the file");

	*img = (struct hv_image){ .entry = eh.entry, .lo = UINT64_MAX,
				  .kind = HV_IMAGE_PROGRAM, .pie = eh.type == ET_DYN };
	int dynamic = 0;
	for (unsigned i = 0; i < eh.phnum; i++) {
		struct elf64_phdr ph;
		uint64_t end;
		memcpy(&ph, buf + eh.phoff + i * sizeof ph, sizeof ph);
		if (ph.type == PT_INTERP)
			return fail(why, "dynamically linked: exo runs static executables "
				    "(link it with -static, e.g. musl-gcc -static)");
		dynamic |= ph.type == PT_DYNAMIC;
		if (ph.type == PT_NOTE && !__builtin_add_overflow(ph.offset, ph.filesz, &end) &&
		    end <= len && has_exo_note(buf, ph.offset, ph.filesz))
			img->kind = HV_IMAGE_GUEST;
	}
	if (img->kind == HV_IMAGE_GUEST && eh.type != ET_EXEC)
		return fail(why, "not a static executable: a guest image must be ET_EXEC");
	if (dynamic && !img->pie)
		return fail(why, "not a static executable (has a dynamic section)");
	int entry_ok = 0;
	for (unsigned i = 0; i < eh.phnum; i++) {
		struct elf64_phdr ph;
		memcpy(&ph, buf + eh.phoff + i * sizeof ph, sizeof ph);
		if (ph.type != PT_LOAD || ph.memsz == 0)
			continue;
		uint64_t fend, vend;
		if (ph.filesz > ph.memsz)
			return fail(why, "segment has more file data than memory (filesz > memsz)");
		if (__builtin_add_overflow(ph.offset, ph.filesz, &fend) || fend > len)
			return fail(why, "segment data beyond the end of the file");
		int wraps = __builtin_add_overflow(ph.vaddr, ph.memsz, &vend) ||
			    vend > UINT64_MAX - EXO_PAGE_SIZE + 1;
		if (img->kind == HV_IMAGE_GUEST && (wraps || ph.vaddr < EXO_IMAGE_MIN))
			return fail(why, "segment outside the guest image window (link guests with guestlib)");
		if (img->kind == HV_IMAGE_PROGRAM && (wraps || vend > EXO_PROGRAM_MAX))
			return fail(why, "segment outside the lower half (not a user-space program)");
		if (img->nsegs == HV_SEGS_MAX)
			return fail(why, "too many loadable segments");
		img->seg[img->nsegs++] = (struct hv_segment){
			.vaddr = ph.vaddr, .memsz = ph.memsz, .filesz = ph.filesz,
			.offset = ph.offset,
			.flags = (ph.flags & PF_W ? HV_SEG_W : 0) | (ph.flags & PF_X ? HV_SEG_X : 0),
		};
		uint64_t lo = ph.vaddr & ~(uint64_t)(EXO_PAGE_SIZE - 1);
		uint64_t hi = (vend + EXO_PAGE_SIZE - 1) & ~(uint64_t)(EXO_PAGE_SIZE - 1);
		img->lo = lo < img->lo ? lo : img->lo;
		img->hi = hi > img->hi ? hi : img->hi;
		if ((ph.flags & PF_X) && eh.entry >= ph.vaddr && eh.entry < vend)
			entry_ok = 1;
	}
	if (img->nsegs == 0)
		return fail(why, "no loadable segments");
	if (!entry_ok)
		return fail(why, "entry point outside every executable segment");
	return 0;
}
