/* SPDX-License-Identifier: MIT */
/*
 * posix-shim/signal.c: signals, as Linux delivers them to one thread.
 *
 * The program's handlers, mask, pending set and alternate stack live
 * here; no exit is involved. A signal is delivered by writing Linux's
 * x86-64 rt_sigframe (return address, ucontext with the general registers
 * and a pointer to the FPU/SSE/AVX state, siginfo, the state itself) on
 * the program's stack and resuming the program in its handler;
 * rt_sigreturn reads the frame back. Faults raise their signal at once
 * (a blocked or ignored one kills, as Linux forces it); signals the
 * program sends itself are delivered when the sending call returns, or
 * when a call unblocks them. Default actions: ignore SIGCHLD, SIGURG,
 * SIGWINCH and SIGCONT; end the program, reported as 128 + n, for the rest.
 */
#include "shim.h"

#define SIG_DFL 0
#define SIG_IGN 1
#define SA_SIGINFO 0x4u
#define SA_ONSTACK 0x08000000u
#define SA_NODEFER 0x40000000u
#define SA_RESETHAND 0x80000000u
#define SIG_BLOCK 0
#define SIG_UNBLOCK 1
#define SIG_SETMASK 2
#define SS_ONSTACK 1
#define SS_DISABLE 2
#define MINSIGSTKSZ 2048
#define UC_FP_XSTATE 1
#define FPU_MAX 8192
#define RED_ZONE 128
#define BIT(sig) (1ull << ((sig) - 1))
#define UNBLOCKABLE (BIT(SIGKILL) | BIT(SIGSTOP))
/* The flags a program may change with sigreturn: Linux's FIX_EFLAGS. */
#define FIX_EFLAGS 0x40dd5ull

/* The kernel's struct sigaction, as rt_sigaction passes it. */
struct k_sigaction {
	uint64_t handler, flags, restorer, mask;
};

struct k_stack {
	uint64_t sp;
	int32_t flags, pad;
	uint64_t size;
};

/* Linux's struct sigcontext (uc_mcontext). */
struct k_mcontext {
	uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
	uint64_t rdi, rsi, rbp, rbx, rdx, rax, rcx, rsp, rip, rflags;
	uint16_t cs, gs, fs, ss;
	uint64_t err, trapno, oldmask, cr2, fpstate;
	uint64_t reserved[8];
};

struct k_ucontext {
	uint64_t flags, link;
	struct k_stack stack;
	struct k_mcontext mc;
	uint64_t sigmask;
};

struct k_sigframe {
	uint64_t pretcode; /* the handler returns to sa_restorer */
	struct k_ucontext uc;
	struct shim_siginfo info;
};

static struct k_sigaction act[NSIG + 1];
static uint64_t blocked, pending;
static int32_t pending_code[NSIG + 1]; /* SI_USER (kill) or SI_TKILL */
static struct k_stack altstack = { .flags = SS_DISABLE };
static uint8_t fpu_area[FPU_MAX] __attribute__((aligned(64)));

/* --- FPU/SSE/AVX state: xsave where the OS side of XSAVE is on --- */

static int use_xsave = -1;
static uint64_t xsave_bytes;

uint64_t shim_fpu_bytes(void)
{
	if (use_xsave < 0) {
		uint32_t r[4];
		exo_cpuid(1, 0, r);
		use_xsave = (r[2] >> 27) & 1; /* OSXSAVE */
		xsave_bytes = 512;
		if (use_xsave) {
			exo_cpuid(0xd, 0, r);
			xsave_bytes = r[1];
		}
		if (xsave_bytes > FPU_MAX) /* a CPU beyond what the shim knows */
			use_xsave = 0, xsave_bytes = 512;
	}
	return xsave_bytes;
}

void shim_fpu_save(void *area)
{
	shim_fpu_bytes();
	if (use_xsave)
		__asm__ volatile("xsave64 (%0)" : : "r"(area), "a"(-1), "d"(-1) : "memory");
	else
		__asm__ volatile("fxsave64 (%0)" : : "r"(area) : "memory");
}

void shim_fpu_restore(const void *area)
{
	shim_fpu_bytes();
	if (use_xsave)
		__asm__ volatile("xrstor64 (%0)" : : "r"(area), "a"(-1), "d"(-1) : "memory");
	else
		__asm__ volatile("fxrstor64 (%0)" : : "r"(area) : "memory");
}

