/* SPDX-License-Identifier: MIT */
/*
 * tests/posix/progs/fpu.c: the program's FPU/SSE/AVX state survives every
 * trip through the shim (system calls served in the guest and forwarded,
 * page faults, signal delivery and sigreturn), including signal handlers
 * that use the FPU themselves.
 *
 * One asm block loads known values into x87 st0-st7, the x87 control
 * word, MXCSR and xmm0-15 (ymm0-15 with AVX; zmm0-31 and k0-7 with
 * AVX-512), makes the trip (a syscall, a store to a fresh page, a load
 * that faults into a handler), and stores everything back; C compares.
 * Lines for AVX and AVX-512 read the same on a CPU without them.
 */
#include "prog.h"
#include <sys/mman.h>
#include <ucontext.h>

enum { NONE, SSE, AVX, AVX512 };

struct state {
	uint8_t v[32][64] __attribute__((aligned(64))); /* xmm/ymm/zmm */
	uint64_t k[8];
	uint8_t st[8][16]; /* 80-bit values, 16 apart */
	uint16_t cw;
	uint32_t mxcsr;
};

enum { ACT_SYSCALL, ACT_STORE, ACT_LOAD };

struct trip {
	long act, nr, a0, a1, a2, a3;
	long ret;
};

#define X87_IN \
	"fnstcw 8(%[sv])\n\t" \
	"stmxcsr 12(%[sv])\n\t" \
	"fldcw %c[cw](%[in])\n\t" \
	"ldmxcsr %c[mx](%[in])\n\t" \
	"fldt 0+%c[st](%[in])\n\tfldt 16+%c[st](%[in])\n\tfldt 32+%c[st](%[in])\n\t" \
	"fldt 48+%c[st](%[in])\n\tfldt 64+%c[st](%[in])\n\tfldt 80+%c[st](%[in])\n\t" \
	"fldt 96+%c[st](%[in])\n\tfldt 112+%c[st](%[in])\n\t"
#define X87_OUT \
	"fstpt 0+%c[st](%[out])\n\tfstpt 16+%c[st](%[out])\n\tfstpt 32+%c[st](%[out])\n\t" \
	"fstpt 48+%c[st](%[out])\n\tfstpt 64+%c[st](%[out])\n\tfstpt 80+%c[st](%[out])\n\t" \
	"fstpt 96+%c[st](%[out])\n\tfstpt 112+%c[st](%[out])\n\t" \
	"fnstcw %c[cw](%[out])\n\t" \
	"stmxcsr %c[mx](%[out])\n\t" \
	"fldcw 8(%[sv])\n\t" \
	"ldmxcsr 12(%[sv])\n\t"
/* The trip itself: t->act picks it; t's fields are at fixed offsets. */
#define TRIP \
	"mov 0(%[t]), %%r8\n\t" \
	"mov 8(%[t]), %%rax\n\t" \
	"mov 16(%[t]), %%rdi\n\t" \
	"mov 24(%[t]), %%rsi\n\t" \
	"mov 32(%[t]), %%rdx\n\t" \
	"mov 40(%[t]), %%r10\n\t" \
	"cmp $0, %%r8\n\t" \
	"jne 1f\n\t" \
	"syscall\n\t" \
	"jmp 3f\n\t" \
	"1: cmp $1, %%r8\n\t" \
	"jne 2f\n\t" \
	"movb $1, (%%rdi)\n\t" \
	"jmp 3f\n\t" \
	"2: movb (%%rdi), %%al\n\t" \
	"3: mov %%rax, 48(%[t])\n\t"
#define OPS \
	[t] "r"(t), [in] "r"(in), [out] "r"(out), [sv] "r"(saved), \
	[cw] "i"(offsetof(struct state, cw)), [mx] "i"(offsetof(struct state, mxcsr)), \
	[st] "i"(offsetof(struct state, st))
#define CLOBBERS "rax", "rcx", "rdx", "rsi", "rdi", "r8", "r10", "r11", "memory", "cc", \
	"st", "st(1)", "st(2)", "st(3)", "st(4)", "st(5)", "st(6)", "st(7)"

