/* SPDX-License-Identifier: MIT */
/*
 * tests/posix/progs/signals.c: signals (served inside the guest by
 * posix-shim). Each section is a run of its own; the ones that end the
 * program (resethand, uncaught_segv, blocked_segv, abort, term, ignored)
 * print what they saw before and the harness checks the exit status.
 */
#include "prog.h"
#include <sys/mman.h>
#include <ucontext.h>

static volatile int hits, depth, max_depth;
static volatile int last_sig, last_code, last_errno;
static volatile long last_pid_ok, last_uid_ok;
static volatile int blocked_in_handler, other_blocked_in_handler;

static int is_blocked(int sig)
{
	sigset_t s;
	sigprocmask(SIG_BLOCK, NULL, &s);
	return sigismember(&s, sig);
}

static void on_info(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	hits++;
	last_sig = sig;
	last_code = si->si_code;
	last_errno = si->si_errno;
	last_pid_ok = si->si_pid == getpid();
	last_uid_ok = si->si_uid == getuid();
	blocked_in_handler = is_blocked(sig);
	other_blocked_in_handler = is_blocked(SIGUSR2);
}

static void set(int sig, void (*fn)(int, siginfo_t *, void *), int flags, int mask_sig)
{
	struct sigaction sa = { .sa_sigaction = fn, .sa_flags = SA_SIGINFO | flags };
	sigemptyset(&sa.sa_mask);
	if (mask_sig)
		sigaddset(&sa.sa_mask, mask_sig);
	if (sigaction(sig, &sa, NULL) < 0)
		printf("sigaction %d: -1 %s\n", sig, errname(errno));
}

static void report(const char *label)
{
	printf("%s: hits %d sig %d code %s pid-ok %ld uid-ok %ld blocked-in-handler %d\n", label,
	       (int)hits, (int)last_sig, sicode_name(last_sig, last_code), last_pid_ok, last_uid_ok,
	       (int)blocked_in_handler);
	hits = 0;
}

static void sigaction_section(void)
{
	struct sigaction sa = { .sa_sigaction = on_info, .sa_flags = SA_SIGINFO }, old;
	sigemptyset(&sa.sa_mask);
	sigaddset(&sa.sa_mask, SIGUSR2);
	SHOW("sigaction SIGUSR1", sigaction(SIGUSR1, &sa, NULL));
	memset(&old, 0, sizeof old);
	SHOW("sigaction query", sigaction(SIGUSR1, NULL, &old));
	CHECK("handler read back", old.sa_sigaction == on_info);
	CHECK("SA_SIGINFO read back", (old.sa_flags & SA_SIGINFO) != 0);
	CHECK("sa_mask read back", sigismember(&old.sa_mask, SIGUSR2) && !sigismember(&old.sa_mask, SIGINT));
	SHOW("sigaction SIGKILL", sigaction(SIGKILL, &sa, NULL));
	SHOW("sigaction SIGSTOP", sigaction(SIGSTOP, &sa, NULL));
	SHOW("sigaction SIGKILL query", sigaction(SIGKILL, NULL, &old));
	SHOW("sigaction 0", syscall(SYS_rt_sigaction, 0, NULL, &old, 8));
	SHOW("sigaction 65", syscall(SYS_rt_sigaction, 65, NULL, &old, 8));
	SHOW("rt_sigaction sigsetsize 4", syscall(SYS_rt_sigaction, SIGUSR1, NULL, &old, 4));
	SHOW("rt_sigaction bad pointer", syscall(SYS_rt_sigaction, SIGUSR1, (void *)8, NULL, 8));
	SHOW("signal SIGUSR2 SIG_IGN", signal(SIGUSR2, SIG_IGN) == SIG_DFL);
	SHOW("signal SIGUSR2 back", signal(SIGUSR2, SIG_DFL) == SIG_IGN);
	SHOW("raise SIGUSR1", raise(SIGUSR1));
	report("after raise");
	CHECK("sa_mask blocked SIGUSR2 in the handler", other_blocked_in_handler);
	CHECK("mask restored after the handler", !is_blocked(SIGUSR1) && !is_blocked(SIGUSR2));
	/* A realtime signal, with a handler too. */
	set(SIGRTMIN + 2, on_info, 0, 0);
	SHOW("raise SIGRTMIN+2", raise(SIGRTMIN + 2));
	report("after raise SIGRTMIN+2");
}

