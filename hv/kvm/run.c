/* SPDX-License-Identifier: MIT */
/*
 * hv/kvm/run.c: a guest's vCPU thread: KVM_RUN, what KVM says about each
 * exit put in hv/core's words (struct hv_exit), and what the platform does
 * between exits: raise exceptions and inject interrupts, hold the vCPU
 * while the guest waits, keep its deadline and its CPU slices, and give
 * the CPU away when the guest yields or hv preempts it.
 *
 * hv_exit decides what an exit means and reports it; this file decides
 * nothing about the guest. A hypercall's status goes back in rax through
 * the shared sync-regs area, so no extra ioctl is paid per call.
 *
 * Interrupts: hv_plat_inject leaves a vector in k->irq and kicks. Before
 * each KVM_RUN the thread injects it (KVM_INTERRUPT) if the guest can take
 * it now (KVM said so at the last exit: ready_for_interrupt_injection and
 * IF), or else asks KVM to exit as soon as it can
 * (request_interrupt_window, KVM_EXIT_IRQ_WINDOW_OPEN).
 *
 * Kicks: SIGUSR1 is blocked in every thread and unblocked only inside
 * KVM_RUN (vcpu.c, KVM_SET_SIGNAL_MASK), so a forwarded call (a read on a
 * pipe, a sleep) is never cut short by one; a kick sets immediate_exit and
 * sends it. KVM_RUN then returns EINTR, at once or at its next call, and
 * the thread takes the still pending signal off (sigtimedwait) so that it
 * does not end the next KVM_RUN too.
 *
 * Waiting: when hv_exit says HV_NEXT_BLOCKED the thread sleeps on its
 * condition variable, with the pool lock's mutex (hv_plat_wake is called
 * holding it), until hv/core clears g->blocked or the deadline passes.
 * Deadlines: hv_plat_deadline, from any thread, arms a per-thread timer
 * (SIGEV_THREAD_ID) whose signal is a kick, and wakes a waiting vCPU so
 * that it times its wait again; after a KVM_RUN cut short the thread
 * compares the clock with the deadline. Slices (slice.c) kick the same way
 * from a timer on the thread's CPU clock.
 *
 * Giving the CPU away: EXO_HC_YIELD (HV_NEXT_YIELD), a preemption at a
 * deadline (the slice-end grace ran out) or at a slice's end (no slice
 * vector) are a sched_yield(): the thread goes behind the other runnable
 * threads, then resumes the guest. Exceptions (EXO_VEC_ABORT) are raised
 * just before KVM_RUN, after the registers (exception.c).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/kvm.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "gdb.h"
#include "kvm.h"

/* KVM_CAP_MEMORY_FAULT_INFO (Linux 6.8): with EFAULT from KVM_RUN, KVM
 * may say which GPA it could not map. Older headers lack it. */
#ifndef KVM_EXIT_MEMORY_FAULT
#define KVM_EXIT_MEMORY_FAULT 39
#endif
struct memory_fault {
	uint64_t flags, gpa, size;
};

/* Never runs in practice: the signal is unblocked only inside KVM_RUN,
 * whose exit blocks it again before any handler could run, and it is
 * then taken off with sigtimedwait. Installed so that a stray one, even
 * sent to the whole process, cannot end exo. */
static void kick_handler(int sig)
{
	(void)sig;
}

int kvm_kick_init(void)
{
	struct sigaction sa = { .sa_handler = kick_handler }; /* no SA_RESTART */
	sigset_t set;
	sigemptyset(&sa.sa_mask);
	sigemptyset(&set);
	sigaddset(&set, KVM_KICK_SIGNAL);
	if (sigaction(KVM_KICK_SIGNAL, &sa, NULL) < 0 ||
	    pthread_sigmask(SIG_BLOCK, &set, NULL))
		return kvm_fail(HV_STATUS_HOST, "setting up the vCPU kick signal: %s",
				strerror(errno));
	return 0;
}

/* A vector waiting: in now if the guest can take it, else at its window. */
static int prepare_irq(struct kvm_guest *k)
{
	struct kvm_run *run = k->run;
	if (!atomic_load(&k->irq)) {
		run->request_interrupt_window = 0;
		return 0;
	}
	if (!run->ready_for_interrupt_injection || !run->if_flag) {
		run->request_interrupt_window = 1;
		return 0;
	}
	struct kvm_interrupt irq = { .irq = atomic_exchange(&k->irq, 0) };
	run->request_interrupt_window = 0;
	return ioctl(k->vcpu_fd, KVM_INTERRUPT, &irq) < 0 ? -errno : 0;
}

