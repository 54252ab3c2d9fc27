/* SPDX-License-Identifier: MIT */
/*
 * posix-shim/exocall.c: exo calls, libos/vm's primitives for the program
 * (include/exo/exocall.h is the ABI; programs reach it through libexo.a
 * and <exo/vm.h>).
 *
 * The numbers [EXO_CALL_BASE, EXO_CALL_END) are dispatched here from
 * syscall.c. Every range is checked against the program's map (vma.c):
 * page aligned, non-empty, wholly mapped; every pointer goes through
 * uaccess.c, checked before anything changes, so a bad argument is an
 * -errno and never a fault in the shim. Protection changes go through
 * mprotect's own code (mem.c), which changes the map and the populated
 * pages together, so faults and mprotect stay coherent with them. DIRTY
 * and ACCESSED harvest libos/vm's hardware bits over the range, holes
 * (pages never populated) reading as clean, with one TLB flush per call.
 */
#include "shim.h"
#include "../include/exo/exocall.h"
#include "gc/gc.h"

#define NR_EXOCALLS (EXO_CALL_END - EXO_CALL_BASE)
#define PROT_KNOWN (EXO_PROT_READ | EXO_PROT_WRITE | EXO_PROT_EXEC)

_Static_assert(EXO_GC_DBITS == GC_DBITS && EXO_GC_WPROTECT == GC_WPROTECT &&
		       EXO_GC_ALL == GC_ALL && EXO_GC_RANGE_MAX <= SHIM_STAGE_BYTES * 8ull,
	       "libos/gc's modes pass through; a range's bitmap fits the stage");
_Static_assert(EXO_PROT_READ == VMA_READ && EXO_PROT_WRITE == VMA_WRITE &&
		       EXO_PROT_EXEC == VMA_EXEC && VMA_READ == VM_R && VMA_WRITE == VM_W &&
		       VMA_EXEC == VM_X,
	       "exo calls pass protections through unchanged");

int64_t sys_mprotect(struct shim_call *c); /* mem.c, through calls.h */

/* A range of npages pages at va, wholly mapped in the program's map: 0,
 * -EINVAL (misaligned or empty) or -ENOMEM (any page not mapped). */
static int range_ok(uint64_t va, uint64_t npages)
{
	if ((va & (VM_PAGE - 1)) || npages == 0)
		return -EINVAL;
	if (va < VM_USER_MIN || npages > (VM_USER_MAX - va) / VM_PAGE)
		return -ENOMEM;
	return vma_covered(va, va + npages * VM_PAGE) ? 0 : -ENOMEM;
}

static int64_t info(uint64_t out, uint64_t size)
{
	struct exo_info i = {
		.size = sizeof i,
		.version = EXO_CALL_VERSION,
		.ring = vm_ring() == VM_RING_3 ? 3 : 0,
		.page_size = VM_PAGE,
	};
	return shim_copy_out(out, &i, size < sizeof i ? size : sizeof i);
}

/* PROTN/PROT1/UNPROT: mprotect of a wholly mapped range. */
static int64_t protect(uint64_t va, uint64_t npages, uint64_t prot)
{
	int rc = range_ok(va, npages);
	if (rc < 0)
		return rc;
	if (prot & ~(uint64_t)PROT_KNOWN)
		return -EINVAL;
	struct shim_call m = { { va, npages * VM_PAGE, prot, 0, 0, 0 }, NULL };
	return sys_mprotect(&m);
}

/* DIRTY (hardware D bits) or ACCESSED (A bits): harvested into the staging
 * area, no forwarded call being in flight, then copied to the program. */
static int64_t harvest(uint64_t va, uint64_t npages, uint64_t bits, int dirty)
{
	int rc = range_ok(va, npages);
	if (rc < 0)
		return rc;
	uint64_t words = (npages + 63) / 64;
	if (shim_user_ok(bits, words * 8, VMA_WRITE) < 0)
		return -EFAULT; /* before any bit is cleared */
	uint64_t *buf = (uint64_t *)(void *)shim_stage;
	const uint64_t chunk = SHIM_STAGE_BYTES * 8; /* pages per harvest */
	int64_t total = 0;
	for (uint64_t done = 0; done < npages; done += chunk) {
		uint64_t n = npages - done < chunk ? npages - done : chunk;
		uint64_t at = va + done * VM_PAGE;
		int64_t got = dirty ? vm_dirty(at, n, buf) : vm_accessed(at, n, buf);
		if (got < 0) /* a 2 MiB page: the shim maps none */
			return -EINVAL;
		if (shim_copy_out(bits + done / 8, buf, (n + 63) / 64 * 8) < 0)
			return -EFAULT; /* cannot happen: checked above */
		total += got;
	}
	return total;
}

static int gc_errno(int64_t rc)
{
	return rc == -GC_EEXIST ? -EEXIST : rc == -GC_ENOSPC ? -ENOSPC : -EINVAL;
}

