/* SPDX-License-Identifier: MIT */
/*
 * libos/vm/revoke.c: answering hv's revocation requests by this library's
 * own policy, and evicting pages when hv has no frame to give.
 *
 * hv writes a request (how many frames, by when) into the exo page and
 * raises VM_REVOKE_VECTOR. The answer costs what it must and no more:
 * frames from the local free list first (they cost nothing), then pages
 * chosen by the replacement policy: the application's chooser
 * (vm_set_policy) or, by default, a clock over every region's mapped
 * pages whose hand skips holes, clears the A bit of each page it passes
 * and takes the first it finds with it clear. A chosen page is kept by
 * the cheapest means that works: dropped if its region can rebuild it
 * (VM_REBUILD: the handler is told on the next touch, VM_PF_LOST) or if it
 * reads all zero in a demand-zero region (it is demand-zero again), else
 * written to the swap file (swap.c). A page none of these can keep (no
 * swap file, on metal) stays; hv's abort takes what is still owed. Every
 * chosen page's entry becomes an out entry (vm_impl.h) before anything is
 * written, the TLB is flushed once, the swap writes go in batches, and
 * all the frames go back to hv in one EXO_HC_FRAME_RELEASE.
 *
 * The request's interrupt is taken through guestlib's trap path, in ring 0
 * whichever ring the application runs in, when the guest is unmasked, or
 * when it unmasks (guestlib's mask.c): never inside a libos/vm call or a
 * hypercall stub. 2 MiB pages and pages with MAP2 aliases are never
 * taken.
 */
#include "vm_impl.h"

/* Pages one eviction takes at most: a release is up to EXO_FRAMES_MAX,
 * but the arrays are in the image, which a small --mem pays for. */
#define VM_EVICT_MAX 256u

/* The chosen pages, their entries already out; a swapped one's slot is in
 * its out entry. Static: an eviction never nests (it runs masked and
 * takes no frame). */
static struct victim {
	uint64_t *pte;
	uint64_t old; /* the mapped entry it had */
} victims[VM_EVICT_MAX];
static unsigned nvictims;
static int swept; /* the clock cleared an A bit: the TLB needs a flush */

/* 1 if the page at frame f reads all zero: one string instruction, so
 * cheap also where ring 0 is emulated. */
static int page_is_zero(uint64_t f)
{
	const uint64_t *p = vm_phys(f << 12);
	uint64_t n = VM_PAGE / 8, zero = 0;
	int equal;
	__asm__ volatile("repe scasq" : "+D"(p), "+c"(n), "=@cce"(equal) : "a"(zero) : "memory");
	return equal;
}

/* Take the page at va (entry pte, in region r) if it can be kept: its
 * entry becomes an out entry. 1 if taken. */
static int take(struct vm_region *r, uint64_t *pte)
{
	uint64_t old = *pte;
	if (!vm_mapped(old) || (old & (PTE_ALIAS | PTE_SHARED)))
		return 0;
	uint64_t f = (old & PTE_ADDR) >> 12;
	int64_t slot = 0;
	uint64_t kind;
	if (r && (r->flags & VM_REBUILD)) {
		kind = PTE_OUT_REBUILD;
	} else if (r && (r->flags & VM_DEMAND_ZERO) && page_is_zero(f)) {
		kind = PTE_OUT_ZERO;
	} else if (vm_swap_ready() && (slot = vm_swap_slot()) >= 0) {
		kind = PTE_OUT_SWAP;
	} else {
		vm_state.stats.unsaved++;
		return 0;
	}
	victims[nvictims++] = (struct victim){ pte, old };
	*pte = vm_out_entry(old, kind, (uint64_t)slot);
	return 1;
}

/* The clock: [from, to) of region r, a page table at a time. Returns 1
 * when enough are taken (the hand stops after the last one). */
