/* SPDX-License-Identifier: MIT */
/*
 * libos/vm/vm.h: a guest's own virtual memory, as a library.
 *
 * libos/vm owns CR3 and the four-level page tables of its guest. It keeps
 * the upper half as hv built it (the image and the direct map of GPAs) and
 * manages the lower half, [VM_USER_MIN, VM_USER_MAX), as regions: ranges
 * with a protection, optional demand-zero paging and a fault handler each.
 * Faults are taken in the guest's IDT and never leave the guest; frames come
 * from hv in batches and are kept in a local free list, so most faults cost
 * no exit.
 *
 * Application code runs where vm_init decides: ring 0 beside the library
 * (Dune mode) or ring 3 (Aegis mode). The library runs in the
 * application's ring: in ring 3 it edits its page tables from there, fault
 * handlers run there, and only TLB flushes and the first instructions of a
 * fault go through ring 0 (libos/vm/entry.S). The calls are the same in
 * both modes.
 *
 * hv may ask for frames back (revocation): libos/vm answers by its own
 * policy (revoke.c): frames from its free list first, then pages chosen by
 * the clock over A bits or the application's chooser (vm_set_policy),
 * dropped when they can be had again (a VM_REBUILD region, an all-zero
 * page) or written to a swap file on the host (swap.c). Pages come back
 * on their next touch. What hv takes by abort it recovers from the
 * repossession bitmap (abort.c). The request arrives as an interrupt,
 * so application code runs with interrupts on and libos/vm's own code
 * runs masked (guestlib's exo_mask): a library OS built on libos/vm
 * masks code that holds a frame's address across calls the same way.
 *
 * Every call returns 0 (or a count) on success and a negative VM_E* code on
 * failure, having changed nothing.
 */
#ifndef LIBOS_VM_H
#define LIBOS_VM_H

#include <stddef.h>
#include <stdint.h>

#include "exo/exo.h"

#define VM_PAGE 4096ull
#define VM_HUGE (2ull << 20)
#define VM_USER_MIN 0x0000000000400000ull
#define VM_USER_MAX 0x0000800000000000ull

/* Errors. */
#define VM_EINVAL 1   /* misaligned, empty or overflowing range; bad flags */
#define VM_ENOMEM 2   /* hv refuses more frames */
#define VM_EEXIST 3   /* range already mapped / overlaps a region */
#define VM_ENOENT 4   /* range not mapped / no such region */
#define VM_ENOSPC 5   /* region table full */

/* Protections (combine). */
#define VM_R 1u
#define VM_W 2u
#define VM_X 4u

/* Region flags. */
#define VM_DEMAND_ZERO 1u /* first touch of an unmapped page maps a zero frame */
#define VM_HUGE_PAGES 2u  /* back with 2 MiB pages (range must be 2 MiB aligned) */
#define VM_REBUILD 4u     /* the handler can rebuild any page: revocation drops
			     pages here rather than saving them, and the next
			     touch of one is a fault with VM_PF_LOST (needs a
			     handler) */

/* The vector libos/vm takes revocation requests on (EXO_HC_UPCALL); an
 * application's doorbells use others. */
#define VM_REVOKE_VECTOR 0xf0u

/* Where application code runs. */
enum vm_ring { VM_RING_0 = 0, VM_RING_3 = 3 };

/* What a fault handler is told. */
struct vm_fault {
	uint64_t addr;       /* the faulting virtual address (CR2) */
	uint64_t error_code; /* the #PF error code: VM_PF_* bits */
	uint64_t rip;
	struct exo_trap_frame *regs; /* the saved registers; may be changed */
};
#define VM_PF_PRESENT 1u /* the page was present: a protection fault */
#define VM_PF_WRITE 2u
#define VM_PF_USER 4u
#define VM_PF_EXEC 16u
#define VM_PF_LOST (1u << 31) /* not the CPU's: the page was dropped (a
				 VM_REBUILD region) or taken by abort; the
				 handler rebuilds it with vm_fill */