static void trip_sse(struct trip *t, const struct state *in, struct state *out)
{
	uint64_t saved[2];
	__asm__ volatile(X87_IN
#define L(i) "movdqu " #i "*64(%[in]), %%xmm" #i "\n\t"
			 L(0) L(1) L(2) L(3) L(4) L(5) L(6) L(7) L(8) L(9) L(10) L(11) L(12)
			 L(13) L(14) L(15)
#undef L
			 TRIP
#define S(i) "movdqu %%xmm" #i ", " #i "*64(%[out])\n\t"
			 S(0) S(1) S(2) S(3) S(4) S(5) S(6) S(7) S(8) S(9) S(10) S(11) S(12)
			 S(13) S(14) S(15)
#undef S
			 X87_OUT
			 : : OPS
			 : CLOBBERS, "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7",
			   "xmm8", "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15");
}

__attribute__((target("avx"))) static void trip_avx(struct trip *t, const struct state *in,
						    struct state *out)
{
	uint64_t saved[2];
	__asm__ volatile(X87_IN
#define L(i) "vmovdqu " #i "*64(%[in]), %%ymm" #i "\n\t"
			 L(0) L(1) L(2) L(3) L(4) L(5) L(6) L(7) L(8) L(9) L(10) L(11) L(12)
			 L(13) L(14) L(15)
#undef L
			 TRIP
#define S(i) "vmovdqu %%ymm" #i ", " #i "*64(%[out])\n\t"
			 S(0) S(1) S(2) S(3) S(4) S(5) S(6) S(7) S(8) S(9) S(10) S(11) S(12)
			 S(13) S(14) S(15)
#undef S
			 "vzeroupper\n\t"
			 X87_OUT
			 : : OPS
			 : CLOBBERS, "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7",
			   "xmm8", "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15");
}

__attribute__((target("avx512f"))) static void trip_avx512(struct trip *t, const struct state *in,
							   struct state *out)
{
	uint64_t saved[2];
	__asm__ volatile(X87_IN
#define L(i) "vmovdqu64 " #i "*64(%[in]), %%zmm" #i "\n\t"
			 L(0) L(1) L(2) L(3) L(4) L(5) L(6) L(7) L(8) L(9) L(10) L(11) L(12)
			 L(13) L(14) L(15) L(16) L(17) L(18) L(19) L(20) L(21) L(22) L(23) L(24)
			 L(25) L(26) L(27) L(28) L(29) L(30) L(31)
#undef L
#define K(i) "kmovw 2048+" #i "*8(%[in]), %%k" #i "\n\t"
			 K(1) K(2) K(3) K(4) K(5) K(6) K(7)
#undef K
			 TRIP
#define S(i) "vmovdqu64 %%zmm" #i ", " #i "*64(%[out])\n\t"
			 S(0) S(1) S(2) S(3) S(4) S(5) S(6) S(7) S(8) S(9) S(10) S(11) S(12)
			 S(13) S(14) S(15) S(16) S(17) S(18) S(19) S(20) S(21) S(22) S(23) S(24)
			 S(25) S(26) S(27) S(28) S(29) S(30) S(31)
#undef S
#define K(i) "kmovw %%k" #i ", 2048+" #i "*8(%[out])\n\t"
			 K(1) K(2) K(3) K(4) K(5) K(6) K(7)
#undef K
			 "vzeroupper\n\t"
			 X87_OUT
			 : : OPS
			 : CLOBBERS, "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7",
			   "xmm8", "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15",
			   "xmm16", "xmm17", "xmm18", "xmm19", "xmm20", "xmm21", "xmm22", "xmm23",
			   "xmm24", "xmm25", "xmm26", "xmm27", "xmm28", "xmm29", "xmm30", "xmm31",
			   "k1", "k2", "k3", "k4", "k5", "k6", "k7");
}
_Static_assert(offsetof(struct state, k) == 2048, "k after the vector registers");

static int level(void)
{
	__builtin_cpu_init();
	if (__builtin_cpu_supports("avx512f"))
		return AVX512;
	if (__builtin_cpu_supports("avx"))
		return AVX;
	return SSE;
}

