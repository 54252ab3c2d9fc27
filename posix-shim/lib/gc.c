/* SPDX-License-Identifier: MIT */
/*
 * posix-shim/lib/gc.c: libexo.a's <exo/gc.h>, the program side of
 * libos/gc's exo calls (posix-shim/exocall.c serves them).
 */
#include "exo/gc.h"

#include "call.h"

int exo_gc_register(void *addr, size_t npages, int mode)
{
	return (int)exocall(EXO_CALL_GC_REGISTER, (unsigned long)addr, npages, (unsigned long)mode);
}

int exo_gc_unregister(int id)
{
	return (int)exocall(EXO_CALL_GC_UNREGISTER, (unsigned long)(long)id, 0, 0);
}

long exo_gc_dirty(int id, uint64_t *bits)
{
	return exocall(EXO_CALL_GC_DIRTY, (unsigned long)(long)id, (unsigned long)bits, 0);
}

long exo_gc_dirty_list(int id, void **pages, size_t max)
{
	return exocall(EXO_CALL_GC_DIRTY_LIST, (unsigned long)(long)id, (unsigned long)pages, max);
}
