/* SPDX-License-Identifier: MIT */
/*
 * tests/guest/images/vm: libos/vm checked from inside the guest, in
 * whichever ring `exo run --ring` asks for. Prints one "ok"/"FAIL" line
 * per check and exits with the number of failures.
 *
 *   vm            every check below (among them the fault path's
 *                 shortcuts: a region changed under its last-hit cache, a
 *                 remapped page, a fault inside a handler, two regions in
 *                 one remembered page table, a region removed under it, a
 *                 2 MiB page made over it, a spurious fault after a raise)
 *   vm stack      (ring 3) take a fault on a demand-zero stack whose next
 *                 page is not mapped yet: the handler must run on libos/vm's
 *                 own fault stack and leave that page alone
 *   vm exhaust    demand-zero pages (up to 1 GiB) until hv refuses a frame,
 *                 with no handler: run with a --mem or pool below that
 */
#include "vm/vm.h"

#define A 0x10000000ull /* a region per check, 16 MiB apart */
#define REGION(n) (A + (uint64_t)(n) * 0x1000000ull)

static int failures;

static void check(int ok, const char *what)
{
	exo_printf("%s: %s\n", ok ? "ok" : "FAIL", what);
	failures += !ok;
}

static volatile uint64_t *at(uint64_t va)
{
	return (volatile uint64_t *)(uintptr_t)va;
}

/* A handler that records the fault and unprotects the page. The fields
 * change behind the compiler's back (in a fault), hence volatile. */
struct seen {
	volatile int count;
	volatile uint64_t addr, error_code;
};

static int record_and_unprot(struct vm_fault *f, void *arg)
{
	struct seen *s = arg;
	s->count++;
	s->addr = f->addr;
	s->error_code = f->error_code;
	return vm_unprot(f->addr & ~(VM_PAGE - 1), 1) == 0 ? VM_RETRY : VM_FAIL;
}

static int make_writable(struct vm_fault *f, void *arg)
{
	struct seen *s = arg;
	s->count++;
	s->addr = f->addr;
	s->error_code = f->error_code;
	return vm_prot1(f->addr & ~(VM_PAGE - 1), VM_R | VM_W) == 0 ? VM_RETRY : VM_FAIL;
}

static uint64_t user_bit(void)
{
	return vm_ring() == VM_RING_3 ? VM_PF_USER : 0;
}

static void demand_zero(void)
{
	struct vm_stats s0, s1;
	vm_get_stats(&s0);
	check(vm_region(REGION(0), 16 * VM_PAGE, VM_R | VM_W, VM_DEMAND_ZERO, 0, 0) == 0,
	      "demand-zero region");
	int zero = *at(REGION(0)) == 0 && *at(REGION(0) + 5 * VM_PAGE + 8) == 0;
	*at(REGION(0) + 5 * VM_PAGE) = 42;
	vm_get_stats(&s1);
	check(zero && *at(REGION(0) + 5 * VM_PAGE) == 42, "demand-zero pages read zero, keep writes");
	check(s1.demand_zero - s0.demand_zero == 2, "one fault per page touched");
}

static void protect_and_retry(void)
{
	static struct seen s;
	uint64_t p = REGION(1);
	check(vm_region(p, 4 * VM_PAGE, VM_R | VM_W, 0, record_and_unprot, &s) == 0 &&
	      vm_map(p, 4, VM_R | VM_W) == 4, "map 4 pages in a trapped region");
	*at(p + VM_PAGE) = 1; /* the TLB now holds a writable entry */
	check(vm_prot1(p + VM_PAGE, VM_R) == 0, "PROT1 read-only");
	check(*at(p + VM_PAGE) == 1 && s.count == 0, "reads still work without a fault");
	*at(p + VM_PAGE + 16) = 7;
	check(s.count == 1, "a write after PROT1 faults (no stale TLB entry)");
	check(s.addr == p + VM_PAGE + 16, "the handler sees the faulting address");
	check(s.error_code == (VM_PF_PRESENT | VM_PF_WRITE | user_bit()),
	      "the handler sees the error code: present, write (user in ring 3)");
	check(*at(p + VM_PAGE + 16) == 7, "the retried write landed");
	check(vm_protn(p, 4, 0) == 0, "PROTN no access on 4 pages");
	(void)*at(p + 3 * VM_PAGE);
	check(s.count == 2 && s.addr == p + 3 * VM_PAGE && s.error_code == user_bit(),
	      "a read of a no-access page faults as not present");
}

/* A handler that, before it unprotects its own page, reads a protected
 * page of another region: a fault inside a fault's handler. */
static struct seen inner_seen;
static uint64_t inner_page;