/* The state to load: every byte distinct per register and level. */
static void fill(struct state *s, int seed)
{
	memset(s, 0, sizeof *s);
	pattern(s->v, sizeof s->v, (uint32_t)seed);
	for (int i = 0; i < 8; i++)
		s->k[i] = (uint64_t)(0x1111 * (i + 1) + seed) & 0xffff;
	for (int i = 0; i < 8; i++) {
		long double x = 1.0L / 3.0L * (i + 1) + seed; /* needs all 64 mantissa bits */
		memcpy(s->st[i], &x, 10);
	}
	s->cw = 0x0e7f;    /* round toward zero, double precision, all masked */
	s->mxcsr = 0xffc0; /* toward zero, FTZ, DAZ, all masked */
}

/* What came back, against what went in, for the registers lvl has. */
static void compare(const char *label, int lvl, const struct state *in, const struct state *out)
{
	char what[256] = "";
	int nvec = lvl == AVX512 ? 32 : 16, width = lvl == AVX512 ? 64 : lvl == AVX ? 32 : 16;
	for (int i = 0; i < nvec; i++)
		if (memcmp(in->v[i], out->v[i], (size_t)width)) {
			snprintf(what + strlen(what), sizeof what - strlen(what), " %s%d",
				 width == 64 ? "zmm" : width == 32 ? "ymm" : "xmm", i);
		}
	if (lvl == AVX512)
		for (int i = 1; i < 8; i++)
			if ((uint16_t)in->k[i] != (uint16_t)out->k[i])
				snprintf(what + strlen(what), sizeof what - strlen(what), " k%d", i);
	for (int i = 0; i < 8; i++)
		if (memcmp(in->st[i], out->st[7 - i], 10))
			snprintf(what + strlen(what), sizeof what - strlen(what), " st%d", i);
	if (in->cw != out->cw)
		snprintf(what + strlen(what), sizeof what - strlen(what), " cw(%04x)", out->cw);
	if (in->mxcsr != (out->mxcsr & ~0x3fu))
		snprintf(what + strlen(what), sizeof what - strlen(what), " mxcsr(%04x)", out->mxcsr);
	printf("%s: %s%s\n", label, what[0] ? "changed:" : "preserved", what);
}

static struct state in, out;

/* Run trip t at every level up to the CPU's, printing one line each; a
 * level the CPU lacks prints the line a preserved state would. */
static long run_armed(const char *label, struct trip t, void (*arm)(void))
{
	int top = level();
	char l[128];
	long ret = 0;
	for (int lvl = SSE; lvl <= AVX512; lvl++) {
		snprintf(l, sizeof l, "%s [%s]", label, lvl == SSE ? "x87+sse" : lvl == AVX ? "avx" : "avx512");
		if (lvl > top) {
			printf("%s: preserved\n", l);
			continue;
		}
		fill(&in, lvl * 10 + (int)t.nr);
		memset(&out, 0x5a, sizeof out);
		if (arm)
			arm();
		struct trip c = t;
		if (lvl == SSE)
			trip_sse(&c, &in, &out);
		else if (lvl == AVX)
			trip_avx(&c, &in, &out);
		else
			trip_avx512(&c, &in, &out);
		compare(l, lvl, &in, &out);
		ret = c.ret;
	}
	return ret;
}

static long run(const char *label, struct trip t)
{
	return run_armed(label, t, NULL);
}

#define SYSCALL(nr, a0, a1, a2, a3) ((struct trip){ ACT_SYSCALL, nr, (long)(a0), (long)(a1), (long)(a2), (long)(a3), 0 })

static void syscalls_section(void)
{
	struct timespec ts;
	char buf[64];
	int fd = open("fpu-file", O_CREAT | O_RDWR | O_TRUNC, 0644);
	run("getpid (forwarded)", SYSCALL(SYS_getpid, 0, 0, 0, 0));
	run("gettid (in the guest)", SYSCALL(SYS_gettid, 0, 0, 0, 0));
	run("clock_gettime", SYSCALL(SYS_clock_gettime, CLOCK_MONOTONIC, &ts, 0, 0));
	run("rt_sigprocmask", SYSCALL(SYS_rt_sigprocmask, SIG_BLOCK, NULL, buf, 8));
	run("write", SYSCALL(SYS_write, fd, "0123456789", 10, 0));
	run("pread", SYSCALL(SYS_pread64, fd, buf, 10, 0));
	run("mmap", SYSCALL(SYS_mmap, 0, 65536, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS));
	run("bad pointer (EFAULT)", SYSCALL(SYS_read, fd, 8, 10, 0));
	run("unknown call (ENOSYS)", SYSCALL(SYS_getcpu, buf, buf + 8, 0, 0));
	close(fd);
}

