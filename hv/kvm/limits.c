/* SPDX-License-Identifier: MIT */
/*
 * hv/kvm/limits.c: `exo run --timeout SECONDS` and `--cpu-limit SECONDS`.
 *
 * Both are enforced by the guest's own thread, so no other thread ever
 * ends a guest. --timeout: a timer on CLOCK_MONOTONIC, armed for exo's
 * start plus the limit, sends the kick signal, and KVM_RUN returns early;
 * a guest held in a WAIT has that time as its wait's end too. Every guest
 * has the same end, so all of them stop. --cpu-limit: the CPU-slice timer
 * (slice.c) already kicks the thread every HV_SLICE_NS of its CPU time;
 * the check compares that clock with the limit then, so a guest goes at
 * most one slice past it, and a guest that waits uses none. A guest over
 * a limit ends as if killed by the signal a shell's limits would send
 * (SIGALRM for wall time, SIGXCPU for CPU time): its status is 128 + that
 * signal, and hv prints one line saying which limit ended it. gdb's kill
 * (gdb.c) ends a guest the same way, with SIGKILL: status 137, and so do
 * SIGINT, SIGTERM and SIGHUP sent to exo (signals.c), whose one line main
 * prints for all guests.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "kvm.h"

uint64_t kvm_limits_wall_end(const struct kvm_guest *k)
{
	return k->opts->timeout_ns ? k->t0 + k->opts->timeout_ns : 0;
}

int kvm_limits_start(struct kvm_guest *k)
{
	k->cpu_start_ns = kvm_thread_cpu_ns();
	uint64_t end = kvm_limits_wall_end(k);
	if (!end)
		return 0;
	struct sigevent ev = { .sigev_notify = SIGEV_THREAD_ID, .sigev_signo = KVM_KICK_SIGNAL };
	ev._sigev_un._tid = (pid_t)syscall(SYS_gettid);
	if (timer_create(CLOCK_MONOTONIC, &ev, &k->limit_timer) < 0)
		return -errno;
	k->limit_timer_made = 1;
	/* An end already past fires at once. */
	struct itimerspec its = { .it_value = { (time_t)(end / 1000000000u),
						(long)(end % 1000000000u) } };
	timer_settime(k->limit_timer, TIMER_ABSTIME, &its, NULL);
	return 0;
}

int kvm_limits_check(struct kvm_guest *k)
{
	uint64_t end = kvm_limits_wall_end(k);
	if (!k->limit && end && kvm_now_ns() >= end)
		k->limit = SIGALRM;
	if (!k->limit && k->opts->cpu_limit_ns &&
	    kvm_thread_cpu_ns() - k->cpu_start_ns >= k->opts->cpu_limit_ns)
		k->limit = SIGXCPU;
	if (!k->limit)
		k->limit = kvm_signals_caught(); /* SIGINT, SIGTERM, SIGHUP (signals.c) */
	return k->limit;
}

void kvm_limits_end(struct kvm_guest *k)
{
	struct hv_guest *g = &k->g;
	/* Ended as the guest's own exit would: others stop finding it, and
	 * its status is 128 + the signal. A WAIT it was held in is over. */
	hv_plat_lock(&k->pool->core);
	if (g->end != HV_RUNNING) { /* it ended on its own first: that stands */
		hv_plat_unlock(&k->pool->core);
		k->limit = 0;
		return;
	}
	g->end = HV_END_EXIT;
	g->exit_status = 128u + (unsigned)k->limit;
	g->exit_signal = (uint32_t)k->limit;
	g->blocked = 0;
	hv_plat_unlock(&k->pool->core);
	if (k->limit == SIGINT || k->limit == SIGTERM || k->limit == SIGHUP)
		return; /* main says it once for every guest (kvm_signals_report) */
	if (k->limit == SIGKILL)
		hv_report(g, "guest ended: killed from gdb");
	else if (k->limit == SIGALRM)
		hv_report(g, "guest ended: it ran past --timeout %s (seconds of wall time)",
			  k->opts->timeout_text);
	else
		hv_report(g, "guest ended: it used its --cpu-limit of %s seconds of CPU time",
			  k->opts->cpu_limit_text);
}

void kvm_limits_stop(struct kvm_guest *k)
{
	if (k->limit_timer_made)
		timer_delete(k->limit_timer);
	k->limit_timer_made = 0;
}