static int fault_inside(struct vm_fault *f, void *arg)
{
	struct seen *s = arg;
	s->count++;
	s->addr = f->addr;
	(void)*at(inner_page); /* faults: record_and_unprot on inner_seen */
	return vm_unprot(f->addr & ~(VM_PAGE - 1), 1) == 0 ? VM_RETRY : VM_FAIL;
}

static struct seen unhandled_seen;

/* For a page in no region (no region to UNPROT to): opens it. */
static int count_and_open(struct vm_fault *f, void *arg)
{
	struct seen *s = arg;
	s->count++;
	s->addr = f->addr;
	return vm_prot1(f->addr & ~(VM_PAGE - 1), VM_R) == 0 ? VM_RETRY : VM_FAIL;
}

/* The remembered page table (vm_leaf4k) and region (vm_region_last):
 * two regions sharing one table, a region removed under both, a 2 MiB
 * page made over the remembered table, a raise the TLB may not know of. */
static void shortcuts_table(void)
{
	static struct seen a, b, c;
	uint64_t h = REGION(13);
	check(vm_region(h, 4 * VM_PAGE, VM_R | VM_W, 0, record_and_unprot, &a) == 0 &&
	      vm_region(h + 4 * VM_PAGE, 4 * VM_PAGE, VM_R | VM_W, 0, record_and_unprot, &b) == 0 &&
	      vm_map(h, 8, 0) == 8, "two regions, handlers a and b, in one page table, no access");
	(void)*at(h + VM_PAGE);
	(void)*at(h + 5 * VM_PAGE);
	(void)*at(h + 2 * VM_PAGE);
	check(a.count == 2 && b.count == 1 && b.addr == h + 5 * VM_PAGE && a.addr == h + 2 * VM_PAGE,
	      "faults in one table alternate between the regions' own handlers");
	/* A raise leaves no flush behind: a write the TLB still refuses is a
	 * spurious fault, retried without the handler. */
	(void)*at(h + VM_PAGE);
	check(vm_prot1(h + VM_PAGE, VM_R) == 0 && *at(h + VM_PAGE) == 0 &&
	      vm_unprot(h + VM_PAGE, 1) == 0, "PROT1 read-only, read, UNPROT (a raise)");
	*at(h + VM_PAGE) = 9;
	check(a.count == 2 && *at(h + VM_PAGE) == 9, "a write after the raise: no handler");
	/* The region removed, its pages left: the next fault is nobody's. */
	check(vm_region_remove(h) == 0, "region a removed, its no-access pages left mapped");
	vm_set_unhandled(count_and_open, &unhandled_seen);
	(void)*at(h + 3 * VM_PAGE);
	vm_set_unhandled(0, 0);
	check(a.count == 2 && unhandled_seen.count == 1 && unhandled_seen.addr == h + 3 * VM_PAGE,
	      "a fault in the removed region goes to the unhandled handler, not to a");
	/* A 2 MiB page made over the remembered table: PROT1 at a page that
	 * table still maps must see the 2 MiB page, not the table. */
	check(vm_region_remove(h + 4 * VM_PAGE) == 0 &&
	      vm_region(h, VM_HUGE, VM_R | VM_W, VM_DEMAND_ZERO | VM_HUGE_PAGES, record_and_unprot,
			&c) == 0, "both removed (pages left), a 2 MiB demand-zero region there");
	uint64_t v = *at(h + 9 * VM_PAGE); /* not mapped in the old table: a 2 MiB page comes */
	uint64_t gpa;
	unsigned prot;
	check(v == 0 && c.count == 0 && vm_query(h + 5 * VM_PAGE, &gpa, &prot) == 1 &&
	      prot == (VM_R | VM_W), "one fault made the 2 MiB page over the old table");
	check(vm_prot1(h + 5 * VM_PAGE, 0) == -VM_ENOENT && *at(h + 5 * VM_PAGE) == 0 && c.count == 0,
	      "PROT1 inside it: VM_ENOENT (a 2 MiB page), not the old table's entry");
}

/* The fault path's shortcuts (one walk per fault, a last-hit region):
 * a region that changed under the cache, a page remapped to another
 * frame, a fault inside a handler that switches the cached region. */
