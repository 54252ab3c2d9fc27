/* SPDX-License-Identifier: MIT */
/*
 * tests/kvm/test_forward.c: hv/kvm/forward.c, files.c and paths.c, the
 * host side of a guest's forwarded calls: its descriptor table and its paths confined to --root.
 *
 * Each test gets a fresh temporary directory holding the guest's root and,
 * beside it, a secret file and directory the guest must never reach. Calls
 * go straight to hv_plat_forward as hv/core would make them (ptr[] at
 * hv's copies), and each escape attempt must fail or act strictly inside
 * the root: the secret is checked untouched after every test. Error numbers
 * for in-root operations are compared with what Linux itself returns on a
 * twin of the root tree.
 */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <criterion/redirect.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "kvm.h"

#define SECRET "SECRET\n"
#define HELLO "hello world\n"

static char tmp[64];          /* the test's directory */
static char root[128];        /* tmp/root: the guest's "/" */
static char twin[128];        /* tmp/twin: the same tree, for native calls */
static char secret[128];      /* tmp/secret: outside the root */
static char outdir[128];      /* tmp/outdir: a directory outside the root */
static struct kvm_guest vm;
static struct stat secret_st;
static int fds_before; /* descriptors open before the table: none may leak */

/* --- building the trees --- */

static int count_fds(void)
{
	int n = 0;
	DIR *d = opendir("/proc/self/fd");
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

static void put_file(const char *dir, const char *name, const char *text, mode_t mode)
{
	char p[PATH_MAX];
	snprintf(p, sizeof p, "%s/%s", dir, name);
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	cr_assert_geq(fd, 0, "%s: %s", p, strerror(errno));
	cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

static void put_dir(const char *dir, const char *name)
{
	char p[PATH_MAX];
	snprintf(p, sizeof p, "%s/%s", dir, name);
	cr_assert_eq(mkdir(p, 0755), 0, "%s: %s", p, strerror(errno));
}

static void put_link(const char *dir, const char *name, const char *target)
{
	char p[PATH_MAX];
	snprintf(p, sizeof p, "%s/%s", dir, name);
	cr_assert_eq(symlink(target, p), 0, "%s: %s", p, strerror(errno));
}

/* The tree Linux and hv are compared on: only relative symlinks that stay
 * inside, so a path means the same under the root and under the twin. */
static void plain_tree(const char *dir)
{
	put_file(dir, "hello", HELLO, 0644);
	put_dir(dir, "d");
	put_file(dir, "d/inner", "inner\n", 0644);
	put_dir(dir, "d/e");
	put_dir(dir, "empty");
	put_link(dir, "lnk", "hello");
	put_link(dir, "dlnk", "d");
	put_link(dir, "dangling", "nothere");
}

static void setup(void)
{
	snprintf(tmp, sizeof tmp, "/tmp/exo-forward-XXXXXX");
	cr_assert_not_null(mkdtemp(tmp));
	snprintf(root, sizeof root, "%s/root", tmp);
	snprintf(twin, sizeof twin, "%s/twin", tmp);
	snprintf(secret, sizeof secret, "%s/secret", tmp);
	snprintf(outdir, sizeof outdir, "%s/outdir", tmp);
	put_file(tmp, "secret", SECRET, 0600);
	put_dir(tmp, "outdir");
	put_file(outdir, "file", SECRET, 0600);
	put_dir(tmp, "root");
	put_dir(tmp, "twin");
	plain_tree(root);
	plain_tree(twin);
	/* The escape routes, in the root only. */
	put_link(root, "abs_out", secret);      /* absolute, to the outside */
	put_link(root, "abs_outdir", outdir);   /* absolute, to an outside dir */
	put_link(root, "abs_in", "/hello");     /* absolute, meant inside */
	put_link(root, "rel_out", "../secret"); /* relative, climbing out */
	put_link(root, "d/rel_out2", "../../secret");
	put_link(root, "d/up", "../../../hello"); /* clamped: the root's hello */
	put_link(root, "rootlnk", "..");
	put_link(root, "proc_root", "/proc/self/root");
	cr_assert_eq(stat(secret, &secret_st), 0);
	fds_before = count_fds();
	memset(&vm, 0, sizeof vm);
	vm.g.plat = &vm;
	cr_assert_eq(kvm_files_open(&vm.files, root), 0);
}

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)ftw;
	if (flag == FTW_DP)
		rmdir(p);
	else
		unlink(p);
	return 0;
}

static void assert_secret_untouched(void)
{
	struct stat st;
	char buf[64] = { 0 };
	cr_assert_eq(stat(secret, &st), 0, "the secret is gone");
	cr_assert_eq(st.st_ino, secret_st.st_ino, "the secret was replaced");
	cr_assert_eq(st.st_mode, secret_st.st_mode, "the secret's mode changed");
	cr_assert_eq(st.st_mtim.tv_sec, secret_st.st_mtim.tv_sec);
	cr_assert_eq(st.st_mtim.tv_nsec, secret_st.st_mtim.tv_nsec, "the secret's mtime changed");
	int fd = open(secret, O_RDONLY | O_CLOEXEC);
	cr_assert_eq(read(fd, buf, sizeof buf - 1), (ssize_t)strlen(SECRET));
	close(fd);
	cr_assert_str_eq(buf, SECRET);
	cr_assert_eq(access(outdir, F_OK), 0, "the outside directory is gone");
}

