/*
 * hv/kvm/forward.c: the host side of EXO_HC_FORWARD on kvm.
 *
 * hv/core/forward.c has decided which calls run at all and copied or
 * checked every argument; this file decides what each call may touch on
 * the host. It owns a guest's descriptor table (guest numbers
 * 0..EXO_FWD_FDS-1 mapped to host descriptors hv holds) and the
 * confinement of its paths under --root, which is the guest's "/".
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
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "kvm.h"

#ifndef SYS_fchmodat2
#define SYS_fchmodat2 452 /* Linux 6.6; glibc 2.36 does not name it */
#endif

/* The kernel's layouts, as hv/core/forward.c sizes them. */
#define STAT_BYTES 144
#define STATX_BYTES 256
#define TIMESPEC_BYTES 16
#define UTSNAME_BYTES 390
#define UTS_FIELD 65
#define FLOCK_BYTES 32
#define TERMIOS_BYTES 36
#define WINSIZE_BYTES 8
_Static_assert(sizeof(struct stat) == STAT_BYTES, "struct stat is the kernel's");
_Static_assert(sizeof(struct flock) == FLOCK_BYTES, "struct flock is the kernel's");

/* The open flags openat(2) honours; openat2(2) refuses any others, where
 * openat ignores them. O_LARGEFILE is 0 in 64-bit glibc, not the kernel. */
#define KERNEL_O_LARGEFILE 0100000
#define OPEN_FLAGS (O_ACCMODE | O_CREAT | O_EXCL | O_NOCTTY | O_TRUNC | O_APPEND | \
		    O_NONBLOCK | O_DSYNC | O_SYNC | O_DIRECT | KERNEL_O_LARGEFILE | \
		    O_DIRECTORY | O_NOFOLLOW | O_NOATIME | O_CLOEXEC | O_PATH | O_TMPFILE)
#define O_PATH_FLAGS (O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)

#define RESOLVE (RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS)

static int64_t sys(long rc)
{
	return rc < 0 ? -errno : rc;
}

/* Move a descriptor hv keeps above 0-2: were exo started with one of them
 * closed, a guest's file must not become exo's stdout or stderr. */
static int high(int fd)
{
	if (fd < 0 || fd > 2)
		return fd;
	int h = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	int err = errno;
	close(fd);
	return h < 0 ? -err : h;
}

/* --- the descriptor table --- */

/* The host descriptor behind guest fd gfd (the kernel reads it as an
 * unsigned int), or -EBADF. */
static int host_fd(const struct kvm_files *f, int64_t gfd)
{
	uint32_t n = (uint32_t)gfd;
	if (n >= EXO_FWD_FDS || f->fd[n] < 0)
		return -EBADF;
	return f->fd[n];
}

/* The lowest free guest number at or above from, or -EMFILE. */
static int lowest_free(const struct kvm_files *f, uint32_t from)
{
	for (uint32_t n = from; n < EXO_FWD_FDS; n++)
		if (f->fd[n] < 0)
			return (int)n;
	return -EMFILE;
}

/* Give host descriptor h the lowest free guest number at or above from;
 * on failure h is closed. */
static int64_t install(struct kvm_files *f, int h, uint32_t from, int cloexec)
{
	int n = lowest_free(f, from);
	h = high(h);
	if (h < 0 || n < 0) {
		if (h >= 0)
			close(h);
		return h < 0 ? h : n;
	}
	f->fd[n] = h;
	f->cloexec[n] = cloexec != 0;
	return n;
}

static int64_t dup_to(struct kvm_files *f, int h, uint32_t from, int cloexec)
{
	if (lowest_free(f, from) < 0)
		return -EMFILE;
	int d = fcntl(h, F_DUPFD_CLOEXEC, 3);
	if (d < 0)
		return -errno;
	return install(f, d, from, cloexec);
}

/* --- paths --- */

