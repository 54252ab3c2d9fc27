/* SPDX-License-Identifier: MIT */
/*
 * hv/metal/vmcs.h: VMCS field encodings and the VMX instructions.
 *
 * Only the fields hv/metal uses, named after the Intel SDM (Appendix B),
 * and thin wrappers that turn VMX instruction failures into return codes.
 */
#ifndef HV_METAL_VMCS_H
#define HV_METAL_VMCS_H

#include <stdint.h>

enum vmcs_field {
	VIRTUAL_PROCESSOR_ID = 0x0000,
	GUEST_ES_SELECTOR = 0x0800, GUEST_CS_SELECTOR = 0x0802, GUEST_SS_SELECTOR = 0x0804,
	GUEST_DS_SELECTOR = 0x0806, GUEST_FS_SELECTOR = 0x0808, GUEST_GS_SELECTOR = 0x080a,
	GUEST_LDTR_SELECTOR = 0x080c, GUEST_TR_SELECTOR = 0x080e,
	HOST_ES_SELECTOR = 0x0c00, HOST_CS_SELECTOR = 0x0c02, HOST_SS_SELECTOR = 0x0c04,
	HOST_DS_SELECTOR = 0x0c06, HOST_FS_SELECTOR = 0x0c08, HOST_GS_SELECTOR = 0x0c0a,
	HOST_TR_SELECTOR = 0x0c0c,
	MSR_BITMAP = 0x2004, EPT_POINTER = 0x201a,
	GUEST_PHYSICAL_ADDRESS = 0x2400,
	VMCS_LINK_POINTER = 0x2800, GUEST_IA32_EFER = 0x2806,
	HOST_IA32_EFER = 0x2c02,
	PIN_BASED_VM_EXEC_CONTROL = 0x4000, CPU_BASED_VM_EXEC_CONTROL = 0x4002,
	EXCEPTION_BITMAP = 0x4004, CR3_TARGET_COUNT = 0x400a, VM_EXIT_CONTROLS = 0x400c,
	VM_EXIT_MSR_STORE_COUNT = 0x400e, VM_EXIT_MSR_LOAD_COUNT = 0x4010,
	VM_ENTRY_CONTROLS = 0x4012, VM_ENTRY_MSR_LOAD_COUNT = 0x4014,
	VM_ENTRY_INTR_INFO = 0x4016, VM_ENTRY_EXCEPTION_ERROR_CODE = 0x4018,
	SECONDARY_VM_EXEC_CONTROL = 0x401e,
	VM_INSTRUCTION_ERROR = 0x4400, VM_EXIT_REASON = 0x4402,
	IDT_VECTORING_INFO = 0x4408, VM_EXIT_INSTRUCTION_LEN = 0x440c,
	GUEST_ES_LIMIT = 0x4800, GUEST_CS_LIMIT = 0x4802, GUEST_SS_LIMIT = 0x4804,
	GUEST_DS_LIMIT = 0x4806, GUEST_FS_LIMIT = 0x4808, GUEST_GS_LIMIT = 0x480a,
	GUEST_LDTR_LIMIT = 0x480c, GUEST_TR_LIMIT = 0x480e, GUEST_GDTR_LIMIT = 0x4810,
	GUEST_IDTR_LIMIT = 0x4812,
	GUEST_ES_AR = 0x4814, GUEST_CS_AR = 0x4816, GUEST_SS_AR = 0x4818, GUEST_DS_AR = 0x481a,
	GUEST_FS_AR = 0x481c, GUEST_GS_AR = 0x481e, GUEST_LDTR_AR = 0x4820, GUEST_TR_AR = 0x4822,
	GUEST_INTERRUPTIBILITY = 0x4824, GUEST_ACTIVITY_STATE = 0x4826,
	GUEST_SYSENTER_CS = 0x482a, VMX_PREEMPTION_TIMER_VALUE = 0x482e,
	HOST_SYSENTER_CS = 0x4c00,
	CR0_GUEST_HOST_MASK = 0x6000, CR4_GUEST_HOST_MASK = 0x6002,
	CR0_READ_SHADOW = 0x6004, CR4_READ_SHADOW = 0x6006,
	EXIT_QUALIFICATION = 0x6400,
	GUEST_CR0 = 0x6800, GUEST_CR3 = 0x6802, GUEST_CR4 = 0x6804,
	GUEST_ES_BASE = 0x6806, GUEST_CS_BASE = 0x6808, GUEST_SS_BASE = 0x680a,
	GUEST_DS_BASE = 0x680c, GUEST_FS_BASE = 0x680e, GUEST_GS_BASE = 0x6810,
	GUEST_LDTR_BASE = 0x6812, GUEST_TR_BASE = 0x6814, GUEST_GDTR_BASE = 0x6816,
	GUEST_IDTR_BASE = 0x6818, GUEST_DR7 = 0x681a, GUEST_RSP = 0x681c, GUEST_RIP = 0x681e,
	GUEST_RFLAGS = 0x6820, GUEST_SYSENTER_ESP = 0x6824, GUEST_SYSENTER_EIP = 0x6826,
	HOST_CR0 = 0x6c00, HOST_CR3 = 0x6c02, HOST_CR4 = 0x6c04, HOST_FS_BASE = 0x6c06,
	HOST_GS_BASE = 0x6c08, HOST_TR_BASE = 0x6c0a, HOST_GDTR_BASE = 0x6c0c,
	HOST_IDTR_BASE = 0x6c0e, HOST_SYSENTER_ESP = 0x6c10, HOST_SYSENTER_EIP = 0x6c12,
	HOST_RSP = 0x6c14, HOST_RIP = 0x6c16,
};

/* Control bits that change while a guest runs (vmx.c sets the rest). */
#define PROC_INTERRUPT_WINDOW_EXITING (1u << 2)

/* The VM-entry interruption-information field (SDM 24.8.3). */
#define INTR_INFO_VALID (1u << 31)
#define INTR_TYPE_EXTERNAL (0u << 8)
#define INTR_TYPE_HW_EXCEPTION (3u << 8)
#define INTR_DELIVER_CODE (1u << 11)

/* 0 on success, -1 on VMfail. */
static inline int vmwrite(enum vmcs_field f, uint64_t v)
{
	uint8_t bad;
	__asm__ volatile("vmwrite %2, %1; setbe %0" : "=q"(bad) : "r"((uint64_t)f), "rm"(v) : "cc");
	return bad ? -1 : 0;
}

/* For a field whose VMWRITE cannot fail (a valid field, a valid value):
 * the status is not even looked at. */
static inline void vmwrite_ok(enum vmcs_field f, uint64_t v)
{
	__asm__ volatile("vmwrite %1, %0" : : "r"((uint64_t)f), "rm"(v) : "cc");
}

static inline uint64_t vmread(enum vmcs_field f)
{
	uint64_t v = 0;
	__asm__ volatile("vmread %1, %0" : "=rm"(v) : "r"((uint64_t)f) : "cc");
	return v;
}

#endif
