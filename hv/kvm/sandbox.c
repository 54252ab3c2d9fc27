/* SPDX-License-Identifier: MIT */
/*
 * hv/kvm/sandbox.c: least privilege for the kvm platform.
 *
 * Owns what exo gives up before the first guest instruction (sandbox.h):
 * descriptors it needs no more, no_new_privs, root's capabilities (or
 * root itself, with --user), and every system call outside the table
 * below, which is what the run loop (run.c, plat.c, slice.c,
 * exception.c), the console and stats (console.c, stats.c, report.c), the
 * calls forwarded for posix-shim (forward.c, files.c, paths.c), a guest's
 * teardown (guest.c, vcpu.c, pool.c) and glibc's wrappers under them make
 * once guests run. The filter is plain classic BPF: no libseccomp.
 *
 * A call off the list is never a guest's (guests reach the host only
 * through hv's exits), so it is a bug in exo or an attacker inside it.
 * Either way exo must not go on: the filter answers SECCOMP_RET_TRAP, the
 * call is not made, and a SIGSYS handler says which call on one line and
 * ends exo with HV_STATUS_HOST. RET_ERRNO would let an attacker probe and
 * carry on; RET_KILL_PROCESS would end every guest without a word. The
 * trap is no weaker than KILL: the kernel forces SIGSYS, and if it is
 * blocked or ignored it kills the process instead; the handler cannot be
 * replaced (rt_sigaction is off the list). A call for another ABI (i386
 * via int 0x80, x32) is never exo's: it is killed outright.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <grp.h>
#include <linux/audit.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/kvm.h>
#include <linux/seccomp.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "kvm.h"
#include "sandbox.h"

#ifndef SYS_fchmodat2
#define SYS_fchmodat2 452 /* Linux 6.6; glibc 2.36 does not name it */
#endif
#ifndef SECBIT_NOROOT
#define SECBIT_NOROOT (1 << 0)
#define SECBIT_NOROOT_LOCKED (1 << 1)
#define SECBIT_KEEP_CAPS_LOCKED (1 << 5)
#endif

/* --- the allowlist --- */

struct allowed {
	int nr;
	const char *why;
};

/* Allowed with any arguments. ioctl, clone, clone3, mmap, mprotect and
 * rt_sigaction have rules of their own (filter()). */
