/* SPDX-License-Identifier: MIT */
/*
 * tests/posix/progs/files.c: the file calls on descriptors. Run in an
 * empty directory (its cwd; under exo also its root); leaves f1, f2, big
 * and vec there.
 */
#include "prog.h"
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <termios.h>


/* The kernel's struct statx, the fields printed. */
struct kstatx {
	uint32_t mask, blksize;
	uint64_t attributes;
	uint32_t nlink, uid, gid;
	uint16_t mode, pad0;
	uint64_t ino, size, blocks, attributes_mask;
	uint8_t rest[256 - 64];
};

static void show_stat(const char *label, const struct stat *st)
{
	printf("%s: type %s mode %04o size %lld nlink %lu uid-ok %d\n", label,
	       S_ISREG(st->st_mode) ? "reg" : S_ISDIR(st->st_mode) ? "dir" :
	       S_ISFIFO(st->st_mode) ? "fifo" : S_ISLNK(st->st_mode) ? "lnk" :
	       S_ISCHR(st->st_mode) ? "chr" : "other",
	       st->st_mode & 07777, (long long)st->st_size, (unsigned long)st->st_nlink,
	       st->st_uid == getuid());
}

static void basics(void)
{
	char buf[64];
	struct stat st;
	int fd = SHOW("open f1 O_CREAT|O_RDWR|O_TRUNC", open("f1", O_CREAT | O_RDWR | O_TRUNC, 0644));
	SHOW("write 12", write(fd, "hello world\n", 12));
	SHOW("lseek SEEK_SET 0", lseek(fd, 0, SEEK_SET));
	memset(buf, 0, sizeof buf);
	SHOW("read 64", read(fd, buf, sizeof buf));
	printf("read back: %s", buf);
	SHOW("read at eof", read(fd, buf, sizeof buf));
	SHOW("lseek SEEK_END 0", lseek(fd, 0, SEEK_END));
	SHOW("lseek SEEK_CUR -5", lseek(fd, -5, SEEK_CUR));
	SHOW("lseek SEEK_SET -1", lseek(fd, -1, SEEK_SET));
	SHOW("lseek whence 9", lseek(fd, 0, 9));
	SHOW("lseek SEEK_DATA 0", lseek(fd, 0, SEEK_DATA));
	SHOW("lseek SEEK_HOLE 0", lseek(fd, 0, SEEK_HOLE));
	SHOW("lseek SEEK_DATA 100", lseek(fd, 100, SEEK_DATA));
	SHOW("lseek SEEK_SET 3", lseek(fd, 3, SEEK_SET));
	memset(buf, 0, sizeof buf);
	SHOW("pread 5 at 6", pread(fd, buf, 5, 6));
	printf("pread back: %s\n", buf);
	SHOW("pwrite HELLO at 0", pwrite(fd, "HELLO", 5, 0));
	SHOW("offset after pread/pwrite", lseek(fd, 0, SEEK_CUR));
	SHOW("pread at -1", pread(fd, buf, 1, -1));
	SHOW("pread past end", pread(fd, buf, 10, 1000));
	SHOW("pwrite at 20 (hole)", pwrite(fd, "Z", 1, 20));
	memset(buf, 0, sizeof buf);
	SHOW("pread 64 at 0", pread(fd, buf, 64, 0));
	printf("crc after hole: %08x\n", crc32(buf, 21));

	SHOW("fstat", fstat(fd, &st));
	show_stat("fstat f1", &st);
	SHOW("stat f1", stat("f1", &st));
	show_stat("stat f1", &st);
	SHOW("lstat f1", lstat("f1", &st));
	show_stat("lstat f1", &st);
	SHOW("newfstatat AT_FDCWD f1", syscall(SYS_newfstatat, AT_FDCWD, "f1", &st, 0));
	show_stat("newfstatat f1", &st);
	SHOW("newfstatat fd \"\" AT_EMPTY_PATH", syscall(SYS_newfstatat, fd, "", &st, AT_EMPTY_PATH));
	show_stat("newfstatat empty", &st);
	SHOW("newfstatat fd \"\" no AT_EMPTY_PATH", syscall(SYS_newfstatat, fd, "", &st, 0));
	SHOW("newfstatat bad flags", syscall(SYS_newfstatat, AT_FDCWD, "f1", &st, 0x8000000));
	SHOW("stat missing", stat("missing", &st));
	SHOW("stat f1/ (not a dir)", stat("f1/", &st));
	SHOW("stat \"\"", stat("", &st));
	struct kstatx sx;
	memset(&sx, 0, sizeof sx);
	SHOW("statx f1 BASIC", syscall(SYS_statx, AT_FDCWD, "f1", 0, 0x7ffu, &sx));
	printf("statx: mode %04o type-reg %d size %llu nlink %u has-size %d\n", sx.mode & 07777,
	       (sx.mode & S_IFMT) == S_IFREG, (unsigned long long)sx.size, sx.nlink,
	       !!(sx.mask & 0x200));
	SHOW("statx fd AT_EMPTY_PATH", syscall(SYS_statx, fd, "", AT_EMPTY_PATH, 0x7ffu, &sx));
	printf("statx empty: size %llu\n", (unsigned long long)sx.size);
	SHOW("statx reserved mask bit", syscall(SYS_statx, AT_FDCWD, "f1", 0, 0x80000000u, &sx));
	SHOW("statx missing", syscall(SYS_statx, AT_FDCWD, "missing", 0, 0x7ffu, &sx));

	SHOW("ftruncate 3", ftruncate(fd, 3));
	fstat(fd, &st);
	printf("size after ftruncate 3: %lld\n", (long long)st.st_size);
	SHOW("ftruncate 8192", ftruncate(fd, 8192));
	fstat(fd, &st);
	printf("size after ftruncate 8192: %lld\n", (long long)st.st_size);
	static char zeros[8192], got[8192];
	SHOW("pread 8192 at 0", pread(fd, got, sizeof got, 0));
	CHECK("bytes 3.. are zero", !memcmp(got + 3, zeros, sizeof got - 3) && !memcmp(got, "HEL", 3));
	SHOW("ftruncate -1", ftruncate(fd, -1));
	SHOW("fsync", fsync(fd));
	SHOW("fdatasync", fdatasync(fd));
	SHOW("ftruncate 12", ftruncate(fd, 12));
	SHOW("close", close(fd));
	SHOW("close again", close(fd));
	SHOW("read closed", read(fd, buf, 1));
	SHOW("fsync closed", fsync(fd));
}

