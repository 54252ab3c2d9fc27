/* SPDX-License-Identifier: MIT */
/*
 * posix-shim/lfd.c: descriptors the shim serves itself (proc.c's files).
 *
 * hv owns the descriptor table: it gives out the numbers, and dup, dup2
 * and close act on it. A file the shim serves holds its number there with
 * a placeholder, the read end of a pipe whose write end is closed, so
 * that hv hands out numbers, moves them and frees them exactly as for any
 * other file, and a call the shim does not take over here (fchmod,
 * getdents64, fsync, locks, ...) reaches a pipe, harmlessly, and gets a
 * pipe's error. The shim keeps which local file each number is; the file
 * (its position and status flags) is shared by dups, as an open file
 * description is.
 *
 * Taken over here: transfers (forward.c's xfer, so read, pread64, readv
 * and the rest keep their user-pointer rules), close, lseek, fstat and
 * the AT_EMPTY_PATH forms of newfstatat and statx, fcntl's F_GETFL and
 * F_SETFL, the dups (forwarded on the placeholder, then recorded), and
 * mmap (-ENODEV, as procfs).
 */
#include "shim.h"

#define LFILES_MAX 32u
#define O_ACCMODE 3
#define O_WRONLY 1
#define O_RDWR 2
#define O_NONBLOCK 04000
#define O_CLOEXEC 02000000
#define F_DUPFD 0
#define F_GETFL 3
#define F_SETFL 4
#define F_DUPFD_CLOEXEC 1030
#define SEEK_SET 0
#define SEEK_CUR 1
#define AT_EMPTY_PATH 0x1000
#define S_IFREG 0100000

struct lfile {
	const struct shim_lfile_ops *ops;
	uint64_t pos;
	uint32_t flags; /* the access mode and O_NONBLOCK, as F_GETFL says */
	uint32_t refs;  /* descriptors that name it; 0: free */
};

static struct lfile files[LFILES_MAX];
static uint8_t slot_of[EXO_FWD_FDS]; /* 1 + the file behind a number, 0: none */
static unsigned nlocal;              /* numbers with a file, for the fast check */

int shim_lfd_is(uint64_t fd)
{
	return nlocal && fd < EXO_FWD_FDS && slot_of[fd];
}

static struct lfile *file_of(uint64_t fd)
{
	return &files[slot_of[fd] - 1];
}

static void name(uint64_t fd, unsigned slot)
{
	if (fd >= EXO_FWD_FDS)
		return;
	if (slot_of[fd]) {
		files[slot_of[fd] - 1].refs--;
		nlocal--;
	}
	slot_of[fd] = (uint8_t)slot;
	if (slot) {
		files[slot - 1].refs++;
		nlocal++;
	}
}

int64_t shim_lfd_open(const struct shim_lfile_ops *ops, uint64_t flags)
{
	unsigned slot = 0;
	while (slot < LFILES_MAX && files[slot].refs)
		slot++;
	if (slot == LFILES_MAX)
		return -ENFILE;
	uint64_t gpa;
	int32_t *fds = shim_stage_struct(&gpa);
	int64_t rc = shim_fwd(EXO_FWD_PIPE2, gpa, flags & O_CLOEXEC, 0, 0, 0, 0);
	if (rc < 0)
		return rc;
	int32_t fd = fds[0];
	shim_fwd(EXO_FWD_CLOSE, (uint64_t)fds[1], 0, 0, 0, 0, 0);
	files[slot] = (struct lfile){ ops, 0, (uint32_t)flags & (O_ACCMODE | O_NONBLOCK), 0 };
	name((uint64_t)fd, slot + 1);
	return fd;
}

int64_t shim_lfd_io(uint64_t fd, int write, uint8_t *buf, uint64_t n, int64_t off)
{
	struct lfile *f = file_of(fd);
	uint32_t mode = f->flags & O_ACCMODE;
	if (write ? mode == 0 : mode == O_WRONLY)
		return -EBADF;
	uint64_t at = off < 0 ? f->pos : (uint64_t)off;
	int64_t rc = write ? (f->ops->write ? f->ops->write(buf, n) : -EINVAL)
			   : (f->ops->read ? f->ops->read(buf, n, at) : -EINVAL);
	if (rc > 0 && off < 0 && !write)
		f->pos += (uint64_t)rc;
	return rc;
}