static const struct allowed allowed[] = {
	/* the run loop, its kicks and timers */
	{ SYS_rt_sigprocmask,   "pthread_sigmask around KVM_RUN; glibc's thread start" },
	{ SYS_rt_sigtimedwait,  "run.c takes a pending kick off; signals.c waits for SIGINT..." },
	{ SYS_rt_sigreturn,     "return from the kick handler (run.c), signals.c's stop handler" },
	{ SYS_tgkill,           "pthread_kill: plat.c kicks a vCPU thread; signals.c stops one" },
	{ SYS_gettid,           "run.c, slice.c: the timers' SIGEV_THREAD_ID target" },
	{ SYS_timer_create,     "run.c's deadline timer, slice.c's CPU-time slice" },
	{ SYS_timer_settime,    "plat.c, slice.c arm those timers" },
	{ SYS_timer_delete,     "run.c drops them as the thread ends" },
	{ SYS_sched_yield,      "run.c: EXO_HC_YIELD and a preempted guest's grace" },
	{ SYS_futex,            "mutexes, condition variables, pthread_join" },
	{ SYS_clock_gettime,    "report.c, stats.c, deadlines (when the vDSO cannot)" },
	/* memory: hv's views of the pool and malloc */
	{ SYS_munmap,           "free of large blocks; teardown of views and kvm_run" },
	{ SYS_madvise,          "glibc frees a finished thread's stack" },
	{ SYS_mremap,           "realloc of a large block" },
	{ SYS_brk,              "malloc" },
	{ SYS_fallocate,        "plat.c punches a released frame out of the pool's memfd" },
	/* threads */
	{ SYS_set_robust_list,  "glibc's thread start" },
	{ SYS_rseq,             "glibc's thread start" },
	{ SYS_exit,             "a vCPU thread ends; signals.c's thread ends" },
	{ SYS_exit_group,       "exo ends" },
	/* forwarded calls (forward.c, files.c, paths.c) and the console */
	{ SYS_read,             "forwarded read" },
	{ SYS_write,            "forwarded write; console.c; report.c; trace.c's --trace=FILE" },
	{ SYS_writev,           "glibc's fatal messages (malloc's checks) before abort" },
	{ SYS_pread64,          "forwarded pread64" },
	{ SYS_pwrite64,         "forwarded pwrite64" },
	{ SYS_lseek,            "forwarded lseek" },
	{ SYS_fstat,            "forwarded fstat; stdio" },
	{ SYS_newfstatat,       "forwarded newfstatat; fstat under glibc 2.33+" },
	{ SYS_statx,            "forwarded statx" },
	{ SYS_fstatfs,          "paths.c refuses a descriptor on /proc" },
	{ SYS_getdents64,       "forwarded getdents64" },
	{ SYS_fsync,            "forwarded fsync" },
	{ SYS_fdatasync,        "forwarded fdatasync" },
	{ SYS_ftruncate,        "forwarded ftruncate" },
	{ SYS_fchmod,           "forwarded fchmod" },
	{ SYS_fchmodat,         "forwarded fchmodat" },
	{ SYS_fchmodat2,        "paths.c: fchmodat with AT_EMPTY_PATH" },
	{ SYS_close,            "forwarded close; teardown" },
	{ SYS_dup,              "forwarded dup" },
	{ SYS_dup3,             "forwarded dup3; files.c kvm_dup_to" },
	{ SYS_fcntl,            "forwarded fcntl; files.c moves descriptors high" },
	{ SYS_pipe2,            "forwarded pipe2" },
	{ SYS_openat,           "paths.c reopens by descriptor; glibc's open" },
	{ SYS_openat2,          "paths.c: every guest path, RESOLVE_IN_ROOT" },
	{ SYS_mkdirat,          "forwarded mkdirat" },
	{ SYS_unlinkat,         "forwarded unlinkat" },
	{ SYS_renameat,         "forwarded renameat" },
	{ SYS_renameat2,        "forwarded renameat2" },
	{ SYS_readlinkat,       "forwarded readlinkat" },
	{ SYS_readlink,         "paths.c names a descriptor from /proc/self/fd" },
	{ SYS_faccessat,        "forwarded faccessat" },
	{ SYS_faccessat2,       "forwarded faccessat2; paths.c's X_OK checks" },
	{ SYS_utimensat,        "forwarded utimensat" },
	{ SYS_chdir,            "forwarded chdir" },
	{ SYS_fchdir,           "forwarded fchdir" },
	{ SYS_getcwd,           "forwarded getcwd" },
	{ SYS_clock_getres,     "forwarded clock_getres" },
	{ SYS_gettimeofday,     "forwarded gettimeofday" },
	{ SYS_nanosleep,        "forwarded nanosleep" },
	{ SYS_clock_nanosleep,  "forwarded clock_nanosleep" },
	{ SYS_getrandom,        "forwarded getrandom" },
	{ SYS_uname,            "forwarded uname" },
	{ SYS_getpid,           "forwarded getpid; pthread_kill" },
	{ SYS_getppid,          "forwarded getppid" },
	{ SYS_getuid,           "forwarded getuid" },
	{ SYS_geteuid,          "forwarded geteuid" },
	{ SYS_getgid,           "forwarded getgid" },
	{ SYS_getegid,          "forwarded getegid" },
	{ SYS_getpgrp,          "forwarded getpgrp" },
};

/* ioctl's request (the kernel reads it as 32 bits): the vCPU's calls
 * after set-up, and the two terminal queries forwarding allows (files.c).
 * Not the set-up ones (a new VM, memory slots, CPUID, the signal mask),
 * and not TIOCSTI and its kind, which would reach exo's terminal. */
static const unsigned ioctl_allowed[] = {
	KVM_RUN,                   /* run.c */
	KVM_SET_REGS,              /* exception.c: registers before an exception */
	KVM_GET_VCPU_EVENTS, KVM_SET_VCPU_EVENTS, /* exception.c */
	KVM_INTERRUPT,             /* run.c's doorbells and ticks, exception.c */
	KVM_SET_GUEST_DEBUG,       /* vcpu.c: --stats steps the first instruction */
	TCGETS, TIOCGWINSZ,        /* forwarded (files.c); stdio's isatty */
};

/* Only with --gdb (gdb.c), on its one connection, accepted before the
 * filter: a ^C read without blocking while the guest runs, and the
 * vCPU state and address translation gdb asks for. (read, write, fcntl,
 * KVM_SET_REGS and KVM_SET_GUEST_DEBUG are on the lists above.) */
static const struct allowed gdb_allowed[] = {
	{ SYS_recvfrom,         "gdb.c: recv(MSG_DONTWAIT) for gdb's ^C while the guest runs" },
};
static const unsigned gdb_ioctl_allowed[] = {
	KVM_GET_SREGS,             /* gdb_target.c: segment registers, fs_base, gs_base */
	KVM_GET_FPU,               /* gdb_target.c: x87 and SSE registers */
	KVM_TRANSLATE,             /* gdb_target.c: gdb's virtual addresses */
};

/* The kernel's first real-time signal: glibc keeps it and the next for
 * itself (SIGRTMIN, the program's, starts after them). */