/* The state a handler starts with, as on Linux: x87 and SSE at their
 * reset values (control word 0x37f, MXCSR 0x1f80), registers cleared. */
static void fpu_init(void)
{
	static uint8_t init[FPU_MAX] __attribute__((aligned(64)));
	static const uint16_t fcw = 0x37f;
	static const uint32_t mxcsr = 0x1f80;
	memcpy(init, &fcw, sizeof fcw);
	memcpy(init + 24, &mxcsr, sizeof mxcsr); /* an all-zero xsave header: init */
	shim_fpu_restore(init);
}

/* A state from the program's memory that xrstor/fxrstor would refuse
 * with #GP: reserved MXCSR bits, or an xsave header it cannot load. */
static int fpu_valid(const uint8_t *area)
{
	uint32_t mxcsr;
	memcpy(&mxcsr, area + 24, sizeof mxcsr);
	if (mxcsr & 0xffff0000u)
		return 0;
	if (use_xsave) {
		uint64_t hdr[8];
		uint32_t xcr0_lo, xcr0_hi;
		memcpy(hdr, area + 512, sizeof hdr);
		__asm__ volatile("xgetbv" : "=a"(xcr0_lo), "=d"(xcr0_hi) : "c"(0));
		uint64_t xcr0 = (uint64_t)xcr0_hi << 32 | xcr0_lo;
		if ((hdr[0] & ~xcr0) || hdr[1] || hdr[2] || hdr[3] || hdr[4] || hdr[5] ||
		    hdr[6] || hdr[7])
			return 0;
	}
	return 1;
}

/* --- delivery --- */

static int ignored_by_default(int sig)
{
	return sig == SIGCHLD || sig == SIGURG || sig == SIGWINCH || sig == SIGCONT;
}

static const char *signame(int sig)
{
	static const char *const names[] = {
		[SIGHUP] = "SIGHUP", [SIGINT] = "SIGINT", [SIGQUIT] = "SIGQUIT",
		[SIGILL] = "SIGILL", [SIGTRAP] = "SIGTRAP", [SIGABRT] = "SIGABRT",
		[SIGBUS] = "SIGBUS", [SIGFPE] = "SIGFPE", [SIGKILL] = "SIGKILL",
		[SIGUSR1] = "SIGUSR1", [SIGSEGV] = "SIGSEGV", [SIGUSR2] = "SIGUSR2",
		[SIGPIPE] = "SIGPIPE", [SIGALRM] = "SIGALRM", [SIGTERM] = "SIGTERM",
		[SIGSYS] = "SIGSYS",
	};
	return sig < (int)(sizeof names / sizeof names[0]) && names[sig] ? names[sig] : "signal";
}

static __attribute__((noreturn)) void die(const struct exo_trap_frame *f, int sig, uint64_t addr,
					  int fault)
{
	if (fault)
		exo_notice("posix-shim: program killed by %s (%d): address 0x%lx, RIP 0x%lx",
			    signame(sig), sig, (unsigned long)addr, (unsigned long)f->rip);
	else
		exo_notice("posix-shim: program killed by %s (%d)", signame(sig), sig);
	shim_exit(0, sig);
}

static int on_altstack(uint64_t sp)
{
	return !(altstack.flags & SS_DISABLE) && sp - altstack.sp < altstack.size;
}

