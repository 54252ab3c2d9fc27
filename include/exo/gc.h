/* SPDX-License-Identifier: MIT */
/*
 * <exo/gc.h>: libos/gc's write barrier for a garbage collector in a POSIX
 * program that runs on exo (`build/exo run PROG`). Build the program with
 * build/exo-cc, which puts this header on the include path and links
 * libexo.a.
 *
 * A collector registers its heap ranges and then, at each collection,
 * fetches and clears the set of pages the program wrote since the last
 * one. With EXO_GC_DBITS the hardware's dirty bits are the barrier (a
 * write costs the program nothing); EXO_GC_WPROTECT is a write-protect
 * barrier whose first write to a page traps into the shim, which marks
 * the page and lets the write go on. The calls are
 * include/exo/exocall.h's EXO_CALL_GC_*; docs/gc.md says more.
 *
 * Each returns as the C library's wrappers do: >= 0 on success, -1 with
 * errno set on failure, having changed nothing. Natively every call fails
 * with ENOSYS (exo_vm_available() in <exo/vm.h> tells).
 */
#ifndef EXO_GC_H
#define EXO_GC_H

#include <stddef.h>
#include <stdint.h>

#include "exocall.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Register npages pages at addr (page aligned, mapped) in mode
 * EXO_GC_DBITS or EXO_GC_WPROTECT: the range's id. EEXIST: overlaps a
 * registered range; ENOSPC: no room; ENOMEM: not wholly mapped. */
int exo_gc_register(void *addr, size_t npages, int mode);
int exo_gc_unregister(int id);
/* Fetch-and-clear: bit i of bits (word i / 64) for page i of range id;
 * how many pages were written. */
long exo_gc_dirty(int id, uint64_t *bits);
/* Fetch-and-clear as addresses, of range id or EXO_GC_ALL, at most max;
 * the rest stay dirty for the next call. How many it wrote. */
long exo_gc_dirty_list(int id, void **pages, size_t max);

#ifdef __cplusplus
}
#endif

#endif