static void self_section(void)
{
	set(SIGUSR1, on_info, 0, 0);
	set(SIGUSR2, on_info, 0, 0);
	SHOW("tgkill self SIGUSR1", syscall(SYS_tgkill, getpid(), gettid(), SIGUSR1));
	report("after tgkill");
	SHOW("tkill self SIGUSR2", syscall(SYS_tkill, gettid(), SIGUSR2));
	report("after tkill");
	SHOW("kill self signal 0", kill(getpid(), 0));
	CHECK("no handler ran", hits == 0);
	SHOW("kill self signal 99", kill(getpid(), 99));
	SHOW("kill self -1", kill(getpid(), -1));
	SHOW("tgkill other tid", syscall(SYS_tgkill, getpid(), getpid() + 1, SIGUSR1));
	SHOW("tgkill tid 0", syscall(SYS_tgkill, getpid(), 0, SIGUSR1));
	SHOW("tgkill tgid -1", syscall(SYS_tgkill, -1, gettid(), SIGUSR1));
	CHECK("no handler ran", hits == 0);
	SHOW("getpid == gettid", getpid() == gettid());
	/* Ignored and default-ignored signals do nothing. */
	signal(SIGUSR1, SIG_IGN);
	SHOW("raise ignored SIGUSR1", raise(SIGUSR1));
	signal(SIGCHLD, SIG_DFL);
	SHOW("raise SIGCHLD (default: ignore)", raise(SIGCHLD));
	SHOW("raise SIGWINCH (default: ignore)", raise(SIGWINCH));
	SHOW("raise SIGURG (default: ignore)", raise(SIGURG));
	SHOW("raise SIGCONT (default: continue)", raise(SIGCONT));
	printf("still running\n");
}

/* kill(2) to self: si_code is SI_USER (tgkill/tkill/raise: SI_TKILL). */
static void kill_section(void)
{
	set(SIGUSR1, on_info, 0, 0);
	SHOW("kill self SIGUSR1", kill(getpid(), SIGUSR1));
	report("after kill");
	SHOW("kill 0 (own group) SIGUSR1", kill(0, SIGUSR1));
	report("after kill 0");
}

static void mask_section(void)
{
	sigset_t s, old;
	set(SIGUSR1, on_info, 0, 0);
	sigemptyset(&s);
	sigaddset(&s, SIGUSR1);
	sigaddset(&s, SIGKILL);
	SHOW("sigprocmask block SIGUSR1 (and SIGKILL)", sigprocmask(SIG_BLOCK, &s, &old));
	CHECK("SIGUSR1 blocked", is_blocked(SIGUSR1));
	CHECK("SIGKILL silently not blocked", !is_blocked(SIGKILL));
	SHOW("raise SIGUSR1", raise(SIGUSR1));
	SHOW("raise SIGUSR1 again", raise(SIGUSR1));
	CHECK("handler did not run", hits == 0);
	sigset_t p;
	sigemptyset(&p);
	SHOW("sigpending", sigpending(&p));
	CHECK("SIGUSR1 pending", sigismember(&p, SIGUSR1) && !sigismember(&p, SIGUSR2));
	SHOW("sigprocmask unblock", sigprocmask(SIG_UNBLOCK, &s, NULL));
	int seen = hits;
	printf("handler ran %d time(s) by the time sigprocmask returned\n", seen);
	report("after unblock");
	sigpending(&p);
	CHECK("nothing pending", !sigismember(&p, SIGUSR1));
	SHOW("sigprocmask bad how", sigprocmask(99, &s, NULL));
	SHOW("rt_sigprocmask sigsetsize 4", syscall(SYS_rt_sigprocmask, SIG_BLOCK, &s, NULL, 4));
	SHOW("rt_sigprocmask bad pointer", syscall(SYS_rt_sigprocmask, SIG_BLOCK, (void *)8, NULL, 8));
	SHOW("sigprocmask SIG_SETMASK empty", sigprocmask(SIG_SETMASK, &(sigset_t){ 0 }, NULL));
	/* Pending while ignored: discarded when set to SIG_IGN. */
	sigprocmask(SIG_BLOCK, &s, NULL);
	raise(SIGUSR1);
	signal(SIGUSR1, SIG_IGN);
	sigpending(&p);
	CHECK("SIG_IGN discards the pending signal", !sigismember(&p, SIGUSR1));
	set(SIGUSR1, on_info, 0, 0);
	sigprocmask(SIG_UNBLOCK, &s, NULL);
	CHECK("and it is not delivered", hits == 0);
}

