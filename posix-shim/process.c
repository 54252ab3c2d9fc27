/* SPDX-License-Identifier: MIT */
/*
 * posix-shim/process.c: the calls about the process itself.
 *
 * One process with one thread: its id is the host process's (hv's), its
 * thread id the same, as for any single-threaded Linux process. Resource
 * limits answer with what the guest really has: an 8 MiB stack, EXO_FWD_FDS
 * descriptors, --mem bytes of memory; setting one is remembered and read
 * back, but lowering it does not shrink anything.
 */
#include "shim.h"

#define ARCH_SET_GS 0x1001
#define ARCH_SET_FS 0x1002
#define ARCH_GET_FS 0x1003
#define ARCH_GET_GS 0x1004
#define MSR_FS_BASE 0xc0000100u
#define RLIM_NLIMITS 16
#define RLIMIT_DATA 2
#define RLIMIT_STACK 3
#define RLIMIT_NOFILE 7
#define RLIMIT_AS 9
#define RLIM_INFINITY (~0ull)

static uint64_t fs_base;
static uint64_t umask_bits = 022;

int64_t sys_exit_group(struct shim_call *c)
{
	shim_exit((int)(c->a[0] & 0xff), 0);
}

int64_t sys_exit(struct shim_call *c)
{
	return sys_exit_group(c); /* the only thread */
}

int64_t sys_arch_prctl(struct shim_call *c)
{
	switch (c->a[0]) {
	case ARCH_SET_FS:
		if (c->a[1] >= VM_USER_MAX)
			return -EPERM; /* not canonical in the lower half */
		fs_base = c->a[1];
		shim_wrmsr(MSR_FS_BASE, fs_base);
		return 0;
	case ARCH_GET_FS:
		return shim_copy_out(c->a[1], &fs_base, sizeof fs_base) < 0 ? -EFAULT : 0;
	case ARCH_SET_GS:
	case ARCH_GET_GS:
		return -EINVAL; /* GS base is not the program's to change here */
	}
	return -EINVAL;
}

int64_t sys_set_tid_address(struct shim_call *c)
{
	(void)c;
	return (int64_t)shim_pid;
}

/* The host's pid, asked once at start: a collector asks at every
 * collection whether it has forked. */
int64_t sys_getpid(struct shim_call *c)
{
	(void)c;
	return (int64_t)shim_pid;
}

int64_t sys_gettid(struct shim_call *c)
{
	(void)c;
	return (int64_t)shim_pid;
}

int64_t sys_set_robust_list(struct shim_call *c)
{
	return c->a[1] == 24 ? 0 : -EINVAL; /* no other thread to wake */
}

int64_t sys_sched_yield(struct shim_call *c)
{
	(void)c;
	return 0;
}

/* hv creates files with exactly the mode it is given (it runs with umask
 * 0): the program's umask is applied here, in path.c. */
int64_t sys_umask(struct shim_call *c)
{
	uint64_t old = umask_bits;
	umask_bits = c->a[0] & 0777;
	return (int64_t)old;
}

uint64_t shim_umask(void)
{
	return umask_bits;
}

/* musl's getpgrp() is getpgid(0). */
int64_t sys_getpgid(struct shim_call *c)
{
	if (c->a[0] && c->a[0] != shim_pid)
		return -ESRCH;
	return shim_fwd(EXO_FWD_GETPGRP, 0, 0, 0, 0, 0, 0);
}

struct rlimit {
	uint64_t cur, max;
};

static struct rlimit limits[RLIM_NLIMITS];
static int limits_ready;

static struct rlimit *limit(uint64_t res)
{
	if (!limits_ready) {
		uint64_t mem = exo_page()->mem_cap_frames * VM_PAGE;
		for (unsigned i = 0; i < RLIM_NLIMITS; i++)
			limits[i] = (struct rlimit){ RLIM_INFINITY, RLIM_INFINITY };
		limits[RLIMIT_STACK] = (struct rlimit){ SHIM_STACK_BYTES, SHIM_STACK_BYTES };
		limits[RLIMIT_NOFILE] = (struct rlimit){ EXO_FWD_FDS, EXO_FWD_FDS };
		limits[RLIMIT_AS] = limits[RLIMIT_DATA] = (struct rlimit){ mem, mem };
		limits_ready = 1;
	}
	return res < RLIM_NLIMITS ? &limits[res] : NULL;
}

static int64_t prlimit(uint64_t res, uint64_t unew, uint64_t uold)
{
	struct rlimit *l = limit(res), n;
	if (!l)
		return -EINVAL;
	if (unew && shim_copy_in(&n, unew, sizeof n) < 0)
		return -EFAULT;
	if (unew && (n.cur > n.max || n.max > l->max))
		return n.cur > n.max ? -EINVAL : -EPERM;
	if (uold && shim_copy_out(uold, l, sizeof *l) < 0)
		return -EFAULT;
	if (unew)
		*l = n;
	return 0;
}

int64_t sys_prlimit64(struct shim_call *c)
{
	if (c->a[0] && c->a[0] != shim_pid)
		return -ESRCH;
	return prlimit(c->a[1], c->a[2], c->a[3]);
}

int64_t sys_getrlimit(struct shim_call *c)
{
	return prlimit(c->a[0], 0, c->a[1]);
}

int64_t sys_setrlimit(struct shim_call *c)
{
	return prlimit(c->a[0], c->a[1], 0);
}
