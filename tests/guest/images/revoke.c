/* SPDX-License-Identifier: MIT */
/*
 * tests/guest/images/revoke MODE N [OPTIONS]: guests for visible
 * revocation, abort and CPU slices (abi.h, "Revocation"); the kvm tests
 * (tests/guest/test_revoke.c) and the metal Bochs test run them.
 *
 *   coop PAGES     libos/vm guest: a demand-zero region of PAGES pages whose
 *                  handler rebuilds any page (page i holds i in every word,
 *                  VM_REBUILD); writes every page, then reads its hot pages
 *                  (every fourth) and waits 1 ms, over and over, until the
 *                  guests it notified have ended (with none named: until
 *                  libos/vm has given frames to a revocation request and
 *                  200 ms passed without more); given nothing by then (or
 *                  in 5 s, 10 s with notify=) is a failure. Then it checks
 *                  which pages went by the policy, re-reads every page (those
 *                  given are rebuilt on their next touch) and checks the
 *                  pattern. Prints "revoke: coop: clock: lost L pages, H of
 *                  them hot" (or with policy=mru "revoke: coop: mru: lost L
 *                  pages, the most recently used"), then "revoke: coop: gave
 *                  N frames, rebuilt M pages, pattern ok".
 *   swap PAGES     as coop, but no handler: libos/vm must save what it gives
 *                  (its swap file on the host) and page it in on the next
 *                  touch. "revoke: swap: gave N frames, paged in M, pattern ok".
 *   ignore FRAMES  raw guest, no upcall vector: allocates FRAMES frames,
 *                  writes each one's number into it and yields until hv has
 *                  taken some by abort (frames_repossessed > 0; 5 s: a
 *                  failure). Checks that every frame it lost is in the
 *                  repossession bitmap and every bit there is a frame it
 *                  had, that EXO_VEC_ABORT arrived, that the frames it kept
 *                  kept their contents; asks for as many again (waiting as
 *                  it must) and checks they read zero. "revoke: ignore:
 *                  lost N frames, repossession bitmap exact, abort seen, got
 *                  N back".
 *   press FRAMES   raw guest: allocates FRAMES frames, 64 to a call (a call
 *                  may wait while hv revokes; -EXO_ENOMEM is a failure),
 *                  checks each reads zero and touches it. "revoke: press:
 *                  got N frames".
 *   loop MS        raw guest: spins MS milliseconds (TSC) without a yield or
 *                  any hypercall. "revoke: loop: done".
 *   work UNITS     raw guest with a slice-end vector and interrupts on: UNITS
 *                  small units of computation, yielding after a unit when
 *                  the upcall asked. "revoke: work: done, N upcalls answered".
 *   badrelease FRAMES  raw guest with a revocation vector: allocates FRAMES,
 *                  and when asked first releases a frame it does not own
 *                  among its own (all or nothing: -EXO_EPERM, nothing goes),
 *                  then gives what is owed. "revoke: badrelease: EXO_EPERM
 *                  for frame F, then gave N frames".
 *   triple FRAMES  as badrelease, but triple-faults when asked.
 *
 * Options, after N:
 *   notify=NAME    (coop, swap, ignore, badrelease, triple; repeatable) when
 *                  ready, grant guest NAME a frame and ring its doorbell
 *   rings=K        (press) wait first for doorbells from K guests (10 s)
 *   policy=mru     (coop) register an MRU chooser (vm_set_policy): the most
 *                  recently used pages go first
 *   unasked=ok     (coop, swap) not being asked is no failure (many guests:
 *                  hv asks those furthest above their share first)
 *
 * coop and swap stop waiting early once every guest they notified has
 * ended: nothing more will be asked of them.
 *
 * A guest that is above its fair share takes frames only while the pool
 * has them, so a pressing guest must start after the others are full:
 * that is what notify= and rings= are for.
 *
 * Exit status 0; 1 with a "revoke: MODE: ..." line saying what was wrong;
 * 2 for a usage error.
 */
#include "vm/vm.h"

#define REGION 0x10000000ull
#define PAGES_MAX 4096u
#define FRAMES_MAX 2048u
#define NOTIFY_MAX 16
#define DOORBELL_VECTOR 0x40u
#define UPCALL_VECTOR 0x41u
#define MS 1000000ull
/* press's frames to a call: each call short of frames is a request of
 * its own, with its own deadline, so a smaller batch asks for less at a
 * time (answering costs time where ring 0 is emulated). */
