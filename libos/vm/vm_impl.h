/* SPDX-License-Identifier: MIT */
/*
 * libos/vm/vm_impl.h: what libos/vm's files share, not exported.
 *
 * The page-table entry bits, the library's state, and the functions one
 * file provides to the others. The library runs in the application's ring:
 * in ring-3 mode it edits the page tables from ring 3 (they are mapped for
 * it) and enters ring 0 only for what only ring 0 can do, TLB flushes,
 * through the gate in entry.S. Revocation requests and aborts are handled
 * in ring 0 (they arrive as an interrupt and an exception), so the same
 * code runs in both rings: TLB flushes go by the current privilege level.
 *
 * Every exported call masks interrupts (exo_mask) for its whole length, so
 * a revocation request is answered between calls, never inside one.
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
#define PTE_SHARED (1ull << 11)   /* software, mapped: MAP2 aliases the frame; never revoked */

/*
 * A page revocation (or abort) took out: P and PTE_PROTNONE clear,
 * PTE_OUT set (bit 11 means PTE_SHARED only when the page is mapped). The
 * page still exists for every call (unmap, protect, move); its next touch
 * brings it back by its kind. The protection stays in W, U, NX and
 * PTE_OUT_NONE; a swapped page's slot is in the address bits.
 */
#define PTE_OUT (1ull << 11)
#define PTE_OUT_NONE (1ull << 52)  /* it had no access (PTE_PROTNONE) */
#define PTE_OUT_DIRTY (1ull << 53) /* D was set when it went out */
#define PTE_OUT_KIND (3ull << 54)
#define PTE_OUT_SWAP (0ull << 54)    /* in the swap file, at slot (pte >> 12) */
#define PTE_OUT_ZERO (1ull << 54)    /* zero: the next touch maps a zero frame */
#define PTE_OUT_REBUILD (2ull << 54) /* the region's handler rebuilds it (VM_PF_LOST) */
#define PTE_OUT_PROT (PTE_W | PTE_U | PTE_NX | PTE_OUT_NONE)

static inline int vm_out(uint64_t pte)
{
	return (pte & (PTE_P | PTE_PROTNONE | PTE_OUT)) == PTE_OUT;
}

/* An out entry of kind for the mapped entry pte (slot for a swapped page). */
static inline uint64_t vm_out_entry(uint64_t pte, uint64_t kind, uint64_t slot)
{
	return PTE_OUT | kind | (slot << 12) | (pte & (PTE_W | PTE_U | PTE_NX)) |
	       (pte & PTE_PROTNONE ? PTE_OUT_NONE : 0) | (pte & PTE_D ? PTE_OUT_DIRTY : 0);
}

/* The mapped entry for frame with the protection out kept. */
static inline uint64_t vm_in_entry(uint64_t out, uint64_t frame)
{
	if (out & PTE_OUT_NONE)
		return (frame << 12) | PTE_PROTNONE;
	return (frame << 12) | PTE_P | (out & (PTE_W | PTE_U | PTE_NX)) |
	       (out & PTE_OUT_DIRTY ? PTE_A | PTE_D : 0);
}

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
	/* revoke.c: the hand of the clock over every region's pages. */
	unsigned hand_region;
	uint64_t hand_va;
	uint64_t revoke_seq;       /* the last request answered */
	int abort_untold;          /* abort.c: the --stats notice waits for a safe moment */
};
extern struct vm_state vm_state;
/* The page table the last 4 KiB lookup went through (vm_leaf4k): its
 * 2 MiB tag (va >> 21; ~0 for none) and its entries. Apart from vm_state
 * because entry.S's fault path reads them by name, as it counts faults
 * (vm_get_stats adds vm_fault_count in). */
extern uint64_t vm_pt_tag;
extern uint64_t *vm_pt_cached;
extern uint64_t vm_fault_count;

/* The few calls on every fault's way (PROT1, UNPROT): no frame pointer,
 * whatever the build's debugging flags, so their short way stays short. */
#define VM_HOT __attribute__((optimize("omit-frame-pointer")))

/* The exported calls' bracket (vm_impl.h's header comment). */
#define VM_ENTER() exo_mask()
#define VM_LEAVE() exo_unmask()

/* frames.c: the local free list. */
int vm_frame_get(uint64_t *frame);          /* a zeroed frame (evicts a page if hv has none) */
void vm_frame_put(uint64_t frame);          /* back to the list, zeroed */
void vm_frames_flush(void);                 /* give hv what the list can't keep */
int vm_frames_huge(uint64_t *first);        /* 512 aligned contiguous frames */
void vm_frames_huge_put(uint64_t first);
/* Up to n frames out of the free list and the spill, for a revocation. */
unsigned vm_frames_take(uint64_t *out, unsigned n);
/* Forget the free frames abort took; how many. */
unsigned vm_frames_forget_repossessed(void);
/* Release n frames to hv in one call, leaving out any abort took
 * meanwhile; how many went. */
unsigned vm_frames_release(uint64_t *frames, unsigned n);

