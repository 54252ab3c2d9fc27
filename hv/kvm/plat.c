/* SPDX-License-Identifier: MIT */
/*
 * hv/kvm/plat.c: the platform contract of hv/core/core.h (hv_plat_*) on
 * KVM, except hv_plat_forward (forward.c).
 *
 * Memory: binding maps frames of the pool's memfd into a guest's view
 * (pool.c), read-write or read-only; unbinding maps the range back
 * PROT_NONE, which KVM's MMU notifiers turn into the EPT entries' removal
 * before munmap/mmap returns, so the frames are gone from the guest when
 * this returns, whatever its vCPU is doing. Scrubbing punches the frames
 * out of the memfd: the host gets the memory back and the next owner reads
 * zeros. Failure to unbind or scrub would leave a frame visible or its
 * bytes readable to a guest that must not see them: hv stops.
 *
 * The pool lock is a pthread mutex. Interrupts, kicks, wake-ups,
 * deadlines and exceptions are carried out by the guest's vCPU thread
 * (run.c, exception.c); here they are only requested: inject leaves the
 * vector in k->irq and kicks, kick sets immediate_exit and signals the
 * thread, wake signals its condition variable, deadline arms its timer
 * (and wakes a waiting vCPU to re-read it). The deadlines' clock is
 * CLOCK_MONOTONIC.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <linux/kvm.h>

#include "kvm.h"

void hv_plat_lock(struct hv_pool *pool)
{
	struct kvm_pool *p = pool->plat;
	pthread_mutex_lock(&p->lock);
}

void hv_plat_unlock(struct hv_pool *pool)
{
	struct kvm_pool *p = pool->plat;
	pthread_mutex_unlock(&p->lock);
}

int hv_plat_bind(struct hv_guest *g, uint64_t first, uint64_t n, int writable)
{
	struct kvm_guest *k = g->plat;
	uint64_t off = first * EXO_PAGE_SIZE;
	if (kvm_maps_bind(k, first, n) < 0)
		return -EXO_ENOMEM; /* the host's limit on mappings (maps.c) */
	void *p = mmap(k->view + off, n * EXO_PAGE_SIZE,
		       writable ? PROT_READ | PROT_WRITE : PROT_READ,
		       MAP_SHARED | MAP_FIXED, k->pool->memfd, (off_t)off);
	if (p == MAP_FAILED) {
		/* A failed MAP_FIXED may have unmapped the range: put it back
		 * to what an unbound range is before saying no. */
		hv_plat_unbind(g, first, n);
		return -EXO_ENOMEM;
	}
	return 0;
}

void hv_plat_unbind(struct hv_guest *g, uint64_t first, uint64_t n)
{
	struct kvm_guest *k = g->plat;
	uint64_t off = first * EXO_PAGE_SIZE, len = n * EXO_PAGE_SIZE;
	kvm_maps_unbind(k, first, n);
	if (mmap(k->view + off, len, PROT_NONE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE, -1, 0) == MAP_FAILED) {
		char why[160];
		snprintf(why, sizeof why, "unbinding frames %llu..%llu: %s",
			 (unsigned long long)first, (unsigned long long)(first + n - 1),
			 strerror(errno));
		hv_plat_panic(why);
	}
}

void hv_plat_scrub(struct hv_pool *pool, uint64_t first, uint64_t n)
{
	struct kvm_pool *p = pool->plat;
	if (fallocate(p->memfd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
		      (off_t)(first * EXO_PAGE_SIZE), (off_t)(n * EXO_PAGE_SIZE)) < 0) {
		char why[160];
		snprintf(why, sizeof why, "scrubbing frames %llu..%llu: %s",
			 (unsigned long long)first, (unsigned long long)(first + n - 1),
			 strerror(errno));
		hv_plat_panic(why);
	}
}

void hv_plat_inject(struct hv_guest *g, uint32_t vector)
{
	struct kvm_guest *k = g->plat;
	unsigned none = 0;
	/* One still waiting absorbs this one: doorbells coalesce. */
	atomic_compare_exchange_strong(&k->irq, &none, vector);
	/* A vCPU held in its WAIT (k->waiting, stable under the pool lock we
	 * hold), or whose own thread raises it (a slice-end upcall: it is out
	 * of KVM_RUN), sees the vector before its next KVM_RUN: kicking it
	 * would only cost it an empty exit. */
	if (!k->waiting && !(atomic_load(&k->running) && pthread_equal(k->thread, pthread_self())))
		hv_plat_kick(g);
}

void hv_plat_kick(struct hv_guest *g)
{
	struct kvm_guest *k = g->plat;
	/* running is set once the thread exists and cleared before it ends;
	 * kvm_run stays mapped until every thread has been joined. A kick
	 * that finds the thread outside KVM_RUN leaves the signal pending
	 * (it is blocked there) and immediate_exit set: its next KVM_RUN
	 * returns at once. */
	if (!k || !atomic_load(&k->running))
		return;
	__atomic_store_n(&k->run->immediate_exit, 1, __ATOMIC_SEQ_CST);
	pthread_kill(k->thread, KVM_KICK_SIGNAL);
}

void hv_plat_wake(struct hv_guest *g)
{
	struct kvm_guest *k = g->plat;
	pthread_cond_signal(&k->wake);
}

/* Set k's timer for k->deadline_ns (0: disarm). Pool lock held. */
void kvm_deadline_timer(struct kvm_guest *k)
{
	uint64_t at = atomic_load(&k->deadline_ns);
	struct itimerspec its = { 0 };
	its.it_value.tv_sec = (time_t)(at / 1000000000u);
	its.it_value.tv_nsec = (long)(at % 1000000000u);
	if (k->timer_made)
		timer_settime(k->timer, TIMER_ABSTIME, &its, NULL);
}

void hv_plat_deadline(struct hv_guest *g, uint64_t ns)
{
	struct kvm_guest *k = g->plat;
	uint64_t at = 0;
	if (ns) {
		at = kvm_now_ns() + ns;
		if (at < ns)
			at = UINT64_MAX; /* never, in practice */
	}
	/* Any thread may set it (a revocation request arms its victim's),
	 * always with the pool lock held. The timer only kicks: run.c
	 * compares the clock with deadline_ns; a vCPU held in a wait
	 * (k->waiting, stable under the lock) has its own timed wait, which
	 * the signal makes read the new deadline. */
	atomic_store(&k->deadline_ns, at);
	kvm_deadline_timer(k);
	if (k->waiting)
		pthread_cond_signal(&k->wake);
}

uint64_t hv_plat_now_ns(void)
{
	return kvm_now_ns();
}

void hv_plat_console(struct hv_guest *g, const char *buf, uint64_t len)
{
	kvm_out_write(g->plat, 1, buf, len);
}

void hv_plat_notice(struct hv_guest *g, const char *text)
{
	char line[HV_REPORT_MAX + EXO_NAME_MAX + 16];
	int n;
	if (g && kvm_out_several())
		n = snprintf(line, sizeof line, "exo: %s: %s\n", g->name, text);
	else
		n = snprintf(line, sizeof line, "exo: %s\n", text);
	if (n >= (int)sizeof line)
		n = sizeof line - 1, line[n - 1] = '\n';
	kvm_out_raw(2, line, (uint64_t)n);
}

void hv_plat_panic(const char *why)
{
	kvm_fail(HV_STATUS_HOST, "internal error in hv: %s", why);
	_exit(HV_STATUS_HOST);
}