static int sweep(unsigned ri, uint64_t from, uint64_t to, unsigned want)
{
	struct vm_region *r = &vm_state.regions[ri];
	for (uint64_t va = from; va < to;) {
		uint64_t *pt = vm_table(&va);
		if (!pt)
			continue;
		uint64_t stop = (va | (VM_HUGE - 1)) + 1;
		stop = stop < to ? stop : to;
		for (; va < stop; va += VM_PAGE) {
			uint64_t *pte = &pt[(va >> 12) & 511];
			if (!vm_mapped(*pte))
				continue;
			if (*pte & PTE_A) {
				*pte &= ~PTE_A; /* a second chance; the flush at the end covers it */
				swept = 1;
				continue;
			}
			if (take(r, pte) && nvictims >= want) {
				vm_state.hand_region = ri;
				vm_state.hand_va = va + VM_PAGE;
				return 1;
			}
		}
	}
	return 0;
}

/* Two turns of the hand at most (the first clears the A bits it finds):
 * from the hand to the end of its region, the regions after it in turn,
 * then its region's start up to the hand. */
static void choose_by_clock(unsigned want)
{
	unsigned r0 = vm_state.hand_region % VM_REGIONS_MAX;
	uint64_t hand = vm_state.hand_va;
	for (int turn = 0; turn < 2; turn++) {
		for (unsigned k = 0; k <= VM_REGIONS_MAX; k++) {
			unsigned ri = (r0 + k) % VM_REGIONS_MAX;
			struct vm_region *r = &vm_state.regions[ri];
			if (!r->end)
				continue;
			int here = ri == r0 && hand > r->start && hand < r->end;
			uint64_t from = r->start, to = r->end;
			if (k == 0 && here)
				from = hand;
			if (k == VM_REGIONS_MAX) {
				if (!here)
					continue;
				to = hand;
			}
			if (sweep(ri, from, to, want))
				return;
		}
	}
}

/* The application's chooser, region by region; a region whose chooser
 * answers with a page that cannot be taken gives no more this time. */
static void choose_by_policy(unsigned want)
{
	for (unsigned ri = 0; ri < VM_REGIONS_MAX && nvictims < want; ri++) {
		struct vm_region *r = &vm_state.regions[ri];
		if (!r->end || (r->flags & VM_HUGE_PAGES))
			continue;
		uint64_t npages = (r->end - r->start) / VM_PAGE;
		while (nvictims < want) {
			int64_t i = vm_state.policy(r->start, npages, vm_state.policy_arg);
			int huge;
			if (i < 0 || (uint64_t)i >= npages)
				break;
			uint64_t *pte = vm_leaf(r->start + (uint64_t)i * VM_PAGE, &huge);
			if (!pte || huge || !take(r, pte))
				break;
		}
	}
}

/* Write the swapped victims, a batch an exit; one that could not be
 * written is mapped again (an I/O error) or, if abort took its frame
 * meanwhile, left out as zero with its data lost. Returns how many
 * victims are still given, packed at the front. */
static unsigned save(void)
{
	unsigned at[EXO_FWD_BATCH], n = 0;
	uint64_t frames[EXO_FWD_BATCH], slots[EXO_FWD_BATCH];
	int64_t ret[EXO_FWD_BATCH];
	for (unsigned i = 0; i <= nvictims; i++) {
		if (i < nvictims && (*victims[i].pte & PTE_OUT_KIND) == PTE_OUT_SWAP) {
			frames[n] = (victims[i].old & PTE_ADDR) >> 12;
			slots[n] = *victims[i].pte >> 12 & (PTE_ADDR >> 12);
			at[n++] = i;
		}
		if (n == EXO_FWD_BATCH || (i == nvictims && n)) {
			vm_swap_write(frames, slots, ret, n);
			for (unsigned k = 0; k < n; k++) {
				struct victim *v = &victims[at[k]];
				if (ret[k] == 0) {
					vm_state.stats.swapped_out++;
					continue;
				}
				vm_swap_free(slots[k]);
				if (!vm_owns(frames[k])) {
					*v->pte = vm_out_entry(v->old, PTE_OUT_ZERO, 0);
					vm_state.stats.lost_data++;
				} else {
					*v->pte = v->old;
					vm_state.stats.unsaved++;
				}
				v->pte = NULL;
			}
			n = 0;
		}
	}
	unsigned kept = 0;
	for (unsigned i = 0; i < nvictims; i++)
		if (victims[i].pte)
			victims[kept++] = victims[i];
	return kept;
}

