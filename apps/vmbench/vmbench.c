/*
 * apps/vmbench: Appel and Li's virtual-memory primitives, timed.
 *
 * Follows vmpup: PAGES pages visited in a random permutation, ROUNDS
 * rounds, TRAPS traps. Measures
 *   trap     a protection fault handled in user code that unprotects
 *   appel1   PROT1+TRAP+UNPROT: the handler protects the previous page and
 *            unprotects the faulting one
 *   appel2   PROTN+TRAP+UNPROT: protect all pages, then fault on each
 *   dirty    DIRTY over 16384 pages, 64 of them written per round
 *   scan     the fetch-and-clear alone: DIRTY over those 16384 pages, the
 *            64 writes made before the clock starts
 *   batch    fetch-and-clear over 4 ranges of 4096 pages (a collector's
 *            heap sections), 16 pages written in each before the clock
 *   map2     alias a page read-only elsewhere, read it, remove the alias
 * and prints "result NAME OPS NS_PER_OP MILLI_EXITS_PER_OP" lines that
 * apps/vmbench/bench.sh turns into a table. Integer arithmetic only: the
 * exo build runs beside a library OS built without SSE.
 */
#include "backend.h"

#define PAGES 100
#define ROUNDS 100
#define TRAPS 5000
#define DIRTY_PAGES 16384
#define DIRTY_WRITES 64
#define DIRTY_ROUNDS 10
#define MAP2_OPS 1000
#define SCAN_ROUNDS 20
#define BATCH_RANGES 4
#define BATCH_PAGES 4096
#define BATCH_WRITES 16

static uint64_t base, prev_page;
static unsigned perm[PAGES];
static uint64_t faults;

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

static void report(const char *name, uint64_t ops, uint64_t ns, uint64_t exits)
{
	be_printf("result %s %lu %lu %lu\n", name, (unsigned long)ops,
		  (unsigned long)(ns / ops), (unsigned long)(exits * 1000 / ops));
}

static void on_trap(uint64_t addr)
{
	faults++;
	be_unprot(addr & ~(BE_PAGE - 1), 1);
}

static void on_appel1(uint64_t addr)
{
	uint64_t page = addr & ~(BE_PAGE - 1);
	faults++;
	if (prev_page)
		be_prot1(prev_page);
	be_unprot(page, 1);
	prev_page = page;
}

static int bench_trap(void)
{
	uint64_t ns = 0, exits = 0;
	if (be_region(PAGES, on_trap, &base) < 0)
		return -1;
	faults = 0;
	for (unsigned r = 0; r < TRAPS / PAGES; r++) {
		be_protn(base, PAGES);
		permute();
		uint64_t x0 = be_exits(), t0 = be_now_ns();
		for (unsigned i = 0; i < PAGES; i++)
			touch(base + perm[i] * BE_PAGE);
		ns += be_now_ns() - t0;
		exits += be_exits() - x0;
	}
	if (faults != TRAPS)
		return be_printf("trap: %lu faults, expected %u\n", (unsigned long)faults, TRAPS), -1;
	report("trap", TRAPS, ns, exits);
	return 0;
}

static int bench_appel1(void)
{
	if (be_region(PAGES, on_appel1, &base) < 0)
		return -1;
	be_protn(base, PAGES);
	faults = 0;
	prev_page = 0;
	uint64_t x0 = be_exits(), t0 = be_now_ns();
	for (unsigned r = 0; r < ROUNDS; r++) {
		permute();
		for (unsigned i = 0; i < PAGES; i++)
			touch(base + perm[i] * BE_PAGE);
	}
	uint64_t ns = be_now_ns() - t0, exits = be_exits() - x0;
	/* Each access faults except when a page repeats across a round edge. */
	if (faults < (uint64_t)ROUNDS * PAGES - ROUNDS)
		return be_printf("appel1: only %lu faults\n", (unsigned long)faults), -1;
	report("appel1", faults, ns, exits);
	return 0;
}

static int bench_appel2(void)
{
	if (be_region(PAGES, on_trap, &base) < 0)
		return -1;
	faults = 0;
	uint64_t x0 = be_exits(), t0 = be_now_ns();
	for (unsigned r = 0; r < ROUNDS; r++) {
		be_protn(base, PAGES);
		permute();
		for (unsigned i = 0; i < PAGES; i++)
			touch(base + perm[i] * BE_PAGE);
	}
	uint64_t ns = be_now_ns() - t0, exits = be_exits() - x0;
	if (faults != (uint64_t)ROUNDS * PAGES)
		return be_printf("appel2: %lu faults\n", (unsigned long)faults), -1;
	report("appel2", faults, ns, exits);
	return 0;
}

static uint64_t bits[DIRTY_PAGES / 64];

static uint64_t dirty_va;

