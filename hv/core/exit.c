/* SPDX-License-Identifier: MIT */
/*
 * hv/core/exit.c: what a VM exit means, decided in one place.
 *
 * A platform turns its exits (KVM's exit reasons, VMX's basic exit
 * reasons) into a struct hv_exit and asks hv_exit what to do. A hypercall
 * runs (hv_exit_hypercall, hcfast.h); anything else a guest can cause ends
 * it, with one line that says what it did and where, the same on every
 * platform. The platform keeps only what is its own business: CPUID and
 * MSR emulation on metal, KVM's signals and timing on kvm.
 */
#include "core.h"

void hv_report(struct hv_guest *g, const char *fmt, ...)
{
	char text[HV_REPORT_MAX + 1];
	va_list ap;
	va_start(ap, fmt);
	hv_vsnprintf(text, sizeof text, fmt, ap);
	va_end(ap);
	for (char *c = text; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			*c = '?';
	hv_plat_notice(g, text);
}

static enum hv_next end(struct hv_guest *g, enum hv_end why)
{
	g->end = why;
	return HV_NEXT_ENDED;
}

static enum hv_next io(struct hv_guest *g, const struct hv_exit *e, uint64_t *rax)
{
	if (!e->in && !e->string && e->size == 4 && e->port >= EXO_HC_PORT &&
	    e->port < EXO_HC_PORT + EXO_HC_PORT_SPAN)
		return hv_exit_hypercall(g, e->port - EXO_HC_PORT, e->value, rax);
	hv_count_exit(&g->stats, HV_EXIT_IO_OTHER);
	hv_report(g, "guest used I/O port 0x%x (%s), which hv does not provide, at RIP 0x%lx",
		  e->port, e->in ? "in" : "out", e->rip);
	return end(g, HV_END_PROTOCOL);
}

/* A touch the EPT refused: the exo area written, a read-only grant
 * written, or a frame that is not the guest's (never was, or no more). */
static enum hv_next gpa(struct hv_guest *g, const struct hv_exit *e)
{
	struct hv_pool *p = g->pool;
	uint64_t a = e->gpa, f = a / EXO_PAGE_SIZE;
	hv_count_exit(&g->stats, HV_EXIT_MMIO);
	if (a == HV_GPA_UNKNOWN) {
		hv_report(g, "guest touched memory it does not own, or wrote memory granted to "
			  "it read-only, at RIP 0x%lx", e->rip);
		return end(g, HV_END_UNOWNED);
	}
	if (a >= g->exo_gpa && a - g->exo_gpa < hv_exo_area_bytes(p->nframes)) {
		if (!e->write) /* it is mapped read-only: a read cannot exit */
			hv_report(g, "guest read its exo page at GPA 0x%lx and the host refused, "
				  "at RIP 0x%lx", a, e->rip);
		else
			hv_report(g, "guest wrote to its read-only exo page at GPA 0x%lx, RIP 0x%lx",
				  a, e->rip);
		return end(g, HV_END_PROTOCOL);
	}
	if (f < p->nframes && e->write && (g->grant_bitmap[f / 8] >> (f % 8) & 1) &&
	    !(g->grant_rw_bitmap[f / 8] >> (f % 8) & 1)) {
		hv_plat_lock(p);
		struct hv_guest *from = p->guest[p->owner[f] < EXO_GUESTS_MAX ? p->owner[f] : 0];
		char who[EXO_NAME_MAX + 1] = "another guest";
		if (from)
			hv_snprintf(who, sizeof who, "%s", from->name);
		hv_plat_unlock(p);
		hv_report(g, "guest wrote GPA 0x%lx (frame %lu), which %s granted it read-only, "
			  "at RIP 0x%lx", a, f, who, e->rip);
		return end(g, HV_END_UNOWNED);
	}
	if (f < p->nframes && (g->repossessed_bitmap[f / 8] >> (f % 8) & 1)) {
		hv_report(g, "guest %s GPA 0x%lx (frame %lu), which hv took back by abort, "
			  "at RIP 0x%lx", e->write ? "wrote" : "read", a, f, e->rip);
		return end(g, HV_END_UNOWNED);
	}
	hv_report(g, "guest %s GPA 0x%lx (frame %lu), which it does not own, at RIP 0x%lx",
		  e->write ? "wrote" : "read", a, f, e->rip);
	return end(g, HV_END_UNOWNED);
}

enum hv_next hv_exit(struct hv_guest *g, const struct hv_exit *e, uint64_t *rax)
{
	switch (e->type) {
	case HV_XT_IO:
		return io(g, e, rax);
	case HV_XT_GPA:
		return gpa(g, e);
	case HV_XT_HALT:
		hv_count_exit(&g->stats, HV_EXIT_HLT);
		hv_report(g, "guest halted at RIP 0x%lx with nothing to wake it", e->rip);
		return end(g, HV_END_PROTOCOL);
	case HV_XT_SHUTDOWN:
		hv_count_exit(&g->stats, HV_EXIT_SHUTDOWN);
		hv_report(g, "guest triple-faulted at RIP 0x%lx", e->rip);
		return end(g, HV_END_TRIPLE);
	case HV_XT_EMULATION:
		hv_count_exit(&g->stats, HV_EXIT_INTERNAL);
		hv_report(g, "the host cannot run the instruction at RIP 0x%lx in guest ring 0 "
			  "(an emulation failure: SSE/AVX in ring 0 on a host that emulates it?)",
			  e->rip);
		return end(g, HV_END_EMULATION);
	case HV_XT_FAILED:
		break;
	}
	hv_count_exit(&g->stats, HV_EXIT_OTHER);
	hv_report(g, "%s (0x%lx) at RIP 0x%lx", e->what ? e->what : "the guest could not run",
		  e->code, e->rip);
	return end(g, HV_END_PROTOCOL);
}

void hv_report_end(struct hv_guest *g)
{
	if (g->end == HV_END_FAULT) {
		const struct exo_hc_fault *f = &g->fault;
		const struct exo_regs *r = &f->regs;
		hv_report(g, "guest fault: vector %lu (%s), error code 0x%lx, RIP 0x%lx, CR2 0x%lx",
			  f->vector, hv_vector_name(f->vector), f->error_code, r->rip, f->cr2);
		hv_report(g, "  rax %016lx rbx %016lx rcx %016lx rdx %016lx", r->rax, r->rbx,
			  r->rcx, r->rdx);
		hv_report(g, "  rsi %016lx rdi %016lx rbp %016lx rsp %016lx", r->rsi, r->rdi,
			  r->rbp, r->rsp);
		hv_report(g, "  r8  %016lx r9  %016lx r10 %016lx r11 %016lx", r->r8, r->r9,
			  r->r10, r->r11);
		hv_report(g, "  r12 %016lx r13 %016lx r14 %016lx r15 %016lx", r->r12, r->r13,
			  r->r14, r->r15);
		hv_report(g, "  rflags %016lx cs %04lx ss %04lx", r->rflags, r->cs, r->ss);
	}
	if (g->end == HV_END_PROTOCOL && g->exit_status > EXO_EXIT_STATUS_MAX)
		hv_report(g, "guest exit status %lu is out of range 0-%u", g->exit_status,
			  EXO_EXIT_STATUS_MAX);
}
