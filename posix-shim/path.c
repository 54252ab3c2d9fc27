/* SPDX-License-Identifier: MIT */
/*
 * posix-shim/path.c: the calls that name files, forwarded to hv.
 *
 * Paths are copied out of the program into the stage and sent as they
 * are: hv resolves them under --root, which it treats as "/", and refuses
 * whatever would leave it. The old-style calls (open, stat, mkdir, ...)
 * become their *at forms relative to the working directory, which is all
 * the kernel does with them either.
 */
#include "shim.h"

#define AT_FDCWD ((uint64_t)-100)
#define AT_SYMLINK_NOFOLLOW 0x100
#define AT_REMOVEDIR 0x200
#define O_WRONLY 01
#define O_CREAT 0100
#define O_TRUNC 01000
#define STAT_BYTES 144
#define STATX_BYTES 256

/* Path uva into stage slot i; its GPA in *gpa. */
static int64_t path(int i, uint64_t uva, uint64_t *gpa)
{
	char *p = shim_stage_path(i);
	int64_t n = shim_string_in(p, uva, EXO_FWD_PATH_MAX);
	if (n < 0)
		return n;
	*gpa = shim_stage_gpa(p);
	return 0;
}

#define PATH(i, uva, gpa) \
	do { \
		int64_t e_ = path(i, uva, &(gpa)); \
		if (e_ < 0) \
			return e_; \
	} while (0)

#define O_TMPFILE (020000000 | 0200000)