/* revoke.c: take up to n pages out by the policy (revocation's and the
 * library's own shortage): their frames into frames[], one TLB flush. */
unsigned vm_evict(uint64_t *frames, unsigned n);
/* The answer to hv's request, and the exit summary under --stats. */
void vm_revoke_init(void);

/* swap.c */
int vm_swap_ready(void);                    /* 1 if there is a swap file */
int64_t vm_swap_slot(void);                 /* a free slot, or -1 */
void vm_swap_free(uint64_t slot);
/* Write frames[i] to slots[i] for i < n (at most EXO_FWD_BATCH: one
 * exit); ret[i] 0 or a negative errno. */
void vm_swap_write(const uint64_t *frames, const uint64_t *slots, int64_t *ret, unsigned n);
int64_t vm_swap_read(uint64_t slot, uint64_t frame); /* 0 or a negative errno */

/* fault.c: bring back the out page at va (entry *pte) into a frame: 0,
 * or -VM_ENOMEM / -VM_EINVAL (a read that failed, said with a notice). */
int vm_bring_back(uint64_t va, uint64_t *pte);
/* An entry that is gone (out or mapped): free its swap slot or frame. */
void vm_entry_free(uint64_t pte);

/* abort.c: take EXO_VEC_ABORT; say what abort took (--stats), where a
 * hypercall is safe. */
void vm_abort_init(void);
void vm_abort_say(void);

/* pt.c: page tables. */
static inline uint64_t *vm_phys(uint64_t gpa)
{
	return (uint64_t *)(uintptr_t)(EXO_PHYSMAP_BASE + gpa);
}
/* The entry for va at depth (0 = PT, 1 = PD); creates tables if create.
 * NULL if absent (or a 2 MiB page stands where a table would). */
uint64_t *vm_pte(uint64_t va, int depth, int create);
/* The leaf entry for va (4 KiB, or 2 MiB or 1 GiB with *huge set), or
 * NULL: one walk from the root, unrolled, inline: every fault asks, and
 * PROT1 and UNPROT. */
static inline uint64_t *vm_leaf(uint64_t va, int *huge)
{
	uint64_t e = vm_phys(vm_state.root)[(va >> 39) & 511];
	*huge = 0;
	if (!(e & PTE_P))
		return NULL;
	uint64_t *pdpt = &vm_phys(e & PTE_ADDR)[(va >> 30) & 511];
	if (*pdpt & PTE_PS) { /* a 1 GiB page (hv's, never libos/vm's) */
		*huge = 1;
		return pdpt;
	}
	if (!(*pdpt & PTE_P))
		return NULL;
	uint64_t *pd = &vm_phys(*pdpt & PTE_ADDR)[(va >> 21) & 511];
	if (*pd & PTE_PS) { /* a 2 MiB page */
		*huge = 1;
		return pd;
	}
	if (!(*pd & PTE_P))
		return NULL;
	return &vm_phys(*pd & PTE_ADDR)[(va >> 12) & 511];
}
/*
 * The 4 KiB leaf entry for va, or NULL (no table, or a 2 MiB or 1 GiB page
 * stands there: callers that care ask vm_leaf). The table of the last
 * lookup is remembered by its 2 MiB tag, so a fault and the UNPROT in its
 * handler, or PROT1s nearby, walk at most once. Page tables are never
 * freed while the guest runs; a table stops being the one for its 2 MiB
 * only where a 2 MiB page is made over it (fault.c) or abort takes it,
 * and both call vm_leaf_forget. vm_leaf_remember: a 4 KiB leaf pte of va
 * a walk already found becomes the remembered table.
 */
static inline void vm_leaf_remember(uint64_t va, uint64_t *pte)
{
	vm_pt_tag = va >> 21;
	vm_pt_cached = pte - ((va >> 12) & 511);
}
static inline uint64_t *vm_leaf4k(uint64_t va)
{
	if ((va >> 21) == vm_pt_tag)
		return &vm_pt_cached[(va >> 12) & 511];
	int huge;
	uint64_t *pte = vm_leaf(va, &huge);
	if (!pte || huge)
		return NULL;
	vm_leaf_remember(va, pte);
	return pte;
}
static inline void vm_leaf_forget(void)
{
	vm_pt_tag = ~0ull;
}
/* The page table (512 entries) covering *va, or NULL with *va moved to
 * the end of the hole (or 2 MiB page) it lies in. */
uint64_t *vm_table(uint64_t *va);
/* The entry bits for each prot (VM_R | VM_W | VM_X), with the user bit
 * in ring-3 mode: ring.c fills the table as the ring is chosen. A load,
 * not a computation: PROT1, UNPROT and every demand-zero fault ask. */
extern uint64_t vm_prot_bits[8];
static inline uint64_t vm_pte_bits(unsigned prot)
{
	return vm_prot_bits[prot & 7];
}
/* A frame behind it (present, or mapped with no access). Inline, like
 * vm_owns: revocation runs them per page, in ring 0, which some hosts
 * emulate at about 0.6 us an instruction. */