#define PRESS_BATCH 64u

static const char *mode;
static int quiet; /* fail() says nothing: a check that will be made again */

static int fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int fail(const char *fmt, ...)
{
	char buf[200];
	if (quiet)
		return 1;
	va_list ap;
	va_start(ap, fmt);
	exo_vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	exo_printf("revoke: %s: %s\n", mode, buf);
	return 1;
}

static uint64_t parse(const char *s)
{
	uint64_t n = 0;
	for (; *s >= '0' && *s <= '9' && n < 100000000; s++)
		n = n * 10 + (uint64_t)(*s - '0');
	return *s ? 0 : n;
}

static uint64_t now_ms(void)
{
	uint64_t khz = exo_page()->tsc_khz;
	return exo_rdtsc() / (khz ? khz : 2000000);
}

/* 1 if the page at p holds word v in each of its 512 words: one string
 * instruction, cheap also where ring 0 is emulated. */
static int page_is(const void *p, uint64_t v)
{
	uint64_t n = 512;
	int equal;
	__asm__ volatile("repe scasq" : "+D"(p), "+c"(n), "=@cce"(equal) : "a"(v) : "memory");
	return equal;
}

static void page_fill(void *p, uint64_t v)
{
	uint64_t n = 512;
	__asm__ volatile("rep stosq" : "+D"(p), "+c"(n) : "a"(v) : "memory");
}

/* --- telling a pressing guest we are ready (notify=, rings=) --- */

static const char *notify[NOTIFY_MAX];
static int nnotify;
static uint64_t rings_wanted;
static int mru, unasked_ok;

static uint8_t shared[EXO_PAGE_SIZE] __attribute__((aligned(EXO_PAGE_SIZE)));
static uint64_t shared_frame;

/* Grant each named guest our shared frame (a ring needs one between the
 * two) and ring it, retrying while it has no doorbell yet. */
static int tell(void)
{
	shared_frame = exo_gpa(shared) >> EXO_PAGE_SHIFT;
	for (int i = 0; i < nnotify; i++) {
		int64_t id = exo_lookup_wait(notify[i], 10000 * MS), rc;
		if (id < 0)
			return fail("no guest %s to notify: %s", notify[i], exo_strerror(id));
		if ((rc = exo_grant((uint32_t)id, &shared_frame, 1, EXO_GRANT_RO, 0)) < 0)
			return fail("grant to %s: %s", notify[i], exo_strerror(rc));
		uint64_t t0 = now_ms();
		while ((rc = exo_doorbell_ring((uint32_t)id)) == -EXO_ENOENT && now_ms() - t0 < 10000)
			exo_doorbell_wait(MS);
		if (rc < 0)
			return fail("ring %s: %s", notify[i], exo_strerror(rc));
	}
	return 0;
}

static uint64_t rang[EXO_GUESTS_MAX / 64];

static void rung(uint32_t from)
{
	rang[from / 64] |= 1ull << (from % 64);
}

static uint64_t rang_count(void)
{
	uint64_t n = 0;
	for (unsigned w = 0; w < EXO_GUESTS_MAX / 64; w++)
		for (uint64_t b = rang[w]; b; b &= b - 1)
			n++;
	return n;
}

static int await_rings(void)
{
	int64_t rc = exo_doorbell_setup(DOORBELL_VECTOR, rung);
	if (rc < 0)
		return fail("doorbell setup: %s", exo_strerror(rc));
	uint64_t t0 = now_ms();
	while (rang_count() < rings_wanted) {
		if (now_ms() - t0 > 10000)
			return fail("only %lu of %lu guests rang within 10 s",
				    (unsigned long)rang_count(), (unsigned long)rings_wanted);
		exo_doorbell_wait(10 * MS);
	}
	return 0;
}

/* --- coop and swap: a libos/vm guest that gives by its policy --- */

static uint64_t npages;
static volatile uint64_t rebuilt;
/* MRU: pages by last use, most recent on top; resident as the chooser
 * last knew it. */
static uint16_t order[2 * PAGES_MAX];
static unsigned norder;
static uint8_t resident[PAGES_MAX];

static void used(uint64_t i)
{
	resident[i] = 1;
	if (norder < sizeof order / sizeof order[0])
		order[norder++] = (uint16_t)i;
}

