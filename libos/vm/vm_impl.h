/*
 * libos/vm/vm_impl.h: what libos/vm's files share, not exported.
 *
 * The page-table entry bits, the library's state, and the functions one
 * file provides to the others. The library runs in the application's ring:
 * in ring-3 mode it edits the page tables from ring 3 (they are mapped for
 * it) and enters ring 0 only for what only ring 0 can do, TLB flushes,
 * through the gate in entry.S.
 */
#ifndef LIBOS_VM_IMPL_H
#define LIBOS_VM_IMPL_H

#include "vm.h"

#define PTE_P (1ull << 0)
#define PTE_W (1ull << 1)
#define PTE_U (1ull << 2)
#define PTE_A (1ull << 5)
#define PTE_D (1ull << 6)
#define PTE_PS (1ull << 7)
#define PTE_ALIAS (1ull << 9)     /* software: MAP2 alias, frame not ours to free */
#define PTE_PROTNONE (1ull << 10) /* software: mapped, but no access (P clear) */
#define PTE_NX (1ull << 63)
#define PTE_ADDR 0x000ffffffffff000ull

#define VM_REGIONS_MAX 64

struct vm_region {
	uint64_t start, end;
	unsigned prot, flags;
	vm_handler handler;
	void *arg;
};

struct vm_state {
	enum vm_ring ring;
	uint64_t root;  /* CR3's table: ring 3 cannot read CR3 */
	int ready;
	int pcid;
	uint64_t probe_cycles;
	struct vm_region regions[VM_REGIONS_MAX];
	struct vm_stats stats;
	vm_policy policy;
	void *policy_arg;
	uint64_t clock_hand;
};
extern struct vm_state vm_state;

/* frames.c: the local free list. */
int vm_frame_get(uint64_t *frame);          /* a zeroed frame */
void vm_frame_put(uint64_t frame);          /* back to the list, zeroed */
void vm_frames_flush(void);                 /* give hv what the list can't keep */
int vm_frames_huge(uint64_t *first);        /* 512 aligned contiguous frames */
void vm_frames_huge_put(uint64_t first);

/* pt.c: page tables. */
static inline uint64_t *vm_phys(uint64_t gpa)
{
	return (uint64_t *)(uintptr_t)(EXO_PHYSMAP_BASE + gpa);
}
/* The entry for va at depth (0 = PT, 1 = PD); creates tables if create.
 * NULL if absent (or a 2 MiB page stands where a table would). */
uint64_t *vm_pte(uint64_t va, int depth, int create);
/* The leaf entry for va (4 KiB or 2 MiB), or NULL; *huge says which. */
uint64_t *vm_leaf(uint64_t va, int *huge);
uint64_t vm_pte_bits(unsigned prot);
int vm_mapped(uint64_t pte);
/* 1 if entry bits now allow every access that before allowed (a raise). */
int vm_allows(uint64_t now, uint64_t before);
void vm_tlb_flush(uint64_t va, uint64_t npages);
void vm_tlb_flush_all(void);

/* region.c */
struct vm_region *vm_region_find(uint64_t va);
/* A page-aligned, non-empty, non-overflowing range in the lower half. */
int vm_range_ok(uint64_t va, uint64_t len);
int vm_pages_ok(uint64_t va, uint64_t npages);
int vm_prot_ok(unsigned prot);

/* fault.c */
int vm_fault_init(void);

/* entry.S: the ring-3 fast path for #PF and the TLB gate. A load from
 * VM_GATE_VA in ring 3 flushes n pages from va (n == 0: reload CR3). */
#define VM_GATE_VA 0x2000ull
void vm_pf_entry(void);

/* pcid.c: 1 if PCIDs are on, 0 if CPUID lacks them, -1 if CR4 refused. */
int vm_pcid_init(void);

/* ring.c */
void vm_user_enable(void);

#endif