/* openat2 under the root: the only way a guest path reaches the host.
 * -EAGAIN means a rename raced the kernel's ".." check: try again. */
static int in_root(const struct kvm_files *f, const char *path, uint64_t flags, uint64_t mode)
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
static int guest_path(const struct kvm_files *f, int h, char *out, size_t size)
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
		if ((base = host_fd(f, dirfd)) < 0)
			return base;
		if (fstat(base, &st) < 0)
			return -errno;
		if (!S_ISDIR(st.st_mode))
			return -ENOTDIR;
	}
	char dir[PATH_MAX];
	int rc = guest_path(f, base, dir, sizeof dir);
	if (rc < 0)
		return rc;
	size_t dl = strcmp(dir, "/") ? strlen(dir) : 0;
	if (dl + 1 + pl >= PATH_MAX)
		return -ENAMETOOLONG;
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
		int h = (int)dirfd == AT_FDCWD ? f->cwd : host_fd(f, dirfd);
		if (h < 0)
			return h;
		h = fcntl(h, F_DUPFD_CLOEXEC, 3);
		return h < 0 ? -errno : h;
	}
	int rc = join(f, dirfd, path, full);
	if (rc < 0)
		return rc;
	return in_root(f, full, O_PATH | (follow ? 0 : O_NOFOLLOW), 0);
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
		rc = in_root(f, "/", O_PATH | O_DIRECTORY, 0);
	else {
		*s = '\0';
		rc = in_root(f, n->buf, O_PATH | O_DIRECTORY, 0);
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

/* --- the table's life --- */

int kvm_files_open(struct kvm_files *f, const char *root)
{
	f->root = f->cwd = -1;
	for (unsigned i = 0; i < EXO_FWD_FDS; i++)
		f->fd[i] = -1;
	memset(f->cloexec, 0, sizeof f->cloexec);
	int r = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (r < 0) {
		int err = errno;
		return kvm_fail(HV_STATUS_USAGE, "--root %s: %s", root,
				err == ENOENT ? "no such directory" :
				err == ENOTDIR ? "not a directory" : strerror(err));
	}
	if ((f->root = high(r)) < 0 || !realpath(root, f->root_path)) {
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
	int probe = in_root(f, "/", O_PATH | O_DIRECTORY, 0), err = 0;
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
	if (guest_path(f, f->root, slash, sizeof slash) < 0) {
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
	}
	return 0;
}

void kvm_files_close(struct kvm_files *f)
{
	for (unsigned i = 0; i < EXO_FWD_FDS; i++) {
		if (f->fd[i] >= 0)
			close(f->fd[i]);
		f->fd[i] = -1;
	}
	if (f->cwd >= 0)
		close(f->cwd);
	if (f->root >= 0)
		close(f->root);
	f->root = f->cwd = -1;
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

static int64_t do_openat(struct kvm_files *f, const struct hv_fwd *c)
{
	const char *path = c->ptr[1];
	int flags = (int)c->arg[2] & OPEN_FLAGS;
	uint64_t mode = 0;
	char full[PATH_MAX];
	if (lowest_free(f, 0) < 0)
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
	int h = in_root(f, full, (uint64_t)flags, mode);
	if (h < 0)
		return h;
	if (!(flags & O_PATH) && on_procfs(h)) {
		close(h);
		return -EACCES;
	}
	return install(f, h, 0, flags & O_CLOEXEC);
}

static int64_t do_mkdirat(struct kvm_files *f, const struct hv_fwd *c)
{
	struct name n;
	int64_t rc = name_open(f, c->arg[0], c->ptr[1], &n);
	if (rc == 0)
		rc = n.kind != LAST_NAME ? -EEXIST :
		     sys(mkdirat(n.dir, n.last, (mode_t)c->arg[2]));
	name_close(&n);
	return rc;
}

static int64_t do_unlinkat(struct kvm_files *f, const struct hv_fwd *c)
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
		     sys(unlinkat(n.dir, n.last, AT_REMOVEDIR));
	else if (n.kind != LAST_NAME)
		rc = -EISDIR;
	else if (n.slash) /* unlink("x/") never unlinks: Linux says why not */
		rc = fstatat(n.dir, n.last, &st, AT_SYMLINK_NOFOLLOW) < 0 ? -errno :
		     S_ISDIR(st.st_mode) ? -EISDIR : -ENOTDIR;
	else
		rc = sys(unlinkat(n.dir, n.last, 0));
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

static int64_t do_renameat2(struct kvm_files *f, const struct hv_fwd *c, unsigned flags)
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
		rc = sys(syscall(SYS_renameat2, o.dir, o.last, n.dir, n.last, flags));
	name_close(&o);
	name_close(&n);
	return rc;
}

static int64_t do_readlinkat(struct kvm_files *f, const struct hv_fwd *c)
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
		     sys(readlinkat(h, "", c->ptr[2], c->len[2]));
	close(h);
	return rc;
}

static int64_t do_newfstatat(struct kvm_files *f, const struct hv_fwd *c)
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
	int64_t rc = sys(syscall(SYS_newfstatat, h, "", c->ptr[2],
				 AT_EMPTY_PATH | (flags & AT_NO_AUTOMOUNT)));
	close(h);
	return rc;
}

