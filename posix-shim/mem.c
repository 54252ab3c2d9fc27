/* SPDX-License-Identifier: MIT */
/*
 * posix-shim/mem.c: the program's memory calls and its page faults.
 *
 * brk, mmap, munmap, mprotect, madvise, mremap and msync change the map
 * (vma.c) and, for pages already populated, the page tables (libos/vm);
 * no exit is needed for any of them. Pages are populated on first touch:
 * the whole lower half is one libos/vm region whose handler is fault()
 * below, which maps a zero frame where the map allows the access and
 * raises SIGSEGV where it does not. File-backed private mappings are read
 * in when mapped. A shared mapping is private here (one process, no fork),
 * which is exact for anonymous memory and for files mapped read-only;
 * a writable shared file mapping is refused, since its writes would never
 * reach the file.
 */
#include "shim.h"
#include "gc/gc.h"

#define PROT_MASK (VMA_READ | VMA_WRITE | VMA_EXEC)
#define MAP_SHARED 0x01
#define MAP_PRIVATE 0x02
#define MAP_SHARED_VALIDATE 0x03
#define MAP_TYPE 0x0f
#define MAP_FIXED 0x10
#define MAP_ANONYMOUS 0x20
#define MAP_FIXED_NOREPLACE 0x100000
#define MAP_POPULATE 0x8000
#define MAP_KNOWN (MAP_TYPE | MAP_FIXED | MAP_ANONYMOUS | 0x40 | 0x100 | 0x800 | 0x1000 | \
		   0x2000 | 0x4000 | MAP_POPULATE | 0x10000 | 0x20000 | 0x40000 | \
		   MAP_FIXED_NOREPLACE | 0xfc000000u)
#define MREMAP_MAYMOVE 1
#define MREMAP_FIXED 2
#define MADV_DONTNEED 4
#define MADV_FREE 8

static uint64_t brk_start, brk_cur;

static uint64_t page_up(uint64_t x)
{
	return (x + VM_PAGE - 1) & ~(VM_PAGE - 1);
}

unsigned shim_vma_allows(unsigned prot)
{
	return prot ? prot | VMA_READ : 0;
}

/* shim_populate for va in mapping v (NULL: none), already looked up. */
static int populate(const struct vma *v, uint64_t va, unsigned access, uint64_t *gpa)
{
	unsigned prot;
	if (!v || (access & ~shim_vma_allows(v->prot)) || v->kind == VMA_PASTEOF)
		return -EFAULT;
	if (vm_query(va, gpa, &prot))
		return 0;
	int rc = vm_map(va & ~(VM_PAGE - 1), 1,
			gc_barrier_prot(va & ~(VM_PAGE - 1), v->prot, (access & VMA_WRITE) != 0));
	if (rc < 0)
		return rc == -VM_ENOMEM ? -ENOMEM : -EFAULT;
	vm_query(va, gpa, &prot);
	return 0;
}

int shim_populate(uint64_t va, unsigned access, uint64_t *gpa)
{
	return populate(vma_find(va), va, access, gpa);
}

static int fault(struct vm_fault *vf, void *arg)
{
	(void)arg;
	unsigned access = (vf->error_code & VM_PF_WRITE ? VMA_WRITE : VMA_READ) |
			  (vf->error_code & VM_PF_EXEC ? VMA_EXEC : 0);
	const struct vma *v = vma_find(vf->addr);
	if (!v) {
		shim_fault_signal(vf->regs, SIGSEGV, SEGV_MAPERR, vf->addr);
		return VM_RETRY;
	}
	if (v->kind == VMA_PASTEOF) { /* a file mapping's page past its end */
		shim_fault_signal(vf->regs, SIGBUS, BUS_ADRERR, vf->addr);
		return VM_RETRY;
	}
	uint64_t gpa;
	if ((vf->error_code & (VM_PF_PRESENT | VM_PF_WRITE)) == (VM_PF_PRESENT | VM_PF_WRITE) &&
	    (v->prot & VMA_WRITE) && gc_barrier_fault(vf->addr)) {
		/* libos/gc's write barrier: the card is marked, the page writable again */
		vm_protect_range(vf->addr & ~(VM_PAGE - 1), 1, v->prot);
		return VM_RETRY;
	}
	int rc = populate(v, vf->addr, access, &gpa);
	if (rc == -ENOMEM) {
		exo_notice("posix-shim: out of memory at 0x%lx: the program needs more than "
			    "--mem allows", (unsigned long)vf->addr);
		shim_exit(0, SIGKILL);
	}
	if (rc < 0)
		shim_fault_signal(vf->regs, SIGSEGV, SEGV_ACCERR, vf->addr);
	return VM_RETRY;
}

