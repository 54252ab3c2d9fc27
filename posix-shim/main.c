/* SPDX-License-Identifier: MIT */
/*
 * posix-shim/main.c: from guestlib's main() to the program's _start.
 *
 * In ring 0 still: point `syscall` at the shim (EFER.SCE, STAR, LSTAR,
 * SFMASK) and take the program's exceptions; then libos/vm takes over
 * memory and returns in the ring the program will run in, the program is
 * loaded, and the shim jumps to its entry with the registers Linux gives
 * a new process (all zero but the stack pointer).
 */
#include "shim.h"

#define MSR_EFER 0xc0000080u
#define MSR_STAR 0xc0000081u
#define MSR_LSTAR 0xc0000082u
#define MSR_SFMASK 0xc0000084u
#define EFER_SCE 1ull
/* TF, IF, DF, IOPL, NT, AC: cleared on entry, as Linux does. Where the
 * program runs in ring 3 IF stays: a host that applies SFMASK to a
 * `syscall` that stays in ring 3 would leave the program with interrupts
 * off, which ring 3 cannot undo, and libos/vm's revocation upcall would
 * never reach it (hv would abort it instead). The shim masks interrupts
 * in software around its own work (exo_mask). */
#define SFMASK 0x47700ull
#define SFMASK_RING3 0x47500ull

uint64_t shim_pid;

static uint64_t rdmsr(uint32_t msr)
{
	uint32_t lo, hi;
	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return (uint64_t)hi << 32 | lo;
}

static void wrmsr(uint32_t msr, uint64_t v)
{
	__asm__ volatile("wrmsr" : : "c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)));
}

void shim_exit(int code, int signal)
{
	static struct exo_hc_exit_process a;
	exo_exit_hook h = exo_on_exit(0); /* libos/vm's --stats line, as exo_exit runs it */
	if (h)
		h();
	a = (struct exo_hc_exit_process){ .code = (uint32_t)code & 0xff, .signal = (uint32_t)signal };
	exo_hypercall(EXO_HC_EXIT_PROCESS, &a);
	for (;;) /* hv does not resume a guest that exited */
		__asm__ volatile("pause");
}

int main(int argc, char **argv)
{
	const struct exo_page *p = exo_page();
	uint64_t entry, sp;
	(void)argc, (void)argv; /* the program's argv is in the exo page */
	if (!p->payload_bytes) {
		exo_notice("posix-shim: no program to run (exo run PROGRAM loads one)");
		return 1;
	}
	wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_SCE);
	/* sysretq: CS = 0x18 + 16, SS = 0x18 + 8 (guestlib's user selectors) */
	wrmsr(MSR_STAR, (uint64_t)EXO_SEL_KCODE << 32 | (uint64_t)(EXO_SEL_UDATA - 8 - 3) << 48);
	wrmsr(MSR_LSTAR, (uint64_t)(uintptr_t)shim_syscall_entry);
	/* vm_init returns in the ring the program will run in: from ring 3
	 * no MSR can be written, so ring 3's mask goes in first and ring 0
	 * puts its own after. */
	wrmsr(MSR_SFMASK, SFMASK_RING3);
	shim_trap_init();
	if (vm_init(p->ring_request) < 0) {
		exo_notice("posix-shim: libos/vm refused to start");
		return 1;
	}
	shim_ring3 = vm_ring() == VM_RING_3;
	if (!shim_ring3) {
		wrmsr(MSR_SFMASK, SFMASK);
		shim_trap_ring0();
	}
	if (shim_mem_init() < 0) {
		exo_notice("posix-shim: cannot claim the lower half for the program");
		return 1;
	}
	shim_proc_stats();
	int64_t pid = shim_fwd(EXO_FWD_GETPID, 0, 0, 0, 0, 0, 0);
	shim_pid = pid > 0 ? (uint64_t)pid : 1; /* a host that cannot say: init's */
	if (shim_load(&entry, &sp) < 0)
		shim_exit(127, 0);

	static struct exo_trap_frame start;
	start = (struct exo_trap_frame){
		.rip = entry, .rsp = sp, .rflags = 0x202,
		.cs = shim_ring3 ? EXO_SEL_UCODE : EXO_SEL_KCODE,
		.ss = shim_ring3 ? EXO_SEL_UDATA : EXO_SEL_KDATA,
	};
	shim_resume(&start);
}