static void shortcuts(void)
{
	static struct seen a, b, outer;
	uint64_t p = REGION(10), q = REGION(11);
	check(vm_region(p, 4 * VM_PAGE, VM_R | VM_W, 0, record_and_unprot, &a) == 0 &&
	      vm_map(p, 1, 0) == 1, "a region with handler a and a no-access page");
	(void)*at(p);
	check(a.count == 1 && a.addr == p, "the fault went to handler a (the region is now cached)");
	/* a's table slot goes to another region first, so b takes a new one
	 * and the cached pointer now names a region with other bounds. */
	check(vm_unmap(p, 1) == 1 && vm_region_remove(p) == 0 &&
	      vm_region(REGION(12), VM_PAGE, VM_R, 0, 0, 0) == 0 &&
	      vm_region(p, 2 * VM_PAGE, VM_R | VM_W, 0, record_and_unprot, &b) == 0 &&
	      vm_map(p + VM_PAGE, 1, 0) == 1, "the region replaced: same start, handler b, 2 pages");
	(void)*at(p + VM_PAGE);
	check(a.count == 1 && b.count == 1 && b.addr == p + VM_PAGE,
	      "the fault went to handler b, not to the cached region's a");
	*at(p + VM_PAGE) = 42;
	check(vm_unmap(p + VM_PAGE, 1) == 1 && vm_map(p + VM_PAGE, 1, 0) == 1,
	      "the page unmapped and mapped again (another frame), no access");
	uint64_t v = *at(p + VM_PAGE);
	check(b.count == 2 && v == 0, "the remapped page faults again and reads its new, zero frame");
	inner_page = q;
	check(vm_region(q, VM_PAGE, VM_R | VM_W, 0, record_and_unprot, &inner_seen) == 0 &&
	      vm_map(q, 1, 0) == 1 && vm_region_remove(p) == 0 && vm_unmap(p + VM_PAGE, 1) == 1 &&
	      vm_region(p, VM_PAGE, VM_R | VM_W, 0, fault_inside, &outer) == 0 &&
	      vm_map(p, 1, 0) == 1, "a handler that faults on another region's page");
	*at(p) = 5;
	check(outer.count == 1 && inner_seen.count == 1 && inner_seen.addr == q && *at(p) == 5,
	      "the nested fault went to its own region, and the outer one finished");
	shortcuts_table();
}

static void dirty(void)
{
	static uint64_t bits[1];
	uint64_t p = REGION(2);
	check(vm_map(p, 64, VM_R | VM_W) == 64, "map 64 pages");
	vm_dirty(p, 64, bits);
	static const int pattern[] = { 1, 5, 17, 63 };
	for (unsigned i = 0; i < 4; i++)
		*at(p + (uint64_t)pattern[i] * VM_PAGE) = i + 1;
	(void)*at(p + 2 * VM_PAGE); /* a read is not dirtying */
	int64_t n = vm_dirty(p, 64, bits);
	check(n == 4 && bits[0] == (1ull << 1 | 1ull << 5 | 1ull << 17 | 1ull << 63),
	      "DIRTY reports exactly the pages written");
	n = vm_dirty(p, 64, bits);
	check(n == 0 && bits[0] == 0, "DIRTY again: nothing written since");
	*at(p + 5 * VM_PAGE + 8) = 9;
	n = vm_dirty(p, 64, bits);
	check(n == 1 && bits[0] == 1ull << 5, "a write after DIRTY is seen (TLB flushed)");
}

static void map2(void)
{
	static struct seen s;
	uint64_t p = REGION(3), alias = REGION(3) + 0x100000;
	check(vm_region(p, 0x200000, VM_R | VM_W, 0, make_writable, &s) == 0 &&
	      vm_map(p, 1, VM_R | VM_W) == 1, "map a page");
	check(vm_map2(p, alias, VM_R) == 0, "MAP2 a read-only alias");
	*at(p + 24) = 0xabc;
	check(*at(alias + 24) == 0xabc, "the alias sees writes through the original");
	*at(alias + 32) = 0xdef;
	check(s.count == 1 && s.addr == alias + 32, "a write through the read-only alias faults");
	check(*at(p + 32) == 0xdef, "the original sees the write made through the alias");
}

static void bad_ranges(void)
{
	uint64_t p = REGION(4);
	check(vm_map(p, 2, VM_R) == 2, "map 2 pages");
	check(vm_map(p + VM_PAGE, 2, VM_R) == -VM_EEXIST, "mapping over a mapping: VM_EEXIST");
	check(vm_unmap(p + 4 * VM_PAGE, 1) == -VM_ENOENT, "unmapping what is not mapped: VM_ENOENT");
	check(vm_unmap(p, 3) == -VM_ENOENT && *at(p) == 0, "a partly mapped unmap changes nothing");
	check(vm_map(p + 12, 1, VM_R) == -VM_EINVAL, "misaligned range: VM_EINVAL");
	check(vm_map(0xfffffffffffff000ull, 2, VM_R) == -VM_EINVAL, "overflowing range: VM_EINVAL");
	check(vm_map(0x1000, 1, VM_R) == -VM_EINVAL, "below the user range: VM_EINVAL");
	check(vm_region(p, VM_PAGE, VM_R, 0, 0, 0) == 0 &&
	      vm_region(p, VM_PAGE, VM_R, 0, 0, 0) == -VM_EEXIST, "overlapping regions: VM_EEXIST");
	check(vm_unmap(p, 2) == 2, "unmap 2 pages");
}