/* A fault outside the lower half's region: the program's bad pointer
 * (NULL, the upper half) is its SIGSEGV; the shim's own is a bug, for hv
 * to report. */
static int outside(struct vm_fault *vf, void *arg)
{
	(void)arg;
	if (vf->rip >= VM_USER_MAX)
		return VM_FAIL;
	shim_fault_signal(vf->regs, SIGSEGV, vf->error_code & VM_PF_PRESENT ? SEGV_ACCERR : SEGV_MAPERR,
			  vf->addr);
	return VM_RETRY;
}

int shim_mem_init(void)
{
	vm_set_unhandled(outside, NULL);
	return vm_region(VM_USER_MIN, VM_USER_MAX - VM_USER_MIN, VM_R | VM_W | VM_X, 0, fault, NULL);
}

void shim_brk_init(uint64_t end)
{
	brk_start = brk_cur = end;
}

/* A page-aligned range inside the lower half: 0 or -EINVAL/-ENOMEM. */
static int range_ok(uint64_t addr, uint64_t len)
{
	if (addr & (VM_PAGE - 1))
		return -EINVAL;
	if (len == 0 || len > VM_USER_MAX || addr < VM_USER_MIN || addr > VM_USER_MAX - len)
		return -ENOMEM;
	return 0;
}

/* Take a range out of the program's address space: its pages and map. */
static int unmap(uint64_t addr, uint64_t len)
{
	vm_unmap_range(addr, len / VM_PAGE);
	return vma_clear(addr, addr + len);
}

int64_t sys_brk(struct shim_call *c)
{
	uint64_t want = c->a[0];
	if (want < brk_start || want > VM_USER_MAX)
		return (int64_t)brk_cur;
	uint64_t old_end = page_up(brk_cur), new_end = page_up(want);
	if (new_end > old_end) {
		if (!vma_gap_free(old_end, new_end - old_end)) /* no room: keep brk */
			return (int64_t)brk_cur;
		if (vma_set(old_end, new_end, VMA_READ | VMA_WRITE, VMA_HEAP) < 0)
			return (int64_t)brk_cur;
	} else if (new_end < old_end) {
		unmap(new_end, old_end - new_end);
	}
	brk_cur = want;
	return (int64_t)brk_cur;
}

/* Read the file's bytes at off into the populated pages of [addr, +len). */
static int64_t fill_from_file(uint64_t addr, uint64_t len, int64_t fd, uint64_t off)
{
	for (uint64_t done = 0; done < len;) {
		uint64_t n = len - done < SHIM_STAGE_BYTES ? len - done : SHIM_STAGE_BYTES;
		int64_t got = shim_fwd(EXO_FWD_PREAD64, (uint64_t)fd, shim_stage_gpa(shim_stage), n,
				       off + done, 0, 0);
		if (got < 0)
			return got;
		for (uint64_t i = 0; i < (uint64_t)got; i += VM_PAGE) {
			uint64_t gpa;
			unsigned prot;
			uint64_t chunk = (uint64_t)got - i < VM_PAGE ? (uint64_t)got - i : VM_PAGE;
			if (!vm_query(addr + done + i, &gpa, &prot))
				return -EFAULT;
			memcpy(shim_phys(gpa), shim_stage + i, chunk);
		}
		if ((uint64_t)got < n)
			break; /* end of file: the rest stays zero */
		done += n;
	}
	return 0;
}

#define O_ACCMODE 3
#define O_WRONLY 1
#define F_GETFL 3
#define EACCES 13

/* What Linux checks of a file before mapping it: readable, a regular
 * file, and for a writable shared mapping (which this shim refuses, its
 * writes would never reach the file) opened for writing too. */
