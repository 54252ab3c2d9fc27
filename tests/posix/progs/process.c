/* SPDX-License-Identifier: MIT */
/*
 * tests/posix/progs/process.c: the process itself: arguments,
 * environment, identity, limits, TLS, the initial stack, descriptors it
 * starts with, and how it ends.
 *
 *   process SECTION...            sections below (args prints argv)
 *   process exit N | return N | _exit N | atexit N | exit_group N
 *   process atexit_exit           an atexit handler that calls _exit(9)
 */
#include "prog.h"
#include <sched.h>
#include <sys/auxv.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/utsname.h>

extern char **environ;

static char **args;
static int nargs;

static const char *base(const char *p)
{
	const char *s = strrchr(p, '/');
	return s ? s + 1 : p;
}

static void args_section(void)
{
	printf("argc %d\n", nargs);
	printf("argv[0] basename %s\n", base(args[0]));
	for (int i = 1; i < nargs; i++)
		printf("argv[%d] \"%s\"\n", i, args[i]);
	CHECK("argv[argc] is NULL", args[nargs] == NULL);
}

static void env_section(void)
{
	int n = 0;
	for (char **e = environ; *e; e++, n++)
		printf("env[%d] %s\n", n, *e);
	printf("%d variables\n", n);
	printf("getenv HOME: %s\n", getenv("HOME") ? getenv("HOME") : "(unset)");
}

static void ids_section(void)
{
	pid_t pid = getpid();
	CHECK("getpid positive", pid > 0);
	CHECK("gettid == getpid", gettid() == pid);
	CHECK("raw gettid == getpid", syscall(SYS_gettid) == pid);
	CHECK("set_tid_address returns the tid", syscall(SYS_set_tid_address, NULL) == pid);
	CHECK("getppid positive and not self", getppid() > 0 && getppid() != pid);
	CHECK("getuid == geteuid", getuid() == geteuid());
	CHECK("getgid == getegid", getgid() == getegid());
	CHECK("getpid stable", getpid() == pid);
	struct utsname u;
	SHOW("uname", uname(&u));
	printf("sysname %s machine %s release-set %d version-set %d nodename-set %d\n", u.sysname,
	       u.machine, u.release[0] != 0, u.version[0] != 0, u.nodename[0] != 0);
	SHOW("uname bad pointer", syscall(SYS_uname, (void *)8));
}

/* musl's getpgrp() is getpgid(0). */
static void pgrp_section(void)
{
	SHOW("getpgrp raw", syscall(SYS_getpgrp) > 0);
	SHOW("getpgid(0) == getpgrp", syscall(SYS_getpgid, 0) == syscall(SYS_getpgrp));
	CHECK("getpgrp() positive", getpgrp() > 0);
}

static void limits_section(void)
{
	struct rlimit r;
	SHOW("getrlimit RLIMIT_STACK", getrlimit(RLIMIT_STACK, &r));
	CHECK("stack: cur >= 1 MiB, cur <= max", r.rlim_cur >= (1u << 20) && r.rlim_cur <= r.rlim_max);
	SHOW("getrlimit RLIMIT_NOFILE", getrlimit(RLIMIT_NOFILE, &r));
	printf("nofile: cur %lu max %lu\n", (unsigned long)r.rlim_cur, (unsigned long)r.rlim_max);
	struct rlimit as;
	SHOW("getrlimit RLIMIT_AS", getrlimit(RLIMIT_AS, &as));
	CHECK("address space: at least 4 MiB", as.rlim_cur >= (4u << 20));
	SHOW("getrlimit RLIMIT_CORE", getrlimit(RLIMIT_CORE, &r));
	SHOW("getrlimit 99", getrlimit(99, &r));
	SHOW("getrlimit bad pointer", syscall(SYS_getrlimit, RLIMIT_STACK, (void *)8));
	getrlimit(RLIMIT_NOFILE, &r);
	struct rlimit lower = { 100, r.rlim_max };
	SHOW("setrlimit RLIMIT_NOFILE cur 100", setrlimit(RLIMIT_NOFILE, &lower));
	getrlimit(RLIMIT_NOFILE, &r);
	printf("nofile now: cur %lu\n", (unsigned long)r.rlim_cur);
	struct rlimit bad = { 200, 100 };
	SHOW("setrlimit cur > max", setrlimit(RLIMIT_NOFILE, &bad));
	struct rlimit old;
	SHOW("prlimit64 self", syscall(SYS_prlimit64, 0, RLIMIT_NOFILE, NULL, &old));
	printf("prlimit64 cur %lu\n", (unsigned long)old.rlim_cur);
	SHOW("prlimit64 getpid()", syscall(SYS_prlimit64, getpid(), RLIMIT_NOFILE, NULL, &old));
}

