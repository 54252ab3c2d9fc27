/* SPDX-License-Identifier: MIT */
/*
 * hv/kvm/signals.c: SIGINT, SIGTERM and SIGHUP stop every guest.
 *
 * Right after the command line is parsed, the main thread blocks the
 * three (every thread it makes inherits that, vCPU threads too, and so
 * does KVM_RUN's mask, vcpu.c) and starts one thread that waits for them
 * with sigwaitinfo. Nothing else ever takes them. When one comes, that
 * thread records it (kvm_signals_caught) and then, every STOP_KICK_NS
 * until exo ends, stops each guest still running the way --timeout does,
 * by its own thread: it kicks it out of KVM_RUN (immediate_exit and the
 * kick signal, plat.c), wakes it from a WAIT, and sends it STOP_SIGNAL,
 * whose empty handler (no SA_RESTART) cuts a forwarded host call short
 * with EINTR: a guest asleep in nanosleep or reading a terminal ends
 * promptly too. Repeating the kick covers a guest that was between two
 * checks when the first came. The guest's thread then sees the signal
 * (kvm_limits_check) and ends the guest with status 128 + n, without a
 * line of its own; once every guest has ended, main prints the one line
 * (kvm_signals_report) and exo exits 128 + n, after --stats as usual.
 * The main thread gets STOP_SIGNAL too, which ends a wait for gdb.
 *
 * The thread is made before the sandbox (whose TSYNC filter it takes)
 * and ended by kvm_signals_end: main sets done and sends it STOP_SIGNAL,
 * which it also waits for. Kicking happens under the pool lock, and a
 * vCPU thread clears its running flag under the same lock (run.c), so a
 * kick never reaches a thread that has ended.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "kvm.h"

#define STOP_SIGNAL SIGUSR2
#define STOP_KICK_NS 20000000L /* 20 ms */

static atomic_int caught, done;
static pthread_t waiter, main_thread;
static int waiter_made;
static struct kvm_guest *_Atomic guests;
static _Atomic int nguests;

static void stop_handler(int sig)
{
	(void)sig; /* its arrival is the point: a blocking call returns EINTR */
}

static void stop_guests(void)
{
	struct kvm_guest *k = atomic_load(&guests);
	int n = atomic_load(&nguests);
	for (int i = 0; k && i < n; i++) {
		if (!k[i].pool)
			continue;
		hv_plat_lock(&k[i].pool->core);
		if (atomic_load(&k[i].running)) {
			hv_plat_kick(&k[i].g);
			pthread_kill(k[i].thread, STOP_SIGNAL);
			if (k[i].waiting)
				pthread_cond_signal(&k[i].wake);
		}
		hv_plat_unlock(&k[i].pool->core);
	}
}

static void *wait_for_signals(void *arg)
{
	(void)arg;
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, STOP_SIGNAL);
	static const struct timespec every = { 0, STOP_KICK_NS };
	while (!atomic_load(&done)) {
		int sig = atomic_load(&caught) ? sigtimedwait(&set, NULL, &every)
					       : sigwaitinfo(&set, NULL);
		if (sig > 0 && sig != STOP_SIGNAL) {
			int none = 0;
			if (atomic_compare_exchange_strong(&caught, &none, sig))
				pthread_kill(main_thread, STOP_SIGNAL);
		}
		if (atomic_load(&caught) && !atomic_load(&done))
			stop_guests();
	}
	return NULL;
}

int kvm_signals_start(void)
{
	struct sigaction sa = { .sa_handler = stop_handler }; /* no SA_RESTART */
	sigset_t set, stop, old;
	sigemptyset(&sa.sa_mask);
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigemptyset(&stop);
	sigaddset(&stop, STOP_SIGNAL);
	main_thread = pthread_self();
	if (sigaction(STOP_SIGNAL, &sa, NULL) < 0 || pthread_sigmask(SIG_BLOCK, &set, NULL))
		return kvm_fail(HV_STATUS_HOST, "setting up SIGINT, SIGTERM and SIGHUP: %s",
				strerror(errno));
	/* The waiter takes STOP_SIGNAL with sigwaitinfo: blocked in it only. */
	pthread_sigmask(SIG_BLOCK, &stop, &old);
	int err = pthread_create(&waiter, NULL, wait_for_signals, NULL);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (err)
		return kvm_fail(HV_STATUS_HOST, "cannot start the thread that takes signals: %s",
				strerror(err));
	waiter_made = 1;
	return 0;
}

void kvm_signals_guests(struct kvm_guest *k, int n)
{
	atomic_store(&nguests, n);
	atomic_store(&guests, k);
}

int kvm_signals_caught(void)
{
	return atomic_load(&caught);
}

int kvm_signals_report(const struct kvm_guest *k, int n)
{
	int sig = atomic_load(&caught);
	char names[512];
	size_t len = 0, stopped = 0;
	names[0] = '\0';
	for (int i = 0; k && i < n; i++) {
		if (k[i].limit != sig)
			continue;
		stopped++;
		int w = snprintf(names + len, sizeof names - len, "%s%s", len ? ", " : "",
				 k[i].g.name);
		if (w > 0)
			len += (size_t)w < sizeof names - len ? (size_t)w : sizeof names - len - 1;
	}
	const char *what = sig == SIGINT ? "SIGINT" : sig == SIGTERM ? "SIGTERM" : "SIGHUP";
	if (!stopped)
		return kvm_fail(128 + sig, "interrupted by %s: %s", what,
				k ? "no guest was running" : "no guest had started");
	if (n == 1)
		return kvm_fail(128 + sig, "interrupted by %s: guest stopped", what);
	return kvm_fail(128 + sig, "interrupted by %s: guests stopped: %s", what, names);
}

void kvm_signals_end(void)
{
	atomic_store(&guests, NULL);
	if (!waiter_made)
		return;
	atomic_store(&done, 1);
	pthread_kill(waiter, STOP_SIGNAL);
	pthread_join(waiter, NULL);
	waiter_made = 0;
}
