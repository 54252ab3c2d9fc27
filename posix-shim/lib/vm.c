/* SPDX-License-Identifier: MIT */
/*
 * posix-shim/lib/vm.c: libexo.a's <exo/vm.h>, the program side of the
 * exo calls (include/exo/exocall.h).
 *
 * Each function is one `syscall` (call.h) with a number in exo's reserved
 * range; posix-shim serves it (posix-shim/exocall.c), Linux answers
 * -ENOSYS.
 * Built with musl-gcc into build/lib/libexo.a; build/exo-cc links it.
 */
#include <errno.h>
#include <stdint.h>

#include "exo/vm.h"

#include "call.h"

int exo_info(struct exo_info *info)
{
	return (int)exocall(EXO_CALL_INFO, (unsigned long)info, sizeof *info, 0);
}

int exo_vm_available(void)
{
	struct exo_info info;
	int saved = errno;
	int ok = exo_info(&info) == 0;
	errno = saved;
	return ok;
}

int exo_vm_protect(void *addr, size_t npages, int prot)
{
	return (int)exocall(EXO_CALL_VM_PROTECT, (unsigned long)addr, npages, (unsigned long)(unsigned)prot);
}

int exo_vm_prot1(void *addr, int prot)
{
	return (int)exocall(EXO_CALL_VM_PROT1, (unsigned long)addr, (unsigned long)(unsigned)prot, 0);
}

int exo_vm_unprot(void *addr, size_t npages)
{
	return (int)exocall(EXO_CALL_VM_UNPROT, (unsigned long)addr, npages, 0);
}

long exo_vm_dirty(void *addr, size_t npages, uint64_t *bits)
{
	return exocall(EXO_CALL_VM_DIRTY, (unsigned long)addr, npages, (unsigned long)bits);
}

long exo_vm_accessed(void *addr, size_t npages, uint64_t *bits)
{
	return exocall(EXO_CALL_VM_ACCESSED, (unsigned long)addr, npages, (unsigned long)bits);
}
