/* SPDX-License-Identifier: MIT */
/*
 * tests/posix/progs/time.c: clocks and sleeps (forwarded to the host).
 * Times are never printed, only how they relate: "ok" or what is wrong.
 */
#include "prog.h"
#include <sys/time.h>

static long long ns(const struct timespec *t)
{
	return t->tv_sec * 1000000000ll + t->tv_nsec;
}

static long long now(clockid_t c)
{
	struct timespec t;
	clock_gettime(c, &t);
	return ns(&t);
}

static void clocks_section(void)
{
	static const struct {
		clockid_t id;
		const char *name;
	} clocks[] = {
		{ CLOCK_REALTIME, "CLOCK_REALTIME" },
		{ CLOCK_MONOTONIC, "CLOCK_MONOTONIC" },
		{ CLOCK_PROCESS_CPUTIME_ID, "CLOCK_PROCESS_CPUTIME_ID" },
		{ CLOCK_THREAD_CPUTIME_ID, "CLOCK_THREAD_CPUTIME_ID" },
		{ CLOCK_MONOTONIC_RAW, "CLOCK_MONOTONIC_RAW" },
		{ CLOCK_REALTIME_COARSE, "CLOCK_REALTIME_COARSE" },
		{ CLOCK_MONOTONIC_COARSE, "CLOCK_MONOTONIC_COARSE" },
		{ CLOCK_BOOTTIME, "CLOCK_BOOTTIME" },
	};
	for (unsigned i = 0; i < sizeof clocks / sizeof clocks[0]; i++) {
		struct timespec t = { -1, -1 }, r = { -1, -1 };
		int rc = (int)syscall(SYS_clock_gettime, clocks[i].id, &t);
		int rr = (int)syscall(SYS_clock_getres, clocks[i].id, &r);
		printf("%s: gettime %d nsec-in-range %d positive %d getres %d res-ok %d\n", clocks[i].name,
		       rc, t.tv_nsec >= 0 && t.tv_nsec < 1000000000, t.tv_sec > 0 || t.tv_nsec > 0, rr,
		       r.tv_sec == 0 && r.tv_nsec > 0 && r.tv_nsec <= 10000000);
	}
	struct timespec t;
	SHOW("clock_gettime clock 99", syscall(SYS_clock_gettime, 99, &t));
	SHOW("clock_gettime bad pointer", syscall(SYS_clock_gettime, CLOCK_MONOTONIC, (void *)8));
	SHOW("clock_getres NULL", syscall(SYS_clock_getres, CLOCK_MONOTONIC, NULL));
	SHOW("clock_getres bad pointer", syscall(SYS_clock_getres, CLOCK_MONOTONIC, (void *)8));
	/* Monotonic never goes back. */
	long long prev = now(CLOCK_MONOTONIC), back = 0;
	for (int i = 0; i < 2000; i++) {
		long long n = now(CLOCK_MONOTONIC);
		back += n < prev;
		prev = n;
	}
	printf("monotonic went back %lld times in 2000 reads\n", back);
	/* The CPU clock moves when the program computes. */
	long long c0 = now(CLOCK_PROCESS_CPUTIME_ID);
	volatile unsigned long x = 0;
	for (unsigned long i = 0; i < 20000000; i++)
		x += i;
	long long c1 = now(CLOCK_PROCESS_CPUTIME_ID);
	CHECK("process CPU time advances", c1 > c0);
}

static void wall_section(void)
{
	struct timeval tv;
	struct timezone tz = { 99, 99 };
	SHOW("gettimeofday", gettimeofday(&tv, NULL));
	CHECK("tv_usec in range", tv.tv_usec >= 0 && tv.tv_usec < 1000000);
	SHOW("gettimeofday with a timezone", syscall(SYS_gettimeofday, &tv, &tz));
	printf("timezone: %d %d\n", tz.tz_minuteswest, tz.tz_dsttime);
	SHOW("gettimeofday NULL NULL", syscall(SYS_gettimeofday, NULL, NULL));
	SHOW("gettimeofday bad pointer", syscall(SYS_gettimeofday, (void *)8, NULL));
	SHOW("gettimeofday bad timezone pointer", syscall(SYS_gettimeofday, &tv, (void *)8));
	/* gettimeofday, time and CLOCK_REALTIME tell the same time. */
	struct timespec rt;
	clock_gettime(CLOCK_REALTIME, &rt);
	gettimeofday(&tv, NULL);
	time_t t = time(NULL);
	long long a = ns(&rt), b = tv.tv_sec * 1000000000ll + tv.tv_usec * 1000ll;
	CHECK("gettimeofday within 1 s of CLOCK_REALTIME", b >= a - 1000000000ll && b - a < 1000000000ll);
	CHECK("time() within 1 s", t >= rt.tv_sec && t - rt.tv_sec <= 1);
	CHECK("after 2020", rt.tv_sec > 1577836800);
	struct tm tm;
	CHECK("gmtime_r works", gmtime_r(&t, &tm) && tm.tm_year >= 120);
}

static void sleep_section(void)
{
	long long t0 = now(CLOCK_MONOTONIC);
	SHOW("nanosleep 20 ms", nanosleep(&(struct timespec){ 0, 20000000 }, NULL));
	long long d = now(CLOCK_MONOTONIC) - t0;
	printf("slept at least 20 ms: %s, under 2 s: %s\n", d >= 20000000 ? "ok" : "not ok",
	       d < 2000000000 ? "ok" : "not ok");
	struct timespec rem = { 5, 5 };
	SHOW("nanosleep 0 with rem", nanosleep(&(struct timespec){ 0, 0 }, &rem));
	SHOW("nanosleep bad nsec", nanosleep(&(struct timespec){ 0, 1000000000 }, NULL));
	SHOW("nanosleep negative", nanosleep(&(struct timespec){ -1, 0 }, NULL));
	SHOW("nanosleep bad pointer", syscall(SYS_nanosleep, (void *)8, NULL));
	t0 = now(CLOCK_MONOTONIC);
	printf("clock_nanosleep MONOTONIC 10 ms = %d\n",
	       clock_nanosleep(CLOCK_MONOTONIC, 0, &(struct timespec){ 0, 10000000 }, NULL));
	d = now(CLOCK_MONOTONIC) - t0;
	printf("slept at least 10 ms: %s\n", d >= 10000000 ? "ok" : "not ok");
	struct timespec until;
	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_nsec += 15000000;
	if (until.tv_nsec >= 1000000000) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000;
	}
	printf("clock_nanosleep TIMER_ABSTIME +15 ms = %d\n",
	       clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &until, NULL));
	CHECK("woke at or after the deadline", now(CLOCK_MONOTONIC) >= ns(&until));
	printf("clock_nanosleep past deadline = %d\n",
	       clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &(struct timespec){ 1, 0 }, NULL));
	printf("clock_nanosleep clock 99 = %s\n",
	       errname(clock_nanosleep(99, 0, &(struct timespec){ 0, 1 }, NULL)));
	printf("clock_nanosleep CPU clock = %s\n",
	       errname(clock_nanosleep(CLOCK_THREAD_CPUTIME_ID, 0, &(struct timespec){ 0, 1 }, NULL)));
	t0 = now(CLOCK_MONOTONIC);
	SHOW("usleep 5000", usleep(5000));
	CHECK("usleep slept", now(CLOCK_MONOTONIC) - t0 >= 5000000);
}

SECTIONS({ "clocks", clocks_section }, { "wall", wall_section }, { "sleep", sleep_section })
