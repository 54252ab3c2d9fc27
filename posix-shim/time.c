/*
 * posix-shim/time.c: the clock and sleep calls, forwarded to hv.
 *
 * The host's clocks are the program's clocks: CLOCK_REALTIME must agree
 * with the files it stamps, and sleeping is the host's to do.
 */
#include "shim.h"

#define TIMESPEC_BYTES 16

int64_t sys_clock_gettime(struct shim_call *c)
{
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