static int bench_dirty(void)
{
	if (be_region(DIRTY_PAGES, 0, &dirty_va) < 0 || be_dirty_arm(dirty_va, DIRTY_PAGES) < 0)
		return -1;
	uint64_t va = dirty_va;
	be_printf("vmbench: dirty via %s\n", be_dirty_method());
	be_dirty(va, DIRTY_PAGES, bits);
	uint64_t ns = 0, exits = 0;
	for (unsigned r = 0; r < DIRTY_ROUNDS; r++) {
		static unsigned pick[DIRTY_WRITES];
		for (unsigned i = 0; i < DIRTY_WRITES; i++) /* distinct pages */
			pick[i] = (unsigned)(i * (DIRTY_PAGES / DIRTY_WRITES) +
					     next_random() % (DIRTY_PAGES / DIRTY_WRITES));
		uint64_t x0 = be_exits(), t0 = be_now_ns();
		for (unsigned i = 0; i < DIRTY_WRITES; i++)
			*(volatile uint64_t *)(uintptr_t)(va + pick[i] * BE_PAGE) = r + 1;
		int64_t n = be_dirty(va, DIRTY_PAGES, bits);
		ns += be_now_ns() - t0;
		exits += be_exits() - x0;
		if (n != DIRTY_WRITES)
			return be_printf("dirty: %ld pages reported, %u written\n", (long)n, DIRTY_WRITES), -1;
		for (unsigned i = 0; i < DIRTY_WRITES; i++)
			if (!(bits[pick[i] / 64] >> (pick[i] % 64) & 1))
				return be_printf("dirty: page %u written but not reported\n", pick[i]), -1;
	}
	report("dirty", DIRTY_ROUNDS, ns, exits);
	return 0;
}

/* Write DIRTY_WRITES distinct pages of the dirty region, untimed. */
static void write_some(uint64_t va, unsigned *pick, unsigned npick, unsigned npages, uint64_t r)
{
	for (unsigned i = 0; i < npick; i++) {
		pick[i] = (unsigned)(i * (npages / npick) + next_random() % (npages / npick));
		*(volatile uint64_t *)(uintptr_t)(va + pick[i] * BE_PAGE) = r + 1;
	}
}

static int bench_scan(uint64_t va)
{
	static unsigned pick[DIRTY_WRITES];
	uint64_t ns = 0, exits = 0;
	for (unsigned r = 0; r < SCAN_ROUNDS; r++) {
		write_some(va, pick, DIRTY_WRITES, DIRTY_PAGES, r);
		uint64_t x0 = be_exits(), t0 = be_now_ns();
		int64_t n = be_dirty(va, DIRTY_PAGES, bits);
		ns += be_now_ns() - t0;
		exits += be_exits() - x0;
		if (n != DIRTY_WRITES)
			return be_printf("scan: %ld pages reported, %u written\n", (long)n, DIRTY_WRITES), -1;
	}
	report("scan", SCAN_ROUNDS, ns, exits);
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
	uint64_t ns = 0, exits = 0;
	for (unsigned r = 0; r < SCAN_ROUNDS; r++) {
		for (unsigned i = 0; i < BATCH_RANGES; i++)
			write_some(va[i], pick, BATCH_WRITES, BATCH_PAGES, r);
		uint64_t x0 = be_exits(), t0 = be_now_ns();
		int64_t n = be_dirty_batch(va, BATCH_RANGES, BATCH_PAGES, list,
					   BATCH_RANGES * BATCH_WRITES + 1);
		ns += be_now_ns() - t0;
		exits += be_exits() - x0;
		if (n != BATCH_RANGES * BATCH_WRITES)
			return be_printf("batch: %ld pages reported, %u written\n", (long)n,
					 BATCH_RANGES * BATCH_WRITES), -1;
	}
	report("batch", SCAN_ROUNDS, ns, exits);
	return 0;
}

static int bench_map2(void)
{
	uint64_t va, alias = be_alias_area(1);
	if (be_region(1, 0, &va) < 0)
		return -1;
	*(volatile uint64_t *)(uintptr_t)va = 0x5eed;
	uint64_t x0 = be_exits(), t0 = be_now_ns();
	for (unsigned i = 0; i < MAP2_OPS; i++) {
		if (be_map2(va, alias) < 0)
			return be_printf("map2 failed\n"), -1;
		if (*(volatile uint64_t *)(uintptr_t)alias != 0x5eed)
			return be_printf("map2: alias does not see the page\n"), -1;
		be_unmap2(alias);
	}
	uint64_t ns = be_now_ns() - t0, exits = be_exits() - x0;
	report("map2", MAP2_OPS, ns, exits);
	return 0;
}

int main(int argc, char **argv)
{
	(void)argc, (void)argv;
	if (be_init() < 0)
		return 1;
	be_printf("vmbench: %s\n", be_describe());
	if (bench_trap() < 0 || bench_appel1() < 0 || bench_appel2() < 0 || bench_dirty() < 0 ||
	    bench_scan(dirty_va) < 0 || bench_batch() < 0 || bench_map2() < 0)
		return 2;
	return 0;
}