/* Enter sig's handler from the state in f, on the program's stack. */
static void deliver(struct exo_trap_frame *f, int sig, const struct shim_siginfo *info,
		    uint64_t addr, int fault)
{
	const struct k_sigaction *a = &act[sig];
	static struct k_sigframe frame;
	if (a->handler == SIG_DFL || (fault && a->handler == SIG_IGN)) {
		if (ignored_by_default(sig) && !fault)
			return;
		die(f, sig, addr, fault);
	}
	if (a->handler == SIG_IGN)
		return;

	uint64_t sp = f->rsp;
	if ((a->flags & SA_ONSTACK) && !(altstack.flags & SS_DISABLE) && !on_altstack(sp))
		sp = altstack.sp + altstack.size;
	else
		sp -= RED_ZONE;
	uint64_t fpu_bytes = shim_fpu_bytes();
	uint64_t fpstate = (sp - fpu_bytes) & ~63ull;
	sp = ((fpstate - sizeof frame) & ~15ull) - 8; /* as after a call */

	memset(&frame, 0, sizeof frame);
	frame.pretcode = a->restorer;
	frame.uc.flags = use_xsave ? UC_FP_XSTATE : 0;
	frame.uc.stack = altstack;
	frame.uc.stack.flags = on_altstack(f->rsp) ? SS_ONSTACK : altstack.flags;
	struct k_mcontext *m = &frame.uc.mc;
	*m = (struct k_mcontext){
		.r8 = f->r8, .r9 = f->r9, .r10 = f->r10, .r11 = f->r11, .r12 = f->r12,
		.r13 = f->r13, .r14 = f->r14, .r15 = f->r15, .rdi = f->rdi, .rsi = f->rsi,
		.rbp = f->rbp, .rbx = f->rbx, .rdx = f->rdx, .rax = f->rax, .rcx = f->rcx,
		.rsp = f->rsp, .rip = f->rip, .rflags = f->rflags, .cs = 0x33, .ss = 0x2b,
		.err = fault ? f->error_code : 0, .trapno = fault ? f->vector : 0,
		.oldmask = blocked, .cr2 = fault ? addr : 0, .fpstate = fpstate,
	};
	frame.uc.sigmask = blocked;
	frame.info = *info;
	shim_fpu_save(fpu_area);
	if (shim_copy_out(fpstate, fpu_area, fpu_bytes) < 0 ||
	    shim_copy_out(sp, &frame, sizeof frame) < 0)
		die(f, SIGSEGV, sp, 1); /* no stack to deliver on: Linux kills too */
	fpu_init();

	f->rsp = sp;
	f->rip = a->handler;
	f->rdi = (uint64_t)sig;
	f->rsi = sp + offsetof(struct k_sigframe, info);
	f->rdx = sp + offsetof(struct k_sigframe, uc);
	f->rax = 0;
	f->rflags &= ~(0x100ull | 0x400ull); /* TF, DF: the ABI's state at a call */
	blocked |= a->mask & ~UNBLOCKABLE;
	if (!(a->flags & SA_NODEFER))
		blocked |= BIT(sig) & ~UNBLOCKABLE;
	if (a->flags & SA_RESETHAND)
		act[sig].handler = SIG_DFL;
}

void shim_signal_fault(struct exo_trap_frame *f, int sig, int code, uint64_t addr)
{
	struct shim_siginfo info = { .si_signo = sig, .si_code = code, .si_addr = addr };
	if ((blocked & BIT(sig)) || act[sig].handler == SIG_IGN)
		act[sig].handler = SIG_DFL; /* Linux forces a fault's signal */
	deliver(f, sig, &info, addr, 1);
}

void shim_signal_raise(int sig)
{
	shim_signal_send(sig, SI_KERNEL);
}

void shim_signal_send(int sig, int code)
{
	pending |= BIT(sig);
	pending_code[sig] = code;
}

void shim_signal_check(struct exo_trap_frame *f)
{
	while (pending & ~blocked) {
		int sig = __builtin_ctzll(pending & ~blocked) + 1;
		struct shim_siginfo info = { .si_signo = sig, .si_code = pending_code[sig] };
		pending &= ~BIT(sig);
		info.si_addr = shim_pid; /* si_pid, then si_uid 0 */
		deliver(f, sig, &info, 0, 0);
	}
}

/* --- the calls --- */

int64_t sys_rt_sigaction(struct shim_call *c)
{
	int64_t sig = (int64_t)c->a[0];
	struct k_sigaction new;
	if (c->a[3] != 8 || sig < 1 || sig > NSIG)
		return -EINVAL;
	if (c->a[1] && (sig == SIGKILL || sig == SIGSTOP))
		return -EINVAL;
	if (c->a[1] && shim_copy_in(&new, c->a[1], sizeof new) < 0)
		return -EFAULT;
	if (c->a[2] && shim_copy_out(c->a[2], &act[sig], sizeof act[sig]) < 0)
		return -EFAULT;
	if (c->a[1]) {
		new.mask &= ~UNBLOCKABLE;
		act[sig] = new;
		if (new.handler == SIG_IGN || (new.handler == SIG_DFL && ignored_by_default((int)sig)))
			pending &= ~BIT(sig);
	}
	return 0;
}

