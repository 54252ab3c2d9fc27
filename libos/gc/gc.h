/* SPDX-License-Identifier: MIT */
/*
 * libos/gc/gc.h: the write barrier a garbage collector needs, as a library.
 *
 * An incremental or concurrent collector must learn which pages the
 * program wrote since it last looked. In a guest context the page tables
 * are the library OS's own: the hardware sets a page's D bit on every
 * write at no cost, and libos/gc reads and clears those bits in place
 * (libos/vm's DIRTY), a whole batch of heap ranges with one TLB flush.
 * That is the barrier Dune gave Boehm GC.
 *
 * A collector registers its heap ranges, each with a mode:
 *
 *   GC_DBITS     the hardware's dirty bits: writes cost nothing, a fetch
 *                walks the range's page tables (in the program's ring,
 *                natively) and clears the bits it found with one flush;
 *   GC_WPROTECT  a write-protect barrier, for collectors that want a trap
 *                on the first write to a page: the range's pages lose
 *                write access, the first write to one traps, the handler
 *                marks the page's card (libos/gc's own bitmap) and gives
 *                write access back; a fetch returns the marked cards and
 *                takes write access from those pages again.
 *
 * A fetch-and-clear reports each page written since the range was
 * registered or since the last fetch that reported it, exactly once.
 * Pages never populated are clean. A page revocation took out while dirty
 * is still dirty (libos/vm keeps the bit in the out entry).
 *
 * The barrier mode needs the cooperation of whoever owns the range's
 * protection (a library OS with its own map, posix-shim): its fault
 * handler calls gc_barrier_fault first, its populate and protection
 * raising call gc_barrier_prot / gc_barrier_reapply, so that a clean card
 * never has a writable page behind it.
 *
 * Every call returns 0 (or a count) on success and a negative GC_E* code
 * on failure, having changed nothing. Calls run with interrupts masked
 * (libos/vm's bracket), so a revocation request waits for them.
 */
#ifndef LIBOS_GC_H
#define LIBOS_GC_H

#include <stdint.h>

#define GC_EINVAL 1 /* misaligned, empty or overflowing range, bad mode or id */
#define GC_EEXIST 3 /* overlaps a registered range */
#define GC_ENOSPC 5 /* the table of ranges (or the card bitmap) is full */

#define GC_DBITS 0u
#define GC_WPROTECT 1u

#define GC_RANGES_MAX 64u
/* Card bits for every GC_WPROTECT range together: 1 GiB of 4 KiB pages. */
#define GC_CARDS_MAX (1u << 18)
/* gc_dirty_list over every registered range. */
#define GC_ALL (-1)

/* Register npages pages at va (page aligned, in the lower half) as a heap
 * range in mode; its dirty set starts empty (the pages' D bits are
 * cleared, or in GC_WPROTECT their write access is taken). Returns its
 * id. */
int gc_register(uint64_t va, uint64_t npages, unsigned mode);
/* Forget range id; in GC_WPROTECT its pages get write access back where
 * prot (the owner's protection for them) allows it. */
int gc_unregister(int id, unsigned prot);

/* Range id's place and mode: 0, or -GC_EINVAL for no such id. */
int gc_range(int id, uint64_t *va, uint64_t *npages, unsigned *mode);

/* Fetch-and-clear range id's dirty set as a bitmap: bit i of bits[] (word
 * i / 64) set when page i was written. Returns how many. */
int64_t gc_dirty(int id, uint64_t *bits);
/* Fetch-and-clear as a list of page addresses, ascending, of range id or
 * of every range (GC_ALL, in address order, one TLB flush for all): at
 * most max of them; the pages past max stay dirty for the next call.
 * Returns how many it wrote. */
int64_t gc_dirty_list(int id, uint64_t *pages, uint64_t max);

/* For the owner's fault handler: a write fault at va in a GC_WPROTECT
 * range whose page is mapped marks its card and returns 1 (the caller
 * gives the page write access back and retries); anything else returns 0
 * and is the caller's as before. */
int gc_barrier_fault(uint64_t va);
/* The protection (VM_R/W/X) to map va with when its owner allows prot:
 * prot without VM_W in a GC_WPROTECT range whose card is clean, unless
 * the access is a write (then the card is marked). */
unsigned gc_barrier_prot(uint64_t va, unsigned prot, int write);
/* The owner wrote the page at va on the program's behalf through another
 * mapping (read(2) into it, through the direct map): mark its card, as
 * vm_touch sets the D bit. */
void gc_touch(uint64_t va);
/* After the owner raised the protection of [va, +npages): take write
 * access back from clean cards of GC_WPROTECT ranges there (one flush). */
void gc_barrier_reapply(uint64_t va, uint64_t npages);

/* For /proc/self/pagemap-style readers: whether each page is dirty by its
 * mode (D bit, or marked card), without clearing: libos/vm's page state
 * (vm_page_state) with VM_PAGE_DIRTY replaced by the card for pages in a
 * GC_WPROTECT range. */
int64_t gc_page_state(uint64_t va, uint64_t npages, uint8_t *state);
/* Clear the dirty state of every page of n ranges (D bits; in GC_WPROTECT
 * ranges the cards, taking write access again): what clear_refs' "4"
 * does. One TLB flush. */
struct gc_span {
	uint64_t va, npages;
};
int gc_clear(const struct gc_span *s, unsigned n);

/* What the barrier has done, for --stats. */
struct gc_stats {
	uint64_t fetches;      /* fetch-and-clear calls */
	uint64_t pages_dirty;  /* pages they reported */
	uint64_t barrier_traps; /* GC_WPROTECT first-write traps */
	uint64_t clears;       /* gc_clear calls */
};
void gc_get_stats(struct gc_stats *s);

#endif