static inline int vm_mapped(uint64_t pte)
{
	return (pte & (PTE_P | PTE_PROTNONE)) != 0;
}
/* 1 if this guest owns frame f now (the exo page's ownership bitmap). */
static inline int vm_owns(uint64_t f)
{
	const volatile uint8_t *bits = (const volatile uint8_t *)vm_phys(exo_page()->bitmap_gpa);
	return (bits[f / 8] >> (f % 8)) & 1;
}
/* Mapped or out: the page exists for the application. */
static inline int vm_held(uint64_t pte)
{
	return vm_mapped(pte) || vm_out(pte);
}
/* pte's protection (from vm_pte_bits) replaced by bits, mapped or out. */
static inline uint64_t vm_reprot_mapped(uint64_t pte, uint64_t bits)
{
	return (pte & ~(PTE_P | PTE_W | PTE_U | PTE_NX | PTE_PROTNONE)) | bits;
}
static inline uint64_t vm_reprot(uint64_t pte, uint64_t bits)
{
	if (vm_out(pte)) {
		uint64_t keep = bits & PTE_PROTNONE ? PTE_OUT_NONE : bits & (PTE_W | PTE_U | PTE_NX);
		return (pte & ~PTE_OUT_PROT) | keep;
	}
	return vm_reprot_mapped(pte, bits);
}
/* 1 if entry bits now allow every access that before allowed (a raise). */
static inline int vm_allows(uint64_t now, uint64_t before)
{
	if (!(before & PTE_P))
		return 1;
	return (now & PTE_P) && (!(before & PTE_W) || (now & PTE_W)) &&
	       (!(before & PTE_U) || (now & PTE_U)) && (!(now & PTE_NX) || (before & PTE_NX));
}
void vm_tlb_flush(uint64_t va, uint64_t npages);
void vm_tlb_flush_all(void);
/* 1 if this code runs in ring 3 now: CS's low bits are not 0 (guests use
 * rings 0 and 3 only; the development hosts show ring 3 the host's
 * selector, 0x33, whose low bits still say 3). Flushes go by it, not by
 * the mode: revocation and abort run in ring 0 whatever the mode. */
static inline int vm_in_ring3(void)
{
	uint16_t cs;
	__asm__ volatile("mov %%cs, %0" : "=r"(cs));
	return (cs & 3) != 0;
}
/* One page: in ring 0 an inline INVLPG (PROT1's way), from ring 3 the
 * gate. */
static inline void vm_tlb_flush_page(uint64_t va)
{
	if (vm_in_ring3()) {
		vm_tlb_flush(va, 1);
		return;
	}
	vm_state.stats.tlb_invlpg++;
	__asm__ volatile("invlpg (%0)" : : "r"(va) : "memory");
}

/* region.c: the region va lies in, or NULL. The one the last lookup
 * found is tried first, inline (faults, PROT1 and UNPROT cluster); it
 * always points at a slot, an empty one (end 0) matching nothing, so a
 * removed region is never found through it. */
extern struct vm_region *vm_region_last;
struct vm_region *vm_region_search(uint64_t va);
/* The last lookup's region if va lies in it, else NULL: no search, no
 * call, for the short ways (UNPROT) that fall back to vm_region_find. */
static inline struct vm_region *vm_region_cached(uint64_t va)
{
	struct vm_region *r = vm_region_last;
	return va >= r->start && va < r->end ? r : NULL;
}
static inline struct vm_region *vm_region_find(uint64_t va)
{
	struct vm_region *r = vm_region_cached(va);
	return r ? r : vm_region_search(va);
}
/* A page-aligned, non-empty, non-overflowing range in the lower half. */
static inline int vm_range_ok(uint64_t va, uint64_t len)
{
	uint64_t end;
	return len && !(va & (VM_PAGE - 1)) && !(len & (VM_PAGE - 1)) &&
	       !__builtin_add_overflow(va, len, &end) && va >= VM_USER_MIN && end <= VM_USER_MAX;
}
static inline int vm_pages_ok(uint64_t va, uint64_t npages)
{
	return npages <= (VM_USER_MAX >> 12) && vm_range_ok(va, npages * VM_PAGE);
}
static inline int vm_prot_ok(unsigned prot)
{
	return !(prot & ~(VM_R | VM_W | VM_X));
}

/* fault.c */
int vm_fault_init(void);

/* entry.S: the ring-3 fast path for #PF and the TLB gate. A load from
 * VM_GATE_VA in ring 3 flushes n pages from va (n == 0: reload CR3). */
#define VM_GATE_VA 0x2000ull
void vm_pf_entry(void);
/* entry.S: ring-0 mode's #PF gate. Both take the common case themselves
 * and call vm_fault (fault.c, masked) for the rest. */
void vm_pf_entry0(void);
void vm_fault(struct exo_trap_frame *f, uint64_t cr2);

/* pcid.c: 1 if PCIDs are on, 0 if CPUID lacks them, -1 if CR4 refused. */
int vm_pcid_init(void);

/* ring.c */
void vm_user_enable(void);

#endif