static __thread int tls_init = 42;
static __thread char tls_zero[64];

static void tls_section(void)
{
	printf("__thread initialised: %d\n", tls_init);
	tls_init++;
	tls_zero[63] = 7;
	printf("__thread after writes: %d %d %d\n", tls_init, tls_zero[0], tls_zero[63]);
	unsigned long fs = 0;
	SHOW("arch_prctl ARCH_GET_FS", syscall(SYS_arch_prctl, 0x1003, &fs));
	unsigned long tp;
	__asm__("mov %%fs:0, %0" : "=r"(tp));
	CHECK("FS base is the thread pointer", fs == tp && fs != 0);
	/* Another thread pointer, and back. */
	static unsigned long block[64];
	block[0] = (unsigned long)block;
	block[1] = 0x1234;
	/* Nothing but raw syscalls while FS is not musl's. */
	long r1, r2;
	unsigned long v0, v1;
	__asm__ volatile("mov $158, %%eax\n\tmov $0x1002, %%edi\n\tmov %[blk], %%rsi\n\tsyscall\n\t"
			 "mov %%rax, %[r1]\n\t"
			 "mov %%fs:0, %[v0]\n\tmov %%fs:8, %[v1]\n\t"
			 "mov $158, %%eax\n\tmov $0x1002, %%edi\n\tmov %[fs], %%rsi\n\tsyscall\n\t"
			 "mov %%rax, %[r2]"
			 : [r1] "=&r"(r1), [r2] "=&r"(r2), [v0] "=&r"(v0), [v1] "=&r"(v1)
			 : [blk] "r"(block), [fs] "r"(fs)
			 : "rax", "rcx", "rdx", "rsi", "rdi", "r11", "memory");
	printf("arch_prctl ARCH_SET_FS = %ld, and back = %ld\n", r1, r2);
	CHECK("reads through the new FS", v0 == (unsigned long)block && v1 == 0x1234);
	CHECK("__thread works again", tls_init == 43);
	SHOW("arch_prctl ARCH_SET_FS kernel address", syscall(SYS_arch_prctl, 0x1002, 0xffff800000000000ul));
	SHOW("arch_prctl bad code", syscall(SYS_arch_prctl, 0x9999, 0));
	SHOW("arch_prctl ARCH_GET_FS bad pointer", syscall(SYS_arch_prctl, 0x1003, (void *)8));
	CHECK("errno is per thread, and works", (errno = 0, close(-1), errno == EBADF));
}

static void auxv_section(void)
{
	printf("AT_PAGESZ %lu\n", getauxval(AT_PAGESZ));
	CHECK("AT_PHDR/AT_PHNUM", getauxval(AT_PHDR) != 0 && getauxval(AT_PHNUM) > 0);
	CHECK("AT_PHENT is 56", getauxval(AT_PHENT) == 56);
	CHECK("AT_ENTRY", getauxval(AT_ENTRY) != 0);
	CHECK("AT_RANDOM", getauxval(AT_RANDOM) != 0);
	CHECK("AT_UID/AT_EUID/AT_GID/AT_EGID", getauxval(AT_UID) == getuid() &&
	      getauxval(AT_EUID) == geteuid() && getauxval(AT_GID) == getgid() &&
	      getauxval(AT_EGID) == getegid());
	printf("AT_SECURE %lu\n", getauxval(AT_SECURE));
	printf("AT_CLKTCK %lu\n", getauxval(AT_CLKTCK));
	const char *plat = (const char *)getauxval(AT_PLATFORM);
	printf("AT_PLATFORM %s\n", plat ? plat : "(none)");
	CHECK("AT_HWCAP set", getauxval(AT_HWCAP) != 0);
	const char *fn = (const char *)getauxval(AT_EXECFN);
	CHECK("AT_EXECFN set", fn && fn[0]); /* natively /dev/fd/N: the harness uses fexecve */
	/* The stack: argv and environ strings live above the stack pointer. */
	char here;
	CHECK("argv above the stack pointer", (char *)args > &here && args[0] > &here);
	CHECK("stack pointer 16-byte aligned at main's frame", ((uintptr_t)__builtin_frame_address(0) & 15) == 0);
}