static int64_t choose_mru(uint64_t va, uint64_t n, void *arg)
{
	(void)arg, (void)n;
	if (va != REGION)
		return -1;
	while (norder) {
		uint64_t i = order[--norder];
		if (resident[i]) {
			resident[i] = 0;
			return (int64_t)i;
		}
	}
	return -1;
}

static int rebuild(struct vm_fault *f, void *arg)
{
	(void)arg;
	uint64_t i = (f->addr - REGION) / VM_PAGE;
	void *data;
	if (!(f->error_code & VM_PF_LOST) || i >= npages ||
	    vm_fill(REGION + i * VM_PAGE, VM_R | VM_W, &data) < 0)
		return VM_FAIL;
	page_fill(data, i);
	rebuilt++;
	used(i);
	return VM_RETRY;
}

static volatile uint64_t *page(uint64_t i)
{
	return (volatile uint64_t *)(uintptr_t)(REGION + i * VM_PAGE);
}

/* 1 once every guest it notified has ended: nothing more will be asked. */
static int pressers_gone(void)
{
	for (int i = 0; i < nnotify; i++)
		if (exo_lookup(notify[i]) != -EXO_ENOENT)
			return 0;
	return 1;
}

/* Until the guests it notified have ended (they ask nothing more then), or
 * with none named until libos/vm has given frames and nothing has moved
 * for 200 ms; reading the hot pages in between. */
static int await_revocation(int hot)
{
	struct vm_stats s;
	uint64_t t0 = now_ms(), quiet = t0, last = 0, looked = t0;
	for (;;) {
		vm_get_stats(&s);
		uint64_t t = now_ms();
		if (s.given != last || exo_page()->revoke_frames)
			quiet = t;
		last = s.given;
		if (!nnotify && s.given && t - quiet >= 200)
			return 0;
		if (nnotify && t - looked >= 20) {
			looked = t;
			if (pressers_gone())
				break;
		}
		if (t - t0 > (nnotify ? 10000 : 5000))
			break;
		for (uint64_t i = 0; hot && i < npages; i += 4)
			(void)*page(i);
		/* Off the CPU for a millisecond, not just a yield: with many
		 * guests on few cores, spinning ones crowd out the one whose
		 * answer has a deadline. */
		exo_doorbell_wait(MS);
	}
	return s.given || unasked_ok ? 0 : fail("nothing was asked of it (in %s s, or before the "
						 "guests it notified ended)", nnotify ? "10" : "5");
}

static int vm_guest(int swap)
{
	if (vm_init(exo_page()->ring_request) < 0)
		return fail("vm_init failed");
	int rc = swap ? vm_region(REGION, npages * VM_PAGE, VM_R | VM_W, VM_DEMAND_ZERO, 0, 0)
		      : vm_region(REGION, npages * VM_PAGE, VM_R | VM_W, VM_DEMAND_ZERO | VM_REBUILD,
				  rebuild, 0);
	if (rc < 0)
		return fail("vm_region: %d", rc);
	if (mru)
		vm_set_policy(choose_mru, 0);
	for (uint64_t i = 0; i < npages; i++) {
		page_fill((void *)page(i), i);
		used(i);
	}
	static uint64_t bits[PAGES_MAX / 64];
	vm_accessed(REGION, npages, bits); /* the last sweep: every A bit clear */
	if (tell() || await_revocation(!swap && !mru))
		return 1;

	/* Which pages went: those no longer mapped (vm_query brings back what
	 * it can, but a dropped page is not mapped until its handler runs). */
	uint64_t lost = 0, hot = 0, low = npages, gpa;
	unsigned prot;
	for (uint64_t i = 0; !swap && i < npages; i++)
		if (!vm_query(REGION + i * VM_PAGE, &gpa, &prot)) {
			lost++;
			hot += i % 4 == 0;
			low = i < low ? i : low;
		}
	struct vm_stats s;
	vm_get_stats(&s);
	if (!swap && s.lost_to_abort) {
		/* hv took pages by abort too, its choice, not the policy's. */
		exo_printf("revoke: coop: %s: lost %lu pages, %lu of them to abort: the policy is "
			   "not checked\n", mru ? "mru" : "clock", (unsigned long)lost,
			   (unsigned long)s.lost_to_abort);
	} else if (!swap && mru) {
		exo_printf("revoke: coop: mru: lost %lu pages, %s\n", (unsigned long)lost,
			   low == npages - lost ? "the most recently used" : "NOT the most recently used");
		if (low != npages - lost)
			return fail("the lowest page lost is %lu: MRU would have taken %lu and up",
				    (unsigned long)low, (unsigned long)(npages - lost));
	} else if (!swap) {
		exo_printf("revoke: coop: clock: lost %lu pages, %lu of them hot\n", (unsigned long)lost,
			   (unsigned long)hot);
		if (hot && lost <= npages - (npages + 3) / 4)
			return fail("the clock took %lu hot pages while cold ones were left",
				    (unsigned long)hot);
	}

	for (uint64_t i = 0; i < npages; i++) {
		(void)*page(i); /* the touch that brings it back */
		if (!page_is((const void *)page(i), i))
			return fail("page %lu does not hold %lu after revocation", (unsigned long)i,
				    (unsigned long)i);
		used(i);
	}
	vm_get_stats(&s);
	if (swap)
		exo_printf("revoke: swap: gave %lu frames, paged in %lu, pattern ok\n",
			   (unsigned long)s.given, (unsigned long)s.swapped_in);
	else
		exo_printf("revoke: coop: gave %lu frames, rebuilt %lu pages, pattern ok\n",
			   (unsigned long)s.given, (unsigned long)rebuilt);
	return 0;
}

