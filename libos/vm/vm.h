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
 * mapped, else 0. */
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
/* MAP2: map the frame behind va at alias too, with protection prot. */
int vm_map2(uint64_t va, uint64_t alias, unsigned prot);
/* Accessed bits, for replacement policies: set bits for pages accessed
 * since the last call, clearing them. */
int64_t vm_accessed(uint64_t va, uint64_t npages, uint64_t *bits);

/* Replacement: pick a victim among npages at va by a clock over A bits,
 * or by the application's policy once vm_set_policy is called. */
typedef int64_t (*vm_policy)(uint64_t va, uint64_t npages, void *arg);
void vm_set_policy(vm_policy p, void *arg);
int64_t vm_choose_victim(uint64_t va, uint64_t npages);

/* Frames this library holds in its free list and has taken from hv. */
struct vm_stats {
	uint64_t faults, demand_zero, upcalls, frames_cached, frames_from_hv;
	uint64_t hv_calls, tlb_invlpg, tlb_reload;
};
void vm_get_stats(struct vm_stats *s);

#endif
