/* SPDX-License-Identifier: MIT */
/*
 * apps/vmbench/backend.h: what vmbench needs from a virtual-memory system.
 *
 * vmbench.c is one source built twice: against backend_exo.c (libos/vm in
 * an exo guest) and against backend_linux.c (mprotect and SIGSEGV, the
 * native Linux way). Both implement exactly this.
 */
#ifndef VMBENCH_BACKEND_H
#define VMBENCH_BACKEND_H

#include <stdint.h>

#define BE_PAGE 4096ull

/* A fault handler: called with the faulting address and the saved RIP of
 * the faulting instruction; before returning it must make the access
 * possible or move *rip past the instruction. */
typedef void (*be_handler)(uint64_t addr, uint64_t *rip);

int be_init(void);
const char *be_describe(void);     /* backend, ring, machine facts */
const char *be_dirty_method(void);
int be_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
uint64_t be_now_ns(void);
uint64_t be_ticks(void);           /* rdtsc: nothing else, on either side */
uint64_t be_exits(void);           /* exits caused so far, less be_exits's own */

/* npages of zeroed, read-write, populated memory whose faults go to h
 * (Linux: private anonymous memory). */
int be_region(uint64_t npages, be_handler h, uint64_t *va);
/* The same, but memory MAP2 can alias (Linux: a memfd, mapped shared). */
int be_region_shared(uint64_t npages, uint64_t *va);
int be_prot1(uint64_t va);                 /* no access */
int be_protn(uint64_t va, uint64_t npages);
int be_unprot(uint64_t va, uint64_t npages);

/* DIRTY: arm tracking over the region, then report pages written since the
 * last call as bits (and re-arm); returns the count. */
int be_dirty_arm(uint64_t va, uint64_t npages);
int64_t be_dirty(uint64_t va, uint64_t npages, uint64_t *bits);

/* DIRTY over a batch of n ranges of npages each (a collector's heap
 * sections): arm, then fetch-and-clear as a list of page addresses (at
 * most max), all ranges in one call where the system allows it. */
int be_dirty_batch_arm(const uint64_t *va, unsigned n, uint64_t npages);
int64_t be_dirty_batch(const uint64_t *va, unsigned n, uint64_t npages, uint64_t *list,
		       uint64_t max);
const char *be_dirty_batch_method(void);

/* MAP2: make the page at va (from be_region_shared) visible read-only at
 * alias, populated, and remove it. */
int be_map2(uint64_t va, uint64_t alias);
int be_unmap2(uint64_t alias);
/* An address where MAP2 aliases may go (npages free pages). */
uint64_t be_alias_area(uint64_t npages);

#endif