/* --- raw guests --- */

static uint64_t mine[FRAMES_MAX];
static uint64_t nmine;
static uint64_t vec[EXO_FRAMES_MAX];

static int alloc_mine(uint64_t n)
{
	while (nmine < n) {
		uint32_t k = n - nmine < EXO_FRAMES_MAX ? (uint32_t)(n - nmine) : EXO_FRAMES_MAX;
		int64_t rc = exo_frames_alloc(mine + nmine, k, EXO_FA_ANY, 0);
		if (rc < 0)
			return fail("allocating %u frames: %s", k, exo_strerror(rc));
		for (uint32_t i = 0; i < k; i++) {
			volatile uint64_t *w = exo_frame_ptr(mine[nmine + i]);
			w[0] = w[511] = mine[nmine + i];
		}
		nmine += k;
	}
	return 0;
}

static volatile uint64_t aborts;

static int on_abort(struct exo_trap_frame *f)
{
	(void)f;
	aborts++;
	return 1;
}

/* The repossession bitmap against what it had: exact. ignore_checks looks
 * again if an abort landed while it looked, and says what is wrong only
 * of a look nothing disturbed. */
static int check_lost(void)
{
	uint64_t lost = 0;
	for (uint64_t i = 0; i < nmine; i++) {
		uint64_t f = mine[i];
		if (!exo_owns(f)) {
			lost++;
			if (!exo_repossessed(f))
				return fail("frame %lu is gone but not in the repossession bitmap",
					    (unsigned long)f);
		} else if (exo_repossessed(f)) {
			return fail("frame %lu is still owned but marked repossessed", (unsigned long)f);
		} else {
			volatile uint64_t *w = exo_frame_ptr(f);
			if (w[0] != f || w[511] != f)
				return fail("frame %lu, which it kept, changed", (unsigned long)f);
		}
	}
	uint64_t marked = 0;
	for (uint64_t f = exo_repossessed_next(0); f != EXO_FRAME_NONE; f = exo_repossessed_next(f + 1)) {
		int had = 0;
		for (uint64_t i = 0; i < nmine && !had; i++)
			had = mine[i] == f;
		if (!had)
			return fail("frame %lu is in the repossession bitmap but was never its own",
				    (unsigned long)f);
		marked++;
	}
	uint64_t told = exo_page()->frames_repossessed;
	if (marked != lost || told != lost)
		return fail("lost %lu frames, %lu marked, frames_repossessed %lu", (unsigned long)lost,
			    (unsigned long)marked, (unsigned long)told);
	return 0;
}

static int ignore_checks(void)
{
	const volatile struct exo_page *p = exo_page();
	for (;;) {
		uint64_t taken = p->frames_repossessed;
		quiet = 1;
		int rc = check_lost();
		quiet = 0;
		if (p->frames_repossessed == taken)
			return rc ? check_lost() : 0;
	}
}

