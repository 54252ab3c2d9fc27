/* SPDX-License-Identifier: MIT */
/*
 * hv/kvm/files.c: a guest's descriptor table and the calls on descriptors.
 *
 * The table maps guest numbers 0..EXO_FWD_FDS-1 to host descriptors hv
 * holds, each with the guest's own close-on-exec flag. This file owns the
 * table's life (kvm_files_open, which also opens --root and the cwd for
 * paths.c, and kvm_files_close) and the calls that make, copy, close or
 * ask about descriptors: dup3, fcntl, pipe2, close, ioctl (and dup,
 * through kvm_dup_to). Every host descriptor hv makes is O_CLOEXEC, and
 * those it keeps sit above exo's own 0, 1 and 2 (kvm_high).
 *
 * The guest's initial 1 and 2, copies of exo's stdout and stderr, are
 * marked console descriptors, and so is every dup of them: with several
 * guests forward.c sends their writes through the console's prefixer
 * (console.c), so that a program's output is told apart from the others'.
 * A descriptor that takes another's number loses the mark.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "forward.h"

/* --- the descriptor table --- */

/* The host descriptor behind guest fd gfd (the kernel reads it as an
 * unsigned int), or -EBADF. */
int kvm_host_fd(const struct kvm_files *f, int64_t gfd)
{
	uint32_t n = (uint32_t)gfd;
	if (n >= EXO_FWD_FDS || f->fd[n] < 0)
		return -EBADF;
	return f->fd[n];
}

/* The lowest free guest number at or above from, or -EMFILE. */
int kvm_lowest_free(const struct kvm_files *f, uint32_t from)
{
	for (uint32_t n = from; n < EXO_FWD_FDS; n++)
		if (f->fd[n] < 0)
			return (int)n;
	return -EMFILE;
}

/* Give host descriptor h the lowest free guest number at or above from;
 * on failure h is closed. */
int64_t kvm_install(struct kvm_files *f, int h, uint32_t from, int cloexec)
{
	int n = kvm_lowest_free(f, from);
	h = kvm_high(h);
	if (h < 0 || n < 0) {
		if (h >= 0)
			close(h);
		return h < 0 ? h : n;
	}
	f->fd[n] = h;
	f->cloexec[n] = cloexec != 0;
	f->console[n] = 0;
	return n;
}

int64_t kvm_dup_to(struct kvm_files *f, int64_t gfd, uint32_t from, int cloexec)
{
	int h = kvm_host_fd(f, gfd);
	if (h < 0)
		return h;
	if (kvm_lowest_free(f, from) < 0)
		return -EMFILE;
	int d = fcntl(h, F_DUPFD_CLOEXEC, 3);
	if (d < 0)
		return -errno;
	int64_t n = kvm_install(f, d, from, cloexec);
	if (n >= 0)
		f->console[n] = f->console[(uint32_t)gfd];
	return n;
}

/* --- the table's life --- */

int kvm_files_open(struct kvm_files *f, const char *root)
{
	f->root = f->cwd = -1;
	for (unsigned i = 0; i < EXO_FWD_FDS; i++)
		f->fd[i] = -1;
	memset(f->cloexec, 0, sizeof f->cloexec);
	memset(f->console, 0, sizeof f->console);
	int r = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (r < 0) {
		int err = errno;
		return kvm_fail(HV_STATUS_USAGE, "--root %s: %s", root,
				err == ENOENT ? "no such directory" :
				err == ENOTDIR ? "not a directory" : strerror(err));
	}
	if ((f->root = kvm_high(r)) < 0 || !realpath(root, f->root_path)) {
		int err = errno;
		kvm_files_close(f);
		return kvm_fail(HV_STATUS_HOST, "--root %s: %s", root, strerror(err));
	}
	/* The guest starts in its "/". */
	if ((f->cwd = fcntl(f->root, F_DUPFD_CLOEXEC, 3)) < 0) {
		int err = errno;
		kvm_files_close(f);
		return kvm_fail(HV_STATUS_HOST, "--root %s: %s", root, strerror(err));
	}
	/* Confinement needs openat2 and faccessat2 (Linux 5.8): say so now
	 * rather than fail every path the guest names. */
	int probe = kvm_in_root(f, "/", O_PATH | O_DIRECTORY, 0), err = 0;
	if (probe < 0)
		err = -probe;
	else {
		if (syscall(SYS_faccessat2, probe, "", F_OK, AT_EMPTY_PATH) < 0)
			err = errno;
		close(probe);
	}
	if (err) {
		kvm_files_close(f);
		return kvm_fail(HV_STATUS_HOST, "--root %s: %s", root, err == ENOSYS ?
				"cannot confine paths to it: no openat2 or "
				"faccessat2 here (Linux 5.8 has both)" : strerror(err));
	}
	/* Relative paths need the kernel to name directories under the root. */
	char slash[2];
	if (kvm_guest_path(f, f->root, slash, sizeof slash) < 0) {
		kvm_files_close(f);
		return kvm_fail(HV_STATUS_HOST, "--root %s: cannot find it through "
				"/proc/self/fd (is /proc mounted?)", root);
	}
	for (int i = 0; i < 3; i++) {
		int h = fcntl(i, F_DUPFD_CLOEXEC, 3);
		if (h < 0 && errno == EBADF)
			continue; /* exo's own is closed: so is the guest's */
		if (h < 0) {
			err = errno;
			kvm_files_close(f);
			return kvm_fail(HV_STATUS_HOST, "descriptor %d: %s", i, strerror(err));
		}
		f->fd[i] = h;
		f->console[i] = (uint8_t)i; /* 0 is no stream */
	}
	return 0;
}