static void opens(void)
{
	char buf[32];
	SHOW("open f1 O_CREAT|O_EXCL", open("f1", O_CREAT | O_EXCL | O_WRONLY, 0644));
	SHOW("open missing", open("missing", O_RDONLY));
	SHOW("open missing/x O_CREAT", open("missing/x", O_CREAT | O_WRONLY, 0644));
	SHOW("open . O_WRONLY", open(".", O_WRONLY));
	SHOW("open f1 O_DIRECTORY", open("f1", O_RDONLY | O_DIRECTORY));
	SHOW("open f1/", open("f1/", O_RDONLY));
	SHOW("open \"\"", open("", O_RDONLY));
	int ro = SHOW("open f1 O_RDONLY", open("f1", O_RDONLY));
	SHOW("write to O_RDONLY", write(ro, "x", 1));
	int wo = SHOW("open f1 O_WRONLY|O_APPEND", open("f1", O_WRONLY | O_APPEND));
	SHOW("read from O_WRONLY", read(wo, buf, 1));
	SHOW("write appends", write(wo, "more\n", 5));
	SHOW("fcntl F_GETFL O_WRONLY|O_APPEND",
	     fcntl(wo, F_GETFL) & (O_ACCMODE | O_APPEND | O_NONBLOCK));
	SHOW("fcntl F_SETFL O_NONBLOCK", fcntl(wo, F_SETFL, O_NONBLOCK));
	SHOW("fcntl F_GETFL after", fcntl(wo, F_GETFL) & (O_ACCMODE | O_APPEND | O_NONBLOCK));
	SHOW("fcntl F_SETFL O_APPEND", fcntl(wo, F_SETFL, O_APPEND));
	SHOW("pwrite on O_APPEND", pwrite(wo, "!", 1, 0));
	memset(buf, 0, sizeof buf);
	SHOW("pread f1", pread(ro, buf, sizeof buf - 1, 0));
	printf("f1 now: %s", buf);
	SHOW("fcntl F_GETFD plain", fcntl(ro, F_GETFD));
	int ce = SHOW("open f1 O_CLOEXEC", open("f1", O_RDONLY | O_CLOEXEC));
	SHOW("fcntl F_GETFD O_CLOEXEC", fcntl(ce, F_GETFD));
	SHOW("fcntl F_SETFD 0", fcntl(ce, F_SETFD, 0));
	SHOW("fcntl F_GETFD after", fcntl(ce, F_GETFD));
	SHOW("fcntl F_SETFD FD_CLOEXEC", fcntl(ro, F_SETFD, FD_CLOEXEC));
	SHOW("fcntl F_GETFD after set", fcntl(ro, F_GETFD));
	SHOW("fcntl bad cmd", fcntl(ro, 12345));
	SHOW("fcntl F_GETFD closed fd", fcntl(200, F_GETFD));
	int tr = SHOW("open f2 O_CREAT|O_TRUNC", open("f2", O_CREAT | O_TRUNC | O_RDWR, 0600));
	SHOW("write f2", write(tr, "0123456789", 10));
	SHOW("close f2", close(tr));
	tr = SHOW("open f2 O_TRUNC", open("f2", O_TRUNC | O_RDWR));
	struct stat st;
	fstat(tr, &st);
	printf("f2 size after O_TRUNC: %lld mode %04o\n", (long long)st.st_size, st.st_mode & 07777);
	SHOW("write f2 again", write(tr, "abc", 3));
	int dir = SHOW("open . O_DIRECTORY", open(".", O_RDONLY | O_DIRECTORY));
	int at = SHOW("openat dir f1", openat(dir, "f1", O_RDONLY));
	memset(buf, 0, sizeof buf);
	SHOW("read openat f1", read(at, buf, 5));
	printf("openat read: %s\n", buf);
	SHOW("openat file-fd relative", openat(ro, "x", O_RDONLY));
	SHOW("openat bad dirfd", openat(99, "f1", O_RDONLY));
	SHOW("openat bad dirfd absolute-free", openat(-5, "f1", O_RDONLY));
	SHOW("creat f3", syscall(SYS_creat, "f3", 0644));
	SHOW("unlink f3", unlink("f3"));
	SHOW("ioctl TCGETS on file", ioctl(ro, TCGETS, &(struct termios){ 0 }));
	SHOW("ioctl TCGETS on stdout pipe", ioctl(1, TCGETS, &(struct termios){ 0 }));
	SHOW("isatty(1)", isatty(1));
	SHOW("fstat stdout", fstat(1, &st));
	show_stat("stdout", &st);
	SHOW("fcntl F_GETFL stdout", fcntl(1, F_GETFL) & O_ACCMODE);
	SHOW("lseek stdout pipe", lseek(1, 0, SEEK_CUR));
	for (int fd = 3; fd < 12; fd++)
		close(fd);
}

