/* SPDX-License-Identifier: MIT */
/*
 * apps/replace/scan.c: the scanner, Cao, Felten and Li's case for
 * application-controlled replacement: a cyclic scan over more pages than
 * the memory it has.
 *
 * A demand-zero region of PAGES pages with no handler: libos/vm can drop
 * none of them, so every page it gives up (to hv's revocation, or to
 * itself when hv has no frame for a fault) goes to its swap file and comes
 * back at the next touch. The first pass writes page i's number, counted
 * from 1 (so that no page is all zero, which libos/vm would drop rather
 * than write out), into every word of page i. Then, with notify=NAME, it
 * wakes NAME (the presser), which takes frames from the pool: hv asks this
 * guest for them and libos/vm gives pages by the policy. Once NAME rings
 * back (it holds its frames), PASSES timed scans read every page in order
 * and check its content.
 *
 * The policy: libos/vm's default, a clock over the accessed bits, which
 * for a loop larger than memory behaves like LRU and misses on every page;
 * or, with policy=mru, a chooser (vm_set_policy) that gives up the most
 * recently used page, optimal for a cyclic scan: the page just read is the
 * one needed furthest in the future. The chooser keeps resident pages in a
 * list by last use; the scan moves each page it reads to the front, masked
 * (exo_mask), since a revocation request may arrive in the middle and run
 * the chooser.
 *
 * At the end one line:
 *
 *   replace: scan: policy=P pages=N passes=K ring=R resident=A..B
 *       elapsed_ns=T page_ins=I page_outs=O evicted=E given=G requests=Q
 *
 * resident: pages of the region in memory when the timed scans began and
 * when they ended (PAGES less those in swap); elapsed_ns: the timed scans,
 * by the TSC; page_ins, page_outs, evicted (pages libos/vm gave up for its
 * own need): during them; given, requests: frames given to hv's
 * revocation requests, and how many requests, all told.
 */
#include "vm/vm.h"

#include "replace.h"

#define REGION 0x10000000ull
#define NIL 0xffffu

static uint64_t npages;

static volatile uint64_t *page(uint64_t i)
{
	return (volatile uint64_t *)(uintptr_t)(REGION + i * VM_PAGE);
}

/* 1 if the page at p holds v in each of its 512 words. */
static int page_is(volatile const void *p, uint64_t v)
{
	uint64_t n = 512;
	int equal;
	__asm__ volatile("repe scasq" : "+D"(p), "+c"(n), "=@cce"(equal) : "a"(v) : "memory");
	return equal;
}

static void page_fill(volatile void *p, uint64_t v)
{
	uint64_t n = 512;
	__asm__ volatile("rep stosq" : "+D"(p), "+c"(n) : "a"(v) : "memory");
}

/* --- MRU: resident pages by last use, the most recent at head --- */

static int mru;
static uint16_t head = NIL, prev[REPLACE_PAGES_MAX], next[REPLACE_PAGES_MAX];
static uint8_t listed[REPLACE_PAGES_MAX];

static void unlink_page(uint64_t i)
{
	if (prev[i] != NIL)
		next[prev[i]] = next[i];
	else
		head = next[i];
	if (next[i] != NIL)
		prev[next[i]] = prev[i];
	listed[i] = 0;
}

/* Page i was just used (and so is resident). */
static void used(uint64_t i)
{
	if (!mru)
		return;
	exo_mask();
	if (listed[i])
		unlink_page(i);
	prev[i] = NIL;
	next[i] = head;
	if (head != NIL)
		prev[head] = (uint16_t)i;
	head = (uint16_t)i;
	listed[i] = 1;
	exo_unmask();
}

/* libos/vm's chooser, called masked: the most recently used page. */
static int64_t choose_mru(uint64_t va, uint64_t n, void *arg)
{
	(void)n, (void)arg;
	if (va != REGION || head == NIL)
		return -1;
	uint64_t i = head;
	unlink_page(i);
	return (int64_t)i;
}

/* --- the scan --- */

static uint64_t resident(const struct vm_stats *s)
{
	return npages - (s->swapped_out - s->swapped_in);
}

static int pass(uint64_t n)
{
	for (uint64_t i = 0; i < npages; i++) {
		if (!page_is(page(i), i + 1))
			return replace_fail("pass %lu: page %lu does not hold %lu", (unsigned long)n,
					    (unsigned long)i, (unsigned long)(i + 1));
		used(i);
	}
	return 0;
}

int replace_scan(uint64_t pages, uint64_t passes, int use_mru, const char *notify)
{
	npages = pages;
	mru = use_mru;
	if (vm_init(exo_page()->ring_request) < 0)
		return replace_fail("vm_init failed");
	int rc = vm_region(REGION, npages * VM_PAGE, VM_R | VM_W, VM_DEMAND_ZERO, 0, 0);
	if (rc < 0)
		return replace_fail("vm_region of %lu pages: %d", (unsigned long)npages, rc);
	if (mru)
		vm_set_policy(choose_mru, 0);
	for (uint64_t i = 0; i < npages; i++) {
		page_fill(page(i), i + 1);
		used(i);
	}
	if (notify && (peer_listen() || peer_ring(notify, 1) || peer_await(1, 10000)))
		return 1;

	struct vm_stats s0, s1;
	vm_get_stats(&s0);
	uint64_t t0 = exo_rdtsc();
	for (uint64_t n = 1; n <= passes; n++)
		if (pass(n))
			return 1;
	uint64_t t1 = exo_rdtsc();
	vm_get_stats(&s1);
	exo_printf("replace: scan: policy=%s pages=%lu passes=%lu ring=%u resident=%lu..%lu "
		   "elapsed_ns=%lu page_ins=%lu page_outs=%lu evicted=%lu given=%lu requests=%lu\n",
		   mru ? "mru" : "clock", (unsigned long)npages, (unsigned long)passes,
		   (unsigned)vm_ring(), (unsigned long)resident(&s0), (unsigned long)resident(&s1),
		   (unsigned long)replace_ns(t1 - t0), (unsigned long)(s1.swapped_in - s0.swapped_in),
		   (unsigned long)(s1.swapped_out - s0.swapped_out),
		   (unsigned long)(s1.reclaimed - s0.reclaimed), (unsigned long)s1.given,
		   (unsigned long)s1.revoke_requests);
	return 0;
}