void kvm_files_close(struct kvm_files *f)
{
	for (unsigned i = 0; i < EXO_FWD_FDS; i++) {
		if (f->fd[i] >= 0)
			close(f->fd[i]);
		f->fd[i] = -1;
		f->console[i] = 0;
	}
	if (f->cwd >= 0)
		close(f->cwd);
	if (f->root >= 0)
		close(f->root);
	f->root = f->cwd = -1;
}

/* --- calls on descriptors --- */

int64_t kvm_fwd_dup3(struct kvm_files *f, const struct hv_fwd *c)
{
	int flags = (int)c->arg[2];
	uint32_t new = (uint32_t)c->arg[1];
	if (flags & ~O_CLOEXEC)
		return -EINVAL;
	if ((uint32_t)c->arg[0] == new)
		return -EINVAL;
	if (new >= EXO_FWD_FDS)
		return -EBADF;
	int h = kvm_host_fd(f, c->arg[0]);
	if (h < 0)
		return h;
	int d = fcntl(h, F_DUPFD_CLOEXEC, 3);
	if (d < 0)
		return -errno;
	if (f->fd[new] >= 0)
		close(f->fd[new]);
	f->fd[new] = d;
	f->cloexec[new] = (flags & O_CLOEXEC) != 0;
	f->console[new] = f->console[(uint32_t)c->arg[0]];
	return new;
}

int64_t kvm_fwd_fcntl(struct kvm_files *f, const struct hv_fwd *c)
{
	uint32_t n = (uint32_t)c->arg[0];
	int cmd = (int)c->arg[1];
	int h = kvm_host_fd(f, c->arg[0]);
	if (h < 0)
		return h;
	switch (cmd) {
	case F_DUPFD:
	case F_DUPFD_CLOEXEC:
		if ((uint32_t)c->arg[2] >= EXO_FWD_FDS)
			return -EINVAL;
		return kvm_dup_to(f, c->arg[0], (uint32_t)c->arg[2], cmd == F_DUPFD_CLOEXEC);
	/* Close-on-exec is the guest's own flag: there is no exec, and the
	 * host descriptor is always close-on-exec. */
	case F_GETFD:
		return f->cloexec[n] ? FD_CLOEXEC : 0;
	case F_SETFD:
		f->cloexec[n] = (c->arg[2] & FD_CLOEXEC) != 0;
		return 0;
	case F_GETFL:
		return kvm_sys(syscall(SYS_fcntl, h, F_GETFL));
	case F_SETFL:
		/* O_ASYNC on a terminal would aim SIGIO at exo itself. */
		if (c->arg[2] & O_ASYNC)
			return -EINVAL;
		return kvm_sys(syscall(SYS_fcntl, h, F_SETFL, (long)(int)c->arg[2]));
	case F_GETLK:
	case F_SETLK:
	case F_SETLKW:
	case F_OFD_GETLK:
	case F_OFD_SETLK:
	case F_OFD_SETLKW:
		if (!c->ptr[2] || c->len[2] < FLOCK_BYTES)
			return -EFAULT;
		return kvm_sys(syscall(SYS_fcntl, h, cmd, c->ptr[2]));
	}
	return -EINVAL;
}

int64_t kvm_fwd_pipe2(struct kvm_files *f, const struct hv_fwd *c)
{
	int p[2], *out = c->ptr[0];
	if (!out || c->len[0] < sizeof p)
		return -EFAULT;
	if (pipe2(p, (int)c->arg[1] | O_CLOEXEC) < 0)
		return -errno;
	int a = (int)kvm_install(f, p[0], 0, c->arg[1] & O_CLOEXEC);
	if (a < 0) {
		close(p[1]);
		return a;
	}
	int b = (int)kvm_install(f, p[1], 0, c->arg[1] & O_CLOEXEC);
	if (b < 0) {
		close(f->fd[a]);
		f->fd[a] = -1;
		return b;
	}
	out[0] = a;
	out[1] = b;
	return 0;
}

int64_t kvm_fwd_close(struct kvm_files *f, const struct hv_fwd *c)
{
	int h = kvm_host_fd(f, c->arg[0]);
	if (h < 0)
		return h;
	f->fd[(uint32_t)c->arg[0]] = -1; /* free whatever close says, as Linux */
	f->console[(uint32_t)c->arg[0]] = 0;
	return kvm_sys(close(h));
}

int64_t kvm_fwd_ioctl(int h, const struct hv_fwd *c)
{
	unsigned long req = (unsigned long)(uint32_t)c->arg[1];
	uint64_t need = req == TCGETS ? TERMIOS_BYTES : req == TIOCGWINSZ ? WINSIZE_BYTES : 0;
	if (!need)
		return -ENOTTY;
	if (!c->ptr[2] || c->len[2] < need)
		return -EFAULT;
	return kvm_sys(syscall(SYS_ioctl, h, req, c->ptr[2]));
}