static int64_t file_checks(int64_t fd, unsigned type, uint64_t prot, uint64_t *bytes)
{
	struct shim_stat st;
	int64_t rc = shim_stat((uint64_t)fd, 0, 0, &st);
	if (rc < 0)
		return rc;
	*bytes = (uint64_t)st.size;
	int64_t fl = shim_fwd(EXO_FWD_FCNTL, (uint64_t)fd, F_GETFL, 0, 0, 0, 0);
	if (fl < 0)
		return fl;
	if ((fl & O_ACCMODE) == O_WRONLY)
		return -EACCES;
	if ((st.mode & S_IFMT) != S_IFREG)
		return -ENODEV;
	if (type != MAP_PRIVATE && (prot & VMA_WRITE)) {
		if ((fl & O_ACCMODE) != 2)
			return -EACCES;
		exo_notice("posix-shim: mmap: writable shared file mappings are not supported");
		return -ENODEV;
	}
	return 0;
}

int64_t sys_mmap(struct shim_call *c)
{
	uint64_t addr = c->a[0], len = c->a[1], prot = c->a[2], flags = c->a[3];
	int64_t fd = (int32_t)c->a[4];
	uint64_t off = c->a[5];
	unsigned type = flags & MAP_TYPE;
	int anon = (flags & MAP_ANONYMOUS) != 0;

	if (len == 0 || (prot & ~(uint64_t)PROT_MASK) || (flags & ~(uint64_t)MAP_KNOWN) ||
	    (type != MAP_SHARED && type != MAP_PRIVATE && type != MAP_SHARED_VALIDATE))
		return -EINVAL;
	if (len > VM_USER_MAX)
		return -ENOMEM;
	len = page_up(len);
	if (!anon && (off & (VM_PAGE - 1)))
		return -EINVAL;
	uint64_t file_bytes = 0;
	if (!anon) {
		int64_t rc = file_checks(fd, type, prot, &file_bytes);
		if (rc < 0)
			return rc;
	}
	if (flags & (MAP_FIXED | MAP_FIXED_NOREPLACE)) {
		int rc = range_ok(addr, len);
		if (rc < 0)
			return rc;
		if ((flags & MAP_FIXED_NOREPLACE) && !(flags & MAP_FIXED) && !vma_gap_free(addr, len))
			return -EEXIST;
	} else if (addr == 0 || range_ok(addr & ~(VM_PAGE - 1), len) < 0 ||
		   !vma_gap_free(addr & ~(VM_PAGE - 1), len)) {
		addr = vma_gap(len, SHIM_MMAP_TOP);
		if (!addr)
			return -ENOMEM;
	} else {
		addr &= ~(VM_PAGE - 1);
	}
	if (unmap(addr, len) < 0 || vma_set(addr, addr + len, (unsigned)prot, VMA_ANON) < 0)
		return -ENOMEM;
	if (!anon || (flags & MAP_POPULATE)) {
		/* A file mapping's pages wholly past the end of the file are
		 * not the file's: touching them is SIGBUS, as on Linux. */
		uint64_t in_file = len;
		if (!anon) {
			uint64_t rest = file_bytes > off ? page_up(file_bytes - off) : 0;
			in_file = rest < len ? rest : len;
			if (in_file < len &&
			    vma_set(addr + in_file, addr + len, (unsigned)prot, VMA_PASTEOF) < 0) {
				unmap(addr, len);
				return -ENOMEM;
			}
		}
		int64_t rc = in_file && vm_map(addr, in_file / VM_PAGE, (unsigned)prot) < 0 ? -ENOMEM : 0;
		if (rc == 0 && !anon)
			rc = fill_from_file(addr, in_file, fd, off);
		if (rc < 0) {
			unmap(addr, len);
			return rc;
		}
		gc_barrier_reapply(addr, len / VM_PAGE);
	}
	return (int64_t)addr;
}

int64_t sys_munmap(struct shim_call *c)
{
	uint64_t addr = c->a[0], len = page_up(c->a[1]);
	int rc = range_ok(addr, len);
	if (rc < 0)
		return -EINVAL;
	return unmap(addr, len);
}

