/* SPDX-License-Identifier: MIT */
/*
 * hv/metal/vmcs.c: a guest's VMCS as it starts.
 *
 * The controls vmx.c derived, the same initial long-mode state the kvm
 * platform gives a guest (flat 64-bit ring-0 selectors, paging on, the page
 * tables hv/core built), hv's own state for every exit, the MSR bitmap
 * and the x87/SSE state a guest starts with. What a guest changes later
 * lives in its VMCS; what VMX leaves in the CPU, sched.c switches.
 */
#include "caps.h"
#include "metal.h"
#include "vmcs.h"

#define MSR_STAR 0xc0000081u
#define MSR_LSTAR 0xc0000082u
#define MSR_CSTAR 0xc0000083u
#define MSR_SFMASK 0xc0000084u
#define MSR_FS_BASE 0xc0000100u
#define MSR_GS_BASE 0xc0000101u
#define MSR_KERNEL_GS_BASE 0xc0000102u

extern uint64_t metal_gdt[];
extern char metal_tss[];
void metal_vm_exit(void); /* enter.S: where every VM exit lands */

/* The SYSCALL MSRs and KERNEL_GS_BASE: a guest reads and writes them
 * without an exit, so the CPU holds the running guest's values, which
 * sched.c saves and loads when it switches guests (hv/metal itself never
 * uses them). */
const uint32_t metal_syscall_msr[5] = { MSR_STAR, MSR_LSTAR, MSR_CSTAR, MSR_SFMASK,
					MSR_KERNEL_GS_BASE };

/* The MSR bitmap (SDM 24.6.9): read bits for 0-0x1fff, then for
 * 0xc0000000-0xc0001fff, then the same two for writes; a set bit exits.
 * Direct: the SYSCALL MSRs and the segment bases (FS and GS bases are
 * guest state in the VMCS). EFER exits and is emulated on the VMCS's copy
 * (vmexit.c); any other MSR is #GP, as on kvm for an MSR it does not
 * know. */
void metal_msr_bitmap(uint8_t *bm)
{
	static const uint32_t direct[] = {
		MSR_STAR, MSR_LSTAR, MSR_CSTAR, MSR_SFMASK, MSR_FS_BASE, MSR_GS_BASE,
		MSR_KERNEL_GS_BASE,
	};
	memset(bm, 0xff, 4096);
	for (unsigned i = 0; i < sizeof direct / sizeof direct[0]; i++) {
		uint32_t m = direct[i], bit = m & 0x1fff;
		unsigned base = m >= 0xc0000000u ? 1024 : 0;
		bm[base + bit / 8] &= (uint8_t)~(1u << bit % 8);
		bm[2048 + base + bit / 8] &= (uint8_t)~(1u << bit % 8);
	}
}

/* Every guest starts with the x87 and SSE state of a fresh CPU after
 * FNINIT, as a new KVM vCPU does: FCW 0x37f (all exceptions masked),
 * MXCSR 0x1f80, every register zero (an FXSAVE image; after RESET the x87
 * exceptions are unmasked: a program's first printf("%f") took #MF). */
void metal_fpu_init(uint8_t *area)
{
	memset(area, 0, 512);
	area[0] = 0x7f, area[1] = 0x03;   /* FCW */
	area[24] = 0x80, area[25] = 0x1f; /* MXCSR */
}

