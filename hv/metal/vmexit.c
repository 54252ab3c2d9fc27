/* SPDX-License-Identifier: MIT */
/*
 * hv/metal/vmexit.c: VM exits, translated for hv/core.
 *
 * Every exit a guest can cause on purpose or by mistake (port I/O, an
 * access its EPT refuses, hlt, a triple fault, a failed entry) becomes a
 * struct hv_exit, and hv_exit decides and reports. What stays here is
 * metal's own business: CPUID and MSR emulation, the preemption timer's
 * exits (the run queue decides what they mean), and delivering events:
 * hv_plat_exception's exception at the next entry, doorbell and upcall
 * vectors as external interrupts injected once the guest can take them.
 * And the hypercall fast path (metal_vm_fast), which the exit stub tries
 * first: the common round trip without the run loop's.
 */
#include "metal.h"
#include "vmcs.h"

#define EXIT_EXCEPTION_OR_NMI 0
#define EXIT_EXTERNAL_INTERRUPT 1
#define EXIT_TRIPLE_FAULT 2
#define EXIT_INTERRUPT_WINDOW 7
#define EXIT_CPUID 10
#define EXIT_HLT 12
#define EXIT_VMCALL 18
#define EXIT_CR_ACCESS 28
#define EXIT_MOV_DR 29
#define EXIT_IO 30
#define EXIT_RDMSR 31
#define EXIT_WRMSR 32
#define EXIT_BAD_GUEST_STATE 33
#define EXIT_BAD_MSR_LOAD 34
#define EXIT_EPT_VIOLATION 48
#define EXIT_EPT_MISCONFIG 49
#define EXIT_PREEMPTION_TIMER 52
#define EXIT_XSETBV 55
#define EXIT_ENTRY_FAILED (1u << 31)

#define MSR_EFER 0xc0000080u
#define EFER_SCE (1ull << 0)
#define EFER_LME (1ull << 8)
#define EFER_LMA (1ull << 10)
#define EFER_NXE (1ull << 11)
#define RFLAGS_IF (1ull << 9)
#define BLOCKING_BY_STI_OR_MOV_SS 3u

/* hv_exit reports HV_XT_FAILED as "WHAT (CODE) at RIP ...": the code is
 * the basic exit reason, or the VM-instruction error. */
static const char *exit_name(uint32_t reason)
{
	switch (reason) {
	case EXIT_EXCEPTION_OR_NMI: return "VM exit for an exception or NMI";
	case EXIT_EXTERNAL_INTERRUPT: return "VM exit for an external interrupt";
	case EXIT_CR_ACCESS: return "VM exit for a control-register access";
	case EXIT_VMCALL: return "guest executed VMCALL, which hv does not provide";
	case EXIT_MOV_DR: return "guest used a debug register, which hv/metal does not switch "
				 "between guests";
	case EXIT_XSETBV: return "guest executed XSETBV (hv/metal switches x87/SSE state only)";
	case EXIT_BAD_GUEST_STATE: return "VM entry failed: invalid guest state";
	case EXIT_BAD_MSR_LOAD: return "VM entry failed: MSR loading";
	case EXIT_EPT_MISCONFIG: return "EPT misconfiguration (a bug in hv/metal)";
	default: return "guest caused a VM exit hv/metal does not handle: basic reason";
	}
}

static const char *vm_instruction_error(uint64_t e)
{
	switch (e) {
	case 7: return "VM entry with invalid control fields";
	case 8: return "VM entry with invalid host-state fields";
	case 9: return "VMRESUME with a corrupted VMCS";
	case 12: return "VMWRITE to a read-only field";
	default: return "VMLAUNCH or VMRESUME failed: VM-instruction error";
	}
}

static void skip_instruction(void)
{
	vmwrite_ok(GUEST_RIP, vmread(GUEST_RIP) + vmread(VM_EXIT_INSTRUCTION_LEN));
}

/* #GP(0) into the guest at the instruction that exited. */
static void inject_gp(void)
{
	vmwrite(VM_ENTRY_INTR_INFO, 13 | INTR_TYPE_HW_EXCEPTION | INTR_DELIVER_CODE | INTR_INFO_VALID);
	vmwrite(VM_ENTRY_EXCEPTION_ERROR_CODE, 0);
}

static void set_window(struct metal_vm *vm, int on)
{
	uint32_t proc = on ? vm->proc | PROC_INTERRUPT_WINDOW_EXITING
			   : vm->proc & ~PROC_INTERRUPT_WINDOW_EXITING;
	if (proc != vm->proc) {
		vm->proc = proc;
		vmwrite(CPU_BASED_VM_EXEC_CONTROL, proc);
	}
}

/* An exception (EXO_VEC_ABORT) goes first, whatever RFLAGS.IF: a hardware
 * exception is not blocked by IF or by the shadow of STI or MOV SS. It
 * replaces a #GP this entry would inject for an MSR: that #GP's RIP is
 * the RDMSR/WRMSR itself, which runs again, and faults again, after the
 * exception's handler returns. A pending vm->irq waits for the window.
 *
 * An external interrupt is taken only with RFLAGS.IF set, outside the
 * shadow of STI or MOV SS, and not on top of an event this entry already
 * injects (a #GP for an MSR). Else the guest exits as soon as it can take
 * one (exit reason 7) and the next entry delivers it. */