static int64_t openat(uint64_t dirfd, uint64_t upath, uint64_t flags, uint64_t mode)
{
	uint64_t p;
	int64_t local;
	PATH(0, upath, p);
	if (shim_proc_open(shim_stage_path(0), flags, &local)) /* the program's own /proc */
		return local;
	if ((flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE)
		mode &= ~shim_umask();
	return shim_fwd(EXO_FWD_OPENAT, dirfd, p, flags, mode, 0, 0);
}

int64_t sys_openat(struct shim_call *c)
{
	return openat(c->a[0], c->a[1], c->a[2], c->a[3]);
}

int64_t sys_open(struct shim_call *c)
{
	return openat(AT_FDCWD, c->a[0], c->a[1], c->a[2]);
}

int64_t sys_creat(struct shim_call *c)
{
	return openat(AT_FDCWD, c->a[0], O_CREAT | O_WRONLY | O_TRUNC, c->a[1]);
}

static int64_t fstatat(uint64_t dirfd, uint64_t upath, uint64_t ust, uint64_t flags)
{
	uint64_t a[6] = { dirfd, 0, 0, flags };
	PATH(0, upath, a[1]);
	return shim_fwd_out(EXO_FWD_NEWFSTATAT, a, 2, ust, STAT_BYTES);
}

int64_t sys_newfstatat(struct shim_call *c)
{
	return fstatat(c->a[0], c->a[1], c->a[2], c->a[3]);
}

int64_t sys_stat(struct shim_call *c)
{
	return fstatat(AT_FDCWD, c->a[0], c->a[1], 0);
}

int64_t sys_lstat(struct shim_call *c)
{
	return fstatat(AT_FDCWD, c->a[0], c->a[1], AT_SYMLINK_NOFOLLOW);
}

int64_t sys_statx(struct shim_call *c)
{
	uint64_t a[6] = { c->a[0], 0, c->a[2], c->a[3] };
	PATH(0, c->a[1], a[1]);
	return shim_fwd_out(EXO_FWD_STATX, a, 4, c->a[4], STATX_BYTES);
}

/* A call of (dirfd, path, x, y) with nothing to copy back. */
static int64_t at_call(uint64_t nr, uint64_t dirfd, uint64_t upath, uint64_t x, uint64_t y)
{
	uint64_t p;
	PATH(0, upath, p);
	return shim_fwd(nr, dirfd, p, x, y, 0, 0);
}

int64_t sys_faccessat(struct shim_call *c)
{
	return at_call(EXO_FWD_FACCESSAT, c->a[0], c->a[1], c->a[2], 0);
}

int64_t sys_faccessat2(struct shim_call *c)
{
	return at_call(EXO_FWD_FACCESSAT2, c->a[0], c->a[1], c->a[2], c->a[3]);
}

int64_t sys_access(struct shim_call *c)
{
	return at_call(EXO_FWD_FACCESSAT, AT_FDCWD, c->a[0], c->a[1], 0);
}

int64_t sys_mkdirat(struct shim_call *c)
{
	return at_call(EXO_FWD_MKDIRAT, c->a[0], c->a[1], c->a[2] & ~shim_umask(), 0);
}

int64_t sys_mkdir(struct shim_call *c)
{
	return at_call(EXO_FWD_MKDIRAT, AT_FDCWD, c->a[0], c->a[1] & ~shim_umask(), 0);
}

int64_t sys_unlinkat(struct shim_call *c)
{
	return at_call(EXO_FWD_UNLINKAT, c->a[0], c->a[1], c->a[2], 0);
}

int64_t sys_unlink(struct shim_call *c)
{
	return at_call(EXO_FWD_UNLINKAT, AT_FDCWD, c->a[0], 0, 0);
}

int64_t sys_rmdir(struct shim_call *c)
{
	return at_call(EXO_FWD_UNLINKAT, AT_FDCWD, c->a[0], AT_REMOVEDIR, 0);
}

int64_t sys_fchmodat(struct shim_call *c)
{
	return at_call(EXO_FWD_FCHMODAT, c->a[0], c->a[1], c->a[2], 0);
}

int64_t sys_chmod(struct shim_call *c)
{
	return at_call(EXO_FWD_FCHMODAT, AT_FDCWD, c->a[0], c->a[1], 0);
}

int64_t sys_chdir(struct shim_call *c)
{
	uint64_t p;
	PATH(0, c->a[0], p);
	return shim_fwd(EXO_FWD_CHDIR, p, 0, 0, 0, 0, 0);
}

static int64_t renameat2(uint64_t d1, uint64_t a, uint64_t d2, uint64_t b, uint64_t flags)
{
	uint64_t pa, pb;
	PATH(0, a, pa);
	PATH(1, b, pb);
	return shim_fwd(flags ? EXO_FWD_RENAMEAT2 : EXO_FWD_RENAMEAT, d1, pa, d2, pb, flags, 0);
}

int64_t sys_renameat2(struct shim_call *c)
{
	return renameat2(c->a[0], c->a[1], c->a[2], c->a[3], c->a[4]);
}

int64_t sys_renameat(struct shim_call *c)
{
	return renameat2(c->a[0], c->a[1], c->a[2], c->a[3], 0);
}

int64_t sys_rename(struct shim_call *c)
{
	return renameat2(AT_FDCWD, c->a[0], AT_FDCWD, c->a[1], 0);
}

static int64_t readlinkat(uint64_t dirfd, uint64_t upath, uint64_t ubuf, uint64_t n)
{
	uint64_t p;
	PATH(0, upath, p);
	if ((int64_t)n <= 0)
		return -EINVAL;
	if (n > EXO_FWD_PATH_MAX)
		n = EXO_FWD_PATH_MAX;
	int64_t got = shim_fwd(EXO_FWD_READLINKAT, dirfd, p, shim_stage_gpa(shim_stage), n, 0, 0);
	if (got > 0 && shim_copy_out(ubuf, shim_stage, (uint64_t)got) < 0)
		return -EFAULT;
	return got;
}

int64_t sys_readlinkat(struct shim_call *c)
{
	return readlinkat(c->a[0], c->a[1], c->a[2], c->a[3]);
}

int64_t sys_readlink(struct shim_call *c)
{
	return readlinkat(AT_FDCWD, c->a[0], c->a[1], c->a[2]);
}

int64_t sys_utimensat(struct shim_call *c)
{
	uint64_t p = 0, t = 0;
	if (c->a[1])
		PATH(0, c->a[1], p);
	if (c->a[2]) {
		void *s = shim_stage_struct(&t);
		if (shim_copy_in(s, c->a[2], 32) < 0)
			return -EFAULT;
	}
	return shim_fwd(EXO_FWD_UTIMENSAT, c->a[0], p, t, c->a[3], 0, 0);
}

/* chown and its kin change nothing here: hv does not give away files. A
 * call that asks for the owner and group a file already has (what a
 * program running as root does with a file it just made: sqlite3, say)
 * succeeds, as it would on Linux; any other change is EPERM, what Linux
 * says to a process without CAP_CHOWN. */
#define UID_ANY 0xffffffffu
static int64_t same_owner(int64_t rc, const struct shim_stat *st, uint64_t uid, uint64_t gid)
{
	if (rc < 0)
		return rc;
	return ((uint32_t)uid == UID_ANY || (uint32_t)uid == st->uid) &&
	       ((uint32_t)gid == UID_ANY || (uint32_t)gid == st->gid) ? 0 : -EPERM;
}

static int64_t chownat(uint64_t dirfd, uint64_t upath, uint64_t uid, uint64_t gid, uint64_t flags)
{
	uint64_t p;
	struct shim_stat st;
	PATH(0, upath, p);
	return same_owner(shim_stat(dirfd, p, flags, &st), &st, uid, gid);
}

int64_t sys_fchown(struct shim_call *c)
{
	struct shim_stat st;
	return same_owner(shim_stat(c->a[0], 0, 0, &st), &st, c->a[1], c->a[2]);
}

int64_t sys_fchownat(struct shim_call *c)
{
	return chownat(c->a[0], c->a[1], c->a[2], c->a[3], c->a[4]);
}

int64_t sys_chown(struct shim_call *c)
{
	return chownat(AT_FDCWD, c->a[0], c->a[1], c->a[2], 0);
}

int64_t sys_lchown(struct shim_call *c)
{
	return chownat(AT_FDCWD, c->a[0], c->a[1], c->a[2], AT_SYMLINK_NOFOLLOW);
}