static int64_t do_statx(struct kvm_files *f, const struct hv_fwd *c)
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
	int64_t rc = sys(syscall(SYS_statx, h, "", (flags & ~AT_SYMLINK_NOFOLLOW) | AT_EMPTY_PATH,
				 mask, c->ptr[4]));
	close(h);
	return rc;
}

/* faccessat (flags 0) and faccessat2. */
static int64_t do_faccessat(struct kvm_files *f, const struct hv_fwd *c, int flags)
{
	int mode = (int)c->arg[2];
	if ((mode & ~(R_OK | W_OK | X_OK)) ||
	    (flags & ~(AT_EACCESS | AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH)))
		return -EINVAL;
	int h = object(f, c->arg[0], c->ptr[1], flags & AT_EMPTY_PATH,
		       !(flags & AT_SYMLINK_NOFOLLOW));
	if (h < 0)
		return h;
	int64_t rc = sys(syscall(SYS_faccessat2, h, "", mode,
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
		o = (int)sys(openat(h, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
	else if (!S_ISREG(st.st_mode))
		return -EOPNOTSUPP;
	else if ((o = guest_path(f, h, path, sizeof path)) == 0)
		o = in_root(f, path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY, 0);
	if (o < 0)
		return o;
	int64_t rc = fstat(o, &again) < 0 ? -errno :
		     again.st_dev != st.st_dev || again.st_ino != st.st_ino ? -EAGAIN :
		     sys(fchmod(o, mode));
	close(o);
	return rc;
}

static int64_t do_fchmodat(struct kvm_files *f, const struct hv_fwd *c)
{
	int h = object(f, c->arg[0], c->ptr[1], 0, 1);
	if (h < 0)
		return h;
	int64_t rc = chmod_object(f, h, (mode_t)c->arg[2] & 07777);
	close(h);
	return rc;
}

static int64_t do_utimensat(struct kvm_files *f, const struct hv_fwd *c)
{
	int flags = (int)c->arg[3];
	if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
		return -EINVAL;
	if (!c->ptr[1]) { /* futimens: the descriptor itself, as Linux */
		if ((int)c->arg[0] == AT_FDCWD)
			return -EFAULT;
		if (flags)
			return -EINVAL;
		int h = host_fd(f, c->arg[0]);
		return h < 0 ? h : sys(syscall(SYS_utimensat, h, NULL, c->ptr[2], 0));
	}
	int h = object(f, c->arg[0], c->ptr[1], flags & AT_EMPTY_PATH,
		       !(flags & AT_SYMLINK_NOFOLLOW));
	if (h < 0)
		return h;
	int64_t rc = sys(syscall(SYS_utimensat, h, "", c->ptr[2],
				 AT_EMPTY_PATH | (flags & AT_SYMLINK_NOFOLLOW)));
	close(h);
	return rc;
}

/* Make h (a descriptor hv owns, taken over) the cwd: a directory the
 * guest may search, as chdir(2) requires. */
static int64_t set_cwd(struct kvm_files *f, int h)
{
	struct stat st;
	if ((h = high(h)) < 0)
		return h;
	int64_t rc = fstat(h, &st) < 0 ? -errno : !S_ISDIR(st.st_mode) ? -ENOTDIR :
		     sys(syscall(SYS_faccessat2, h, "", X_OK, AT_EMPTY_PATH | AT_EACCESS));
	if (rc < 0) {
		close(h);
		return rc;
	}
	close(f->cwd);
	f->cwd = h;
	return 0;
}

static int64_t do_chdir(struct kvm_files *f, const struct hv_fwd *c)
{
	int h = object(f, AT_FDCWD, c->ptr[0], 0, 1);
	return h < 0 ? h : set_cwd(f, h);
}

static int64_t do_fchdir(struct kvm_files *f, const struct hv_fwd *c)
{
	int h = host_fd(f, c->arg[0]);
	if (h < 0)
		return h;
	h = fcntl(h, F_DUPFD_CLOEXEC, 3);
	return h < 0 ? -errno : set_cwd(f, h);
}

/* The kernel's getcwd: the length with the NUL. */
static int64_t do_getcwd(struct kvm_files *f, const struct hv_fwd *c)
{
	char path[PATH_MAX];
	int rc = guest_path(f, f->cwd, path, sizeof path);
	if (rc < 0)
		return rc;
	size_t n = strlen(path) + 1;
	if (n > c->len[0])
		return -ERANGE;
	memcpy(c->ptr[0], path, n);
	return (int64_t)n;
}

/* --- calls on descriptors --- */

static int64_t do_dup3(struct kvm_files *f, const struct hv_fwd *c)
{
	int flags = (int)c->arg[2];
	uint32_t new = (uint32_t)c->arg[1];
	if (flags & ~O_CLOEXEC)
		return -EINVAL;
	if ((uint32_t)c->arg[0] == new)
		return -EINVAL;
	if (new >= EXO_FWD_FDS)
		return -EBADF;
	int h = host_fd(f, c->arg[0]);
	if (h < 0)
		return h;
	int d = fcntl(h, F_DUPFD_CLOEXEC, 3);
	if (d < 0)
		return -errno;
	if (f->fd[new] >= 0)
		close(f->fd[new]);
	f->fd[new] = d;
	f->cloexec[new] = (flags & O_CLOEXEC) != 0;
	return new;
}

static int64_t do_fcntl(struct kvm_files *f, const struct hv_fwd *c)
{
	uint32_t n = (uint32_t)c->arg[0];
	int cmd = (int)c->arg[1];
	int h = host_fd(f, c->arg[0]);
	if (h < 0)
		return h;
	switch (cmd) {
	case F_DUPFD:
	case F_DUPFD_CLOEXEC:
		if ((uint32_t)c->arg[2] >= EXO_FWD_FDS)
			return -EINVAL;
		return dup_to(f, h, (uint32_t)c->arg[2], cmd == F_DUPFD_CLOEXEC);
	/* Close-on-exec is the guest's own flag: there is no exec, and the
	 * host descriptor is always close-on-exec. */
	case F_GETFD:
		return f->cloexec[n] ? FD_CLOEXEC : 0;
	case F_SETFD:
		f->cloexec[n] = (c->arg[2] & FD_CLOEXEC) != 0;
		return 0;
	case F_GETFL:
		return sys(syscall(SYS_fcntl, h, F_GETFL));
	case F_SETFL:
		/* O_ASYNC on a terminal would aim SIGIO at exo itself. */
		if (c->arg[2] & O_ASYNC)
			return -EINVAL;
		return sys(syscall(SYS_fcntl, h, F_SETFL, (long)(int)c->arg[2]));
	case F_GETLK:
	case F_SETLK:
	case F_SETLKW:
	case F_OFD_GETLK:
	case F_OFD_SETLK:
	case F_OFD_SETLKW:
		if (!c->ptr[2] || c->len[2] < FLOCK_BYTES)
			return -EFAULT;
		return sys(syscall(SYS_fcntl, h, cmd, c->ptr[2]));
	}
	return -EINVAL;
}

static int64_t do_pipe2(struct kvm_files *f, const struct hv_fwd *c)
{
	int p[2], *out = c->ptr[0];
	if (!out || c->len[0] < sizeof p)
		return -EFAULT;
	if (pipe2(p, (int)c->arg[1] | O_CLOEXEC) < 0)
		return -errno;
	int a = (int)install(f, p[0], 0, c->arg[1] & O_CLOEXEC);
	if (a < 0) {
		close(p[1]);
		return a;
	}
	int b = (int)install(f, p[1], 0, c->arg[1] & O_CLOEXEC);
	if (b < 0) {
		close(f->fd[a]);
		f->fd[a] = -1;
		return b;
	}
	out[0] = a;
	out[1] = b;
	return 0;
}

static int64_t do_close(struct kvm_files *f, const struct hv_fwd *c)
{
	int h = host_fd(f, c->arg[0]);
	if (h < 0)
		return h;
	f->fd[(uint32_t)c->arg[0]] = -1; /* free whatever close says, as Linux */
	return sys(close(h));
}

static int64_t do_ioctl(int h, const struct hv_fwd *c)
{
	unsigned long req = (unsigned long)(uint32_t)c->arg[1];
	uint64_t need = req == TCGETS ? TERMIOS_BYTES : req == TIOCGWINSZ ? WINSIZE_BYTES : 0;
	if (!need)
		return -ENOTTY;
	if (!c->ptr[2] || c->len[2] < need)
		return -EFAULT;
	return sys(syscall(SYS_ioctl, h, req, c->ptr[2]));
}

/* --- the rest: time, randomness, identity --- */

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
	struct kvm_vm *vm = g->plat;
	struct kvm_files *f = &vm->files;
	const int64_t *a = c->arg;
	int h = -1;

	/* Calls on one guest descriptor: find the host's first. */
	switch (c->nr) {
	case EXO_FWD_READ: case EXO_FWD_WRITE: case EXO_FWD_PREAD64:
	case EXO_FWD_PWRITE64: case EXO_FWD_LSEEK: case EXO_FWD_FSTAT:
	case EXO_FWD_GETDENTS64: case EXO_FWD_FSYNC: case EXO_FWD_FDATASYNC:
	case EXO_FWD_FTRUNCATE: case EXO_FWD_FCHMOD: case EXO_FWD_IOCTL:
	case EXO_FWD_DUP:
		if ((h = host_fd(f, a[0])) < 0)
			return h;
	}

	switch (c->nr) {
	case EXO_FWD_READ:
		return sys(syscall(SYS_read, h, c->ptr[1], c->len[1]));
	case EXO_FWD_WRITE:
		return sys(syscall(SYS_write, h, c->ptr[1], c->len[1]));
	case EXO_FWD_PREAD64:
		return sys(syscall(SYS_pread64, h, c->ptr[1], c->len[1], a[3]));
	case EXO_FWD_PWRITE64:
		return sys(syscall(SYS_pwrite64, h, c->ptr[1], c->len[1], a[3]));
	case EXO_FWD_LSEEK:
		return sys(syscall(SYS_lseek, h, a[1], (unsigned)a[2]));
	case EXO_FWD_FSTAT:
		return has(c, 1, STAT_BYTES) ? sys(syscall(SYS_fstat, h, c->ptr[1])) : -EFAULT;
	case EXO_FWD_GETDENTS64:
		return sys(syscall(SYS_getdents64, h, c->ptr[1], (unsigned)c->len[1]));
	case EXO_FWD_FSYNC:
		return sys(fsync(h));
	case EXO_FWD_FDATASYNC:
		return sys(fdatasync(h));
	case EXO_FWD_FTRUNCATE:
		return sys(syscall(SYS_ftruncate, h, a[1]));
	case EXO_FWD_FCHMOD:
		return sys(syscall(SYS_fchmod, h, (mode_t)a[1]));
	case EXO_FWD_IOCTL:
		return do_ioctl(h, c);
	case EXO_FWD_DUP:
		return dup_to(f, h, 0, 0);
	case EXO_FWD_CLOSE:
		return do_close(f, c);
	case EXO_FWD_DUP3:
		return do_dup3(f, c);
	case EXO_FWD_FCNTL:
		return do_fcntl(f, c);
	case EXO_FWD_PIPE2:
		return do_pipe2(f, c);

	case EXO_FWD_OPENAT:
		return do_openat(f, c);
	case EXO_FWD_MKDIRAT:
		return do_mkdirat(f, c);
	case EXO_FWD_UNLINKAT:
		return do_unlinkat(f, c);
	case EXO_FWD_RENAMEAT:
		return do_renameat2(f, c, 0);
	case EXO_FWD_RENAMEAT2:
		return do_renameat2(f, c, (unsigned)a[4]);
	case EXO_FWD_READLINKAT:
		return do_readlinkat(f, c);
	case EXO_FWD_NEWFSTATAT:
		return do_newfstatat(f, c);
	case EXO_FWD_STATX:
		return do_statx(f, c);
	case EXO_FWD_FACCESSAT:
		return do_faccessat(f, c, 0);
	case EXO_FWD_FACCESSAT2:
		return do_faccessat(f, c, (int)a[3]);
	case EXO_FWD_FCHMODAT:
		return do_fchmodat(f, c);
	case EXO_FWD_UTIMENSAT:
		return do_utimensat(f, c);
	case EXO_FWD_CHDIR:
		return do_chdir(f, c);
	case EXO_FWD_FCHDIR:
		return do_fchdir(f, c);
	case EXO_FWD_GETCWD:
		return do_getcwd(f, c);

	case EXO_FWD_CLOCK_GETTIME:
		return has(c, 1, TIMESPEC_BYTES) ?
		       sys(syscall(SYS_clock_gettime, (int)a[0], c->ptr[1])) : -EFAULT;
	case EXO_FWD_CLOCK_GETRES:
		return opt(c, 1, TIMESPEC_BYTES) ?
		       sys(syscall(SYS_clock_getres, (int)a[0], c->ptr[1])) : -EFAULT;
	case EXO_FWD_GETTIMEOFDAY:
		return opt(c, 0, 16) && opt(c, 1, 8) ?
		       sys(syscall(SYS_gettimeofday, c->ptr[0], c->ptr[1])) : -EFAULT;
	case EXO_FWD_NANOSLEEP:
		return has(c, 0, TIMESPEC_BYTES) && opt(c, 1, TIMESPEC_BYTES) ?
		       sys(syscall(SYS_nanosleep, c->ptr[0], c->ptr[1])) : -EFAULT;
	case EXO_FWD_CLOCK_NANOSLEEP:
		return has(c, 2, TIMESPEC_BYTES) && opt(c, 3, TIMESPEC_BYTES) ?
		       sys(syscall(SYS_clock_nanosleep, (int)a[0], (int)a[1], c->ptr[2],
				   c->ptr[3])) : -EFAULT;
	case EXO_FWD_GETRANDOM:
		return sys(syscall(SYS_getrandom, c->ptr[0], c->len[0], (unsigned)a[2]));
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
