/* SPDX-License-Identifier: MIT */
/*
 * hv/kvm/paths.c: a guest's paths, confined under --root, and the calls
 * that name one.
 *
 * It owns resolving a guest path to something on the host under --root,
 * which is the guest's "/", and the calls on paths: openat, mkdirat,
 * unlinkat, renameat2, readlinkat, newfstatat, statx, faccessat, fchmodat,
 * utimensat, chdir, fchdir and getcwd. The guest's cwd, which
 * kvm_files_open opens at the root, changes only here.
 *
 * Confinement: every guest path reaches the host through openat2(2) on the
 * root descriptor with RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS, so "..",
 * absolute paths and symlinks (absolute or relative) are resolved by the
 * kernel as if the root were "/", and /proc magic links are refused. A
 * path relative to a directory (the cwd or a guest dirfd) is first turned
 * into an absolute guest path by asking the kernel where that directory is
 * (/proc/self/fd/N, minus root_path) and is then resolved from the root
 * again: hv never resolves a guest path relative to any descriptor but the
 * root. Concatenation without lexical normalisation is deliberate: the
 * kernel resolves ".." physically and RESOLVE_IN_ROOT clamps it at the root.
 *
 * Calls with no openat2 form act on something openat2 produced: calls that
 * look at or change an existing object (stat, statx, access, chmod,
 * utimensat, readlink) open it O_PATH and act on that descriptor with
 * AT_EMPTY_PATH; calls that create, remove or rename a name (mkdir, unlink,
 * rmdir, rename) open its parent and act on (parent, last component), with
 * ".", ".." and "/" refused first the way Linux refuses them, so hv never
 * acts on the root's parent. No file on a procfs under the root is opened
 * for reading or writing: there /proc/self is hv's own process. Every host
 * descriptor hv makes is O_CLOEXEC, and those it keeps sit above exo's own
 * 0, 1 and 2.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "forward.h"

#ifndef SYS_fchmodat2
#define SYS_fchmodat2 452 /* Linux 6.6; glibc 2.36 does not name it */
#endif

/* The open flags openat(2) honours; openat2(2) refuses any others, where
 * openat ignores them. O_LARGEFILE is 0 in 64-bit glibc, not the kernel. */
#define KERNEL_O_LARGEFILE 0100000
#define OPEN_FLAGS (O_ACCMODE | O_CREAT | O_EXCL | O_NOCTTY | O_TRUNC | O_APPEND | \
		    O_NONBLOCK | O_DSYNC | O_SYNC | O_DIRECT | KERNEL_O_LARGEFILE | \
		    O_DIRECTORY | O_NOFOLLOW | O_NOATIME | O_CLOEXEC | O_PATH | O_TMPFILE)
#define O_PATH_FLAGS (O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)

#define RESOLVE (RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS)

/* --- resolving a guest path under the root --- */

/* openat2 under the root: the only way a guest path reaches the host.
 * -EAGAIN means a rename raced the kernel's ".." check: try again. */
int kvm_in_root(const struct kvm_files *f, const char *path, uint64_t flags, uint64_t mode)
{
	struct open_how how = { .flags = flags | O_CLOEXEC, .mode = mode, .resolve = RESOLVE };
	long fd;
	int tries = 0;
	do
		fd = syscall(SYS_openat2, f->root, path, &how, sizeof how);
	while (fd < 0 && errno == EAGAIN && ++tries < 16);
	return fd < 0 ? -errno : (int)fd;
}

/* The guest's name for what host descriptor h refers to, from the kernel
 * (the root itself is "/"). -ENOENT when it is not under the root or has
 * been deleted. */
int kvm_guest_path(const struct kvm_files *f, int h, char *out, size_t size)
{
	static const char deleted[] = " (deleted)";
	char link[32], host[PATH_MAX + 1];
	snprintf(link, sizeof link, "/proc/self/fd/%d", h);
	ssize_t n = readlink(link, host, sizeof host);
	if (n < 0)
		return -errno;
	if ((size_t)n >= sizeof host)
		return -ENAMETOOLONG;
	host[n] = '\0';
	size_t dl = sizeof deleted - 1, rl = strlen(f->root_path);
	if (host[0] != '/' || ((size_t)n >= dl && !strcmp(host + n - dl, deleted)))
		return -ENOENT; /* "pipe:[...]", "anon_inode:...", or gone */
	const char *rest = host;
	if (strcmp(f->root_path, "/")) {
		if (strncmp(host, f->root_path, rl) || (host[rl] != '\0' && host[rl] != '/'))
			return -ENOENT;
		rest = host + rl;
	}
	if (!*rest)
		rest = "/";
	if (strlen(rest) >= size)
		return -ENAMETOOLONG;
	/* NOLINTNEXTLINE(clang-analyzer-security.insecureAPI.strcpy): fits, checked above */
	strcpy(out, rest);
	return 0;
}