/* KVM_RUN came back early (a kick, the timer, a signal): take the signal
 * off, and keep the deadline if it passed. */
static void interrupted(struct kvm_guest *k)
{
	static const struct timespec now = { 0, 0 };
	sigset_t set;
	__atomic_store_n(&k->run->immediate_exit, 0, __ATOMIC_SEQ_CST);
	sigemptyset(&set);
	sigaddset(&set, KVM_KICK_SIGNAL);
	sigtimedwait(&set, NULL, &now); /* a standard signal: one at most pending */
	hv_count_exit(&k->g.stats, HV_EXIT_INTERRUPTED);
	uint64_t d = atomic_load(&k->deadline_ns);
	if (d && kvm_now_ns() >= d) {
		/* Cleared only if no other thread set a new one meanwhile;
		 * hv_guest_deadline re-arms for whatever is left anyway. */
		atomic_compare_exchange_strong(&k->deadline_ns, &d, 0);
		if (hv_guest_deadline(&k->g))
			sched_yield(); /* preempted: its grace ran out */
	}
	kvm_slice_check(k);
	kvm_limits_check(k);
	if (k->gdb)
		kvm_gdb_poll(k); /* a ^C from gdb, or gdb gone */
}

/* HV_NEXT_BLOCKED: sleep until hv/core clears g->blocked (a ring) or the
 * deadline passes; what the guest's WAIT returns. */
static uint64_t wait_for_wake(struct kvm_guest *k)
{
	struct hv_guest *g = &k->g;
	struct kvm_pool *p = k->pool;
	pthread_mutex_lock(&p->lock);
	k->waiting = 1;
	while (g->blocked) {
		/* --timeout ends a WAIT too; an allocation's wait is left to
		 * finish (revocation bounds it), as hv/core's waiter list
		 * must not lose a guest. */
		uint64_t d = atomic_load(&k->deadline_ns);
		uint64_t end = g->alloc_waiting ? 0 : kvm_limits_wall_end(k), now = kvm_now_ns();
		if (end && now >= end) {
			k->limit = SIGALRM;
			break;
		}
		if (!g->alloc_waiting && kvm_signals_caught()) { /* SIGINT... (signals.c) */
			k->limit = kvm_signals_caught();
			break;
		}
		if (d && now >= d) {
			atomic_store(&k->deadline_ns, 0); /* stable: the lock is held */
			pthread_mutex_unlock(&p->lock);
			hv_guest_deadline(g); /* takes the lock; a preemption is moot */
			pthread_mutex_lock(&p->lock);
			continue;
		}
		uint64_t until = d && (!end || d < end) ? d : end;
		if (until) {
			struct timespec ts = { (time_t)(until / 1000000000u),
					       (long)(until % 1000000000u) };
			pthread_cond_timedwait(&k->wake, &p->lock, &ts);
		} else {
			pthread_cond_wait(&k->wake, &p->lock);
		}
	}
	uint64_t rax = g->wake_rax;
	k->waiting = 0;
	pthread_mutex_unlock(&p->lock);
	return rax;
}

/* What KVM_RUN's exit was, in hv/core's words; 0, or 1 if it was the
 * platform's own business (the --stats step, an interrupt window). */