void metal_vm_deliver(struct metal_vm *vm)
{
	if (vm->exc_pending) {
		vmwrite(VM_ENTRY_INTR_INFO, vm->exc_vector | INTR_TYPE_HW_EXCEPTION | INTR_INFO_VALID);
		vm->exc_pending = 0;
		set_window(vm, vm->irq != 0);
		return;
	}
	if (!vm->irq) {
		set_window(vm, 0);
		return;
	}
	if ((vmread(GUEST_RFLAGS) & RFLAGS_IF) &&
	    !(vmread(GUEST_INTERRUPTIBILITY) & BLOCKING_BY_STI_OR_MOV_SS) &&
	    !(vmread(VM_ENTRY_INTR_INFO) & INTR_INFO_VALID)) {
		vmwrite(VM_ENTRY_INTR_INFO, vm->irq | INTR_TYPE_EXTERNAL | INTR_INFO_VALID);
		vm->irq = 0;
		set_window(vm, 0);
		return;
	}
	set_window(vm, 1);
}

/* CPUID as the CPU answers it, without VMX: guests cannot nest. */
static void emulate_cpuid(struct metal_vm *vm)
{
	uint32_t r[4];
	cpuid((uint32_t)vm->regs.rax, (uint32_t)vm->regs.rcx, r);
	if ((uint32_t)vm->regs.rax == 1)
		r[2] &= ~(1u << 5);
	vm->regs.rax = r[0];
	vm->regs.rbx = r[1];
	vm->regs.rcx = r[2];
	vm->regs.rdx = r[3];
	skip_instruction();
}

/* RDMSR/WRMSR that the MSR bitmap sends here (only from ring 0: ring 3
 * gets #GP without an exit). EFER is the VMCS's copy: SCE and NXE are the
 * guest's; it stays in long mode (LME as it is; LMA is the CPU's, writes
 * ignore it). Any other MSR: #GP, as on kvm for an MSR it does not know. */
static void emulate_msr(struct metal_vm *vm, int write)
{
	uint32_t msr = (uint32_t)vm->regs.rcx;
	uint64_t efer = vmread(GUEST_IA32_EFER);
	if (msr == MSR_EFER && !write) {
		vm->regs.rax = (uint32_t)efer;
		vm->regs.rdx = efer >> 32;
		skip_instruction();
		return;
	}
	if (msr == MSR_EFER) {
		uint64_t v = (uint32_t)vm->regs.rax | vm->regs.rdx << 32;
		if (!(v & ~(EFER_SCE | EFER_LME | EFER_LMA | EFER_NXE)) &&
		    (v & EFER_LME) == (efer & EFER_LME)) {
			vmwrite(GUEST_IA32_EFER, (v & ~EFER_LMA) | (efer & EFER_LMA));
			skip_instruction();
			return;
		}
	}
	inject_gp();
}

/* hv/core's decision as the run queue's; a port-I/O exit that goes on
 * gets rax, and its RIP moves past the instruction. */
static enum metal_next go_on(struct metal_vm *vm, enum hv_next next, int io, uint64_t rax)
{
	if (next == HV_NEXT_ENDED)
		return METAL_END;
	if (io) {
		vm->regs.rax = rax;
		skip_instruction();
	}
	if (next == HV_NEXT_BLOCKED)
		return METAL_BLOCK;
	return next == HV_NEXT_YIELD ? METAL_YIELD : METAL_RESUME;
}

static enum metal_next decided(struct metal_vm *vm, const struct hv_exit *e)
{
	uint64_t rax = vm->regs.rax;
	return go_on(vm, hv_exit(&vm->g, e, &rax), e->type == HV_XT_IO, rax);
}

/* The I/O exit qualification (SDM table 28-5): size - 1 in bits 2:0, IN in
 * bit 3, a string instruction in bit 4, the port in bits 31:16. A
 * hypercall's, hv_exit's test in one comparison: a 4-byte OUT, not a
 * string one, to a port of the 16-aligned span of hv's. */
#define IO_QUAL_HYPERCALL_MASK 0xfff0001fu
#define IO_QUAL_HYPERCALL ((uint32_t)EXO_HC_PORT << 16 | 3u)
_Static_assert(EXO_HC_PORT % 16 == 0 && EXO_HC_PORT_SPAN == 16,
	       "hv's ports are one 16-aligned span of 16");

/* The run loop's iteration (sched.c's turn) for an exit that is a
 * hypercall and leaves the loop nothing else to do before the next entry:
 * no deadline has passed (any guest's), the slice goes on,
 * metal_vm_deliver has nothing to inject and no window to close. It reads
 * only the exit reason and qualification (hv_exit's test for a hypercall
 * port in one comparison) and handles the call as metal_vm_exit_handle
 * would, hv/core's INFO inline; then the timer gets what the loop would
 * load, and the guest goes on without the return through metal_enter. */