static void on_reset(int sig, siginfo_t *si, void *uc)
{
	(void)si, (void)uc;
	hits++;
	blocked_in_handler = is_blocked(sig);
}

static void resethand_section(void)
{
	set(SIGUSR1, on_reset, SA_RESETHAND, 0);
	SHOW("raise SIGUSR1", raise(SIGUSR1));
	printf("handler ran %d time(s), signal blocked in it: %d\n", (int)hits, (int)blocked_in_handler);
	struct sigaction old;
	sigaction(SIGUSR1, NULL, &old);
	CHECK("handler reset to SIG_DFL", old.sa_handler == SIG_DFL);
	printf("raising again: the default action ends the program\n");
	raise(SIGUSR1);
	printf("not reached\n");
}

static void on_nested(int sig, siginfo_t *si, void *uc)
{
	(void)si, (void)uc;
	hits++;
	depth++;
	if (depth > max_depth)
		max_depth = depth;
	if (hits < 4)
		raise(sig);
	depth--;
}

static void nodefer_section(void)
{
	set(SIGUSR1, on_nested, SA_NODEFER, 0);
	raise(SIGUSR1);
	printf("SA_NODEFER: %d deliveries, nested %d deep\n", (int)hits, (int)max_depth);
	hits = max_depth = 0;
	set(SIGUSR1, on_nested, 0, 0);
	raise(SIGUSR1);
	printf("without: %d deliveries, nested %d deep\n", (int)hits, (int)max_depth);
}

/* The page-fault details in the ucontext, and the GC pattern. */
static char *gc_heap;
static volatile int gc_faults, gc_wrong_addr;
enum { GC_PAGES = 64, GC_ITER = 3000 };

static void on_gc_fault(int sig, siginfo_t *si, void *ucv)
{
	(void)sig;
	ucontext_t *uc = ucv;
	char *a = si->si_addr;
	gc_faults++;
	if (a < gc_heap || a >= gc_heap + GC_PAGES * 4096 || si->si_code != SEGV_ACCERR ||
	    (char *)uc->uc_mcontext.gregs[REG_CR2] != a)
		gc_wrong_addr++;
	/* Unprotect and return: the write is retried. */
	if (mprotect((void *)((uintptr_t)a & ~4095ul), 4096, PROT_READ | PROT_WRITE) < 0)
		_exit(99);
}

