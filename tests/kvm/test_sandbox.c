/* SPDX-License-Identifier: MIT */
/*
 * tests/kvm/test_sandbox.c: hv/kvm/sandbox.c, what exo gives up before
 * the first guest instruction.
 *
 * Each test arms the sandbox in a forked child (never in criterion's own
 * worker, whose reporting would be refused) and has the child check
 * itself: it exits 0 when all held, or the number of the check that
 * failed. A refused call ends the child with HV_STATUS_HOST and a line on
 * its stderr, which the parent reads back from a file.
 */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <criterion/redirect.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/kvm.h>

#include "kvm.h"
#include "sandbox.h"

static char err_path[] = "/tmp/exo-sandbox-err-XXXXXX";
static int started_as_root; /* the parent's, before the child armed */

/* Run body in a child armed with s; its wait status, its stderr in err. */
static int in_sandbox(const struct kvm_sandbox *s, int (*body)(void *), void *arg,
		      char *err, size_t size)
{
	int efd = mkstemp(err_path);
	cr_assert_geq(efd, 0);
	unlink(err_path);
	strcpy(err_path + strlen(err_path) - 6, "XXXXXX");
	started_as_root = geteuid() == 0;
	fflush(NULL);
	pid_t pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		dup2(efd, 2);
		if (kvm_sandbox_arm(s))
			_exit(100);
		_exit(body(arg));
	}
	int st;
	cr_assert_eq(waitpid(pid, &st, 0), pid);
	ssize_t n = pread(efd, err, size - 1, 0);
	err[n > 0 ? n : 0] = '\0';
	close(efd);
	return st;
}

/* The value of "Field:" in /proc/self/status, read with allowed calls. */
static int status_field(const char *field, char *out, size_t size)
{
	char buf[4096];
	int fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	char *p = strstr(buf, field);
	if (!p)
		return -1;
	p += strlen(field);
	while (*p == ' ' || *p == '\t')
		p++;
	size_t len = strcspn(p, "\n");
	if (len >= size)
		return -1;
	memcpy(out, p, len);
	out[len] = '\0';
	return 0;
}

static void *thread_body(void *arg)
{
	return arg;
}

static int allowed_calls(void *arg)
{
	const char *file = arg;
	struct timespec t;
	char buf[8];
	if (getpid() <= 0)
		return 1;
	if (clock_gettime(CLOCK_MONOTONIC, &t) < 0)
		return 2;
	int fd = openat(AT_FDCWD, file, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || read(fd, buf, sizeof buf) != 5 || memcmp(buf, "hello", 5))
		return 3;
	if (close(fd) < 0)
		return 4;
	/* A vCPU thread's start and end: clone3 answers ENOSYS, clone with
	 * CLONE_THREAD is allowed. */
	pthread_t th;
	void *ret;
	if (pthread_create(&th, NULL, thread_body, buf) || pthread_join(th, &ret) || ret != buf)
		return 5;
	if (syscall(SYS_clone3, NULL, 0) != -1 || errno != ENOSYS)
		return 6;
	char *p = malloc(1 << 20); /* mmap, munmap */
	if (!p)
		return 7;
	free(p);
	int tty = open("/dev/null", O_RDWR | O_CLOEXEC);
	struct winsize ws;
	if (ioctl(tty, TIOCGWINSZ, &ws) != -1 || errno != ENOTTY) /* allowed, and answered */
		return 8;
	return 0;
}

Test(sandbox, allowed_calls_still_work_once_armed)
{
	char file[] = "/tmp/exo-sandbox-XXXXXX", err[512];
	int fd = mkstemp(file);
	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, "hello", 5), 5);
	close(fd);
	struct kvm_sandbox s = { 0 };
	int st = in_sandbox(&s, allowed_calls, file, err, sizeof err);
	unlink(file);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "status %#x, stderr: %s", st, err);
}

/* Calls an attacker inside exo would want, with harmless arguments. */
static const struct { long nr; long a[6]; } refused[] = {
	{ SYS_socket, { 2, 1, 0 } },
	{ SYS_ptrace, { 0 /* PTRACE_TRACEME */ } },
	{ SYS_execve, { 0 } },
	{ SYS_mount, { 0 } },
	{ SYS_kexec_load, { 0 } },
	{ SYS_bpf, { 0 } },
	{ SYS_perf_event_open, { 0 } },
	{ SYS_setuid, { 0 } },
	{ SYS_prctl, { 0 } },
	{ SYS_rt_sigaction, { SIGSYS, 0, 0, 8 } },
	{ SYS_clone, { SIGCHLD } },                                   /* fork */
	{ SYS_mmap, { 0, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0 } },
	{ SYS_mprotect, { 0, 4096, PROT_EXEC } },
	{ SYS_ioctl, { 0, TIOCSTI, 0 } },
	{ SYS_ioctl, { 0, KVM_CREATE_VM } }, /* a new VM: set-up only */
};