/* A handler returns VM_RETRY once it has fixed the cause (the instruction
 * is retried) or VM_FAIL to have the fault reported and the guest ended. */
#define VM_RETRY 1
#define VM_FAIL 0
typedef int (*vm_handler)(struct vm_fault *f, void *arg);

/* Take over virtual memory. ring is EXO_RING_0, EXO_RING_3 or EXO_RING_AUTO
 * (pass exo_page()->ring_request to follow `exo run --ring`); auto probes
 * whether the host runs ring 0 natively and chooses ring 0 if it does.
 * Returns in the chosen ring. Under --stats it says what it chose. */
int vm_init(uint32_t ring);
enum vm_ring vm_ring(void);
/* The probe: TSC cycles for 1000 iterations of a ring-0 loop. */
uint64_t vm_probe_cycles(void);

/* Regions. */
int vm_region(uint64_t va, uint64_t len, unsigned prot, unsigned flags,
	      vm_handler h, void *arg);
int vm_region_remove(uint64_t va);
/* The handler for faults outside every region (a POSIX library's SIGSEGV);
 * NULL: such faults are reported to hv and end the guest. */
void vm_set_unhandled(vm_handler h, void *arg);

/* map gives each page a zeroed frame from the local free list; unmap
 * returns them there (a MAP2 alias's frame is not freed: unmap aliases
 * before the original). */
int vm_map(uint64_t va, uint64_t npages, unsigned prot);
int vm_unmap(uint64_t va, uint64_t npages);

/* Give va (unmapped, or a page revocation dropped) a zeroed frame with
 * protection prot, and *data its address in the direct map, writable
 * whatever prot is: how a VM_REBUILD handler rebuilds a lost page before
 * it returns VM_RETRY. */
int vm_fill(uint64_t va, unsigned prot, void **data);

/* Sparse ranges (range.c), for a library OS that keeps its own map and
 * populates on first touch: act on whatever 4 KiB pages of the range are
 * mapped, skip the holes, flush once; a 2 MiB page in the range is
 * -VM_EINVAL. Return how many pages were mapped. vm_move moves the mapped
 * pages of [from, +npages) to the same offsets at to, where nothing may be
 * mapped yet (-VM_EEXIST). */
int vm_protect_range(uint64_t va, uint64_t npages, unsigned prot);
int vm_unmap_range(uint64_t va, uint64_t npages);
int vm_move(uint64_t from, uint64_t to, uint64_t npages);
/* 1 and the GPA and current protection (0 for no access) of va if it is
 * mapped, else 0. A page revocation swapped out or dropped as zero is
 * brought back first (read in, or given a zero frame), so the GPA is
 * usable; one a VM_REBUILD region dropped is not mapped (0). */
int vm_query(uint64_t va, uint64_t *gpa, unsigned *prot);
/* Set va's accessed bit (and dirty bit, for a write), as the CPU would:
 * for a library OS that reads or writes a page through the direct map on
 * the application's behalf, so DIRTY and the clock still see it. */
void vm_touch(uint64_t va, int write);

/* The Appel-Li primitives. TRAP is vm_region's handler (or vm_trap).
 * PROT1/PROTN lower protection to prot; UNPROT raises it back to the
 * region's; all flush the TLB (INVLPG for up to 32 pages, CR3 reload
 * above). */
int vm_trap(uint64_t va, vm_handler h, void *arg);
int vm_prot1(uint64_t va, unsigned prot);
int vm_protn(uint64_t va, uint64_t npages, unsigned prot);
int vm_unprot(uint64_t va, uint64_t npages);
/* DIRTY: set bit i of bits[] when page i of the range was written since
 * the last call (hardware D bits), clearing them; returns how many. */
int64_t vm_dirty(uint64_t va, uint64_t npages, uint64_t *bits);
/* DIRTY over several ranges at once, with one TLB flush for all of them
 * (libos/gc's batches): each span's bits (if not NULL) as vm_dirty writes
 * them and, with list not NULL, the address of each dirty page, span by
 * span in ascending order, at most max pages in all: a page past max
 * keeps its bit for the next call. Returns how many pages it took. */