static void gc_section(void)
{
	gc_heap = mmap(NULL, GC_PAGES * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	memset(gc_heap, 0, GC_PAGES * 4096);
	set(SIGSEGV, on_gc_fault, 0, 0);
	long expected = 0;
	for (int round = 0; round < GC_ITER / GC_PAGES; round++) {
		mprotect(gc_heap, GC_PAGES * 4096, PROT_READ); /* the write barrier armed */
		for (int i = 0; i < GC_PAGES; i++) {
			int page = (i * 7 + round) % GC_PAGES;
			gc_heap[page * 4096 + (i * 13) % 4096] += 1; /* faults once per page */
			gc_heap[page * 4096 + 100] += 1;             /* then not */
			expected++;
		}
	}
	long sum = 0;
	for (int i = 0; i < GC_PAGES * 4096; i++)
		sum += gc_heap[i];
	printf("gc: %d faults (expected %ld), wrong address/code %d, sum %ld\n", (int)gc_faults,
	       expected, (int)gc_wrong_addr, sum);
}

static volatile int seg_trapno, seg_err;
static volatile long seg_cr2_ok;
static sigjmp_buf seg_jb;

static void on_segv_ctx(int sig, siginfo_t *si, void *ucv)
{
	(void)sig;
	ucontext_t *uc = ucv;
	last_code = si->si_code;
	seg_trapno = (int)uc->uc_mcontext.gregs[REG_TRAPNO];
	seg_err = (int)uc->uc_mcontext.gregs[REG_ERR];
	seg_cr2_ok = (void *)uc->uc_mcontext.gregs[REG_CR2] == si->si_addr;
	siglongjmp(seg_jb, 1);
}

static void fault_context_section(void)
{
	set(SIGSEGV, on_segv_ctx, 0, 0);
	char *p = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	const char *what[] = { "read unmapped", "write unmapped", "write read-only" };
	char *addr[] = { (char *)16, (char *)24, p + 8 };
	for (int i = 0; i < 3; i++) {
		if (sigsetjmp(seg_jb, 1) == 0) {
			if (i == 0)
				(void)*(volatile char *)addr[i];
			else
				*(volatile char *)addr[i] = 1;
		}
		/* The error code's P and W bits (U depends on the ring). */
		printf("%s: %s trapno %d err P=%d W=%d cr2-ok %ld\n", what[i],
		       sicode_name(SIGSEGV, last_code), (int)seg_trapno, seg_err & 1, (seg_err >> 1) & 1,
		       seg_cr2_ok);
	}
}

/* Handlers that move RIP past the faulting instruction, and set a
 * register the interrupted code then reads. */
static volatile uint64_t fault_at, resume_at;
static volatile int ctx_sig, ctx_code, ctx_rip_ok, ctx_addr_ok;

static void on_skip(int sig, siginfo_t *si, void *ucv)
{
	ucontext_t *uc = ucv;
	ctx_sig = sig;
	ctx_code = si->si_code;
	ctx_rip_ok = (uint64_t)uc->uc_mcontext.gregs[REG_RIP] == fault_at;
	ctx_addr_ok = sig == SIGSEGV ? si->si_addr == (void *)0x40 :
		      (uint64_t)si->si_addr == fault_at;
	uc->uc_mcontext.gregs[REG_RIP] = (greg_t)resume_at;
	uc->uc_mcontext.gregs[REG_RCX] = 0x5678;
}

#define SKIPPING(pre, insn, ...) \
	({ \
		uint64_t rcx_; \
		__asm__ volatile("lea 1f(%%rip), %%rdx\n\t" \
				 "mov %%rdx, %[fa]\n\t" \
				 "lea 2f(%%rip), %%rdx\n\t" \
				 "mov %%rdx, %[ra]\n\t" \
				 "mov $0x1234, %%rcx\n\t" \
				 pre "\n\t" \
				 "1: " insn "\n\t" \
				 "2: mov %%rcx, %[out]\n\t" \
				 : [out] "=r"(rcx_), [fa] "=m"(fault_at), [ra] "=m"(resume_at) \
				 : __VA_ARGS__ \
				 : "rax", "rcx", "rdx", "memory", "cc"); \
		rcx_; \
	})

static void show_skip(const char *label, uint64_t rcx)
{
	printf("%s: %s %s rip-ok %d addr-ok %d rcx %#lx\n", label,
	       ctx_sig == SIGSEGV ? "SIGSEGV" : ctx_sig == SIGILL ? "SIGILL" :
	       ctx_sig == SIGFPE ? "SIGFPE" : ctx_sig == SIGTRAP ? "SIGTRAP" : "none",
	       sicode_name(ctx_sig, ctx_code), ctx_rip_ok, ctx_addr_ok, (unsigned long)rcx);
	ctx_sig = ctx_code = ctx_rip_ok = ctx_addr_ok = 0;
}

static void ucontext_section(void)
{
	set(SIGSEGV, on_skip, 0, 0);
	set(SIGILL, on_skip, 0, 0);
	set(SIGFPE, on_skip, 0, 0);
	show_skip("load from 0x40", SKIPPING("", "movl (%[p]), %%eax", [p] "r"(0x40ul)));
	show_skip("ud2", SKIPPING("", "ud2", "r"(0)));
	show_skip("idiv by zero", SKIPPING("xor %%edx, %%edx\n\tmov $7, %%eax", "idivl %[z]", [z] "r"(0)));
	/* Again and again: every delivery and sigreturn is the same. */
	int ok = 0;
	for (int i = 0; i < 200; i++) {
		uint64_t r = SKIPPING("", "movl (%[p]), %%eax", [p] "r"(0x40ul));
		ok += r == 0x5678 && ctx_rip_ok;
	}
	printf("200 skipped faults: %d ok\n", ok);
}

static volatile uint64_t trap_rip;
static void on_trap(int sig, siginfo_t *si, void *ucv)
{
	ucontext_t *uc = ucv;
	ctx_sig = sig;
	ctx_code = si->si_code;
	trap_rip = (uint64_t)uc->uc_mcontext.gregs[REG_RIP];
	ctx_addr_ok = si->si_addr == NULL;
}

static void int3_section(void)
{
	set(SIGTRAP, on_trap, 0, 0);
	uint64_t after;
	__asm__ volatile("int3\n\t"
			 "1: lea 1b(%%rip), %0"
			 : "=r"(after) : : "memory");
	printf("int3: %s %s rip-after-int3 %d si_addr-null %d\n", ctx_sig == SIGTRAP ? "SIGTRAP" : "none",
	       sicode_name(SIGTRAP, ctx_code), trap_rip == after, ctx_addr_ok);
}

/* Privileged instructions from user mode: SIGSEGV, SI_KERNEL. */
static void privileged_section(void)
{
	set(SIGSEGV, on_skip, 0, 0);
	show_skip("hlt", SKIPPING("", "hlt", "r"(0)));
	show_skip("cli", SKIPPING("", "cli", "r"(0)));
	show_skip("mov %cr3", SKIPPING("", "mov %%cr3, %%rax", "r"(0)));
	show_skip("wrmsr", SKIPPING("xor %%eax, %%eax\n\txor %%edx, %%edx\n\tmov $0xc0000100, %%ecx", "wrmsr", "r"(0)));
	show_skip("in", SKIPPING("", "in $0x80, %%al", "r"(0)));
}

/* A stack overflow, caught on the alternate stack. */
static char *alt;
static volatile int alt_on_altstack, alt_ss_flags;
static sigjmp_buf alt_jb;

static void on_overflow(int sig, siginfo_t *si, void *ucv)
{
	(void)sig;
	ucontext_t *uc = ucv;
	char here;
	alt_on_altstack = &here > alt && &here < alt + 65536;
	alt_ss_flags = uc->uc_stack.ss_flags;
	last_code = si->si_code;
	stack_t now;
	sigaltstack(NULL, &now);
	other_blocked_in_handler = now.ss_flags == SS_ONSTACK;
	last_errno = sigaltstack(&(stack_t){ .ss_sp = alt, .ss_size = 65536 }, NULL) < 0 ? errno : 0;
	siglongjmp(alt_jb, 1);
}

static volatile int recurse_limit = 1 << 30;
static int recurse(int n)
{
	volatile char pad[1024];
	pad[0] = (char)n;
	if (n > recurse_limit)
		return 0;
	return recurse(n + 1) + pad[0];
}

static void altstack_section(void)
{
	alt = malloc(65536);
	stack_t ss = { .ss_sp = alt, .ss_size = 65536 }, old;
	SHOW("sigaltstack query", sigaltstack(NULL, &old));
	printf("initially: flags %s\n", old.ss_flags == SS_DISABLE ? "SS_DISABLE" : "other");
	SHOW("sigaltstack too small", sigaltstack(&(stack_t){ .ss_sp = alt, .ss_size = 1024 }, NULL));
	SHOW("sigaltstack bad flags", sigaltstack(&(stack_t){ .ss_sp = alt, .ss_size = 65536, .ss_flags = 0x10 }, NULL));
	SHOW("sigaltstack set", sigaltstack(&ss, NULL));
	sigaltstack(NULL, &old);
	CHECK("read back", old.ss_sp == alt && old.ss_size == 65536 && old.ss_flags == 0);
	set(SIGSEGV, on_overflow, SA_ONSTACK, 0);
	if (sigsetjmp(alt_jb, 1) == 0)
		recurse(0);
	printf("overflow caught: on the alternate stack %d, uc_stack.ss_flags %s, sigaltstack says "
	       "SS_ONSTACK %d, changing it there %s, code %s\n", (int)alt_on_altstack,
	       alt_ss_flags == 0 ? "0" : alt_ss_flags == SS_ONSTACK ? "SS_ONSTACK" : "other",
	       (int)other_blocked_in_handler, last_errno ? errname(last_errno) : "allowed",
	       sicode_name(SIGSEGV, last_code));
	sigaltstack(NULL, &old);
	CHECK("off it again after siglongjmp", old.ss_flags == 0);
	SHOW("sigaltstack SS_DISABLE", sigaltstack(&(stack_t){ .ss_flags = SS_DISABLE }, NULL));
	sigaltstack(NULL, &old);
	CHECK("disabled", old.ss_flags == SS_DISABLE);
}

static void uncaught_segv_section(void)
{
	printf("writing to NULL\n");
	*(volatile int *)0 = 1;
	printf("not reached\n");
}

/* A fault whose signal is blocked: Linux kills the program anyway. */
static void blocked_segv_section(void)
{
	set(SIGSEGV, on_info, 0, 0);
	sigset_t s;
	sigemptyset(&s);
	sigaddset(&s, SIGSEGV);
	sigprocmask(SIG_BLOCK, &s, NULL);
	printf("writing to NULL with SIGSEGV blocked\n");
	*(volatile int *)0 = 1;
	printf("not reached, handler ran %d\n", (int)hits);
}

static void abort_section(void)
{
	printf("abort()\n");
	abort();
}

static void term_section(void)
{
	printf("raise(SIGTERM)\n");
	raise(SIGTERM);
	printf("not reached\n");
}

/* A signal raised while blocked, then unblocked with the default action. */
static void pending_default_section(void)
{
	sigset_t s;
	sigemptyset(&s);
	sigaddset(&s, SIGUSR2);
	sigprocmask(SIG_BLOCK, &s, NULL);
	raise(SIGUSR2);
	printf("SIGUSR2 pending; unblocking\n");
	sigprocmask(SIG_UNBLOCK, &s, NULL);
	printf("not reached\n");
}

SECTIONS({ "sigaction", sigaction_section }, { "self", self_section }, { "kill", kill_section },
	 { "mask", mask_section }, { "resethand", resethand_section },
	 { "nodefer", nodefer_section }, { "gc", gc_section },
	 { "fault_context", fault_context_section }, { "ucontext", ucontext_section },
	 { "int3", int3_section }, { "privileged", privileged_section },
	 { "altstack", altstack_section }, { "uncaught_segv", uncaught_segv_section },
	 { "blocked_segv", blocked_segv_section }, { "abort", abort_section },
	 { "term", term_section }, { "pending_default", pending_default_section })
