/*
 * hv/kvm/run.c: the run loop, exit dispatch and the reports of how a guest
 * ended.
 *
 * Hypercalls arrive as port I/O exits and go to hv/core; the status goes
 * back in rax through the shared sync-regs area, so no extra ioctl is paid
 * per call. Every other exit ends the guest with a one-line report naming
 * what it did and where.
 */
#include <errno.h>
#include <inttypes.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>

#include "kvm.h"

static void report_fault(const struct hv_guest *g)
{
	const struct exo_hc_fault *f = &g->fault;
	const struct exo_regs *r = &f->regs;
	fprintf(stderr, "exo: guest fault: vector %" PRIu64 " (%s), error code 0x%" PRIx64
		", RIP 0x%" PRIx64 ", CR2 0x%" PRIx64 "\n", f->vector, hv_vector_name(f->vector),
		f->error_code, r->rip, f->cr2);
	fprintf(stderr, "exo:   rax %016" PRIx64 " rbx %016" PRIx64 " rcx %016" PRIx64
		" rdx %016" PRIx64 "\n", r->rax, r->rbx, r->rcx, r->rdx);
	fprintf(stderr, "exo:   rsi %016" PRIx64 " rdi %016" PRIx64 " rbp %016" PRIx64
		" rsp %016" PRIx64 "\n", r->rsi, r->rdi, r->rbp, r->rsp);
	fprintf(stderr, "exo:   r8  %016" PRIx64 " r9  %016" PRIx64 " r10 %016" PRIx64
		" r11 %016" PRIx64 "\n", r->r8, r->r9, r->r10, r->r11);
	fprintf(stderr, "exo:   r12 %016" PRIx64 " r13 %016" PRIx64 " r14 %016" PRIx64
		" r15 %016" PRIx64 "\n", r->r12, r->r13, r->r14, r->r15);
	fprintf(stderr, "exo:   rflags %016" PRIx64 " cs %04" PRIx64 " ss %04" PRIx64 "\n",
		r->rflags, r->cs, r->ss);
}

static void print_stats(const struct kvm_vm *vm, uint64_t t0, uint64_t t_first, uint64_t t_end)
{
	const struct hv_stats *s = &vm->g.stats;
	uint64_t exits = 0, calls = 0;
	fprintf(stderr, "exo: stats: %.3f ms from start to guest exit", (double)(t_end - t0) / 1e6);
	if (t_first)
		fprintf(stderr, ", first guest instruction at %.3f ms", (double)(t_first - t0) / 1e6);
	fprintf(stderr, "\nexo: stats: exits:");
	for (int k = 0; k < HV_EXIT_KINDS; k++) {
		if (k == HV_EXIT_DEBUG && t_first)
			continue; /* hv's own timing step, not the guest's doing */
		exits += s->exits[k];
		if (s->exits[k])
			fprintf(stderr, " %s=%" PRIu64, hv_exit_kind_name(k), s->exits[k]);
	}
	fprintf(stderr, " total=%" PRIu64 "\nexo: stats: hypercalls:", exits);
	for (uint32_t n = 0; n <= EXO_HC_COUNT; n++) {
		calls += s->hypercalls[n];
		if (s->hypercalls[n])
			fprintf(stderr, " %s=%" PRIu64, hv_hypercall_name(n), s->hypercalls[n]);
	}
	fprintf(stderr, " total=%" PRIu64 "\n", calls);
	if (calls)
		fprintf(stderr, "exo: stats: exits per hypercall %.2f\n",
			(double)s->exits[HV_EXIT_HYPERCALL] / (double)calls);
	fprintf(stderr, "exo: stats: frames owned at exit %" PRIu64 " of %" PRIu64
		" allowed, pool %" PRIu64 "\n", vm->g.owned, vm->g.cap_frames,
		vm->pool->core.nframes);
}

static void hypercall(struct kvm_vm *vm)
{
	struct kvm_run *run = vm->run;
	uint32_t gpa;
	memcpy(&gpa, (uint8_t *)run + run->io.data_offset, sizeof gpa);
	int64_t ret = hv_hypercall(&vm->g, run->io.port - EXO_HC_PORT, gpa);
	run->s.regs.regs.rax = (uint64_t)ret;
	run->kvm_dirty_regs |= KVM_SYNC_X86_REGS;
}

static int is_hypercall(const struct kvm_run *run)
{
	return run->io.direction == KVM_EXIT_IO_OUT && run->io.size == 4 &&
	       run->io.count == 1 && run->io.port >= EXO_HC_PORT &&
	       run->io.port < EXO_HC_PORT + EXO_HC_PORT_SPAN;
}