/* The absolute guest path (dirfd, path) names, into out[PATH_MAX]: path
 * itself if absolute, else the directory's guest path + "/" + path. */
static int join(const struct kvm_files *f, int64_t dirfd, const char *path, char *out)
{
	size_t pl = strlen(path);
	if (path[0] == '/') {
		if (pl >= PATH_MAX)
			return -ENAMETOOLONG;
		memcpy(out, path, pl + 1);
		return 0;
	}
	int base = f->cwd;
	if ((int)dirfd != AT_FDCWD) {
		struct stat st;
		if ((base = kvm_host_fd(f, dirfd)) < 0)
			return base;
		if (fstat(base, &st) < 0)
			return -errno;
		if (!S_ISDIR(st.st_mode))
			return -ENOTDIR;
	}
	char dir[PATH_MAX];
	int rc = kvm_guest_path(f, base, dir, sizeof dir);
	if (rc < 0)
		return rc;
	size_t dl = strcmp(dir, "/") ? strlen(dir) : 0;
	if (dl + 1 + pl >= PATH_MAX)
		return -ENAMETOOLONG;
	/* NOLINTNEXTLINE(bugprone-not-null-terminated-result): path's copy ends it */
	memcpy(out, dir, dl);
	out[dl] = '/';
	memcpy(out + dl + 1, path, pl + 1);
	return 0;
}

/* A descriptor of the object (dirfd, path) names, for the caller to act
 * on with AT_EMPTY_PATH and then close: O_PATH, following a final symlink
 * only with follow. An empty path names dirfd itself (or the cwd) where
 * the guest passed AT_EMPTY_PATH, and nothing (-ENOENT) otherwise. */
static int object(const struct kvm_files *f, int64_t dirfd, const char *path,
		  int empty_ok, int follow)
{
	char full[PATH_MAX];
	if (!path[0]) {
		if (!empty_ok)
			return -ENOENT;
		int h = (int)dirfd == AT_FDCWD ? f->cwd : kvm_host_fd(f, dirfd);
		if (h < 0)
			return h;
		h = fcntl(h, F_DUPFD_CLOEXEC, 3);
		return h < 0 ? -errno : h;
	}
	int rc = join(f, dirfd, path, full);
	if (rc < 0)
		return rc;
	return kvm_in_root(f, full, O_PATH | (follow ? 0 : O_NOFOLLOW), 0);
}

/* What a name-changing call acts on: the parent directory, opened under
 * the root, and the last component. kind says what the last component is,
 * as Linux's path walk classifies it; slash, that the path ended in "/". */
enum last_kind { LAST_NAME, LAST_DOT, LAST_DOTDOT, LAST_ROOT };
struct name {
	int dir;
	const char *last;
	enum last_kind kind;
	int slash;
	char buf[PATH_MAX];
};

static int name_open(const struct kvm_files *f, int64_t dirfd, const char *path, struct name *n)
{
	n->dir = -1;
	if (!path[0])
		return -ENOENT;
	int rc = join(f, dirfd, path, n->buf);
	if (rc < 0)
		return rc;
	/* Trailing slashes go: the calls below never follow their last
	 * component, and with the slash left on the kernel would (and past
	 * the root). What the slash means is checked by the caller. */
	size_t len = strlen(n->buf);
	n->slash = 0;
	while (len > 1 && n->buf[len - 1] == '/') {
		n->buf[--len] = '\0';
		n->slash = 1;
	}
	char *s = strrchr(n->buf, '/'); /* join's paths start with "/" */
	n->last = s + 1;
	n->kind = !*n->last ? LAST_ROOT :
		  !strcmp(n->last, ".") ? LAST_DOT :
		  !strcmp(n->last, "..") ? LAST_DOTDOT : LAST_NAME;
	if (s == n->buf)
		rc = kvm_in_root(f, "/", O_PATH | O_DIRECTORY, 0);
	else {
		*s = '\0';
		rc = kvm_in_root(f, n->buf, O_PATH | O_DIRECTORY, 0);
	}
	if (rc < 0)
		return rc;
	n->dir = rc;
	return 0;
}

