/* SPDX-License-Identifier: MIT */
/*
 * hv/kvm/exception.c: raising an exception in a guest (hv_plat_exception),
 * for the abort protocol's EXO_VEC_ABORT.
 *
 * hv/core asks in the guest's own thread while its vCPU is out of KVM_RUN
 * (its deadline, or a wait); the thread raises it just before its next
 * KVM_RUN, through KVM_SET_VCPU_EVENTS as a *pending* exception
 * (KVM_CAP_EXCEPTION_PAYLOAD, enabled on every VM by vcpu.c). Pending, not
 * injected: an injected event is one whose delivery was already under way
 * when the vCPU exited, and KVM re-delivers it as it was; a pending one is
 * a new event, which KVM delivers at the next instruction boundary ahead
 * of any external interrupt and whatever the guest's interrupt flag, as a
 * CPU does a fault. Two things would lose it or another event, and are
 * dealt with here:
 *
 *  - KVM_SET_REGS drops a pending exception (the registers belong to a
 *    new instruction), and the sync-regs area applies a hypercall's rax
 *    that way at the start of KVM_RUN: so dirty registers are written
 *    first, with KVM_SET_REGS, and the exception after them;
 *  - an external interrupt whose delivery was under way (interrupt.
 *    injected, after an exit in the middle of it) is not re-delivered
 *    while an exception is pending, and KVM forgets it at the next exit:
 *    it is queued again with KVM_INTERRUPT, so it arrives after the
 *    exception's handler, when the guest takes interrupts again. An
 *    interrupt queued with KVM_INTERRUPT and not yet delivered simply
 *    waits, as it would on a CPU.
 *
 * A fault-class exception whose delivery was under way, or another one
 * pending, gives way: its instruction runs again once the abort handler
 * returns and faults again. (Trap-class exceptions are debug traps, which
 * exo guests do not use.)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/kvm.h>
#include <sys/ioctl.h>

#include "kvm.h"

void hv_plat_exception(struct hv_guest *g, uint32_t vector)
{
	struct kvm_guest *k = g->plat;
	k->exc_vector = vector;
	k->exc_due = 1;
}

int kvm_exception_raise(struct kvm_guest *k)
{
	struct kvm_run *run = k->run;
	struct kvm_vcpu_events ev;
	if (!k->exc_due)
		return 0;
	k->exc_due = 0;
	if (run->kvm_dirty_regs & KVM_SYNC_X86_REGS) {
		if (ioctl(k->vcpu_fd, KVM_SET_REGS, &run->s.regs.regs) < 0)
			return -errno;
		run->kvm_dirty_regs &= ~(uint64_t)KVM_SYNC_X86_REGS;
	}
	if (ioctl(k->vcpu_fd, KVM_GET_VCPU_EVENTS, &ev) < 0)
		return -errno;
	int requeue = ev.interrupt.injected && !ev.interrupt.soft;
	uint32_t irq = ev.interrupt.nr;
	if (requeue)
		ev.interrupt.injected = 0;
	ev.exception.injected = 0;
	ev.exception.pending = 1;
	ev.exception.nr = (uint8_t)k->exc_vector;
	ev.exception.has_error_code = 0;
	ev.exception.error_code = 0;
	ev.exception_has_payload = 0;
	ev.exception_payload = 0;
	ev.flags |= KVM_VCPUEVENT_VALID_PAYLOAD; /* pending is read only with it */
	if (ioctl(k->vcpu_fd, KVM_SET_VCPU_EVENTS, &ev) < 0)
		return -errno;
	if (requeue) {
		struct kvm_interrupt i = { .irq = irq };
		unsigned none = 0;
		/* KVM holds one queued vector; if it has one, ours waits in
		 * k->irq, or coalesces with the one there (as doorbells do). */
		if (ioctl(k->vcpu_fd, KVM_INTERRUPT, &i) < 0)
			atomic_compare_exchange_strong(&k->irq, &none, irq);
	}
	return 0;
}
