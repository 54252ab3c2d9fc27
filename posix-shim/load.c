/* SPDX-License-Identifier: MIT */
/*
 * posix-shim/load.c: the program, from the payload hv loaded, into its
 * address space, and the stack Linux would give it.
 *
 * The payload is the program's ELF file in contiguous frames (hv checked
 * it is a static x86-64 executable; the bounds are checked again here, as
 * the file is still the user's). ET_EXEC loads at its link addresses,
 * static-pie at a base of Linux's choosing. Segments are copied into
 * frames of the program's own, the payload's frames go back to hv, and
 * the stack gets argc, argv, envp and the auxiliary vector (no vDSO: time
 * calls are system calls here).
 */
#include "shim.h"

#define PIE_BASE 0x0000555555554000ull
#define PT_LOAD 1
#define PT_PHDR 6
#define PF_X 1
#define PF_W 2
#define PF_R 4
#define AT_NULL 0
#define AT_PHDR 3
#define AT_PHENT 4
#define AT_PHNUM 5
#define AT_PAGESZ 6
#define AT_BASE 7
#define AT_FLAGS 8
#define AT_ENTRY 9
#define AT_UID 11
#define AT_EUID 12
#define AT_GID 13
#define AT_EGID 14
#define AT_PLATFORM 15
#define AT_HWCAP 16
#define AT_CLKTCK 17
#define AT_SECURE 23
#define AT_RANDOM 25
#define AT_HWCAP2 26
#define AT_EXECFN 31

struct ehdr {
	uint8_t ident[16];
	uint16_t type, machine;
	uint32_t version;
	uint64_t entry, phoff, shoff;
	uint32_t flags;
	uint16_t ehsize, phentsize, phnum, shentsize, shnum, shstrndx;
};

struct phdr {
	uint32_t type, flags;
	uint64_t offset, vaddr, paddr, filesz, memsz, align;
};

struct shim_layout shim_layout;

static const uint8_t *file;
static uint64_t file_bytes;

static int fail(const char *why)
{
	exo_notice("posix-shim: cannot load the program: %s", why);
	return -EINVAL;
}

static unsigned prot_of(uint32_t flags)
{
	return (flags & PF_R ? VMA_READ : 0) | (flags & PF_W ? VMA_WRITE : 0) |
	       (flags & PF_X ? VMA_EXEC : 0);
}

/* Map one PT_LOAD segment at base and copy its bytes in. A page two
 * segments share gets both protections. */
static int segment(const struct phdr *ph, uint64_t base)
{
	uint64_t start = (base + ph->vaddr) & ~(VM_PAGE - 1);
	uint64_t end = (base + ph->vaddr + ph->memsz + VM_PAGE - 1) & ~(VM_PAGE - 1);
	unsigned prot = prot_of(ph->flags);
	for (uint64_t va = start; va < end; va += VM_PAGE) {
		uint64_t gpa;
		unsigned now;
		const struct vma *v = vma_find(va);
		unsigned p = v ? v->prot | prot : prot;
		if (vma_set(va, va + VM_PAGE, p, VMA_IMAGE) < 0)
			return -ENOMEM;
		if (vm_query(va, &gpa, &now))
			vm_protect_range(va, 1, p);
		else if (vm_map(va, 1, p) < 0)
			return -ENOMEM;
	}
	for (uint64_t done = 0; done < ph->filesz;) {
		uint64_t va = base + ph->vaddr + done, gpa;
		unsigned now;
		uint64_t n = VM_PAGE - (va & (VM_PAGE - 1));
		if (n > ph->filesz - done)
			n = ph->filesz - done;
		vm_query(va, &gpa, &now);
		memcpy(shim_phys(gpa), file + ph->offset + done, n);
		done += n;
	}
	return 0;
}

/* AT_RANDOM's 16 bytes where the host gives none: the CPU's RDRAND if it
 * has one, else the TSC stirred (musl seeds its stack canary from them). */