struct vm_span {
	uint64_t va, npages;
	uint64_t *bits;
};
int64_t vm_dirty_spans(const struct vm_span *s, unsigned n, uint64_t *list, uint64_t max);
/* What each of npages pages at va is, one byte each, changing nothing:
 * VM_PAGE_* bits, 0 for a page nothing holds. Returns how many are held
 * (mapped or out). A 2 MiB page gives each of its 4 KiB pages its state. */
#define VM_PAGE_MAPPED 1u   /* a frame is behind it (any protection) */
#define VM_PAGE_OUT 2u      /* revocation took it out; its next touch brings it back */
#define VM_PAGE_DIRTY 4u    /* its D bit is set (kept while out) */
#define VM_PAGE_WRITABLE 8u /* its entry allows writes */
int64_t vm_page_state(uint64_t va, uint64_t npages, uint8_t *state);
/* Take write access from every page of n spans that has it, except page
 * i of a span where bit i of its bits (used here as a keep mask; may be
 * NULL) is set; pages out lose it too, for when they come back. One TLB
 * flush for all. For write barriers (libos/gc): raising it back is
 * vm_protect_range or vm_protn. Returns how many pages lost it;
 * -VM_EINVAL for a bad range or a 2 MiB page in any span. */
int64_t vm_wrprotect(const struct vm_span *s, unsigned n);
/* MAP2: map the frame behind va at alias too, with protection prot. */
int vm_map2(uint64_t va, uint64_t alias, unsigned prot);
/* Accessed bits, for replacement policies: set bits for pages accessed
 * since the last call, clearing them. */
int64_t vm_accessed(uint64_t va, uint64_t npages, uint64_t *bits);

/* Replacement: pick a victim among npages at va by a clock over A bits,
 * or by the application's policy once vm_set_policy is called.
 *
 * The same policy decides what revocation (and the library's own
 * shortage, when hv has no frame for it) gives up: with no policy set, a
 * clock over every region's mapped pages, skipping holes, whose hand
 * clears the A bit of a page it passes and takes the first page found
 * with it clear (a page accessed since the last sweep survives it); with
 * one, the policy is called once per page taken, region by region (va and
 * npages are the region's), with interrupts masked: a page already taken
 * is no longer mapped (vm_query), and it returns a mapped page's index, or
 * a negative number when the region has nothing more to give. 2 MiB pages
 * and pages with MAP2 aliases are never taken. */
typedef int64_t (*vm_policy)(uint64_t va, uint64_t npages, void *arg);
void vm_set_policy(vm_policy p, void *arg);
int64_t vm_choose_victim(uint64_t va, uint64_t npages);

/* What this library has done: faults, frames in its free list and taken
 * from hv, TLB flushes; and revocation: requests answered, frames given
 * (from the free list, and pages dropped or swapped out), pages swapped
 * back in and rebuilt, pages evicted for its own need, and what abort
 * took (pages, and of them those whose data is gone). */
struct vm_stats {
	uint64_t faults, demand_zero, upcalls, frames_cached, frames_from_hv;
	uint64_t hv_calls, tlb_invlpg, tlb_reload;
	uint64_t revoke_requests; /* distinct requests (revoke_seq) answered */
	uint64_t given;           /* frames released to requests */
	uint64_t given_free;      /* ... of them from the free list */
	uint64_t dropped;         /* pages given up unsaved: VM_REBUILD or all zero */
	uint64_t swapped_out, swapped_in;
	uint64_t rebuilt;         /* VM_PF_LOST faults handed to a handler */
	uint64_t unsaved;         /* pages chosen that could not be saved (no swap) */
	uint64_t reclaimed;       /* pages evicted because hv had no frame */
	uint64_t aborts;          /* abort exceptions */
	uint64_t lost_to_abort;   /* pages (and free frames) abort took */
	uint64_t lost_data;       /* ... pages whose data is gone (zero again) */
};
void vm_get_stats(struct vm_stats *s);

#endif