static void teardown(void)
{
	kvm_files_close(&vm.files);
	assert_secret_untouched();
	nftw(tmp, rm_one, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
}

TestSuite(forward, .init = setup, .fini = teardown);

/* A test of the forward suite that ends by closing the table and finding
 * every descriptor hv opened closed again (a failed assertion in .fini
 * would only be printed). */
static void assert_no_leak(void)
{
	kvm_files_close(&vm.files);
	cr_assert_eq(count_fds(), fds_before, "hv leaked %d descriptors",
		     count_fds() - fds_before);
}
#define FORWARD_TEST(name, ...)                         \
	static void name##_body(void);                  \
	Test(forward, name, ##__VA_ARGS__)              \
	{                                               \
		name##_body();                          \
		assert_no_leak();                       \
	}                                               \
	static void name##_body(void)

/* --- calls as hv/core makes them: paths and structs are hv's copies --- */

static char pathbuf[2][EXO_FWD_PATH_MAX];

static void *P(int i, const char *s)
{
	snprintf(pathbuf[i], sizeof pathbuf[i], "%s", s);
	return pathbuf[i];
}

static int64_t fwd(struct hv_fwd c)
{
	for (int i = 0; i < 6; i++)
		if (c.ptr[i] == pathbuf[0] || c.ptr[i] == pathbuf[1])
			c.len[i] = strlen(c.ptr[i]);
	return hv_plat_forward(&vm.g, &c);
}

#define ARGS(...) .arg = { __VA_ARGS__ }
#define PTRS(...) .ptr = { __VA_ARGS__ }
#define LENS(...) .len = { __VA_ARGS__ }

static int64_t g_openat(int dirfd, const char *path, int flags, int mode)
{
	return fwd((struct hv_fwd){ .nr = EXO_FWD_OPENAT, ARGS(dirfd, 0, flags, mode),
				    PTRS(NULL, P(0, path)) });
}
static int64_t g_open(const char *path, int flags)
{
	return g_openat(AT_FDCWD, path, flags, 0644);
}
static int64_t g_read(int fd, void *buf, size_t n)
{
	return fwd((struct hv_fwd){ .nr = EXO_FWD_READ, ARGS(fd, 0, (int64_t)n),
				    PTRS(NULL, buf), LENS(0, n) });
}
static int64_t g_write(int fd, const char *s)
{
	return fwd((struct hv_fwd){ .nr = EXO_FWD_WRITE, ARGS(fd, 0, (int64_t)strlen(s)),
				    PTRS(NULL, (void *)s), LENS(0, strlen(s)) });
}
static int64_t g_pread(int fd, void *buf, size_t n, int64_t off)
{
	return fwd((struct hv_fwd){ .nr = EXO_FWD_PREAD64, ARGS(fd, 0, (int64_t)n, off),
				    PTRS(NULL, buf), LENS(0, n) });
}
static int64_t g_lseek(int fd, int64_t off, int whence)
{
	return fwd((struct hv_fwd){ .nr = EXO_FWD_LSEEK, ARGS(fd, off, whence) });
}
static int64_t g_close(int fd)
{
	return fwd((struct hv_fwd){ .nr = EXO_FWD_CLOSE, ARGS(fd) });
}
static int64_t g_dup(int fd)
{
	return fwd((struct hv_fwd){ .nr = EXO_FWD_DUP, ARGS(fd) });
}
static int64_t g_dup3(int o, int n, int flags)
{
	return fwd((struct hv_fwd){ .nr = EXO_FWD_DUP3, ARGS(o, n, flags) });
}
static int64_t g_fcntl(int fd, int cmd, int64_t arg)
{
	return fwd((struct hv_fwd){ .nr = EXO_FWD_FCNTL, ARGS(fd, cmd, arg) });
}
static int64_t g_lock(int fd, int cmd, struct flock *fl)
{
	return fwd((struct hv_fwd){ .nr = EXO_FWD_FCNTL, ARGS(fd, cmd),
				    PTRS(NULL, NULL, fl), LENS(0, 0, sizeof *fl) });
}
static int64_t g_pipe2(int fds[2], int flags)
{
	return fwd((struct hv_fwd){ .nr = EXO_FWD_PIPE2, ARGS(0, flags), PTRS(fds),
				    LENS(2 * sizeof(int)) });
}
static int64_t g_fstat(int fd, struct stat *st)
{
	return fwd((struct hv_fwd){ .nr = EXO_FWD_FSTAT, ARGS(fd), PTRS(NULL, st),
				    LENS(0, sizeof *st) });
}
static int64_t g_stat(int dirfd, const char *path, struct stat *st, int flags)
{
	return fwd((struct hv_fwd){ .nr = EXO_FWD_NEWFSTATAT, ARGS(dirfd, 0, 0, flags),
				    PTRS(NULL, P(0, path), st), LENS(0, 0, sizeof *st) });
}
static int64_t g_statx(int dirfd, const char *path, int flags, unsigned mask, struct statx *stx)
{
	return fwd((struct hv_fwd){ .nr = EXO_FWD_STATX, ARGS(dirfd, 0, flags, mask),
				    PTRS(NULL, P(0, path), NULL, NULL, stx),
				    LENS(0, 0, 0, 0, sizeof *stx) });
}
static int64_t g_access(int dirfd, const char *path, int mode, int flags)
{
	return fwd((struct hv_fwd){ .nr = EXO_FWD_FACCESSAT2, ARGS(dirfd, 0, mode, flags),
				    PTRS(NULL, P(0, path)) });
}
static int64_t g_mkdir(int dirfd, const char *path, int mode)
{
	return fwd((struct hv_fwd){ .nr = EXO_FWD_MKDIRAT, ARGS(dirfd, 0, mode),
				    PTRS(NULL, P(0, path)) });
}
static int64_t g_unlink(int dirfd, const char *path, int flags)
{
	return fwd((struct hv_fwd){ .nr = EXO_FWD_UNLINKAT, ARGS(dirfd, 0, flags),
				    PTRS(NULL, P(0, path)) });
}
static int64_t g_rename2(int od, const char *op, int nd, const char *np, unsigned flags)
{
	return fwd((struct hv_fwd){ .nr = EXO_FWD_RENAMEAT2, ARGS(od, 0, nd, 0, flags),
				    PTRS(NULL, P(0, op), NULL, P(1, np)) });
}
static int64_t g_rename(const char *op, const char *np)
{
	return fwd((struct hv_fwd){ .nr = EXO_FWD_RENAMEAT, ARGS(AT_FDCWD, 0, AT_FDCWD),
				    PTRS(NULL, P(0, op), NULL, P(1, np)) });
}
static int64_t g_readlink(int dirfd, const char *path, char *buf, size_t n)
{
	return fwd((struct hv_fwd){ .nr = EXO_FWD_READLINKAT, ARGS(dirfd, 0, 0, (int64_t)n),
				    PTRS(NULL, P(0, path), buf), LENS(0, 0, n) });
}
static int64_t g_chmod(int dirfd, const char *path, int mode)
{
	return fwd((struct hv_fwd){ .nr = EXO_FWD_FCHMODAT, ARGS(dirfd, 0, mode),
				    PTRS(NULL, P(0, path)) });
}
static int64_t g_utimens(int dirfd, const char *path, struct timespec *ts, int flags)
{
	return fwd((struct hv_fwd){ .nr = EXO_FWD_UTIMENSAT, ARGS(dirfd, 0, 0, flags),
				    PTRS(NULL, path ? P(0, path) : NULL, ts),
				    LENS(0, 0, ts ? 2 * sizeof *ts : 0) });
}
static int64_t g_chdir(const char *path)
{
	return fwd((struct hv_fwd){ .nr = EXO_FWD_CHDIR, PTRS(P(0, path)) });
}
static int64_t g_fchdir(int fd)
{
	return fwd((struct hv_fwd){ .nr = EXO_FWD_FCHDIR, ARGS(fd) });
}
static int64_t g_getcwd(char *buf, size_t n)
{
	return fwd((struct hv_fwd){ .nr = EXO_FWD_GETCWD, ARGS(0, (int64_t)n), PTRS(buf),
				    LENS(n) });
}

/* The whole of what guest fd fd reads. */
static const char *slurp(int fd)
{
	static char buf[256];
	int64_t n = g_read(fd, buf, sizeof buf - 1);
	cr_assert_geq(n, 0, "read: %s", strerror((int)-n));
	buf[n] = '\0';
	return buf;
}

/* Open path in the guest; it must fail with err, or (err 0) read as want. */
static void assert_open_fails(const char *path, int flags, int err)
{
	int64_t fd = g_open(path, flags);
	if (fd >= 0) {
		const char *got = slurp((int)fd);
		cr_assert_null(strstr(got, "SECRET"), "%s: read the secret", path);
		g_close((int)fd);
	}
	cr_assert_eq(fd, -err, "open %s: %lld (%s), expected -%s", path, (long long)fd,
		     fd < 0 ? strerror((int)-fd) : "opened", strerror(err));
}

static void assert_opens_to(const char *path, const char *want)
{
	int64_t fd = g_open(path, O_RDONLY);
	cr_assert_geq(fd, 0, "open %s: %s", path, strerror((int)-fd));
	cr_assert_str_eq(slurp((int)fd), want, "%s", path);
	cr_assert_eq(g_close((int)fd), 0);
}

static void host_path(char *out, const char *rel)
{
	snprintf(out, PATH_MAX, "%s/%s", root, rel);
}

/* --- descriptors --- */

FORWARD_TEST(open_read_write_lseek_round_trip)
{
	char buf[64] = { 0 };
	int64_t fd = g_open("/new", O_RDWR | O_CREAT | O_EXCL);
	cr_assert_geq(fd, 0, "%s", strerror((int)-fd));
	cr_assert_eq(g_write((int)fd, "abcdef"), 6);
	cr_assert_eq(g_lseek((int)fd, 0, SEEK_CUR), 6);
	cr_assert_eq(g_lseek((int)fd, 2, SEEK_SET), 2);
	cr_assert_eq(g_read((int)fd, buf, 3), 3);
	cr_assert_str_eq(buf, "cde");
	cr_assert_eq(g_pread((int)fd, buf, 2, 0), 2);
	cr_assert_eq(memcmp(buf, "ab", 2), 0);
	cr_assert_eq(g_lseek((int)fd, 0, 42), -EINVAL);
	cr_assert_eq(g_close((int)fd), 0);
	char p[PATH_MAX];
	host_path(p, "new");
	struct stat st;
	cr_assert_eq(stat(p, &st), 0, "the file is not in the root");
	cr_assert_eq(st.st_size, 6);
	assert_opens_to("hello", HELLO);
}

FORWARD_TEST(stdio_descriptors_are_copies_of_exos_own)
{
	for (int i = 0; i < 3; i++) {
		if (fcntl(i, F_GETFD) < 0) {
			cr_assert_eq(vm.files.fd[i], -1);
			continue;
		}
		struct stat a, b;
		cr_assert_geq(vm.files.fd[i], 3, "guest fd %d is exo's own", i);
		cr_assert_eq(fstat(i, &a), 0);
		cr_assert_eq(fstat(vm.files.fd[i], &b), 0);
		cr_assert(a.st_dev == b.st_dev && a.st_ino == b.st_ino);
		cr_assert(fcntl(vm.files.fd[i], F_GETFD) & FD_CLOEXEC);
	}
}

FORWARD_TEST(new_descriptor_gets_lowest_free_number)
{
	for (int i = 0; i < 3; i++)
		g_close(i);
	cr_assert_eq(g_open("hello", O_RDONLY), 0);
	cr_assert_eq(g_open("hello", O_RDONLY), 1);
	cr_assert_eq(g_open("hello", O_RDONLY), 2);
	cr_assert_eq(g_close(1), 0);
	cr_assert_eq(g_dup(0), 1);
	cr_assert_eq(g_close(0), 0);
	int p[2];
	cr_assert_eq(g_pipe2(p, 0), 0);
	cr_assert_eq(p[0], 0);
	cr_assert_eq(p[1], 3);
}

FORWARD_TEST(bad_descriptor_is_ebadf)
{
	char buf[4];
	struct stat st;
	cr_assert_eq(g_read(200, buf, 1), -EBADF);
	cr_assert_eq(g_read(EXO_FWD_FDS, buf, 1), -EBADF);
	cr_assert_eq(g_read(-1, buf, 1), -EBADF);
	cr_assert_eq(g_close(77), -EBADF);
	cr_assert_eq(g_fstat(-5, &st), -EBADF);
	cr_assert_eq(g_dup(1000), -EBADF);
	cr_assert_eq(g_fcntl(300, F_GETFD, 0), -EBADF);
	cr_assert_eq(g_openat(99, "hello", O_RDONLY, 0), -EBADF);
	cr_assert_eq(g_stat(99, "hello", &st, 0), -EBADF);
	/* A descriptor is the kernel's unsigned int: bits above 32 go. */
	int64_t fd = g_open("hello", O_RDONLY);
	cr_assert_eq(fwd((struct hv_fwd){ .nr = EXO_FWD_READ, ARGS((1ll << 32) | fd, 0, 1),
					  PTRS(NULL, buf), LENS(0, 1) }), 1);
	cr_assert_eq(fwd((struct hv_fwd){ .nr = EXO_FWD_READ, ARGS((1ll << 32) - 1, 0, 1),
					  PTRS(NULL, buf), LENS(0, 1) }), -EBADF);
	cr_assert_eq(g_close((int)fd), 0);
	cr_assert_eq(g_close((int)fd), -EBADF, "closed twice");
}

FORWARD_TEST(table_full_is_emfile)
{
	struct rlimit rl;
	getrlimit(RLIMIT_NOFILE, &rl);
	if (rl.rlim_cur < 2 * EXO_FWD_FDS + 64 && rl.rlim_max >= 2 * EXO_FWD_FDS + 64) {
		rl.rlim_cur = 2 * EXO_FWD_FDS + 64;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	int64_t fd, last = -1;
	while ((fd = g_open("hello", O_RDONLY)) >= 0)
		last = fd;
	cr_assert_eq(fd, -EMFILE);
	cr_assert_eq(last, EXO_FWD_FDS - 1);
	for (unsigned i = 0; i < EXO_FWD_FDS; i++)
		cr_assert_geq(vm.files.fd[i], 0);
	cr_assert_eq(g_dup(5), -EMFILE);
	cr_assert_eq(g_fcntl(5, F_DUPFD, 0), -EMFILE);
	int p[2] = { -7, -7 };
	cr_assert_eq(g_pipe2(p, 0), -EMFILE);
	cr_assert_eq(p[0], -7, "pipe2 wrote descriptors it did not give");
	/* O_CREAT with a full table creates nothing, as Linux. */
	cr_assert_eq(g_open("created", O_WRONLY | O_CREAT), -EMFILE);
	char pth[PATH_MAX];
	host_path(pth, "created");
	cr_assert_neq(access(pth, F_OK), 0);
	/* One free slot: pipe2 needs two and leaves the table as it was. */
	cr_assert_eq(g_close(100), 0);
	cr_assert_eq(g_pipe2(p, 0), -EMFILE);
	cr_assert_eq(vm.files.fd[100], -1);
	cr_assert_eq(g_open("hello", O_RDONLY), 100);
}

FORWARD_TEST(dup3_replaces_target_and_refuses_same_fd)
{
	int64_t a = g_open("hello", O_RDONLY);
	int64_t b = g_open("d/inner", O_RDONLY);
	cr_assert_eq(g_dup3((int)a, (int)a, 0), -EINVAL);
	cr_assert_eq(g_dup3((int)a, 9, 12345), -EINVAL);
	cr_assert_eq(g_dup3((int)a, EXO_FWD_FDS, 0), -EBADF);
	cr_assert_eq(g_dup3((int)a, -1, 0), -EBADF);
	cr_assert_eq(g_dup3(150, 9, 0), -EBADF);
	cr_assert_eq(g_dup3((int)a, (int)b, O_CLOEXEC), b);
	cr_assert_str_eq(slurp((int)b), HELLO, "b is now a copy of a");
	cr_assert_eq(g_fcntl((int)b, F_GETFD, 0), FD_CLOEXEC);
	cr_assert_eq(g_dup3((int)a, 200, 0), 200);
	cr_assert_eq(g_fcntl(200, F_GETFD, 0), 0);
	/* The copies share one offset: a read through a moved b's. */
	cr_assert_eq(g_lseek((int)a, 0, SEEK_CUR), (int64_t)strlen(HELLO));
}

FORWARD_TEST(fcntl_dupfd_takes_lowest_at_or_above)
{
	int64_t a = g_open("hello", O_RDONLY);
	cr_assert_eq(g_fcntl((int)a, F_DUPFD, 10), 10);
	cr_assert_eq(g_fcntl((int)a, F_DUPFD, 10), 11);
	cr_assert_eq(g_fcntl((int)a, F_DUPFD_CLOEXEC, 10), 12);
	cr_assert_eq(g_fcntl(12, F_GETFD, 0), FD_CLOEXEC);
	cr_assert_eq(g_fcntl(10, F_GETFD, 0), 0);
	cr_assert_eq(g_fcntl((int)a, F_DUPFD, EXO_FWD_FDS - 1), EXO_FWD_FDS - 1);
	cr_assert_eq(g_fcntl((int)a, F_DUPFD, EXO_FWD_FDS - 1), -EMFILE);
	cr_assert_eq(g_fcntl((int)a, F_DUPFD, EXO_FWD_FDS), -EINVAL);
	cr_assert_eq(g_fcntl((int)a, F_DUPFD, -1), -EINVAL);
	cr_assert_eq(g_fcntl((int)a, F_SETOWN, 1), -EINVAL, "commands hv does not run");
	cr_assert_eq(g_fcntl((int)a, F_SETSIG, 9), -EINVAL);
}

FORWARD_TEST(cloexec_reads_back_with_getfd)
{
	int64_t a = g_open("hello", O_RDONLY | O_CLOEXEC);
	int64_t b = g_open("hello", O_RDONLY);
	cr_assert_eq(g_fcntl((int)a, F_GETFD, 0), FD_CLOEXEC);
	cr_assert_eq(g_fcntl((int)b, F_GETFD, 0), 0);
	cr_assert_eq(g_fcntl((int)b, F_SETFD, FD_CLOEXEC), 0);
	cr_assert_eq(g_fcntl((int)b, F_GETFD, 0), FD_CLOEXEC);
	cr_assert_eq(g_fcntl((int)a, F_SETFD, 0), 0);
	cr_assert_eq(g_fcntl((int)a, F_GETFD, 0), 0);
	cr_assert_eq(g_fcntl(g_dup((int)b), F_GETFD, 0), 0, "dup clears it");
	/* Every host descriptor is close-on-exec whatever the guest says. */
	for (unsigned i = 0; i < EXO_FWD_FDS; i++)
		if (vm.files.fd[i] >= 0)
			cr_assert(fcntl(vm.files.fd[i], F_GETFD) & FD_CLOEXEC, "guest fd %u", i);
	cr_assert(fcntl(vm.files.root, F_GETFD) & FD_CLOEXEC);
	cr_assert(fcntl(vm.files.cwd, F_GETFD) & FD_CLOEXEC);
}

FORWARD_TEST(getfl_setfl_pass_through)
{
	int64_t a = g_open("hello", O_RDWR | O_APPEND);
	int64_t fl = g_fcntl((int)a, F_GETFL, 0);
	cr_assert_geq(fl, 0);
	cr_assert_eq(fl & O_ACCMODE, O_RDWR);
	cr_assert(fl & O_APPEND);
	cr_assert_eq(g_fcntl((int)a, F_SETFL, O_NONBLOCK), 0);
	fl = g_fcntl((int)a, F_GETFL, 0);
	cr_assert(fl & O_NONBLOCK);
	cr_assert_not(fl & O_APPEND);
	cr_assert_eq(g_fcntl((int)a, F_SETFL, O_ASYNC), -EINVAL, "SIGIO would go to exo");
}

FORWARD_TEST(pipe2_connects_two_guest_fds)
{
	int p[2];
	char buf[16] = { 0 };
	cr_assert_eq(g_pipe2(p, O_CLOEXEC | O_NONBLOCK), 0);
	cr_assert_neq(p[0], p[1]);
	cr_assert_eq(g_fcntl(p[0], F_GETFD, 0), FD_CLOEXEC);
	cr_assert(g_fcntl(p[1], F_GETFL, 0) & O_NONBLOCK);
	cr_assert_eq(g_read(p[0], buf, 4), -EAGAIN);
	cr_assert_eq(g_write(p[1], "ping"), 4);
	cr_assert_eq(g_read(p[0], buf, sizeof buf), 4);
	cr_assert_str_eq(buf, "ping");
	cr_assert_eq(g_close(p[1]), 0);
	cr_assert_eq(g_read(p[0], buf, 4), 0, "end of file after the writer closed");
	cr_assert_eq(g_pipe2(p, 0x4000000), -EINVAL);
	int q[2];
	cr_assert_eq(g_pipe2(q, 0), 0);
	cr_assert_eq(g_fcntl(q[0], F_GETFD, 0), 0);
	cr_assert(fcntl(vm.files.fd[q[0]], F_GETFD) & FD_CLOEXEC);
}

FORWARD_TEST(fcntl_setlk_getlk)
{
	int64_t a = g_open("hello", O_RDWR);
	int64_t b = g_open("hello", O_RDWR);
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 4 };
	cr_assert_eq(g_lock((int)a, F_SETLK, &fl), 0);
	/* POSIX locks are the process's (exo's): its own lock never conflicts. */
	fl = (struct flock){ .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_len = 4 };
	cr_assert_eq(g_lock((int)b, F_GETLK, &fl), 0);
	cr_assert_eq(fl.l_type, F_UNLCK);
	/* Open file description locks do, and F_OFD_GETLK says who holds it. */
	fl = (struct flock){ .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 10, .l_len = 5 };
	cr_assert_eq(g_lock((int)a, F_OFD_SETLK, &fl), 0);
	fl = (struct flock){ .l_type = F_RDLCK, .l_whence = SEEK_SET, .l_start = 8, .l_len = 0 };
	cr_assert_eq(g_lock((int)b, F_OFD_GETLK, &fl), 0);
	cr_assert_eq(fl.l_type, F_WRLCK);
	cr_assert_eq(fl.l_start, 10);
	cr_assert_eq(fl.l_len, 5);
	fl = (struct flock){ .l_type = F_RDLCK, .l_whence = SEEK_SET, .l_start = 12, .l_len = 1 };
	cr_assert_eq(g_lock((int)b, F_OFD_SETLK, &fl), -EAGAIN);
	fl.l_type = 99;
	cr_assert_eq(g_lock((int)a, F_SETLK, &fl), -EINVAL);
}

FORWARD_TEST(getdents64_lists_the_files)
{
	char buf[4096];
	int64_t fd = g_open("/", O_RDONLY | O_DIRECTORY);
	cr_assert_geq(fd, 0);
	const char *want[] = { ".", "..", "hello", "d", "empty", "lnk", "abs_out" };
	int seen[7] = { 0 }, n;
	while ((n = (int)fwd((struct hv_fwd){ .nr = EXO_FWD_GETDENTS64,
					      ARGS(fd, 0, sizeof buf), PTRS(NULL, buf),
					      LENS(0, sizeof buf) })) > 0) {
		for (int at = 0; at < n;) {
			struct { uint64_t ino; int64_t off; uint16_t reclen; uint8_t type; char name[]; }
				*de = (void *)(buf + at);
			for (unsigned i = 0; i < 7; i++)
				seen[i] |= !strcmp(de->name, want[i]);
			cr_assert_str_neq(de->name, "secret", "listed the outside");
			cr_assert_str_neq(de->name, "root", "listed the root's parent");
			at += de->reclen;
		}
	}
	cr_assert_eq(n, 0);
	for (unsigned i = 0; i < 7; i++)
		cr_assert(seen[i], "%s not listed", want[i]);
	int64_t file = g_open("hello", O_RDONLY);
	cr_assert_eq(fwd((struct hv_fwd){ .nr = EXO_FWD_GETDENTS64, ARGS(file, 0, sizeof buf),
					  PTRS(NULL, buf), LENS(0, sizeof buf) }), -ENOTDIR);
}

FORWARD_TEST(fd_calls_pass_through)
{
	struct stat st;
	int64_t fd = g_open("t", O_RDWR | O_CREAT);
	cr_assert_eq(g_write((int)fd, "0123456789"), 10);
	cr_assert_eq(fwd((struct hv_fwd){ .nr = EXO_FWD_FTRUNCATE, ARGS(fd, 4) }), 0);
	cr_assert_eq(fwd((struct hv_fwd){ .nr = EXO_FWD_FSYNC, ARGS(fd) }), 0);
	cr_assert_eq(fwd((struct hv_fwd){ .nr = EXO_FWD_FDATASYNC, ARGS(fd) }), 0);
	cr_assert_eq(fwd((struct hv_fwd){ .nr = EXO_FWD_FCHMOD, ARGS(fd, 0604) }), 0);
	cr_assert_eq(g_fstat((int)fd, &st), 0);
	cr_assert_eq(st.st_size, 4);
	cr_assert_eq(st.st_mode, S_IFREG | 0604);
	cr_assert_eq(fwd((struct hv_fwd){ .nr = EXO_FWD_PWRITE64, ARGS(fd, 0, 2, 1),
					  PTRS(NULL, "xy"), LENS(0, 2) }), 2);
	char buf[8] = { 0 };
	cr_assert_eq(g_pread((int)fd, buf, 8, 0), 4);
	cr_assert_str_eq(buf, "0xy3");
	/* ioctl: only the two terminal queries reach hv; a file is no tty. */
	char tio[36];
	cr_assert_eq(fwd((struct hv_fwd){ .nr = EXO_FWD_IOCTL, ARGS(fd, TCGETS),
					  PTRS(NULL, NULL, tio), LENS(0, 0, 36) }), -ENOTTY);
	cr_assert_eq(fwd((struct hv_fwd){ .nr = EXO_FWD_IOCTL, ARGS(fd, TIOCGWINSZ),
					  PTRS(NULL, NULL, tio), LENS(0, 0, 8) }), -ENOTTY);
	cr_assert_eq(fwd((struct hv_fwd){ .nr = EXO_FWD_IOCTL, ARGS(fd, FIONREAD),
					  PTRS(NULL, NULL, tio), LENS(0, 0, 8) }), -ENOTTY);
	/* An O_PATH descriptor reads nothing, as Linux. */
	int64_t path = g_open("hello", O_PATH);
	cr_assert_eq(g_read((int)path, buf, 1), -EBADF);
	cr_assert_eq(g_fstat((int)path, &st), 0);
}

/* --- the working directory --- */

FORWARD_TEST(getcwd_follows_chdir_and_fchdir)
{
	char buf[PATH_MAX];
	cr_assert_eq(g_getcwd(buf, sizeof buf), 2);
	cr_assert_str_eq(buf, "/");
	cr_assert_eq(g_chdir("d/e"), 0);
	cr_assert_eq(g_getcwd(buf, sizeof buf), 5);
	cr_assert_str_eq(buf, "/d/e");
	cr_assert_eq(g_chdir(".."), 0);
	cr_assert_eq(g_getcwd(buf, sizeof buf), 3);
	cr_assert_str_eq(buf, "/d");
	assert_opens_to("inner", "inner\n");
	cr_assert_eq(g_chdir("/dlnk/e"), 0, "through a symlink");
	cr_assert_eq(g_getcwd(buf, sizeof buf), 5);
	cr_assert_str_eq(buf, "/d/e");
	int64_t fd = g_open("/empty", O_RDONLY | O_DIRECTORY);
	cr_assert_eq(g_fchdir((int)fd), 0);
	cr_assert_eq(g_getcwd(buf, sizeof buf), 7);
	cr_assert_str_eq(buf, "/empty");
	int64_t dirpath = g_open("/d", O_PATH);
	cr_assert_eq(g_fchdir((int)dirpath), 0, "O_PATH directories will do");
	cr_assert_eq(g_getcwd(buf, sizeof buf), 3);
	int64_t file = g_open("/hello", O_RDONLY);
	cr_assert_eq(g_fchdir((int)file), -ENOTDIR);
	cr_assert_eq(g_fchdir(201), -EBADF);
	cr_assert_eq(g_chdir("/hello"), -ENOTDIR);
	cr_assert_eq(g_chdir("/nothere"), -ENOENT);
	cr_assert_eq(g_chdir(""), -ENOENT);
	cr_assert_eq(g_getcwd(buf, sizeof buf), 3, "failed calls leave the cwd");
	cr_assert_str_eq(buf, "/d");
}

FORWARD_TEST(getcwd_too_small_is_erange)
{
	char buf[8];
	cr_assert_eq(g_chdir("/d/e"), 0);
	cr_assert_eq(g_getcwd(buf, 4), -ERANGE);
	cr_assert_eq(g_getcwd(buf, 5), 5);
	cr_assert_eq(g_getcwd(buf, 0), -ERANGE);
}

FORWARD_TEST(getcwd_of_a_removed_directory_is_enoent)
{
	char buf[64];
	cr_assert_eq(g_mkdir(AT_FDCWD, "gone", 0755), 0);
	cr_assert_eq(g_chdir("gone"), 0);
	cr_assert_eq(g_unlink(AT_FDCWD, "/gone", AT_REMOVEDIR), 0);
	cr_assert_eq(g_getcwd(buf, sizeof buf), -ENOENT);
	cr_assert_eq(g_open("x", O_RDONLY), -ENOENT);
	cr_assert_eq(g_open("x", O_WRONLY | O_CREAT), -ENOENT);
	cr_assert_eq(g_chdir("/"), 0);
	cr_assert_eq(g_getcwd(buf, sizeof buf), 2);
}

FORWARD_TEST(dotdot_from_the_cwd_stops_at_root)
{
	char buf[64];
	cr_assert_eq(g_chdir("/d/e"), 0);
	cr_assert_eq(g_chdir("../../../../.."), 0);
	cr_assert_eq(g_getcwd(buf, sizeof buf), 2);
	cr_assert_str_eq(buf, "/");
	cr_assert_eq(g_chdir("/rootlnk/rootlnk"), 0);
	cr_assert_eq(g_getcwd(buf, sizeof buf), 2);
	cr_assert_str_eq(buf, "/");
	cr_assert_eq(g_chdir("/abs_outdir"), -ENOENT);
}

/* --- paths --- */

FORWARD_TEST(path_too_long_after_joining_is_enametoolong)
{
	static char longp[EXO_FWD_PATH_MAX];
	struct stat st;
	/* A relative path is joined to the cwd's: from "/", 4094 bytes fit
	 * (Linux itself would take 4095). */
	memset(longp, 'a', sizeof longp - 2);
	for (size_t i = 100; i < sizeof longp - 2; i += 100)
		longp[i] = '/';
	cr_assert_eq(g_stat(AT_FDCWD, longp, &st, 0), -ENOENT, "\"/\" + 4094 fits");
	cr_assert_eq(g_chdir("/d/e"), 0);
	cr_assert_eq(g_stat(AT_FDCWD, longp, &st, 0), -ENAMETOOLONG);
	cr_assert_eq(g_open(longp, O_RDONLY), -ENAMETOOLONG);
	cr_assert_eq(g_mkdir(AT_FDCWD, longp, 0755), -ENAMETOOLONG);
	cr_assert_eq(g_stat(AT_FDCWD, longp + 4, &st, 0), -ENOENT, "\"/d/e/\" + 4090 fits");
	cr_assert_eq(g_stat(AT_FDCWD, longp + 3, &st, 0), -ENAMETOOLONG);
}

FORWARD_TEST(dotdot_cannot_leave_root)
{
	assert_open_fails("../secret", O_RDONLY, ENOENT);
	assert_open_fails("../../../../../../../../etc/passwd", O_RDONLY, ENOENT);
	assert_open_fails("d/../../secret", O_RDONLY, ENOENT);
	assert_open_fails("d/e/../../../secret", O_RDONLY, ENOENT);
	assert_opens_to("../../hello", HELLO);
	assert_opens_to("d/../../../d/inner", "inner\n");
	/* Creation lands inside too. */
	int64_t fd = g_open("../escaped", O_WRONLY | O_CREAT);
	cr_assert_geq(fd, 0);
	g_close((int)fd);
	char p[PATH_MAX];
	snprintf(p, sizeof p, "%s/escaped", tmp);
	cr_assert_neq(access(p, F_OK), 0, "created beside the root");
	host_path(p, "escaped");
	cr_assert_eq(access(p, F_OK), 0);
}

FORWARD_TEST(absolute_paths_start_at_root)
{
	char p[PATH_MAX];
	assert_open_fails("/../secret", O_RDONLY, ENOENT);
	assert_open_fails("/../../etc/passwd", O_RDONLY, ENOENT);
	assert_open_fails(secret, O_RDONLY, ENOENT); /* the host path itself */
	snprintf(p, sizeof p, "/../../../../..%s", secret);
	assert_open_fails(p, O_RDONLY, ENOENT);
	assert_opens_to("/hello", HELLO);
	assert_opens_to("/../hello", HELLO);
	assert_opens_to("//d//inner", "inner\n");
}

FORWARD_TEST(absolute_symlink_stays_in_root)
{
	struct stat st;
	assert_open_fails("abs_out", O_RDONLY, ENOENT);
	assert_open_fails("abs_outdir/file", O_RDONLY, ENOENT);
	assert_opens_to("abs_in", HELLO);
	assert_open_fails("proc_root/etc/passwd", O_RDONLY, ENOENT);
	cr_assert_eq(g_stat(AT_FDCWD, "abs_out", &st, 0), -ENOENT);
	/* O_CREAT through it would create the target inside the root, but
	 * the host path's directories are not there. */
	cr_assert_eq(g_open("abs_out", O_WRONLY | O_CREAT | O_TRUNC), -ENOENT);
	/* With them made inside, it creates there, not beside the secret. */
	char p[PATH_MAX], esc[128];
	snprintf(esc, sizeof esc, "%s/escaped", tmp);
	cr_assert_eq(g_mkdir(AT_FDCWD, "/tmp", 0755), 0);
	cr_assert_eq(g_mkdir(AT_FDCWD, tmp, 0755), 0);
	put_link(root, "abs_esc", esc);
	int64_t fd = g_open("abs_esc", O_WRONLY | O_CREAT);
	cr_assert_geq(fd, 0, "%s", strerror((int)-fd));
	cr_assert_eq(g_write((int)fd, "x"), 1);
	host_path(p, esc + 1);
	cr_assert_eq(access(p, F_OK), 0, "created inside the root");
	cr_assert_neq(access(esc, F_OK), 0, "created outside the root");
}

FORWARD_TEST(relative_symlink_is_clamped_at_root)
{
	assert_open_fails("rel_out", O_RDONLY, ENOENT);
	assert_open_fails("d/rel_out2", O_RDONLY, ENOENT);
	assert_opens_to("d/up", HELLO);
	assert_opens_to("rootlnk/rootlnk/hello", HELLO);
	assert_open_fails("rootlnk/secret", O_RDONLY, ENOENT);
	/* A symlink to the outside, used as a directory. */
	assert_open_fails("abs_outdir/../secret", O_RDONLY, ENOENT);
}

FORWARD_TEST(dirfd_relative_dotdot_cannot_leave_root)
{
	struct stat st;
	int64_t d = g_open("/d", O_RDONLY | O_DIRECTORY);
	int64_t e = g_open("/d/e", O_PATH);
	cr_assert_eq(g_openat((int)d, "../../secret", O_RDONLY, 0), -ENOENT);
	cr_assert_eq(g_openat((int)e, "../../../../secret", O_RDONLY, 0), -ENOENT);
	cr_assert_eq(g_stat((int)e, "../../../secret", &st, 0), -ENOENT);
	cr_assert_eq(g_stat((int)e, "../../../outdir", &st, 0), -ENOENT);
	int64_t fd = g_openat((int)d, "inner", O_RDONLY, 0);
	cr_assert_str_eq(slurp((int)fd), "inner\n");
	fd = g_openat((int)e, "../../hello", O_RDONLY, 0);
	cr_assert_str_eq(slurp((int)fd), HELLO);
	/* A file as dirfd: ENOTDIR, as Linux. */
	int64_t file = g_open("/hello", O_RDONLY);
	cr_assert_eq(g_openat((int)file, "x", O_RDONLY, 0), -ENOTDIR);
	fd = g_openat((int)file, "/hello", O_RDONLY, 0);
	cr_assert_str_eq(slurp((int)fd), HELLO, "an absolute path ignores dirfd");
	/* A symlink held O_PATH as dirfd: ENOTDIR too. */
	int64_t l = g_open("/dlnk", O_PATH | O_NOFOLLOW);
	cr_assert_eq(g_openat((int)l, "inner", O_RDONLY, 0), -ENOTDIR);
	/* A pipe as dirfd. */
	int p[2];
	cr_assert_eq(g_pipe2(p, 0), 0);
	cr_assert_eq(g_openat(p[0], "hello", O_RDONLY, 0), -ENOTDIR);
}

FORWARD_TEST(dirfd_moved_out_of_root_gives_enoent)
{
	/* Someone on the host moves a directory the guest holds outside. */
	struct stat st;
	int64_t d = g_open("/d", O_RDONLY | O_DIRECTORY);
	char from[PATH_MAX], to[PATH_MAX];
	host_path(from, "d");
	snprintf(to, sizeof to, "%s/moved", tmp);
	cr_assert_eq(rename(from, to), 0);
	cr_assert_eq(g_openat((int)d, "inner", O_RDONLY, 0), -ENOENT);
	cr_assert_eq(g_stat((int)d, "inner", &st, 0), -ENOENT);
	cr_assert_eq(g_fchdir((int)d), 0);
	char buf[64];
	cr_assert_eq(g_getcwd(buf, sizeof buf), -ENOENT);
	cr_assert_eq(g_open("inner", O_RDONLY), -ENOENT);
	cr_assert_eq(rename(to, from), 0);
}

FORWARD_TEST(stat_following_symlink_to_outside_fails)
{
	struct stat st;
	struct statx stx;
	cr_assert_eq(g_stat(AT_FDCWD, "abs_out", &st, 0), -ENOENT);
	cr_assert_eq(g_stat(AT_FDCWD, "rel_out", &st, 0), -ENOENT);
	cr_assert_eq(g_stat(AT_FDCWD, "abs_outdir/", &st, AT_SYMLINK_NOFOLLOW), -ENOENT,
		     "a trailing slash follows even with NOFOLLOW");
	cr_assert_eq(g_statx(AT_FDCWD, "abs_out", 0, STATX_BASIC_STATS, &stx), -ENOENT);
	cr_assert_eq(g_access(AT_FDCWD, "abs_out", F_OK, 0), -ENOENT);
	cr_assert_eq(g_access(AT_FDCWD, "abs_outdir/file", R_OK, 0), -ENOENT);
	cr_assert_eq(g_stat(AT_FDCWD, "abs_out", &st, AT_SYMLINK_NOFOLLOW), 0);
	cr_assert(S_ISLNK(st.st_mode), "the link itself");
	cr_assert_eq(st.st_size, (off_t)strlen(secret));
	cr_assert_eq(g_statx(AT_FDCWD, "abs_out", AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS, &stx), 0);
	cr_assert(S_ISLNK(stx.stx_mode));
	cr_assert_eq(g_access(AT_FDCWD, "abs_out", F_OK, AT_SYMLINK_NOFOLLOW), 0);
	cr_assert_eq(g_stat(AT_FDCWD, "abs_in", &st, 0), 0);
	cr_assert(S_ISREG(st.st_mode));
	cr_assert_eq(st.st_size, (off_t)strlen(HELLO));
	cr_assert_eq(g_stat(AT_FDCWD, "/..", &st, 0), 0);
	struct stat r;
	cr_assert_eq(stat(root, &r), 0);
	cr_assert_eq(st.st_ino, r.st_ino, "/.. is the root");
}

FORWARD_TEST(stat_with_empty_path_is_fstat)
{
	struct stat st, want;
	struct statx stx;
	int64_t fd = g_open("hello", O_RDONLY);
	cr_assert_eq(g_stat((int)fd, "", &st, AT_EMPTY_PATH), 0);
	cr_assert_eq(g_fstat((int)fd, &want), 0);
	cr_assert_eq(st.st_ino, want.st_ino);
	cr_assert_eq(g_stat((int)fd, "", &st, 0), -ENOENT);
	cr_assert_eq(g_statx((int)fd, "", AT_EMPTY_PATH, STATX_SIZE, &stx), 0);
	cr_assert_eq(stx.stx_size, strlen(HELLO));
	cr_assert_eq(g_chdir("/d"), 0);
	cr_assert_eq(g_stat(AT_FDCWD, "", &st, AT_EMPTY_PATH), 0);
	cr_assert(S_ISDIR(st.st_mode));
	cr_assert_eq(g_access((int)fd, "", R_OK, AT_EMPTY_PATH), 0);
	cr_assert_eq(g_stat(150, "", &st, AT_EMPTY_PATH), -EBADF);
	cr_assert_eq(g_stat((int)fd, "", &st, 0x40000), -EINVAL);
	cr_assert_eq(g_statx((int)fd, "", AT_EMPTY_PATH, STATX__RESERVED, &stx), -EINVAL);
	int p[2];
	cr_assert_eq(g_pipe2(p, 0), 0);
	cr_assert_eq(g_stat(p[0], "", &st, AT_EMPTY_PATH), 0);
	cr_assert(S_ISFIFO(st.st_mode));
}

/* A procfs under the root (--root / has one): magic links are refused and
 * no file of hv's own process is opened. Needs a mount namespace. */
FORWARD_TEST(proc_magic_links_are_refused)
{
	char p[PATH_MAX], buf[64];
	struct stat st;
	host_path(p, "proc");
	if (unshare(CLONE_NEWNS) < 0 || mount("none", "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
	    mkdir(p, 0755) < 0 || mount("proc", p, "proc", 0, NULL) < 0)
		cr_skip("cannot mount proc in a mount namespace here: %s", strerror(errno));
	/* The root descriptor must be one of the new namespace's. */
	kvm_files_close(&vm.files);
	cr_assert_eq(kvm_files_open(&vm.files, root), 0);
	snprintf(buf, sizeof buf, "/proc/%d/status", getpid());
	int64_t rc = g_stat(AT_FDCWD, buf, &st, 0);
	cr_assert_eq(rc, 0, "the proc is not visible: %s", strerror((int)-rc));
	snprintf(p, sizeof p, "/proc/self/root%s", secret);
	cr_assert_eq(g_open(p, O_RDONLY), -ELOOP);
	cr_assert_eq(g_stat(AT_FDCWD, p, &st, 0), -ELOOP);
	cr_assert_eq(g_open("/proc_root/etc/passwd", O_RDONLY), -ELOOP, "via a plain symlink");
	snprintf(p, sizeof p, "/proc/self/fd/%d/../secret", vm.files.root);
	cr_assert_eq(g_open(p, O_RDONLY), -ELOOP);
	snprintf(p, sizeof p, "/proc/self/fd/%d", vm.files.fd[1] >= 0 ? vm.files.fd[1] : 0);
	cr_assert_eq(g_open(p, O_WRONLY), -ELOOP);
	cr_assert_eq(g_open("/proc/self/cwd/hello", O_RDONLY), -ELOOP);
	cr_assert_eq(g_open("/proc/self/exe", O_RDONLY), -ELOOP);
	cr_assert_eq(g_chdir("/proc/self/root"), -ELOOP);
	cr_assert_eq(g_chdir("/proc/self/cwd"), -ELOOP);
	cr_assert_eq(g_unlink(AT_FDCWD, "/proc/self/root/tmp", 0), -ELOOP);
	/* Files of hv's own process: /proc/self/mem would be hv's memory. */
	cr_assert_eq(g_open("/proc/self/mem", O_RDWR), -EACCES);
	cr_assert_eq(g_open("/proc/self/environ", O_RDONLY), -EACCES);
	cr_assert_eq(g_open(buf, O_RDONLY), -EACCES);
	char link[64];
	cr_assert_eq(g_readlink(AT_FDCWD, "/proc/self/exe", link, sizeof link), -EACCES,
		     "names a host path");
	cr_assert_eq(g_readlink(AT_FDCWD, "/proc/self/cwd", link, sizeof link), -EACCES);
	cr_assert_eq(g_chdir("/proc/self"), 0);
	cr_assert_eq(g_open("mem", O_RDONLY), -EACCES, "relative to a /proc cwd");
	cr_assert_eq(g_chdir("/"), 0);
	host_path(p, "proc");
	umount2(p, MNT_DETACH);
}

/* --- calls that change names --- */

FORWARD_TEST(unlink_of_dot_dotdot_and_root_fails_like_linux)
{
	cr_assert_eq(g_unlink(AT_FDCWD, ".", 0), -EISDIR);
	cr_assert_eq(g_unlink(AT_FDCWD, "..", 0), -EISDIR);
	cr_assert_eq(g_unlink(AT_FDCWD, "/", 0), -EISDIR);
	cr_assert_eq(g_unlink(AT_FDCWD, "/..", 0), -EISDIR);
	cr_assert_eq(g_unlink(AT_FDCWD, ".", AT_REMOVEDIR), -EINVAL);
	cr_assert_eq(g_unlink(AT_FDCWD, "..", AT_REMOVEDIR), -ENOTEMPTY);
	cr_assert_eq(g_unlink(AT_FDCWD, "/", AT_REMOVEDIR), -EBUSY);
	cr_assert_eq(g_unlink(AT_FDCWD, "///", AT_REMOVEDIR), -EBUSY);
	cr_assert_eq(g_unlink(AT_FDCWD, "/empty/..", AT_REMOVEDIR), -ENOTEMPTY);
	cr_assert_eq(g_unlink(AT_FDCWD, "/nothere/..", AT_REMOVEDIR), -ENOENT);
	cr_assert_eq(g_unlink(AT_FDCWD, "../secret", 0), -ENOENT);
	cr_assert_eq(g_unlink(AT_FDCWD, "/../secret", 0), -ENOENT);
	cr_assert_eq(g_unlink(AT_FDCWD, "/../outdir", AT_REMOVEDIR), -ENOENT);
	cr_assert_eq(g_unlink(AT_FDCWD, "hello", 0x4000), -EINVAL);
	cr_assert_eq(g_unlink(AT_FDCWD, "", 0), -ENOENT);
	/* Through a symlink to the root's parent: the link, not the target. */
	cr_assert_eq(g_unlink(AT_FDCWD, "abs_outdir/file", 0), -ENOENT);
	cr_assert_eq(g_unlink(AT_FDCWD, "abs_outdir/", AT_REMOVEDIR), -ENOTDIR);
	cr_assert_eq(g_unlink(AT_FDCWD, "abs_outdir/", 0), -ENOTDIR);
	cr_assert_eq(g_unlink(AT_FDCWD, "abs_out", 0), 0, "removes the link only");
	cr_assert_eq(g_unlink(AT_FDCWD, "rootlnk/hello", 0), 0);
	char p[PATH_MAX];
	host_path(p, "hello");
	cr_assert_neq(access(p, F_OK), 0, "rootlnk/hello was the root's hello");
	cr_assert_eq(g_chdir("/empty"), 0);
	cr_assert_eq(g_unlink(AT_FDCWD, "..", AT_REMOVEDIR), -ENOTEMPTY);
	cr_assert_eq(g_unlink(AT_FDCWD, "../..", AT_REMOVEDIR), -ENOTEMPTY);
	cr_assert_eq(access(root, F_OK), 0);
}

FORWARD_TEST(mkdir_of_root_dot_and_dotdot_is_eexist)
{
	cr_assert_eq(g_mkdir(AT_FDCWD, "/", 0755), -EEXIST);
	cr_assert_eq(g_mkdir(AT_FDCWD, ".", 0755), -EEXIST);
	cr_assert_eq(g_mkdir(AT_FDCWD, "..", 0755), -EEXIST);
	cr_assert_eq(g_mkdir(AT_FDCWD, "/..", 0755), -EEXIST);
	cr_assert_eq(g_mkdir(AT_FDCWD, "/../made", 0755), 0);
	cr_assert_eq(g_mkdir(AT_FDCWD, "/../../root/made2", 0755), -ENOENT);
	char p[PATH_MAX];
	snprintf(p, sizeof p, "%s/made", tmp);
	cr_assert_neq(access(p, F_OK), 0, "made beside the root");
	host_path(p, "made");
	cr_assert_eq(access(p, F_OK), 0);
	cr_assert_eq(g_mkdir(AT_FDCWD, "abs_outdir/sub", 0755), -ENOENT);
	cr_assert_eq(g_mkdir(AT_FDCWD, "abs_outdir", 0755), -EEXIST);
	cr_assert_eq(g_mkdir(AT_FDCWD, "abs_outdir/", 0755), -EEXIST);
	cr_assert_eq(g_mkdir(AT_FDCWD, "new/", 0755), 0, "a trailing slash is fine");
	cr_assert_eq(g_mkdir(AT_FDCWD, "", 0755), -ENOENT);
}

FORWARD_TEST(rename_of_dotdot_and_root_is_ebusy)
{
	cr_assert_eq(g_rename("/", "/x"), -EBUSY);
	cr_assert_eq(g_rename(".", "/x"), -EBUSY);
	cr_assert_eq(g_rename("..", "/x"), -EBUSY);
	cr_assert_eq(g_rename("/d/..", "/x"), -EBUSY);
	cr_assert_eq(g_rename("hello", "/"), -EBUSY);
	cr_assert_eq(g_rename("hello", ".."), -EBUSY);
	cr_assert_eq(g_rename2(AT_FDCWD, "hello", AT_FDCWD, "..", RENAME_NOREPLACE), -EEXIST);
	cr_assert_eq(g_rename2(AT_FDCWD, "hello", AT_FDCWD, "x", RENAME_NOREPLACE | RENAME_EXCHANGE),
		     -EINVAL);
	cr_assert_eq(g_rename2(AT_FDCWD, "hello", AT_FDCWD, "x", 0x100), -EINVAL);
	cr_assert_eq(g_chdir("/d/e"), 0);
	cr_assert_eq(g_rename("../..", "x"), -EBUSY);
	cr_assert_eq(access(root, F_OK), 0);
}

FORWARD_TEST(rename_cannot_move_out_of_or_into_root)
{
	char p[PATH_MAX];
	cr_assert_eq(g_rename("hello", "../stolen"), 0);
	snprintf(p, sizeof p, "%s/stolen", tmp);
	cr_assert_neq(access(p, F_OK), 0, "moved out of the root");
	host_path(p, "stolen");
	cr_assert_eq(access(p, F_OK), 0);
	cr_assert_eq(g_rename("stolen", "/../../x"), 0);
	host_path(p, "x");
	cr_assert_eq(access(p, F_OK), 0);
	cr_assert_eq(g_rename("../secret", "grabbed"), -ENOENT);
	cr_assert_eq(g_rename("/../secret", "grabbed"), -ENOENT);
	cr_assert_eq(g_rename("abs_outdir/file", "grabbed"), -ENOENT);
	cr_assert_eq(g_rename("x", "abs_outdir/x"), -ENOENT);
	cr_assert_eq(g_rename("x", "rel_out"), 0, "replaces the link, not its target");
	cr_assert_eq(g_rename("d", "abs_outdir"), -ENOTDIR);
	cr_assert_eq(g_rename2(AT_FDCWD, "abs_out", AT_FDCWD, "lnk", RENAME_EXCHANGE), 0);
	cr_assert_eq(g_readlink(AT_FDCWD, "lnk", p, sizeof p), (int64_t)strlen(secret));
	int64_t d = g_open("/d/e", O_PATH);
	cr_assert_eq(g_rename2((int)d, "../../../../secret", AT_FDCWD, "g", 0), -ENOENT);
	cr_assert_eq(g_rename2((int)d, "../inner", (int)d, "../../moved", 0), 0);
	host_path(p, "moved");
	cr_assert_eq(access(p, F_OK), 0);
	/* Renaming the root itself, by any name. */
	cr_assert_eq(g_rename("rootlnk/", "elsewhere"), -ENOTDIR);
	cr_assert_eq(g_rename("/d/../", "elsewhere"), -EBUSY);
	cr_assert_eq(access(root, F_OK), 0);
}

FORWARD_TEST(readlink_of_dotdot_and_root_is_einval)
{
	char buf[PATH_MAX];
	cr_assert_eq(g_readlink(AT_FDCWD, "/", buf, sizeof buf), -EINVAL);
	cr_assert_eq(g_readlink(AT_FDCWD, "..", buf, sizeof buf), -EINVAL);
	cr_assert_eq(g_readlink(AT_FDCWD, ".", buf, sizeof buf), -EINVAL);
	cr_assert_eq(g_readlink(AT_FDCWD, "/..", buf, sizeof buf), -EINVAL);
	cr_assert_eq(g_readlink(AT_FDCWD, "hello", buf, 0), -EINVAL);
	cr_assert_eq(g_readlink(AT_FDCWD, "../rel_out", buf, sizeof buf), 9);
	cr_assert_eq(memcmp(buf, "../secret", 9), 0, "the link's own text");
	cr_assert_eq(g_readlink(AT_FDCWD, "abs_out", buf, 4), 4, "truncated, as Linux");
	cr_assert_eq(g_readlink(AT_FDCWD, "abs_outdir/", buf, sizeof buf), -ENOENT);
	cr_assert_eq(g_readlink(AT_FDCWD, "dlnk/", buf, sizeof buf), -EINVAL);
	int64_t l = g_open("lnk", O_PATH | O_NOFOLLOW);
	cr_assert_eq(g_readlink((int)l, "", buf, sizeof buf), 5);
	cr_assert_eq(memcmp(buf, "hello", 5), 0);
}

FORWARD_TEST(chmod_follows_symlinks_inside_root_only)
{
	char p[PATH_MAX];
	struct stat st;
	cr_assert_eq(g_chmod(AT_FDCWD, "abs_out", 0666), -ENOENT);
	cr_assert_eq(g_chmod(AT_FDCWD, "rel_out", 0666), -ENOENT);
	cr_assert_eq(g_chmod(AT_FDCWD, "/../secret", 0666), -ENOENT);
	cr_assert_eq(g_chmod(AT_FDCWD, "abs_outdir/file", 0666), -ENOENT);
	cr_assert_eq(g_chmod(AT_FDCWD, "abs_in", 0600), 0);
	host_path(p, "hello");
	cr_assert_eq(stat(p, &st), 0);
	cr_assert_eq(st.st_mode & 07777, 0600, "abs_in is the root's /hello");
	cr_assert_eq(g_chmod(AT_FDCWD, "/rootlnk", 0700), 0);
	cr_assert_eq(stat(root, &st), 0);
	cr_assert_eq(st.st_mode & 07777, 0700);
	cr_assert_eq(stat(tmp, &st), 0);
	cr_assert_eq(st.st_mode & 07777, 0700, "the root's parent is mkdtemp's 0700");
	cr_assert_eq(g_chmod(AT_FDCWD, "/..", 0755), 0);
	cr_assert_eq(stat(root, &st), 0);
	cr_assert_eq(st.st_mode & 07777, 0755, "/.. is the root");
	cr_assert_eq(g_chmod(AT_FDCWD, "dangling", 0755), -ENOENT);
}

FORWARD_TEST(utimensat_cannot_touch_outside)
{
	struct timespec ts[2] = { { 1000, 0 }, { 2000, 0 } };
	struct stat st;
	char p[PATH_MAX];
	cr_assert_eq(g_utimens(AT_FDCWD, "abs_out", ts, 0), -ENOENT);
	cr_assert_eq(g_utimens(AT_FDCWD, "rel_out", NULL, 0), -ENOENT);
	cr_assert_eq(g_utimens(AT_FDCWD, "abs_outdir/file", ts, 0), -ENOENT);
	cr_assert_eq(g_utimens(AT_FDCWD, "/../secret", ts, 0), -ENOENT);
	cr_assert_eq(g_utimens(AT_FDCWD, "abs_out", ts, AT_SYMLINK_NOFOLLOW), 0);
	host_path(p, "abs_out");
	cr_assert_eq(lstat(p, &st), 0);
	cr_assert_eq(st.st_mtim.tv_sec, 2000, "the link's own time");
	cr_assert_eq(g_utimens(AT_FDCWD, "abs_in", ts, 0), 0);
	host_path(p, "hello");
	cr_assert_eq(stat(p, &st), 0);
	cr_assert_eq(st.st_mtim.tv_sec, 2000);
	int64_t fd = g_open("d/inner", O_RDWR);
	cr_assert_eq(g_utimens((int)fd, NULL, ts, 0), 0, "futimens");
	cr_assert_eq(g_utimens((int)fd, NULL, ts, AT_SYMLINK_NOFOLLOW), -EINVAL);
	cr_assert_eq(g_utimens(AT_FDCWD, NULL, ts, 0), -EFAULT);
	cr_assert_eq(g_utimens((int)fd, "", ts, AT_EMPTY_PATH), 0);
	cr_assert_eq(g_utimens(AT_FDCWD, "hello", ts, 0x1), -EINVAL);
}

FORWARD_TEST(openat2_only_flags_are_not_refused)
{
	/* openat ignores unknown flags and a mode without O_CREAT; openat2
	 * refuses them, so hv must not pass them on. */
	int64_t fd = g_openat(AT_FDCWD, "hello", O_RDONLY | 0100000 | 0x10000000, 0777777);
	cr_assert_geq(fd, 0, "%s", strerror((int)-fd));
	cr_assert_str_eq(slurp((int)fd), HELLO);
	fd = g_openat(AT_FDCWD, "hello", O_PATH | O_RDWR | O_TRUNC, 0);
	cr_assert_geq(fd, 0, "O_PATH drops the rest, as openat");
	fd = g_openat(AT_FDCWD, "made", O_WRONLY | O_CREAT, 0100644);
	cr_assert_geq(fd, 0, "%s", strerror((int)-fd));
	struct stat st;
	cr_assert_eq(g_fstat((int)fd, &st), 0);
	cr_assert(S_ISREG(st.st_mode));
	fd = g_openat(AT_FDCWD, "/", O_WRONLY | O_TMPFILE, 0600);
	cr_assert_geq(fd, 0, "O_TMPFILE: %s", strerror((int)-fd));
}

/* --- the same errors as Linux, on a twin of the root --- */

/* A call made by the guest on the root and natively on the twin. */
struct twin_call {
	const char *what;
	int64_t (*guest)(const char *, const char *, int);
	long (*native)(int, const char *, const char *, int);
	const char *a, *b;
	int flags;
};

static int64_t gu_open(const char *a, const char *b, int fl) { (void)b; int64_t fd = g_open(a, fl); if (fd >= 0) g_close((int)fd); return fd >= 0 ? 0 : fd; }
static long na_open(int d, const char *a, const char *b, int fl) { (void)b; int fd = openat(d, a, fl | O_CLOEXEC, 0644); if (fd >= 0) close(fd); return fd >= 0 ? 0 : -1; }
static int64_t gu_stat(const char *a, const char *b, int fl) { (void)b; struct stat st; return g_stat(AT_FDCWD, a, &st, fl); }
static long na_stat(int d, const char *a, const char *b, int fl) { (void)b; struct stat st; return fstatat(d, a, &st, fl); }
static int64_t gu_mkdir(const char *a, const char *b, int fl) { (void)b; return g_mkdir(AT_FDCWD, a, fl); }
static long na_mkdir(int d, const char *a, const char *b, int fl) { (void)b; return mkdirat(d, a, fl); }
static int64_t gu_unlink(const char *a, const char *b, int fl) { (void)b; return g_unlink(AT_FDCWD, a, fl); }
static long na_unlink(int d, const char *a, const char *b, int fl) { (void)b; return unlinkat(d, a, fl); }
static int64_t gu_rename(const char *a, const char *b, int fl) { return g_rename2(AT_FDCWD, a, AT_FDCWD, b, fl); }
static long na_rename(int d, const char *a, const char *b, int fl) { return renameat2(d, a, d, b, fl); }
static int64_t gu_readlink(const char *a, const char *b, int fl) { char buf[64]; (void)b; return g_readlink(AT_FDCWD, a, buf, fl); }
static long na_readlink(int d, const char *a, const char *b, int fl) { char buf[64]; (void)b; return readlinkat(d, a, buf, fl); }
static int64_t gu_access(const char *a, const char *b, int fl) { (void)b; return g_access(AT_FDCWD, a, fl & 0xff, fl & ~0xff); }
static long na_access(int d, const char *a, const char *b, int fl) { (void)b; return syscall(SYS_faccessat2, d, a, fl & 0xff, fl & ~0xff); }
static int64_t gu_chmod(const char *a, const char *b, int fl) { (void)b; return g_chmod(AT_FDCWD, a, fl); }
static long na_chmod(int d, const char *a, const char *b, int fl) { (void)b; return fchmodat(d, a, fl, 0); }

#define OPEN(a, fl) { "open", gu_open, na_open, a, NULL, fl }
#define STAT(a, fl) { "stat", gu_stat, na_stat, a, NULL, fl }
#define MKDIR(a) { "mkdir", gu_mkdir, na_mkdir, a, NULL, 0755 }
#define UNLINK(a, fl) { "unlink", gu_unlink, na_unlink, a, NULL, fl }
#define RENAME(a, b, fl) { "rename", gu_rename, na_rename, a, b, fl }
#define READLINK(a, n) { "readlink", gu_readlink, na_readlink, a, NULL, n }
#define ACCESS(a, fl) { "access", gu_access, na_access, a, NULL, fl }
#define CHMOD(a, m) { "chmod", gu_chmod, na_chmod, a, NULL, m }

static const struct twin_call twin_calls[] = {
	OPEN("hello", O_RDONLY), OPEN("nothere", O_RDONLY), OPEN("hello/x", O_RDONLY),
	OPEN("hello", O_WRONLY | O_CREAT | O_EXCL), OPEN("d", O_WRONLY), OPEN("d", O_RDWR),
	OPEN("d", O_RDONLY | O_DIRECTORY), OPEN("hello", O_RDONLY | O_DIRECTORY),
	OPEN("lnk", O_RDONLY | O_NOFOLLOW), OPEN("dangling", O_RDONLY),
	OPEN("dangling", O_WRONLY | O_CREAT | O_EXCL), OPEN("newf/", O_WRONLY | O_CREAT),
	OPEN("nothere/x", O_WRONLY | O_CREAT), OPEN("d/", O_RDONLY), OPEN("hello/", O_RDONLY),
	OPEN("dlnk/inner", O_RDONLY), OPEN("d/e/../inner", O_RDONLY), OPEN("", O_RDONLY),
	OPEN("d", O_RDONLY | O_CREAT | O_DIRECTORY),
	STAT("hello", 0), STAT("nothere", 0), STAT("hello/x", 0), STAT("hello/", 0),
	STAT("d/", 0), STAT("dlnk/", AT_SYMLINK_NOFOLLOW), STAT("lnk/", 0),
	STAT("dangling", 0), STAT("dangling", AT_SYMLINK_NOFOLLOW), STAT("", 0),
	STAT("d/e/../../hello", 0), STAT("hello", 0x1000000),
	MKDIR("d"), MKDIR("hello"), MKDIR("nothere/x"), MKDIR("hello/x"), MKDIR("lnk"),
	MKDIR("dangling"), MKDIR("."), MKDIR("d/.."), MKDIR("d/e/."), MKDIR("newdir/"),
	MKDIR("newdir2//"), MKDIR("hello/"),
	UNLINK("d", 0), UNLINK("hello/", 0), UNLINK("d/", 0), UNLINK("nothere", 0),
	UNLINK(".", 0), UNLINK("d/..", 0), UNLINK("dlnk/", 0), UNLINK("nothere/", 0),
	UNLINK(".", AT_REMOVEDIR), UNLINK("d/..", AT_REMOVEDIR), UNLINK("hello", AT_REMOVEDIR),
	UNLINK("d", AT_REMOVEDIR), UNLINK("dlnk", AT_REMOVEDIR), UNLINK("dlnk/", AT_REMOVEDIR),
	UNLINK("empty/", AT_REMOVEDIR), UNLINK("lnk/", 0), UNLINK("nothere/x", 0),
	UNLINK("d/e/.", AT_REMOVEDIR), UNLINK("hello", 0x4000),
	RENAME("hello", "d", 0), RENAME("d", "hello", 0), RENAME("nothere", "x", 0),
	RENAME("hello/", "x", 0), RENAME("hello", "x/", 0), RENAME(".", "x", 0),
	RENAME("hello", ".", 0), RENAME("hello", "..", RENAME_NOREPLACE), RENAME("d", "d/e/sub", 0),
	RENAME("lnk", "dlnk", RENAME_NOREPLACE), RENAME("dlnk/", "y", 0),
	RENAME("d/", "d2/", 0), RENAME("hello", "dlnk/", RENAME_EXCHANGE),
	RENAME("dlnk", "d2", RENAME_EXCHANGE), RENAME("d2", "dlnk", RENAME_EXCHANGE),
	RENAME("hello", "lnk", RENAME_NOREPLACE | RENAME_EXCHANGE), RENAME("lnk", "moved", 0),
	READLINK("lnk", 64), READLINK("hello", 64), READLINK("nothere", 64),
	READLINK("moved/", 64), READLINK("dlnk/", 64), READLINK("dangling", 64),
	READLINK("dangling/", 64), READLINK("moved", 0),
	ACCESS("hello", R_OK | W_OK), ACCESS("nothere", F_OK), ACCESS("hello", 8),
	ACCESS("hello/", F_OK), ACCESS("dangling", F_OK),
	ACCESS("dangling", F_OK | AT_SYMLINK_NOFOLLOW), ACCESS("hello", AT_EACCESS | X_OK),
	ACCESS("hello", 0x1000000 | F_OK),
	CHMOD("hello", 0640), CHMOD("dangling", 0640), CHMOD("nothere", 0640),
	CHMOD("d2/", 0750), CHMOD("hello/", 0640),
};

FORWARD_TEST(errors_match_linux_on_a_twin_tree)
{
	int tfd = open(twin, O_PATH | O_DIRECTORY | O_CLOEXEC);
	cr_assert_geq(tfd, 0);
	for (unsigned i = 0; i < sizeof twin_calls / sizeof twin_calls[0]; i++) {
		const struct twin_call *t = &twin_calls[i];
		long want = t->native(tfd, t->a, t->b ? t->b : "", t->flags);
		if (want < 0)
			want = -errno;
		int64_t got = t->guest(t->a, t->b ? t->b : "", t->flags);
		cr_expect_eq(got, want, "%s(\"%s\"%s%s%s, %#x): hv %lld (%s), Linux %ld (%s)",
			     t->what, t->a, t->b ? ", \"" : "", t->b ? t->b : "", t->b ? "\"" : "",
			     t->flags, (long long)got, got < 0 ? strerror((int)-got) : "ok",
			     want, want < 0 ? strerror((int)-want) : "ok");
	}
	close(tfd);
}

/* --- the rest --- */

FORWARD_TEST(time_randomness_and_identity_pass_through)
{
	struct timespec ts, res, req = { 0, 1000 };
	struct timeval tv;
	char rnd[32] = { 0 }, zero[32] = { 0 };
	struct utsname u, host;
	cr_assert_eq(fwd((struct hv_fwd){ .nr = EXO_FWD_CLOCK_GETTIME, ARGS(CLOCK_MONOTONIC),
					  PTRS(NULL, &ts), LENS(0, 16) }), 0);
	cr_assert(ts.tv_sec > 0 || ts.tv_nsec > 0);
	cr_assert_eq(fwd((struct hv_fwd){ .nr = EXO_FWD_CLOCK_GETTIME, ARGS(1234),
					  PTRS(NULL, &ts), LENS(0, 16) }), -EINVAL);
	cr_assert_eq(fwd((struct hv_fwd){ .nr = EXO_FWD_CLOCK_GETRES, ARGS(CLOCK_REALTIME),
					  PTRS(NULL, &res), LENS(0, 16) }), 0);
	cr_assert_eq(fwd((struct hv_fwd){ .nr = EXO_FWD_CLOCK_GETRES, ARGS(CLOCK_REALTIME) }), 0);
	cr_assert_eq(fwd((struct hv_fwd){ .nr = EXO_FWD_GETTIMEOFDAY, PTRS(&tv), LENS(16) }), 0);
	cr_assert_gt(tv.tv_sec, 1600000000);
	cr_assert_eq(fwd((struct hv_fwd){ .nr = EXO_FWD_GETTIMEOFDAY }), 0);
	cr_assert_eq(fwd((struct hv_fwd){ .nr = EXO_FWD_NANOSLEEP, PTRS(&req), LENS(16) }), 0);
	req.tv_nsec = 2000000000;
	cr_assert_eq(fwd((struct hv_fwd){ .nr = EXO_FWD_NANOSLEEP, PTRS(&req), LENS(16) }), -EINVAL);
	req.tv_nsec = 1000;
	cr_assert_eq(fwd((struct hv_fwd){ .nr = EXO_FWD_CLOCK_NANOSLEEP, ARGS(CLOCK_MONOTONIC, 0),
					  PTRS(NULL, NULL, &req, &res), LENS(0, 0, 16, 16) }), 0);
	cr_assert_eq(fwd((struct hv_fwd){ .nr = EXO_FWD_GETRANDOM, ARGS(0, 32, 0), PTRS(rnd),
					  LENS(32) }), 32);
	cr_assert_neq(memcmp(rnd, zero, 32), 0);
	cr_assert_eq(fwd((struct hv_fwd){ .nr = EXO_FWD_GETRANDOM, ARGS(0, 32, 0x100), PTRS(rnd),
					  LENS(32) }), -EINVAL);
	cr_assert_eq(fwd((struct hv_fwd){ .nr = EXO_FWD_UNAME, PTRS(&u), LENS(sizeof u) }), 0);
	uname(&host);
	cr_assert_str_eq(u.nodename, "exo");
	cr_assert_str_eq(u.sysname, host.sysname);
	cr_assert_str_eq(u.release, host.release);
	cr_assert_eq(fwd((struct hv_fwd){ .nr = EXO_FWD_GETPID }), getpid());
	cr_assert_eq(fwd((struct hv_fwd){ .nr = EXO_FWD_GETPPID }), getppid());
	cr_assert_eq(fwd((struct hv_fwd){ .nr = EXO_FWD_GETUID }), getuid());
	cr_assert_eq(fwd((struct hv_fwd){ .nr = EXO_FWD_GETEUID }), geteuid());
	cr_assert_eq(fwd((struct hv_fwd){ .nr = EXO_FWD_GETGID }), getgid());
	cr_assert_eq(fwd((struct hv_fwd){ .nr = EXO_FWD_GETEGID }), getegid());
	cr_assert_eq(fwd((struct hv_fwd){ .nr = EXO_FWD_GETPGRP }), getpgrp());
}

FORWARD_TEST(unknown_call_is_enosys)
{
	cr_assert_eq(fwd((struct hv_fwd){ .nr = 59 /* execve */ }), -ENOSYS);
	cr_assert_eq(fwd((struct hv_fwd){ .nr = 62 /* kill */, ARGS(1, 9) }), -ENOSYS);
	cr_assert_eq(fwd((struct hv_fwd){ .nr = 86 /* link */ }), -ENOSYS);
	cr_assert_eq(fwd((struct hv_fwd){ .nr = 0xffffffff }), -ENOSYS);
}

FORWARD_TEST(missing_struct_pointer_is_efault)
{
	/* hv/core never sends these; hv/kvm does not trust that it never will. */
	cr_assert_eq(fwd((struct hv_fwd){ .nr = EXO_FWD_FSTAT, ARGS(1) }), -EFAULT);
	cr_assert_eq(fwd((struct hv_fwd){ .nr = EXO_FWD_CLOCK_GETTIME, ARGS(0) }), -EFAULT);
	cr_assert_eq(fwd((struct hv_fwd){ .nr = EXO_FWD_UNAME }), -EFAULT);
	char small[8];
	cr_assert_eq(fwd((struct hv_fwd){ .nr = EXO_FWD_UNAME, PTRS(small), LENS(8) }), -EFAULT);
}

/* --- opening and closing the table --- */

Test(files, close_releases_every_descriptor)
{
	char dir[] = "/tmp/exo-files-XXXXXX";
	cr_assert_not_null(mkdtemp(dir));
	int before = count_fds();
	memset(&vm, 0, sizeof vm);
	vm.g.plat = &vm;
	cr_assert_eq(kvm_files_open(&vm.files, dir), 0);
	int p[2];
	struct stat st;
	cr_assert_geq(g_open("f", O_RDWR | O_CREAT), 0);
	cr_assert_eq(g_pipe2(p, 0), 0);
	cr_assert_eq(g_mkdir(AT_FDCWD, "sub", 0755), 0);
	cr_assert_eq(g_chdir("sub"), 0);
	cr_assert_eq(g_stat(AT_FDCWD, "../f", &st, 0), 0);
	cr_assert_eq(g_stat(AT_FDCWD, "../nothere", &st, 0), -ENOENT);
	cr_assert_eq(g_rename("../f", "g"), 0);
	cr_assert_eq(g_rename("../nothere", "g"), -ENOENT);
	cr_assert_eq(g_unlink(AT_FDCWD, "g", 0), 0);
	cr_assert_eq(g_chmod(AT_FDCWD, ".", 0700), 0);
	cr_assert_eq(g_dup3(p[0], 100, 0), 100);
	cr_assert_gt(count_fds(), before);
	kvm_files_close(&vm.files);
	cr_assert_eq(count_fds(), before, "descriptors left open");
	kvm_files_close(&vm.files); /* twice is harmless */
	rmdir(dir);
	char sub[64];
	snprintf(sub, sizeof sub, "%s/sub", dir);
	rmdir(sub);
	rmdir(dir);
}

Test(files, missing_root_is_a_usage_error, .init = cr_redirect_stderr)
{
	struct kvm_files f;
	cr_assert_eq(kvm_files_open(&f, "/nonexistent/exo-root"), HV_STATUS_USAGE);
	fflush(stderr);
	cr_assert_stderr_eq_str("exo: --root /nonexistent/exo-root: no such directory\n");
	kvm_files_close(&f);
}

Test(files, root_that_is_a_file_is_a_usage_error, .init = cr_redirect_stderr)
{
	struct kvm_files f;
	cr_assert_eq(kvm_files_open(&f, "/etc/passwd"), HV_STATUS_USAGE);
	fflush(stderr);
	cr_assert_stderr_eq_str("exo: --root /etc/passwd: not a directory\n");
}

Test(files, closed_stdio_leaves_the_guest_fd_free)
{
	struct kvm_files f;
	close(0);
	cr_assert_eq(kvm_files_open(&f, "/tmp"), 0);
	cr_assert_eq(f.fd[0], -1);
	cr_assert_geq(f.root, 3, "hv's descriptors stay off 0-2");
	cr_assert_geq(f.cwd, 3);
	memset(&vm, 0, sizeof vm);
	vm.g.plat = &vm;
	vm.files = f;
	int64_t fd = g_open("/", O_RDONLY | O_DIRECTORY);
	cr_assert_eq(fd, 0, "the guest's lowest free");
	cr_assert_geq(vm.files.fd[0], 3, "but not exo's fd 0");
	kvm_files_close(&vm.files);
}

Test(files, inherited_directory_outside_root_confers_nothing)
{
	/* exo run < / : the guest's fd 0 is a directory outside its root. */
	char dir[] = "/tmp/exo-files-XXXXXX", buf[64];
	struct stat st;
	cr_assert_not_null(mkdtemp(dir));
	int slash = open("/", O_RDONLY | O_DIRECTORY);
	cr_assert_eq(dup2(slash, 0), 0);
	close(slash);
	memset(&vm, 0, sizeof vm);
	vm.g.plat = &vm;
	cr_assert_eq(kvm_files_open(&vm.files, dir), 0);
	cr_assert_eq(g_openat(0, "etc/passwd", O_RDONLY, 0), -ENOENT);
	cr_assert_eq(g_stat(0, "etc", &st, 0), -ENOENT);
	cr_assert_eq(g_mkdir(0, "exo-test-escape", 0755), -ENOENT);
	cr_assert_eq(g_fchdir(0), 0);
	cr_assert_eq(g_getcwd(buf, sizeof buf), -ENOENT);
	cr_assert_eq(g_open("etc/passwd", O_RDONLY), -ENOENT);
	cr_assert_eq(g_open("/", O_RDONLY | O_DIRECTORY), 3, "absolute paths still work");
	cr_assert_neq(access("/exo-test-escape", F_OK), 0);
	kvm_files_close(&vm.files);
	rmdir(dir);
}

Test(files, root_path_is_canonical)
{
	struct kvm_files f;
	char dir[] = "/tmp/exo-files-XXXXXX", link[64], via[128];
	cr_assert_not_null(mkdtemp(dir));
	snprintf(link, sizeof link, "%s-link", dir);
	cr_assert_eq(symlink(dir, link), 0);
	snprintf(via, sizeof via, "%s/.", link);
	cr_assert_eq(kvm_files_open(&f, via), 0);
	cr_assert_str_eq(f.root_path, dir);
	memset(&vm, 0, sizeof vm);
	vm.g.plat = &vm;
	vm.files = f;
	char buf[64];
	cr_assert_eq(g_mkdir(AT_FDCWD, "x", 0755), 0);
	cr_assert_eq(g_chdir("x"), 0);
	cr_assert_eq(g_getcwd(buf, sizeof buf), 3);
	cr_assert_str_eq(buf, "/x");
	kvm_files_close(&vm.files);
	snprintf(via, sizeof via, "%s/x", dir);
	rmdir(via);
	rmdir(dir);
	unlink(link);
}
