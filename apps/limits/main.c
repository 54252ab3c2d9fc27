/* SPDX-License-Identifier: MIT */
/*
 * apps/limits: the guest side of the limits benchmark
 * (apps/limits/bench.sh): exo's costs beside the least the hardware and
 * the host allow, measured in one guest.
 *
 *   limits [quick]
 *   limits hc N      N EXO_HC_INFO calls and nothing else (for counting
 *                    hv's instructions per hypercall from outside: the
 *                    difference between two values of N)
 *
 * Rows, each REPS repetitions of OPS operations, timed in the guest with
 * the TSC (exo_page()->tsc_khz), each repetition printed as
 *
 *   rep ROW OPS NS EXITS TICKS
 *
 * (NS: the repetition's nanoseconds; EXITS: exits to hv during it, from
 * hv's own count, EXO_HC_INFO, less the reading's own exit; TICKS: its
 * rdtsc ticks, which under Bochs are instructions, guest and hv's):
 *
 *   hc0    EXO_HC_INFO round trip through guestlib's stub (exo_info), from
 *          ring 0: `out` to hv, hv answers, KVM_RUN back
 *   pf0    a load from an unmapped page in ring 0 to a null ring-0 #PF
 *          handler (limits_pf_null: skip the load, iretq): the bare fault
 *   then libos/vm takes over (vm_init, in the ring `exo run --ring` asks
 *   for; auto by default) and application code runs in ring R:
 *   trapR  libos/vm's TRAP: a load from a page of a region, mapped with
 *          no access, to the region's handler, which skips the load (no
 *          protection change: a bare trap through libos/vm's fault path)
 *   then one more fault, split where the handler begins:
 *   split R IN OUT  ticks from just before the faulting call to the
 *          handler's first instruction (limits_split_handler's rdtsc), and
 *          from there to just after the call returned; "split bare" is
 *          the same through a null gate that reads the TSC first
 *   and in ring 3 only:
 *   hc3    EXO_HC_INFO from ring 3 (the stub's `out` raises #GP, guestlib
 *          makes the call from ring 0: one extra trap, no extra exit)
 *   pf3    a load from an unmapped page in ring 3 to the same null ring-0
 *          handler (installed over libos/vm's gate for this row alone)
 *
 * Each row is checked by what the guest observes: the hypercall returns
 * 0, the load returns without the page becoming mapped, each handler ran
 * once per op. quick: 7 repetitions of a few operations, for make
 * bench-check. A failed check prints "limits: ..." and exits 1.
 */
#include "exo/exo.h"
#include "vm/vm.h"

/*
 * The bare page fault's two halves. limits_touch(addr) loads from addr
 * with the 3-byte `movq (%rdi), %rax` (48 8b 07). limits_pf_null is a
 * #PF gate (exo_idt_set) that does nothing but skip that load: RIP += 3,
 * drop the error code, iretq. Three instructions in ring 0, the least any
 * handler can do, so a fault timed through it is the CPU's (and the
 * host's) delivery and return alone. (Here rather than in a .S file: the
 * Makefile builds an app's image from its C files.)
 */
void limits_touch(uint64_t addr);
void limits_pf_null(void);
__asm__(".text\n"
	".globl limits_touch\n"
	"limits_touch:\n"
	"	movq (%rdi), %rax\n"
	"	ret\n"
	".globl limits_pf_null\n"
	"limits_pf_null:\n"
	"	addq $3, 8(%rsp)\n"	/* RIP, above the error code */
	"	addq $8, %rsp\n"	/* the error code */
	"	iretq\n"
	".globl limits_pf_split\n"
	"limits_pf_split:\n"	/* the null gate, reading the TSC first */
	"	rdtsc\n"
	"	movl %eax, split_lo(%rip)\n"
	"	movl %edx, split_hi(%rip)\n"
	"	addq $3, 8(%rsp)\n"
	"	addq $8, %rsp\n"
	"	iretq\n"
	".globl limits_split_handler\n"
	"limits_split_handler:\n"	/* a vm_handler whose first instruction reads the TSC */
	"	rdtsc\n"
	"	movl %eax, split_lo(%rip)\n"
	"	movl %edx, split_hi(%rip)\n"
	"	movq 24(%rdi), %rax\n"	/* f->regs */
	"	addq $3, 136(%rax)\n"	/* regs->rip: past limits_touch's load */
	"	movl $1, %eax\n"	/* VM_RETRY */
	"	ret\n");
int limits_split_handler(struct vm_fault *f, void *arg);
void limits_pf_split(void);
uint32_t split_lo, split_hi;

#define BARE_VA 0x10000ull       /* never mapped: nothing maps the low 4 GiB */
#define TRAP_VA 0x200000000ull   /* a region with a handler and no pages */
#define SKIP 3                   /* limits_touch's load, in bytes */

static unsigned reps = 9;
static uint64_t tsc_khz;

static uint64_t exits_now(void)
{
	struct exo_hc_info info;
	return exo_info(&info) == 0 ? info.exits : 0;
}

static void report(const char *row, uint64_t ops, uint64_t t0, uint64_t t1, uint64_t x0, uint64_t x1)
{
	uint64_t ns = (t1 - t0) * 1000000 / tsc_khz;
	/* x1's own reading was an exit; x0's came before t0 */
	exo_printf("rep %s %lu %lu %lu %lu\n", row, (unsigned long)ops, (unsigned long)ns,
		   (unsigned long)(x1 - x0 - 1), (unsigned long)(t1 - t0));
}