static void dups(void)
{
	char c;
	int fd = SHOW("open f1", open("f1", O_RDWR));
	SHOW("dup", dup(fd));
	SHOW("dup2 to 10", dup2(fd, 10));
	SHOW("dup2 same", dup2(fd, fd));
	SHOW("dup2 closed src", dup2(50, 11));
	SHOW("dup2 same closed", dup2(50, 50));
	SHOW("dup3 same", dup3(fd, fd, 0));
	SHOW("dup3 to 11 O_CLOEXEC", dup3(fd, 11, O_CLOEXEC));
	SHOW("dup3 bad flags", dup3(fd, 12, 0x4));
	SHOW("F_GETFD 10", fcntl(10, F_GETFD));
	SHOW("F_GETFD 11", fcntl(11, F_GETFD));
	SHOW("F_DUPFD 20", fcntl(fd, F_DUPFD, 20));
	SHOW("F_DUPFD 20 again", fcntl(fd, F_DUPFD, 20));
	SHOW("F_DUPFD_CLOEXEC 30", fcntl(fd, F_DUPFD_CLOEXEC, 30));
	SHOW("F_GETFD 30", fcntl(30, F_GETFD));
	SHOW("F_GETFD 20", fcntl(20, F_GETFD));
	SHOW("dup of 3 (lowest free)", dup(fd));
	/* The file offset is shared between duplicates. */
	SHOW("lseek 10 to 6", lseek(10, 6, SEEK_SET));
	SHOW("offset seen by 20", lseek(20, 0, SEEK_CUR));
	SHOW("read via 11", read(11, &c, 1));
	printf("byte: %02x\n", (unsigned char)c);
	SHOW("offset seen by fd", lseek(fd, 0, SEEK_CUR));
	/* dup2 over an open descriptor closes it first. */
	int other = SHOW("open f2", open("f2", O_RDONLY));
	SHOW("dup2 f1 over f2's fd", dup2(fd, other));
	SHOW("read over-dup'd fd", read(other, &c, 1));
	printf("byte: %02x\n", (unsigned char)c);
	for (int i = 3; i < 40; i++)
		close(i);
}