static int call_refused(void *arg)
{
	const long *c = arg;
	syscall(c[0], c[1], c[2], c[3], c[4], c[5], c[6]);
	return 1; /* it came back: not refused */
}

Test(sandbox, calls_outside_the_list_end_exo_with_a_line)
{
	for (unsigned i = 0; i < sizeof refused / sizeof refused[0]; i++) {
		long c[7] = { refused[i].nr };
		memcpy(c + 1, refused[i].a, sizeof refused[i].a);
		char err[512], want[64];
		struct kvm_sandbox s = { 0 };
		int st = in_sandbox(&s, call_refused, c, err, sizeof err);
		cr_expect(WIFEXITED(st) && WEXITSTATUS(st) == HV_STATUS_HOST,
			  "call %ld (#%u): status %#x", c[0], i, st);
		snprintf(want, sizeof want, "exo: system call %ld is outside exo's sandbox", c[0]);
		cr_expect(strstr(err, want) && !strchr(strchr(err, '\n') + 1, '\n'),
			  "call %ld: stderr \"%s\"", c[0], err);
	}
}

static int x32_call(void *arg)
{
	(void)arg;
	syscall(__X32_SYSCALL_BIT | SYS_getpid);
	return 1;
}

Test(sandbox, an_x32_call_kills_exo)
{
	char err[512];
	struct kvm_sandbox s = { 0 };
	int st = in_sandbox(&s, x32_call, NULL, err, sizeof err);
	cr_assert(WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS, "status %#x", st);
}

/* no_new_privs, and every capability set empty: root keeps its uid.
 * (Only root may empty the bounding set: another user's is left.) */
static int privileges(void *arg)
{
	int want_uid = *(int *)arg;
	char v[64];
	if (status_field("NoNewPrivs:", v, sizeof v) || strcmp(v, "1"))
		return 1;
	static const char *const sets[] = { "CapInh:", "CapPrm:", "CapEff:", "CapAmb:", "CapBnd:" };
	for (unsigned i = 0; i < (started_as_root ? 5u : 4u); i++)
		if (status_field(sets[i], v, sizeof v) || strcmp(v, "0000000000000000"))
			return 2 + (int)i;
	if ((int)getuid() != want_uid || (int)geteuid() != want_uid)
		return 10;
	return 0;
}

Test(sandbox, no_new_privs_is_set_and_root_keeps_no_capability)
{
	char err[512];
	int uid = (int)getuid();
	struct kvm_sandbox s = { 0 };
	int st = in_sandbox(&s, privileges, &uid, err, sizeof err);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "status %#x, stderr: %s", st, err);
}

static int as_user(void *arg)
{
	const struct kvm_sandbox *s = arg;
	char v[64], want[64];
	int rc = privileges(&(int){ (int)s->uid });
	if (rc)
		return rc;
	if (getgid() != s->gid || getegid() != s->gid)
		return 20;
	snprintf(want, sizeof want, "%u", (unsigned)s->gid);
	if (status_field("Groups:", v, sizeof v) || (v[0] && strcmp(v, want)))
		return 21;
	return 0;
}

Test(sandbox, with_a_user_root_becomes_that_user)
{
	if (geteuid() != 0)
		cr_skip_test("needs root");
	char err[512];
	struct kvm_sandbox s = { 0 };
	cr_assert_eq(kvm_sandbox_user(&s, "nobody"), 0);
	cr_assert(s.switch_user && s.uid != 0);
	int st = in_sandbox(&s, as_user, &s, err, sizeof err);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "status %#x, stderr: %s", st, err);
}

Test(sandbox, an_unknown_user_is_a_usage_error, .init = cr_redirect_stderr)
{
	struct kvm_sandbox s = { 0 };
	cr_assert_eq(kvm_sandbox_user(&s, "no-such-user-exo"), HV_STATUS_USAGE);
	cr_assert_not(s.switch_user);
	fflush(stderr);
	cr_assert_stderr_eq_str("exo: --user no-such-user-exo: no such user\n");
}

static int closed(void *arg)
{
	int fd = *(int *)arg;
	return fcntl(fd, F_GETFD) == -1 && errno == EBADF ? 0 : 1;
}

Test(sandbox, the_descriptors_given_are_closed)
{
	char err[512];
	int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	cr_assert_geq(fd, 0);
	struct kvm_sandbox s = { .close_fds = &fd, .nclose = 1 };
	int st = in_sandbox(&s, closed, &fd, err, sizeof err);
	close(fd);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "status %#x, stderr: %s", st, err);
}
