/* SPDX-License-Identifier: MIT */
/*
 * hv/core/end.c: how a guest's run ends, in exit statuses and names.
 *
 * The statuses are part of exo's user contract (README.md, "Exit
 * statuses"): a guest's own status passes through; each way of dying has
 * its own number above EXO_EXIT_STATUS_MAX.
 */
#include "core.h"

int hv_end_status(const struct hv_guest *g)
{
	switch (g->end) {
	case HV_END_EXIT:
		return (int)g->exit_status;
	case HV_END_FAULT:
		return HV_STATUS_FAULT;
	case HV_END_UNOWNED:
		return HV_STATUS_UNOWNED;
	case HV_END_TRIPLE:
		return HV_STATUS_TRIPLE;
	case HV_END_EMULATION:
		return HV_STATUS_EMULATION;
	case HV_END_PROTOCOL:
	case HV_RUNNING:
		break;
	}
	return HV_STATUS_PROTOCOL;
}

const char *hv_exit_kind_name(enum hv_exit_kind k)
{
	static const char *const names[HV_EXIT_KINDS] = {
		[HV_EXIT_HYPERCALL] = "hypercall",
		[HV_EXIT_IO_OTHER] = "io-other",
		[HV_EXIT_MMIO] = "mmio",
		[HV_EXIT_SHUTDOWN] = "shutdown",
		[HV_EXIT_INTERNAL] = "internal-error",
		[HV_EXIT_HLT] = "hlt",
		[HV_EXIT_DEBUG] = "debug",
		[HV_EXIT_INTERRUPTED] = "interrupted",
		[HV_EXIT_OTHER] = "other",
	};
	return (unsigned)k < HV_EXIT_KINDS ? names[k] : "?";
}

const char *hv_hypercall_name(uint32_t nr)
{
	static const char *const names[EXO_HC_COUNT] = {
		[EXO_HC_CONSOLE] = "console",
		[EXO_HC_EXIT] = "exit",
		[EXO_HC_FRAME_ALLOC] = "frame-alloc",
		[EXO_HC_FRAME_RELEASE] = "frame-release",
		[EXO_HC_INFO] = "info",
		[EXO_HC_FAULT] = "fault",
		[EXO_HC_FORWARD] = "forward",
		[EXO_HC_EXIT_PROCESS] = "exit-process",
		[EXO_HC_NOTICE] = "notice",
		[EXO_HC_GRANT] = "grant",
		[EXO_HC_LOOKUP] = "lookup",
		[EXO_HC_DOORBELL] = "doorbell",
		[EXO_HC_UPCALL] = "upcall",
		[EXO_HC_YIELD] = "yield",
	};
	return nr < EXO_HC_COUNT ? names[nr] : "unknown";
}

const char *hv_vector_name(uint64_t vector)
{
	static const char *const names[32] = {
		"#DE divide error", "#DB debug", "NMI", "#BP breakpoint",
		"#OF overflow", "#BR bound range", "#UD invalid opcode",
		"#NM device not available", "#DF double fault", "coprocessor overrun",
		"#TS invalid TSS", "#NP segment not present", "#SS stack fault",
		"#GP general protection", "#PF page fault", "reserved",
		"#MF x87 error", "#AC alignment check", "#MC machine check",
		"#XM SIMD error", "#VE virtualization", "#CP control protection",
	};
	return vector < 32 && names[vector] ? names[vector] : "interrupt";
}