static int ignore(uint64_t n)
{
	const volatile struct exo_page *p = exo_page();
	exo_trap_set(EXO_VEC_ABORT, on_abort);
	if (alloc_mine(n) || tell())
		return 1;
	uint64_t t0 = now_ms();
	while (!p->frames_repossessed) {
		if (now_ms() - t0 > 5000)
			return fail("nothing was taken within 5 s");
		exo_yield();
	}
	/* Each request the presser makes may end in an abort of its own:
	 * look when it has what it wanted (it has ended), or with none named
	 * once 200 ms passed without another; and again if one came while
	 * looking. */
	for (uint64_t t = now_ms(); nnotify ? !pressers_gone() && now_ms() - t < 10000
					    : now_ms() - t < 200;)
		exo_doorbell_wait(MS);
	if (ignore_checks())
		return 1;
	uint64_t lost = p->frames_repossessed;
	if (!aborts)
		return fail("lost %lu frames but EXO_VEC_ABORT never arrived", (unsigned long)lost);

	/* As many again, waiting while the pool is short. */
	uint64_t got = 0;
	for (t0 = now_ms(); got < lost;) {
		uint32_t k = lost - got < EXO_FRAMES_MAX ? (uint32_t)(lost - got) : EXO_FRAMES_MAX;
		int64_t rc = exo_frames_alloc(vec, k, EXO_FA_ANY, 0);
		if (rc == -EXO_ENOMEM || rc == -EXO_EAGAIN) {
			if (now_ms() - t0 > 10000)
				return fail("asking for %lu frames back: %s for 10 s",
					    (unsigned long)lost, exo_strerror(rc));
			exo_doorbell_wait(10 * MS);
			continue;
		}
		if (rc < 0)
			return fail("asking for frames back: %s", exo_strerror(rc));
		for (uint32_t i = 0; i < k; i++) {
			if (!page_is(exo_frame_ptr(vec[i]), 0))
				return fail("frame %lu did not read zero when it came back",
					    (unsigned long)vec[i]);
			if (exo_repossessed(vec[i]))
				return fail("frame %lu is its own again but still marked repossessed",
					    (unsigned long)vec[i]);
		}
		got += k;
	}
	exo_printf("revoke: ignore: lost %lu frames, repossession bitmap exact, abort seen, got %lu "
		   "back\n", (unsigned long)lost, (unsigned long)got);
	return 0;
}

static int press(uint64_t n)
{
	if (rings_wanted && await_rings())
		return 1;
	for (uint64_t got = 0; got < n;) {
		uint32_t k = n - got < PRESS_BATCH ? (uint32_t)(n - got) : PRESS_BATCH;
		int64_t rc = exo_frames_alloc(vec, k, EXO_FA_ANY, 0);
		if (rc != k)
			return fail("a batch of %u frames after %lu: %s", k, (unsigned long)got,
				    exo_strerror(rc));
		for (uint32_t i = 0; i < k; i++) {
			if (!page_is(exo_frame_ptr(vec[i]), 0))
				return fail("frame %lu did not read zero in its new owner",
					    (unsigned long)vec[i]);
			*(volatile uint64_t *)exo_frame_ptr(vec[i]) = vec[i];
		}
		got += k;
	}
	exo_printf("revoke: press: got %lu frames\n", (unsigned long)n);
	return 0;
}

static int loop(uint64_t ms)
{
	uint64_t khz = exo_page()->tsc_khz;
	if (!khz)
		return fail("the host gives no TSC rate");
	uint64_t t0 = exo_rdtsc();
	while (exo_rdtsc() - t0 < ms * khz)
		__asm__ volatile("pause");
	exo_printf("revoke: loop: done\n");
	return 0;
}

static volatile int asked;

static int on_upcall(struct exo_trap_frame *f)
{
	(void)f;
	asked = 1;
	return 1;
}

static int work(uint64_t units)
{
	uint64_t answered = 0, x = 88172645463325252ull;
	exo_trap_set(UPCALL_VECTOR, on_upcall);
	int64_t rc = exo_upcall_setup(0, UPCALL_VECTOR);
	if (rc < 0)
		return fail("upcall setup: %s", exo_strerror(rc));
	exo_irq_enable();
	for (uint64_t u = 0; u < units; u++) {
		for (int i = 0; i < 200; i++) { /* a unit: some xorshift */
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
		}
		__asm__ volatile("" : "+r"(x));
		if (asked) {
			asked = 0;
			exo_yield();
			answered++;
		}
	}
	exo_irq_disable();
	exo_printf("revoke: work: done, %lu upcalls answered\n", (unsigned long)answered);
	return 0;
}

