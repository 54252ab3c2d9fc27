/* SPDX-License-Identifier: MIT */
/*
 * hv/kvm/forward.c: the host side of EXO_HC_FORWARD on kvm, and which host
 * call each forwarded call becomes.
 *
 * hv/core/forward.c has decided which calls run at all and copied or
 * checked every argument; hv/kvm decides what each call may touch on the
 * host. This file dispatches: a call on one guest descriptor that needs no
 * more than its host descriptor (read, write, fstat...) is made here, the
 * calls that change the descriptor table are files.c's, the calls that
 * name a path are paths.c's (which confines them under --root), and the
 * calls that touch nothing of the guest's (time, randomness, identity) are
 * answered here. It also holds the helpers the three share.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "forward.h"

/* --- shared with files.c and paths.c --- */

int64_t kvm_sys(long rc)
{
	return rc < 0 ? -errno : rc;
}

/* Move a descriptor hv keeps above 0-2: were exo started with one of them
 * closed, a guest's file must not become exo's stdout or stderr. */
int kvm_high(int fd)
{
	if (fd < 0 || fd > 2)
		return fd;
	int h = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	int err = errno;
	close(fd);
	return h < 0 ? -err : h;
}

/* --- time, randomness, identity --- */

static int64_t do_uname(const struct hv_fwd *c)
{
	char *u = c->ptr[0];
	if (!u || c->len[0] < UTSNAME_BYTES)
		return -EFAULT;
	if (syscall(SYS_uname, u) < 0)
		return -errno;
	/* The host's name is not the guest's business. */
	memset(u + UTS_FIELD, 0, UTS_FIELD);
	memcpy(u + UTS_FIELD, "exo", 4);
	return 0;
}

/* A required struct argument i of at least n bytes. */
static int has(const struct hv_fwd *c, unsigned i, uint64_t n)
{
	return c->ptr[i] && c->len[i] >= n;
}

/* An optional one: absent, or at least n bytes. */
static int opt(const struct hv_fwd *c, unsigned i, uint64_t n)
{
	return !c->ptr[i] || c->len[i] >= n;
}