/* struct stat (x86-64, 144 bytes) or struct statx (256) of a local file. */
static void stat_of(const struct lfile *f, uint8_t *st, int statx)
{
	uint32_t mode = S_IFREG | f->ops->mode, nlink = 1, blksize = 1024;
	uint32_t uid = (uint32_t)shim_fwd(EXO_FWD_GETUID, 0, 0, 0, 0, 0, 0);
	uint32_t gid = (uint32_t)shim_fwd(EXO_FWD_GETGID, 0, 0, 0, 0, 0, 0);
	uint64_t ino = f->ops->ino;
	if (statx) {
		memset(st, 0, 256);
		uint32_t mask = 0x7ff; /* STATX_BASIC_STATS */
		uint16_t m16 = (uint16_t)mode;
		memcpy(st + 0, &mask, 4);
		memcpy(st + 4, &blksize, 4);
		memcpy(st + 16, &nlink, 4);
		memcpy(st + 20, &uid, 4);
		memcpy(st + 24, &gid, 4);
		memcpy(st + 28, &m16, 2);
		memcpy(st + 32, &ino, 8);
		return;
	}
	memset(st, 0, 144);
	uint64_t nlink64 = nlink, blksize64 = blksize;
	memcpy(st + 8, &ino, 8);
	memcpy(st + 16, &nlink64, 8);
	memcpy(st + 24, &mode, 4);
	memcpy(st + 28, &uid, 4);
	memcpy(st + 32, &gid, 4);
	memcpy(st + 56, &blksize64, 8);
}

static int64_t stat_out(uint64_t fd, uint64_t user, int statx)
{
	static uint8_t st[256];
	stat_of(file_of(fd), st, statx);
	return shim_copy_out(user, st, statx ? 256 : 144);
}

static int64_t seek(struct lfile *f, int64_t off, uint64_t whence)
{
	int64_t to;
	if (whence == SEEK_SET)
		to = off;
	else if (whence == SEEK_CUR && !__builtin_add_overflow((int64_t)f->pos, off, &to))
		;
	else
		return -EINVAL; /* SEEK_END and the rest: procfs has no size */
	if (to < 0)
		return -EINVAL;
	f->pos = (uint64_t)to;
	return to;
}

/* After a forwarded dup of old that gave number rc (or replaced new):
 * what rc names now. */
static int64_t duped(uint64_t old, int64_t rc)
{
	if (rc >= 0)
		name((uint64_t)rc, shim_lfd_is(old) ? slot_of[old] : 0);
	return rc;
}

int shim_lfd_call(uint64_t nr, struct shim_call *c, int64_t *ret)
{
	const uint64_t *a = c->a;
	uint64_t fd = (uint32_t)a[0];
	if (!nlocal)
		return 0;
	switch (nr) {
	case 3: /* close */
		if (!shim_lfd_is(fd))
			return 0;
		*ret = shim_fwd(EXO_FWD_CLOSE, fd, 0, 0, 0, 0, 0);
		if (*ret >= 0)
			name(fd, 0);
		return 1;
	case 5: /* fstat */
		if (!shim_lfd_is(fd))
			return 0;
		*ret = stat_out(fd, a[1], 0);
		return 1;
	case 262: /* newfstatat(fd, "", st, AT_EMPTY_PATH) */
	case 332: /* statx(fd, "", AT_EMPTY_PATH, mask, buf) */
		if (!shim_lfd_is(fd) || !((nr == 262 ? a[3] : a[2]) & AT_EMPTY_PATH))
			return 0;
		{
			char first;
			if (shim_copy_in(&first, a[1], 1) < 0 || first)
				return 0; /* a path: relative to a pipe, ENOTDIR from the host */
		}
		*ret = stat_out(fd, nr == 262 ? a[2] : a[4], nr == 332);
		return 1;
	case 8: /* lseek */
		if (!shim_lfd_is(fd))
			return 0;
		*ret = seek(file_of(fd), (int64_t)a[1], a[2]);
		return 1;
	case 9: /* mmap */
		if (a[3] & 0x20 /* MAP_ANONYMOUS */ || !shim_lfd_is((uint32_t)a[4]))
			return 0;
		*ret = -ENODEV;
		return 1;
	case 72: /* fcntl */
		if (!shim_lfd_is(fd))
			return 0;
		if (a[1] == F_GETFL) {
			*ret = file_of(fd)->flags;
			return 1;
		}
		if (a[1] == F_SETFL) {
			struct lfile *f = file_of(fd);
			f->flags = (f->flags & ~(uint32_t)O_NONBLOCK) | ((uint32_t)a[2] & O_NONBLOCK);
			*ret = 0;
			return 1;
		}
		if (a[1] == F_DUPFD || a[1] == F_DUPFD_CLOEXEC) {
			*ret = duped(fd, shim_fwd(EXO_FWD_FCNTL, fd, a[1], a[2], 0, 0, 0));
			return 1;
		}
		return 0; /* F_GETFD, F_SETFD: the placeholder's own flag */
	case 32: /* dup */
		if (!shim_lfd_is(fd))
			return 0;
		*ret = duped(fd, shim_fwd(EXO_FWD_DUP, fd, 0, 0, 0, 0, 0));
		return 1;
	case 33: /* dup2 */
	case 292: /* dup3 */
		if (!shim_lfd_is(fd) && !shim_lfd_is((uint32_t)a[1]))
			return 0;
		if (nr == 33 && fd == (uint32_t)a[1]) {
			*ret = (int64_t)fd;
			return 1;
		}
		*ret = shim_fwd(EXO_FWD_DUP3, fd, a[1], nr == 292 ? a[2] : 0, 0, 0, 0);
		duped(fd, *ret);
		return 1;
	}
	return 0;
}