static void faults_section(void)
{
	/* A store to a page never touched: a demand-zero fault the shim serves. */
	for (int i = 0; i < 3; i++) {
		char *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		run("store to a fresh page", ((struct trip){ ACT_STORE, i, (long)p, 0, 0, 0, 0 }));
	}
	char *big = malloc(1 << 20);
	run("store to fresh heap", ((struct trip){ ACT_STORE, 5, (long)(big + 500000), 0, 0, 0, 0 }));
	free(big);
}

/* A handler that uses and clobbers all of it. */
static void clobber_all(void)
{
	static struct state junk, sink;
	struct trip t = SYSCALL(SYS_getppid, 0, 0, 0, 0);
	memset(&junk, 0xa5, sizeof junk);
	junk.cw = 0x007f;   /* round to nearest, single precision */
	junk.mxcsr = 0x3f80; /* round down */
	int top = level();
	trip_sse(&t, &junk, &sink);
	if (top >= AVX)
		trip_avx(&t, &junk, &sink);
	if (top >= AVX512)
		trip_avx512(&t, &junk, &sink);
	/* Leave the control registers changed: sigreturn restores them. */
	uint16_t cw = 0x007f;
	uint32_t mx = 0x3f80;
	__asm__ volatile("fldcw %0\n\tldmxcsr %1\n\t"
			 "movq $-1, %%rax\n\tmovq %%rax, %%xmm0\n\tmovq %%rax, %%xmm15\n\t"
			 "fldpi\n\tfldpi\n\tfstp %%st(0)\n\tfstp %%st(0)"
			 : : "m"(cw), "m"(mx) : "rax", "xmm0", "xmm15", "st", "st(1)");
	volatile double d = 1.0;
	for (int i = 0; i < 10; i++)
		d = d * 1.1 + 0.3;
	(void)d;
}

static volatile int handled;

static void on_usr1(int sig)
{
	(void)sig;
	handled++;
	clobber_all();
	/* and a system call from inside the handler */
	syscall(SYS_getppid);
}

static char *guard;
static void on_segv(int sig, siginfo_t *si, void *uc)
{
	(void)sig, (void)uc;
	handled++;
	clobber_all();
	mprotect((void *)((uintptr_t)si->si_addr & ~4095ul), 4096, PROT_READ | PROT_WRITE);
}

static sigset_t usr1;
static void block_and_raise(void)
{
	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	sigprocmask(SIG_BLOCK, &usr1, NULL);
	raise(SIGUSR1);
}

static void protect_guard(void)
{
	mprotect(guard, 3 * 4096, PROT_NONE);
}

