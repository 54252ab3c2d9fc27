/* SPDX-License-Identifier: MIT */
/*
 * posix-shim/time.c: the clocks and sleeps.
 *
 * The host's clocks are the program's clocks: CLOCK_REALTIME must agree
 * with the files it stamps, and sleeping is the host's to do. Programs
 * read the clock often (Linux serves it from the vDSO without entering
 * the kernel), so the clocks that matter are served here as Linux's vDSO
 * serves them: the host's value at the last sync plus TSC ticks since,
 * scaled by the TSC rate hv measured (exo_page()->tsc_khz). A sync is one
 * exit that reads the host's REALTIME, MONOTONIC and BOOTTIME in one
 * batch; it happens at the first read and whenever a second of TSC has
 * passed, so the guest's clocks never drift far from the host's, and each
 * clock is kept from ever running backwards across a sync. Other clocks
 * (CPU time) and hosts without a TSC rate are forwarded.
 */
#include "shim.h"

#define TIMESPEC_BYTES 16
#define CLOCK_REALTIME 0
#define CLOCK_MONOTONIC 1
#define CLOCK_REALTIME_COARSE 5
#define CLOCK_MONOTONIC_COARSE 6
#define CLOCK_BOOTTIME 7
#define NS 1000000000ull

struct timespec64 {
	int64_t sec, nsec;
};

/* The three clocks kept: REALTIME, MONOTONIC, BOOTTIME. */
enum { REAL, MONO, BOOT, NCLOCKS };

static struct {
	int ready;
	uint64_t tsc0;           /* TSC at the last sync */
	uint64_t base[NCLOCKS];  /* the host's clocks then, ns */
	uint64_t last[NCLOCKS];  /* the latest value handed out */
} clk;

/* Read the host's three clocks in one exit. */
static int sync_clocks(void)
{
	static struct exo_fwd v[NCLOCKS];
	static struct exo_hc_forward b;
	static struct timespec64 ts[NCLOCKS];
	static const uint64_t ids[NCLOCKS] = { CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_BOOTTIME };
	for (int i = 0; i < NCLOCKS; i++)
		v[i] = (struct exo_fwd){ .nr = EXO_FWD_CLOCK_GETTIME,
					 .arg = { ids[i], exo_gpa(&ts[i]) } };
	b = (struct exo_hc_forward){ .vec_gpa = exo_gpa(v), .count = NCLOCKS,
				     .flags = EXO_FWD_F_STOP };
	uint64_t tsc = exo_rdtsc();
	if (exo_hypercall(EXO_HC_FORWARD, &b) != NCLOCKS || v[NCLOCKS - 1].ret < 0)
		return -1;
	clk.tsc0 = tsc / 2 + exo_rdtsc() / 2; /* the middle of the exit */
	for (int i = 0; i < NCLOCKS; i++)
		clk.base[i] = (uint64_t)ts[i].sec * NS + (uint64_t)ts[i].nsec;
	clk.ready = 1;
	return 0;
}

/* Clock k now, in ns; 0 where this guest cannot serve it. */
static uint64_t now(int k)
{
	uint64_t khz = exo_page()->tsc_khz;
	if (!khz)
		return 0;
	uint64_t ticks = exo_rdtsc() - clk.tsc0;
	if (!clk.ready || ticks > khz * 1000) {
		if (sync_clocks() < 0)
			return 0;
		ticks = exo_rdtsc() - clk.tsc0;
	}
	uint64_t t = clk.base[k] + ticks * 1000000 / khz;
	if (t < clk.last[k]) /* a sync corrected the TSC's estimate back */
		t = clk.last[k];
	return clk.last[k] = t;
}

/* The kept clock that serves clock id, or -1. */
static int kept(uint64_t id)
{
	switch (id) {
	case CLOCK_REALTIME: case CLOCK_REALTIME_COARSE: return REAL;
	case CLOCK_MONOTONIC: case CLOCK_MONOTONIC_COARSE: return MONO;
	case CLOCK_BOOTTIME: return BOOT;
	}
	return -1;
}

int64_t sys_clock_gettime(struct shim_call *c)
{
	int k = kept(c->a[0]);
	uint64_t t = k >= 0 ? now(k) : 0;
	if (t) {
		struct timespec64 ts = { (int64_t)(t / NS), (int64_t)(t % NS) };
		return shim_copy_out(c->a[1], &ts, sizeof ts) < 0 ? -EFAULT : 0;
	}
	uint64_t a[6] = { c->a[0] };
	return shim_fwd_out(EXO_FWD_CLOCK_GETTIME, a, 1, c->a[1], TIMESPEC_BYTES);
}

int64_t sys_clock_getres(struct shim_call *c)
{
	uint64_t a[6] = { c->a[0] };
	if (!c->a[1])
		return shim_fwd(EXO_FWD_CLOCK_GETRES, c->a[0], 0, 0, 0, 0, 0);
	return shim_fwd_out(EXO_FWD_CLOCK_GETRES, a, 1, c->a[1], TIMESPEC_BYTES);
}

int64_t sys_gettimeofday(struct shim_call *c)
{
	static const uint64_t no_zone[1]; /* minuteswest 0, dsttime 0 */
	if (c->a[1] && shim_copy_out(c->a[1], no_zone, sizeof no_zone) < 0)
		return -EFAULT;
	if (!c->a[0])
		return 0;
	uint64_t t = now(REAL);
	if (t) {
		struct timespec64 tv = { (int64_t)(t / NS), (int64_t)(t % NS / 1000) };
		return shim_copy_out(c->a[0], &tv, sizeof tv) < 0 ? -EFAULT : 0;
	}
	uint64_t a[6] = { 0 };
	return shim_fwd_out(EXO_FWD_GETTIMEOFDAY, a, 0, c->a[0], TIMESPEC_BYTES);
}

/* A sleep: the request copied in, the time left (if asked) copied out
 * when the host's sleep was interrupted. */
static int64_t sleep(uint64_t nr, uint64_t clock, uint64_t flags, uint64_t ureq, uint64_t urem)
{
	uint64_t gpa;
	uint8_t *s = shim_stage_struct(&gpa);
	if (shim_copy_in(s, ureq, TIMESPEC_BYTES) < 0)
		return -EFAULT;
	if (urem && shim_user_ok(urem, TIMESPEC_BYTES, VMA_WRITE) < 0)
		return -EFAULT;
	uint64_t rem = urem ? gpa + TIMESPEC_BYTES : 0;
	int64_t rc = nr == EXO_FWD_NANOSLEEP ? shim_fwd(nr, gpa, rem, 0, 0, 0, 0)
					     : shim_fwd(nr, clock, flags, gpa, rem, 0, 0);
	if (rc == -EINTR && urem)
		shim_copy_out(urem, s + TIMESPEC_BYTES, TIMESPEC_BYTES);
	return rc;
}

int64_t sys_nanosleep(struct shim_call *c)
{
	return sleep(EXO_FWD_NANOSLEEP, 0, 0, c->a[0], c->a[1]);
}

int64_t sys_clock_nanosleep(struct shim_call *c)
{
	return sleep(EXO_FWD_CLOCK_NANOSLEEP, c->a[0], c->a[1], c->a[2], c->a[3]);
}