unsigned vm_evict(uint64_t *frames, unsigned want)
{
	want = want < VM_EVICT_MAX ? want : VM_EVICT_MAX;
	nvictims = 0;
	if (!want)
		return 0;
	if (vm_state.policy)
		choose_by_policy(want);
	else
		choose_by_clock(want);
	if (nvictims || swept)
		vm_tlb_flush_all(); /* once, for every entry changed */
	swept = 0;
	if (!nvictims)
		return 0;
	unsigned n = save();
	for (unsigned i = 0; i < n; i++) {
		uint64_t kind = *victims[i].pte & PTE_OUT_KIND;
		if (kind != PTE_OUT_SWAP)
			vm_state.stats.dropped++;
		frames[i] = (victims[i].old & PTE_ADDR) >> 12;
	}
	nvictims = 0;
	return n;
}

/* hv's request, answered in rounds of VM_EVICT_MAX frames (one release
 * each) for as long as frames are owed and some can be given. */
static void answer(void)
{
	static uint64_t give[VM_EVICT_MAX];
	const volatile struct exo_page *p = exo_page();
	if (p->revoke_frames && p->revoke_seq != vm_state.revoke_seq) {
		vm_state.revoke_seq = p->revoke_seq;
		vm_state.stats.revoke_requests++;
	}
	for (uint64_t owed; (owed = p->revoke_frames) != 0;) {
		unsigned want = owed < VM_EVICT_MAX ? (unsigned)owed : VM_EVICT_MAX;
		unsigned from_list = vm_frames_take(give, want);
		unsigned n = from_list + vm_evict(give + from_list, want - from_list);
		unsigned gone = vm_frames_release(give, n);
		vm_state.stats.given += gone;
		vm_state.stats.given_free += from_list < gone ? from_list : gone;
		if (gone < want)
			break; /* nothing more to give: abort takes the rest */
	}
}

static int revoke_trap(struct exo_trap_frame *f)
{
	(void)f;
	vm_state.stats.upcalls++;
	if (vm_state.abort_untold)
		vm_abort_say();
	answer();
	return 1;
}

static exo_exit_hook next_hook;

static void summary(void)
{
	const struct vm_stats *s = &vm_state.stats;
	if (s->revoke_requests || s->reclaimed || s->aborts || s->swapped_out)
		exo_notice("vm: revocation: %lu requests, gave %lu frames (%lu from the free list, "
			   "%lu pages dropped, %lu swapped out); %lu pages evicted for its own "
			   "need, %lu swapped in, %lu rebuilt; %lu could not be saved; abort took "
			   "%lu (%lu with data lost)",
			   (unsigned long)s->revoke_requests, (unsigned long)s->given,
			   (unsigned long)s->given_free, (unsigned long)s->dropped,
			   (unsigned long)s->swapped_out, (unsigned long)s->reclaimed,
			   (unsigned long)s->swapped_in, (unsigned long)s->rebuilt,
			   (unsigned long)s->unsaved, (unsigned long)s->lost_to_abort,
			   (unsigned long)s->lost_data);
	if (next_hook)
		next_hook();
}

void vm_revoke_init(void)
{
	exo_trap_set(VM_REVOKE_VECTOR, revoke_trap);
	if (exo_page()->flags & EXO_PAGE_F_STATS)
		next_hook = exo_on_exit(summary);
	/* hv raises a request made before this call as the call returns. */
	exo_upcall_setup(VM_REVOKE_VECTOR, EXO_UPCALL_KEEP);
}