int64_t sys_rt_sigprocmask(struct shim_call *c)
{
	uint64_t set;
	if (c->a[3] != 8)
		return -EINVAL;
	if (c->a[1] && shim_copy_in(&set, c->a[1], sizeof set) < 0)
		return -EFAULT;
	if (c->a[1] && c->a[0] > SIG_SETMASK)
		return -EINVAL;
	if (c->a[2] && shim_copy_out(c->a[2], &blocked, sizeof blocked) < 0)
		return -EFAULT;
	if (c->a[1]) {
		if (c->a[0] == SIG_BLOCK)
			blocked |= set;
		else if (c->a[0] == SIG_UNBLOCK)
			blocked &= ~set;
		else
			blocked = set;
		blocked &= ~UNBLOCKABLE;
	}
	return 0;
}

int64_t sys_rt_sigpending(struct shim_call *c)
{
	uint64_t set = pending & blocked;
	if (c->a[1] > 8)
		return -EINVAL;
	return shim_copy_out(c->a[0], &set, c->a[1]) < 0 ? -EFAULT : 0;
}

int64_t sys_sigaltstack(struct shim_call *c)
{
	struct k_stack new, old = altstack;
	if (on_altstack(c->f->rsp))
		old.flags = SS_ONSTACK;
	if (c->a[0]) {
		if (shim_copy_in(&new, c->a[0], sizeof new) < 0)
			return -EFAULT;
		if (on_altstack(c->f->rsp))
			return -EPERM;
		if (new.flags & ~(SS_DISABLE | SS_ONSTACK | 0x80000000))
			return -EINVAL;
		if (!(new.flags & SS_DISABLE) && new.size < MINSIGSTKSZ)
			return -ENOMEM;
	}
	if (c->a[1] && shim_copy_out(c->a[1], &old, sizeof old) < 0)
		return -EFAULT;
	if (c->a[0]) {
		altstack = new;
		altstack.flags &= SS_DISABLE;
		if (altstack.flags)
			altstack.sp = altstack.size = 0;
	}
	return 0;
}

int64_t sys_rt_sigreturn(struct shim_call *c)
{
	struct exo_trap_frame *f = c->f;
	static struct k_ucontext uc;
	if (shim_copy_in(&uc, f->rsp, sizeof uc) < 0)
		die(f, SIGSEGV, f->rsp, 1);
	if (uc.mc.fpstate) {
		uint64_t n = shim_fpu_bytes();
		if ((uc.mc.fpstate & 63) || shim_copy_in(fpu_area, uc.mc.fpstate, n) < 0 ||
		    !fpu_valid(fpu_area))
			die(f, SIGSEGV, uc.mc.fpstate, 1);
		shim_fpu_restore(fpu_area);
	}
	const struct k_mcontext *m = &uc.mc;
	f->r8 = m->r8, f->r9 = m->r9, f->r10 = m->r10, f->r11 = m->r11;
	f->r12 = m->r12, f->r13 = m->r13, f->r14 = m->r14, f->r15 = m->r15;
	f->rdi = m->rdi, f->rsi = m->rsi, f->rbp = m->rbp, f->rbx = m->rbx;
	f->rdx = m->rdx, f->rax = m->rax, f->rcx = m->rcx, f->rsp = m->rsp, f->rip = m->rip;
	f->rflags = (f->rflags & ~FIX_EFLAGS) | (m->rflags & FIX_EFLAGS);
	blocked = uc.sigmask & ~UNBLOCKABLE;
	return SHIM_KEEP_FRAME;
}

static int64_t send(int64_t sig, int code)
{
	if (sig < 0 || sig > NSIG)
		return -EINVAL;
	if (sig)
		shim_signal_send((int)sig, code); /* delivered as the call returns */
	return 0;
}

int64_t sys_kill(struct shim_call *c)
{
	int64_t pid = (int32_t)c->a[0];
	if (pid != (int64_t)shim_pid && pid != 0 && pid != -1)
		return -ESRCH; /* the only process this guest has */
	return send((int64_t)c->a[1], SI_USER);
}

int64_t sys_tkill(struct shim_call *c)
{
	if ((int64_t)(int32_t)c->a[0] != (int64_t)shim_pid)
		return (int32_t)c->a[0] <= 0 ? -EINVAL : -ESRCH;
	return send((int64_t)c->a[1], SI_TKILL);
}

int64_t sys_tgkill(struct shim_call *c)
{
	if ((int32_t)c->a[0] <= 0 || (int32_t)c->a[1] <= 0)
		return -EINVAL;
	if (c->a[0] != shim_pid || c->a[1] != shim_pid)
		return -ESRCH;
	return send((int64_t)c->a[2], SI_TKILL);
}