int metal_vm_fast(void)
{
	struct metal_vm *vm = metal_turn.vm;
	if (vmread(VM_EXIT_REASON) != EXIT_IO)
		return 0;
	uint64_t qual = vmread(EXIT_QUALIFICATION);
	if ((qual & IO_QUAL_HYPERCALL_MASK) != IO_QUAL_HYPERCALL)
		return 0;
	uint32_t nr = (qual >> 16) & (EXO_HC_PORT_SPAN - 1);
	/* rax straight into regs: a guest that ended is not resumed, and
	 * its registers are not read */
	enum hv_next hv = hv_exit_hypercall(&vm->g, nr, (uint32_t)vm->regs.rax, &vm->regs.rax);
	enum metal_next next = go_on(vm, hv, 1, vm->regs.rax);
	if (next == METAL_RESUME) {
		uint64_t now = rdtsc();
		if (now < metal_turn.stop && !vm->exc_pending && !vm->irq &&
		    !(vm->proc & PROC_INTERRUPT_WINDOW_EXITING)) {
			/* metal_timer_value's, less its clamp to 32 bits: stop is
			 * at most the slice's end, which fits (metal_sched_init) */
			uint64_t ticks = (metal_turn.stop - now) >> metal_turn.timer_shift;
			vmwrite_ok(VMX_PREEMPTION_TIMER_VALUE, ticks ? ticks : 1);
			return 1;
		}
	}
	metal_turn.handed = 1;
	metal_turn.next = next;
	return 0;
}

void metal_vm_entry_failed(struct metal_vm *vm)
{
	uint64_t err = vmread(VM_INSTRUCTION_ERROR);
	struct hv_exit e = {
		.type = HV_XT_FAILED, .rip = vmread(GUEST_RIP),
		.what = vm_instruction_error(err), .code = err,
	};
	uint64_t rax = vm->regs.rax;
	hv_exit(&vm->g, &e, &rax);
}

enum metal_next metal_vm_exit_handle(struct metal_vm *vm)
{
	struct hv_guest *g = &vm->g;
	uint32_t reason = (uint32_t)vmread(VM_EXIT_REASON);
	uint64_t qual = vmread(EXIT_QUALIFICATION);
	struct hv_exit e = { .rip = vmread(GUEST_RIP) };

	if (reason & EXIT_ENTRY_FAILED) {
		e.type = HV_XT_FAILED;
		e.what = exit_name(reason & 0xffff);
		e.code = reason & 0xffff;
		return decided(vm, &e);
	}
	switch (reason & 0xffff) {
	case EXIT_IO:
		e.type = HV_XT_IO;
		e.port = (uint16_t)(qual >> 16);
		e.size = (uint8_t)((qual & 7) + 1);
		e.in = (qual >> 3) & 1;
		e.string = (qual >> 4) & 1;
		e.value = (uint32_t)vm->regs.rax;
		return decided(vm, &e);
	case EXIT_EPT_VIOLATION:
		e.type = HV_XT_GPA;
		e.gpa = vmread(GUEST_PHYSICAL_ADDRESS);
		e.write = (qual >> 1) & 1;
		return decided(vm, &e);
	case EXIT_HLT:
		e.type = HV_XT_HALT;
		return decided(vm, &e);
	case EXIT_TRIPLE_FAULT:
		e.type = HV_XT_SHUTDOWN;
		return decided(vm, &e);
	/* Two exits counted alike, each with its own reason:
	 * NOLINTNEXTLINE(bugprone-branch-clone) */
	case EXIT_PREEMPTION_TIMER:
		/* A slice's end or a deadline: sched.c looks at the clock. */
		hv_count_exit(&g->stats, HV_EXIT_INTERRUPTED);
		return METAL_RESUME;
	case EXIT_INTERRUPT_WINDOW:
		/* The guest can take vm->irq now: the next entry delivers it. */
		hv_count_exit(&g->stats, HV_EXIT_INTERRUPTED);
		return METAL_RESUME;
	case EXIT_CPUID:
		hv_count_exit(&g->stats, HV_EXIT_OTHER);
		emulate_cpuid(vm);
		return METAL_RESUME;
	case EXIT_RDMSR:
	case EXIT_WRMSR:
		hv_count_exit(&g->stats, HV_EXIT_OTHER);
		emulate_msr(vm, (reason & 0xffff) == EXIT_WRMSR);
		return METAL_RESUME;
	case EXIT_EXTERNAL_INTERRUPT:
		/* main.c masked the PICs and nothing else is programmed to
		 * interrupt: one still pending would exit again on every entry. */
		hv_plat_panic("an external interrupt arrived while a guest ran, with the PICs masked");
	default:
		e.type = HV_XT_FAILED;
		e.what = exit_name(reason & 0xffff);
		e.code = reason & 0xffff;
		return decided(vm, &e);
	}
}
