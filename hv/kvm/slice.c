/* SPDX-License-Identifier: MIT */
/*
 * hv/kvm/slice.c: CPU slices on kvm: each vCPU thread's CPU time, counted
 * in slices of HV_SLICE_NS, and the CPU given up when hv/core preempts.
 *
 * A timer on the thread's own CPU clock (CLOCK_THREAD_CPUTIME_ID, which
 * counts guest mode, KVM's emulation of guest ring 0 and hv's work for the
 * guest alike) sends the kick signal to the thread when a slice is used
 * up: KVM_RUN returns early, and kvm_slice_check, after every early
 * return, reads the clock and tells hv/core (hv_slice_end). hv/core then
 * raises the guest's slice-end upcall and gives it HV_SLICE_GRACE_NS (its
 * deadline preempts it if it does not yield by then), or preempts it at
 * once when it has no slice vector. Preempting on kvm is sched_yield():
 * the thread goes behind the other runnable threads and carries on when
 * Linux runs it again.
 *
 * Why that is fair: every guest is a thread of its own, and Linux's
 * scheduler already shares the CPUs between runnable threads of equal
 * weight, whether their guests ever exit or not: a guest that loops
 * forever without a hypercall holds at most its share, and a guest that
 * waits uses none. hv's slices add what Linux cannot: the guest sees its
 * slice end (the upcall, so that it can save state and yield at a point
 * of its choosing), hv accounts slices, upcalls answered and preemptions
 * per guest (--stats), and a preemption gives the CPU away now instead of
 * at the scheduler's next decision.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "kvm.h"

uint64_t kvm_thread_cpu_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
	return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

/* The next slice ends HV_SLICE_NS of CPU time from now. */
static void arm(struct kvm_guest *k)
{
	struct itimerspec its = { 0 };
	k->slice_end_cpu_ns = kvm_thread_cpu_ns() + HV_SLICE_NS;
	its.it_value.tv_sec = (time_t)(k->slice_end_cpu_ns / 1000000000u);
	its.it_value.tv_nsec = (long)(k->slice_end_cpu_ns % 1000000000u);
	timer_settime(k->slice_timer, TIMER_ABSTIME, &its, NULL);
}

int kvm_slice_start(struct kvm_guest *k)
{
	struct sigevent ev = { .sigev_notify = SIGEV_THREAD_ID, .sigev_signo = KVM_KICK_SIGNAL };
	ev._sigev_un._tid = (pid_t)syscall(SYS_gettid);
	if (timer_create(CLOCK_THREAD_CPUTIME_ID, &ev, &k->slice_timer) < 0)
		return -errno;
	k->slice_timer_made = 1;
	arm(k);
	return 0;
}

void kvm_slice_check(struct kvm_guest *k)
{
	/* The kick signal is shared with the deadline timer and other
	 * threads' kicks: the clock says whether this one ended a slice. */
	if (!k->slice_timer_made || kvm_thread_cpu_ns() < k->slice_end_cpu_ns)
		return;
	arm(k);
	if (hv_slice_end(&k->g))
		sched_yield();
}

void kvm_slice_stop(struct kvm_guest *k)
{
	if (k->slice_timer_made)
		timer_delete(k->slice_timer);
	k->slice_timer_made = 0;
}