static int translate(struct kvm_guest *k, struct hv_exit *e, char *what, size_t size)
{
	struct kvm_run *run = k->run;
	memset(e, 0, sizeof *e);
	e->rip = run->s.regs.regs.rip;
	switch (run->exit_reason) {
	case KVM_EXIT_IO:
		e->type = HV_XT_IO;
		e->port = run->io.port;
		e->size = run->io.size;
		e->in = run->io.direction == KVM_EXIT_IO_IN;
		if (!e->in)
			memcpy(&e->value, (uint8_t *)run + run->io.data_offset,
			       run->io.size < 4 ? run->io.size : 4);
		/* KVM's exit does not say whether the instruction was a string
		 * one: `outs` (or `rep outs` with rcx 1) arrives with count 1
		 * and its data read from guest memory at RSI. The ABI's
		 * hypercall is `outl %eax, %dx`, whose data is eax: data that
		 * is not eax (or more than one datum) came from a string
		 * instruction, and hv_exit refuses it. */
		e->string = run->io.count != 1 ||
			    (!e->in && e->value != (uint32_t)run->s.regs.regs.rax);
		return 0;
	case KVM_EXIT_MMIO:
		e->type = HV_XT_GPA;
		e->gpa = run->mmio.phys_addr;
		e->write = run->mmio.is_write;
		return 0;
	case KVM_EXIT_HLT:
		e->type = HV_XT_HALT;
		return 0;
	case KVM_EXIT_SHUTDOWN:
		e->type = HV_XT_SHUTDOWN;
		return 0;
	case KVM_EXIT_INTERNAL_ERROR:
		if (run->internal.suberror == KVM_INTERNAL_ERROR_EMULATION) {
			if (k->gdb && kvm_gdb_emulation_failure(k))
				return 1; /* gdb's int3, where ring 0 is emulated */
			e->type = HV_XT_EMULATION;
			return 0;
		}
		e->type = HV_XT_FAILED;
		e->what = "KVM could not run the guest: internal error, suberror";
		e->code = run->internal.suberror;
		return 0;
	case KVM_EXIT_FAIL_ENTRY:
		e->type = HV_XT_FAILED;
		e->what = "VM entry failed, hardware reason";
		e->code = run->fail_entry.hardware_entry_failure_reason;
		return 0;
	case KVM_EXIT_DEBUG:
		if (k->stepping) {
			k->stepping = 0;
			k->t_first = kvm_now_ns();
			hv_count_exit(&k->g.stats, HV_EXIT_DEBUG);
			kvm_first_step(k, 0);
			return 1;
		}
		if (k->gdb) {
			kvm_gdb_debug_exit(k); /* a breakpoint or a step */
			return 1;
		}
		break;
	case KVM_EXIT_IRQ_WINDOW_OPEN:
		hv_count_exit(&k->g.stats, HV_EXIT_INTERRUPTED);
		return 1;
	}
	snprintf(what, size, "unexpected KVM exit %u", run->exit_reason);
	e->type = HV_XT_FAILED;
	e->what = what;
	e->code = run->exit_reason;
	return 0;
}

/* KVM_RUN failed with err (not EINTR). EFAULT is a guest access the host
 * could not back: on this platform only a write to a frame mapped
 * read-only (a read-only grant), since unbound frames exit as MMIO. */
static void run_failed(struct kvm_guest *k, int err, struct hv_exit *e, char *what, size_t size)
{
	struct kvm_run *run = k->run;
	memset(e, 0, sizeof *e);
	e->rip = run->s.regs.regs.rip;
	if (err == EFAULT) {
		struct memory_fault mf;
		memcpy(&mf, &run->hw, sizeof mf);
		e->type = HV_XT_GPA;
		e->gpa = run->exit_reason == KVM_EXIT_MEMORY_FAULT ? mf.gpa : HV_GPA_UNKNOWN;
		e->write = 1;
		return;
	}
	snprintf(what, size, "KVM_RUN: %s", strerror(err));
	e->type = HV_XT_FAILED;
	e->what = what;
	e->code = (uint64_t)err;
}

