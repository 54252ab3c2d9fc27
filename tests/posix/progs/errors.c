/* SPDX-License-Identifier: MIT */
/*
 * tests/posix/progs/errors.c: bad arguments are errors to the program,
 * never a crash: bad pointers (EFAULT), huge lengths, descriptors never
 * opened (EBADF). Every section ends with "still alive".
 *
 * The nosys section is for exo alone (on Linux these calls work): calls
 * the shim does not serve, and numbers no kernel has, are -ENOSYS.
 */
#include "prog.h"
#include <dirent.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/utsname.h>

/* Addresses no program may touch: never mapped, the upper (kernel/shim)
 * half, non-canonical. */
static char *unmapped;
#define UPPER ((void *)0xffffffff80100000ul)
#define NONCANON ((void *)0x0000900000000000ul)

static void setup(void)
{
	unmapped = (char *)0x200000000000ul; /* 32 TiB: nothing maps there */
	munmap(unmapped, 4096);
	int fd = open("data", O_CREAT | O_RDWR | O_TRUNC, 0644);
	write(fd, "0123456789", 10);
	close(fd);
}

static void efault_section(void)
{
	setup();
	char buf[64];
	struct stat st;
	int fd = open("data", O_RDWR);
	char *ro = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	SHOW("read into 0x1", read(fd, (void *)1, 10));
	SHOW("read into an unmapped page", read(fd, unmapped, 10));
	SHOW("read into the upper half", read(fd, UPPER, 10));
	SHOW("read into a non-canonical address", read(fd, NONCANON, 10));
	SHOW("offset unchanged", lseek(fd, 0, SEEK_CUR));
	SHOW("write from an unmapped page", write(1, unmapped, 10));
	SHOW("write from the upper half (shim memory)", write(1, UPPER, 16));
	SHOW("write from NULL, 0 bytes", write(fd, NULL, 0));
	SHOW("read into NULL, 0 bytes", read(fd, NULL, 0));
	SHOW("pread into 0x1", pread(fd, (void *)1, 4, 0));
	SHOW("pwrite from 0x1", pwrite(fd, (void *)1, 4, 0));
	SHOW("read into a read-only page", read(fd, ro, 4));
	CHECK("read-only page untouched", ro[0] == 0);
	char *none = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	SHOW("write from a PROT_NONE page", write(fd, none, 4));
	SHOW("open path 0x10", open((char *)0x10, O_RDONLY));
	SHOW("open path in the upper half", open(UPPER, O_RDONLY));
	SHOW("stat bad path", syscall(SYS_stat, (char *)0x10, &st));
	SHOW("stat bad buffer", syscall(SYS_stat, "data", (void *)0x10));
	SHOW("newfstatat bad buffer", syscall(SYS_newfstatat, AT_FDCWD, "data", (void *)0x10, 0));
	SHOW("fstat bad buffer", syscall(SYS_fstat, fd, (void *)0x10));
	SHOW("fstat read-only buffer", syscall(SYS_fstat, fd, ro));
	SHOW("statx bad buffer", syscall(SYS_statx, AT_FDCWD, "data", 0, 0x7ff, (void *)0x10));
	SHOW("mkdir bad path", mkdir((char *)unmapped, 0755));
	SHOW("unlink bad path", unlink(NONCANON));
	SHOW("rename bad old", rename((char *)0x10, "x"));
	SHOW("rename bad new", rename("data", (char *)0x10));
	SHOW("readlink bad path", readlink((char *)0x10, buf, 10));
	SHOW("getcwd bad buffer", syscall(SYS_getcwd, (char *)0x10, 100));
	SHOW("pipe bad array", syscall(SYS_pipe, (int *)0x10));
	SHOW("pipe2 read-only array", syscall(SYS_pipe2, (int *)ro, 0));
	SHOW("uname bad buffer", syscall(SYS_uname, (void *)0x10));
	SHOW("nanosleep bad request", syscall(SYS_nanosleep, (void *)0x10, NULL));
	SHOW("readv bad iovec array", readv(fd, (struct iovec *)0x10, 2));
	struct iovec iov[2] = { { buf, 4 }, { UPPER, 4 } };
	SHOW("writev one buffer in the upper half", writev(1, iov, 2));
	int d = open(".", O_RDONLY | O_DIRECTORY);
	SHOW("getdents64 bad buffer", syscall(SYS_getdents64, d, (void *)0x10, 4096));
	close(d);
	SHOW("fcntl F_SETLK bad flock", fcntl(fd, F_SETLK, (void *)0x10));
	SHOW("utimensat bad times", syscall(SYS_utimensat, AT_FDCWD, "data", (void *)0x10, 0));
	SHOW("sigaction bad act", syscall(SYS_rt_sigaction, SIGUSR1, (void *)0x10, NULL, 8));
	SHOW("sigprocmask bad old", syscall(SYS_rt_sigprocmask, SIG_BLOCK, NULL, (void *)0x10, 8));
	SHOW("sigaltstack bad", syscall(SYS_sigaltstack, (void *)0x10, NULL));
	SHOW("getrlimit bad", syscall(SYS_getrlimit, 0, (void *)0x10));
	SHOW("clock_gettime bad", syscall(SYS_clock_gettime, 0, (void *)0x10));
	memset(buf, 0, sizeof buf);
	SHOW("read still works", pread(fd, buf, 10, 0));
	printf("data: %s\n", buf);
	close(fd);
	printf("still alive\n");
}