static __attribute__((noreturn)) void fail(const char *what)
{
	exo_printf("limits: %s\n", what);
	exo_exit(1);
}

static void hc(const char *row, uint64_t ops)
{
	struct exo_hc_info info;
	for (unsigned r = 0; r < reps; r++) {
		uint64_t x0 = exits_now(), t0 = exo_rdtsc();
		for (uint64_t i = 0; i < ops; i++)
			if (exo_info(&info) != 0)
				fail("EXO_HC_INFO failed");
		uint64_t t1 = exo_rdtsc();
		report(row, ops, t0, t1, x0, exits_now());
	}
}

/* The bare fault: the gate must be limits_pf_null. */
static void bare(const char *row, uint64_t ops)
{
	for (unsigned r = 0; r < reps; r++) {
		uint64_t x0 = exits_now(), t0 = exo_rdtsc();
		for (uint64_t i = 0; i < ops; i++)
			limits_touch(BARE_VA);
		uint64_t t1 = exo_rdtsc();
		report(row, ops, t0, t1, x0, exits_now());
	}
}

/* One fault at va, to a handler or gate that reads the TSC first:
 * "split WHAT IN OUT", ticks from just before the faulting call to that
 * rdtsc and from there to just after the call. The bare gate's IN is the
 * harness's and the CPU's share of every IN: less it, a TRAP's IN is the
 * instructions libos/vm runs before the handler's first. */
static void split(const char *what, uint64_t va)
{
	uint64_t t0 = exo_rdtsc();
	limits_touch(va);
	uint64_t t1 = exo_rdtsc(), th = (uint64_t)split_hi << 32 | split_lo;
	if (th <= t0 || th >= t1)
		fail("the split's handler did not run inside the fault");
	exo_printf("split %s %lu %lu\n", what, (unsigned long)(th - t0), (unsigned long)(t1 - th));
}

static uint64_t trapped;

static int skip(struct vm_fault *f, void *arg)
{
	(void)arg;
	if (f->addr != TRAP_VA)
		return VM_FAIL;
	f->regs->rip += SKIP;
	trapped++;
	return VM_RETRY;
}

static void trap(const char *row, uint64_t ops)
{
	if (vm_region(TRAP_VA, VM_PAGE, VM_R | VM_W, 0, skip, 0) < 0 || vm_map(TRAP_VA, 1, VM_R) < 0 ||
	    vm_prot1(TRAP_VA, 0) < 0)
		fail("vm_region, vm_map or vm_prot1 failed");
	for (unsigned r = 0; r < reps; r++) {
		uint64_t before = trapped, x0 = exits_now(), t0 = exo_rdtsc();
		for (uint64_t i = 0; i < ops; i++)
			limits_touch(TRAP_VA);
		uint64_t t1 = exo_rdtsc();
		report(row, ops, t0, t1, x0, exits_now());
		if (trapped - before != ops)
			fail("libos/vm's handler did not run once per fault");
	}
	uint64_t gpa;
	unsigned prot;
	if (vm_query(TRAP_VA, &gpa, &prot) != 1 || prot != 0)
		fail("the trap page's protection changed");
	/* The split: the same fault to a handler that reads the TSC first. */
	if (vm_trap(TRAP_VA, limits_split_handler, 0) < 0)
		fail("vm_trap failed");
	limits_touch(TRAP_VA); /* warm: the row's faults were on the same page */
	split(vm_ring() == VM_RING_3 ? "3" : "0", TRAP_VA);
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "hc")) {
		struct exo_hc_info info;
		uint64_t n = 0;
		for (const char *p = argv[2]; *p >= '0' && *p <= '9'; p++)
			n = n * 10 + (uint64_t)(*p - '0');
		for (uint64_t i = 0; i < n; i++)
			if (exo_info(&info) != 0)
				fail("EXO_HC_INFO failed");
		return 0;
	}
	int quick = argc == 2 && !strcmp(argv[1], "quick");
	if (argc > 2 || (argc == 2 && !quick))
		fail("usage: limits [quick] | limits hc N");
	if (!(tsc_khz = exo_page()->tsc_khz))
		fail("the host does not report the TSC rate");
	reps = quick ? 7 : 9;
	uint64_t hc_ops = quick ? 20 : 1000, pf_ops = quick ? 20 : 500, trap_ops = quick ? 10 : 200;

	hc("hc0", hc_ops);
	exo_idt_set(14, limits_pf_null);
	bare("pf0", pf_ops);
	exo_idt_set(14, limits_pf_split);
	split("bare", BARE_VA);
	exo_idt_set(14, 0);

	if (vm_init(exo_page()->ring_request) < 0)
		fail("vm_init failed");
	exo_printf("ring %d\n", (int)vm_ring());
	if (vm_ring() == VM_RING_3) {
		trap("trap3", trap_ops);
		hc("hc3", hc_ops);
		exo_idt_set(14, limits_pf_null); /* libos/vm's gate is not restored */
		bare("pf3", pf_ops);
	} else {
		trap("trap0", trap_ops);
	}
	return 0;
}
