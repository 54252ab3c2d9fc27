/* SPDX-License-Identifier: MIT */
/*
 * hv/metal/vmx.c: turning VT-x on.
 *
 * Checks CPUID and IA32_FEATURE_CONTROL (locking it on if firmware left it
 * unlocked), applies the CR0/CR4 fixed bits, enters VMX root with VMXON,
 * and derives every control hv/metal uses from the TRUE capability MSRs,
 * naming any control or EPT feature the CPU lacks.
 */
#include "caps.h"
#include "metal.h"
#include "vmcs.h"

#define MSR_FEATURE_CONTROL 0x3a
#define MSR_VMX_BASIC 0x480
#define MSR_VMX_PINBASED 0x481
#define MSR_VMX_PROCBASED 0x482
#define MSR_VMX_EXIT 0x483
#define MSR_VMX_ENTRY 0x484
#define MSR_VMX_MISC 0x485
#define MSR_VMX_CR0_FIXED0 0x486
#define MSR_VMX_CR0_FIXED1 0x487
#define MSR_VMX_CR4_FIXED0 0x488
#define MSR_VMX_CR4_FIXED1 0x489
#define MSR_VMX_PROCBASED2 0x48b
#define MSR_VMX_EPT_VPID_CAP 0x48c
#define MSR_VMX_TRUE_PINBASED 0x48d
#define MSR_VMX_TRUE_PROCBASED 0x48e
#define MSR_VMX_TRUE_EXIT 0x48f
#define MSR_VMX_TRUE_ENTRY 0x490

#define FC_LOCKED (1ull << 0)
#define FC_VMX_OUTSIDE_SMX (1ull << 2)
#define CR4_VMXE (1ull << 13)
#define CR4_OSFXSR (1ull << 9)
#define CR0_MP (1ull << 1)
#define CR0_EM (1ull << 2)
#define CR0_TS (1ull << 3)

/* Controls hv/metal wants (SDM names). */
#define PIN_EXTERNAL_INTERRUPT_EXITING (1u << 0)
#define PIN_PREEMPTION_TIMER (1u << 6)
#define PROC_HLT_EXITING (1u << 7)
#define PROC_MOV_DR_EXITING (1u << 23)
#define PROC_UNCOND_IO_EXITING (1u << 24)
#define PROC_MSR_BITMAPS (1u << 28)
#define PROC_SECONDARY (1u << 31)
#define PROC2_EPT (1u << 1)
#define PROC2_RDTSCP (1u << 3)
#define PROC2_VPID (1u << 5)
#define PROC2_INVPCID (1u << 12)
#define EXIT_HOST_64 (1u << 9)
#define EXIT_SAVE_EFER (1u << 20)
#define EXIT_LOAD_EFER (1u << 21)
#define ENTRY_IA32E_GUEST (1u << 9)
#define ENTRY_LOAD_EFER (1u << 15)

#define EPT_CAP_WALK4 (1ull << 6)
#define EPT_CAP_WB (1ull << 14)
#define EPT_CAP_INVEPT (1ull << 20)
#define EPT_CAP_INVEPT_SINGLE (1ull << 25)

static int control(const char *what, uint32_t want, uint64_t cap, uint32_t *out)
{
	uint32_t missing;
	*out = metal_vmx_adjust(want, cap, &missing);
	if (missing) {
		metal_printf("metal: this CPU's VMX lacks %s controls %x\n", what, missing);
		return -1;
	}
	return 0;
}