static void locks(void)
{
	int a = SHOW("open f1 for locks", open("f1", O_RDWR));
	int b = SHOW("open f1 again", open("f1", O_RDWR));
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 4 };
	SHOW("F_SETLK write 0..4", fcntl(a, F_SETLK, &fl));
	fl = (struct flock){ .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 10 };
	SHOW("F_GETLK own process", fcntl(b, F_GETLK, &fl));
	printf("F_GETLK type unlocked: %d\n", fl.l_type == F_UNLCK);
	fl = (struct flock){ .l_type = F_UNLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 0 };
	SHOW("F_SETLK unlock", fcntl(a, F_SETLK, &fl));
	fl = (struct flock){ .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 2, .l_len = 3 };
	SHOW("F_OFD_SETLK write 2..5", fcntl(a, F_OFD_SETLK, &fl));
	fl = (struct flock){ .l_type = F_RDLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 0 };
	SHOW("F_OFD_GETLK other fd", fcntl(b, F_OFD_GETLK, &fl));
	printf("conflict: type %s start %lld len %lld pid %d\n",
	       fl.l_type == F_WRLCK ? "F_WRLCK" : fl.l_type == F_UNLCK ? "F_UNLCK" : "?",
	       (long long)fl.l_start, (long long)fl.l_len, fl.l_pid);
	fl = (struct flock){ .l_type = F_RDLCK, .l_whence = SEEK_SET, .l_start = 3, .l_len = 1 };
	SHOW("F_OFD_SETLK conflicting", fcntl(b, F_OFD_SETLK, &fl));
	fl = (struct flock){ .l_type = F_RDLCK, .l_whence = SEEK_SET, .l_start = 6, .l_len = 1 };
	SHOW("F_OFD_SETLK disjoint", fcntl(b, F_OFD_SETLK, &fl));
	fl = (struct flock){ .l_type = 99, .l_whence = SEEK_SET };
	SHOW("F_SETLK bad type", fcntl(a, F_SETLK, &fl));
	SHOW("F_GETLK bad pointer", fcntl(a, F_GETLK, (void *)8));
	close(a);
	close(b);
}

static void pipes(void)
{
	int p[2];
	char buf[16];
	SHOW("pipe", pipe(p));
	printf("pipe fds: %d %d\n", p[0], p[1]);
	SHOW("write pipe", write(p[1], "ping", 4));
	memset(buf, 0, sizeof buf);
	SHOW("read pipe", read(p[0], buf, sizeof buf));
	printf("pipe data: %s\n", buf);
	SHOW("F_GETFL read end", fcntl(p[0], F_GETFL) & (O_ACCMODE | O_NONBLOCK));
	SHOW("F_GETFL write end", fcntl(p[1], F_GETFL) & (O_ACCMODE | O_NONBLOCK));
	SHOW("lseek pipe", lseek(p[0], 0, SEEK_SET));
	struct stat st;
	fstat(p[0], &st);
	show_stat("pipe", &st);
	int q[2];
	SHOW("pipe2 O_CLOEXEC|O_NONBLOCK", pipe2(q, O_CLOEXEC | O_NONBLOCK));
	printf("pipe2 fds: %d %d\n", q[0], q[1]);
	SHOW("F_GETFD pipe2", fcntl(q[0], F_GETFD));
	SHOW("F_GETFL pipe2", fcntl(q[0], F_GETFL) & (O_ACCMODE | O_NONBLOCK));
	SHOW("read empty nonblocking", read(q[0], buf, 1));
	SHOW("pipe2 bad flags", pipe2(q, 0x1));
	SHOW("close write end", close(p[1]));
	SHOW("read at EOF", read(p[0], buf, 1));
	/* A full non-blocking pipe says EAGAIN rather than blocking. */
	static char chunk[4096];
	long total = 0, n;
	while ((n = write(q[1], chunk, sizeof chunk)) > 0)
		total += n;
	printf("filled nonblocking pipe: %s (%s)\n", total > 0 ? "ok" : "nothing written",
	       errname(errno));
	close(q[0]);
	close(q[1]);
	close(p[0]);
}

/* Writing to a pipe nobody reads: SIGPIPE to the program (its handler
 * runs), EPIPE from the call; ignored, EPIPE alone; by default, the
 * program dies of it (status 141). */