/* The descriptors the program starts with: exactly 0, 1 and 2. */
static void fds_section(void)
{
	printf("open at start:");
	for (int fd = 0; fd < 1024; fd++)
		if (fcntl(fd, F_GETFD) >= 0)
			printf(" %d", fd);
	printf("\n");
	struct stat st;
	fstat(0, &st);
	printf("stdin: %s\n", S_ISCHR(st.st_mode) ? "character device" : S_ISFIFO(st.st_mode) ? "pipe" : "other");
	/* Open until the limit: EMFILE at the same count (RLIMIT_NOFILE is
	 * 256 on both sides: exo's table, and the harness sets it). */
	struct rlimit r;
	getrlimit(RLIMIT_NOFILE, &r);
	printf("RLIMIT_NOFILE %lu\n", (unsigned long)r.rlim_cur);
	int n = 0, last = -1, fd;
	while ((fd = open(".", O_RDONLY | O_DIRECTORY)) >= 0) {
		n++;
		last = fd;
	}
	printf("opened %d more, last fd %d, then %s\n", n, last, errname(errno));
	SHOW("dup at the limit", dup(0));
	SHOW("pipe at the limit", pipe((int[2]){ 0 }));
	SHOW("close 100", close(100));
	SHOW("open again gets 100", open(".", O_RDONLY));
	SHOW("dup2 to 300 (over the limit)", dup2(0, 300));
	SHOW("F_DUPFD from 300", fcntl(0, F_DUPFD, 300));
	SHOW("close 3", close(3));
	SHOW("F_DUPFD from 250 (3 is free, 250.. are not)", fcntl(0, F_DUPFD, 250));
	for (fd = 3; fd < 256; fd++)
		close(fd);
	SHOW("all closed: open gets 3", open(".", O_RDONLY));
}

static void umask_section(void)
{
	SHOW("umask 077", umask(077));
	SHOW("umask 0", umask(0));
	SHOW("umask 01777 (masked to 0777)", umask(01777));
	SHOW("umask 022", umask(022));
}

static void misc_section(void)
{
	SHOW("sched_yield", sched_yield());
	char buf[64];
	SHOW("getrandom 64", getrandom(buf, sizeof buf, 0));
	SHOW("getrandom GRND_NONBLOCK", getrandom(buf, 16, GRND_NONBLOCK));
	SHOW("getrandom bad flags", getrandom(buf, 16, 0x100));
	SHOW("getrandom bad pointer", syscall(SYS_getrandom, (void *)8, 16, 0));
	SHOW("getrandom 0 bytes", getrandom(buf, 0, 0));
	char many[3000];
	memset(many, 0, sizeof many);
	long n = getrandom(many, sizeof many, 0);
	int zeros = 0;
	for (int i = 0; i < 3000; i++)
		zeros += many[i] == 0;
	printf("getrandom 3000: %ld, looks random %d\n", n, zeros < 100);
	SHOW("set_robust_list len 24", syscall(SYS_set_robust_list, buf, 24));
	SHOW("set_robust_list len 1", syscall(SYS_set_robust_list, buf, 1));
}

static void bye(void)
{
	printf("atexit handler ran\nunterminated, flushed by exit");
}

static void bye_exit(void)
{
	printf("atexit handler calls _exit(9)\n");
	_exit(9);
}

static void second(void)
{
	printf("registered second, runs first\n");
}

int main(int argc, char **argv)
{
	args = argv;
	nargs = argc;
	if (argc == 3 && !strcmp(argv[1], "exit"))
		exit(atoi(argv[2]));
	if (argc == 3 && !strcmp(argv[1], "return"))
		return atoi(argv[2]);
	if (argc == 3 && !strcmp(argv[1], "_exit")) {
		atexit(bye);
		printf("before _exit\nunflushed, never printed");
		_exit(atoi(argv[2]));
	}
	if (argc == 3 && !strcmp(argv[1], "atexit")) {
		atexit(bye);
		atexit(second);
		printf("exit(%s)\n", argv[2]);
		exit(atoi(argv[2]));
	}
	if (argc == 3 && !strcmp(argv[1], "exit_group"))
		syscall(SYS_exit_group, atoi(argv[2]));
	if (argc == 2 && !strcmp(argv[1], "atexit_exit")) {
		atexit(bye);
		atexit(bye_exit);
		exit(3);
	}
	if (argc >= 2 && !strcmp(argv[1], "args")) {
		args_section();
		return 0;
	}
	static const struct section s[] = {
		{ "env", env_section }, { "ids", ids_section }, { "pgrp", pgrp_section }, { "limits", limits_section },
		{ "tls", tls_section }, { "auxv", auxv_section }, { "fds", fds_section },
		{ "umask", umask_section }, { "misc", misc_section },
	};
	return run_sections(s, sizeof s / sizeof s[0], argc, argv);
}