int metal_vmcs_setup(struct metal_vm *vm, const struct metal_vmx_caps *c,
		     const struct hv_boot *b)
{
	uint64_t cr0, cr3, cr4;
	__asm__ volatile("mov %%cr0, %0; mov %%cr3, %1; mov %%cr4, %2"
			 : "=r"(cr0), "=r"(cr3), "=r"(cr4));
	/* The guest's view: CR4.VMXE must be set under VMX; hv owns that bit
	 * and shows the guest 0. */
	uint64_t gcr0 = 0x80010033; /* PG WP NE ET MP PE, as on kvm */
	uint64_t gcr4 = (0x20 | c->cr4_fixed0) & c->cr4_fixed1;
	int bad = 0;
	vm->proc = c->proc;
#define W(f, v) (bad |= vmwrite((f), (v)))
	W(PIN_BASED_VM_EXEC_CONTROL, c->pin);
	W(CPU_BASED_VM_EXEC_CONTROL, vm->proc);
	W(SECONDARY_VM_EXEC_CONTROL, c->proc2);
	W(VM_EXIT_CONTROLS, c->exit);
	W(VM_ENTRY_CONTROLS, c->entry);
	W(EXCEPTION_BITMAP, 0);
	W(CR3_TARGET_COUNT, 0);
	W(VM_EXIT_MSR_STORE_COUNT, 0);
	W(VM_EXIT_MSR_LOAD_COUNT, 0);
	W(VM_ENTRY_MSR_LOAD_COUNT, 0);
	W(VM_ENTRY_INTR_INFO, 0);
	/* The guest's id tags its TLB entries: unique among running guests.
	 * A reused id comes with a new EPT, flushed when it is made. */
	W(VIRTUAL_PROCESSOR_ID, vm->g.id);
	W(EPT_POINTER, metal_eptp((uint64_t)(uintptr_t)vm->ept.pml4));
	W(MSR_BITMAP, (uint64_t)(uintptr_t)vm->msr_bitmap);
	W(VMX_PREEMPTION_TIMER_VALUE, 0);
	W(CR0_GUEST_HOST_MASK, 0);
	W(CR4_GUEST_HOST_MASK, 1ull << 13);
	W(CR4_READ_SHADOW, 0);
	W(CR0_READ_SHADOW, gcr0);

	W(GUEST_CR0, gcr0);
	W(GUEST_CR3, b->cr3);
	W(GUEST_CR4, gcr4);
	W(GUEST_IA32_EFER, 0xd00); /* LME LMA NXE */
	W(GUEST_CS_SELECTOR, 0x08);
	W(GUEST_CS_BASE, 0);
	W(GUEST_CS_LIMIT, 0xffffffff);
	W(GUEST_CS_AR, 0xa09b);
	static const enum vmcs_field data[][4] = {
		{ GUEST_DS_SELECTOR, GUEST_DS_BASE, GUEST_DS_LIMIT, GUEST_DS_AR },
		{ GUEST_ES_SELECTOR, GUEST_ES_BASE, GUEST_ES_LIMIT, GUEST_ES_AR },
		{ GUEST_SS_SELECTOR, GUEST_SS_BASE, GUEST_SS_LIMIT, GUEST_SS_AR },
		{ GUEST_FS_SELECTOR, GUEST_FS_BASE, GUEST_FS_LIMIT, GUEST_FS_AR },
		{ GUEST_GS_SELECTOR, GUEST_GS_BASE, GUEST_GS_LIMIT, GUEST_GS_AR },
	};
	for (unsigned i = 0; i < 5; i++) {
		W(data[i][0], 0x10);
		W(data[i][1], 0);
		W(data[i][2], 0xffffffff);
		W(data[i][3], 0xc093);
	}
	W(GUEST_LDTR_SELECTOR, 0);
	W(GUEST_LDTR_BASE, 0);
	W(GUEST_LDTR_LIMIT, 0xffff);
	W(GUEST_LDTR_AR, 0x10000); /* unusable */
	W(GUEST_TR_SELECTOR, 0);
	W(GUEST_TR_BASE, 0);
	W(GUEST_TR_LIMIT, 0x67);
	W(GUEST_TR_AR, 0x8b);
	W(GUEST_GDTR_BASE, 0);
	W(GUEST_GDTR_LIMIT, 0);
	W(GUEST_IDTR_BASE, 0);
	W(GUEST_IDTR_LIMIT, 0);
	W(GUEST_DR7, 0x400);
	W(GUEST_RSP, 0);
	W(GUEST_RIP, b->entry);
	W(GUEST_RFLAGS, 2);
	W(GUEST_INTERRUPTIBILITY, 0);
	W(GUEST_ACTIVITY_STATE, 0);
	W(GUEST_SYSENTER_CS, 0);
	W(GUEST_SYSENTER_ESP, 0);
	W(GUEST_SYSENTER_EIP, 0);
	W(VMCS_LINK_POINTER, ~0ull);

	W(HOST_CR0, cr0);
	W(HOST_CR3, cr3);
	W(HOST_CR4, cr4);
	W(HOST_CS_SELECTOR, 0x08);
	W(HOST_SS_SELECTOR, 0x10);
	W(HOST_DS_SELECTOR, 0x10);
	W(HOST_ES_SELECTOR, 0x10);
	W(HOST_FS_SELECTOR, 0x10);
	W(HOST_GS_SELECTOR, 0x10);
	W(HOST_TR_SELECTOR, 0x18);
	W(HOST_FS_BASE, 0);
	W(HOST_GS_BASE, 0);
	W(HOST_TR_BASE, (uint64_t)(uintptr_t)metal_tss);
	W(HOST_GDTR_BASE, (uint64_t)(uintptr_t)metal_gdt);
	W(HOST_IDTR_BASE, metal_idt_base());
	W(HOST_IA32_EFER, rdmsr(0xc0000080));
	W(HOST_SYSENTER_CS, 0);
	W(HOST_SYSENTER_ESP, 0);
	W(HOST_SYSENTER_EIP, 0);
	W(HOST_RIP, (uint64_t)(uintptr_t)metal_vm_exit);
#undef W
	vm->regs = (struct metal_regs){ .rdi = b->rdi };
	return bad ? -1 : 0;
}
