/* SPDX-License-Identifier: MIT */
/*
 * apps/vmbench: Appel and Li's virtual-memory primitives, timed.
 *
 * Follows vmpup: PAGES pages visited in a random permutation. Rows, each
 * named for exactly what its clock covers:
 *   trap         TRAP: a read of a protected page; the handler changes no
 *                protection, it skips the load (advances the saved RIP past
 *                vmb_load's one movq), so the page stays protected
 *   trap_unprot  TRAP+UNPROT: a read of a protected page; the handler
 *                unprotects it (re-protecting all PAGES is off the clock)
 *   appel1       PROT1+TRAP+UNPROT: the handler protects the previous page
 *                and unprotects the faulting one
 *   appel2       PROTN+TRAP+UNPROT: protect all PAGES, then fault on each
 *                (per fault: one fault and 1/PAGES of the PROTN)
 * The trap rows' random permutation of the pages is drawn off the clock.
 *   dirty        DIRTY: 64 writes to distinct pages, then a fetch-and-clear
 *                over the 16384 pages
 *   scan         the fetch-and-clear alone over those 16384 pages, the 64
 *                writes made before the clock starts
 *   batch        fetch-and-clear over 4 ranges of 4096 pages (a collector's
 *                heap sections), 16 pages written in each before the clock
 *   map2         MAP2: map a page read-only at an alias, read it there,
 *                remove the alias
 *   prot1        PROT1 of one page, no fault (a lowering: it flushes)
 *   unprot       UNPROT of one page, no fault (a raise: no flush)
 *   calib        1000 turns of a two-instruction loop: the TSC's ticks per
 *                2000 instructions (under Bochs, 2000: ticks are
 *                instructions)
 *
 * Each row runs REPS independent repetitions of OPS operations. Per
 * repetition it prints "rep NAME I OPS NS TICKS" (totals for that
 * repetition: nanoseconds and rdtsc ticks), and per row
 *   result NAME OPS NS_MED MILLI_EXITS_PER_OP REPS NS_MIN NS_MAX
 *          TICKS_MIN TICKS_MED TICKS_MAX
 * (one line; per-operation figures, min/median/max over the repetitions;
 * OPS is per repetition). apps/vmbench/bench.sh turns them into a table.
 *
 * Arguments: none or "full" (the default sizes), "short" (fewer operations
 * per repetition, for an application in a ring the host emulates), "quick"
 * (tiny counts and 3 repetitions: only that every row works). Each row's
 * checks are on what the program observes (fault counts, the loaded value,
 * the pages reported dirty, the alias's contents); a failed check ends the
 * run with status 2.
 *
 * Inside the clock there is nothing but the operation: no hypercall
 * (be_exits is read outside it), so on a machine whose TSC counts
 * instructions (Bochs) the ticks are instructions per operation. Integer
 * arithmetic only: the exo build runs beside a library OS built without SSE.
 */
#include "backend.h"

#define PAGES 100
#define DIRTY_PAGES 16384
#define DIRTY_WRITES 64
#define BATCH_RANGES 4
#define BATCH_PAGES 4096
#define BATCH_WRITES 16
#define MAX_REPS 15
#define LOAD_MARK 0x7a9e5ull /* what a skipped load leaves in the register */

struct sizes {
	const char *mode;
	unsigned reps;
	unsigned trap_rounds;  /* rounds of PAGES faults per repetition: trap rows, appel1, appel2 */
	unsigned dirty_ops;    /* per repetition: dirty, scan, batch */
	unsigned map2_ops;
};
/* Repetitions a few milliseconds long natively: on a shared host many of
 * them run undisturbed, and the minimum and median are theirs. */
static const struct sizes full = { "full", 15, 5, 50, 500 };
static const struct sizes short_ = { "short", 9, 1, 1, 100 };
static const struct sizes quick = { "quick", 3, 1, 2, 20 };
static const struct sizes *sz = &full;

/* The load the bare TRAP row faults on: vmb_load(addr, mark) returns *addr,
 * or mark when a handler skipped the load (RIP from vmb_load_insn to
 * vmb_load_end). */
__asm__(".text\n"
	".globl vmb_load\n"
	".type vmb_load, @function\n"
	"vmb_load:\n"
	"	movq %rsi, %rax\n"
	"vmb_load_insn:\n"
	"	movq (%rdi), %rax\n"
	"vmb_load_end:\n"
	"	ret\n"
	".size vmb_load, . - vmb_load\n");
uint64_t vmb_load(uint64_t addr, uint64_t mark);
extern const char vmb_load_insn[], vmb_load_end[];