static void name_close(struct name *n)
{
	if (n->dir >= 0)
		close(n->dir);
	n->dir = -1;
}

/* --- calls on paths --- */

/* A procfs under the root (--root / has one) is hv's own process: its
 * /proc/self/mem is hv's memory, its links name hv's descriptors on the
 * host. The guest opens nothing there but O_PATH and reads no link. */
static int on_procfs(int h)
{
	struct statfs sf;
	return fstatfs(h, &sf) < 0 || sf.f_type == PROC_SUPER_MAGIC;
}

int64_t kvm_fwd_openat(struct kvm_files *f, const struct hv_fwd *c)
{
	const char *path = c->ptr[1];
	int flags = (int)c->arg[2] & OPEN_FLAGS;
	uint64_t mode = 0;
	char full[PATH_MAX];
	if (kvm_lowest_free(f, 0) < 0)
		return -EMFILE; /* as Linux: before the file is created */
	if (!path[0])
		return -ENOENT;
	if (flags & O_PATH)
		flags &= O_PATH_FLAGS;
	if ((flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE)
		mode = (uint64_t)c->arg[3] & 07777;
	int rc = join(f, c->arg[0], path, full);
	if (rc < 0)
		return rc;
	/* O_NOCTTY: a terminal under the root must not become exo's. */
	if (!(flags & O_PATH))
		flags |= O_NOCTTY;
	int h = kvm_in_root(f, full, (uint64_t)flags, mode);
	if (h < 0)
		return h;
	if (!(flags & O_PATH) && on_procfs(h)) {
		close(h);
		return -EACCES;
	}
	return kvm_install(f, h, 0, flags & O_CLOEXEC);
}

int64_t kvm_fwd_mkdirat(struct kvm_files *f, const struct hv_fwd *c)
{
	struct name n;
	int64_t rc = name_open(f, c->arg[0], c->ptr[1], &n);
	if (rc == 0)
		rc = n.kind != LAST_NAME ? -EEXIST :
		     kvm_sys(mkdirat(n.dir, n.last, (mode_t)c->arg[2]));
	name_close(&n);
	return rc;
}

int64_t kvm_fwd_unlinkat(struct kvm_files *f, const struct hv_fwd *c)
{
	static const int rmdir_err[] = {
		[LAST_DOT] = -EINVAL, [LAST_DOTDOT] = -ENOTEMPTY, [LAST_ROOT] = -EBUSY,
	};
	int flags = (int)c->arg[2];
	struct name n;
	struct stat st;
	if (flags & ~AT_REMOVEDIR)
		return -EINVAL;
	int64_t rc = name_open(f, c->arg[0], c->ptr[1], &n);
	if (rc < 0) {
		name_close(&n);
		return rc;
	}
	if (flags & AT_REMOVEDIR)
		rc = n.kind != LAST_NAME ? rmdir_err[n.kind] :
		     kvm_sys(unlinkat(n.dir, n.last, AT_REMOVEDIR));
	else if (n.kind != LAST_NAME)
		rc = -EISDIR;
	else if (n.slash) /* unlink("x/") never unlinks: Linux says why not */
		rc = fstatat(n.dir, n.last, &st, AT_SYMLINK_NOFOLLOW) < 0 ? -errno :
		     S_ISDIR(st.st_mode) ? -EISDIR : -ENOTDIR;
	else
		rc = kvm_sys(unlinkat(n.dir, n.last, 0));
	name_close(&n);
	return rc;
}

/* 0 if n names a directory (not a symlink to one), else -ENOTDIR. */
static int64_t slash_needs_dir(const struct name *n)
{
	struct stat st;
	if (fstatat(n->dir, n->last, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return -errno;
	return S_ISDIR(st.st_mode) ? 0 : -ENOTDIR;
}

int64_t kvm_fwd_renameat2(struct kvm_files *f, const struct hv_fwd *c, unsigned flags)
{
	struct name o, n;
	if ((flags & ~(RENAME_NOREPLACE | RENAME_EXCHANGE | RENAME_WHITEOUT)) ||
	    ((flags & (RENAME_NOREPLACE | RENAME_WHITEOUT)) && (flags & RENAME_EXCHANGE)))
		return -EINVAL;
	n.dir = -1;
	int64_t rc = name_open(f, c->arg[0], c->ptr[1], &o);
	if (rc == 0)
		rc = name_open(f, c->arg[2], c->ptr[3], &n);
	if (rc == 0 && o.kind != LAST_NAME)
		rc = -EBUSY;
	if (rc == 0 && n.kind != LAST_NAME)
		rc = (flags & RENAME_NOREPLACE) ? -EEXIST : -EBUSY;
	/* As Linux: a name with a trailing slash must be a directory. */
	if (rc == 0 && (o.slash || (n.slash && !(flags & RENAME_EXCHANGE))))
		rc = slash_needs_dir(&o);
	if (rc == 0 && n.slash && (flags & RENAME_EXCHANGE))
		rc = slash_needs_dir(&n);
	if (rc == 0)
		rc = kvm_sys(syscall(SYS_renameat2, o.dir, o.last, n.dir, n.last, flags));
	name_close(&o);
	name_close(&n);
	return rc;
}

int64_t kvm_fwd_readlinkat(struct kvm_files *f, const struct hv_fwd *c)
{
	if (c->len[2] == 0)
		return -EINVAL;
	/* readlinkat takes "" as the descriptor itself, without AT_EMPTY_PATH. */
	const char *path = c->ptr[1];
	struct stat st;
	int h = object(f, c->arg[0], path, 1, 0);
	if (h < 0)
		return h;
	/* Not a symlink: Linux says EINVAL for a name (and ENOENT for "",
	 * which is what readlinkat(h, "") says for any). */
	int64_t rc = path[0] && fstatat(h, "", &st, AT_EMPTY_PATH) == 0 && !S_ISLNK(st.st_mode) ?
		     -EINVAL : on_procfs(h) ? -EACCES :
		     kvm_sys(readlinkat(h, "", c->ptr[2], c->len[2]));
	close(h);
	return rc;
}

int64_t kvm_fwd_newfstatat(struct kvm_files *f, const struct hv_fwd *c)
{
	int flags = (int)c->arg[3];
	if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT | AT_EMPTY_PATH))
		return -EINVAL;
	if (!c->ptr[2] || c->len[2] < STAT_BYTES)
		return -EFAULT;
	int h = object(f, c->arg[0], c->ptr[1], flags & AT_EMPTY_PATH,
		       !(flags & AT_SYMLINK_NOFOLLOW));
	if (h < 0)
		return h;
	int64_t rc = kvm_sys(syscall(SYS_newfstatat, h, "", c->ptr[2],
				 AT_EMPTY_PATH | (flags & AT_NO_AUTOMOUNT)));
	close(h);
	return rc;
}

int64_t kvm_fwd_statx(struct kvm_files *f, const struct hv_fwd *c)
{
	int flags = (int)c->arg[2];
	uint32_t mask = (uint32_t)c->arg[3];
	if ((flags & ~(AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT | AT_EMPTY_PATH | AT_STATX_SYNC_TYPE)) ||
	    (flags & AT_STATX_SYNC_TYPE) == AT_STATX_SYNC_TYPE || (mask & STATX__RESERVED))
		return -EINVAL;
	if (!c->ptr[4] || c->len[4] < STATX_BYTES)
		return -EFAULT;
	int h = object(f, c->arg[0], c->ptr[1], flags & AT_EMPTY_PATH,
		       !(flags & AT_SYMLINK_NOFOLLOW));
	if (h < 0)
		return h;
	int64_t rc = kvm_sys(syscall(SYS_statx, h, "", (flags & ~AT_SYMLINK_NOFOLLOW) | AT_EMPTY_PATH,
				 mask, c->ptr[4]));
	close(h);
	return rc;
}

/* faccessat (flags 0) and faccessat2. */
int64_t kvm_fwd_faccessat(struct kvm_files *f, const struct hv_fwd *c, int flags)
{
	int mode = (int)c->arg[2];
	if ((mode & ~(R_OK | W_OK | X_OK)) ||
	    (flags & ~(AT_EACCESS | AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH)))
		return -EINVAL;
	int h = object(f, c->arg[0], c->ptr[1], flags & AT_EMPTY_PATH,
		       !(flags & AT_SYMLINK_NOFOLLOW));
	if (h < 0)
		return h;
	int64_t rc = kvm_sys(syscall(SYS_faccessat2, h, "", mode,
				 AT_EMPTY_PATH | (flags & (AT_EACCESS | AT_SYMLINK_NOFOLLOW))));
	close(h);
	return rc;
}

/* chmod the object behind O_PATH descriptor h, exactly it: fchmodat2
 * (Linux 6.6). Before that, a directory or regular file is opened again
 * and checked to be the same inode; chmod by name (which would follow a
 * symlink swapped in meanwhile) or through /proc is never used. */
static int64_t chmod_object(const struct kvm_files *f, int h, mode_t mode)
{
	struct stat st, again;
	char path[PATH_MAX];
	if (syscall(SYS_fchmodat2, h, "", mode, AT_EMPTY_PATH) == 0)
		return 0;
	if (errno != ENOSYS)
		return -errno;
	if (fstat(h, &st) < 0)
		return -errno;
	int o;
	if (S_ISDIR(st.st_mode))
		o = (int)kvm_sys(openat(h, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
	else if (!S_ISREG(st.st_mode))
		return -EOPNOTSUPP;
	else if ((o = kvm_guest_path(f, h, path, sizeof path)) == 0)
		o = kvm_in_root(f, path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY, 0);
	if (o < 0)
		return o;
	int64_t rc = fstat(o, &again) < 0 ? -errno :
		     again.st_dev != st.st_dev || again.st_ino != st.st_ino ? -EAGAIN :
		     kvm_sys(fchmod(o, mode));
	close(o);
	return rc;
}

int64_t kvm_fwd_fchmodat(struct kvm_files *f, const struct hv_fwd *c)
{
	int h = object(f, c->arg[0], c->ptr[1], 0, 1);
	if (h < 0)
		return h;
	int64_t rc = chmod_object(f, h, (mode_t)c->arg[2] & 07777);
	close(h);
	return rc;
}

int64_t kvm_fwd_utimensat(struct kvm_files *f, const struct hv_fwd *c)
{
	int flags = (int)c->arg[3];
	if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
		return -EINVAL;
	if (!c->ptr[1]) { /* futimens: the descriptor itself, as Linux */
		if ((int)c->arg[0] == AT_FDCWD)
			return -EFAULT;
		if (flags)
			return -EINVAL;
		int h = kvm_host_fd(f, c->arg[0]);
		return h < 0 ? h : kvm_sys(syscall(SYS_utimensat, h, NULL, c->ptr[2], 0));
	}
	int h = object(f, c->arg[0], c->ptr[1], flags & AT_EMPTY_PATH,
		       !(flags & AT_SYMLINK_NOFOLLOW));
	if (h < 0)
		return h;
	int64_t rc = kvm_sys(syscall(SYS_utimensat, h, "", c->ptr[2],
				 AT_EMPTY_PATH | (flags & AT_SYMLINK_NOFOLLOW)));
	close(h);
	return rc;
}

/* Make h (a descriptor hv owns, taken over) the cwd: a directory the
 * guest may search, as chdir(2) requires. */
static int64_t set_cwd(struct kvm_files *f, int h)
{
	struct stat st;
	if ((h = kvm_high(h)) < 0)
		return h;
	int64_t rc = fstat(h, &st) < 0 ? -errno : !S_ISDIR(st.st_mode) ? -ENOTDIR :
		     kvm_sys(syscall(SYS_faccessat2, h, "", X_OK, AT_EMPTY_PATH | AT_EACCESS));
	if (rc < 0) {
		close(h);
		return rc;
	}
	close(f->cwd);
	f->cwd = h;
	return 0;
}

int64_t kvm_fwd_chdir(struct kvm_files *f, const struct hv_fwd *c)
{
	int h = object(f, AT_FDCWD, c->ptr[0], 0, 1);
	return h < 0 ? h : set_cwd(f, h);
}

int64_t kvm_fwd_fchdir(struct kvm_files *f, const struct hv_fwd *c)
{
	int h = kvm_host_fd(f, c->arg[0]);
	if (h < 0)
		return h;
	h = fcntl(h, F_DUPFD_CLOEXEC, 3);
	return h < 0 ? -errno : set_cwd(f, h);
}

/* The kernel's getcwd: the length with the NUL. */
int64_t kvm_fwd_getcwd(struct kvm_files *f, const struct hv_fwd *c)
{
	char path[PATH_MAX];
	int rc = kvm_guest_path(f, f->cwd, path, sizeof path);
	if (rc < 0)
		return rc;
	size_t n = strlen(path) + 1;
	if (n > c->len[0])
		return -ERANGE;
	memcpy(c->ptr[0], path, n);
	return (int64_t)n;
}
