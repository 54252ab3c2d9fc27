/* SPDX-License-Identifier: MIT */
/*
 * libos/vm/frames.c: the library's local free list of frames.
 *
 * Frames come from hv in batches (one exit for VM_BATCH frames) and go
 * back to the list, not to hv, when unmapped, so that most faults cost no
 * exit. Frames in the list are always zero: hv hands out zeroed frames and
 * vm_frame_put zeroes what it takes back. Huge pages take 512 contiguous,
 * 2 MiB-aligned frames, asked of hv by name (page colouring).
 *
 * Under pressure hv may have no frame to give (the guest is at its fair
 * share of the pool and nobody else has any to spare): below its --mem
 * cap the library then evicts pages of its own by its replacement policy
 * (revoke.c) and refills the list from them. At the cap it does not: the
 * cap is the application's own limit, and reaching it is reported as it
 * always was. A revocation takes frames from the list first; an abort
 * may take any of them, and the entries it took become EXO_FRAME_NONE
 * (a list taken apart under an interrupted pop would hand out the wrong
 * frame), which vm_frame_get skips.
 */
#include "vm_impl.h"

#define VM_BATCH 64u
#define VM_CACHE_MAX 1024u

static uint64_t cache[VM_CACHE_MAX];
static unsigned ncached;

/* Pages evicted at once when hv has no frame: one TLB flush (and one
 * swap exit) for several faults. */
#define VM_RECLAIM 16u

static int refill(void)
{
	static uint64_t vec[VM_BATCH]; /* in the image: handlers may run on any stack */
	const struct exo_page *p = exo_page();
	uint64_t room = p->mem_cap_frames - p->frames_owned;
	uint32_t want = room < VM_BATCH ? (uint32_t)room : VM_BATCH;
	vm_state.stats.hv_calls++;
	if (want > 1 && exo_frames_alloc(vec, want, EXO_FA_ANY, 0) < 0)
		want = 1; /* the pool may have fewer left than a batch */
	if (want == 1 && exo_frames_alloc(vec, 1, EXO_FA_ANY, 0) < 0)
		want = 0;
	else
		vm_state.stats.frames_from_hv += want;
	if (want == 0 && room > 0) { /* the pool is short, not the cap reached */
		want = vm_evict(vec, VM_RECLAIM);
		vm_state.stats.reclaimed += want;
		for (unsigned i = 0; i < want; i++)
			memset(vm_phys(vec[i] << 12), 0, VM_PAGE);
	}
	if (want == 0)
		return -VM_ENOMEM;
	for (unsigned i = 0; i < want; i++)
		cache[ncached++] = vec[i];
	return 0;
}

int vm_frame_get(uint64_t *frame)
{
	for (;;) {
		if (ncached == 0 && refill() < 0)
			return -VM_ENOMEM;
		uint64_t f = cache[--ncached];
		if (f != EXO_FRAME_NONE && vm_owns(f)) {
			*frame = f;
			return 0;
		}
	}
}

/* Frames beyond what the list keeps, on their way back to hv: given back
 * EXO_FRAMES_MAX at a time, and by vm_frames_flush at the end of an
 * operation that freed many, so unmapping a large range costs a few exits
 * rather than one a frame. */
static uint64_t spill[EXO_FRAMES_MAX];
static unsigned nspill;

unsigned vm_frames_release(uint64_t *frames, unsigned n)
{
	/* Twice at most: an abort that lands between the filter and the call
	 * makes the call refuse the frame it took (all or nothing). */
	for (int tries = 0; tries < 2; tries++) {
		unsigned k = 0;
		for (unsigned i = 0; i < n; i++)
			if (frames[i] != EXO_FRAME_NONE && vm_owns(frames[i]))
				frames[k++] = frames[i];
		n = k;
		if (!n)
			return 0;
		vm_state.stats.hv_calls++;
		if (exo_frames_release(frames, n, 0) == (int64_t)n)
			return n;
	}
	return 0;
}

void vm_frames_flush(void)
{
	if (!nspill)
		return;
	vm_frames_release(spill, nspill);
	nspill = 0;
}

unsigned vm_frames_take(uint64_t *out, unsigned n)
{
	unsigned k = 0;
	while (k < n && nspill)
		if ((out[k] = spill[--nspill]) != EXO_FRAME_NONE)
			k++;
	while (k < n && ncached)
		if ((out[k] = cache[--ncached]) != EXO_FRAME_NONE)
			k++;
	return k;
}

static unsigned forget(uint64_t *list, unsigned n)
{
	unsigned k = 0;
	for (unsigned i = 0; i < n; i++)
		if (list[i] != EXO_FRAME_NONE && !vm_owns(list[i])) {
			list[i] = EXO_FRAME_NONE;
			k++;
		}
	return k;
}

unsigned vm_frames_forget_repossessed(void)
{
	return forget(cache, ncached) + forget(spill, nspill);
}

void vm_frame_put(uint64_t frame)
{
	memset(vm_phys(frame << 12), 0, VM_PAGE);
	if (ncached < VM_CACHE_MAX) {
		cache[ncached++] = frame;
		return;
	}
	spill[nspill++] = frame;
	if (nspill == EXO_FRAMES_MAX)
		vm_frames_flush();
}

int vm_frames_huge(uint64_t *first)
{
	static uint64_t vec[512];
	const struct exo_page *p = exo_page();
	if (p->mem_cap_frames - p->frames_owned < 512)
		return -VM_ENOMEM;
	/* Try each 2 MiB-aligned run this guest owns none of; hv refuses runs
	 * another guest holds part of. */
	for (uint64_t base = 0; base + 512 <= p->pool_frames; base += 512) {
		int mine = 0;
		for (uint64_t f = base; f < base + 512 && !mine; f++)
			mine = vm_owns(f);
		if (mine)
			continue;
		for (unsigned i = 0; i < 512; i++)
			vec[i] = base + i;
		vm_state.stats.hv_calls++;
		if (exo_frames_alloc(vec, 512, EXO_FA_NAMED, 0) == 512) {
			vm_state.stats.frames_from_hv += 512;
			*first = base;
			return 0;
		}
	}
	return -VM_ENOMEM;
}

void vm_frames_huge_put(uint64_t first)
{
	static uint64_t vec[512];
	for (unsigned i = 0; i < 512; i++)
		vec[i] = first + i;
	vm_state.stats.hv_calls++;
	exo_frames_release(vec, 512, 0);
}

void vm_get_stats(struct vm_stats *s)
{
	VM_ENTER();
	*s = vm_state.stats;
	s->faults = vm_fault_count;
	s->frames_cached = ncached;
	VM_LEAVE();
}