/* One exit: account it, handle it, and say whether the guest goes on. */
static int handle_exit(struct kvm_vm *vm)
{
	struct kvm_run *run = vm->run;
	struct hv_guest *g = &vm->g;
	uint64_t rip = run->s.regs.regs.rip;

	switch (run->exit_reason) {
	case KVM_EXIT_IO:
		if (is_hypercall(run)) {
			g->stats.exits[HV_EXIT_HYPERCALL]++;
			hypercall(vm);
			return g->end == HV_RUNNING;
		}
		g->stats.exits[HV_EXIT_IO_OTHER]++;
		g->end = HV_END_PROTOCOL;
		fprintf(stderr, "exo: guest used I/O port 0x%x (%s), which hv does not provide, "
			"at RIP 0x%" PRIx64 "\n", run->io.port,
			run->io.direction == KVM_EXIT_IO_OUT ? "out" : "in", rip);
		return 0;
	case KVM_EXIT_MMIO: {
		uint64_t gpa = run->mmio.phys_addr;
		g->stats.exits[HV_EXIT_MMIO]++;
		if (gpa >= g->exo_gpa && gpa < g->exo_gpa + vm->exo_bytes && run->mmio.is_write) {
			g->end = HV_END_PROTOCOL;
			fprintf(stderr, "exo: guest wrote to its read-only exo page at GPA 0x%" PRIx64
				", RIP 0x%" PRIx64 "\n", gpa, rip);
			return 0;
		}
		g->end = HV_END_UNOWNED;
		fprintf(stderr, "exo: guest %s GPA 0x%" PRIx64 " (frame %" PRIu64 "), which it "
			"does not own, at RIP 0x%" PRIx64 "\n", run->mmio.is_write ? "wrote" : "read",
			gpa, gpa >> EXO_PAGE_SHIFT, rip);
		return 0;
	}
	case KVM_EXIT_SHUTDOWN:
		g->stats.exits[HV_EXIT_SHUTDOWN]++;
		g->end = HV_END_TRIPLE;
		fprintf(stderr, "exo: guest triple-faulted at RIP 0x%" PRIx64 "\n", rip);
		return 0;
	case KVM_EXIT_INTERNAL_ERROR:
		g->stats.exits[HV_EXIT_INTERNAL]++;
		g->end = HV_END_EMULATION;
		if (run->internal.suberror == KVM_INTERNAL_ERROR_EMULATION)
			fprintf(stderr, "exo: the host cannot run the instruction at RIP 0x%" PRIx64
				" in guest ring 0 (KVM emulation failure; SSE/AVX in ring 0 on an "
				"emulating host?)\n", rip);
		else
			fprintf(stderr, "exo: KVM could not run the guest at RIP 0x%" PRIx64
				" (internal error, suberror %u)\n", rip, run->internal.suberror);
		return 0;
	case KVM_EXIT_HLT:
		g->stats.exits[HV_EXIT_HLT]++;
		g->end = HV_END_PROTOCOL;
		fprintf(stderr, "exo: guest halted at RIP 0x%" PRIx64 " with nothing to wake it\n",
			rip);
		return 0;
	case KVM_EXIT_FAIL_ENTRY:
		g->stats.exits[HV_EXIT_OTHER]++;
		g->end = HV_END_PROTOCOL;
		fprintf(stderr, "exo: VM entry failed (hardware reason 0x%llx) at RIP 0x%" PRIx64 "\n",
			(unsigned long long)run->fail_entry.hardware_entry_failure_reason, rip);
		return 0;
	default:
		g->stats.exits[HV_EXIT_OTHER]++;
		g->end = HV_END_PROTOCOL;
		fprintf(stderr, "exo: unexpected KVM exit %u at RIP 0x%" PRIx64 "\n",
			run->exit_reason, rip);
		return 0;
	}
}

int kvm_run_guest(struct kvm_vm *vm, int stats, uint64_t t0)
{
	uint64_t t_first = 0;
	int stepping = stats && kvm_first_step(vm, 1) == 0;

	for (;;) {
		if (ioctl(vm->vcpu_fd, KVM_RUN, 0) < 0) {
			if (errno == EINTR || errno == EAGAIN) {
				vm->g.stats.exits[HV_EXIT_INTERRUPTED]++;
				continue;
			}
			if (errno == EFAULT) {
				/* A guest access the host could not back: an unowned
				 * frame, on hosts that report it this way. */
				vm->g.stats.exits[HV_EXIT_MMIO]++;
				vm->g.end = HV_END_UNOWNED;
				fprintf(stderr, "exo: guest touched memory it does not own at "
					"RIP 0x%" PRIx64 "\n", (uint64_t)vm->run->s.regs.regs.rip);
				break;
			}
			fprintf(stderr, "exo: KVM_RUN: %s\n", strerror(errno));
			vm->g.end = HV_END_PROTOCOL;
			break;
		}
		vm->run->kvm_dirty_regs = 0;
		if (vm->run->exit_reason == KVM_EXIT_DEBUG && stepping) {
			vm->g.stats.exits[HV_EXIT_DEBUG]++;
			t_first = kvm_now_ns();
			stepping = 0;
			kvm_first_step(vm, 0);
			continue;
		}
		if (!handle_exit(vm))
			break;
	}
	if (vm->g.end == HV_END_FAULT)
		report_fault(&vm->g);
	if (vm->g.end == HV_END_PROTOCOL && vm->g.exit_status > EXO_EXIT_STATUS_MAX)
		fprintf(stderr, "exo: guest exit status %" PRIu64 " is out of range 0-%u\n",
			vm->g.exit_status, EXO_EXIT_STATUS_MAX);
	if (stats)
		print_stats(vm, t0, t_first, kvm_now_ns());
	return hv_end_status(&vm->g);
}