#define SIGRTMIN_GLIBC 32

#define N(a) (sizeof(a) / sizeof((a)[0]))
#define ARG_LO(i) (offsetof(struct seccomp_data, args[i])) /* little-endian: low 32 bits */
#define FAIL SECCOMP_RET_TRAP

/* The program, written into f (room for FILTER_MAX); its length. */
#define FILTER_MAX (16 + 2 * N(allowed) + 2 * N(ioctl_allowed) + 2 * N(gdb_allowed) + \
		    2 * N(gdb_ioctl_allowed) + 32)
static unsigned filter(struct sock_filter *f, int gdb)
{
	unsigned n = 0;
	size_t gdb_ioctls = gdb ? N(gdb_ioctl_allowed) : 0;
#define OP(code, k) (f[n++] = (struct sock_filter)BPF_STMT(code, k))
#define JEQ(k, t, e) (f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, k, t, e))
#define JSET(k, t, e) (f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, k, t, e))
#define RET(k) OP(BPF_RET | BPF_K, k)
	/* Another ABI's numbers mean other calls: x86-64 only, not x32. */
	OP(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch));
	JEQ(AUDIT_ARCH_X86_64, 1, 0);
	RET(SECCOMP_RET_KILL_PROCESS);
	OP(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr));
	JSET(__X32_SYSCALL_BIT, 0, 1);
	RET(SECCOMP_RET_KILL_PROCESS);

	/* ioctl: only the requests above. */
	JEQ(SYS_ioctl, 0, (unsigned char)(2 + 2 * N(ioctl_allowed) + 2 * gdb_ioctls));
	OP(BPF_LD | BPF_W | BPF_ABS, ARG_LO(1));
	for (unsigned i = 0; i < N(ioctl_allowed); i++) {
		JEQ(ioctl_allowed[i], 0, 1);
		RET(SECCOMP_RET_ALLOW);
	}
	for (size_t i = 0; i < gdb_ioctls; i++) {
		JEQ(gdb_ioctl_allowed[i], 0, 1);
		RET(SECCOMP_RET_ALLOW);
	}
	RET(FAIL);

	/* clone: a thread in exo's own memory (pthread_create), never a new
	 * process. The kernel reads the flags as 32 bits. */
	JEQ(SYS_clone, 0, 5);
	OP(BPF_LD | BPF_W | BPF_ABS, ARG_LO(0));
	OP(BPF_ALU | BPF_AND | BPF_K, CLONE_VM | CLONE_THREAD | CLONE_SIGHAND);
	JEQ(CLONE_VM | CLONE_THREAD | CLONE_SIGHAND, 0, 1);
	RET(SECCOMP_RET_ALLOW);
	RET(FAIL);
	/* clone3's flags are behind a pointer a filter cannot read: ENOSYS
	 * sends glibc's pthread_create to clone, checked above. */
	JEQ(SYS_clone3, 0, 1);
	RET(SECCOMP_RET_ERRNO | ENOSYS);

	/* rt_sigaction: only glibc's own real-time signals, whose handlers
	 * pthread_create installs with the first thread (SIGCANCEL, and
	 * SIGSETXID beside it); never SIGSYS's, nor the kick's. */
	JEQ(SYS_rt_sigaction, 0, 5);
	OP(BPF_LD | BPF_W | BPF_ABS, ARG_LO(0));
	JEQ(SIGRTMIN_GLIBC, 1, 0);
	JEQ(SIGRTMIN_GLIBC + 1, 0, 1);
	RET(SECCOMP_RET_ALLOW);
	RET(FAIL);

	/* mmap, mprotect: never executable. hv maps the pool, views and
	 * thread stacks as data; new code in exo is an attacker's. */
	JEQ(SYS_mmap, 1, 0);
	JEQ(SYS_mprotect, 0, 4);
	OP(BPF_LD | BPF_W | BPF_ABS, ARG_LO(2));
	JSET(PROT_EXEC, 0, 1);
	RET(FAIL);
	RET(SECCOMP_RET_ALLOW);

	for (unsigned i = 0; i < N(allowed); i++) {
		JEQ((unsigned)allowed[i].nr, 0, 1);
		RET(SECCOMP_RET_ALLOW);
	}
	for (unsigned i = 0; gdb && i < N(gdb_allowed); i++) {
		JEQ((unsigned)gdb_allowed[i].nr, 0, 1);
		RET(SECCOMP_RET_ALLOW);
	}
	RET(FAIL);
#undef OP
#undef JEQ
#undef JSET
#undef RET
	return n;
}

/* A call off the list: say which, in one write (nothing here may take a
 * lock or allocate), and end exo. */