static void random_bytes(uint8_t *out)
{
	uint32_t r[4];
	exo_cpuid(1, 0, r);
	for (int i = 0; i < 2; i++) {
		uint64_t v = 0;
		unsigned char ok = 0;
		if (r[2] & (1u << 30))
			__asm__ volatile("rdrand %0; setc %1" : "=r"(v), "=qm"(ok));
		if (!ok) {
			v = exo_rdtsc() * 0x9e3779b97f4a7c15ull;
			v ^= v >> 29;
		}
		memcpy(out + 8 * i, &v, sizeof v);
	}
}

/* The payload's frames, back to hv: the program is copied out of them. */
static void release_payload(void)
{
	static uint64_t vec[EXO_FRAMES_MAX];
	const struct exo_page *p = exo_page();
	uint64_t first = p->payload_gpa >> 12, n = (p->payload_bytes + VM_PAGE - 1) / VM_PAGE;
	for (uint64_t at = 0; at < n;) {
		uint32_t k = n - at < EXO_FRAMES_MAX ? (uint32_t)(n - at) : EXO_FRAMES_MAX;
		for (uint32_t i = 0; i < k; i++)
			vec[i] = first + at + i;
		exo_frames_release(vec, k, 0);
		at += k;
	}
}

/* The initial stack, built in a buffer then copied to the top of the
 * program's stack: strings at the top, then 16 random bytes, then the
 * vectors, with argc at the 16-byte aligned stack pointer. */
static int stack(const struct ehdr *eh, uint64_t base, uint64_t phdr, uint64_t *sp)
{
	static uint8_t buf[2 * EXO_ARGS_BYTES + EXO_PAGE_SIZE]; /* strings, random, vectors */
	static uint64_t vec[2 * EXO_ARGC_MAX + 64];
	const struct exo_page *p = exo_page();
	uint64_t top = SHIM_STACK_TOP, at = sizeof buf, nvec = 0, strings[2 * EXO_ARGC_MAX];
	const char *s = p->args;
	uint32_t nstr = p->argc + p->envc;

	if (vma_set(SHIM_STACK_TOP - SHIM_STACK_BYTES, SHIM_STACK_TOP, VMA_READ | VMA_WRITE,
		    VMA_STACK) < 0)
		return -ENOMEM;
	for (uint32_t i = 0; i < nstr; i++) {
		uint64_t n = strlen(s) + 1;
		at -= n;
		memcpy(buf + at, s, n);
		strings[i] = top - (sizeof buf - at);
		if (i == 0)
			shim_layout.arg_end = strings[i] + n;
		if (i == p->argc)
			shim_layout.env_end = strings[i] + n;
		s += n;
	}
	/* The strings go down from the top: argv[0] highest, the last lowest. */
	shim_layout.arg_start = p->argc ? strings[p->argc - 1] : 0;
	shim_layout.env_start = p->envc ? strings[nstr - 1] : 0;
	static const char platform[] = "x86_64";
	at -= sizeof platform;
	memcpy(buf + at, platform, sizeof platform);
	uint64_t platform_va = top - (sizeof buf - at);
	at = (at - 16) & ~15ull;
	if (shim_fwd(EXO_FWD_GETRANDOM, shim_stage_gpa(shim_stage), 16, 0, 0, 0, 0) != 16)
		random_bytes(shim_stage); /* a host without getrandom */
	memcpy(buf + at, shim_stage, 16);
	uint64_t random_va = top - (sizeof buf - at);

	uint32_t r[4];
	exo_cpuid(1, 0, r);
	vec[nvec++] = p->argc;
	for (uint32_t i = 0; i < p->argc; i++)
		vec[nvec++] = strings[i];
	vec[nvec++] = 0;
	for (uint32_t i = p->argc; i < nstr; i++)
		vec[nvec++] = strings[i];
	vec[nvec++] = 0;
	const uint64_t aux[][2] = {
		{ AT_PHDR, phdr }, { AT_PHENT, sizeof(struct phdr) }, { AT_PHNUM, eh->phnum },
		{ AT_PAGESZ, VM_PAGE }, { AT_BASE, 0 }, { AT_FLAGS, 0 },
		{ AT_ENTRY, base + eh->entry },
		{ AT_UID, (uint64_t)shim_fwd(EXO_FWD_GETUID, 0, 0, 0, 0, 0, 0) },
		{ AT_EUID, (uint64_t)shim_fwd(EXO_FWD_GETEUID, 0, 0, 0, 0, 0, 0) },
		{ AT_GID, (uint64_t)shim_fwd(EXO_FWD_GETGID, 0, 0, 0, 0, 0, 0) },
		{ AT_EGID, (uint64_t)shim_fwd(EXO_FWD_GETEGID, 0, 0, 0, 0, 0, 0) },
		{ AT_PLATFORM, platform_va }, { AT_HWCAP, r[3] }, { AT_CLKTCK, 100 },
		{ AT_SECURE, 0 }, { AT_RANDOM, random_va }, { AT_HWCAP2, 0 },
		{ AT_EXECFN, p->argc ? strings[0] : 0 }, { AT_NULL, 0 },
	};
	for (unsigned i = 0; i < sizeof aux / sizeof aux[0]; i++) {
		vec[nvec++] = aux[i][0];
		vec[nvec++] = aux[i][1];
	}
	uint64_t vec_bytes = nvec * sizeof vec[0];
	at = (at - vec_bytes) & ~15ull;
	memcpy(buf + at, vec, vec_bytes);
	*sp = top - (sizeof buf - at);
	shim_layout.start_stack = *sp;
	return shim_copy_out(*sp, buf + at, sizeof buf - at) < 0 ? -ENOMEM : 0;
}