static void signals_section(void)
{
	signal(SIGUSR1, on_usr1);
	run("tgkill self, handler clobbers everything",
	    SYSCALL(SYS_tgkill, getpid(), gettid(), SIGUSR1, 0));
	run("tkill self, handler clobbers everything", SYSCALL(SYS_tkill, gettid(), SIGUSR1, 0, 0));
	/* Blocked, then delivered as rt_sigprocmask unblocks it. */
	run_armed("rt_sigprocmask unblocking a pending signal",
		  SYSCALL(SYS_rt_sigprocmask, SIG_UNBLOCK, &usr1, NULL, 8), block_and_raise);
	struct sigaction sa = { .sa_sigaction = on_segv, .sa_flags = SA_SIGINFO };
	sigaction(SIGSEGV, &sa, NULL);
	guard = mmap(NULL, 3 * 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	run_armed("load from PROT_NONE, handler clobbers and unprotects",
		  ((struct trip){ ACT_LOAD, 1, (long)guard, 0, 0, 0, 0 }), protect_guard);
	run_armed("store to PROT_NONE, handler clobbers and unprotects",
		  ((struct trip){ ACT_STORE, 2, (long)(guard + 4096), 0, 0, 0, 0 }), protect_guard);
	printf("handlers ran: %d (expected %d)\n", (int)handled, 5 * level()); /* 5 trips, one per level */
}

/* Linux starts a handler with the default FPU state: its own math is not
 * at the mercy of the control words the interrupted code had set. */
static volatile uint16_t h_cw;
static volatile uint32_t h_mx;
static volatile double h_result;

static void on_usr2(int sig)
{
	(void)sig;
	uint16_t cw;
	uint32_t mx;
	__asm__ volatile("fnstcw %0\n\tstmxcsr %1" : "=m"(cw), "=m"(mx));
	h_cw = cw;
	h_mx = mx;
	volatile double a = 2.0, b = 3.0;
	h_result = a / b;
}

static void handler_state_section(void)
{
	signal(SIGUSR2, on_usr2);
	uint16_t cw = 0x0e7f, old_cw;
	uint32_t mx = 0xffc0, old_mx;
	__asm__ volatile("fnstcw %0\n\tstmxcsr %1\n\tfldcw %2\n\tldmxcsr %3"
			 : "=m"(old_cw), "=m"(old_mx) : "m"(cw), "m"(mx));
	syscall(SYS_tgkill, getpid(), gettid(), SIGUSR2);
	uint16_t after_cw;
	uint32_t after_mx;
	__asm__ volatile("fnstcw %0\n\tstmxcsr %1\n\tfldcw %2\n\tldmxcsr %3"
			 : "=m"(after_cw), "=m"(after_mx) : "m"(old_cw), "m"(old_mx));
	printf("in the handler: x87 cw %04x, mxcsr %04x (exception flags aside), 2/3 = %.17g\n", h_cw,
	       h_mx & ~0x3fu, h_result);
	printf("after it: cw %04x mxcsr %04x\n", after_cw, after_mx & ~0x3fu);
}

/* The saved state in the signal frame is what sigreturn restores: a
 * handler may change it. */
static void on_edit(int sig, siginfo_t *si, void *ucv)
{
	(void)sig, (void)si;
	ucontext_t *uc = ucv;
	fpregset_t fp = uc->uc_mcontext.fpregs;
	if (!fp)
		return;
	memset(&fp->_xmm[3], 0x3c, 16);
	fp->mxcsr = 0x1f80 | 0x2000; /* round down */
}

static void sigframe_section(void)
{
	struct sigaction sa = { .sa_sigaction = on_edit, .sa_flags = SA_SIGINFO };
	sigaction(SIGUSR1, &sa, NULL);
	struct trip t = SYSCALL(SYS_tgkill, getpid(), gettid(), SIGUSR1, 0);
	fill(&in, 99);
	trip_sse(&t, &in, &out);
	uint8_t want[16];
	memset(want, 0x3c, 16);
	CHECK("xmm3 as the handler wrote it in uc_mcontext.fpregs", !memcmp(out.v[3], want, 16));
	CHECK("xmm2 and xmm4 as before", !memcmp(out.v[2], in.v[2], 16) && !memcmp(out.v[4], in.v[4], 16));
	printf("mxcsr after sigreturn: %04x\n", out.mxcsr & ~0x3fu);
	CHECK("x87 as before", !memcmp(out.st[0], in.st[7], 10));
}

/* What the program is told about the CPU's vector state. */
static void cpu_section(void)
{
	uint32_t lo, hi;
	__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
	printf("sse2 %d avx %d avx2 %d avx512f %d, XCR0 x87 %d sse %d avx %d avx512 %d\n",
	       !!__builtin_cpu_supports("sse2"), !!__builtin_cpu_supports("avx"),
	       !!__builtin_cpu_supports("avx2"), !!__builtin_cpu_supports("avx512f"), lo & 1,
	       (lo >> 1) & 1, (lo >> 2) & 1, (lo & 0xe0) == 0xe0);
	/* Floating point that depends on every bit being right. */
	long double x = 1;
	double y = 1;
	for (int i = 1; i < 30; i++) {
		x = x * 1.0000001L + 1.0L / i;
		y = y * 1.0000001 + 1.0 / i;
	}
	printf("long double %.21Lg double %.17g\n", x, y);
}

SECTIONS({ "cpu", cpu_section }, { "syscalls", syscalls_section }, { "faults", faults_section },
	 { "signals", signals_section }, { "sigframe", sigframe_section },
	 { "handler_state", handler_state_section })