static uint64_t base, prev_page;
static unsigned perm[PAGES];
static uint64_t faults, stray;

static uint64_t rng = 88172645463325252ull;
static uint64_t next_random(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static void permute(void)
{
	for (unsigned i = 0; i < PAGES; i++)
		perm[i] = i;
	for (unsigned i = PAGES - 1; i > 0; i--) {
		unsigned j = (unsigned)(next_random() % (i + 1)), t = perm[i];
		perm[i] = perm[j];
		perm[j] = t;
	}
}

static volatile uint64_t sink;
static void touch(uint64_t va)
{
	sink += *(volatile uint64_t *)(uintptr_t)va;
}

/* ---- the clock: per repetition totals, exits over the whole row ---- */

static uint64_t rep_ns[MAX_REPS], rep_ticks[MAX_REPS], rep_ops[MAX_REPS], row_exits;
static uint64_t clk_x, clk_t, clk_k;

static void row_begin(void)
{
	for (unsigned r = 0; r < MAX_REPS; r++)
		rep_ns[r] = rep_ticks[r] = rep_ops[r] = 0;
	row_exits = 0;
}

static inline void clock_start(void)
{
	clk_x = be_exits();
	clk_t = be_now_ns();
	clk_k = be_ticks();
}

static inline void clock_stop(unsigned r)
{
	uint64_t k = be_ticks(), t = be_now_ns();
	rep_ticks[r] += k - clk_k;
	rep_ns[r] += t - clk_t;
	row_exits += be_exits() - clk_x;
}

static void sort(uint64_t *a, unsigned n)
{
	for (unsigned i = 1; i < n; i++) {
		uint64_t v = a[i];
		unsigned j = i;
		for (; j > 0 && a[j - 1] > v; j--)
			a[j] = a[j - 1];
		a[j] = v;
	}
}

static void report(const char *name, uint64_t ops)
{
	uint64_t ns[MAX_REPS], tk[MAX_REPS], total = 0;
	unsigned n = sz->reps;
	for (unsigned r = 0; r < n; r++) {
		be_printf("rep %s %u %lu %lu %lu\n", name, r, (unsigned long)rep_ops[r],
			  (unsigned long)rep_ns[r], (unsigned long)rep_ticks[r]);
		ns[r] = rep_ns[r] / rep_ops[r];
		tk[r] = rep_ticks[r] / rep_ops[r];
		total += rep_ops[r];
	}
	sort(ns, n);
	sort(tk, n);
	be_printf("result %s %lu %lu %lu %u %lu %lu %lu %lu %lu\n", name, (unsigned long)ops,
		  (unsigned long)ns[n / 2], (unsigned long)(row_exits * 1000 / total), n,
		  (unsigned long)ns[0], (unsigned long)ns[n - 1], (unsigned long)tk[0],
		  (unsigned long)tk[n / 2], (unsigned long)tk[n - 1]);
}

/* ---- handlers ---- */

static void on_skip(uint64_t addr, uint64_t *rip)
{
	(void)addr;
	if (*rip != (uint64_t)(uintptr_t)vmb_load_insn) {
		stray++; /* not our load: make it possible, or this would loop */
		be_unprot(addr & ~(BE_PAGE - 1), 1);
		return;
	}
	faults++;
	*rip = (uint64_t)(uintptr_t)vmb_load_end;
}

static uint64_t handler_ticks; /* be_ticks() as on_split began */

static void on_split(uint64_t addr, uint64_t *rip)
{
	handler_ticks = be_ticks();
	(void)addr;
	*rip = (uint64_t)(uintptr_t)vmb_load_end;
}

static void on_unprot(uint64_t addr, uint64_t *rip)
{
	(void)rip;
	faults++;
	be_unprot(addr & ~(BE_PAGE - 1), 1);
}

static void on_appel1(uint64_t addr, uint64_t *rip)
{
	uint64_t page = addr & ~(BE_PAGE - 1);
	(void)rip;
	faults++;
	if (prev_page)
		be_prot1(prev_page);
	be_unprot(page, 1);
	prev_page = page;
}

/* ---- rows ---- */

static int bench_trap(void)
{
	uint64_t ops = (uint64_t)sz->trap_rounds * PAGES, skipped = 0;
	if (be_region(PAGES, on_skip, &base) < 0 || be_protn(base, PAGES) < 0)
		return -1;
	row_begin();
	faults = stray = 0;
	for (unsigned r = 0; r < sz->reps; r++) {
		for (unsigned k = 0; k < sz->trap_rounds; k++) {
			permute();
			clock_start();
			for (unsigned i = 0; i < PAGES; i++)
				skipped += vmb_load(base + perm[i] * BE_PAGE, LOAD_MARK) == LOAD_MARK;
			clock_stop(r);
		}
		rep_ops[r] = ops;
	}
	if (faults != ops * sz->reps || skipped != faults || stray)
		return be_printf("trap: %lu faults, %lu loads skipped, %lu stray, expected %lu\n",
				 (unsigned long)faults, (unsigned long)skipped, (unsigned long)stray,
				 (unsigned long)(ops * sz->reps)), -1;
	report("trap", ops);
	/* One more fault, on a page of its own whose handler notes when it
	 * starts: the way in (the CPU's delivery, the library's entry and
	 * dispatch) and the way back (its return to the faulting code).
	 * Under Bochs, instructions. */
	uint64_t split_va;
	if (be_region(1, on_split, &split_va) < 0 || be_protn(split_va, 1) < 0)
		return -1;
	vmb_load(split_va, LOAD_MARK); /* warm, as every fault of the row above was */
	uint64_t t0 = be_ticks();
	vmb_load(split_va, LOAD_MARK);
	uint64_t t2 = be_ticks();
	be_printf("split trap %lu %lu\n", (unsigned long)(handler_ticks - t0),
		  (unsigned long)(t2 - handler_ticks));
	return 0;
}

static int bench_trap_unprot(void)
{
	uint64_t ops = (uint64_t)sz->trap_rounds * PAGES;
	if (be_region(PAGES, on_unprot, &base) < 0)
		return -1;
	row_begin();
	faults = 0;
	for (unsigned r = 0; r < sz->reps; r++) {
		for (unsigned k = 0; k < sz->trap_rounds; k++) {
			be_protn(base, PAGES);
			permute();
			clock_start();
			for (unsigned i = 0; i < PAGES; i++)
				touch(base + perm[i] * BE_PAGE);
			clock_stop(r);
		}
		rep_ops[r] = ops;
	}
	if (faults != ops * sz->reps)
		return be_printf("trap_unprot: %lu faults, expected %lu\n", (unsigned long)faults,
				 (unsigned long)(ops * sz->reps)), -1;
	report("trap_unprot", ops);
	return 0;
}

static int bench_appel1(void)
{
	uint64_t ops = (uint64_t)sz->trap_rounds * PAGES;
	if (be_region(PAGES, on_appel1, &base) < 0)
		return -1;
	row_begin();
	for (unsigned r = 0; r < sz->reps; r++) {
		be_unprot(base, PAGES);
		be_protn(base, PAGES);
		faults = 0;
		prev_page = 0;
		for (unsigned k = 0; k < sz->trap_rounds; k++) {
			permute();
			clock_start();
			for (unsigned i = 0; i < PAGES; i++)
				touch(base + perm[i] * BE_PAGE);
			clock_stop(r);
		}
		/* Each access faults except when a page repeats across a round edge. */
		if (faults + sz->trap_rounds < ops)
			return be_printf("appel1: only %lu faults of %lu accesses\n",
					 (unsigned long)faults, (unsigned long)ops), -1;
		rep_ops[r] = faults;
	}
	report("appel1", ops);
	return 0;
}

static int bench_appel2(void)
{
	uint64_t ops = (uint64_t)sz->trap_rounds * PAGES;
	if (be_region(PAGES, on_unprot, &base) < 0)
		return -1;
	row_begin();
	faults = 0;
	for (unsigned r = 0; r < sz->reps; r++) {
		for (unsigned k = 0; k < sz->trap_rounds; k++) {
			permute();
			clock_start();
			be_protn(base, PAGES);
			for (unsigned i = 0; i < PAGES; i++)
				touch(base + perm[i] * BE_PAGE);
			clock_stop(r);
		}
		rep_ops[r] = ops;
	}
	if (faults != ops * sz->reps)
		return be_printf("appel2: %lu faults, expected %lu\n", (unsigned long)faults,
				 (unsigned long)(ops * sz->reps)), -1;
	report("appel2", ops);
	return 0;
}

/* PROT1 and UNPROT alone, one page at a time, no fault: PROT1 takes all
 * access (a lowering: it flushes), UNPROT gives it back (a raise: no
 * flush). Each op is checked by a read through the page afterwards. */
static int bench_prot(const char *name, int unprot)
{
	uint64_t ops = (uint64_t)sz->trap_rounds * PAGES, va;
	if (be_region(PAGES, on_unprot, &va) < 0)
		return -1;
	row_begin();
	faults = 0;
	for (unsigned r = 0; r < sz->reps; r++) {
		for (unsigned k = 0; k < sz->trap_rounds; k++) {
			if (unprot && be_protn(va, PAGES) < 0)
				return -1;
			permute();
			clock_start();
			for (unsigned i = 0; i < PAGES; i++)
				if ((unprot ? be_unprot(va + perm[i] * BE_PAGE, 1) : be_prot1(va + perm[i] * BE_PAGE)) < 0)
					return be_printf("%s failed\n", name), -1;
			clock_stop(r);
			if (!unprot && be_unprot(va, PAGES) < 0)
				return -1;
		}
		rep_ops[r] = ops;
	}
	for (unsigned i = 0; i < PAGES; i++) /* readable, and no fault on the way */
		touch(va + i * BE_PAGE);
	if (faults)
		return be_printf("%s: %lu faults after it\n", name, (unsigned long)faults), -1;
	report(name, ops);
	return 0;
}

static int bench_prot1(void)
{
	return bench_prot("prot1", 0);
}

static int bench_unprot(void)
{
	return bench_prot("unprot", 1);
}

static uint64_t bits[DIRTY_PAGES / 64];
static uint64_t dirty_va;

/* Choose npick distinct pages of npages (one per stripe). */
static void pick_pages(unsigned *pick, unsigned npick, unsigned npages)
{
	for (unsigned i = 0; i < npick; i++)
		pick[i] = (unsigned)(i * (npages / npick) + next_random() % (npages / npick));
}

/* 0 if exactly the picked pages are reported (n of them, their bits set). */
static int check_bits(const char *row, int64_t n, const unsigned *pick)
{
	if (n != DIRTY_WRITES)
		return be_printf("%s: %ld pages reported, %u written\n", row, (long)n, DIRTY_WRITES), -1;
	for (unsigned i = 0; i < DIRTY_WRITES; i++)
		if (!(bits[pick[i] / 64] >> (pick[i] % 64) & 1))
			return be_printf("%s: page %u written but not reported\n", row, pick[i]), -1;
	return 0;
}

static int bench_dirty(void)
{
	static unsigned pick[DIRTY_WRITES];
	if (be_region(DIRTY_PAGES, 0, &dirty_va) < 0 || be_dirty_arm(dirty_va, DIRTY_PAGES) < 0)
		return -1;
	uint64_t va = dirty_va;
	be_printf("vmbench: dirty via %s\n", be_dirty_method());
	be_dirty(va, DIRTY_PAGES, bits);
	row_begin();
	for (unsigned r = 0; r < sz->reps; r++) {
		for (unsigned k = 0; k < sz->dirty_ops; k++) {
			pick_pages(pick, DIRTY_WRITES, DIRTY_PAGES);
			clock_start();
			for (unsigned i = 0; i < DIRTY_WRITES; i++)
				*(volatile uint64_t *)(uintptr_t)(va + pick[i] * BE_PAGE) = k + 1;
			int64_t n = be_dirty(va, DIRTY_PAGES, bits);
			clock_stop(r);
			if (check_bits("dirty", n, pick) < 0)
				return -1;
		}
		rep_ops[r] = sz->dirty_ops;
	}
	report("dirty", sz->dirty_ops);
	return 0;
}

static int bench_scan(uint64_t va)
{
	static unsigned pick[DIRTY_WRITES];
	row_begin();
	for (unsigned r = 0; r < sz->reps; r++) {
		for (unsigned k = 0; k < sz->dirty_ops; k++) {
			pick_pages(pick, DIRTY_WRITES, DIRTY_PAGES);
			for (unsigned i = 0; i < DIRTY_WRITES; i++)
				*(volatile uint64_t *)(uintptr_t)(va + pick[i] * BE_PAGE) = k + 1;
			clock_start();
			int64_t n = be_dirty(va, DIRTY_PAGES, bits);
			clock_stop(r);
			if (check_bits("scan", n, pick) < 0)
				return -1;
		}
		rep_ops[r] = sz->dirty_ops;
	}
	report("scan", sz->dirty_ops);
	return 0;
}

static int bench_batch(void)
{
	static uint64_t va[BATCH_RANGES], list[BATCH_RANGES * BATCH_WRITES + 1];
	static unsigned pick[BATCH_WRITES];
	for (unsigned i = 0; i < BATCH_RANGES; i++)
		if (be_region(BATCH_PAGES, 0, &va[i]) < 0)
			return -1;
	if (be_dirty_batch_arm(va, BATCH_RANGES, BATCH_PAGES) < 0)
		return be_printf("batch: cannot arm tracking\n"), -1;
	be_printf("vmbench: batch via %s\n", be_dirty_batch_method());
	row_begin();
	for (unsigned r = 0; r < sz->reps; r++) {
		for (unsigned k = 0; k < sz->dirty_ops; k++) {
			uint64_t sum = 0;
			for (unsigned i = 0; i < BATCH_RANGES; i++) {
				pick_pages(pick, BATCH_WRITES, BATCH_PAGES);
				for (unsigned j = 0; j < BATCH_WRITES; j++) {
					uint64_t p = va[i] + pick[j] * BE_PAGE;
					*(volatile uint64_t *)(uintptr_t)p = k + 1;
					sum += p;
				}
			}
			clock_start();
			int64_t n = be_dirty_batch(va, BATCH_RANGES, BATCH_PAGES, list,
						   BATCH_RANGES * BATCH_WRITES + 1);
			clock_stop(r);
			if (n != BATCH_RANGES * BATCH_WRITES)
				return be_printf("batch: %ld pages reported, %u written\n", (long)n,
						 BATCH_RANGES * BATCH_WRITES), -1;
			for (int64_t i = 0; i < n; i++)
				sum -= list[i];
			if (sum)
				return be_printf("batch: the pages reported are not those written\n"), -1;
		}
		rep_ops[r] = sz->dirty_ops;
	}
	report("batch", sz->dirty_ops);
	return 0;
}

static int bench_map2(void)
{
	uint64_t va, alias;
	if (be_region_shared(1, &va) < 0 || !(alias = be_alias_area(1)))
		return -1;
	row_begin();
	for (unsigned r = 0; r < sz->reps; r++) {
		*(volatile uint64_t *)(uintptr_t)va = 0x5eed + r; /* a fresh value each repetition */
		clock_start();
		for (unsigned i = 0; i < sz->map2_ops; i++) {
			if (be_map2(va, alias) < 0)
				return be_printf("map2 failed\n"), -1;
			if (*(volatile uint64_t *)(uintptr_t)alias != 0x5eed + r)
				return be_printf("map2: the alias does not see the page\n"), -1;
			if (be_unmap2(alias) < 0)
				return be_printf("map2: unmap failed\n"), -1;
		}
		clock_stop(r);
		rep_ops[r] = sz->map2_ops;
	}
	report("map2", sz->map2_ops);
	return 0;
}

/* The TSC's rate in instructions: CALIB_LOOPS turns of a two-instruction
 * loop (dec, jnz) per op. Under Bochs (a TSC tick per instruction) its
 * ticks per op are 2 * CALIB_LOOPS, which bench.sh checks before it reads
 * any other row's ticks as instructions. */
#define CALIB_LOOPS 1000u
static int bench_calib(void)
{
	row_begin();
	for (unsigned r = 0; r < sz->reps; r++) {
		uint64_t n = CALIB_LOOPS;
		clock_start();
		__asm__ volatile("1: dec %0\n\tjnz 1b" : "+r"(n));
		clock_stop(r);
		rep_ops[r] = 1;
	}
	report("calib", 1);
	return 0;
}

static int streq(const char *a, const char *b)
{
	while (*a && *a == *b)
		a++, b++;
	return *a == *b;
}

int main(int argc, char **argv)
{
	if (argc > 1) {
		if (streq(argv[1], "quick"))
			sz = &quick;
		else if (streq(argv[1], "short"))
			sz = &short_;
		else if (!streq(argv[1], "full"))
			return be_printf("usage: vmbench [full|short|quick]\n"), 1;
	}
	if (be_init() < 0)
		return 1;
	be_printf("vmbench: %s\n", be_describe());
	be_printf("vmbench: mode %s, %u repetitions; per repetition %u faults (trap rows), "
		  "%u (dirty rows), %u (map2)\n", sz->mode, sz->reps, sz->trap_rounds * PAGES,
		  sz->dirty_ops, sz->map2_ops);
	if (bench_calib() < 0 || bench_trap() < 0 || bench_trap_unprot() < 0 || bench_prot1() < 0 ||
	    bench_unprot() < 0 || bench_appel1() < 0 ||
	    bench_appel2() < 0 || bench_dirty() < 0 || bench_scan(dirty_va) < 0 ||
	    bench_batch() < 0 || bench_map2() < 0)
		return 2;
	return 0;
}
