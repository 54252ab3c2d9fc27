/* SPDX-License-Identifier: MIT */
/*
 * posix-shim/trap.c: the program's exceptions, as signals.
 *
 * Page faults come through libos/vm (mem.c). Every other exception the
 * program causes lands in guest ring 0, in guestlib's trap path: from a
 * ring-0 program (Dune mode) the signal is delivered right there, by
 * rewriting the trap frame; from a ring-3 program the frame is handed up
 * to ring 3 (shim_upcall_entry), so that delivery, xsave included, runs
 * natively in the program's ring. An exception raised by the shim or
 * guestlib themselves is not the program's: it is reported to hv.
 *
 * The same #GP path runs one privileged instruction for the shim from
 * ring 3: the wrmsr at shim_wrmsr_insn, for the FS base (arch_prctl).
 */
#include "shim.h"

#define MSR_FS_BASE 0xc0000100u

struct exo_trap_frame shim_upcall_frame;

/* The signal an exception raises, and its si_code. */
static int signal_of(const struct exo_trap_frame *f, int *code)
{
	*code = SI_KERNEL;
	switch (f->vector) {
	case 0: *code = FPE_INTDIV; return SIGFPE;
	case 1: *code = TRAP_TRACE; return SIGTRAP;
	case 3: return SIGTRAP;
	case 6: *code = ILL_ILLOPN; return SIGILL;
	case 7: case 16: return SIGFPE;
	case 19: {
		uint32_t mxcsr;
		__asm__ volatile("stmxcsr %0" : "=m"(mxcsr));
		uint32_t raised = mxcsr & 0x3f & ~(mxcsr >> 7);
		/* MXCSR's flags: invalid, denormal, zero divide, overflow,
		 * underflow, precision */
		*code = raised & 1 ? FPE_FLTINV : raised & 4 ? FPE_FLTDIV : raised & 8 ? FPE_FLTOVF :
			raised & 16 ? FPE_FLTUND : FPE_FLTRES;
		return SIGFPE;
	}
	case 11: case 12: case 17: *code = BUS_ADRERR; return SIGBUS;
	default: return SIGSEGV; /* #GP, #OF, #BR and anything else */
	}
}

static void signal_for(struct exo_trap_frame *f)
{
	int code, sig = signal_of(f, &code);
	uint64_t addr = f->vector == 13 || f->vector == 3 ? 0 : f->rip;
	shim_signal_fault(f, sig, code, addr);
}

static int program_trap(struct exo_trap_frame *f)
{
	if (f->vector == 13 && f->rip == (uint64_t)(uintptr_t)shim_wrmsr_insn &&
	    (uint32_t)f->rcx == MSR_FS_BASE) {
		__asm__ volatile("wrmsr" : : "c"((uint32_t)f->rcx), "a"((uint32_t)f->rax),
				 "d"((uint32_t)f->rdx));
		f->rip += 2;
		return 1;
	}
	if (f->rip >= VM_USER_MAX)
		return 0; /* the shim's or guestlib's own: a bug, reported */
	if (f->vector == 13 && f->error_code == (3 << 3 | 2)) {
		f->vector = 3; /* int3 through a DPL-0 gate: the program's breakpoint */
		f->rip += 1;
	}
	if ((f->cs & 3) == 3) {
		shim_upcall_frame = *f;
		f->rip = (uint64_t)(uintptr_t)shim_upcall_entry;
		f->rdi = (uint64_t)(uintptr_t)&shim_upcall_frame;
		return 1;
	}
	signal_for(f);
	return 1;
}

/* Ring 3, on the shim stack: the frame trap.c handed up. */
void shim_trap_upcall(void)
{
	exo_mask(); /* as shim_syscall: vm calls with GPAs held */
	signal_for(&shim_upcall_frame);
	exo_unmask();
	shim_signal_check(&shim_upcall_frame);
}

/*
 * A page fault's signal, delivered in place: libos/vm runs fault handlers
 * on a stack of its own (ring 3) or guestlib's (ring 0), never the
 * program's, so the signal frame can go on the program's stack and the
 * handler's return resumes the program in its signal handler. A fault
 * ring 0 took on the program's behalf in ring-3 mode (the kernel stack
 * is guestlib's) is not the program's instruction: it cannot be
 * delivered, and the program dies of it.
 */
void shim_fault_signal(struct exo_trap_frame *f, int sig, int code, uint64_t addr)
{
	if (shim_ring3 && (f->cs & 3) == 0) {
		exo_notice("posix-shim: program killed by SIGSEGV (11): a fault at 0x%lx in ring 0 "
			    "on its behalf", (unsigned long)addr);
		shim_exit(0, SIGSEGV);
	}
	shim_signal_fault(f, sig, code, addr);
}

/* The exceptions a program's own instruction can raise, but #PF. */
static const unsigned program_vectors[] = { 0, 1, 3, 4, 5, 6, 7, 11, 12, 13, 16, 17, 19 };
#define NVECTORS (sizeof program_vectors / sizeof program_vectors[0])

void shim_trap_init(void)
{
	for (unsigned i = 0; i < NVECTORS; i++)
		exo_trap_set(program_vectors[i], program_trap);
}

/* Dune mode: the program's exceptions arrive on its own stack, where the
 * CPU's frame would land in the program's red zone (and, for a fault on a
 * stack page not yet mapped, fault again). They go to guestlib's
 * exception stack instead; the handlers there touch only the image and
 * the direct map, so they do not fault into each other. */
void shim_trap_ring0(void)
{
	for (unsigned i = 0; i < NVECTORS; i++)
		exo_idt_ist(program_vectors[i], 1);
	exo_idt_ist(14, 1); /* #PF, which libos/vm dispatches */
}