int shim_load(uint64_t *entry, uint64_t *sp)
{
	const struct exo_page *p = exo_page();
	struct ehdr eh;
	file = shim_phys(p->payload_gpa);
	file_bytes = p->payload_bytes;
	if (file_bytes < sizeof eh)
		return fail("truncated ELF header");
	memcpy(&eh, file, sizeof eh);
	if (eh.phentsize != sizeof(struct phdr) || eh.phnum == 0 ||
	    eh.phoff > file_bytes || eh.phnum * sizeof(struct phdr) > file_bytes - eh.phoff)
		return fail("malformed program headers");
	uint64_t base = eh.type == 3 ? PIE_BASE : 0, end = 0, phdr = 0;
	const struct phdr *ph = (const struct phdr *)(file + eh.phoff);
	for (unsigned i = 0; i < eh.phnum; i++) {
		if (ph[i].type == PT_PHDR)
			phdr = base + ph[i].vaddr;
		if (ph[i].type != PT_LOAD || ph[i].memsz == 0)
			continue;
		uint64_t vend;
		if (ph[i].filesz > ph[i].memsz || ph[i].offset > file_bytes ||
		    ph[i].filesz > file_bytes - ph[i].offset ||
		    __builtin_add_overflow(base + ph[i].vaddr, ph[i].memsz, &vend) ||
		    base + ph[i].vaddr < VM_USER_MIN || vend > SHIM_MMAP_TOP)
			return fail("a segment lies outside the file or the program's address space");
		if (!phdr && eh.phoff >= ph[i].offset && eh.phoff - ph[i].offset < ph[i].filesz)
			phdr = base + ph[i].vaddr + (eh.phoff - ph[i].offset);
		uint64_t *lo = ph[i].flags & PF_X ? &shim_layout.start_code : &shim_layout.start_data;
		uint64_t *hi = ph[i].flags & PF_X ? &shim_layout.end_code : &shim_layout.end_data;
		if (!*lo || base + ph[i].vaddr < *lo)
			*lo = base + ph[i].vaddr;
		if (base + ph[i].vaddr + ph[i].filesz > *hi)
			*hi = base + ph[i].vaddr + ph[i].filesz;
		int rc = segment(&ph[i], base);
		if (rc < 0)
			return rc == -ENOMEM ? fail("out of memory (--mem)") : rc;
		end = vend > end ? vend : end;
	}
	if (!end)
		return fail("no loadable segments");
	shim_brk_init((end + VM_PAGE - 1) & ~(VM_PAGE - 1));
	shim_layout.start_brk = (end + VM_PAGE - 1) & ~(VM_PAGE - 1);
	*entry = base + eh.entry;
	int rc = stack(&eh, base, phdr, sp);
	release_payload();
	return rc;
}