static void accessed(void)
{
	static uint64_t bits[1];
	uint64_t p = REGION(5);
	check(vm_map(p, 4, VM_R | VM_W) == 4, "map 4 pages");
	vm_accessed(p, 4, bits);
	(void)*at(p);
	(void)*at(p + VM_PAGE);
	(void)*at(p + 3 * VM_PAGE);
	check(vm_accessed(p, 4, bits) == 3 && bits[0] == 0xb, "A bits show the pages touched");
	(void)*at(p);
	(void)*at(p + VM_PAGE);
	(void)*at(p + 3 * VM_PAGE);
	check(vm_choose_victim(p, 4) == 2, "the clock picks the untouched page");
}

static void huge(void)
{
	struct vm_stats s0, s1;
	uint64_t p = REGION(6);
	vm_get_stats(&s0);
	check(vm_region(p, VM_HUGE, VM_R | VM_W, VM_DEMAND_ZERO | VM_HUGE_PAGES, 0, 0) == 0,
	      "a 2 MiB demand-zero region");
	*at(p + 0x123000) = 5;
	(void)*at(p + 0x1ff000);
	vm_get_stats(&s1);
	check(*at(p + 0x123000) == 5 && s1.demand_zero - s0.demand_zero == 1,
	      "one fault maps the whole 2 MiB page");
	check(vm_region(p + VM_PAGE, VM_HUGE, VM_R, VM_HUGE_PAGES, 0, 0) == -VM_EINVAL,
	      "a misaligned huge region: VM_EINVAL");
}

static struct seen stack_seen;
static uint64_t stack_target;

static int fault_on_this_stack(void)
{
	*at(stack_target) = 77; /* protected: the handler unprotects it */
	return (int)*at(stack_target);
}

static void stack(void)
{
	uint64_t s = REGION(8), p = REGION(9);
	struct vm_stats s0, s1;
	check(vm_region(s, 16 * VM_PAGE, VM_R | VM_W, VM_DEMAND_ZERO, 0, 0) == 0 &&
	      vm_region(p, VM_PAGE, VM_R | VM_W, 0, record_and_unprot, &stack_seen) == 0 &&
	      vm_map(p, 1, VM_R) == 1, "a demand-zero stack and a protected page");
	stack_target = p;
	vm_get_stats(&s0);
	/* Just above a page boundary: the call lands in page 1; page 0, below
	 * the red zone, is where a handler on this stack would run. */
	uint64_t top = s + VM_PAGE + 64;
	int got;
	__asm__ volatile("movq %%rsp, %%rbx\n\t"
			 "movq %1, %%rsp\n\t"
			 "call *%2\n\t"
			 "movq %%rbx, %%rsp"
			 : "=a"(got)
			 : "r"(top), "r"(fault_on_this_stack)
			 : "rbx", "rcx", "rdx", "rsi", "rdi", "r8", "r9", "r10", "r11", "memory");
	vm_get_stats(&s1);
	check(got == 77 && stack_seen.count == 1 && stack_seen.addr == p,
	      "the fault was handled and the write retried");
	uint64_t gpa;
	unsigned prot;
	check(s1.demand_zero - s0.demand_zero == 1 && !vm_query(s, &gpa, &prot),
	      "only the page the call used was demand-zeroed: the handler ran on libos/vm's stack");
	exo_printf("vm: %d failures\n", failures);
}

static void exhaust(void)
{
	uint64_t p = REGION(7);
	vm_region(p, 1ull << 30, VM_R | VM_W, VM_DEMAND_ZERO, 0, 0);
	for (uint64_t i = 0;; i++) {
		if (i % 64 == 0)
			exo_printf("touched %lu pages\n", (unsigned long)i);
		*at(p + i * VM_PAGE) = i;
	}
}

int main(int argc, char **argv)
{
	if (vm_init(exo_page()->ring_request) < 0)
		return 100;
	exo_printf("running in ring %d\n", (int)vm_ring());
	if (argc > 1 && !strcmp(argv[1], "exhaust"))
		exhaust();
	if (argc > 1 && !strcmp(argv[1], "stack")) {
		stack();
		return failures;
	}
	demand_zero();
	protect_and_retry();
	shortcuts();
	dirty();
	map2();
	bad_ranges();
	accessed();
	huge();
	exo_printf("vm: %d failures\n", failures);
	return failures;
}