/* Run the guest until hv_exit says it ended. */
static void run_loop(struct kvm_guest *k)
{
	struct hv_guest *g = &k->g;
	struct hv_exit e;
	char what[96];
	int rc;

	for (;;) {
		uint64_t rax = 0;
		if ((rc = kvm_exception_raise(k)) < 0) {
			snprintf(what, sizeof what, "raising exception %u (KVM_SET_VCPU_EVENTS): %s",
				 k->exc_vector, strerror(-rc));
			e = (struct hv_exit){ .type = HV_XT_FAILED, .what = what, .code = (uint64_t)-rc,
					      .rip = k->run->s.regs.regs.rip };
		} else if ((rc = prepare_irq(k)) < 0) {
			snprintf(what, sizeof what, "KVM_INTERRUPT: %s", strerror(-rc));
			e = (struct hv_exit){ .type = HV_XT_FAILED, .what = what, .code = (uint64_t)-rc,
					      .rip = k->run->s.regs.regs.rip };
		} else if (ioctl(k->vcpu_fd, KVM_RUN, 0) < 0) {
			int err = errno;
			if (err == EINTR || err == EAGAIN) {
				interrupted(k);
				if (__builtin_expect(k->trace, 0))
					kvm_trace_interrupted(k);
				if (k->limit)
					return; /* --timeout or --cpu-limit */
				continue;
			}
			run_failed(k, err, &e, what, sizeof what);
		} else if (translate(k, &e, what, sizeof what)) {
			if (k->limit)
				return; /* killed from gdb */
			continue;
		}
		/* --trace: the one branch it costs when off */
		enum hv_next next = __builtin_expect(k->trace, 0) ? kvm_trace_exit(k, &e, &rax)
								  : hv_exit(g, &e, &rax);
		switch (next) {
		case HV_NEXT_ENDED:
			return;
		case HV_NEXT_BLOCKED:
			rax = wait_for_wake(k);
			if (!k->limit)
				kvm_limits_check(k);
			if (k->trace)
				kvm_trace_wake(k, rax);
			if (k->limit)
				return;
			break;
		case HV_NEXT_YIELD:
			sched_yield(); /* EXO_HC_YIELD: the others first */
			break;
		case HV_NEXT_RESUME:
			break;
		}
		if (e.type == HV_XT_IO) {
			k->run->s.regs.regs.rax = rax;
			k->run->kvm_dirty_regs |= KVM_SYNC_X86_REGS;
		}
	}
}

/* The deadline timer: its signal is a kick aimed at this thread. Other
 * threads may have set a deadline before it existed (a revocation request
 * to a guest that has not started): it is armed for that at once. */
static int make_timer(struct kvm_guest *k)
{
	struct sigevent ev = { .sigev_notify = SIGEV_THREAD_ID, .sigev_signo = KVM_KICK_SIGNAL };
	ev._sigev_un._tid = (pid_t)syscall(SYS_gettid);
	if (timer_create(CLOCK_MONOTONIC, &ev, &k->timer) < 0)
		return -errno;
	hv_plat_lock(&k->pool->core);
	k->timer_made = 1;
	kvm_deadline_timer(k);
	hv_plat_unlock(&k->pool->core);
	return 0;
}

/* Other threads arm the timer under the pool lock: it goes under it. */
static void delete_timer(struct kvm_guest *k)
{
	hv_plat_lock(&k->pool->core);
	int made = k->timer_made;
	k->timer_made = 0;
	hv_plat_unlock(&k->pool->core);
	if (made)
		timer_delete(k->timer);
}

void *kvm_run_guest(void *arg)
{
	struct kvm_guest *k = arg;
	struct hv_guest *g = &k->g;
	char what[96];
	int rc;

	/* From here a kick reaches this thread; a vector left before it is
	 * seen by the first prepare_irq. */
	k->thread = pthread_self();
	atomic_store(&k->running, 1);
	const char *which = "deadline";
	if ((rc = make_timer(k)) == 0) {
		which = "CPU slice";
		rc = kvm_slice_start(k);
	}
	if (rc == 0) {
		which = "--timeout";
		rc = kvm_limits_start(k);
	}
	if (rc < 0) {
		uint64_t rax;
		snprintf(what, sizeof what, "timer_create (%s timer): %s", which, strerror(-rc));
		struct hv_exit e = { .type = HV_XT_FAILED, .what = what, .code = (uint64_t)-rc,
				     .rip = k->run->s.regs.regs.rip };
		hv_exit(g, &e, &rax);
	} else {
		/* --stats times the first instruction by single-stepping it;
		 * without the step it goes without that figure. */
		k->stepping = k->stats && !k->gdb && kvm_first_step(k, 1) == 0;
		if (k->gdb)
			kvm_gdb_start(k); /* stopped at the first instruction */
		if (!k->limit)
			run_loop(k);
	}
	/* Under the pool lock: signals.c kicks only a thread still running. */
	hv_plat_lock(&k->pool->core);
	atomic_store(&k->running, 0);
	hv_plat_unlock(&k->pool->core);
	delete_timer(k);
	kvm_slice_stop(k);
	kvm_limits_stop(k);
	kvm_out_flush(k);
	if (k->limit)
		kvm_limits_end(k);
	hv_report_end(g);
	if (k->stats)
		kvm_print_stats(k, kvm_now_ns());
	k->status = hv_end_status(g);
	if (k->gdb)
		kvm_gdb_end(k);
	kvm_guest_leave(k);
	return NULL;
}