/* A buffer that is good for its first bytes only: Linux copies what it
 * can and returns the count. */
static void partial_section(void)
{
	setup();
	char *two = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	munmap(two + 4096, 4096);
	int fd = open("data", O_RDONLY);
	SHOW("read 10 into the last 4 bytes of a page", read(fd, two + 4092, 10));
	lseek(fd, 0, SEEK_SET);
	char buf[8];
	struct iovec iov[2] = { { buf, 4 }, { unmapped, 4 } };
	SHOW("readv, the second buffer unmapped", readv(fd, iov, 2));
	close(fd);
	printf("still alive\n");
}

/* Which error wins when two apply: Linux checks the object first. */
static void errno_order_section(void)
{
	setup();
	SHOW("readlink of a non-link into a bad buffer", readlink("data", (char *)0x10, 10));
	SHOW("ioctl TCGETS on a non-tty into a bad buffer", syscall(SYS_ioctl, 0, 0x5401, (void *)0x10));
	int fd = open("data", O_RDONLY);
	lseek(fd, 0, SEEK_END);
	SHOW("read at the end of a file into a bad buffer", read(fd, (char *)0x10, 10));
	close(fd);
	printf("still alive\n");
}

static void huge_section(void)
{
	setup();
	char buf[16];
	int fd = open("data", O_RDWR);
	SHOW("write SIZE_MAX bytes", write(fd, buf, SIZE_MAX));
	SHOW("read SIZE_MAX bytes", read(fd, buf, SIZE_MAX));
	SHOW("write 1 << 62 bytes", write(fd, buf, 1ul << 62));
	SHOW("read 1 << 62 bytes", read(fd, buf, 1ul << 62));
	SHOW("pread 1 << 62 at 0", pread(fd, buf, 1ul << 62, 0));
	SHOW("pwrite 1 << 62 at 0", pwrite(fd, buf, 1ul << 62, 0));
	SHOW("lseek to 1 << 62", lseek(fd, 1l << 62, SEEK_SET));
	SHOW("lseek to -1", lseek(fd, -1, SEEK_SET));
	SHOW("pread at offset 1 << 62", pread(fd, buf, 4, 1l << 62));
	SHOW("ftruncate 1 << 62", ftruncate(fd, 1l << 62));
	struct iovec iov[2] = { { buf, 4 }, { buf, 1ul << 62 } };
	SHOW("readv one length 1 << 62", readv(fd, iov, 2));
	SHOW("writev 2000 entries", writev(fd, iov, 2000));
	SHOW("mmap 1 << 62", (long)mmap(NULL, 1ul << 62, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
	SHOW("mmap 1 << 46 (more than --mem)",
	     mmap(NULL, 1ul << 46, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0) == MAP_FAILED);
	SHOW("mremap to 1 << 62", (long)mremap(buf, 4096, 1ul << 62, MREMAP_MAYMOVE));
	SHOW("getcwd size SIZE_MAX into a small buffer", syscall(SYS_getcwd, buf, SIZE_MAX) > 0);
	SHOW("nanosleep huge seconds rejected? tv_nsec bad",
	     nanosleep(&(struct timespec){ 1, -1 }, NULL));
	char path[8192];
	memset(path, 'a', sizeof path - 1);
	path[sizeof path - 1] = 0;
	SHOW("open a 8191-byte name", open(path, O_RDONLY));
	SHOW("mkdir a 8191-byte name", mkdir(path, 0755));
	memset(path, 'a', 300);
	path[300] = 0;
	SHOW("open a 300-byte component", open(path, O_RDONLY | O_CREAT, 0644));
	close(fd);
	printf("still alive\n");
}

/* A huge length on a good buffer over a small file: Linux reads what the
 * file has. */
static void huge_read_section(void)
{
	setup();
	char *heap = malloc(1 << 20);
	int fd = open("data", O_RDONLY);
	SHOW("read 1 GiB into a 1 MiB heap buffer from a 10-byte file", read(fd, heap, 1ul << 30));
	close(fd);
	printf("still alive\n");
}

static void ebadf_section(void)
{
	char buf[8];
	struct stat st;
	const int fds[] = { 99, -1, 255, 256, 1000000 };
	for (unsigned i = 0; i < sizeof fds / sizeof fds[0]; i++) {
		int fd = fds[i];
		printf("fd %d:\n", fd);
		SHOW("  read", read(fd, buf, 1));
		SHOW("  write", write(fd, "x", 1));
		SHOW("  close", close(fd));
		SHOW("  fstat", fstat(fd, &st));
		SHOW("  lseek", lseek(fd, 0, SEEK_SET));
		SHOW("  pread", pread(fd, buf, 1, 0));
		SHOW("  dup", dup(fd));
		SHOW("  dup2 to 5", dup2(fd, 5));
		SHOW("  fcntl F_GETFL", fcntl(fd, F_GETFL));
		SHOW("  fsync", fsync(fd));
		SHOW("  ftruncate", ftruncate(fd, 0));
		SHOW("  fchmod", fchmod(fd, 0644));
		SHOW("  fchdir", fchdir(fd));
		SHOW("  getdents64", syscall(SYS_getdents64, fd, buf, sizeof buf));
		SHOW("  openat relative", openat(fd, "x", O_RDONLY));
		SHOW("  mmap", (long)mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, fd, 0));
		SHOW("  ioctl TCGETS", syscall(SYS_ioctl, fd, 0x5401, buf));
	}
	SHOW("dup2 0 to -1", dup2(0, -1));
	SHOW("dup2 0 to 1000000", dup2(0, 1000000));
	SHOW("openat AT_FDCWD-1 relative", openat(-101, "x", O_RDONLY));
	printf("still alive\n");
}

static void nosys_section(void)
{
	/* Calls the shim does not serve: -ENOSYS, named once on stderr. */
	SHOW("fork", syscall(SYS_fork));
	SHOW("vfork", syscall(SYS_vfork));
	SHOW("clone", syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0));
	SHOW("execve", syscall(SYS_execve, "/bin/sh", (char *[]){ "sh", NULL }, (char *[]){ NULL }));
	SHOW("execve again", syscall(SYS_execve, "/bin/sh", (char *[]){ "sh", NULL }, (char *[]){ NULL }));
	SHOW("wait4", syscall(SYS_wait4, -1, NULL, 0, NULL));
	SHOW("socket", syscall(SYS_socket, 2, 1, 0));
	SHOW("fork() from libc", fork());
	SHOW("symlink", symlink("a", "b"));
	SHOW("link", link("a", "b"));
	SHOW("truncate", truncate("a", 0));
	/* Numbers no Linux has. */
	SHOW("syscall 1000", syscall(1000));
	SHOW("syscall 1000 again", syscall(1000));
	SHOW("syscall 335", syscall(335));
	SHOW("syscall -1", syscall(-1));
	SHOW("syscall 1 << 40", syscall(1l << 40));
	printf("still alive\n");
}

SECTIONS({ "efault", efault_section }, { "partial", partial_section },
	 { "errno_order", errno_order_section }, { "huge", huge_section },
	 { "huge_read", huge_read_section }, { "ebadf", ebadf_section }, { "nosys", nosys_section })
