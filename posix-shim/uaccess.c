/* SPDX-License-Identifier: MIT */
/*
 * posix-shim/uaccess.c: the program's memory, as a kernel reads it.
 *
 * A pointer from a system call is the program's to get wrong. Each page
 * it names is checked against the map (populated first if the map allows
 * the access, as a fault would) and then reached through hv's direct map
 * of frames, so a bad pointer is -EFAULT to the program and never a fault
 * in the shim, and a read-only page cannot be written through a call.
 * Checking a range consults the map only: pages are populated as data
 * actually reaches them, so a huge length costs nothing it does not use. The
 * page's accessed and dirty bits are set as the CPU would have set them,
 * so DIRTY (a collector's write barrier) sees what a call wrote.
 */
#include "shim.h"
#include "gc/gc.h"

/* The byte at va for an access the map allows, or NULL. */
static uint8_t *at(uint64_t va, unsigned access)
{
	uint64_t gpa;
	return shim_populate(va, access, &gpa) < 0 ? NULL : shim_phys(gpa);
}

static int copy(uint64_t uva, uint8_t *buf, uint64_t n, unsigned access)
{
	uint64_t end;
	if (__builtin_add_overflow(uva, n, &end) || end > VM_USER_MAX)
		return -EFAULT;
	while (n) {
		uint64_t chunk = VM_PAGE - (uva & (VM_PAGE - 1));
		uint8_t *p = at(uva, access);
		if (!p)
			return -EFAULT;
		if (chunk > n)
			chunk = n;
		if (access & VMA_WRITE)
			memcpy(p, buf, chunk);
		else
			memcpy(buf, p, chunk);
		vm_touch(uva, access & VMA_WRITE); /* as if the program had */
		if (access & VMA_WRITE)
			gc_touch(uva); /* and for libos/gc's write barrier */
		uva += chunk, buf += chunk, n -= chunk;
	}
	return 0;
}

int shim_copy_in(void *dst, uint64_t uva, uint64_t n)
{
	return copy(uva, dst, n, VMA_READ);
}

int shim_copy_out(uint64_t uva, const void *src, uint64_t n)
{
	return copy(uva, (uint8_t *)(uintptr_t)src, n, VMA_WRITE);
}

int64_t shim_string_in(char *dst, uint64_t uva, uint64_t max)
{
	for (uint64_t i = 0; i < max;) {
		uint64_t chunk = VM_PAGE - ((uva + i) & (VM_PAGE - 1));
		if (uva + i >= VM_USER_MAX)
			return -EFAULT;
		const uint8_t *p = at(uva + i, VMA_READ);
		if (!p)
			return -EFAULT;
		if (chunk > max - i)
			chunk = max - i;
		for (uint64_t k = 0; k < chunk; k++)
			if ((dst[i + k] = (char)p[k]) == '\0')
				return (int64_t)(i + k);
		i += chunk;
	}
	return -ENAMETOOLONG;
}

uint64_t shim_user_prefix(uint64_t uva, uint64_t n, unsigned access)
{
	uint64_t done = 0;
	while (done < n) {
		const struct vma *v = vma_find(uva + done);
		if (!v || (access & ~shim_vma_allows(v->prot)))
			break;
		uint64_t room = v->end - (uva + done);
		done += room < n - done ? room : n - done;
	}
	return done;
}

int shim_user_ok(uint64_t uva, uint64_t n, unsigned access)
{
	uint64_t end;
	if (__builtin_add_overflow(uva, n, &end) || end > VM_USER_MAX)
		return -EFAULT;
	return shim_user_prefix(uva, n, access) == n ? 0 : -EFAULT;
}