int64_t hv_plat_forward(struct hv_guest *g, const struct hv_fwd *c)
{
	struct kvm_guest *k = g->plat;
	struct kvm_files *f = &k->files;
	const int64_t *a = c->arg;
	int h = -1;

	/* Calls on one guest descriptor: find the host's first. */
	switch (c->nr) {
	case EXO_FWD_READ: case EXO_FWD_WRITE: case EXO_FWD_PREAD64:
	case EXO_FWD_PWRITE64: case EXO_FWD_LSEEK: case EXO_FWD_FSTAT:
	case EXO_FWD_GETDENTS64: case EXO_FWD_FSYNC: case EXO_FWD_FDATASYNC:
	case EXO_FWD_FTRUNCATE: case EXO_FWD_FCHMOD: case EXO_FWD_IOCTL:
	case EXO_FWD_DUP:
		if ((h = kvm_host_fd(f, a[0])) < 0)
			return h;
	}

	switch (c->nr) {
	case EXO_FWD_READ:
		return kvm_sys(syscall(SYS_read, h, c->ptr[1], c->len[1]));
	case EXO_FWD_WRITE:
		/* exo's own stdout or stderr, with several guests (by lines,
		 * prefixed) or on a terminal (control bytes escaped). Like a
		 * stream's buffer, it takes all. */
		if (f->console[(uint32_t)a[0]] &&
		    (kvm_out_several() || kvm_out_tty(f->console[(uint32_t)a[0]]))) {
			kvm_out_write(k, f->console[(uint32_t)a[0]], c->ptr[1], c->len[1]);
			return (int64_t)c->len[1];
		}
		return kvm_sys(syscall(SYS_write, h, c->ptr[1], c->len[1]));
	case EXO_FWD_PREAD64:
		return kvm_sys(syscall(SYS_pread64, h, c->ptr[1], c->len[1], a[3]));
	case EXO_FWD_PWRITE64:
		return kvm_sys(syscall(SYS_pwrite64, h, c->ptr[1], c->len[1], a[3]));
	case EXO_FWD_LSEEK:
		return kvm_sys(syscall(SYS_lseek, h, a[1], (unsigned)a[2]));
	case EXO_FWD_FSTAT:
		return has(c, 1, STAT_BYTES) ? kvm_sys(syscall(SYS_fstat, h, c->ptr[1])) : -EFAULT;
	case EXO_FWD_GETDENTS64:
		return kvm_sys(syscall(SYS_getdents64, h, c->ptr[1], (unsigned)c->len[1]));
	case EXO_FWD_FSYNC:
		return kvm_sys(fsync(h));
	case EXO_FWD_FDATASYNC:
		return kvm_sys(fdatasync(h));
	case EXO_FWD_FTRUNCATE:
		return kvm_sys(syscall(SYS_ftruncate, h, a[1]));
	case EXO_FWD_FCHMOD:
		return kvm_sys(syscall(SYS_fchmod, h, (mode_t)a[1]));
	case EXO_FWD_IOCTL:
		return kvm_fwd_ioctl(h, c);
	case EXO_FWD_DUP:
		return kvm_dup_to(f, a[0], 0, 0);
	case EXO_FWD_CLOSE:
		return kvm_fwd_close(f, c);
	case EXO_FWD_DUP3:
		return kvm_fwd_dup3(f, c);
	case EXO_FWD_FCNTL:
		return kvm_fwd_fcntl(f, c);
	case EXO_FWD_PIPE2:
		return kvm_fwd_pipe2(f, c);

	case EXO_FWD_OPENAT:
		return kvm_fwd_openat(f, c);
	case EXO_FWD_MKDIRAT:
		return kvm_fwd_mkdirat(f, c);
	case EXO_FWD_UNLINKAT:
		return kvm_fwd_unlinkat(f, c);
	case EXO_FWD_RENAMEAT:
		return kvm_fwd_renameat2(f, c, 0);
	case EXO_FWD_RENAMEAT2:
		return kvm_fwd_renameat2(f, c, (unsigned)a[4]);
	case EXO_FWD_READLINKAT:
		return kvm_fwd_readlinkat(f, c);
	case EXO_FWD_NEWFSTATAT:
		return kvm_fwd_newfstatat(f, c);
	case EXO_FWD_STATX:
		return kvm_fwd_statx(f, c);
	case EXO_FWD_FACCESSAT:
		return kvm_fwd_faccessat(f, c, 0);
	case EXO_FWD_FACCESSAT2:
		return kvm_fwd_faccessat(f, c, (int)a[3]);
	case EXO_FWD_FCHMODAT:
		return kvm_fwd_fchmodat(f, c);
	case EXO_FWD_UTIMENSAT:
		return kvm_fwd_utimensat(f, c);
	case EXO_FWD_CHDIR:
		return kvm_fwd_chdir(f, c);
	case EXO_FWD_FCHDIR:
		return kvm_fwd_fchdir(f, c);
	case EXO_FWD_GETCWD:
		return kvm_fwd_getcwd(f, c);

	case EXO_FWD_CLOCK_GETTIME:
		return has(c, 1, TIMESPEC_BYTES) ?
		       kvm_sys(syscall(SYS_clock_gettime, (int)a[0], c->ptr[1])) : -EFAULT;
	case EXO_FWD_CLOCK_GETRES:
		return opt(c, 1, TIMESPEC_BYTES) ?
		       kvm_sys(syscall(SYS_clock_getres, (int)a[0], c->ptr[1])) : -EFAULT;
	case EXO_FWD_GETTIMEOFDAY:
		return opt(c, 0, 16) && opt(c, 1, 8) ?
		       kvm_sys(syscall(SYS_gettimeofday, c->ptr[0], c->ptr[1])) : -EFAULT;
	case EXO_FWD_NANOSLEEP:
		return has(c, 0, TIMESPEC_BYTES) && opt(c, 1, TIMESPEC_BYTES) ?
		       kvm_sys(syscall(SYS_nanosleep, c->ptr[0], c->ptr[1])) : -EFAULT;
	case EXO_FWD_CLOCK_NANOSLEEP:
		return has(c, 2, TIMESPEC_BYTES) && opt(c, 3, TIMESPEC_BYTES) ?
		       kvm_sys(syscall(SYS_clock_nanosleep, (int)a[0], (int)a[1], c->ptr[2],
				   c->ptr[3])) : -EFAULT;
	case EXO_FWD_GETRANDOM:
		return kvm_sys(syscall(SYS_getrandom, c->ptr[0], c->len[0], (unsigned)a[2]));
	case EXO_FWD_UNAME:
		return do_uname(c);
	case EXO_FWD_GETPID:
		return getpid();
	case EXO_FWD_GETPPID:
		return getppid();
	case EXO_FWD_GETUID:
		return getuid();
	case EXO_FWD_GETEUID:
		return geteuid();
	case EXO_FWD_GETGID:
		return getgid();
	case EXO_FWD_GETEGID:
		return getegid();
	case EXO_FWD_GETPGRP:
		return getpgrp();
	}
	return -ENOSYS;
}