static int64_t gc_register_call(uint64_t va, uint64_t npages, uint64_t mode)
{
	int rc = range_ok(va, npages);
	if (rc < 0)
		return rc;
	if (mode > EXO_GC_WPROTECT || npages > EXO_GC_RANGE_MAX)
		return -EINVAL;
	int id = gc_register(va, npages, (unsigned)mode);
	return id < 0 ? gc_errno(id) : id;
}

/* Write access back where the map gives it, mapping by mapping. */
static int64_t gc_unregister_call(int64_t id)
{
	uint64_t va, npages;
	unsigned mode;
	if (gc_range((int)id, &va, &npages, &mode) < 0 || id != (int)id)
		return -EINVAL;
	gc_unregister((int)id, 0);
	if (mode != GC_WPROTECT)
		return 0;
	uint64_t end = va + npages * VM_PAGE;
	for (const struct vma *v = vma_next(va); v && v->start < end; v = vma_next(v->end)) {
		uint64_t from = v->start > va ? v->start : va, to = v->end < end ? v->end : end;
		if (v->prot & VMA_WRITE)
			vm_protect_range(from, (to - from) / VM_PAGE, v->prot);
	}
	return 0;
}

static int64_t gc_dirty_call(int64_t id, uint64_t bits)
{
	uint64_t va, npages;
	unsigned mode;
	if (id != (int)id || gc_range((int)id, &va, &npages, &mode) < 0)
		return -EINVAL;
	uint64_t bytes = (npages + 63) / 64 * 8;
	if (shim_user_ok(bits, bytes, VMA_WRITE) < 0)
		return -EFAULT; /* before anything is cleared */
	int64_t n = gc_dirty((int)id, (uint64_t *)(void *)shim_stage);
	if (n >= 0)
		shim_copy_out(bits, shim_stage, bytes);
	return n < 0 ? -EINVAL : n;
}

static int64_t gc_list_call(int64_t id, uint64_t pages, uint64_t max)
{
	uint64_t va, npages, done = 0;
	unsigned mode;
	const uint64_t chunk = SHIM_STAGE_BYTES / 8;
	if (id != GC_ALL && (id != (int)id || gc_range((int)id, &va, &npages, &mode) < 0))
		return -EINVAL;
	if (max > ((uint64_t)1 << 60) || shim_user_ok(pages, max * 8, VMA_WRITE) < 0)
		return -EFAULT;
	while (done < max) {
		uint64_t want = max - done < chunk ? max - done : chunk;
		int64_t got = gc_dirty_list((int)id, (uint64_t *)(void *)shim_stage, want);
		if (got < 0)
			return done ? (int64_t)done : -EINVAL;
		shim_copy_out(pages + done * 8, shim_stage, (uint64_t)got * 8);
		done += (uint64_t)got;
		if ((uint64_t)got < want)
			break;
	}
	return (int64_t)done;
}

static void unknown(uint64_t nr)
{
	static uint64_t said[NR_EXOCALLS / 64];
	uint64_t k = nr - EXO_CALL_BASE;
	if (said[k / 64] & (1ull << (k % 64)))
		return;
	said[k / 64] |= 1ull << (k % 64);
	exo_notice("posix-shim: unknown exo call 0x%lx: -ENOSYS", (unsigned long)nr);
}

int shim_exocall(uint64_t nr, struct shim_call *c, int64_t *ret)
{
	const uint64_t *a = c->a;
	if (nr < EXO_CALL_BASE || nr >= EXO_CALL_END)
		return 0;
	switch (nr) {
	case EXO_CALL_INFO:
		*ret = info(a[0], a[1]);
		break;
	case EXO_CALL_VM_PROTECT:
		*ret = protect(a[0], a[1], a[2]);
		break;
	case EXO_CALL_VM_PROT1:
		*ret = protect(a[0], 1, a[1]);
		break;
	case EXO_CALL_VM_UNPROT:
		*ret = protect(a[0], a[1], EXO_PROT_READ | EXO_PROT_WRITE);
		break;
	case EXO_CALL_VM_DIRTY:
		*ret = harvest(a[0], a[1], a[2], 1);
		break;
	case EXO_CALL_VM_ACCESSED:
		*ret = harvest(a[0], a[1], a[2], 0);
		break;
	case EXO_CALL_GC_REGISTER:
		*ret = gc_register_call(a[0], a[1], a[2]);
		break;
	case EXO_CALL_GC_UNREGISTER:
		*ret = gc_unregister_call((int64_t)a[0]);
		break;
	case EXO_CALL_GC_DIRTY:
		*ret = gc_dirty_call((int64_t)a[0], a[1]);
		break;
	case EXO_CALL_GC_DIRTY_LIST:
		*ret = gc_list_call((int64_t)a[0], a[1], a[2]);
		break;
	default:
		unknown(nr);
		*ret = -ENOSYS;
	}
	return 1;
}