/* badrelease and triple: asked for frames, misbehave, and (badrelease)
 * then give what is owed. */
static int misbehave(uint64_t n, int triple)
{
	const volatile struct exo_page *p = exo_page();
	exo_trap_set(UPCALL_VECTOR, on_upcall);
	int64_t rc = exo_upcall_setup(UPCALL_VECTOR, 0);
	if (rc < 0)
		return fail("upcall setup: %s", exo_strerror(rc));
	if (alloc_mine(n) || tell())
		return 1;
	exo_irq_enable();
	for (uint64_t t0 = now_ms(); !asked;) {
		if (now_ms() - t0 > 5000)
			return fail("nothing was asked of it within 5 s");
		exo_yield();
	}
	exo_irq_disable();
	if (triple) {
		static const struct __attribute__((packed)) { uint16_t limit; uint64_t base; } none;
		__asm__ volatile("lidt %0; ud2" : : "m"(none)); /* #UD, no IDT: triple fault */
	}
	uint64_t foreign = 0;
	while (exo_owns(foreign))
		foreign++;
	uint64_t owed = p->revoke_frames, bad;
	owed = owed < nmine ? owed : nmine;
	owed = owed < EXO_FRAMES_MAX - 1 ? owed : EXO_FRAMES_MAX - 1;
	for (uint64_t i = 0; i < owed; i++)
		vec[i] = mine[nmine - 1 - i];
	vec[owed] = foreign;
	rc = exo_frames_release(vec, (uint32_t)owed + 1, &bad);
	if (rc != -EXO_EPERM || bad != owed)
		return fail("releasing frame %lu, not its own, among its own: %s, bad_index %lu",
			    (unsigned long)foreign, exo_strerror(rc), (unsigned long)bad);
	for (uint64_t i = 0; i < owed; i++)
		if (!exo_owns(vec[i]))
			return fail("the refused release took frame %lu anyway", (unsigned long)vec[i]);
	rc = exo_frames_release(vec, (uint32_t)owed, &bad);
	if (rc != (int64_t)owed)
		return fail("giving %lu frames: %s", (unsigned long)owed, exo_strerror(rc));
	exo_printf("revoke: badrelease: EXO_EPERM for frame %lu, then gave %lu frames\n",
		   (unsigned long)foreign, (unsigned long)owed);
	return 0;
}

int main(int argc, char **argv)
{
	mode = argc > 1 ? argv[1] : "?";
	uint64_t n = argc > 2 ? parse(argv[2]) : 0;
	for (int i = 3; i < argc; i++) {
		if (!strncmp(argv[i], "notify=", 7) && nnotify < NOTIFY_MAX)
			notify[nnotify++] = argv[i] + 7;
		else if (!strncmp(argv[i], "rings=", 6) && parse(argv[i] + 6))
			rings_wanted = parse(argv[i] + 6);
		else if (!strcmp(argv[i], "policy=mru"))
			mru = 1;
		else if (!strcmp(argv[i], "unasked=ok"))
			unasked_ok = 1;
		else
			n = 0;
	}
	int vmmode = !strcmp(mode, "coop") || !strcmp(mode, "swap");
	if (!n || (vmmode && n > PAGES_MAX) || (!vmmode && n > FRAMES_MAX && strcmp(mode, "loop") &&
						 strcmp(mode, "work") && strcmp(mode, "press"))) {
		exo_printf("revoke: usage: revoke coop|swap PAGES, ignore|badrelease|triple FRAMES, "
			   "press FRAMES, loop MS, work UNITS; PAGES at most %u, FRAMES %u; options "
			   "notify=NAME, rings=K, policy=mru, unasked=ok\n", PAGES_MAX, FRAMES_MAX);
		return 2;
	}
	npages = n;
	if (!strcmp(mode, "coop"))
		return vm_guest(0);
	if (!strcmp(mode, "swap"))
		return vm_guest(1);
	if (!strcmp(mode, "ignore"))
		return ignore(n);
	if (!strcmp(mode, "press"))
		return press(n);
	if (!strcmp(mode, "loop"))
		return loop(n);
	if (!strcmp(mode, "work"))
		return work(n);
	if (!strcmp(mode, "badrelease"))
		return misbehave(n, 0);
	if (!strcmp(mode, "triple"))
		return misbehave(n, 1);
	exo_printf("revoke: unknown mode %s\n", mode);
	return 2;
}