int metal_vmx_on(struct metal_vmx_caps *c)
{
	uint32_t r[4];
	cpuid(1, 0, r);
	if (!(r[2] & (1u << 5))) {
		metal_printf("metal: this CPU has no VT-x (CPUID.1:ECX.VMX is 0); run hv/metal "
			     "on an Intel CPU with VT-x, or under Bochs or KVM with nested VMX\n");
		return -1;
	}
	uint64_t fc = rdmsr(MSR_FEATURE_CONTROL);
	if ((fc & FC_LOCKED) && !(fc & FC_VMX_OUTSIDE_SMX)) {
		metal_printf("metal: VMX is locked off in IA32_FEATURE_CONTROL (%lx); enable VT-x "
			     "in the firmware settings\n", fc);
		return -1;
	}
	if (!(fc & FC_LOCKED))
		wrmsr(MSR_FEATURE_CONTROL, fc | FC_LOCKED | FC_VMX_OUTSIDE_SMX);

	uint64_t basic = rdmsr(MSR_VMX_BASIC);
	int true_msrs = (basic >> 55) & 1;
	c->revision = (uint32_t)basic & 0x7fffffff;
	uint64_t pin_cap = rdmsr(true_msrs ? MSR_VMX_TRUE_PINBASED : MSR_VMX_PINBASED);
	uint64_t proc_cap = rdmsr(true_msrs ? MSR_VMX_TRUE_PROCBASED : MSR_VMX_PROCBASED);
	/* The run queue's slices end by the VMX-preemption timer, and a
	 * doorbell waits for the guest to enable interrupts by an
	 * interrupt-window exit: without them hv/metal cannot share the CPU
	 * or deliver doorbells on time. */
	if (!(pin_cap >> 32 & PIN_PREEMPTION_TIMER)) {
		metal_printf("metal: this CPU's VMX has no VMX-preemption timer (pin-based control "
			     "6): hv/metal needs it to share the CPU between guests\n");
		return -1;
	}
	if (!(proc_cap >> 32 & PROC_INTERRUPT_WINDOW_EXITING)) {
		metal_printf("metal: this CPU's VMX has no interrupt-window exiting (processor-based "
			     "control 2): hv/metal needs it to deliver doorbells\n");
		return -1;
	}
	c->timer_shift = (unsigned)(rdmsr(MSR_VMX_MISC) & 0x1f);
	/* External-interrupt exiting: a guest running with IF set (a Linux
	 * program under posix-shim does) must never take the machine's
	 * interrupts through its own IDT. MOV-DR exiting: sched.c does not
	 * switch debug registers between guests, so none may use them. */
	if (control("pin-based", PIN_EXTERNAL_INTERRUPT_EXITING | PIN_PREEMPTION_TIMER, pin_cap,
		    &c->pin) ||
	    control("processor-based",
		    PROC_HLT_EXITING | PROC_MOV_DR_EXITING | PROC_UNCOND_IO_EXITING |
			    PROC_MSR_BITMAPS | PROC_SECONDARY,
		    proc_cap, &c->proc) ||
	    control("secondary processor-based (EPT, VPID)", PROC2_EPT | PROC2_VPID,
		    rdmsr(MSR_VMX_PROCBASED2), &c->proc2) ||
	    control("VM-exit", EXIT_HOST_64 | EXIT_SAVE_EFER | EXIT_LOAD_EFER,
		    rdmsr(true_msrs ? MSR_VMX_TRUE_EXIT : MSR_VMX_EXIT), &c->exit) ||
	    control("VM-entry", ENTRY_IA32E_GUEST | ENTRY_LOAD_EFER,
		    rdmsr(true_msrs ? MSR_VMX_TRUE_ENTRY : MSR_VMX_ENTRY), &c->entry))
		return -1;
	/* Nice to have: guests may use RDTSCP and INVPCID where offered. */
	uint32_t missing;
	c->proc2 |= metal_vmx_adjust(PROC2_RDTSCP | PROC2_INVPCID, rdmsr(MSR_VMX_PROCBASED2), &missing);
	uint64_t ept = rdmsr(MSR_VMX_EPT_VPID_CAP);
	uint64_t need = EPT_CAP_WALK4 | EPT_CAP_WB | EPT_CAP_INVEPT | EPT_CAP_INVEPT_SINGLE;
	if ((ept & need) != need) {
		metal_printf("metal: this CPU's EPT lacks %lx (4-level walks, write-back, "
			     "single-context INVEPT)\n", need & ~ept);
		return -1;
	}

	c->cr0_fixed0 = rdmsr(MSR_VMX_CR0_FIXED0);
	c->cr0_fixed1 = rdmsr(MSR_VMX_CR0_FIXED1);
	c->cr4_fixed0 = rdmsr(MSR_VMX_CR4_FIXED0);
	c->cr4_fixed1 = rdmsr(MSR_VMX_CR4_FIXED1);
	uint64_t cr0, cr4;
	__asm__ volatile("mov %%cr0, %0; mov %%cr4, %1" : "=r"(cr0), "=r"(cr4));
	/* x87 and SSE usable by hv (no EM, no TS, OSFXSR): only so that
	 * sched.c can FXSAVE and FXRSTOR each guest's registers. */
	cr0 = ((cr0 & ~(CR0_EM | CR0_TS)) | CR0_MP | c->cr0_fixed0) & c->cr0_fixed1;
	cr4 = (cr4 | c->cr4_fixed0 | CR4_VMXE | CR4_OSFXSR) & c->cr4_fixed1;
	__asm__ volatile("mov %0, %%cr0; mov %1, %%cr4" : : "r"(cr0), "r"(cr4));

	uint32_t *vmxon = metal_page_alloc(1);
	if (!vmxon)
		return metal_printf("metal: out of memory for the VMXON region\n"), -1;
	vmxon[0] = c->revision;
	uint64_t pa = (uint64_t)(uintptr_t)vmxon;
	uint8_t bad;
	__asm__ volatile("vmxon %1; setbe %0" : "=q"(bad) : "m"(pa) : "cc", "memory");
	if (bad) {
		metal_printf("metal: VMXON failed\n");
		return -1;
	}
	metal_printf("metal: VMX on (VMCS revision %u, controls pin %x proc %x proc2 %x "
		     "exit %x entry %x, preemption timer at TSC/%u)\n", c->revision, c->pin, c->proc,
		     c->proc2, c->exit, c->entry, 1u << c->timer_shift);
	return 0;
}