static volatile sig_atomic_t sigpipes;
static void on_sigpipe(int sig)
{
	(void)sig;
	sigpipes++;
}

static int widowed_pipe(void)
{
	int q[2];
	SHOW("pipe", pipe(q));
	SHOW("close read end", close(q[0]));
	signal(SIGPIPE, SIG_IGN);
	SHOW("write, SIGPIPE ignored", write(q[1], "x", 1));
	signal(SIGPIPE, on_sigpipe);
	SHOW("write, SIGPIPE handled", write(q[1], "x", 1));
	printf("SIGPIPE handler ran %d time(s)\n", (int)sigpipes);
	signal(SIGPIPE, SIG_DFL);
	printf("write, SIGPIPE default:\n");
	write(q[1], "x", 1);
	printf("still alive\n");
	return 0;
}

/* Reads and writes far over 1 MiB, from buffers that start mid-page. */
static void big(void)
{
	const size_t n = (3u << 20) + 4099;
	uint8_t *src = malloc(n + 64), *dst = malloc(n + 64);
	uint8_t *s = src + 7, *d = dst + 13;
	pattern(s, n, 1);
	int fd = SHOW("open big", open("big", O_CREAT | O_RDWR | O_TRUNC, 0644));
	SHOW("write 3 MiB + 4099", write(fd, s, n));
	SHOW("lseek 0", lseek(fd, 0, SEEK_SET));
	memset(d, 0, n);
	SHOW("read 3 MiB + 4099", read(fd, d, n + 50));
	CHECK("read back equals written", !memcmp(s, d, n));
	printf("crc %08x\n", crc32(d, n));
	memset(d, 0, n);
	SHOW("pread 2 MiB at 1 MiB + 1", pread(fd, d, 2u << 20, (1u << 20) + 1));
	CHECK("pread equals", !memcmp(s + (1u << 20) + 1, d, 2u << 20));
	SHOW("pwrite 1.5 MiB at 123", pwrite(fd, s + 5, (3u << 19), 123));
	SHOW("pread 64 at 1 MiB", pread(fd, d, 64, 1u << 20));
	CHECK("pwrite landed", !memcmp(d, s + 5 + (1u << 20) - 123, 64));
	struct iovec iov[4] = {
		{ s, 1000 }, { s + 5000, 0 }, { s + 10000, (1u << 20) + 3 }, { s + 9, 777777 },
	};
	int v = SHOW("open vec", open("vec", O_CREAT | O_RDWR | O_TRUNC, 0644));
	SHOW("writev 4 (one empty)", writev(v, iov, 4));
	SHOW("lseek vec 0", lseek(v, 0, SEEK_SET));
	memset(dst, 0, n + 64);
	struct iovec rv[3] = { { dst + 1, 3 }, { dst + 100, 0 }, { dst + 4096 - 5, (2u << 20) } };
	SHOW("readv 3", readv(v, rv, 3));
	CHECK("readv first", !memcmp(dst + 1, s, 3));
	CHECK("readv third", !memcmp(dst + 4096 - 5, s + 3, 997) &&
	      !memcmp(dst + 4096 - 5 + 997, s + 10000, (1u << 20) + 3) &&
	      !memcmp(dst + 4096 - 5 + 997 + (1u << 20) + 3, s + 9, 777777));
	SHOW("readv at EOF", readv(v, rv, 3));
	struct iovec pv[2] = { { dst, 10 }, { dst + 10, 20 } };
	SHOW("preadv 30 at 990", preadv(v, pv, 2, 990));
	CHECK("preadv", !memcmp(dst, s + 990, 10) && !memcmp(dst + 10, s + 10000, 20));
	struct iovec wv[2] = { { "AB", 2 }, { "CD", 2 } };
	SHOW("pwritev 4 at 1", pwritev(v, wv, 2, 1));
	SHOW("pread 6 at 0", pread(v, dst, 6, 0));
	CHECK("pwritev", dst[0] == s[0] && !memcmp(dst + 1, "ABCD", 4) && dst[5] == s[5]);
	SHOW("writev bad count", writev(v, iov, -1));
	SHOW("readv iovcnt 0", readv(v, rv, 0));
	close(v);
	close(fd);
	free(src);
	free(dst);
}

int main(int argc, char **argv)
{
	umask(022);
	if (argc > 1 && !strcmp(argv[1], "sigpipe"))
		return widowed_pipe();
	basics();
	opens();
	dups();
	locks();
	pipes();
	big();
	return 0;
}