int64_t sys_mprotect(struct shim_call *c)
{
	uint64_t addr = c->a[0], len = page_up(c->a[1]), prot = c->a[2];
	if (addr & (VM_PAGE - 1))
		return -EINVAL;
	prot &= ~0x03000000ull; /* PROT_GROWSDOWN/UP: the stack is fixed here */
	if (prot & ~(uint64_t)PROT_MASK)
		return -EINVAL;
	if (c->a[1] == 0)
		return 0;
	int rc = range_ok(addr, len);
	if (rc < 0)
		return rc;
	if ((rc = vma_protect(addr, addr + len, (unsigned)prot)) < 0)
		return rc;
	vm_protect_range(addr, len / VM_PAGE, (unsigned)prot);
	gc_barrier_reapply(addr, len / VM_PAGE); /* a raise must not open a clean card */
	return 0;
}

int64_t sys_madvise(struct shim_call *c)
{
	uint64_t addr = c->a[0], len = page_up(c->a[1]);
	int64_t advice = (int64_t)c->a[2];
	if (addr & (VM_PAGE - 1))
		return -EINVAL;
	if (c->a[1] == 0)
		return 0;
	if (range_ok(addr, len) < 0 || !vma_covered(addr, addr + len))
		return -ENOMEM;
	if (advice == MADV_DONTNEED || advice == MADV_FREE) /* read zero from now on */
		vm_unmap_range(addr, len / VM_PAGE);
	else if (advice < 0 || advice > 25)
		return -EINVAL;
	return 0; /* the other advice is a hint this library has no use for */
}

int64_t sys_msync(struct shim_call *c)
{
	uint64_t addr = c->a[0], len = page_up(c->a[1]);
	if (addr & (VM_PAGE - 1))
		return -EINVAL;
	if (c->a[1] && (range_ok(addr, len) < 0 || !vma_covered(addr, addr + len)))
		return -ENOMEM;
	return 0; /* private mappings: nothing to write back */
}

int64_t sys_mremap(struct shim_call *c)
{
	uint64_t old = c->a[0], old_len = page_up(c->a[1]), new_len = page_up(c->a[2]);
	uint64_t flags = c->a[3], want = c->a[4];
	if ((old & (VM_PAGE - 1)) || new_len == 0 || (flags & ~(uint64_t)3) ||
	    ((flags & MREMAP_FIXED) && !(flags & MREMAP_MAYMOVE)))
		return -EINVAL;
	if (old_len == 0 || range_ok(old, old_len) < 0)
		return -EINVAL;
	const struct vma *v = vma_find(old);
	if (!v || v->end < old + old_len)
		return -EFAULT;
	unsigned prot = v->prot, kind = v->kind;
	if (!(flags & MREMAP_FIXED) && new_len <= old_len) {
		if (new_len < old_len)
			unmap(old + new_len, old_len - new_len);
		return (int64_t)old;
	}
	if (!(flags & MREMAP_FIXED) && range_ok(old, new_len) == 0 &&
	    vma_gap_free(old + old_len, new_len - old_len)) {
		if (vma_set(old + old_len, old + new_len, prot, kind) < 0)
			return -ENOMEM;
		return (int64_t)old;
	}
	if (!(flags & MREMAP_MAYMOVE))
		return -ENOMEM;
	uint64_t to;
	if (flags & MREMAP_FIXED) {
		if (range_ok(want, new_len) < 0 || (want < old + old_len && old < want + new_len))
			return -EINVAL;
		to = want;
		unmap(to, new_len);
	} else if (!(to = vma_gap(new_len, SHIM_MMAP_TOP))) {
		return -ENOMEM;
	}
	uint64_t keep = old_len < new_len ? old_len : new_len;
	if (vma_set(to, to + new_len, prot, kind) < 0)
		return -ENOMEM;
	if (vm_move(old, to, keep / VM_PAGE) < 0) {
		vma_clear(to, to + new_len);
		return -ENOMEM;
	}
	unmap(old, old_len);
	gc_barrier_reapply(to, keep / VM_PAGE);
	return (int64_t)to;
}