static void refused(int sig, siginfo_t *si, void *uc)
{
	(void)sig, (void)uc;
	static const char head[] = "exo: system call ";
	static const char tail[] = " is outside exo's sandbox (a bug in exo, or an attack on it)\n";
	char line[sizeof head + 12 + sizeof tail], digits[12];
	unsigned v = (unsigned)si->si_syscall, nd = 0, n = 0;
	do
		digits[nd++] = (char)('0' + v % 10);
	while ((v /= 10) && nd < sizeof digits);
	memcpy(line, head, sizeof head - 1);
	n = sizeof head - 1;
	while (nd)
		line[n++] = digits[--nd];
	memcpy(line + n, tail, sizeof tail - 1);
	n += sizeof tail - 1;
	ssize_t w = write(2, line, n);
	(void)w;
	_exit(HV_STATUS_HOST);
}

/* --- privileges --- */

int kvm_sandbox_user(struct kvm_sandbox *s, const char *name)
{
	errno = 0;
	struct passwd *pw = getpwnam(name);
	if (!pw)
		return errno ? kvm_fail(HV_STATUS_USAGE, "--user %s: %s", name, strerror(errno))
			     : kvm_fail(HV_STATUS_USAGE, "--user %s: no such user", name);
	s->switch_user = 1;
	s->uid = pw->pw_uid;
	s->gid = pw->pw_gid;
	return 0;
}

/* Root's way out: lock root's special cases off, empty the bounding and
 * ambient sets, become the user if one was given, then empty the rest. */
static int drop_root(const struct kvm_sandbox *s)
{
	if (prctl(PR_SET_SECUREBITS, SECBIT_NOROOT | SECBIT_NOROOT_LOCKED |
		  SECBIT_KEEP_CAPS_LOCKED, 0, 0, 0) < 0)
		return kvm_fail(HV_STATUS_HOST, "sandbox: PR_SET_SECUREBITS: %s", strerror(errno));
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0)
		return kvm_fail(HV_STATUS_HOST, "sandbox: clearing ambient capabilities: %s",
				strerror(errno));
	/* Up to the first number this kernel does not know. */
	for (int cap = 0;; cap++)
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0) {
			if (errno == EINVAL && cap > CAP_SETPCAP)
				break;
			return kvm_fail(HV_STATUS_HOST, "sandbox: dropping capability %d: %s",
					cap, strerror(errno));
		}
	if (s->switch_user) {
		if (setgroups(0, NULL) < 0 || setgid(s->gid) < 0 || setuid(s->uid) < 0)
			return kvm_fail(HV_STATUS_HOST, "sandbox: becoming uid %u: %s",
					(unsigned)s->uid, strerror(errno));
		if (s->uid != 0 && setuid(0) == 0)
			return kvm_fail(HV_STATUS_HOST, "sandbox: uid 0 is still reachable");
	}
	return 0;
}

static int drop_capabilities(void)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[_LINUX_CAPABILITY_U32S_3];
	memset(d, 0, sizeof d);
	if (syscall(SYS_capset, &h, d) < 0)
		return kvm_fail(HV_STATUS_HOST, "sandbox: capset: %s", strerror(errno));
	return 0;
}

/* --- arming --- */

int kvm_sandbox_arm(const struct kvm_sandbox *s)
{
	int rc;
	for (int i = 0; i < s->nclose; i++)
		if (close(s->close_fds[i]) < 0)
			return kvm_fail(HV_STATUS_HOST, "sandbox: closing descriptor %d: %s",
					s->close_fds[i], strerror(errno));
	if (geteuid() == 0) {
		if ((rc = drop_root(s)))
			return rc;
	} else if (s->switch_user && s->uid != getuid()) {
		return kvm_fail(HV_STATUS_USAGE, "--user: only root may run guests as another user");
	}
	if ((rc = drop_capabilities()))
		return rc;
	/* Not dumpable: no process of the same uid may ptrace exo or read
	 * its memory, which holds every guest's. */
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0 || prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return kvm_fail(HV_STATUS_HOST, "sandbox: prctl: %s", strerror(errno));

	struct sigaction sa = { .sa_sigaction = refused, .sa_flags = SA_SIGINFO };
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGSYS, &sa, NULL) < 0)
		return kvm_fail(HV_STATUS_HOST, "sandbox: SIGSYS handler: %s", strerror(errno));
	struct sock_filter f[FILTER_MAX];
	struct sock_fprog prog = { .len = (unsigned short)filter(f, s->gdb), .filter = f };
	/* TSYNC: every thread that exists now gets it too; one that cannot
	 * (its own filter disagrees) is named by its id. */
	long r = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC, &prog);
	if (r != 0)
		return kvm_fail(HV_STATUS_HOST, "sandbox: seccomp: %s",
				r < 0 ? strerror(errno) : "a thread could not take the filter");
	return 0;
}
